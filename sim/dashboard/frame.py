"""One state on screen: a :class:`Frame` is everything the page shows, read from the model at one moment.

Every panel (status, regime and shock lines, network, bars, series) is drawn from the same frame,
so none can lag behind another. The moment matters after a shock given between steps: the model's
own observations (``contracts``, ``share_Q1`` ...) are those of the last step, taken before the
shock, while the contracts themselves have changed. The frame therefore counts the contracts and
their quadrants from the live contract book (:func:`contracts_now`), which after a step is exactly
the model's observation and after a shock is the state the shock left.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.dashboard.network import RingLayout, network_rows
from sim.regime import CONTESTED, IDLE
from sim.vocabulary import PATH_ACTIONS, PATH_NAMES, QUADRANTS, SUBSIDIARY_STATES

SERIES = {  # chart -> DataCollector columns it draws
    "shares": tuple(f"share_{q}" for q in QUADRANTS),
    "subsidiaries": tuple(f"subs_{s}" for s in SUBSIDIARY_STATES),
    "means": ("mean_trust", "mean_communication", "mean_lof"),
}
PATH_MOVES = {"A": "Q2→Q1", "B": "Q4→Q1", "C": "Q2→Q3", "D": "Q4→Q3"}


@dataclass
class Shock:
    """A shock as the page reports it: when, how many SMEs it replaced, their intent, and whether it was given
    with the button (between steps) or scheduled (``shock_step``, inside the step)."""

    step: int
    replaced: int
    intent: str
    share: float
    given: bool


class Memory:
    """What a session keeps between frames of one model: the network's positions and the series rows built so
    far (each frame appends the new steps' rows instead of rebuilding them all)."""

    def __init__(self, model) -> None:
        self.layout = RingLayout(model)
        self.rows: dict[str, list[dict]] = {name: [] for name in SERIES}
        self.window = model.p["settle_window"]  # subsidiaries' states are defined from the first full window on

    def series(self, model) -> dict[str, list[dict]]:
        data = model.datacollector.model_vars
        steps = data["steps"]
        for name, columns in SERIES.items():
            rows = self.rows[name]
            if len(rows) > len(steps):  # cannot happen with one model; rebuild rather than show a wrong past
                rows.clear()
            for k in range(len(rows), len(steps)):
                judged = name != "subsidiaries" or steps[k] >= self.window
                rows.append({"step": steps[k], **{c: _round(data[c][k]) if judged else None for c in columns}})
        return {name: list(rows) for name, rows in self.rows.items()}  # new lists: each frame is sent whole


def _round(value):
    return None if value is None else round(float(value), 4)


def contracts_now(model) -> tuple[int, dict[str, float]]:
    """The number of active contracts and their shares by quadrant, counted from the contract book now."""
    counts = [0, 0, 0, 0]
    for c in model.book.active.values():
        counts[c.quadrant - 1] += 1
    n = sum(counts)
    return n, {q: (k / n if n else 0.0) for q, k in zip(QUADRANTS, counts)}


@dataclass(eq=False)  # a new frame is always news (and equality would compare every row)
class Frame:
    """Everything the page shows at one moment (see the module's docstring)."""

    step: int
    max_steps: int
    running: bool
    shock_now: bool  # a shock was given after this month's step: the panels show the state it left
    contracts: int
    shares: dict[str, float]
    composition: dict[str, float]  # mean shares over the last settlement window (§12.1)
    window: int
    sub_counts: dict[str, int]  # subsidiaries by §13.2 state ("Q1".."Q4", "contested"), those with contracts
    judged: bool  # the first settlement window is complete: subsidiary states are defined
    counts: dict[str, int]  # exits, voices, voice successes, loyalty acts, departures, entrants, shocked SMEs
    regime: str
    resolved: bool
    regime_step: int | None
    regime_now: str | None
    window_regime: str
    judged_from: int  # the first month at which the long-run rule can hold (two windows after start or shock)
    shock: Shock | None
    shock_before: str | None  # the window-mean regime before the last shock
    shock_back_after: int | None  # months until the pre-shock leading share was back within noise
    shock_returned: bool | None
    shock_quadrant: str | None  # the pre-shock leading quadrant whose share is watched for its return
    n_smes: int
    p: dict[str, Any]  # the model's parameters
    paths: dict[str, dict[str, int]]
    number: int = 0  # frames shown by the session so far (the page answers which one it has painted)
    charts: dict[str, dict[str, list[dict]]] = field(default_factory=dict)  # chart -> dataset -> rows
    data: dict[str, str] = field(default_factory=dict)  # chart -> its datasets as JSON text (what the page sends)

    @property
    def finished(self) -> bool:
        return not self.running

    @property
    def at_length(self) -> bool:
        return self.step >= self.max_steps


def build(model, memory: Memory) -> Frame:
    """The frame of ``model`` now (``memory`` holds what earlier frames of this model built)."""
    p, obs = model.p, model.observer
    contracts, shares = contracts_now(model)
    composition = dict(zip(QUADRANTS, (float(x) for x in obs.window_mean()))) if obs.n else dict(shares)
    side_steps = [s.side_step for s in model.subsidiaries]
    states = model.portfolios.states(model.steps, side_steps)
    judged = model.portfolios.n >= model.portfolios.window
    held = states[states != IDLE]
    sub_counts = {s: int(np.sum(held == k)) for k, s in enumerate(QUADRANTS)}
    sub_counts["contested"] = int(np.sum(held == CONTESTED))
    shocks: list[Shock] = getattr(model, "shock_log", [])
    last = shocks[-1] if shocks else None
    watch = model.shock_watch
    counts = {
        "exits": model.exits, "voices": model.voices, "voice_successes": model.voice_successes,
        "loyalty": model.loyalty_acts, "departures": model.departures, "entrants": model.entrants,
        "shocked": sum(s.replaced for s in shocks),
    }  # fmt: skip
    frame = Frame(
        step=model.steps,
        max_steps=model.max_steps,
        running=bool(model.running),
        shock_now=bool(last and last.given and last.step == model.steps),
        contracts=contracts,
        shares=shares,
        composition=composition,
        window=p["settle_window"],
        sub_counts=sub_counts,
        judged=judged,
        counts=counts,
        regime=model.regime,
        resolved=bool(model.resolved),
        regime_step=model.regime_step,
        regime_now=None if (last and last.step == model.steps and last.given) else model.regime_now,
        window_regime=obs.regime,
        judged_from=obs.start + 2 * obs.window,
        shock=last,
        shock_before=None if watch is None else watch.regime,
        shock_back_after=None if watch is None else watch.return_time,
        shock_returned=model.shock_returned if (watch is not None and model.resolved) else None,
        shock_quadrant=None if watch is None else QUADRANTS[watch.quadrant],
        n_smes=len(model.smes),
        p=p,
        paths={p_: {a: getattr(model, f"path_{p_}_{a}") for a in PATH_ACTIONS} for p_ in PATH_NAMES},
    )
    frame.charts = chart_data(model, memory, frame, states, judged)
    frame.data = {name: json.dumps(datasets, separators=(",", ":")) for name, datasets in frame.charts.items()}
    return frame


def chart_data(model, memory: Memory, frame: Frame, states, judged: bool) -> dict[str, dict[str, list[dict]]]:
    """Each chart's datasets (named as in :mod:`sim.dashboard.charts`) for this frame."""
    series = memory.series(model)
    marks = [{"step": s.step, "label": "shock"} for s in (getattr(model, "shock_log", None) or [])]
    if frame.resolved and frame.regime_step is not None:
        marks.append({"step": frame.regime_step, "label": f"resolved: {frame.regime}"})
    judged_from = [{"step": frame.window, "label": "states judged from here"}]
    bars = [{"row": "contracts now", "category": q, "share": round(frame.shares[q], 4),
             "count": round(frame.shares[q] * frame.contracts)} for q in QUADRANTS]
    bars += [{"row": f"{frame.window}-month mean", "category": q,
              "share": round(frame.composition[q], 4), "count": None} for q in QUADRANTS]
    total = sum(frame.sub_counts.values())
    if judged and total:
        bars += [{"row": "subsidiaries", "category": s, "share": round(k / total, 4), "count": k}
                 for s, k in frame.sub_counts.items()]
    paths = [{"path": f"{p_} {PATH_MOVES[p_]}", "action": a, "events": n}
             for p_, by in frame.paths.items() for a, n in by.items()]
    return {
        "network": network_rows(model, memory.layout, states, judged),
        "regime": {"bars": bars},
        "paths": {"paths": paths},
        **{name: {"rows": rows, "marks": marks + (judged_from if name == "subsidiaries" else [])}
           for name, rows in series.items()},
    }

