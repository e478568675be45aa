"""Benchmark: the same 200-run sweep through ``mesa.batch_run`` and through the experiment runner.

    python benchmarks/run.py [--points 4] [--replicates 50] [--workers 2] [--repeat 3] [--json FILE]

The sweep: ``voice_cost`` at 4 values × 50 replicates from a mixed start, default parameters
otherwise. Every run gets the runner's seed for its (point, replicate), so both tools run exactly
the same 200 models and must agree run for run on the settled quadrant; the script checks that and
reports median wall times (``--repeat`` interleaved rounds) and their ratios (batch_run / runner)
with 1 and with 2 processes.

Getting ``batch_run`` to run the same seeds and report the final state needs care, and differs by
Mesa version (the traps this project's runner exists to avoid):

- seeds: Mesa 3.5 takes ``rng=[...]`` and pairs every seed with every parameter combination (so
  per-point seeds are impossible with a plain parameter grid); Mesa 3.3 has no ``rng`` argument and
  takes the seed as a swept parameter. Here each of the 200 runs is one value of a ``task``
  parameter, a (point, replicate, voice_cost, seed) tuple that :class:`BenchModel` unpacks (plain
  data: a module-level table would not reach ``spawn``-started workers);
- final state: ``batch_run`` reports DataCollector row ``model.steps - 1``. On Mesa 3.3 that row is
  the state one step *before* the end if the model collects an initial row, so a run that settled
  at its last step would be reported as unsettled. The model therefore collects after each step
  only (row k is step k + 1); :class:`BenchModel` checks that rather than working around it, so
  both tools run exactly the same model, DataCollector included (3.5 looks the step up);
- steps: Mesa 3.3's loop runs while ``model.steps <= max_steps`` (one step more than asked); the
  model stops itself at its own ``max_steps`` parameter and at settlement, so this is harmless here.
- processes: Mesa 3.5's ``batch_run`` sets the global start method to ``spawn`` (force=True) and
  keeps every run's data in memory until the end; nothing is written before the sweep completes.
"""

from __future__ import annotations

import argparse
import inspect
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import mesa
from mesa.batchrunner import batch_run

from experiments import config, designs, runner, store
from sim.model import PiggybackModel

ENTROPY = 20261122
VOICE_COSTS = [0.05, 0.6, 1.2, 2.0]


def tasks(points: int, replicates: int) -> list[tuple[int, int, float, int]]:
    """(point, replicate, voice_cost, seed) of every run, seeded as the runner seeds them."""
    return [(j, r, VOICE_COSTS[j], designs.run_seed(ENTROPY, j, r)) for j in range(points) for r in range(replicates)]


class BenchModel(PiggybackModel):
    """The model with one parameter, ``task`` = (point, replicate, voice_cost, seed)."""

    def __init__(self, task: tuple = (0, 0, 0.6, 0), rng=None, seed=None, **_ignored) -> None:
        _, _, voice_cost, run_seed = task
        super().__init__(rng=run_seed, voice_cost=voice_cost)
        # batch_run's final row is right only without an initial collection (see the module docstring)
        assert not self.datacollector.model_vars.get("quadrant"), "the model collects an initial row"


def via_batch_run(todo: list[tuple], processes: int) -> tuple[float, dict[tuple[int, int], str]]:
    kwargs = dict(parameters={"task": todo}, number_processes=processes, max_steps=10_000,
                  data_collection_period=-1, display_progress=False)
    if "rng" in inspect.signature(batch_run).parameters:
        kwargs["rng"] = [None]  # Mesa ≥ 3.4: the seed comes from the task, not from batch_run
    else:
        kwargs["iterations"] = 1
    t0 = time.perf_counter()
    rows = batch_run(BenchModel, **kwargs)
    wall = time.perf_counter() - t0
    return wall, {tuple(r["task"][:2]): r["quadrant"] for r in rows}


def via_runner(points: int, replicates: int, workers: int, out: Path) -> tuple[float, dict[tuple[int, int], str]]:
    exp = config.from_dict({
        "name": "bench", "entropy": ENTROPY, "replicates": replicates,
        "design": {"type": "grid", "parameters": {"voice_cost": VOICE_COSTS[:points]}},
    })
    executor = runner.make_executor("pool", workers)
    t0 = time.perf_counter()
    try:
        runner.run_experiment(exp, executor, out=out, progress=False)
    finally:
        executor.close()
    wall = time.perf_counter() - t0
    runs = store.load_runs(out)
    return wall, {(int(p), int(r)): q for p, r, q in zip(runs["point"], runs["replicate"], runs["quadrant"])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=4, choices=range(1, len(VOICE_COSTS) + 1))
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="timings per configuration (the median is reported)")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    todo = tasks(args.points, args.replicates)
    n = len(todo)
    py = sys.version.split()[0]
    print(f"{n}-run sweep (voice_cost × {args.replicates} seeds), mesa {mesa.__version__}, python {py}")

    samples: dict[str, list[float]] = {}
    outcomes: dict[str, dict[tuple[int, int], str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # interleaved rounds, so that a noisy neighbour slows every configuration alike
        for rnd in range(args.repeat):
            for procs in sorted({1, args.workers}):
                for tool in ("runner", "batch_run"):
                    key = f"{tool}_{procs}"
                    if tool == "runner":
                        wall, out = via_runner(args.points, args.replicates, procs, Path(tmp) / f"r{procs}_{rnd}")
                    else:
                        wall, out = via_batch_run(todo, procs)
                    samples.setdefault(key, []).append(wall)
                    outcomes[key] = out
                    print(f"  round {rnd + 1}: {tool:9} {procs} process(es): {wall:6.1f} s", flush=True)
    times = {k: statistics.median(v) for k, v in samples.items()}
    for k, v in times.items():
        print(f"  median {k:12} {v:6.1f} s")

    reference = outcomes["runner_1"]
    agree = {k: v == reference for k, v in outcomes.items()}
    counts = {k: dict(sorted(Counter(v.values()).items())) for k, v in outcomes.items()}
    ratios = {f"batch_run/runner, {p} proc": times[f"batch_run_{p}"] / times[f"runner_{p}"]
              for p in sorted({1, args.workers})}
    print("settled-quadrant counts:", counts["runner_1"])
    print("same outcome in every run as runner_1:", agree)
    for k, v in ratios.items():
        print(f"  wall-time ratio {k}: {v:.2f}")
    if args.workers > 1:
        speedup = times["runner_1"] / times[f"runner_{args.workers}"]
        print(f"  runner speed-up 1 → {args.workers} workers: {speedup:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "runs": n, "mesa": mesa.__version__, "python": sys.version.split()[0], "median_wall_seconds": times,
            "samples": samples,
            "ratios": ratios, "counts": counts, "agree": agree}, indent=1) + "\n")
    return 0 if all(agree.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
