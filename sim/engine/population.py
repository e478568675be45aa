"""Who is in the population, who arrives and who leaves, compiled (MODEL.md §5, §11.1, §11.4).

Restates ``PiggybackModel._build_population``, ``ContractBook.add_subsidiary``/``add_sme``/``remove_sme``
and :mod:`sim.population` (``draw_intent``, ``beta_mean``, ``draw_markets``, ``new_sme``, ``depart``,
``replace``, ``turnover``, ``renew_mandate``, ``shock``), with the same draws in the same order.
``rng.choice(n, k, replace=False)`` (the shock) is done as NumPy does it (:func:`choice`), so that no
draw leaves compiled code.
"""

from __future__ import annotations

import numpy as np

from sim.engine import book, lists
from sim.engine.arith import py_max, py_min
from sim.engine.jit import jit
from sim.engine.layout import (
    A_DRIFT,
    BOUNDARY_SPANNING,
    C_DEPARTURES,
    C_ENTRANTS,
    C_NEXT_AGENT,
    C_OBS_N,
    C_OBS_REGIME,
    C_OBS_START,
    C_QUADRANT,
    C_REGIME,
    C_REGIME_STEP,
    C_RESOLVED,
    C_SETTLE_STEP,
    C_SETTLED,
    C_STEPS,
    C_SUB_RENEWALS,
    C_WATCH,
    C_WATCH_QUADRANT,
    C_WATCH_REGIME,
    C_WATCH_RETURN,
    C_WATCH_STEP,
    CAPABILITY,
    CPS,
    E_DEPARTURE,
    E_FORMED,
    ENTRY_P_INTERNATIONAL,
    F_WATCH_BAND,
    F_WATCH_TARGET,
    I_INTERNATIONAL,
    I_MIXED,
    INITIAL_QUADRANT,
    KNOWLEDGE0,
    LOF0,
    N_MARKETS,
    N_MNES,
    N_NICHES,
    N_SMES,
    NONE,
    P_EXPLORE,
    P_INTERNATIONAL,
    R_UNRESOLVED,
    R_UNSETTLED,
    SETTLE_TOLERANCE,
    SETTLE_WINDOW,
    SETTLE_Z,
    SHOCK_INTENT,
    SHOCK_K,
    SME_TURNOVER,
    SUB_TURNOVER,
    TRUST0,
    UID_SUB0,
    VOLUNTARISM,
)
from sim.engine.regime import first_max, noise_tolerance, window_mean

BELOW_HALF = float(np.nextafter(0.5, 0.0))


@jit
def draw_intent(rng, high):
    """§5 ``draw_intent``: 0.5 ± 0.5·Beta(2, 2) on the chosen side of 0.5."""
    b = 0.5 * rng.beta(2.0, 2.0)
    return 0.5 + b if high else py_min(0.5 - b, BELOW_HALF)


@jit
def beta_mean(rng, mean):
    """§5 ``beta_mean``: Beta with the given mean and concentration 10; no draw at 0 or 1."""
    if mean <= 0.0 or mean >= 1.0:
        return mean
    return rng.beta(10.0 * mean, 10.0 * (1.0 - mean))


@jit
def choice(rng, n, k, marks):
    """``rng.choice(n, k, replace=False)`` as NumPy's ``Generator.choice`` draws it: for n ≤ 10,000 or
    k ≤ n // 50 Floyd's algorithm then a shuffle of the chosen, else a shuffle of the tail of 0 … n − 1;
    bounded integers throughout (``marks``: n falses, left false)."""
    out = np.empty(k, np.int64)
    if n > 10000 and k > n // 50:
        idx = np.arange(n)
        for i in range(n - 1, max(n - k, 1) - 1, -1):
            j = rng.integers(0, i + 1)
            idx[i], idx[j] = idx[j], idx[i]
        for i in range(k):
            out[i] = idx[n - k + i]
        return out
    t = 0
    for j in range(n - k, n):
        val = rng.integers(0, j + 1)
        if marks[val]:
            val = j
        marks[val] = True
        out[t] = val
        t += 1
    for i in range(k):
        marks[out[i]] = False
    for i in range(k - 1, 0, -1):
        j = rng.integers(0, i + 1)
        out[i], out[j] = out[j], out[i]
    return out


@jit
def ascending(values, marks):
    """``sorted(values)`` of distinct indexes below ``len(marks)``, by marking them (``marks``: all false,
    left false): O(n), whatever their number."""
    for v in values:
        marks[v] = True
    n = 0
    for i in range(len(marks)):
        if marks[i]:
            marks[i] = False
            values[n] = i
            n += 1
    return values


@jit
def draw_markets(rng, n, k, out, at, marks):
    """§5 ``draw_markets``: ``k`` distinct target markets of ``n`` into ``out[at:at + k]``, as
    ``rng.choice(n, k, replace=False)`` draws them for n ≤ 10,000 (``n_markets`` never exceeds it)."""
    chosen = choice(rng, n, k, marks)
    for i in range(k):
        out[at + i] = chosen[i]


@jit
def new_sme(S, P, Q, rng, slot, international):
    """§5/§11.1 ``new_sme``: niche, intent, voluntarism, capability, boundary spanning and target markets
    drawn in this order, knowledge ``knowledge0``, no contract; it seeks an agent in each target market
    (``ContractBook.add_sme``). Takes place ``slot`` and the next unique id."""
    M, C = S.smes, S.rec.C
    cps, nn = Q[CPS], Q[N_NICHES]
    M.uid[slot] = C[C_NEXT_AGENT]
    C[C_NEXT_AGENT] += 1
    M.niche[slot] = rng.integers(0, nn)
    M.ambition[slot] = draw_intent(rng, international)
    M.international[slot] = international
    M.voluntarism[slot] = beta_mean(rng, P[VOLUNTARISM])
    M.capability[slot] = beta_mean(rng, P[CAPABILITY])
    M.spanning[slot] = beta_mean(rng, P[BOUNDARY_SPANNING])
    draw_markets(rng, Q[N_MARKETS], cps, M.targets, slot * cps, S.tmp.marks)
    M.founder[slot] = False
    M.moved_by[slot], M.moved_step[slot] = A_DRIFT, -1
    M.last_action[slot], M.last_action_step[slot] = -1, -1
    M.n_contracts[slot] = 0
    M.n_shunned[slot] = 0
    for j in range(cps):
        at = slot * cps + j
        M.knowledge[at] = P[KNOWLEDGE0]
        M.contract[at] = -1
        M.pending[at] = 0
        lists.append(S.index.seeking, M.targets[at] * nn + M.niche[slot], at)


@jit
def build(S, P, Q, rng):
    """§5 ``_build_population``: subsidiaries MNE by MNE and market by market (side, intent, boundary
    spanning), each free in every niche; then SMEs, each with an initial contract (trust ``trust0``) in
    each target market with a subsidiary drawn among those that have its niche free."""
    U, nn, cps = S.subs, Q[N_NICHES], Q[CPS]
    start = Q[INITIAL_QUADRANT]
    for sub in range(Q[N_MNES] * Q[N_MARKETS]):
        explores = rng.random() < P[P_EXPLORE] if start == 0 else start >= 3
        U.exploration[sub] = draw_intent(rng, explores)
        U.explores[sub] = explores
        U.lof[sub] = P[LOF0]
        U.spanning[sub] = beta_mean(rng, P[BOUNDARY_SPANNING])
        for k in range(nn):
            lists.append(S.index.free, (sub % Q[N_MARKETS]) * nn + k, sub * nn + k)
    S.rec.C[C_NEXT_AGENT] = Q[UID_SUB0] + Q[N_MNES] * Q[N_MARKETS]
    for slot in range(Q[N_SMES]):
        international = rng.random() < P[P_INTERNATIONAL] if start == 0 else start == 2 or start == 3
        new_sme(S, P, Q, rng, slot, international)
        S.smes.founder[slot] = True
        for j in range(cps):
            key = S.smes.targets[slot * cps + j] * nn + S.smes.niche[slot]
            n = lists.to_array(S.index.free, key, S.tmp.nodes)
            if n:
                sub = S.tmp.nodes[rng.integers(0, n)] // nn
                c = book.sign(S, Q, slot, j, sub, P[TRUST0])
                book.record(S, Q, S.rec.C[C_STEPS], E_FORMED, c, NONE, NONE, NONE, NONE)


@jit
def depart(S, Q, slot, step):
    """§11.1 ``depart``: the SME's contracts end in the order signed (a departure, not an exit: each
    opens its agent's niche for refilling), it stops seeking, and its former partners forget it."""
    M, K, U, T = S.smes, S.contracts, S.subs, S.tmp
    cps, nn = Q[CPS], Q[N_NICHES]
    n = 0
    for j in range(cps):
        c = M.contract[slot * cps + j]
        if c >= 0:
            i = n
            while i > 0 and K.uid[T.nodes[i - 1]] > K.uid[c]:  # insertion sort by uid (order signed)
                T.nodes[i] = T.nodes[i - 1]
                i -= 1
            T.nodes[i] = c
            n += 1
    for i in range(n):
        c = T.nodes[i]
        book.record(S, Q, step, E_DEPARTURE, c, NONE, NONE, NONE, NONE)
        node = K.sub[c] * nn + K.niche[c]
        if not U.is_open[node]:
            U.is_open[node] = True
            lists.append(U.open, K.sub[c], node)
        book.end(S, Q, c)
    for j in range(cps):
        at = slot * cps + j
        lists.remove(S.index.seeking, M.targets[at] * nn + M.niche[slot], at)
    M.n_shunned[slot] = 0
    S.rec.C[C_DEPARTURES] += 1


@jit
def replace(S, P, Q, rng, slot, international, step):
    """§11.1 ``replace``: the SME in ``slot`` departs and an entrant takes its place."""
    depart(S, Q, slot, step)
    new_sme(S, P, Q, rng, slot, international)
    S.rec.C[C_ENTRANTS] += 1


@jit
def turnover(S, P, Q, rng, step):
    """§11.1 ``turnover``: one uniform per SME (all drawn first), each below ``sme_turnover`` replaced by an
    entrant, international with ``entry_p_international``; then one uniform per subsidiary, each below
    ``sub_turnover`` renewing its mandate. No draw at a rate of 0."""
    u = S.tmp.uniforms
    if P[SME_TURNOVER] > 0.0:
        n = Q[N_SMES]
        for i in range(n):
            u[i] = rng.random()
        for i in range(n):
            if u[i] < P[SME_TURNOVER]:
                replace(S, P, Q, rng, i, rng.random() < P[ENTRY_P_INTERNATIONAL], step)
    if P[SUB_TURNOVER] > 0.0:
        n = Q[N_MNES] * Q[N_MARKETS]
        for i in range(n):
            u[i] = rng.random()
        for i in range(n):
            if u[i] < P[SUB_TURNOVER]:
                renew_mandate(S, P, rng, i, step)


@jit
def renew_mandate(S, P, rng, sub, step):
    """§11.1 ``renew_mandate``: the exploration intent redrawn as in §5; the drawn side is the new side."""
    U = S.subs
    explores = rng.random() < P[P_EXPLORE]
    U.exploration[sub] = draw_intent(rng, explores)
    if explores != U.explores[sub]:
        U.explores[sub] = explores
        U.side_step[sub] = step
    S.rec.C[C_SUB_RENEWALS] += 1


@jit
def shock(S, P, Q, rng, step):
    """§11.4 ``PiggybackModel.shock`` at ``shock_step``: the regime before it is watched for its return
    (if anything was observed yet), ``round(shock_share·n)`` SMEs chosen at random (in ascending order)
    are replaced by entrants of ``shock_intent``, and settlement and the long-run regime are judged
    afresh after it."""
    C, F = S.rec.C, S.rec.F
    n = C[C_OBS_N]
    if n:
        before = window_mean(S.obs.cum, n, min(Q[SETTLE_WINDOW], n))
        q = first_max(before)
        C[C_WATCH], C[C_WATCH_STEP], C[C_WATCH_REGIME], C[C_WATCH_QUADRANT] = 1, n, C[C_OBS_REGIME], q
        F[F_WATCH_TARGET] = before[q]
        F[F_WATCH_BAND] = noise_tolerance(before[q], before[4], P[SETTLE_TOLERANCE], P[SETTLE_Z])
        C[C_WATCH_RETURN] = -1
    k = Q[SHOCK_K]
    if k:
        chosen = ascending(choice(rng, Q[N_SMES], k, S.tmp.marks), S.tmp.marks)
        intent = Q[SHOCK_INTENT]
        for i in range(k):
            international = intent == I_INTERNATIONAL or (
                intent == I_MIXED and rng.random() < P[ENTRY_P_INTERNATIONAL])
            replace(S, P, Q, rng, chosen[i], international, step)
    C[C_OBS_START] = py_max(C[C_OBS_START], C[C_OBS_N])
    C[C_SETTLED], C[C_SETTLE_STEP], C[C_QUADRANT] = 0, -1, R_UNSETTLED
    C[C_RESOLVED], C[C_REGIME_STEP], C[C_REGIME] = 0, -1, R_UNRESOLVED
