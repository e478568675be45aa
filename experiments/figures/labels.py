"""Human labels for figures and tables, defined once.

Parameters take their label and unit from the parameter table (``sim.params.PARAMS[name].axis_label``);
outputs (summary keys, derived metrics and the columns of ``summary.csv``) from :data:`OUTPUT_LABELS`
and the patterns below. The one place to override a label is the ``labels`` table of an experiment's
``[outputs]`` (TOML) or the ``labels=`` argument of the Python API and of :func:`experiments.figures.draw_all`;
an override is used verbatim::

    [outputs]
    labels = { voice_cost = "cost of voice (utility)", freq_Q3 = "P(innovation regime)" }
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from sim.params import PARAMS
from sim.vocabulary import (
    COEXISTENCE,
    CONTESTED,
    LONG_RUN_REGIMES,
    MIXED,
    PATH_NAMES,
    PATHS,
    QUADRANT_NAMES,
    QUADRANTS,
    REGIMES,
    SUBSIDIARY_STATES,
    UNRESOLVED,
    UNSETTLED,
)

AGREE, DISAGREE = "agree", "disagree"  # the confirmation's outcome (sim.confirmation)
OUTCOME_LABELS: dict[str, str] = {
    **{q: f"{q} ({name})" for q, name in QUADRANT_NAMES.items()},
    MIXED: "mixed (no quadrant dominates)",
    UNSETTLED: "unsettled (version 2)",
    COEXISTENCE: "coexistence (stable split of Q1 and Q3)",
    UNRESOLVED: "unresolved (no long-run regime within the run)",
    CONTESTED: "contested (locked in no quadrant)",
    AGREE: "agree (the same regime at twice the horizon)",
    DISAGREE: "disagree (another regime at twice the horizon)",
}
_PATH_MOVES = {p: f"Q{a}→Q{b}" for (a, b), p in PATHS.items()}
_LONG_RUN = "|".join((*LONG_RUN_REGIMES, MIXED, UNSETTLED))  # the long-run regime's and version 2's outcomes
_REGIMES = "|".join(REGIMES)
_QUADRANTS = "|".join(QUADRANTS)
_STATES = "|".join(SUBSIDIARY_STATES)
_PATHS = "|".join(PATH_NAMES)
_RUN, _SHARE_RUNS, _UNIT, _SHARE_SUBS = "per run", "share of runs", "0–1", "share of subsidiaries"


def _p(o: str) -> tuple[str, str]:
    """``freq_<o>``: the share of runs whose headline outcome (the long-run regime, §13.3) is ``o``."""
    if o in QUADRANTS:
        return f"P(long-run regime {o})", _SHARE_RUNS
    if o in (MIXED, UNSETTLED):  # version 2's first settlement (and models that report it)
        return f"P(settles {o})", _SHARE_RUNS
    if o == AGREE:
        return "P(long-run regime confirmed)", _SHARE_RUNS
    if o == DISAGREE:
        return "P(long-run regime not confirmed)", _SHARE_RUNS
    return f"P({o})", _SHARE_RUNS


def _state(s: str, at: str = "") -> tuple[str, str]:
    """``subs_<s>``: the share of subsidiaries locked in quadrant ``s`` or contested (§13.2)."""
    text = f"subsidiaries locked in {s}" if s in QUADRANTS else f"subsidiaries {s}"
    return text + (f" at month {at}" if at else " at the end"), _SHARE_SUBS

# summary key -> (label, unit); every key of sim.vocabulary.SUMMARY_KEYS (versions 1-3) and the derived metrics
OUTPUT_LABELS: dict[str, tuple[str, str]] = {
    # MODEL.md §13.2-13.3 (version 3): the long-run regime, the headline, and the subsidiaries
    "regime": ("long-run regime", ""),
    "resolved": ("runs resolved", _SHARE_RUNS),
    "regime_step": ("time to the long-run regime", "months"),
    "final_regime": ("regime at the end of the run", ""),
    # version 2's first settlement, a diagnostic
    "quadrant": ("regime at first settlement (version 2)", ""),
    "final_quadrant": ("window-mean regime at the last step", ""),
    "settled": ("runs that settled (version 2)", _SHARE_RUNS),
    "settle_step": ("first settlement step (version 2)", "months"),
    "steps": ("steps run", "months"),
    "stable_at_end": ("runs stable at the end", _SHARE_RUNS),
    "contracts": ("contracts at the end", "contracts"),
    "exits": ("exits", _RUN),
    "voices": ("voice attempts", _RUN),
    "voice_successes": ("successful voice", _RUN),
    "loyalty_acts": ("loyalty acts", _RUN),
    "mean_trust": ("mean trust", _UNIT),
    "mean_communication": ("mean communication", _UNIT),
    "mean_effort": ("mean agent effort", "per contract"),
    "mean_lof": ("mean liability of foreignness", _UNIT),
    "mean_ambition": ("mean SME international ambition", _UNIT),
    "mean_exploration": ("mean subsidiary exploration intent", _UNIT),
    "total_value": ("total value of all contracts", "utility"),
    "contracts_formed": ("contracts formed", _RUN),
    "contracts_ended": ("contracts ended", _RUN),
    "survival": ("contract survival", "share of contracts formed"),
    "voice_success_rate": ("voice success rate", "share of voice attempts"),
    # version 2 (MODEL.md §11-12)
    "departures": ("SME departures", _RUN),
    "entrants": ("SME entrants", _RUN),
    "sub_renewals": ("subsidiary mandate renewals", _RUN),
    "regime_switches": ("regime switches", _RUN),
    "shock_regime": ("regime before the shock", ""),
    "shock_returned": ("pre-shock regime returned", _SHARE_RUNS),
    "shock_return_time": ("return time after the shock", "months"),
    # columns of summary.csv
    "n": ("runs", "runs"),
    "dominant_freq": ("frequency of the dominant outcome", _SHARE_RUNS),
    "settle_step_mean": ("mean first settlement step (version 2)", "months"),
    "settle_step_sd": ("s.d. of the first settlement step (version 2)", "months"),
    "regime_step_mean": ("mean time to the long-run regime (resolved runs)", "months"),
    "regime_step_sd": ("s.d. of the time to the long-run regime (resolved runs)", "months"),
    # the confirmation of the long-run regime (sim.confirmation, MODEL.md §13.3)
    "confirmed": ("long-run regime confirmed at twice the horizon", ""),
    "final_at_twice": ("regime at twice the horizon", ""),
    "agree": ("runs whose long-run regime was confirmed", _SHARE_RUNS),
    "unresolved": ("runs unresolved within the run length", _SHARE_RUNS),
}
_PATTERNS: tuple[tuple[str, object], ...] = (
    (rf"freq_({_LONG_RUN}|{AGREE}|{DISAGREE})", _p),
    # MODEL.md §13.4: at a horizon (``regime_60``, ``subs_Q3_120``, and their summary columns)
    (r"regime_(\d+)", lambda h: (f"window-mean regime at month {h}", "")),
    (rf"freq_({_REGIMES})_(\d+)", lambda o, h: (f"P(window-mean regime {o} at month {h})", _SHARE_RUNS)),
    (r"n_(\d+)", lambda h: (f"runs that reached month {h}", "runs")),
    (rf"subs_({_STATES})", _state),
    (rf"subs_({_STATES})_(\d+)", _state),
    (rf"share_({_QUADRANTS})", lambda q: (f"share of contracts in {q} at the end", _UNIT)),
    (rf"composition_({_QUADRANTS})", lambda q: (f"share of contracts in {q}", "mean over the last window")),
    (rf"occupancy_({_REGIMES})", lambda q: (f"time {q} held the majority", "share of steps after burn-in")),
    (rf"path_({_PATHS})", lambda p: (f"path {p} ({_PATH_MOVES[p]}) events", _RUN)),
    (rf"path_({_PATHS})_(\w+)", lambda p, a: (f"path {p} ({_PATH_MOVES[p]}) by {a}", _RUN)),
    (rf"founders_path_({_PATHS})", lambda p: (f"path {p} ({_PATH_MOVES[p]}) events of the initial population", _RUN)),
    (rf"top_path_({_PATHS})", lambda p: (f"runs where path {p} led", _SHARE_RUNS)),
)


def _output(name: str) -> tuple[str, str] | None:
    if name in OUTPUT_LABELS:
        return OUTPUT_LABELS[name]
    for pattern, make in _PATTERNS:
        m = re.fullmatch(pattern, name)
        if m:
            return make(*m.groups())
    return None


def is_known(name: str) -> bool:
    """Does ``name`` have a label of its own (not the code-name fallback)?"""
    return name in PARAMS or _output(name) is not None


def label(name: str, overrides: Mapping[str, str] | None = None, unit: bool = True) -> str:
    """The label of a parameter or output, ``label (unit)`` unless ``unit`` is false; overrides win."""
    if overrides and name in overrides:
        return str(overrides[name])
    if name in PARAMS:
        p = PARAMS[name]
        return p.axis_label if unit else (p.label or name)
    found = _output(name)
    if found is None:
        return name.replace("_", " ")
    text, u = found
    return f"{text} ({u})" if unit and u else text


def outcome(o: str, overrides: Mapping[str, str] | None = None) -> str:
    """``Q3 (explore × international)`` etc., for legends."""
    if overrides and o in overrides:
        return str(overrides[o])
    return OUTCOME_LABELS.get(o, o)


def value(name: str, v) -> str:
    """A parameter value as a tick label: 3 significant digits, words for booleans and choices."""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{v:.3g}"
    if isinstance(v, str):
        return v.replace("_", " ")
    return str(v)


def point(row: Mapping, names: list[str], overrides: Mapping[str, str] | None = None) -> str:
    """A design point in words, e.g. ``voice cost 0.3, exit cost 1``."""
    return ", ".join(f"{label(n, overrides, unit=False)} {value(n, row[n])}" for n in names) or "base"


def markdown_outputs(keys) -> str:
    """The summary keys as a Markdown table of key, label and unit (docs/DATA.md holds this text, checked
    by a test)."""
    lines = ["| key | meaning | unit |", "|---|---|---|"]
    for key in keys:
        text, unit = _output(key) or (key.replace("_", " "), "")
        lines.append(f"| `{key}` | {text} | {unit} |")
    return "\n".join(lines)
