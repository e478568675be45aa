"""The model's vocabulary, defined once: quadrants, regimes, actions, paths, the run summary's keys, the
event log's columns, the metrics derived from a summary, and the outcomes the model declares.

Everything that names these (the model, the observer, the dashboard, the experiment runner's
analysis and figures, the docs) reads them from here. The experiment runner learns the outcomes from
:data:`OUTCOMES` (found beside ``sim.model:run``, as EMA Workbench reads a model's declared outcomes),
so it knows the model only as ``run(params, seed) -> summary`` plus this declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

# -- MODEL.md §8: quadrants of PB's 2×2 --------------------------------------------------------------
QUADRANTS = ("Q1", "Q2", "Q3", "Q4")
QUADRANT_NAMES: dict[str, str] = {
    "Q1": "exploit × domestic",
    "Q2": "exploit × international",
    "Q3": "explore × international",
    "Q4": "explore × domestic",
}
MIXED = "mixed"  # no quadrant holds `dominance` of the contracts
UNSETTLED = "unsettled"  # the run never settled (§12.1; the version-2 diagnostic)
REGIMES = (*QUADRANTS, MIXED)  # the regime of a window's mean shares

# -- MODEL.md §13.3: the long-run regime (the headline outcome) ---------------------------------------
COEXISTENCE = "coexistence"  # a stable split of locked Q1 and Q3 portfolios
UNRESOLVED = "unresolved"  # neither a quadrant nor coexistence within max_steps
LONG_RUN_REGIMES = (*QUADRANTS, COEXISTENCE, UNRESOLVED)

# -- MODEL.md §13.2: a subsidiary's partnership portfolio, locked in a quadrant or contested -----------
CONTESTED = "contested"
SUBSIDIARY_STATES = (*QUADRANTS, CONTESTED)
SUBSIDIARY_KEYS = tuple(f"subs_{s}" for s in SUBSIDIARY_STATES)  # their shares among subsidiaries

# -- MODEL.md §7.7: exit, voice, loyalty; and what else moves an intent ------------------------------
LOYALTY, EXIT, VOICE, DRIFT = "loyalty", "exit", "voice", "drift"
ACTIONS = (LOYALTY, EXIT, VOICE)  # the choices of a frustrated party
PATH_ACTIONS = (LOYALTY, VOICE, EXIT, DRIFT)  # what can lie behind a path event

# -- MODEL.md §8: paths A–D (PB Figure 1): loyalty downhill to Q1, voice uphill to Q3 ----------------
PATH_NAMES = ("A", "B", "C", "D")
PATHS: dict[tuple[int, int], str] = {(2, 1): "A", (4, 1): "B", (2, 3): "C", (4, 3): "D"}
PATH_KEYS = tuple(f"path_{p}_{a}" for p in PATH_NAMES for a in PATH_ACTIONS)

# -- MODEL.md §8, §11–12: the flat run summary; every key is also a model reporter -------------------
SUMMARY_KEYS = (
    "regime",
    "resolved",
    "regime_step",
    "final_regime",
    *SUBSIDIARY_KEYS,
    "settled",
    "settle_step",
    "steps",
    "quadrant",
    "final_quadrant",
    "stable_at_end",
    *(f"share_{q}" for q in QUADRANTS),
    *(f"composition_{q}" for q in QUADRANTS),
    *(f"occupancy_{r}" for r in REGIMES),
    "regime_switches",
    "contracts",
    *(f"path_{p}" for p in PATH_NAMES),
    *PATH_KEYS,
    *(f"founders_path_{p}" for p in PATH_NAMES),
    "exits",
    "voices",
    "voice_successes",
    "loyalty_acts",
    "departures",
    "entrants",
    "sub_renewals",
    "shock_regime",
    "shock_returned",
    "shock_return_time",
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



def horizon_keys(horizons) -> tuple[str, ...]:
    """§13.4 the summary keys at each horizon: the population's window-mean regime (``regime_60``) and the
    subsidiaries' states (``subs_Q3_60``, ...)."""
    return tuple(k for h in horizons for k in (f"regime_{h}", *(f"{s}_{h}" for s in SUBSIDIARY_KEYS)))


# -- the timeline (``run(..., tables=("timeline",))``): the regime every TIMELINE_STEP months -----------
TIMELINE_STEP = 12
TIMELINE_COLUMNS = ("month", "regime", "long_run", *SUBSIDIARY_KEYS)  # long_run: resolved so far, else empty

# -- the contract event log (``record_events=True``; ``run(..., tables=("events",))``) ---------------
EVENT_COLUMNS = (
    "step",  # the step the event happened in (0: initialisation)
    "event",  # formed, quadrant, path_by_exit, exit or departure
    "contract",  # contract id (unique within a run)
    "sme",  # unique_id of the SME
    "sub",  # unique_id of the subsidiary
    "market",  # the contract's market
    "niche",  # the SME's niche
    "quadrant",  # the contract's quadrant after the event (1..4)
    "from_quadrant",  # before it (quadrant events), else empty
    "path",  # A–D when the change is a path (§8), else empty
    "action",  # loyalty, voice, exit or drift: what moved the intent (quadrant events)
    "by",  # who chose an exit: sme or sub
    "trust_sme",  # the SME's trust in its agent at that moment
    "trust_sub",  # the subsidiary's trust in the SME
    "communication",  # the contract's communication
)


# -- metrics derived from a run's summary -------------------------------------------------------------
def _ratio(num, den):
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


DERIVED: dict[str, tuple[tuple[str, ...], Any, str]] = {
    # name: (summary keys it needs, function of their columns, meaning)
    "survival": (("contracts_formed", "contracts_ended"), lambda formed, ended: 1.0 - _ratio(ended, formed),
                 "share of the contracts formed that never ended"),
    "voice_success_rate": (("voices", "voice_successes"), lambda voices, ok: _ratio(ok, voices),
                           "successful voices / voices (empty when the run saw no voice)"),
}


def derived(columns: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The :data:`DERIVED` metrics that ``columns`` (a summary, or a table of summaries: any mapping of
    key to a value or a column) has the keys for, as float arrays (NaN where undefined)."""
    return {name: fn(*(columns[k] for k in keys)) for name, (keys, fn, _) in DERIVED.items()
            if all(k in columns for k in keys)}


# -- what the model declares to the experiment runner -------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """A categorical outcome of a run, declared by the model: the summary key that holds it, its
    categories in display order, a label for figures, and the summary key (if any) holding the step
    at which it was reached."""

    key: str
    categories: tuple[str, ...]
    label: str
    step_key: str | None = None


# The first is the headline: the outcome whose frequencies experiments report.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome("regime", LONG_RUN_REGIMES, "long-run regime", step_key="regime_step"),
    Outcome("final_regime", LONG_RUN_REGIMES, "regime at the end of the run"),
    Outcome("quadrant", (*REGIMES, UNSETTLED), "regime at first settlement (version 2)", step_key="settle_step"),
    Outcome("final_quadrant", REGIMES, "window-mean regime at the end of the run"),
)
