"""The "Run 100 replicates of these settings" button (issue 21, item 6): the long-run regime's frequencies over
replicates of the session's run, through the compiled engine (:func:`sim.model.run`).

The settings are those of the session's model (the dict it was built from at the last Reset, ``model.p``, with the
controls clamped by others already clamped), never controls waiting for Reset; shocks given with the button are not
repeated (a scheduled one is part of the settings). The replicate seeds are the children of
``SeedSequence(<the session's seed>)``, derived as the pattern tests derive theirs (:func:`sim.patterns.seeds`), so
the same settings and seed always give the same frequencies. Each frequency has its 95 % Wilson interval
(:func:`sim.patterns.wilson`).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from sim.model import run
from sim.patterns import seeds as spawn_seeds
from sim.patterns import wilson
from sim.vocabulary import LONG_RUN_REGIMES, UNRESOLVED

REPLICATES = 100


@dataclass(frozen=True)
class Replicates:
    """What :func:`run_replicates` found: the settings and seed it ran, the replicate seeds, the regimes' counts
    (every name of :data:`sim.vocabulary.LONG_RUN_REGIMES`, zeros included), their 95 % Wilson intervals, the
    median month the regime was named (over the runs that named one; None if none did), and the wall time."""

    params: dict[str, Any]
    seed: int
    seeds: tuple[int, ...]
    counts: dict[str, int]
    intervals: dict[str, tuple[float, float]]
    median_month: float | None
    seconds: float

    @property
    def n(self) -> int:
        return len(self.seeds)

    def share(self, regime: str) -> float:
        return self.counts[regime] / self.n

    def rows(self) -> list[dict[str, Any]]:
        """One row a regime, for the chart (:func:`sim.dashboard.charts.replicates`)."""
        return [{"regime": r, "count": k, "share": k / self.n, "low": self.intervals[r][0],
                 "high": self.intervals[r][1]} for r, k in self.counts.items()]


def run_replicates(params: dict[str, Any], seed: int, n: int = REPLICATES, engine: str = "compiled",
                   clock=time.perf_counter) -> Replicates:
    """Run ``params`` on ``n`` replicate seeds spawned from ``SeedSequence(seed)`` with :func:`sim.model.run`
    (``engine``: the compiled engine by default) and count the long-run regimes. Pure but for the clock: the same
    arguments give the same counts."""
    start = clock()
    replicate_seeds = tuple(spawn_seeds(int(seed), n))
    summaries = [run(dict(params), s, engine=engine) for s in replicate_seeds]
    counts = {r: 0 for r in LONG_RUN_REGIMES}
    for s in summaries:
        counts[s["regime"]] += 1
    named = [s["regime_step"] for s in summaries if s["regime"] != UNRESOLVED and s["regime_step"] is not None]
    intervals = {r: tuple(float(x) for x in wilson(k, n)) for r, k in counts.items()}
    return Replicates(dict(params), int(seed), replicate_seeds, counts, intervals,
                      float(statistics.median(named)) if named else None, clock() - start)


def summary_line(result: Replicates) -> str:
    """One line of plain text: "100 runs in 0.7 s: Q1 52 %, Q3 44 %, unresolved 4 % · regime named at month 180
    (median)"; the regimes no run reached are left out."""
    shares = ", ".join(f"{r} {100 * result.share(r):.0f} %" for r, k in result.counts.items() if k)
    when = ("no run named its regime" if result.median_month is None
            else f"regime named at month {result.median_month:g} (median)")
    return f"{result.n} runs in {result.seconds:.1f} s: {shares} · {when}"
