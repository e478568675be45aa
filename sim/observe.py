"""MODEL.md §8 observation: quadrants, path events, settlement and the run summary."""

from __future__ import annotations

import numpy as np

QUADRANT_LABELS = ("Q1", "Q2", "Q3", "Q4")
PATH_NAMES = ("A", "B", "C", "D")
PATH_ACTIONS = ("loyalty", "voice", "exit", "drift")

# (quadrant before, quadrant after) -> path (PB Figure 1): loyalty downhill, voice uphill
PATHS: dict[tuple[int, int], str] = {(2, 1): "A", (4, 1): "B", (2, 3): "C", (4, 3): "D"}

PATH_KEYS = tuple(f"path_{p}_{a}" for p in PATH_NAMES for a in PATH_ACTIONS)

# The flat run summary (§8); every key is also a model reporter of the DataCollector.
SUMMARY_KEYS = (
    "settled",
    "settle_step",
    "steps",
    "quadrant",
    "final_quadrant",
    "stable_at_end",
    "share_Q1",
    "share_Q2",
    "share_Q3",
    "share_Q4",
    "contracts",
    "path_A",
    "path_B",
    "path_C",
    "path_D",
    *PATH_KEYS,
    "exits",
    "voices",
    "voice_successes",
    "loyalty_acts",
    "mean_trust",
    "mean_communication",
    "mean_effort",
    "mean_lof",
    "mean_ambition",
    "mean_exploration",
    "total_value",
    "contracts_formed",
    "contracts_ended",
)


def path_of(before: int, after: int) -> str | None:
    """§8 path of a continuing contract moving between quadrants: A Q2→Q1, B Q4→Q1, C Q2→Q3, D Q4→Q3."""
    return PATHS.get((before, after))


def exit_path(origin: int, new_quadrant: int) -> str | None:
    """§8 path 'by exit': an exit from Q2/Q4 followed by the same party's new contract in Q1/Q3."""
    return PATHS.get((origin, new_quadrant))


def dominant_quadrant(shares, dominance: float) -> str:
    """§8 the quadrant whose share is at least ``dominance``, else ``"mixed"``."""
    best = int(np.argmax(shares))
    if shares[best] >= dominance and shares[best] > 0:
        return QUADRANT_LABELS[best]
    return "mixed"


class SettlementDetector:
    """§8: settled at step t (≥ burn_in + window) when every share moved within a band ≤ tolerance
    over the last ``window`` steps."""

    def __init__(self, burn_in: int, window: int, tolerance: float, capacity: int) -> None:
        self.burn_in = burn_in
        self.window = window
        self.tolerance = tolerance
        self.history = np.zeros((capacity + 1, 4))
        self.n = 0  # shares recorded (step 1 is row 0)

    def record(self, shares) -> None:
        if self.n == len(self.history):  # past the planned capacity: grow
            self.history = np.concatenate([self.history, np.zeros_like(self.history)])
        self.history[self.n] = shares
        self.n += 1

    def stable(self) -> bool:
        """Is the last window within tolerance (ignoring burn-in)?"""
        if self.n < self.burn_in + self.window:
            return False
        recent = self.history[self.n - self.window : self.n]
        return float((recent.max(axis=0) - recent.min(axis=0)).max()) <= self.tolerance + 1e-12
