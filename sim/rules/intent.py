"""MODEL.md §7.6 and §11.3: intent drift, headquarters pressure, alignment (PB paths A, B)."""

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


def alignment_drift(exploration: float, weight_q1: float, weight_q3: float, rate: float) -> float:
    """§11.3 Δx = alignment_pull·(w3·(1 − x) − w1·x).

    Aligned contracts reinforce the intent that serves them (PB: Q1 and Q3 are
    self-reinforcing): w3 and w1 are the effort-weighted shares of the subsidiary's
    contracts in Q3 and Q1. A Q3 portfolio pulls x toward 1, a Q1 portfolio toward 0;
    contracts in tension add nothing. Returns the increment, which keeps x in [0, 1].
    """
    return rate * (weight_q3 * (1.0 - exploration) - weight_q1 * exploration)


def side(intent: float, high: bool, band: float) -> bool:
    """§13.1 a firm's side, with a band: True is the high side (a subsidiary explores, an SME is
    international), False the low one (exploits, domestic).

    A side changes only when the intent crosses beyond the band: a low side turns high once the
    intent reaches 0.5 + band, a high side turns low once it falls below 0.5 − band; inside the band
    the side stays as it was. With band 0 the side is version 2's (high iff intent ≥ 0.5), whatever it
    was. Without a band, a firm whose intent hovers near 0.5 flips all its contracts across the
    quadrant line and back, and path counts measure that noise.
    """
    if high:
        return intent >= 0.5 - band
    return intent >= 0.5 + band
