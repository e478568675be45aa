"""The contract stage, compiled (MODEL.md §3 stage 4, §7.4–7.5): the hot loop over every active contract.

Restates ``sim.steps.reference.run_contracts`` with ``rules.communication``, ``rules.trust_update`` (each
side), ``SME.learn`` (``rules.knowledge_gain``), ``rules.dyad_value_mean`` and ``Contract.trust_mean``:
the same operations in the same order, so the same floats, and one standard normal per contract whose
value is noisy, in the order signed.
"""

from __future__ import annotations

from sim.engine.arith import py_max, py_min
from sim.engine.book import compact
from sim.engine.jit import jit
from sim.engine.layout import (
    COMM_COST,
    COMM_MAX,
    COMM_MIN,
    CPS,
    FRUSTRATION_EROSION,
    LEARNING_RATE,
    SUCCESS_GAIN,
    TRUST_DECAY,
    TRUST_GAIN,
    VALUE_CV_Q1,
    VALUE_CV_Q3,
    VALUE_Q1,
    VALUE_Q3,
    VALUE_TENSION,
)


@jit
def trust_update(trust, comm, sale, frustration, P):
    """§7.4 ``rules.trust_update``: Δτ = trust_gain·c·(1 − τ) + success_gain·[sale]·(1 − τ)
    − frustration_erosion·min(f, 1)·τ − trust_decay·τ, clipped to [0, 1]."""
    gain = (P[TRUST_GAIN] * comm + (P[SUCCESS_GAIN] if sale else 0.0)) * (1.0 - trust)
    loss = (P[FRUSTRATION_EROSION] * py_min(frustration, 1.0) + P[TRUST_DECAY]) * trust
    return py_min(1.0, py_max(0.0, trust + gain - loss))


@jit
def dyad_value_mean(quadrant, P):
    """§7.5 ``rules.dyad_value_mean``: value_q1 in Q1, value_q3 in Q3, value_tension in Q2 and Q4."""
    if quadrant == 1:
        return P[VALUE_Q1]
    if quadrant == 3:
        return P[VALUE_Q3]
    return P[VALUE_TENSION]


@jit
def contract_stage(S, P, Q, rng, step):
    """§7.4–7.5 ``reference.run_contracts``: for every active contract in the order signed, communication
    c = comm_min + (comm_max − comm_min)·(1 − τ̄)·(0.5 + 0.5·v), both sides' trust, the SME's knowledge of the
    market Δκ = learning_rate·min(effort, 1)·c·τ_s·capability·(1 − κ), the value of the step (the quadrant's
    mean, cv·mean·z of noise if cv and the mean are positive, less 2·comm_cost·c), and age."""
    K, M = S.contracts, S.smes
    cps = Q[CPS]
    comm_min, comm_max, learning_rate = P[COMM_MIN], P[COMM_MAX], P[LEARNING_RATE]
    comm_cost2 = 2.0 * P[COMM_COST]
    cv_q1, cv_other = P[VALUE_CV_Q1], P[VALUE_CV_Q3]
    for i in range(compact(S)):
        c = K.order_slot[i]
        sme = K.sme[c]
        trust_mean = 0.5 * (K.trust_sme[c] + K.trust_sub[c])
        comm = comm_min + (comm_max - comm_min) * (1.0 - trust_mean) * (0.5 + 0.5 * M.voluntarism[sme])
        K.communication[c] = comm
        sale = K.sale_step[c] == step
        ts = trust_update(K.trust_sme[c], comm, sale, K.frustration_sme[c], P)
        K.trust_sme[c] = ts
        K.trust_sub[c] = trust_update(K.trust_sub[c], comm, sale, K.frustration_sub[c], P)
        at = sme * cps + K.target[c]
        k = M.knowledge[at]
        M.knowledge[at] = k + learning_rate * py_min(K.effort[c], 1.0) * comm * ts * M.capability[sme] * (1.0 - k)
        q = K.quadrant[c]
        mean = dyad_value_mean(q, P)
        cv = cv_q1 if q == 1 else cv_other
        noise = cv * mean * rng.standard_normal() if cv > 0 and mean > 0 else 0.0
        K.value[c] += mean + noise - comm_cost2 * comm
        K.age[c] += 1
