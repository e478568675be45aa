"""MODEL.md §7.6: intent drift and headquarters pressure (PB paths A, B)."""

from __future__ import annotations


def ambition_drift(ambition: float, knowledge_mean: float, rate: float) -> float:
    """§7.6 Δa = ambition_drift·max(0, κ̄ − a).

    Uppsala-style: foreign-market knowledge feeds commitment, so learning can only
    raise ambition; only loyalty lowers it. Returns the increment (≥ 0).
    """
    return rate * max(0.0, knowledge_mean - ambition)


def pressure_drift(pressure: float, ecosystem: float, rate: float, share_q3: float) -> float:
    """§7.6 Δx = −h·(1 − e)·pressure_rate·(1 − share of the subsidiary's contracts in Q3).

    Headquarters pull an exploring subsidiary toward exploitation in proportion to how
    little its exploration pays; an ecosystem strategy e shelters it. Returns the
    increment (≤ 0).
    """
    return -pressure * (1.0 - ecosystem) * rate * (1.0 - share_q3)
