"""Seconds per run of the model now against an earlier commit, at explicit parameter sets.

    python benchmarks/speedup.py [--before REF] [--rounds 5] [--seeds 10] [--reference]
                                 [--json [FILE]] [--overwrite]

``--before`` (default: commit 2d5a21e, named ``v2-pre-speed`` in the docs: the version-2 model
before the fast step) is checked out into a temporary ``git worktree``. Each version runs in its own fresh
interpreter (``PYTHONPATH``), the two alternating for ``--rounds`` rounds (who goes first alternates
too), on seeds 1..N of every parameter set below, all given **explicitly** to both versions: the
earlier commit's defaults (read from its own ``sim/params.py``) updated by the set's overrides, so
recalibrated defaults change neither side. Figures: the median over rounds of the mean milliseconds
per run, and their ratio (before / now). Every summary of both versions must be identical (the
script exits 1 otherwise), so the ratio compares the same runs. ``--reference`` adds this tree's
reference mode (``PiggybackModel(reference=True)``: agents call the rules) as a third column.

The load average is printed at the start and after each round: the machine is shared.
``--json`` without FILE writes ``benchmarks/results/speedup-<interpreter>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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

# name -> overrides of the earlier commit's defaults; sme_turnover = 0.008 (the default since
# version 2) is written out, as are the parameters most likely to be recalibrated
SETS: dict[str, dict] = {
    "settle_cps1": {"contracts_per_sme": 1, "sme_turnover": 0.008},
    "settle_cps2": {"contracts_per_sme": 2, "sme_turnover": 0.008},
    "500_cps1": {"contracts_per_sme": 1, "sme_turnover": 0.008, "stop_on_settle": False, "max_steps": 500},
    "500_cps2": {"contracts_per_sme": 2, "sme_turnover": 0.008, "stop_on_settle": False, "max_steps": 500},
}
LABELS = {
    "settle_cps1": "default run to settlement, 1 contract per SME",
    "settle_cps2": "default run to settlement, 2 contracts per SME",
    "500_cps1": "500 steps, no stop, 1 contract per SME",
    "500_cps2": "500 steps, no stop, 2 contracts per SME",
}

# Runs in a fresh interpreter whose PYTHONPATH is one version of the code.
WORKER = r"""
import hashlib, json, sys, time
import sim
from sim.model import PiggybackModel
job = json.loads(sys.stdin.read())
reference = job["reference"]

def one(params, seed):
    kw = {"reference": True} if reference else {}
    model = PiggybackModel(rng=seed, collect_steps=False, **kw, **params)
    return model.run()

one(job["sets"][next(iter(job["sets"]))], 0)  # warm-up: imports, caches
out = {"file": sim.__file__, "ms": {}, "steps": {}, "digest": {}}
for name, params in job["sets"].items():
    summaries = []
    t0 = time.perf_counter()
    for seed in job["seeds"]:
        summaries.append(one(params, seed))
    out["ms"][name] = 1e3 * (time.perf_counter() - t0) / len(job["seeds"])
    out["steps"][name] = sum(s["steps"] for s in summaries) / len(summaries)
    # default=bool: v2-pre-speed's stable_at_end was a NumPy bool (fixed since), the same truth value
    text = json.dumps(summaries, sort_keys=True, default=bool)
    out["digest"][name] = hashlib.sha256(text.encode()).hexdigest()
print(json.dumps(out))
"""

DEFAULTS = "import json; from sim.params import defaults; print(json.dumps(defaults()))"


def run_version(code_root: Path, sets: dict, seeds: list[int], reference: bool = False) -> dict:
    return run_worker(code_root, WORKER, json.dumps({"sets": sets, "seeds": seeds, "reference": reference}))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def compare(before: str, rounds: int, seeds: int, reference: bool = False, log=print) -> dict:
    commit = subprocess.run(["git", "rev-parse", "--short", before], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    now_commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    worktree = Worktree(before)
    tree = worktree.__enter__()
    versions = {"before": (tree, False), "now": (ROOT, False)}
    if reference:
        versions["reference"] = (ROOT, True)
    samples = {v: {k: [] for k in SETS} for v in versions}
    digests: dict[str, dict] = {}
    steps: dict[str, dict] = {}
    loads = [load()]
    t_start = time.time()
    try:
        base = json.loads(subprocess.run([sys.executable, "-c", DEFAULTS], capture_output=True, text=True,
                                         env={**os.environ, "PYTHONPATH": str(tree)}, cwd=tempfile.gettempdir(),
                                         check=True).stdout)
        sets = {name: {**base, **over} for name, over in SETS.items()}
        log(f"before = {label(before)} ({commit}), now = {now_commit}; Python {sys.version.split()[0]}; "
            f"{seeds} seeds × {len(SETS)} parameter sets × {rounds} rounds; load average {loads[0]}")
        for rnd in range(rounds):
            order = list(versions)
            if rnd % 2:
                order.reverse()
            for v in order:
                root, ref = versions[v]
                out = run_version(root, sets, list(range(1, seeds + 1)), ref)
                for k, ms in out["ms"].items():
                    samples[v][k].append(ms)
                digests.setdefault(v, out["digest"])
                steps.setdefault(v, out["steps"])
                if out["digest"] != digests[v]:
                    raise RuntimeError(f"{v}: summaries changed between rounds")
            loads.append(load())
            log(f"  round {rnd + 1}/{rounds} done, load average {loads[-1]}")
    finally:
        worktree.__exit__(None, None, None)
    med = {v: {k: statistics.median(x) for k, x in d.items()} for v, d in samples.items()}
    identical = {k: all(digests[v][k] == digests["before"][k] for v in versions) for k in SETS}
    import mesa
    import numpy

    return {
        "before": label(before), "before_commit": commit, "now": now_commit, "rounds": rounds,
        "seeds": seeds,
        "python": sys.version.split()[0], "mesa": mesa.__version__, "numpy": numpy.__version__,
        "sets": SETS, "mean_steps": steps["before"], "ms": med, "samples": samples,
        "ratio": {k: med["before"][k] / med["now"][k] for k in SETS},
        "ratio_reference": {k: med["reference"][k] / med["now"][k] for k in SETS} if reference else None,
        "identical": identical, "load_average": loads, "wall_s": round(time.time() - t_start, 1),
    }


def report(r: dict, log=print) -> None:
    log(f"median over {r['rounds']} rounds of ms per run (seeds 1..{r['seeds']}); identical summaries: "
        f"{all(r['identical'].values())}")
    head = f"  {'':48} {'steps':>6} {'before':>9} {'now':>9} {'speed-up':>9}"
    if r["ratio_reference"]:
        head += f" {'reference':>10} {'ref/now':>8}"
    log(head)
    for k in SETS:
        line = (f"  {LABELS[k]:48} {r['mean_steps'][k]:6.0f} {r['ms']['before'][k]:9.1f} {r['ms']['now'][k]:9.1f} "
                f"{r['ratio'][k]:8.2f}×")
        if r["ratio_reference"]:
            line += f" {r['ms']['reference'][k]:10.1f} {r['ratio_reference'][k]:7.2f}×"
        log(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=V2_PRE_SPEED,
                    help="the earlier commit (default: v2-pre-speed, the version-2 model before the fast step)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--reference", action="store_true", help="also time this tree's reference mode")
    conventions.add_json_options(ap)
    args = ap.parse_args(argv)
    json_path = conventions.json_target(args, "speedup")
    r = compare(args.before, args.rounds, args.seeds, args.reference)
    report(r)
    conventions.write(json_path, {**r, "measured": conventions.provenance()}, args.overwrite)
    return 0 if all(r["identical"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
