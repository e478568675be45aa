"""MODEL.md §13.3: the confirmation of a run's long-run regime, as a model the experiment runner can sweep
(``model = "sim.confirmation:run"``; the shipped ``confirmation`` experiment).

One run per (parameters, seed): the long-run regime it resolves within ``max_steps`` (what a run with
``stop_on_settle`` reports) and the final regime of the same seed run twice as long without stopping
(:func:`sim.patterns.confirm`: the same trajectory, so one run serves both). Its declared outcome is
``confirmed``: ``agree``, ``disagree``, or ``unresolved`` within ``max_steps``.
"""

from __future__ import annotations

from typing import Any

from sim.patterns import confirm
from sim.vocabulary import LONG_RUN_REGIMES, UNRESOLVED, Outcome

AGREE, DISAGREE = "agree", "disagree"
SUMMARY_KEYS = ("confirmed", "regime", "regime_step", "final_at_twice", "agree", "unresolved")
OUTCOMES = (
    Outcome("confirmed", (AGREE, DISAGREE, UNRESOLVED), "long-run regime confirmed at twice the horizon"),
    Outcome("regime", LONG_RUN_REGIMES, "long-run regime", step_key="regime_step"),
    Outcome("final_at_twice", LONG_RUN_REGIMES, "regime at twice the horizon"),
)


def run(params: dict[str, Any] | None = None, seed: int | None = None) -> dict[str, Any]:
    """The confirmation summary of one run (see the module)."""
    rec = confirm(params or {}, seed)
    unresolved = rec["regime"] == UNRESOLVED
    agree = not unresolved and rec["regime"] == rec["final_at_twice"]
    return {"confirmed": UNRESOLVED if unresolved else (AGREE if agree else DISAGREE), "regime": rec["regime"],
            "regime_step": rec["regime_step"], "final_at_twice": rec["final_at_twice"], "agree": agree,
            "unresolved": unresolved}
