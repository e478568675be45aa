"""Time per contract-step of the model now against an earlier commit, each at its own defaults.

    .venv/bin/python benchmarks/contract_step.py [--before 478f952] [--seeds 6] [--rounds 3]

Issue 10 bounds the cost of version 2 per contract-step (at most 1.3× version 1's). The two
versions run different models (version 2 adds turnover, shared influence, alignment, regimes), so
their runs are not compared result for result: each runs 500 steps without stopping at its own
defaults, and the time is divided by the contract-steps it simulated. Rounds alternate the
versions; medians are reported, with the load average.
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

from codeversions import Worktree, run_worker  # noqa: E402

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
    ap.add_argument("--before", default="478f952", help="the earlier commit (default: version 1's last)")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
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
    print(f"load average {loads[0]:.2f} → {loads[-1]:.2f}; {args.rounds} rounds × {args.seeds} runs of 500 steps")
    for k in out:
        print(f"  {k:6s} {us[k]:6.2f} µs per contract-step ({n[k]:.0f} contracts a step)")
    print(f"  now / before: {us['now'] / us['before']:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
