"""Observation of the contracts, compiled (MODEL.md §3 stage 8, §8, §12.1, §13.1): each step's pass over
the active contracts (quadrants from the parties' sides, path events by the action behind them, founders'
paths, the event log), the step's shares and means, then settlement, a shock's return, the portfolios and
the long-run regime (:mod:`sim.engine.regime`).

Restates :func:`sim.observe.observe`, ``count_change``, ``count_path``, ``path_of``/``exit_path``,
``_Party.move_action`` and ``record_step`` (the means of LoF, exploration and ambition by Python's
``sum()``).
"""

from __future__ import annotations

import numpy as np

from sim.engine import book, regime
from sim.engine.arith import py_sum
from sim.engine.jit import jit
from sim.engine.layout import (
    A_DRIFT,
    A_EXIT,
    C_ACTIVE,
    C_FINAL_QUADRANT,
    C_OBS_REGIME,
    C_QUADRANT,
    C_SETTLE_STEP,
    C_SETTLED,
    C_STABLE_AT_END,
    DOMINANCE,
    E_PATH_BY_EXIT,
    E_QUADRANT,
    F_COSTS,
    F_MEAN_AMBITION,
    F_MEAN_COMMUNICATION,
    F_MEAN_EFFORT,
    F_MEAN_EXPLORATION,
    F_MEAN_LOF,
    F_MEAN_TRUST,
    F_SHARE_Q1,
    F_TOTAL_VALUE,
    F_VALUE_ENDED,
    FALSE,
    N_MARKETS,
    N_MNES,
    N_SMES,
    NONE,
)


@jit
def path_of(before, after):
    """§8 ``PATHS``: A Q2→Q1, B Q4→Q1, C Q2→Q3, D Q4→Q3, as 0–3; -1 for any other move."""
    if after == 1:
        return 0 if before == 2 else 1 if before == 4 else -1
    if after == 3:
        return 2 if before == 2 else 3 if before == 4 else -1
    return -1


@jit
def count_path(S, path, action, founder):
    """§8 ``count_path``: one path event by the action behind it, and apart for a founder's contract."""
    S.rec.paths[path, action] += 1
    if founder:
        S.rec.founders[path] += 1


@jit
def count_change(S, Q, c, q, step, events):
    """§8 ``count_change``: contract ``c`` entered quadrant ``q``: a path by exit (its party left a Q2/Q4
    contract for it), or a move of its own, attributed to what moved the party whose side changed."""
    K = S.contracts
    sme, sub = K.sme[c], K.sub[c]
    founder = S.smes.founder[sme]
    if K.exit_origin[c]:
        path = path_of(K.exit_origin[c], q)
        if path >= 0:
            count_path(S, path, A_EXIT, founder)
            if events:
                K.quadrant[c] = q
                book.record(S, Q, step, E_PATH_BY_EXIT, c, K.exit_origin[c], path, A_EXIT, NONE)
        K.exit_origin[c] = 0
    elif q != K.quadrant[c]:
        before = K.quadrant[c]
        path = path_of(before, q)
        if (q == 2 or q == 3) != (before == 2 or before == 3):  # the SME's side changed
            moved_by, moved_step = S.smes.moved_by[sme], S.smes.moved_step[sme]
        else:
            moved_by, moved_step = S.subs.moved_by[sub], S.subs.moved_step[sub]
        action = moved_by if moved_step == step else A_DRIFT
        if path >= 0:
            count_path(S, path, action, founder)
        if events:
            K.quadrant[c] = q
            book.record(S, Q, step, E_QUADRANT, c, before, path, action, NONE)


@jit
def observe(S, P, Q, H, step, recording):
    """§8 ``observe``: the pass over the active contracts in the order signed, then the step's record
    (``recording`` False at initialisation: classify and sum, the timeline's first row, nothing else)."""
    K, U, M, O = S.contracts, S.subs, S.smes, S.obs
    counts = np.zeros(5, np.int64)
    for sub in range(O.by_sub.shape[0]):
        for q in range(5):
            O.by_sub[sub, q] = 0
    trust = comm = effort = value = 0.0
    for i in range(book.compact(S)):
        c = K.order_slot[i]
        q = book.quadrant_of(U.explores[K.sub[c]], M.international[K.sme[c]])
        if K.exit_origin[c] or q != K.quadrant[c]:
            count_change(S, Q, c, q, step, recording)
        K.quadrant[c] = q
        counts[q] += 1
        O.by_sub[K.sub[c], q] += 1
        trust += 0.5 * (K.trust_sme[c] + K.trust_sub[c])
        comm += K.communication[c]
        effort += K.effort[c]
        value += K.value[c]
    record_step(S, P, Q, H, counts, trust, comm, effort, value, recording, step)


@jit
def record_step(S, P, Q, H, counts, trust, comm, effort, value, recording, step):
    """§8/§12.1 ``record_step``: shares and means of the step; then (unless initialising) the share history,
    settlement at the first stationary window pair, a shock's return, the portfolios, and ``judge``."""
    C, F = S.rec.C, S.rec.F
    n = C[C_ACTIVE]
    shares = np.zeros(4)
    for i in range(4):
        shares[i] = counts[i + 1] / n if n else 0.0
        F[F_SHARE_Q1 + i] = shares[i]
    F[F_MEAN_TRUST] = trust / n if n else 0.0
    F[F_MEAN_COMMUNICATION] = comm / n if n else 0.0
    F[F_MEAN_EFFORT] = effort / n if n else 0.0
    n_subs, n_smes = Q[N_MNES] * Q[N_MARKETS], Q[N_SMES]
    F[F_MEAN_LOF] = py_sum(S.subs.lof, n_subs) / n_subs
    F[F_MEAN_EXPLORATION] = py_sum(S.subs.exploration, n_subs) / n_subs
    F[F_MEAN_AMBITION] = py_sum(S.smes.ambition, n_smes) / n_smes
    F[F_TOTAL_VALUE] = F[F_VALUE_ENDED] + value - F[F_COSTS]
    if not recording:
        regime.timeline(S, step, regime.dominant_quadrant(shares, P[DOMINANCE]), NONE, FALSE)
        return
    regime.record(S, P, Q, shares, n)
    C[C_FINAL_QUADRANT] = C[C_OBS_REGIME]
    stable = regime.stationary(S, P, Q)
    C[C_STABLE_AT_END] = stable
    if stable and not C[C_SETTLED]:
        C[C_SETTLED], C[C_SETTLE_STEP], C[C_QUADRANT] = 1, step, C[C_OBS_REGIME]
    regime.watch(S, shares)
    regime.portfolios(S, Q)
    regime.judge(S, P, Q, H, step)
