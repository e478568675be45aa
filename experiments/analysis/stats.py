"""The intervals, defined once: a Wilson score interval for a share of runs (an outcome frequency, the mean of a
yes/no key), and a percentile bootstrap for the mean of any other per-run quantity, which stays inside the
range of the data, so a bounded quantity (a rate, a share) never gets a band below 0 or above 1
(mean ± 1.96 s.e. would). The scheduler uses the Wilson half-width to decide adaptive replicates."""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054
BOOTSTRAP_RESAMPLES = 2000


def wilson(k: int | np.ndarray, n: int | np.ndarray, z: float = Z95):
    """Wilson score interval (lo, hi) for k successes in n trials; (0, 1) when n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, 0.0)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lo = np.where(n > 0, np.clip(centre - half, 0, 1), 0.0)
        hi = np.where(n > 0, np.clip(centre + half, 0, 1), 1.0)
    return lo, hi


def max_halfwidth_counts(counts: np.ndarray, n: int) -> float:
    """Largest 95 % Wilson half-width over outcome counts ``counts`` out of ``n`` runs."""
    if n == 0:
        return 1.0
    lo, hi = wilson(np.asarray(counts), n)
    return float(np.max((hi - lo) / 2))


def max_halfwidth(outcomes: list[str], categories: tuple[str, ...]) -> float:
    """Largest 95 % Wilson half-width over the frequencies of ``categories`` among ``outcomes``."""
    return max_halfwidth_counts(np.array([outcomes.count(o) for o in categories]), len(outcomes))


def mean_interval(values: np.ndarray, seed: tuple[int, ...], flag: bool = False) -> tuple[float, float, float]:
    """Mean and 95 % interval: Wilson for a share (``flag``), else a percentile bootstrap (see the module)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.nan, np.nan, np.nan
    if flag:
        lo, hi = wilson(int(v.sum()), len(v))
        return float(v.mean()), min(float(lo), float(v.mean())), max(float(hi), float(v.mean()))
    if len(v) < 2 or np.all(v == v[0]):
        return float(v.mean()), float(v.mean()), float(v.mean())
    from scipy import stats

    ci = stats.bootstrap((v,), np.mean, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=0.95,
                         method="percentile", rng=np.random.default_rng(seed)).confidence_interval
    return float(v.mean()), float(ci.low), float(ci.high)
