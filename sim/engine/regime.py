"""What is judged from a run's share history, compiled (MODEL.md §12.1, §13.2–13.4, §11.4).

Restates :mod:`sim.regime` (``dominant_quadrant``, ``noise_tolerance``, ``windows_agree``, ``decidable``,
``RegimeObserver.record``/``mean``/``stationary``, ``ShockWatch.observe``, ``Portfolios.record``/``states``,
``state_shares``, ``long_run_regime``) and :func:`sim.observe.judge`: window means from cumulative sums
(O(1) a step), settlement, occupancy and switches, the subsidiaries' portfolios locked or contested, the
long-run regime, the summary at horizons and the timeline.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine.arith import py_max, py_min
from sim.engine.jit import jit
from sim.engine.layout import (
    BURN_IN,
    C_LAST_QUADRANT_REGIME,
    C_N_TIMELINE,
    C_OBS_N,
    C_OBS_REGIME,
    C_OBS_START,
    C_OCCUPIED,
    C_PF_N,
    C_REGIME,
    C_REGIME_NOW,
    C_REGIME_STEP,
    C_RESOLVED,
    C_SUBS_VALID,
    C_SWITCHES,
    C_WATCH,
    C_WATCH_QUADRANT,
    C_WATCH_RETURN,
    C_WATCH_STEP,
    COEXIST_SHARE,
    COEXIST_WINDOWS,
    CONTESTED,
    DOMINANCE,
    F_WATCH_BAND,
    F_WATCH_TARGET,
    IDLE,
    R_COEXISTENCE,
    R_MIXED,
    REGIME_Z,
    SETTLE_TOLERANCE,
    SETTLE_WINDOW,
    SETTLE_Z,
)

TIMELINE_STEP = 12  # sim.vocabulary.TIMELINE_STEP (checked by tests/engine)


@jit
def first_max(x):
    """``np.argmax(x[:4])``: the first of the four quadrants with the largest value."""
    best = 0
    for i in range(1, 4):
        if x[i] > x[best]:
            best = i
    return best


@jit
def dominant_quadrant(shares, dominance):
    """§8/§12.1 ``dominant_quadrant``: the first quadrant (0–3) with the largest of the four shares, if it is
    at least ``dominance`` and positive, else mixed."""
    best = first_max(shares)
    if shares[best] >= dominance and shares[best] > 0:
        return best
    return R_MIXED


@jit
def noise_tolerance(mean_share, contracts, tolerance, z):
    """§12.1 ``noise_tolerance``: max(settle_tolerance, z·√(m(1 − m)/N))."""
    if contracts <= 0:
        return tolerance
    m = py_min(1.0, py_max(0.0, mean_share))
    return py_max(tolerance, z * math.sqrt(m * (1.0 - m) / contracts))


@jit
def windows_agree(a, b, contracts, tolerance, z):
    """§12.1 ``windows_agree``: two window means agree, quadrant by quadrant, within the noise tolerance."""
    for i in range(4):
        if abs(a[i] - b[i]) > noise_tolerance(0.5 * (a[i] + b[i]), contracts, tolerance, z) + 1e-12:
            return False
    return True


@jit
def decidable(shares, contracts, dominance, tolerance, z):
    """§12.1 ``decidable``: the largest share lies beyond the noise tolerance from ``dominance``."""
    top = shares[0]
    for i in range(1, 4):
        top = py_max(top, shares[i])
    return abs(top - dominance) > noise_tolerance(top, contracts, tolerance, z)


@jit
def mean(cum, lo, hi):
    """``RegimeObserver.mean``: mean (shares, contracts) over the steps of rows [lo, hi)."""
    out = np.empty(5)
    d = py_max(1, hi - lo)
    for i in range(5):
        out[i] = (cum[hi, i] - cum[lo, i]) / d
    return out


@jit
def window_mean(cum, n, w):
    """The mean (shares, contracts) of the last ``w`` of ``n`` recorded steps."""
    return mean(cum, n - w, n)


@jit
def record(S, P, Q, shares, contracts):
    """§12.1 ``RegimeObserver.record``: add a step's shares and contracts to the cumulative sums; the
    trailing window's regime, occupancy after burn-in, switches between quadrant regimes."""
    C, O = S.rec.C, S.obs
    n = C[C_OBS_N]
    for i in range(4):
        O.cum[n + 1, i] = O.cum[n, i] + shares[i]
    O.cum[n + 1, 4] = O.cum[n, 4] + contracts
    n += 1
    C[C_OBS_N] = n
    window, burn_in = Q[SETTLE_WINDOW], Q[BURN_IN]
    regime = dominant_quadrant(window_mean(O.cum, n, min(window, n)), P[DOMINANCE])
    C[C_OBS_REGIME] = regime
    if n > burn_in:
        O.occupancy[dominant_quadrant(shares, P[DOMINANCE])] += 1
        C[C_OCCUPIED] += 1
    if n >= burn_in + window and regime != R_MIXED:
        if C[C_LAST_QUADRANT_REGIME] != -1 and regime != C[C_LAST_QUADRANT_REGIME]:
            C[C_SWITCHES] += 1
        C[C_LAST_QUADRANT_REGIME] = regime


@jit
def stationary(S, P, Q):
    """§12.1 ``RegimeObserver.stationary``: the last two windows (after burn-in or a shock) agree within the
    noise tolerance, and the last one's regime is clear of noise."""
    C, cum, w = S.rec.C, S.obs.cum, Q[SETTLE_WINDOW]
    n = C[C_OBS_N]
    if n - 2 * w < C[C_OBS_START]:
        return False
    a, b = mean(cum, n - 2 * w, n - w), mean(cum, n - w, n)
    if not windows_agree(a, b, 0.5 * (a[4] + b[4]), P[SETTLE_TOLERANCE], P[SETTLE_Z]):
        return False
    return decidable(b, b[4], P[DOMINANCE], P[SETTLE_TOLERANCE], P[REGIME_Z])


@jit
def watch(S, shares):
    """§11.4 ``ShockWatch.observe``: the return time, the first step after the shock at which the pre-shock
    dominant quadrant's share is back within the noise band of its pre-shock mean."""
    C, F = S.rec.C, S.rec.F
    n = C[C_OBS_N]
    if C[C_WATCH] and C[C_WATCH_RETURN] == -1 and n > C[C_WATCH_STEP]:
        if abs(shares[C[C_WATCH_QUADRANT]] - F[F_WATCH_TARGET]) <= F[F_WATCH_BAND]:
            C[C_WATCH_RETURN] = n - C[C_WATCH_STEP]


@jit
def portfolios(S, Q):
    """§13.2 ``Portfolios.record``: the step's contracts per subsidiary and quadrant into the ring."""
    O, C = S.obs, S.rec.C
    w1 = Q[SETTLE_WINDOW] + 1
    n = C[C_PF_N]
    new, old = O.ring[(n + 1) % w1], O.ring[n % w1]
    for sub in range(new.shape[0]):
        for q in range(4):
            new[sub, q] = old[sub, q] + O.by_sub[sub, q + 1]
    C[C_PF_N] = n + 1


@jit
def states(S, P, Q, step):
    """§13.2 ``Portfolios.states`` and ``state_shares``: each subsidiary locked in a quadrant (its side
    unchanged for a window and at least ``dominance`` of its contract-months there), contested, or idle
    (no contract in the window); the shares among those with a portfolio into ``rec.subs_now``."""
    O, C, R = S.obs, S.rec.C, S.rec
    window = Q[SETTLE_WINDOW]
    w1 = window + 1
    n = C[C_PF_N]
    start = n - window if n >= window else 0
    now, then = O.ring[n % w1], O.ring[start % w1]
    counts = np.zeros(6, np.int64)
    held = 0
    for sub in range(now.shape[0]):
        total = 0
        top, best = 0, -1
        for q in range(4):
            k = now[sub, q] - then[sub, q]
            total += k
            if k > best:
                top, best = q, k
        settled_side = n >= window and step - S.subs.side_step[sub] >= window
        if total == 0:
            state = IDLE
        elif settled_side and best >= P[DOMINANCE] * total:
            state = top
        else:
            state = CONTESTED
        O.states[sub] = state
        counts[state] += 1
        if state != IDLE:
            held += 1
    C[C_SUBS_VALID] = 1 if held else 0
    for i in range(5):
        R.subs_now[i] = counts[i] / held if held else 0.0


@jit
def long_run_regime(S, P, Q, step):
    """§13.3 ``long_run_regime``: coexistence if Q1 and Q3 each hold at least ``coexist_share`` over the last
    window, the last ``coexist_windows`` windows agree pairwise and no side changed in that time; a split that
    is not yet that stays unresolved (-1), never the quadrant holding half the contracts. Otherwise a quadrant
    (0–3) holding at least ``dominance`` of the contracts, clear of noise, stationary, no subsidiary
    contested; else -1."""
    C, cum = S.rec.C, S.obs.cum
    w, n, start = Q[SETTLE_WINDOW], C[C_OBS_N], C[C_OBS_START]
    if n - 2 * w < start:
        return -1
    a, b = mean(cum, n - 2 * w, n - w), mean(cum, n - w, n)
    if b[0] >= P[COEXIST_SHARE] and b[2] >= P[COEXIST_SHARE]:
        k = Q[COEXIST_WINDOWS]
        last_side = 0
        for sub in range(S.subs.side_step.shape[0]):
            last_side = py_max(last_side, S.subs.side_step[sub])
        if n - k * w < start or last_side > step - k * w:
            return -1
        new = b
        for j in range(1, k):
            old = mean(cum, n - (j + 1) * w, n - j * w)
            if not windows_agree(old, new, 0.5 * (old[4] + new[4]), P[SETTLE_TOLERANCE], P[SETTLE_Z]):
                return -1
            new = old
        return R_COEXISTENCE
    top = first_max(b)
    if b[top] >= P[DOMINANCE]:
        contested = False
        for sub in range(S.obs.states.shape[0]):
            if S.obs.states[sub] == CONTESTED:
                contested = True
                break
        if (not contested and windows_agree(a, b, 0.5 * (a[4] + b[4]), P[SETTLE_TOLERANCE], P[SETTLE_Z])
                and decidable(b, b[4], P[DOMINANCE], P[SETTLE_TOLERANCE], P[REGIME_Z])):
            return top
    return -1


@jit
def judge(S, P, Q, H, step):
    """§13.2–13.4 ``judge``: the subsidiaries' states, the long-run regime (resolved the first time the rule
    holds), the summary at a horizon, a timeline row every ``TIMELINE_STEP`` months."""
    C, R = S.rec.C, S.rec
    states(S, P, Q, step)
    now = long_run_regime(S, P, Q, step)
    C[C_REGIME_NOW] = now
    if now != -1 and not C[C_RESOLVED]:
        C[C_RESOLVED], C[C_REGIME], C[C_REGIME_STEP] = 1, now, step
    for h in range(H.shape[0]):
        if H[h] == step:
            R.hz_regime[h] = C[C_OBS_REGIME]
            R.hz_valid[h] = C[C_SUBS_VALID] == 1
            for i in range(5):
                R.hz_subs[h, i] = R.subs_now[i]
    if step % TIMELINE_STEP == 0:
        timeline(S, step, C[C_OBS_REGIME], C[C_REGIME] if C[C_RESOLVED] else -1, C[C_SUBS_VALID] == 1)


@jit
def timeline(S, month, regime, long_run, valid):
    """One row of the timeline table (§13.4): the window-mean regime, the long-run regime once resolved
    (-1: not yet), the subsidiaries' states (if any has a portfolio)."""
    R = S.rec
    row = R.C[C_N_TIMELINE]
    R.tl_int[row, 0], R.tl_int[row, 1], R.tl_int[row, 2] = month, regime, long_run
    R.tl_valid[row] = valid
    for i in range(5):
        R.tl_subs[row, i] = R.subs_now[i] if valid else 0.0
    R.C[C_N_TIMELINE] = row + 1
