"""MODEL.md §7.5: learning and value."""

from __future__ import annotations


def knowledge_gain(
    knowledge: float, effort: float, comm: float, trust_sme: float, capability: float, learning_rate: float
) -> float:
    """§7.5 Δκ = learning_rate·effort·c·τ_s·capability·(1 − κ).

    The SME learns the foreign market through the contract's transactional channel
    (BG §4.3): its agent's effort, their communication, its trust and its absorptive
    capacity. Returns the increment, which keeps κ in [0, 1].
    """
    return learning_rate * min(effort, 1.0) * comm * trust_sme * capability * (1.0 - knowledge)


def dyad_value_mean(quadrant: int, value_q1: float, value_q3: float, value_tension: float) -> float:
    """§7.5 mean value per step to the dyad by quadrant (1..4): Q1 efficiency, Q3 innovation, Q2/Q4 tension."""
    if quadrant == 1:
        return value_q1
    if quadrant == 3:
        return value_q3
    return value_tension
