"""Peak memory of the runner's whole process tree after 1,000 and after 10,000 short runs.

    python benchmarks/memory.py [--runs 1000 10000] [--workers 2] [--max-steps 20] [--contrast]

Each measurement is a fresh Python process (``--one N``) that runs an N-run sweep through the
runner's pool executor while a thread samples the resident set size (RSS) of the process and all
its descendants (the forkserver and the pool workers) every 50 ms. Reported: the peak of that sum,
the peak of a single worker, and how many worker processes were seen (recycling replaces them).
RSS double-counts pages a forked worker shares with the forkserver, so the tree total overstates
real use; the ratio between sweep sizes is the figure that matters (target ≤ 1.2).

``--contrast`` also runs the same sweeps with workers that are never replaced
(``maxtasksperchild=None``): on Mesa 3.3 every finished model stays alive (projectmesa/mesa#3179), so
those workers grow with the number of runs they have done.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/memory.py` from anywhere
    sys.path.insert(0, str(ROOT))


class TreeSampler(threading.Thread):
    """Samples the RSS of this process and its descendants until stopped."""

    def __init__(self, period: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.period = period
        self.me = psutil.Process()
        self.peak_total = self.peak_worker = self.peak_parent = 0
        self.pids: set[int] = set()
        self._stop_evt = threading.Event()

    def sample(self) -> None:
        total = parent = self.me.memory_info().rss
        for child in self.me.children(recursive=True):
            try:
                rss = child.memory_info().rss
            except psutil.Error:  # a recycled worker that just exited
                continue
            total += rss
            self.pids.add(child.pid)
            self.peak_worker = max(self.peak_worker, rss)
        self.peak_total = max(self.peak_total, total)
        self.peak_parent = max(self.peak_parent, parent)

    def run(self) -> None:
        while not self._stop_evt.is_set():
            self.sample()
            time.sleep(self.period)

    def stop(self) -> None:
        self._stop_evt.set()
        self.join()
        self.sample()


def one(runs: int, workers: int, max_steps: int, recycle: int | None) -> dict:
    """One sweep of ``runs`` short runs in this process; returns its peak RSS figures (MB)."""
    from experiments import engine as runner
    from experiments.definition import config

    exp = config.from_dict({"name": "memory", "entropy": 1, "replicates": runs, "max_steps": max_steps,
                            "design": {"type": "grid", "parameters": {}}})
    kw = {} if recycle == runner.RECYCLE else {"recycle": recycle}
    executor = runner.make_executor("pool", workers, **kw)
    sampler = TreeSampler()
    sampler.start()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            out = runner.run_experiment(exp, executor, out=Path(tmp) / "m", progress=False)
        finally:
            executor.close()
        wall = time.perf_counter() - t0
        sampler.stop()
    mb = 1 / 2**20
    return {"runs": runs, "ran": out.ran, "workers": workers, "max_steps": max_steps,
            "recycle": recycle, "wall_s": wall, "peak_tree_mb": sampler.peak_total * mb,
            "peak_worker_mb": sampler.peak_worker * mb, "peak_parent_mb": sampler.peak_parent * mb,
            "processes_seen": len(sampler.pids)}


def measure(runs: list[int], workers: int = 2, max_steps: int = 20, recycle: int | None = None,
            python: str = sys.executable) -> list[dict]:
    """Each sweep size in a fresh interpreter (so one sweep's memory cannot leak into the next)."""
    from experiments import engine as runner

    recycle = runner.RECYCLE if recycle is None else recycle
    results = []
    for n in runs:
        cmd = [python, str(Path(__file__).resolve()), "--one", str(n), "--workers", str(workers),
               "--max-steps", str(max_steps), "--recycle", str(recycle)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return results


def report(results: list[dict], label: str) -> float:
    for r in results:
        print(f"  {label}: {r['runs']:>6} runs of {r['max_steps']} steps, {r['workers']} workers: "
              f"{r['wall_s']:6.1f} s, peak tree RSS {r['peak_tree_mb']:6.1f} MB "
              f"(one worker ≤ {r['peak_worker_mb']:.1f} MB, parent ≤ {r['peak_parent_mb']:.1f} MB, "
              f"{r['processes_seen']} child processes seen)")
    ratio = results[-1]["peak_tree_mb"] / results[0]["peak_tree_mb"]
    print(f"  {label}: peak RSS ratio {results[-1]['runs']} / {results[0]['runs']} runs: {ratio:.2f}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=20)
    ap.add_argument("--recycle", type=int, default=None, help="chunks (tasks) per worker before replacement (0: never)")
    ap.add_argument("--contrast", action="store_true", help="also measure never-recycled workers")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one is not None:
        recycle = None if args.recycle == 0 else args.recycle
        print(json.dumps(one(args.one, args.workers, args.max_steps, recycle)))
        return 0
    report(measure(args.runs, args.workers, args.max_steps, args.recycle),
           "never recycled" if args.recycle == 0 else "recycled")
    if args.contrast:
        report(measure(args.runs, args.workers, args.max_steps, 0), "never recycled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
