"""Time per contract-step of the model now against an earlier commit, each at its own defaults.

    .venv/bin/python benchmarks/contract_step.py [--before REF] [--seeds 6] [--rounds 3]
                                                 [--json [FILE]] [--overwrite]

``--before`` defaults to commit 478f952, the last of model version 1. The richer version-2 model
(turnover, shared influence, alignment, regimes) was allowed to cost at most 1.3× version 1 per
contract-step, so that its mechanisms would not slow every sweep by more than 30 %; this script
checks that bound. The two versions run different models, so their runs are not compared result
for result: each runs 500 steps without stopping at its own defaults, and the time is divided by
the contract-steps it simulated. Rounds alternate the versions; medians are reported, with the load
average. ``--json`` without FILE writes
``benchmarks/results/contract-step-<interpreter>-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from codeversions import VERSION_1, Worktree, label, run_worker  # noqa: E402

from benchmarks import conventions  # noqa: E402

WORKER = r"""
import json, sys, time
import sim
from sim.model import PiggybackModel
job = json.loads(sys.stdin.read())
PiggybackModel(rng=0, collect_steps=False, max_steps=20).run()  # warm-up
total = steps = 0.0
for seed in job["seeds"]:
    m = PiggybackModel(rng=seed, collect_steps=False, stop_on_settle=False, max_steps=500)
    t0 = time.perf_counter()
    contract_steps = 0
    while m.running:
        m.step()
        contract_steps += m.contracts
    total += time.perf_counter() - t0
    steps += contract_steps
print(json.dumps({"file": sim.__file__, "us_per_contract_step": 1e6 * total / steps,
                  "contracts_per_step": steps / (500 * len(job["seeds"]))}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default=VERSION_1, help="the earlier commit (default: version 1's last)")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    conventions.add_json_options(ap)
    args = ap.parse_args(argv)
    json_path = conventions.json_target(args, "contract-step")
    job = json.dumps({"seeds": list(range(1, args.seeds + 1))})
    out = {"before": [], "now": []}
    loads = [os.getloadavg()[0]]
    with Worktree(args.before) as tree:
        for rnd in range(args.rounds):
            order = [("before", tree), ("now", ROOT)]
            for name, root in order if rnd % 2 == 0 else order[::-1]:
                out[name].append(run_worker(root, WORKER, job))
            loads.append(os.getloadavg()[0])
    us = {k: statistics.median(r["us_per_contract_step"] for r in v) for k, v in out.items()}
    n = {k: v[0]["contracts_per_step"] for k, v in out.items()}
    print(f"before = {label(args.before)} ({args.before[:7]}); load average {loads[0]:.2f} → "
          f"{loads[-1]:.2f}; {args.rounds} rounds × {args.seeds} runs of 500 steps")
    for k in out:
        print(f"  {k:6s} {us[k]:6.2f} µs per contract-step ({n[k]:.0f} contracts a step)")
    print(f"  now / before: {us['now'] / us['before']:.2f}× (bound: 1.3×)")
    conventions.write(json_path, {
        "before": label(args.before), "before_commit": args.before, "rounds": args.rounds,
        "seeds": args.seeds, "steps": 500, "us_per_contract_step": us, "contracts_per_step": n,
        "ratio_now_over_before": us["now"] / us["before"],
        "samples": {k: [r["us_per_contract_step"] for r in v] for k, v in out.items()},
        "load_average": loads, "measured": conventions.provenance()}, args.overwrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
