"""Profile default runs; optionally time them against an earlier commit (same seeds, same results).

    python benchmarks/profile_default.py [--seeds 10] [--top 12] [--before REF [--rounds 5]]

The profile: cProfile over default runs (seeds 1..N, to settlement) of this tree, sorted by own time.

``--before REF`` also checks REF out into a temporary ``git worktree``; each version is imported in
its own subprocess (``PYTHONPATH``) and times ``sim.model.run`` on seeds 1..N, to settlement (the
defaults) and to 500 steps (``stop_on_settle=False``). The two versions alternate for ``--rounds``
rounds; the figures are medians over rounds of the mean time per run, and the ratio before / now.
Every summary of both versions must be identical (the script exits 1 otherwise). Each version runs
at **its own defaults**, so REF must have the same defaults as this tree: the version-1 speed-ups
were measured this way against ``ddb12d9~1``. ``v2-pre-speed`` (commit 2d5a21e) has other defaults
(recalibrated since): for the speed-up against it, at parameter sets written out for both, use
``benchmarks/speedup.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codeversions import Worktree, label, run_worker  # noqa: E402

# Runs in a fresh interpreter whose PYTHONPATH points at one version of the code.
WORKER = """
import json, sys, time
import sim
from sim.model import run
seeds = int(sys.stdin.read())
run({}, 0)  # warm-up: imports, caches
out = {"file": sim.__file__, "summaries": [], "ms": {}}
for label, params in (("settle", {}), ("500", {"stop_on_settle": False, "max_steps": 500})):
    t0 = time.perf_counter()
    for seed in range(1, seeds + 1):
        s = run(params, seed)
        out["summaries"].append(s)
    out["ms"][label] = 1e3 * (time.perf_counter() - t0) / seeds
# default=bool: v2-pre-speed's stable_at_end was a NumPy bool (fixed since), the same truth value
print(json.dumps(out, default=bool))
"""


def time_version(code_root: Path, seeds: int) -> dict:
    return run_worker(code_root, WORKER, str(seeds))


def before_after(ref: str, rounds: int = 5, seeds: int = 10) -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    samples: dict[str, dict[str, list[float]]] = {"before": {"settle": [], "500": []},
                                                  "now": {"settle": [], "500": []}}
    identical = True
    with Worktree(ref) as worktree:
        for rnd in range(rounds):
            order = [("before", worktree), ("now", ROOT)]
            if rnd % 2:  # alternate who goes first
                order.reverse()
            outs = {}
            for which, root in order:
                outs[which] = time_version(root, seeds)
                for k, v in outs[which]["ms"].items():
                    samples[which][k].append(v)
            identical &= outs["before"]["summaries"] == outs["now"]["summaries"]
    med = {v: {k: statistics.median(x) for k, x in d.items()} for v, d in samples.items()}
    return {"ref": label(ref), "commit": commit, "rounds": rounds, "seeds": seeds, "ms": med,
            "samples": samples, "ratio": {k: med["before"][k] / med["now"][k] for k in ("settle", "500")},
            "identical": identical}


def report_before_after(r: dict) -> None:
    print(f"  before = {r['ref']} ({r['commit']}), now = the working tree; {r['seeds']} seeds × {r['rounds']} "
          "alternating rounds, each version in its own interpreter; median over rounds of ms per run:")
    for k, name in (("settle", "default run to settlement"), ("500", "run to 500 steps")):
        print(f"    {name:27}: before {r['ms']['before'][k]:6.1f} ms, now {r['ms']['now'][k]:6.1f} ms, "
              f"speed-up {r['ratio'][k]:.2f}×")
    print(f"  same summaries before and now for every seed: {r['identical']}")


def profile(seeds: int = 10, top: int = 12) -> str:
    from sim.model import run

    prof = cProfile.Profile()
    prof.enable()
    for seed in range(1, seeds + 1):
        run({}, seed)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    lines = buf.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    head = next(line for line in lines if "function calls" in line).strip()
    body = "\n".join(line.replace(str(ROOT) + "/", "").replace(sys.prefix, "<venv>") for line in lines[start:])
    return f"cProfile of {seeds} default runs (seeds 1..{seeds}): {head}\n{body.rstrip()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=None, metavar="REF",
                    help="also time against this commit (same defaults as this tree; see the docstring)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args(argv)
    print(profile(args.seeds, args.top))
    if args.before is None:
        return 0
    r = before_after(args.before, args.rounds, args.seeds)
    report_before_after(r)
    return 0 if r["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
