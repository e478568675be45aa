"""Run the scenarios of tests/test_patterns.py and print the figures each pattern test sees.

The calibration record of docs/ODD.md (§9) is this output::

    .venv/bin/python tools/pattern_report.py                # all scenarios, 50 replicates (~15 min on 2 cores)
    .venv/bin/python tools/pattern_report.py --json out.json
    .venv/bin/python tools/pattern_report.py --confirmation  # §12.1 at 30, 60 and 240 SMEs, every start
    .venv/bin/python tools/pattern_report.py --confirmation --only confirm_mixed_n30 --entropy 20261209 --replicates 200

Same seeds and the same runs as the tests (the scenario table, seeds and outcome rules are imported
from the test module), so the figures here are the ones the tests assert on; ``--entropy`` and
``--replicates`` draw other seeds (``SeedSequence(entropy).spawn(replicates)``) to measure a figure again.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import test_patterns as T  # noqa: E402

CONFIRMATION = {
    f"confirm_{q}_n{n}": ({"n_smes": n, **({} if q == "mixed" else {"initial_quadrant": q})}, T.REPLICATES)
    for n in (30, 60, 240) for q in ("Q1", "Q2", "Q3", "Q4", "mixed")
}


def _job(job):
    name, params, seed = job
    return name, *T.run_both(params, seed)


def _counts(rs, mode):
    c = Counter(T.regime(r, mode) for r in rs)
    return " ".join(f"{k} {c[k]}" for k in ("Q1", "Q2", "Q3", "Q4", "mixed", "unsettled") if c[k])


def report(runs) -> dict:
    out = {}
    for name in T.SCENARIOS:
        rows = {}
        for mode in T.MODES:
            rs = runs[(name, mode)]
            rows[mode] = {
                "regimes": _counts(rs, mode),
                "founders_paths": [round(float(np.mean([r[f"founders_path_{p}"] for r in rs])), 1) for p in "ABCD"],
                "paths": [round(float(np.mean([r[f"path_{p}"] for r in rs])), 1) for p in "ABCD"],
                "settled": sum(r["settled"] for r in rs),
                "median_settle": float(np.median([r["settle_step"] for r in rs if r["settled"]] or [np.nan])),
                "mean_lof": round(float(np.mean([r["mean_lof"] for r in rs])), 3),
                "composition_Q1": round(float(np.mean([r["composition_Q1"] for r in rs])), 2),
                "composition_Q3": round(float(np.mean([r["composition_Q3"] for r in rs])), 2),
            }
        start = T.SCENARIOS[name][0].get("initial_quadrant")
        if start in ("Q2", "Q4"):  # pattern 2: the start quadrant's final share below 0.25
            rows["start_share_below_0.25"] = {m: sum(r[f"share_{start}"] < 0.25 for r in runs[(name, m)])
                                               for m in T.MODES}
        a, b = runs[(name, "settlement")], runs[(name, "max_steps")]
        settled = [(x, y) for x, y in zip(a, b) if x["settled"]]
        rows["confirmation"] = (sum(x["quadrant"] == y["final_quadrant"] for x, y in settled), len(settled), len(a))
        if name.startswith("shock_"):
            q = name.split("_")[1]
            ret = [r for r in b if r["shock_regime"] == q and r["shock_returned"]]
            rows["shock"] = (len(ret), len(b), float(np.median([r["shock_return_time"] for r in ret] or [np.nan])))
        out[name] = rows
    return out


def markdown(rep: dict) -> str:
    lines = ["| scenario | regime at settlement | regime at max_steps | settled / confirmed | founders' paths A/B/C/D "
             "(all paths) at max_steps | composition Q1/Q3 |", "|---|---|---|---|---|---|"]
    for name, r in rep.items():
        ok, n_set, n = r["confirmation"]
        e = r["max_steps"]
        lines.append(f"| {name} | {r['settlement']['regimes']} | {e['regimes']} | {n_set}/{n}, {ok}/{n_set} | "
                     f"{'/'.join(map(str, e['founders_paths']))} ({'/'.join(map(str, e['paths']))}) | "
                     f"{e['composition_Q1']}/{e['composition_Q3']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", help="scenario name prefixes")
    ap.add_argument("--json", help="also write the figures as JSON")
    ap.add_argument("--confirmation", action="store_true",
                    help="instead: the confirmation of settlement for every start at 30, 60 and 240 SMEs")
    ap.add_argument("--entropy", type=int, help="seeds from this SeedSequence entropy instead of the tests' seeds")
    ap.add_argument("--replicates", type=int, help="runs per scenario (default: the tests' counts)")
    args = ap.parse_args(argv)
    seeds = T.SEEDS
    if args.entropy is not None or args.replicates:
        n = args.replicates or 2 * T.REPLICATES
        seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(args.entropy or T.ROOT_ENTROPY).spawn(n)]
    if args.confirmation:
        T.SCENARIOS.clear()
        T.SCENARIOS.update(CONFIRMATION)
    names = [n for n in T.SCENARIOS if not args.only or any(n.startswith(o) for o in args.only)]
    T.SCENARIOS = {n: T.SCENARIOS[n] for n in names}
    jobs = [(n, T.SCENARIOS[n][0], s) for n in names for s in seeds[: args.replicates or T.SCENARIOS[n][1]]]
    runs: dict = {}
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        for name, a, b in pool.map(_job, jobs, chunksize=8):
            runs.setdefault((name, "settlement"), []).append(a)
            runs.setdefault((name, "max_steps"), []).append(b)
    rep = report(runs)
    print(markdown(rep))
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
