"""Intents, sides and effort, compiled (MODEL.md §3 stages 1, 2–3 and 6; §7.3, §7.6, §11.3, §13.1).

Restates ``Headquarters.apply_pressure`` (with ``Subsidiary.share_q3`` and ``rules.pressure_drift``),
``Subsidiary.align`` (``rules.alignment_drift``), ``Subsidiary.update_side``/``SME.update_side``
(``rules.side``), ``Subsidiary.allocate_effort`` (``rules.effort_weight``, ``rules.effort_shares``) and
``SME.drift`` (``rules.ambition_drift``). A subsidiary's contracts are visited in the order signed, as
the reference's dict visits them: the order of the float sums.
"""

from __future__ import annotations

from sim.engine.arith import py_max, py_sum
from sim.engine.jit import jit
from sim.engine.layout import (
    AMBITION_DRIFT,
    CAPACITY,
    CPS,
    ECOSYSTEM,
    EFFORT_FLOOR,
    HQ_PRESSURE,
    N_MARKETS,
    N_MNES,
    N_SMES,
    PRESSURE_RATE,
    SIDE_BAND,
    VOLUNTARISM_PULL,
)


@jit
def side(intent, high, band):
    """§13.1 ``rules.side``: a high side stays high while the intent is at least 0.5 − band; a low side
    turns high once it reaches 0.5 + band."""
    if high:
        return intent >= 0.5 - band
    return intent >= 0.5 + band


@jit
def update_sub_side(S, P, sub, step):
    """§13.1 ``Subsidiary.update_side``: the side follows exploration beyond the band; the step of a change
    is kept (§13.2)."""
    U = S.subs
    explores = side(U.exploration[sub], U.explores[sub], P[SIDE_BAND])
    if explores != U.explores[sub]:
        U.explores[sub] = explores
        U.side_step[sub] = step


@jit
def update_sme_side(S, P, sme):
    """§13.1 ``SME.update_side``."""
    M = S.smes
    M.international[sme] = side(M.ambition[sme], M.international[sme], P[SIDE_BAND])


@jit
def effort_weight(S, P, c):
    """§7.3 ``rules.effort_weight`` of contract ``c``: (effort_floor + τ_u)·(1 + voluntarism_pull·v·c)."""
    K = S.contracts
    return (P[EFFORT_FLOOR] + K.trust_sub[c]) * (
        1.0 + P[VOLUNTARISM_PULL] * S.smes.voluntarism[K.sme[c]] * K.communication[c])


@jit
def apply_pressure(S, P, Q):
    """§7.6 stage 1 ``Headquarters.apply_pressure`` for every headquarters: an exploring subsidiary's x moves
    by −h·(1 − e)·pressure_rate·(1 − its share of contracts in Q3), floored at 0."""
    U, K, links = S.subs, S.contracts, S.subs.contracts
    for sub in range(Q[N_MNES] * Q[N_MARKETS]):
        if not U.explores[sub]:
            continue
        n3 = 0
        node = links.head[sub]
        while node >= 0:
            if K.quadrant[U.contract[node]] == 3:
                n3 += 1
            node = links.nxt[node]
        n = links.cnt[sub]
        share = n3 / n if n else 0.0
        dx = -P[HQ_PRESSURE] * (1.0 - P[ECOSYSTEM]) * P[PRESSURE_RATE] * (1.0 - share)
        U.exploration[sub] = py_max(0.0, U.exploration[sub] + dx)


@jit
def align(S, Q, rate):
    """§11.3 stage 1 ``Subsidiary.align`` for every subsidiary: x += rate·(w3·(1 − x) − w1·x), w1 and w3 the
    effort-weighted shares of its contracts in Q1 and Q3 (counted alike while no effort is allocated)."""
    U, K, links = S.subs, S.contracts, S.subs.contracts
    for sub in range(Q[N_MNES] * Q[N_MARKETS]):
        total = w1 = w3 = 0.0
        node = links.head[sub]
        while node >= 0:
            c = U.contract[node]
            e = K.effort[c]
            total += e
            if K.quadrant[c] == 1:
                w1 += e
            elif K.quadrant[c] == 3:
                w3 += e
            node = links.nxt[node]
        if total <= 0.0:
            n1 = n3 = 0
            node = links.head[sub]
            while node >= 0:
                q = K.quadrant[U.contract[node]]
                n1 += q == 1
                n3 += q == 3
                node = links.nxt[node]
            total, w1, w3 = float(links.cnt[sub]), float(n1), float(n3)
        if total > 0.0:
            x = U.exploration[sub]
            U.exploration[sub] = x + rate * (w3 / total * (1.0 - x) - w1 / total * x)


@jit
def update_sides(S, P, Q, step):
    """§13.1 stage 1: every subsidiary's side, after pressure and alignment."""
    for sub in range(Q[N_MNES] * Q[N_MARKETS]):
        update_sub_side(S, P, sub, step)


@jit
def allocate_effort(S, P, Q):
    """§7.3 ``Subsidiary.allocate_effort`` for every subsidiary: effort = capacity·weight / Σ weights, the
    sum as Python's ``sum()`` (equal shares if it is not positive)."""
    U, K, links, weights = S.subs, S.contracts, S.subs.contracts, S.tmp.floats
    capacity = P[CAPACITY]
    for sub in range(Q[N_MNES] * Q[N_MARKETS]):
        n = links.cnt[sub]
        if n == 0:
            continue
        i = 0
        node = links.head[sub]
        while node >= 0:
            weights[i] = effort_weight(S, P, U.contract[node])
            i += 1
            node = links.nxt[node]
        total = py_sum(weights, n)
        i = 0
        node = links.head[sub]
        while node >= 0:
            K.effort[U.contract[node]] = capacity / n if total <= 0.0 else capacity * weights[i] / total
            i += 1
            node = links.nxt[node]


@jit
def drift(S, P, Q):
    """§7.6 stage 6 ``SME.drift`` for every SME in the list's order: a += ambition_drift·max(0, κ̄ − a), κ̄ the
    mean knowledge over its target markets (Python's ``sum()``); then its side (§13.1)."""
    M, cps, rate = S.smes, Q[CPS], P[AMBITION_DRIFT]
    for sme in range(Q[N_SMES]):
        kbar = py_sum(M.knowledge[sme * cps:(sme + 1) * cps], cps) / cps
        a = M.ambition[sme]
        M.ambition[sme] = a + rate * py_max(0.0, kbar - a)
        update_sme_side(S, P, sme)
