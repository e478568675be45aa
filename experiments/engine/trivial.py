"""A trivial model with the runner's contract, for tests and driver benchmarks (microseconds per run).

``run(params, seed, tables=())`` draws a settled "quadrant" with probabilities set by ``x`` and a
few numbers from ``random.Random(seed)``; asked for ``steps`` or ``events`` it returns small extra
tables, so the store's handling of extra tables is tested before the real model emits an event log.
Its parameters use the same :class:`sim.params.Param` type as the real model's table, and it declares
its outcome as the real model does (:data:`OUTCOMES`): all the runner knows of it.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sim.params import Param
from sim.vocabulary import Outcome

PARAMS: dict[str, Param] = {
    p.name: p
    for p in (
        Param("x", "float", 0.5, "pull towards Q3 (probability of Q3 is x, of Q1 1 - x, less the rest)", low=0.0,
              high=1.0),
        Param("noise", "float", 0.1, "share of runs that end mixed or unsettled", low=0.0, high=1.0),
        Param("steps", "int", 5, "length of the step table when asked for one", low=1, high=10_000),
        Param("work_us", "int", 0, "busy-wait per run, in microseconds (to emulate a slower model)", low=0,
              high=10_000_000),
        Param("fail_p", "float", 0.0, "probability that a run raises (to test failure handling)", low=0.0,
              high=1.0),
        Param("mode", "choice", "plain", "a categorical parameter", choices=("plain", "fancy")),
    )
}
SUMMARY_KEYS = ("quadrant", "settle_step", "value", "count", "flag")
TABLES = ("steps", "events")  # the extra tables it can make
OUTCOMES = (Outcome("quadrant", ("Q1", "Q2", "Q3", "Q4", "mixed", "unsettled"), "regime at settlement",
                    step_key="settle_step"),)


def _shares(rng: random.Random) -> list[float]:
    w = [rng.random() for _ in range(4)]
    return [v / sum(w) for v in w]


def run(params: dict[str, Any], seed: int, tables: tuple[str, ...] | frozenset = ()) -> dict[str, Any]:
    p = {name: q.default for name, q in PARAMS.items()} | dict(params)
    rng = random.Random(seed)
    if p["work_us"]:
        end = time.perf_counter() + p["work_us"] / 1e6
        while time.perf_counter() < end:
            pass
    if rng.random() < p["fail_p"]:
        raise RuntimeError("trivial model: a deliberate failure")
    u = rng.random()
    if u < p["noise"]:
        quadrant = "mixed" if u < p["noise"] / 2 else "unsettled"
    else:
        quadrant = "Q3" if rng.random() < p["x"] else "Q1"
    out: dict[str, Any] = {
        "quadrant": quadrant,
        "settle_step": None if quadrant == "unsettled" else rng.randrange(50, 500),
        "value": p["x"] + rng.gauss(0.0, 0.1),
        "count": rng.randrange(100),
        "flag": p["mode"] == "fancy",
    }
    extra = {}
    if "steps" in tables:
        extra["steps"] = [{"step": s, **dict(zip(("share_Q1", "share_Q2", "share_Q3", "share_Q4"), _shares(rng)))}
                          for s in range(p["steps"])]
    if "events" in tables:
        extra["events"] = [{"step": s, "event": rng.choice(("formed", "exit", "voice"))} for s in range(3)]
    if extra:
        out["tables"] = extra
    return out
