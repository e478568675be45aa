"""MODEL.md §7.7: tension and exit / voice / loyalty (PB; Hirschman 1970)."""

from __future__ import annotations

import math

from sim.rules.matching import logit_weights
from sim.vocabulary import ACTIONS, EXIT, LOYALTY, VOICE  # noqa: F401  (ACTIONS re-exported)

MATURITY_STEPS = 24  # ℓ reaches its full weight after two years of contract age


def frustration_step(frustration: float, intent: float, thwarted: bool, decay: float) -> float:
    """§7.7 frustration: f += 2·(intent − 0.5) while thwarted, else f ← (1 − decay)·f.

    Measured from the party's own intent (each increment in (0, 1]), so a partner just
    across 0.5 cannot freeze a tension.
    """
    if thwarted:
        return frustration + 2.0 * abs(intent - 0.5)
    return (1.0 - decay) * frustration


def loyalty_stock(trust_own: float, age: int) -> float:
    """§7.7 ℓ = τ_own · min(1, age / 24): loyalty grows with trust and the contract's maturity."""
    return trust_own * min(1.0, age / MATURITY_STEPS)


def loyalty_utility(loyalty: float, loyalty_weight: float) -> float:
    """§7.7 U_L = loyalty_weight · ℓ."""
    return loyalty_weight * loyalty


def exit_utility(best_alternative_fit: float | None, exit_cost: float) -> float:
    """§7.7 U_E = fit of the best alternative partner in that market (0 if none) − exit_cost."""
    return (best_alternative_fit or 0.0) - exit_cost


def voice_probability(
    trust_partner: float,
    spanning: float,
    ecosystem: float,
    intermediary: float,
    loyalty: float,
    has_alternative: bool,
    hypothesis: str,
    voice_base: float,
    voice_trust: float,
    voice_spanning: float,
    voice_ecosystem: float,
    voice_intermediary: float,
    voice_h: float,
) -> float:
    """§7.7 p_V = σ(voice_base + voice_trust·τ_partner + voice_spanning·b + voice_ecosystem·e
    + voice_intermediary·i + H).

    H is the voice hypothesis PB leave open: ``"loyalty"`` → H = voice_h·ℓ (voice works
    from a position of loyalty); ``"exit_threat"`` → H = voice_h·[an alternative partner
    exists] (voice works with a credible threat of exit).
    """
    if hypothesis == "loyalty":
        h = voice_h * loyalty
    elif hypothesis == "exit_threat":
        h = voice_h * (1.0 if has_alternative else 0.0)
    else:
        raise ValueError(f"parameter 'voice_hypothesis': invalid value {hypothesis!r}; valid: loyalty, exit_threat")
    z = (
        voice_base
        + voice_trust * trust_partner
        + voice_spanning * spanning
        + voice_ecosystem * ecosystem
        + voice_intermediary * intermediary
        + h
    )
    return 1.0 / (1.0 + math.exp(-z))


def voice_utility(p_voice: float, voice_gain: float, voice_cost: float) -> float:
    """§7.7 U_V = p_V·voice_gain − voice_cost."""
    return p_voice * voice_gain - voice_cost


def choose_action(u_loyalty: float, u_exit: float, u_voice: float, rationality: float, draw: float) -> str:
    """§7.7 multinomial logit over (loyalty, exit, voice) at inverse temperature ``rationality``.

    ``draw`` is a uniform number in [0, 1) from the model's generator, so the choice
    itself stays a pure function.
    """
    p = logit_weights((u_loyalty, u_exit, u_voice), rationality)
    if draw < p[0]:
        return LOYALTY
    if draw < p[0] + p[1]:
        return EXIT
    return VOICE
