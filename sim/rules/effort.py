"""MODEL.md §7.3: effort allocation under a plurality of principals (BG §4.3)."""

from __future__ import annotations

from collections.abc import Sequence


def effort_weight(
    trust_sub: float, voluntarism: float, communication: float, effort_floor: float, voluntarism_pull: float
) -> float:
    """§7.3 weight = (effort_floor + τ_u)·(1 + voluntarism_pull·v·c).

    A voluntarist SME that keeps in touch draws more of its agent's attention.
    """
    return (effort_floor + trust_sub) * (1.0 + voluntarism_pull * voluntarism * communication)


def effort_shares(weights: Sequence[float], capacity: float) -> list[float]:
    """§7.3 effort = capacity · weight / Σ weights: more principals dilute each one's effort."""
    total = sum(weights)
    if total <= 0.0:
        n = len(weights)
        return [capacity / n] * n if n else []
    return [capacity * w / total for w in weights]
