"""The compiled engine from Python: a whole run (``run``, what ``sim.model.run`` calls by default) and a run
stepped month by month (:class:`Engine`, for comparing with the Mesa reference step by step).

Importing this module imports the compiled modules (Numba compiles them at their first call, or loads
them from the cache of :mod:`sim.engine.cache`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine import layout, results, schedule, state, structs
from sim.params import validate

TABLES = ("steps", "events", "timeline")


def generator(seed) -> np.random.Generator:
    """The model's generator for ``seed``, as ``mesa.Model(rng=seed)`` makes it: ``default_rng(seed)`` for an
    integer; for anything else Mesa itself (some Mesa versions draw once from it to seed ``random``)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(seed)
    import mesa

    return mesa.Model(rng=seed).rng


def seed_of(seed) -> int | None:
    """The summary's ``seed``: the integer seed, else None (``PiggybackModel.seed``)."""
    return int(seed) if isinstance(seed, (int, np.integer)) else None


class Engine:
    """One run of the compiled engine, stepped from Python: ``Engine(params, seed)`` is initialised (§5) like
    ``PiggybackModel(rng=seed, **params)``; :meth:`step` is one month; :meth:`summary` and the tables are
    the reference's. ``events``: keep the contract event log (room for ``events`` rows, True: a generous
    default; it grows as needed))."""

    def __init__(self, params: dict[str, Any] | None = None, seed=None, events: bool | int = False) -> None:
        self.p = validate(params)
        self.seed = seed
        self.P, self.Q, self.H = layout.pack(self.p)
        rows = 0 if events is False else state.events_capacity(self.Q) if events is True else max(1, int(events))
        self.rng = generator(seed)
        self.state = state.allocate(self.Q, self.H, rows)  # the arrays, read from Python ...
        self.ref = structs.attach(self.state)  # ... and the same arrays as the compiled code holds them
        schedule.init(self.ref, self.P, self.Q, self.H, self.rng)

    @property
    def steps(self) -> int:
        return int(self.state.rec.C[layout.C_STEPS])

    @property
    def running(self) -> bool:
        return bool(self.state.rec.C[layout.C_RUNNING])

    def step(self) -> None:
        schedule.step(self.ref, self.P, self.Q, self.H, self.rng)

    def run(self) -> dict[str, Any]:
        """Step until the run ends (§13.3); the summary."""
        while self.running:
            schedule.step(self.ref, self.P, self.Q, self.H, self.rng)
        return self.summary()

    def summary(self) -> dict[str, Any]:
        return results.summary(self.state, self.Q, self.H, seed_of(self.seed))

    def tables(self, names=TABLES) -> dict[str, list[dict]]:
        out = {}
        if "steps" in names:
            out["steps"] = results.steps_table(self.state.obs.cum, int(self.state.rec.C[layout.C_OBS_N]))
        if "events" in names:
            out["events"] = results.events_table(self.state, *structs.events(self.ref))
        if "timeline" in names:
            out["timeline"] = results.timeline_table(self.state)
        return out


def run(params: dict[str, Any] | None = None, seed=None, tables=()) -> dict[str, Any]:
    """``sim.model.run`` by the compiled engine: the same summary (and tables), bit for bit."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; valid: {', '.join(TABLES)}")
    p = validate(params)
    P, Q, H = layout.pack(p)
    S = state.allocate(Q, H, state.events_capacity(Q) if "events" in tables else 0)
    ref = structs.attach(S)
    schedule.run(ref, P, Q, H, generator(seed))
    out = results.summary(S, Q, H, seed_of(seed))
    if tables:
        out["tables"] = {}
        if "steps" in tables:
            out["tables"]["steps"] = results.steps_table(S.obs.cum, int(S.rec.C[layout.C_OBS_N]))
        if "events" in tables:
            out["tables"]["events"] = results.events_table(S, *structs.events(ref))
        if "timeline" in tables:
            out["tables"]["timeline"] = results.timeline_table(S)
    return out
