"""MODEL.md §12.1, §13.2–13.3: a run's share history and what is judged from it: the regime of a window's
mean shares, settlement (stationarity within sampling noise), occupancy, regime switches, a shock's return
(§11.4); the subsidiaries' portfolios, locked or contested; and the long-run regime."""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim.vocabulary import COEXISTENCE, MIXED, QUADRANTS, REGIMES, SUBSIDIARY_STATES


def dominant_quadrant(shares, dominance: float) -> str:
    """§8/§12.1 the quadrant whose share (or mean share) is at least ``dominance``, else ``"mixed"``."""
    best = int(np.argmax(shares))
    if shares[best] >= dominance and shares[best] > 0:
        return QUADRANTS[best]
    return MIXED


def noise_tolerance(mean_share: float, contracts: float, tolerance: float, z: float) -> float:
    """§12.1 how far a window-mean share may move by sampling noise alone:
    max(settle_tolerance, z·√(m(1 − m)/N)), N the mean number of contracts.

    √(m(1 − m)/N) is the standard error of one step's share among N contracts. Shares are
    strongly autocorrelated (contracts last for years), so a window mean carries about one
    snapshot's worth of information, not ``settle_window`` snapshots'.
    """
    if contracts <= 0:
        return tolerance
    m = min(1.0, max(0.0, mean_share))
    return max(tolerance, z * math.sqrt(m * (1.0 - m) / contracts))


def windows_agree(mean_a, mean_b, contracts: float, tolerance: float, z: float) -> bool:
    """§12.1 settlement test: two consecutive windows' mean shares agree, quadrant by quadrant,
    within the noise tolerance at their common mean."""
    for a, b in zip(mean_a, mean_b):
        if abs(a - b) > noise_tolerance(0.5 * (a + b), contracts, tolerance, z) + 1e-12:
            return False
    return True


def decidable(mean_shares, contracts: float, dominance: float, tolerance: float, z: float) -> bool:
    """§12.1 the regime of these mean shares is clear of sampling noise: the largest share lies
    beyond the noise tolerance from ``dominance`` (above it: that quadrant; below it: mixed).

    A population whose leading share sits within noise of the threshold has no regime yet: its
    label would flip with the next few entrants."""
    top = float(max(mean_shares))
    return abs(top - dominance) > noise_tolerance(top, contracts, tolerance, z)


class RegimeObserver:
    """§12.1: the share history of a run, and what is judged from it.

    - settlement: after ``burn_in`` (and after a shock, if any), the run has settled when the
      mean shares of the last two consecutive windows of ``window`` steps agree within ``z``
      standard errors (:func:`windows_agree`) and the last window's regime is clear of noise by
      ``regime_z`` standard errors (:func:`decidable`);
    - the regime: the dominant quadrant of the mean shares over the last window, else mixed;
    - occupancy: the fraction of post-burn-in steps in which each quadrant held ≥ ``dominance``
      of the contracts (``mixed``: none did);
    - regime switches: changes of the trailing-window regime between two quadrants after
      burn-in (a passage through ``mixed`` between the same quadrant is no switch).

    Window means come from cumulative sums, so every step costs O(1).
    """

    def __init__(
        self, burn_in: int, window: int, tolerance: float, z: float, dominance: float, capacity: int, regime_z: float
    ):
        self.burn_in = burn_in
        self.window = window
        self.tolerance = tolerance
        self.z = z
        self.regime_z = regime_z
        self.dominance = dominance
        self.cum = np.zeros((capacity + 1, 5))  # row i: Σ of (shares, contracts) over the first i steps
        self.n = 0  # steps recorded (step k is row k − 1)
        self.start = burn_in  # first row a settlement window may use (moves after a shock)
        self.occupancy = dict.fromkeys(REGIMES, 0)
        self.occupied_steps = 0
        self.regime = MIXED  # trailing-window regime now
        self.last_quadrant_regime: str | None = None
        self.switches = 0

    def record(self, shares, contracts: int) -> None:
        if self.n + 1 == len(self.cum):  # past the planned capacity: grow
            self.cum = np.concatenate([self.cum, np.zeros_like(self.cum)])
        row = self.cum[self.n + 1]
        row[:4] = self.cum[self.n, :4] + shares
        row[4] = self.cum[self.n, 4] + contracts
        self.n += 1
        w = min(self.window, self.n)
        self.regime = dominant_quadrant(self.mean(self.n - w, self.n)[:4], self.dominance)
        if self.n > self.burn_in:
            self.occupancy[dominant_quadrant(shares, self.dominance)] += 1
            self.occupied_steps += 1
        if self.n >= self.burn_in + self.window and self.regime != MIXED:
            if self.last_quadrant_regime is not None and self.regime != self.last_quadrant_regime:
                self.switches += 1
            self.last_quadrant_regime = self.regime

    def mean(self, lo: int, hi: int) -> np.ndarray:
        """Mean (shares, contracts) over rows [lo, hi)."""
        return (self.cum[hi] - self.cum[lo]) / max(1, hi - lo)

    def window_mean(self) -> np.ndarray:
        """Mean shares over the last window (the composition)."""
        return self.mean(self.n - min(self.window, self.n), self.n)[:4]

    def stationary(self) -> bool:
        """Do the last two windows (both after ``start``) agree within the noise tolerance, with a
        regime clear of noise?"""
        w = self.window
        if self.n - 2 * w < self.start:
            return False
        a, b = self.mean(self.n - 2 * w, self.n - w), self.mean(self.n - w, self.n)
        n = 0.5 * (a[4] + b[4])
        return bool(windows_agree(a[:4], b[:4], n, self.tolerance, self.z)) and decidable(
            b[:4], b[4], self.dominance, self.tolerance, self.regime_z
        )

    def occupancy_shares(self) -> dict[str, float | None]:
        if not self.occupied_steps:
            return dict.fromkeys(REGIMES, None)
        return {r: k / self.occupied_steps for r, k in self.occupancy.items()}


class ShockWatch:
    """§11.4: the regime before a shock, and whether and when it returns.

    The pre-shock regime and mean shares are those of the last window before the shock. The
    return time is the number of steps after the shock until the pre-shock dominant quadrant's
    share is back within the noise tolerance of its pre-shock mean; None while it is not
    (censored at the end of the run). Whether the regime returned is the model's to say: the
    long-run regime resolved after the shock is the pre-shock regime (§13.6).
    """

    def __init__(self, step: int, regime: str, mean_shares, contracts: float, tolerance: float, z: float):
        self.step = step
        self.regime = regime
        self.quadrant = int(np.argmax(mean_shares))  # the dominant quadrant (largest mean share if mixed)
        self.target = float(mean_shares[self.quadrant])
        self.band = noise_tolerance(self.target, contracts, tolerance, z)
        self.return_time: int | None = None

    def observe(self, step: int, shares) -> None:
        if self.return_time is None and step > self.step and abs(shares[self.quadrant] - self.target) <= self.band:
            self.return_time = step - self.step


class Portfolios:
    """§13.2: each subsidiary's contract-months by quadrant over the last window (cumulative counts in a
    ring of ``window + 1`` rows, so memory does not grow with the run), from which its state is judged:
    **locked** in Qk when its side has not changed during the last window and at least ``dominance`` of
    its contract-months in the window lie in Qk, **contested** otherwise. A subsidiary that held no
    contract in the window has no portfolio to judge (``IDLE``) and is left out of the shares."""

    def __init__(self, n_subs: int, window: int, dominance: float) -> None:
        self.window = window
        self.dominance = dominance
        self.ring = np.zeros((window + 1, n_subs, 4), dtype=np.int64)
        self.n = 0

    def record(self, counts) -> None:
        """One step's contracts per subsidiary and quadrant (an ``n_subs × 4`` array)."""
        w1 = self.window + 1
        self.ring[(self.n + 1) % w1] = self.ring[self.n % w1] + counts
        self.n += 1

    def window_counts(self) -> np.ndarray:
        """Contract-months per subsidiary and quadrant over the last ``min(window, steps)`` steps."""
        w1 = self.window + 1
        start = self.n - self.window if self.n >= self.window else 0
        return self.ring[self.n % w1] - self.ring[start % w1]

    def states(self, step: int, side_steps) -> np.ndarray:
        """Each subsidiary's state now: 0–3 locked in Q1–Q4, :data:`CONTESTED` or :data:`IDLE`."""
        counts = self.window_counts()
        total = counts.sum(axis=1)
        top = counts.argmax(axis=1)
        settled_side = (self.n >= self.window) & (step - np.asarray(side_steps) >= self.window)
        locked = settled_side & (counts.max(axis=1) >= self.dominance * total) & (total > 0)
        return np.where(total == 0, IDLE, np.where(locked, top, CONTESTED))


CONTESTED, IDLE = 4, 5


def state_shares(states: np.ndarray) -> dict[str, float | None]:
    """§13.2 the shares of subsidiaries locked in each quadrant and contested, among those with a portfolio
    (``subs_Q1`` … ``subs_Q4``, ``subs_contested``); None when no subsidiary has one."""
    held = states[states != IDLE]
    if not len(held):
        return dict.fromkeys(SUBSIDIARY_STATES)
    counts = np.bincount(held, minlength=5)
    return {name: float(k) / len(held) for name, k in zip(SUBSIDIARY_STATES, counts)}


def long_run_regime(obs: RegimeObserver, states: np.ndarray, side_steps, step: int, coexist_windows: int,
                    coexist_share: float) -> str | None:
    """§13.3 the long-run regime the run is in now, or None (not resolved):

    - ``coexistence``: Q1 and Q3 each hold at least ``coexist_share`` of the contracts over the last window,
      the last ``coexist_windows`` windows agree pairwise (:func:`windows_agree`) and no subsidiary changed
      side in that time: a stable split of locked portfolios;
    - ``Q1`` … ``Q4``: that quadrant holds at least ``dominance`` of the contracts over the last window, clear
      of sampling noise (:func:`decidable`), the last two windows agree (the composition is stationary), no
      subsidiary is contested, and the population is not a split.

    A split (Q1 and Q3 both at least ``coexist_share``) is judged as coexistence or not yet resolved, never as
    the quadrant that happens to hold half the contracts: otherwise a stable split of, say, seven Q1 and
    five Q3 portfolios would be labelled Q1 or coexistence as its composition wanders across one half,
    and the label would not be confirmed. Windows lie after ``obs.start`` (burn-in, or a shock)."""
    w, n = obs.window, obs.n
    if n - 2 * w < obs.start:
        return None
    a, b = obs.mean(n - 2 * w, n - w), obs.mean(n - w, n)
    if b[0] >= coexist_share and b[2] >= coexist_share:
        k = coexist_windows
        if n - k * w < obs.start or max(side_steps, default=0) > step - k * w:
            return None
        means = [obs.mean(n - (j + 1) * w, n - j * w) for j in range(k)]
        if all(windows_agree(old[:4], new[:4], 0.5 * (old[4] + new[4]), obs.tolerance, obs.z)
               for new, old in itertools.pairwise(means)):
            return COEXISTENCE
        return None
    top = int(np.argmax(b[:4]))
    if (b[top] >= obs.dominance and not (states == CONTESTED).any()
            and windows_agree(a[:4], b[:4], 0.5 * (a[4] + b[4]), obs.tolerance, obs.z)
            and decidable(b[:4], b[4], obs.dominance, obs.tolerance, obs.regime_z)):
        return QUADRANTS[top]
    return None
