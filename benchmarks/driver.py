"""The driver at scale, with the trivial model (experiments/trivial.py, microseconds per run), so that the
runner itself is what is measured:

1. driver memory: peak RSS of the driver process alone (``ru_maxrss``; workers excluded) running 10,000 and
   200,000 runs (5 replicates of N/5 points), each in a fresh interpreter; the target is a ratio ≤ 1.2
   (a study of any size fits in the driver's memory);
2. dispatch rate: runs per second through the Dask path (a ``LocalCluster`` of ``--workers`` processes, its
   start-up excluded), and through the local process pool and the serial executor for comparison;
   the target is ≥ 2,000 runs/s for Dask (the driver keeps a cluster of dozens of cores busy).

    python benchmarks/driver.py [--sizes 10000 200000] [--rate-runs 50000] [--workers 2]
                                [--json [FILE]] [--overwrite]

A script, not a timed test: the figures are printed (and written as JSON), never asserted. ``--json``
without FILE writes ``benchmarks/results/driver-<python>-<date>.json`` (no Mesa version: the trivial
model does not use Mesa).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import conventions  # noqa: E402


def experiment(runs: int, replicates: int = 5):
    from experiments.definition import config

    points = max(1, runs // replicates)
    xs = [round(i / max(1, points - 1), 9) for i in range(points)]
    return config.from_dict({"name": f"driver{runs}", "model": "experiments.engine.trivial:run", "entropy": 1,
                             "replicates": replicates, "design": {"type": "grid", "parameters": {"x": xs}}})


def child(kind: str, runs: int, executor: str, workers: int) -> dict:
    """One measurement, in this (fresh) interpreter."""
    from experiments import engine as runner

    exp = experiment(runs)
    ex = runner.make_executor(executor, workers, preload=("experiments.engine.trivial",))
    if executor == "dask":
        ex.client.run(lambda: __import__("experiments.engine.trivial"))  # warm the workers' imports
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = runner.run_experiment(exp, ex, out=Path(tmp) / "o", progress=False, max_runs=10**7)
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        from experiments import storage as store

        n = sum(len(chunk) for chunk in store.iter_runs(Path(tmp) / "o", columns=["run_id", "quadrant"]))
        read = time.perf_counter() - t1
    ex.close()
    assert res.ran == runs == n, (res.ran, runs, n)
    return {"kind": kind, "runs": runs, "executor": executor, "workers": ex.workers, "wall_s": round(wall, 3),
            "runs_per_s": round(runs / wall, 1), "chunks": res.chunks, "run_s": round(res.run_seconds, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "read_back_s": round(read, 3)}


def measure(kind: str, runs: int, executor: str, workers: int) -> dict:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(runs), executor, str(workers)],
                         cwd=ROOT, capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
    ap.add_argument("--rate-runs", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=2)
    conventions.add_json_options(ap)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        kind, runs, executor, workers = a.child
        print(json.dumps(child(kind, int(runs), executor, int(workers))))
        return
    json_path = conventions.json_target(a, "driver", with_mesa=False)
    results = []
    for n in a.sizes:
        r = measure("memory", n, "pool", a.workers)
        results.append(r)
        print(f"memory  {n:>8,} runs (pool, {r['workers']} workers): driver peak RSS {r['peak_rss_mb']:7.1f} MB, "
              f"{r['runs_per_s']:9,.0f} runs/s, {r['chunks']} chunks", flush=True)
    mem = [r for r in results if r["kind"] == "memory"]
    ratio = mem[-1]["peak_rss_mb"] / mem[0]["peak_rss_mb"]
    print(f"driver memory ratio {mem[-1]['runs']:,} / {mem[0]['runs']:,} runs: {ratio:.3f} (target ≤ 1.2)")
    for executor in ("dask", "pool", "serial"):
        try:
            r = measure("rate", a.rate_runs, executor, a.workers)
        except SystemExit as exc:
            print(f"rate    {executor}: failed: {str(exc).strip().splitlines()[-1]}")
            continue
        results.append(r)
        print(f"rate    {a.rate_runs:>8,} runs ({executor}, {r['workers']} workers): {r['runs_per_s']:9,.0f} runs/s "
              f"({r['wall_s']} s, {r['chunks']} chunks; read back in chunks in {r['read_back_s']} s)"
              + (" (target ≥ 2,000)" if executor == "dask" else ""), flush=True)
    conventions.write(json_path, {"results": results, "memory_ratio": round(ratio, 3),
                                  "measured": conventions.provenance()}, a.overwrite)


if __name__ == "__main__":
    main()
