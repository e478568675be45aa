"""MODEL.md §11.2: influence on a subsidiary is shared across its portfolio (plurality of principals)."""

from __future__ import annotations


def influence_share(weight: float, total_weight: float, portfolio_size: int) -> float:
    """§11.2 the share of a subsidiary's intent one contract can move: its effort weight / Σ weights.

    BG's plurality of principals dilutes each SME's claim on its agent's effort (§7.3); it
    dilutes each one's influence on the agent's intent the same way, so a voluntarist,
    trusted partner weighs more and a subsidiary with one contract gets the full shift.
    With no positive weight the portfolio shares equally.
    """
    if portfolio_size <= 1:
        return 1.0
    if total_weight <= 0.0:
        return 1.0 / portfolio_size
    return weight / total_weight


def shared_shift(shift: float, share: float) -> float:
    """§11.2 a shift of the subsidiary's intent caused by one contract, weighted by its share:
    path C (an SME's successful voice, x += voice_shift·share) and path B (the subsidiary's
    loyalty in a Q4 contract, x −= loyalty_shift·(1 + h)·share)."""
    return shift * share
