"""Performance and scale in one command: scaling, early stopping, the runner against batch_run, memory.

    python benchmarks/run.py [--quick] [--only scaling early runner memory] [--json [FILE]] [--overwrite]
                             [--points 4] [--replicates 50] [--workers 2] [--repeat 3]

Prints, as ratios measured within this one invocation (the machine is shared: every comparison
is interleaved and repeated; see each section for best-of or median):

1. per-step time at 60, 600 and 6,000 SMEs and the fitted exponent of time against contracts
   (:mod:`benchmarks.scaling`; target ≤ 1.05: cost proportional to the work, no stage scanning
   all agents per agent);
2. a default run to settlement against ``stop_on_settle=False`` (:mod:`benchmarks.scaling`);
3. this runner with 2 workers against 1 (target ≥ 1.8×: both cores used) and against
   ``mesa.batch_run`` on the same 200 runs (target ≥ 3×, same settled quadrant in every run): below;
4. peak RSS of the runner's process tree after 1,000 and after 10,000 short runs
   (:mod:`benchmarks.memory`; target ratio ≤ 1.2: memory flat however long the sweep), and, for
   contrast, with workers never recycled.

``--quick`` shrinks every section to a smoke run (~1 min; the figures are then not meaningful).
``--json`` without FILE writes ``benchmarks/results/<measure>-<interpreter>-<date>.json``, the
measure being ``scale`` for all four sections, else the sections run (``runner``,
``scaling+early``, ...), with ``-quick`` for a smoke run. The profile of a default run is
``benchmarks/profile_default.py``; the speed-up against an earlier commit, ``benchmarks/speedup.py``.

Section 3: ``voice_cost`` at 4 values × 50 replicates from a mixed start, default parameters
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
  both tools run exactly the same model (3.5 looks the step up). batch_run needs the per-step
  DataCollector rows; the runner needs only the summary, so ``sim.model.run`` skips collecting them
  (``collect_steps=False``: the same dynamics and summary, ~10 % less time per run);
- steps: Mesa 3.3's loop runs while ``model.steps <= max_steps`` (one step more than asked); the
  model stops itself at its own ``max_steps`` parameter and at settlement, so this is harmless here.
- processes: Mesa 3.5's ``batch_run`` sets the global start method to ``spawn`` (force=True) and
  keeps every run's data in memory until the end; nothing is written before the sweep completes.
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import mesa
from mesa.batchrunner import batch_run

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` from anywhere, with or without the install
    sys.path.insert(0, str(ROOT))

from benchmarks import conventions, memory, scaling  # noqa: E402
from experiments import engine as runner  # noqa: E402
from experiments import storage as store  # noqa: E402
from experiments.definition import config, seeds  # noqa: E402
from sim.model import PiggybackModel  # noqa: E402

ENTROPY = 20261122
VOICE_COSTS = [0.05, 0.6, 1.2, 2.0]


def tasks(points: int, replicates: int) -> list[tuple[int, int, float, int]]:
    """(point, replicate, voice_cost, seed) of every run, seeded as the runner seeds them."""
    return [(j, r, VOICE_COSTS[j], seeds.run_seed(ENTROPY, j, r)) for j in range(points) for r in range(replicates)]


class BenchModel(PiggybackModel):
    """The model with one parameter, ``task`` = (point, replicate, voice_cost, seed)."""

    def __init__(self, task: tuple = (0, 0, 0.6, 0), rng=None, seed=None, **_ignored) -> None:
        _, _, voice_cost, run_seed = task
        super().__init__(rng=run_seed, voice_cost=voice_cost)
        # batch_run's final row is right only without an initial collection (see the module docstring)
        assert not self.datacollector.model_vars.get("quadrant"), "the model collects an initial row"


def via_batch_run(todo: list[tuple], processes: int, period: int = -1) -> tuple[float, dict[tuple[int, int], str]]:
    """``period=-1``: only each run's final row (the fair comparison); 1: batch_run's default, every step."""
    kwargs = dict(parameters={"task": todo}, number_processes=processes, max_steps=10_000,
                  data_collection_period=period, display_progress=False)
    if "rng" in inspect.signature(batch_run).parameters:
        kwargs["rng"] = [None]  # Mesa ≥ 3.4: the seed comes from the task, not from batch_run
    else:
        kwargs["iterations"] = 1
    t0 = time.perf_counter()
    rows = batch_run(BenchModel, **kwargs)
    wall = time.perf_counter() - t0
    final: dict[tuple[int, int], dict] = {}
    for r in rows:  # with period 1 there is a row per step: keep each run's last
        key = tuple(r["task"][:2])
        if key not in final or r["steps"] >= final[key]["steps"]:
            final[key] = r
    return wall, {k: r["quadrant"] for k, r in final.items()}


def via_runner(points: int, replicates: int, workers: int, out: Path,
               model_seconds: list | None = None) -> tuple[float, dict[tuple[int, int], str]]:
    exp = config.from_dict({
        "name": "bench", "entropy": ENTROPY, "replicates": replicates,
        "design": {"type": "grid", "parameters": {"voice_cost": VOICE_COSTS[:points]}},
    })
    executor = runner.make_executor("pool", workers)
    t0 = time.perf_counter()
    try:
        res = runner.run_experiment(exp, executor, out=out, progress=False)
    finally:
        executor.close()
    wall = time.perf_counter() - t0
    if model_seconds is not None:
        model_seconds.append(res.run_seconds)
    runs = store.load_runs(out)
    return wall, {(int(p), int(r)): q for p, r, q in zip(runs["point"], runs["replicate"], runs["quadrant"])}


def runner_vs_batch_run(points: int, replicates: int, workers: int, repeat: int, default_period: bool) -> dict:
    """Section 3: the same runs through both tools, interleaved rounds, median wall times."""
    todo = tasks(points, replicates)
    samples: dict[str, list[float]] = {}
    outcomes: dict[str, dict[tuple[int, int], str]] = {}
    model_seconds: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # interleaved rounds, so that a noisy neighbour slows every configuration alike
        for rnd in range(repeat):
            for procs in sorted({1, workers}):
                for tool in ("runner", "batch_run"):
                    key = f"{tool}_{procs}"
                    if tool == "runner":
                        wall, out = via_runner(points, replicates, procs, Path(tmp) / f"r{procs}_{rnd}",
                                               model_seconds.setdefault(procs, []))
                    else:
                        wall, out = via_batch_run(todo, procs)
                    samples.setdefault(key, []).append(wall)
                    outcomes[key] = out
                    print(f"    round {rnd + 1}: {tool:9} {procs} process(es): {wall:6.1f} s", flush=True)
            if default_period:  # batch_run as its documentation shows it: a row per step of every run
                key = f"batch_run_every_step_{workers}"
                wall, outcomes[key] = via_batch_run(todo, workers, period=1)
                samples.setdefault(key, []).append(wall)
                print(f"    round {rnd + 1}: batch_run {workers} process(es), data_collection_period=1: {wall:6.1f} s",
                      flush=True)
    times = {k: statistics.median(v) for k, v in samples.items()}
    reference = outcomes["runner_1"]
    n = len(todo)
    # the runner's overhead: wall time × processes − time spent inside the model, per run
    overhead = {p: 1e3 * (times[f"runner_{p}"] * p - statistics.median(v)) / n for p, v in model_seconds.items()}
    return {"runs": n, "median_wall_seconds": times, "samples": samples,
            "ratios": {f"batch_run/runner, {p} proc": times[f"batch_run_{p}"] / times[f"runner_{p}"]
                       for p in sorted({1, workers})},
            "speedup": times["runner_1"] / times[f"runner_{workers}"] if workers > 1 else None,
            "counts": {k: dict(sorted(Counter(v.values()).items())) for k, v in outcomes.items()},
            "agree": {k: v == reference for k, v in outcomes.items()},
            "model_ms_per_run": {p: 1e3 * statistics.median(v) / n for p, v in model_seconds.items()},
            "runner_overhead_ms_per_run": overhead, "workers": workers}


def report_runner(r: dict) -> None:
    for k, v in r["median_wall_seconds"].items():
        print(f"  median {k:26} {v:6.1f} s")
    print(f"  settled-quadrant counts: {r['counts']['runner_1']}; same outcome in every run as runner_1: {r['agree']}")
    for p, ms in r["model_ms_per_run"].items():
        print(f"  runner, {p} process(es): {ms:.1f} ms per run inside the model, "
              f"{r['runner_overhead_ms_per_run'][p]:.1f} ms per run of runner overhead (wall × processes − model)")
    for k, v in r["ratios"].items():
        print(f"  wall-time ratio {k}: {v:.2f}")
    if r["speedup"]:
        print(f"  runner speed-up 1 → {r['workers']} workers: {r['speedup']:.2f}")


SECTIONS = ("scaling", "early", "runner", "memory")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run of every section (figures not meaningful)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    ap.add_argument("--points", type=int, default=4, choices=range(1, len(VOICE_COSTS) + 1))
    ap.add_argument("--replicates", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="timings per configuration (the median is reported)")
    conventions.add_json_options(ap)
    args = ap.parse_args(argv)
    q = args.quick
    sections = [s for s in SECTIONS if s in args.only]
    measure = ("scale" if len(sections) == len(SECTIONS) else "+".join(sections)) + ("-quick" if q else "")
    json_path = conventions.json_target(args, measure)
    py = sys.version.split()[0]
    print(f"piggyback-abm benchmarks: python {py}, mesa {mesa.__version__}, {os.cpu_count()} cores"
          f"{' (--quick: smoke run, figures not meaningful)' if q else ''}", flush=True)
    results: dict = {"python": py, "mesa": mesa.__version__, "cores": os.cpu_count(), "quick": q}
    checks: list[tuple[str, str, str, bool | None]] = []  # figure, value, target, met

    if "scaling" in args.only:
        print("\n1. Per-step time against population size", flush=True)
        r = scaling.scaling([60, 600] if q else [60, 600, 6000], steps=10 if q else 30, rounds=2 if q else 5,
                            control=not q)
        scaling.report_scaling(r)
        results["scaling"] = r
        a, b = r["sizes"][-2:]
        checks.append(("time ∝ contracts^b, b over all sizes", f"{r['exponent_all']:.3f}", "≤ 1.05",
                       r["exponent_all"] <= 1.05))
        checks.append((f"  b from {a} to {b} SMEs", f"{r['exponent_top2']:.3f}", "≤ 1.05", r["exponent_top2"] <= 1.05))
        checks.append(("  work (function calls) ∝ contracts^b", f"{r['calls_exponent']:.3f}", "≤ 1.05",
                       r["calls_exponent"] <= 1.05))
    if "early" in args.only:
        print("\n2. Early stopping at settlement", flush=True)
        r = scaling.early_stopping(4 if q else 20)
        scaling.report_early(r)
        results["early_stopping"] = r
        checks.append(("time to 500 steps / to settlement", f"{r['total_ratio']:.2f}×", "(saving)", None))
    if "runner" in args.only:
        points, reps, repeat = (2, 10, 1) if q else (args.points, args.replicates, args.repeat)
        print(f"\n3. The runner against mesa.batch_run: {points * reps} runs (voice_cost × {reps} seeds), "
              f"{repeat} interleaved round(s), medians", flush=True)
        r = runner_vs_batch_run(points, reps, args.workers, repeat, default_period=not q)
        report_runner(r)
        results["runner"] = r
        same = all(r["agree"].values())
        if r["speedup"]:
            speedup = r["speedup"]
            checks.append((f"runner {args.workers} workers vs 1", f"{speedup:.2f}×", "≥ 1.8×", speedup >= 1.8))
        ratio = r["ratios"][f"batch_run/runner, {args.workers} proc"]
        checks.append((f"batch_run / runner, {args.workers} processes", f"{ratio:.2f}×", "≥ 3×", ratio >= 3))
        checks.append(("same settled quadrant, every run, both tools", str(same), "True", same))
    if "memory" in args.only:
        runs = [100, 300] if q else [1000, 10000]
        steps = 20
        print(f"\n4. Peak RSS of the runner's process tree ({args.workers} workers, runs of {steps} steps, "
              "default model otherwise; each sweep in a fresh process)", flush=True)
        rec = memory.measure(runs, args.workers, steps)
        ratio = memory.report(rec, f"recycled every {runner.RECYCLE} chunks")
        results["memory"] = {"recycled": rec}
        checks.append((f"peak RSS {runs[1]} / {runs[0]} runs", f"{ratio:.2f}", "≤ 1.2", ratio <= 1.2))
        if not q:  # what recycling prevents on Mesa 3.3 (models kept alive: projectmesa/mesa#3179)
            never = memory.measure(runs, args.workers, steps, recycle=0)
            memory.report(never, "never recycled (contrast)")
            results["memory"]["never_recycled"] = never

    print("\nSummary against the targets")
    for name, value, target, met in checks:
        verdict = "" if met is None else ("met" if met else "MISSED")
        print(f"  {name:48} {value:>8}   target {target:8} {verdict}")
    conventions.write(json_path, {**results, "measured": conventions.provenance()}, args.overwrite)
    agree = results.get("runner", {}).get("agree", {})
    return 0 if all(agree.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
