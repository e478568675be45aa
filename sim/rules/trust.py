"""MODEL.md §7.4: communication and trust (BG §4.3)."""

from __future__ import annotations


def communication(trust_mean: float, voluntarism: float, comm_min: float, comm_max: float) -> float:
    """§7.4 c = comm_min + (comm_max − comm_min)·(1 − τ̄)·(0.5 + 0.5·v).

    Communication is intensive while trust is young and declines as it matures; a
    voluntarist SME keeps it up.
    """
    return comm_min + (comm_max - comm_min) * (1.0 - trust_mean) * (0.5 + 0.5 * voluntarism)


def trust_update(
    trust: float,
    comm: float,
    sale: bool,
    frustration: float,
    trust_gain: float,
    success_gain: float,
    frustration_erosion: float,
    trust_decay: float,
) -> float:
    """§7.4 Δτ = trust_gain·c·(1 − τ) + success_gain·[sale]·(1 − τ) − erosion·min(f, 1)·τ − decay·τ.

    Trust builds through communication and success and erodes with the party's own
    frustration on the contract and with neglect. Clipped to [0, 1].
    """
    gain = (trust_gain * comm + (success_gain if sale else 0.0)) * (1.0 - trust)
    loss = (frustration_erosion * min(frustration, 1.0) + trust_decay) * trust
    return min(1.0, max(0.0, trust + gain - loss))
