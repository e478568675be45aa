"""The statistics the scheduler needs: Wilson intervals of outcome frequencies (adaptive replicates)."""

from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


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


def max_halfwidth(outcomes: list[str]) -> float:
    """Largest 95 % Wilson half-width over the outcome frequencies (Q1..Q4, mixed, unsettled)."""
    from experiments.config import OUTCOMES

    return max_halfwidth_counts(np.array([outcomes.count(o) for o in OUTCOMES]), len(outcomes))
