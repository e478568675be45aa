"""Print the figures each pattern test sees (docs/ODD.md §9): the scenarios of :mod:`sim.patterns`, run as the
tests run them, on the tests' seeds or on another block.

    .venv/bin/python tools/pattern_report.py                        # every scenario, the tests' seeds
    .venv/bin/python tools/pattern_report.py --only start_ Q2_ecosystem
    .venv/bin/python tools/pattern_report.py --block calibration    # the seeds the defaults were calibrated on
    .venv/bin/python tools/pattern_report.py --confirmation         # §13.3 confirmation and §13.5 clock per start
    .venv/bin/python tools/pattern_report.py --json out.json --set side_band=0.1

Same runs as the tests when the block is ``test`` (the default), so the figures here are the ones the tests
assert on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from sim import patterns as P
from sim.params import parse_assignment
from sim.vocabulary import LONG_RUN_REGIMES, PATH_NAMES, UNRESOLVED

BLOCKS = {"test": P.TEST_ENTROPY, "calibration": P.CALIBRATION_ENTROPY}


def _run(job):
    name, params, seed = job
    return name, P.run(params, seed)


def _confirm(job):
    name, params, seed = job
    return name, P.confirm(params, seed)


def scenario_rows(runs: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for name, rs in runs.items():
        c = Counter(r["regime"] for r in rs)
        steps = [r["regime_step"] for r in rs if r["regime_step"] is not None]
        rows.append({
            "scenario": name, "runs": len(rs), "regimes": {k: c[k] for k in LONG_RUN_REGIMES if c[k]},
            "median_regime_step": float(np.median(steps)) if steps else None,
            "founders_paths": [int(sum(r[f"founders_path_{p}"] for r in rs)) for p in PATH_NAMES],
            "subs_Q1_Q3_contested": [round(float(np.mean([r[k] for r in rs if r[k] is not None] or [np.nan])), 2)
                                     for k in ("subs_Q1", "subs_Q3", "subs_contested")],
            "mean_lof": round(float(np.mean([r["mean_lof"] for r in rs])), 3),
            "shock_return_time_p50_p90": [
                float(np.percentile(t, q)) for t in [[r["shock_return_time"] for r in rs
                                                      if r["shock_return_time"] is not None]] if t for q in (50, 90)],
            "shock_returned": sum(bool(r["shock_returned"]) for r in rs),
        })
    return rows


def confirmation_rows(recs: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for name, rs in recs.items():
        resolved = [r for r in rs if r["regime"] != UNRESOLVED]
        steps = [r["regime_step"] for r in rs if r["regime_step"] is not None]
        founding = [t for r in rs for t in r["founding"]]
        rows.append({
            "start": name, "runs": len(rs), "unresolved": len(rs) - len(resolved),
            "agree_at_twice": sum(r["regime"] == r["final_at_twice"] for r in resolved),
            "regimes": dict(Counter(r["regime"] for r in rs)),
            "regime_step_p50_p90": [float(np.percentile(steps, q)) for q in (50, 90)] if steps else None,
            "founding_tensions": len(founding),
            "founding_months_p50_p90": [P.km_quantile(founding, q) for q in (0.5, 0.9)] if founding else None,
        })
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="scenario name prefixes")
    ap.add_argument("--block", choices=sorted(BLOCKS), default="test", help="which seed block (default: the tests')")
    ap.add_argument("--replicates", type=int, help="runs per scenario (default: the tests' counts)")
    ap.add_argument("--confirmation", action="store_true",
                    help="instead: the §13.3 confirmation and the §13.5 clock for every start at defaults")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    overrides = dict(parse_assignment(a) for a in args.set)
    seeds = P.seeds(BLOCKS[args.block], max(2 * P.REPLICATES, args.replicates or 0))
    if args.confirmation:
        table = {f"start_{q}": (P.start(q), P.REPLICATES) for q in P.STARTS}
        work = _confirm
    else:
        table = P.scenarios()
        work = _run
    names = [n for n in table if not args.only or any(n.startswith(o) for o in args.only)]
    jobs = [(n, {**table[n][0], **overrides}, s) for n in names for s in seeds[: args.replicates or table[n][1]]]
    out: dict[str, list[dict]] = {}
    with ProcessPoolExecutor(max_workers=args.workers, mp_context=get_context("spawn")) as pool:
        for name, rec in pool.map(work, jobs, chunksize=4):
            out.setdefault(name, []).append(rec)
    rows = confirmation_rows(out) if args.confirmation else scenario_rows(out)
    for row in rows:
        print(json.dumps(row))
    if args.json:
        Path(args.json).write_text(json.dumps({"block": args.block, "overrides": overrides, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
