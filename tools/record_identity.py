"""Record what a version of the model gives for a fixed set of seeds × parameter sets.

    python tools/record_identity.py [--ref REF | --tree] [--out tests/data/identity.json]

``--ref`` is checked out into a temporary ``git worktree`` and imported in a fresh interpreter
(``PYTHONPATH``), so the record comes from that commit's code; ``--tree`` records the working tree as
it is (``tools/refresh_identity.py`` does, after an intended change; the record names the commit and
whether the tree differed from it). Each case is
run with the **full** parameter set written out (that commit's defaults updated by the case's
overrides), so the record stays valid while the defaults in ``sim/params.py`` are recalibrated.

Python 3.12's ``sum()`` of floats is compensated (Neumaier), 3.11's is not, so the same code gives
last-digit differences between them: each interpreter has its own record (``--python``, repeatable;
by default this interpreter and ``.venv312``'s), keyed by its minor version.

``tests/model/test_identity.py`` runs every recorded case on the current code and requires the same
bytes: the summary (as canonical JSON, floats by ``repr``), the ``steps`` and ``events`` tables
(SHA-256 of their canonical JSON), and for the ``collect`` cases every DataCollector row and the
generator's final state (same draws, in the same order, to the last one).

Cases are the dict :data:`CASES`: name → (overrides, seed, kind, options). Kinds: ``run`` is
``sim.model.run(params, seed, tables)``, the runner's entry point (recorded from the Mesa model,
``engine="mesa"``, where ``run`` has that keyword; ``tests/engine`` requires the compiled engine to give
the same bytes); ``collect`` builds
``PiggybackModel(rng=seed, **params)`` (DataCollector on, as the dashboard and ``mesa.batch_run``
use it), steps it ``steps`` times, optionally calling ``model.shock(share, intent)`` between steps
as the dashboard's button does.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from codeversions import Worktree, run_worker

ROOT = Path(__file__).resolve().parents[1]
TABLES = ["steps", "events", "timeline"]

CASES: dict[str, tuple[dict, int, str, dict]] = {
    # the default run, to settlement and to 500 steps, one and two contracts per SME
    "defaults_s1": ({}, 1, "run", {"tables": TABLES}),
    "defaults_s2": ({}, 2, "run", {}),
    "defaults_s3": ({}, 3, "run", {}),
    "cps2_s1": ({"contracts_per_sme": 2}, 1, "run", {"tables": TABLES}),
    "cps2_s4": ({"contracts_per_sme": 2}, 4, "run", {}),
    "no_stop_500_s5": ({"stop_on_settle": False, "max_steps": 500}, 5, "run", {"tables": TABLES}),
    "no_stop_500_cps2_s6": ({"stop_on_settle": False, "max_steps": 500, "contracts_per_sme": 2}, 6, "run", {}),
    # each start quadrant
    "start_Q1": ({"initial_quadrant": "Q1"}, 7, "run", {}),
    "start_Q2": ({"initial_quadrant": "Q2"}, 8, "run", {"tables": TABLES}),
    "start_Q3": ({"initial_quadrant": "Q3"}, 9, "run", {}),
    "start_Q4": ({"initial_quadrant": "Q4"}, 10, "run", {"tables": TABLES}),
    # turnover off, high, with mandate renewals
    "closed": ({"sme_turnover": 0.0, "sub_turnover": 0.0}, 11, "run", {}),
    "closed_cps2": ({"sme_turnover": 0.0, "contracts_per_sme": 2, "stop_on_settle": False, "max_steps": 300},
                    12, "run", {}),
    "turnover_high": ({"sme_turnover": 0.04, "sub_turnover": 0.02, "entry_p_international": 0.8,
                       "stop_on_settle": False, "max_steps": 300}, 13, "run", {"tables": TABLES}),
    # shocks of each intent
    "shock_international": ({"shock_step": 120, "shock_share": 0.4, "shock_intent": "international"},
                            14, "run", {"tables": TABLES}),
    "shock_domestic": ({"shock_step": 80, "shock_share": 0.6, "shock_intent": "domestic",
                        "initial_quadrant": "Q3"}, 15, "run", {}),
    "shock_mixed_no_stop": ({"shock_step": 200, "shock_share": 1.0, "shock_intent": "mixed",
                             "stop_on_settle": False, "max_steps": 400}, 16, "run", {}),
    # platform, intermediaries, ecosystem, both voice hypotheses
    "platform": ({"platform": True}, 17, "run", {}),
    "intermediary": ({"intermediary": 0.8}, 18, "run", {"tables": TABLES}),
    "voice_world_Q4": ({"initial_quadrant": "Q4", "voice_cost": 0.05, "ecosystem": 1.0, "intermediary": 1.0},
                       19, "run", {"tables": TABLES}),
    "exit_threat_cps2_platform": ({"voice_hypothesis": "exit_threat", "contracts_per_sme": 2, "platform": True},
                                  20, "run", {}),
    "exit_threat_Q2": ({"voice_hypothesis": "exit_threat", "initial_quadrant": "Q2", "exit_cost": 0.0},
                       21, "run", {"tables": TABLES}),
    "loyalty_Q4_threshold_low": ({"voice_hypothesis": "loyalty", "initial_quadrant": "Q4",
                                  "frustration_threshold": 0.5, "rationality": 0.0}, 22, "run", {}),
    # small and odd populations
    "tiny": ({"n_smes": 5, "n_mnes": 1, "n_markets": 1, "n_niches": 2, "contracts_per_sme": 1}, 23, "run",
             {"tables": TABLES}),
    "one_sme": ({"n_smes": 1, "n_mnes": 1, "n_markets": 2, "contracts_per_sme": 2, "stop_on_settle": False,
                 "max_steps": 120}, 24, "run", {}),
    "all_markets": ({"n_smes": 12, "n_markets": 3, "contracts_per_sme": 3, "n_niches": 3}, 25, "run", {}),
    "crowded": ({"n_smes": 200, "n_markets": 6, "n_mnes": 5, "contracts_per_sme": 3, "stop_on_settle": False,
                 "max_steps": 80}, 26, "run", {"tables": TABLES}),
    # edge values of the rules: no noise, zero means, zero effort weights, no alignment, saturation
    "no_noise": ({"value_cv_q1": 0.0, "value_cv_q3": 0.0}, 27, "run", {}),
    "zero_values": ({"value_q1": 0.0, "value_tension": 0.0, "value_cv_q3": 2.0}, 28, "run", {}),
    "zero_effort": ({"effort_floor": 0.0, "trust0": 0.0, "capacity": 0.0, "comm_min": 0.0, "comm_max": 0.0},
                    29, "run", {}),
    "no_alignment_no_pressure": ({"alignment_pull": 0.0, "hq_pressure": 0.0, "ecosystem": 0.5}, 30, "run", {}),
    "saturated": ({"knowledge0": 1.0, "trust0": 1.0, "learning_rate": 1.0, "trust_gain": 1.0,
                   "frustration_erosion": 1.0, "voluntarism": 1.0, "capability": 0.0, "boundary_spanning": 1.0},
                  31, "run", {}),
    "fast_everything": ({"opportunity_rate": 10.0, "search_rate": 1.0, "ambition_drift": 0.1,
                         "pressure_rate": 0.2, "alignment_pull": 0.05, "lof_portfolio": 0.2, "lof_platform": 0.1,
                         "platform": True, "rationality": 20.0, "stop_on_settle": False, "max_steps": 200},
                        32, "run", {"tables": TABLES}),
    "no_opportunities": ({"opportunity_rate": 0.0, "search_rate": 0.0}, 33, "run", {}),
    # the model as the dashboard and mesa.batch_run drive it: DataCollector rows, a shock from the button
    "collect_defaults": ({}, 34, "collect", {"steps": 150}),
    "collect_button_shock": ({"contracts_per_sme": 2, "sub_turnover": 0.01}, 35, "collect",
                             {"steps": 160, "shock_at": 70, "shock_share": 0.5, "shock_intent": "international"}),
}

def canonical(obj) -> str:
    """JSON with sorted keys and floats by ``repr``; anything else (a NumPy scalar, ...) by ``repr``, so
    that types count as well as values. (v2-pre-speed's ``stable_at_end`` was a NumPy bool, a bug fixed
    since: its record was rewritten as the JSON bool of the same value, nothing else.)"""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


def digest(obj) -> str:
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


def record_case(params: dict, seed: int, kind: str, opts: dict, run=None) -> dict:
    """Run one case with whatever ``sim`` is importable; what :func:`main` records of it. ``run``: the function
    a ``run`` case calls (default ``sim.model.run``, by the Mesa model where it can choose)."""
    import inspect

    from sim import model

    rec: dict = {}
    if kind == "run":
        if run is None:
            mesa = "engine" in inspect.signature(model.run).parameters
            run = functools.partial(model.run, engine="mesa") if mesa else model.run
        summary = run(params, seed, tables=tuple(opts.get("tables", ())))
        tables = summary.pop("tables", {})
        rec["summary"] = json.loads(canonical(summary))
        rec["tables"] = {k: {"rows": len(v), "sha256": digest(v)} for k, v in tables.items()}
    elif kind == "collect":
        m = model.PiggybackModel(rng=seed, **params)
        for _ in range(opts["steps"]):
            if m.steps == opts.get("shock_at", -1):
                m.shock(opts["shock_share"], opts["shock_intent"])
            m.step()
        rec["summary"] = json.loads(canonical(m.summary()))
        rows = m.datacollector.model_vars
        rec["tables"] = {"collect": {"rows": len(rows["steps"]), "sha256": digest(rows)}}
        rec["rng_state"] = str(m.rng.bit_generator.state["state"])
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return rec


# Runs in a fresh interpreter whose PYTHONPATH is the code to record, then this folder.
WORKER = r"""
import json, sys
import mesa, numpy, sim
from sim.params import defaults
from record_identity import record_case

out = {"file": sim.__file__, "python": "%d.%d.%d" % sys.version_info[:3], "mesa": mesa.__version__,
       "numpy": numpy.__version__, "cases": {}}
for name, (overrides, seed, kind, opts) in json.loads(sys.stdin.read()).items():
    params = {**defaults(), **overrides}
    out["cases"][name] = {"params": params, "seed": seed, "kind": kind, "options": opts,
                          **record_case(params, seed, kind, opts)}
print(json.dumps(out))
"""


def run_version(code_root: Path, cases: dict, python: str = sys.executable) -> dict:
    """Run :data:`WORKER` on ``cases`` with the code under ``code_root``; its JSON output (``cases``:
    name → record; the Mesa and NumPy versions)."""
    return run_worker(code_root, WORKER, json.dumps(cases), python, [Path(__file__).parent])


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--ref", help="git ref whose code is recorded")
    where.add_argument("--tree", action="store_true", help="record the working tree")
    ap.add_argument("--python", action="append", default=None,
                    help="interpreter to record with (repeatable; default: this one and .venv312's if present)")
    ap.add_argument("--out", default=str(ROOT / "tests" / "data" / "identity.json"))
    args = ap.parse_args(argv)
    pythons = args.python or [sys.executable, *[str(p) for p in [ROOT / ".venv312" / "bin" / "python"] if p.exists()]]
    ref = "HEAD" if args.tree else args.ref
    commit = _git("rev-parse", ref)
    out = Path(args.out)
    record: dict = {"ref": "working tree" if args.tree else args.ref, "commit": commit, "by_python": {}}
    if args.tree:
        record["dirty"] = bool(_git("status", "--porcelain", "--untracked-files=no", "--", "sim"))
    with contextlib.nullcontext(ROOT) if args.tree else Worktree(args.ref) as tree:
        for python in pythons:
            got = run_version(tree, CASES, python)
            minor = ".".join(got["python"].split(".")[:2])
            record["by_python"][minor] = {"recorded_with": {k: got[k] for k in ("python", "mesa", "numpy")},
                                          "cases": got["cases"]}
            print(f"recorded {len(got['cases'])} cases of {record['ref']} ({commit[:10]}) with Python "
                  f"{got['python']}, Mesa {got['mesa']}, NumPy {got['numpy']}")
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    tmp.replace(out)
    print(f"into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
