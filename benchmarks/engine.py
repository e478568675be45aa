"""The compiled engine's targets (issue "A compiled engine", item 5) as ratios measured in one run.

    .venv/bin/python benchmarks/engine.py [--seeds 3] [--rounds 2] [--sobol-points 200]
                                          [--replicates 25] [--only step runner sobol compile]
                                          [--json [FILE]] [--overwrite]

1. ``step``: µs per contract-step, ``v2-pre-speed`` (commit 2d5a21e, checked out in a temporary git worktree,
   the Mesa model with its fast step) against this tree's compiled engine and, for contrast, this tree's
   Mesa model, each at its own defaults and at 240 SMEs, 500 steps without stopping (the compiled engine
   timed as ``sim.engine.run`` runs it, parameters to summary, and, for contrast, stepped month by month
   from Python by :class:`sim.engine.api.Engine`); each version in its
   own fresh interpreter, rounds alternating, medians. The models differ (version 3's measurement since),
   so runs are not compared result for result: time is divided by the contract-steps each simulated
   (target: ≥ 10× ``v2-pre-speed``).
2. ``runner``: the experiment runner (compiled engine, the default of ``sim.model:run``) against
   ``mesa.batch_run`` (the Mesa model) on the same sweep (``voice_cost`` at 4 values × ``--replicates``,
   the runner's seeds), 1 and 2 processes, with :func:`benchmarks.run.runner_vs_batch_run` (which checks
   that both give the same settled quadrant in every run; target: ≥ 10×).
3. ``sobol``: the 163,840-run Sobol study (15 parameters of ``experiments/configs/sensitivity.toml``,
   N = 1024, second-order: 32,768 points × 5 replicates) projected from the mean seconds per run of the
   compiled engine on ``--sobol-points`` points spread evenly over the shipped sensitivity design (its
   ranges, its base parameters, to settlement or 500 steps), one core; 2 cores at the runner's measured
   2-worker speed-up (1.92×), 64 cores ideal (the driver dispatches > 27,000 runs/s). Target: < 30 min on 2.
4. ``compile``: a fresh process with an empty cache directory (``NUMBA_CACHE_DIR``): import and the first
   run (compiling everything) against a second fresh process that loads the cached machine code, and a
   run once loaded.

``--json`` without FILE writes ``benchmarks/results/engine-<interpreter>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codeversions import V2_PRE_SPEED, Worktree, label, run_worker  # noqa: E402

from benchmarks import conventions  # noqa: E402

SECTIONS = ("step", "runner", "sobol", "compile")
SOBOL_RUNS = 32_768 * 5
TWO_WORKERS = 1.92  # the runner's 2-worker / 1-worker speed-up (docs/PERFORMANCE.md, the runner section)

# µs per contract-step in a fresh interpreter; ``engine``: "compiled", "mesa" or "old" (a commit without
# sim.model.run's engine: its PiggybackModel, stepped by its default step).
STEP_WORKER = r"""
import json, sys, time
import numpy as np
import sim
job = json.loads(sys.stdin.read())
kind, seeds = job["engine"], job["seeds"]

def one(over, seed):
    params = {**over, "stop_on_settle": False, "max_steps": 500}
    if kind == "compiled":  # what sim.engine.api.run does, timed whole: parameters, arrays, run, summary
        from sim.engine import api, layout, results, schedule, state, structs
        from sim.params import validate
        t0 = time.perf_counter()
        p = validate(params)
        P, Q, H = layout.pack(p)
        S = state.allocate(Q, H, 0)
        schedule.run(structs.attach(S), P, Q, H, api.generator(seed))
        results.summary(S, Q, H, seed)
        dt = time.perf_counter() - t0
        n = int(S.rec.C[layout.C_OBS_N])
        return dt, float(np.diff(S.obs.cum[: n + 1], axis=0)[:, 4].sum())
    if kind == "stepped":  # the same, stepped month by month from Python (sim.engine.api.Engine)
        from sim.engine import api, layout
        e = api.Engine(params, seed)
        t0 = time.perf_counter()
        e.run()
        dt = time.perf_counter() - t0
        n = int(e.state.rec.C[layout.C_OBS_N])
        return dt, float(np.diff(e.state.obs.cum[: n + 1], axis=0)[:, 4].sum())
    from sim.model import PiggybackModel
    m = PiggybackModel(rng=seed, collect_steps=False, **params)
    t0 = time.perf_counter()
    contract_steps = 0
    while m.running:
        m.step()
        contract_steps += m.contracts
    return time.perf_counter() - t0, contract_steps

out = {"file": sim.__file__, "us": {}, "contracts_per_step": {}}
for name, over in job["sets"].items():
    one(over, 0)  # warm-up: imports, compile or cache load
    total = cs = 0.0
    for seed in seeds:
        dt, n = one(over, seed)
        total += dt
        cs += n
    out["us"][name] = 1e6 * total / cs
    out["contracts_per_step"][name] = cs / (500 * len(seeds))
print(json.dumps(out))
"""

STEP_SETS = {"defaults": {}, "240 SMEs": {"n_smes": 240}}


def per_contract_step(seeds: int, rounds: int, log=print) -> dict:
    job = {"seeds": list(range(1, seeds + 1)), "sets": STEP_SETS}
    samples: dict[str, dict[str, list[float]]] = {}
    per_step: dict[str, dict] = {}
    with Worktree(V2_PRE_SPEED) as tree:
        versions = {"v2-pre-speed": (tree, "old"), "compiled": (ROOT, "compiled"), "mesa": (ROOT, "mesa"),
                    "stepped": (ROOT, "stepped")}
        for rnd in range(rounds):
            order = list(versions) if rnd % 2 == 0 else list(versions)[::-1]
            for v in order:
                root, kind = versions[v]
                out = run_worker(root, STEP_WORKER, json.dumps({**job, "engine": kind}))
                for k, us in out["us"].items():
                    samples.setdefault(v, {}).setdefault(k, []).append(us)
                per_step[v] = out["contracts_per_step"]
            log(f"  step: round {rnd + 1}/{rounds}, load average {os.getloadavg()[0]:.2f}")
    us = {v: {k: statistics.median(x) for k, x in d.items()} for v, d in samples.items()}
    ratio = {k: us["v2-pre-speed"][k] / us["compiled"][k] for k in STEP_SETS}
    ratio_mesa = {k: us["mesa"][k] / us["compiled"][k] for k in STEP_SETS}
    ratio_stepped = {k: us["stepped"][k] / us["compiled"][k] for k in STEP_SETS}
    for k in STEP_SETS:
        log(f"  {k:9} µs per contract-step: v2-pre-speed {us['v2-pre-speed'][k]:.3f} "
            f"({per_step['v2-pre-speed'][k]:.0f} contracts a step), Mesa model now {us['mesa'][k]:.3f}, compiled "
            f"{us['compiled'][k]:.3f} ({per_step['compiled'][k]:.0f} contracts a step): "
            f"v2-pre-speed / compiled {ratio[k]:.1f}× (target ≥ 10×), Mesa / compiled {ratio_mesa[k]:.1f}×; "
            f"stepped month by month from Python {us['stepped'][k]:.3f} ({ratio_stepped[k]:.1f}× the whole run)")
    return {"before": label(V2_PRE_SPEED), "before_commit": V2_PRE_SPEED, "seeds": seeds, "rounds": rounds,
            "steps": 500, "sets": STEP_SETS, "us_per_contract_step": us, "contracts_per_step": per_step,
            "samples": samples, "ratio_v2_pre_speed_over_compiled": ratio, "ratio_mesa_over_compiled": ratio_mesa,
            "ratio_stepped_over_compiled": ratio_stepped}


def runner_vs_batch_run(replicates: int, log=print) -> dict:
    from benchmarks.run import report_runner
    from benchmarks.run import runner_vs_batch_run as compare
    from sim.model import engine_used

    log(f"  runner ({engine_used()['engine']} engine) against batch_run (the Mesa model), 4 × {replicates} runs")
    r = compare(4, replicates, 2, 1, False)
    report_runner(r)
    return {"engine": engine_used(), **r}


SOBOL_WORKER = r"""
import json, sys, time
import sim
from sim.model import run
job = json.loads(sys.stdin.read())
run(job["runs"][0][0], 0)  # warm-up: compile or load
t0 = time.perf_counter()
steps = 0
for params, seed in job["runs"]:
    steps += run(params, seed)["steps"]
dt = time.perf_counter() - t0
print(json.dumps({"file": sim.__file__, "seconds": dt, "runs": len(job["runs"]), "steps": steps}))
"""


def sobol(points: int, log=print) -> dict:
    from experiments import pipeline
    from experiments.definition import designs, seeds

    exp = pipeline.experiment("sensitivity")
    design = designs.make(exp)
    n = len(design.points)
    picks = [round(i * (n - 1) / max(1, points - 1)) for i in range(points)]
    runs = [[{**exp.base, **design.points[j]}, seeds.run_seed(exp.entropy, j, 0)] for j in picks]
    out = run_worker(ROOT, SOBOL_WORKER, json.dumps({"runs": runs}))
    per_run = out["seconds"] / out["runs"]
    one_core = SOBOL_RUNS * per_run
    proj = {"1 core": one_core, "2 cores": one_core / TWO_WORKERS, "64 cores": one_core / 64}
    log(f"  sobol: {out['runs']} points of the sensitivity design, {1e3 * per_run:.2f} ms per run "
        f"({out['steps'] / out['runs']:.0f} steps); 163,840 runs: {proj['2 cores'] / 60:.1f} min on 2 cores "
        f"(target < 30), {proj['64 cores']:.0f} s on 64")
    return {"points": out["runs"], "design_points": n, "ms_per_run": 1e3 * per_run,
            "mean_steps": out["steps"] / out["runs"], "runs_projected": SOBOL_RUNS,
            "two_worker_speedup": TWO_WORKERS, "projected_seconds": proj}


COMPILE_WORKER = r"""
import json, sys, time
t0 = time.perf_counter()
import sim
from sim.model import run
from sim import engine
from sim.engine import api  # imports (and compiles or loads) the compiled modules
t1 = time.perf_counter()
run({}, 1)
t2 = time.perf_counter()
run({}, 2)
t3 = time.perf_counter()
from sim.model import PiggybackModel
PiggybackModel(rng=2, collect_steps=False).run()
t4 = time.perf_counter()
print(json.dumps({"file": sim.__file__, "import_s": t1 - t0, "first_run_s": t2 - t1, "next_run_s": t3 - t2,
                  "mesa_run_s": t4 - t3}))
"""


def compile_time(log=print) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env_cache = {"NUMBA_CACHE_DIR": cache}
        old = {k: os.environ.get(k) for k in env_cache}
        os.environ.update(env_cache)
        try:
            for name in ("cold", "cached"):
                t0 = time.perf_counter()
                r = run_worker(ROOT, COMPILE_WORKER, "")
                r["process_s"] = time.perf_counter() - t0
                out[name] = r
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    for name, r in out.items():
        log(f"  compile: {name:6} process {r['process_s']:.1f} s: import {r['import_s']:.2f} s, first run "
            f"{r['first_run_s']:.2f} s, a run after it {1e3 * r['next_run_s']:.1f} ms (the Mesa model's "
            f"{1e3 * r['mesa_run_s']:.0f} ms)")
    out["compile_s"] = out["cold"]["import_s"] + out["cold"]["first_run_s"]
    out["cached_load_s"] = out["cached"]["import_s"] + out["cached"]["first_run_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--sobol-points", type=int, default=200)
    ap.add_argument("--replicates", type=int, default=25)
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    conventions.add_json_options(ap)
    args = ap.parse_args(argv)
    json_path = conventions.json_target(args, "engine", with_mesa=True)
    import numba

    loads = [os.getloadavg()[0]]
    print(f"compiled engine benchmarks; Python {sys.version.split()[0]}, Numba {numba.__version__}; "
          f"load average {loads[0]:.2f}")
    result: dict = {"numba": numba.__version__}
    t0 = time.time()
    if "compile" in args.only:
        result["compile"] = compile_time()
    if "step" in args.only:
        result["step"] = per_contract_step(args.seeds, args.rounds)
    if "sobol" in args.only:
        result["sobol"] = sobol(args.sobol_points)
    if "runner" in args.only:
        result["runner"] = runner_vs_batch_run(args.replicates)
    loads.append(os.getloadavg()[0])
    result["load_average"] = loads
    result["wall_s"] = round(time.time() - t0, 1)
    conventions.write(json_path, {**result, "measured": conventions.provenance()}, args.overwrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
