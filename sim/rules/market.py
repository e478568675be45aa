"""MODEL.md §7.1: opportunities, solution selling, liability of foreignness (BG §4.1–4.2)."""

from __future__ import annotations


def detection_probability(lof: float, detect_base: float, platform: bool, platform_boost: float) -> float:
    """§7.1 detection: p = detect_base·(1 − L); with a platform p + platform_boost·(1 − p).

    The platform pools the opportunity intelligence of an MNE's subsidiaries (BG P2).
    """
    p = detect_base * (1.0 - lof)
    if platform:
        p += platform_boost * (1.0 - p)
    return p


def sale_probability(lof: float, effort: float) -> float:
    """§7.1 solution sale: success with probability (1 − L)·(0.5 + 0.5·effort share).

    ``effort`` is the contract's effort (capacity × share), capped at 1.
    """
    return (1.0 - lof) * (0.5 + 0.5 * min(effort, 1.0))


def lof_update(
    lof: float,
    lof0: float,
    coverage: float,
    platform: bool,
    lof_recovery: float,
    lof_portfolio: float,
    lof_platform: float,
) -> float:
    """§7.1 liability of foreignness, L ← L + r·(L0 − L) − p·(covered/n)·L − q·[platform]·L.

    ``coverage`` is the share of niches the subsidiary's portfolio covers (BG P1: a
    slack of partnership resources offsets LoF); the result is clipped to [0, 1].
    """
    new = lof + lof_recovery * (lof0 - lof) - lof_portfolio * coverage * lof
    if platform:
        new -= lof_platform * lof
    return min(1.0, max(0.0, new))
