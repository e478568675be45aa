"""MODEL.md §7.2: matching SMEs and subsidiaries into piggyback agency contracts."""

from __future__ import annotations

import math
from collections.abc import Sequence


def search_probability(search_rate: float, intermediary: float) -> float:
    """§7.2 search: search_rate, raised to search_rate + (1 − search_rate)·i/2 by a broker of strength i."""
    return search_rate + (1.0 - search_rate) * intermediary / 2.0


def fit(ambition: float, exploration: float) -> float:
    """§7.2 fit = 1 − |a − x|: an international SME prefers an explorer, a domestic one an exploiter."""
    return 1.0 - abs(ambition - exploration)


def logit_weights(utilities: Sequence[float], rationality: float) -> list[float]:
    """§7.2/§7.7 multinomial logit: P(k) ∝ exp(β·U_k), β = ``rationality``; returns probabilities.

    Shifted by the maximum utility, so large β never overflows.
    """
    top = max(utilities)
    w = [math.exp(rationality * (u - top)) for u in utilities]
    total = sum(w)
    return [x / total for x in w]


def start_trust(trust0: float, intermediary_trust: float, intermediary: float) -> float:
    """§7.2 initial trust of a new contract: trust0 + intermediary_trust·i, clipped to 1 (PB path D)."""
    return min(1.0, trust0 + intermediary_trust * intermediary)
