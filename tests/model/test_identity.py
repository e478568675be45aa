"""The Mesa model gives the same bytes as the recorded model (``tests/engine/test_engine_identity.py`` holds the
compiled engine to the same record).

``tests/data/identity.json`` was recorded by ``tools/record_identity.py`` (its ``ref`` and ``commit``; since
version 3's measurement, from the working tree by ``tools/refresh_identity.py``): 36 cases,
each a seed and a *full* parameter set (so recalibrated defaults do not touch it) covering the
defaults, every start quadrant, turnover off and high, shocks of each intent, one to three contracts
per SME, the platform, intermediaries, both voice hypotheses, tiny and crowded populations, edge
values of the rules, and the DataCollector path with a shock given between steps as the dashboard
does. Python 3.11 and 3.12 each have their own record (3.12's ``sum()`` of floats is compensated,
so the last digits differ between them). Every summary must be the same JSON text (floats by
``repr``, NumPy bools as NumPy bools), every ``steps``/``events`` table and DataCollector table
the same SHA-256, and the generator's final state the same: the same draws in the same order, to
the last one. (``stable_at_end`` was a NumPy bool at the tag, a bug fixed since; the record holds the
same truth values as JSON bools.)

If a change to the model is *meant* to change results, this test fails: make the compiled engine agree
with the reference (``tests/engine/test_engine.py``), then ``python tools/refresh_identity.py``
(``make identity``; with ``.venv312`` present for the 3.12 record) checks the two against each other
step by step on every run case, refreshes the mirror hashes and re-records from the working tree; commit
with a message that says why the results changed. Recalibrated defaults do not touch the record.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECORDS = json.loads((ROOT / "tests" / "data" / "identity.json").read_text())
PYTHON = "{}.{}".format(*sys.version_info[:2])
RECORD = RECORDS["by_python"].get(PYTHON, {"cases": {}})

_spec = importlib.util.spec_from_file_location("record_identity", ROOT / "tools" / "record_identity.py")
recorder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recorder)


def test_the_record_covers_every_case_of_the_recorder():
    assert set(RECORDS["by_python"]) >= {"3.11", "3.12"}  # CI's two interpreters
    if PYTHON not in RECORDS["by_python"]:
        pytest.skip(f"no record for Python {PYTHON} (recorded: {', '.join(RECORDS['by_python'])})")
    assert set(RECORD["cases"]) == set(recorder.CASES)
    kinds = {c["kind"] for c in RECORD["cases"].values()}
    assert kinds == {"run", "collect"}


@pytest.mark.parametrize("name", sorted(RECORD["cases"]))
def test_same_bytes_as_the_record(name):
    case = RECORD["cases"][name]
    got = recorder.record_case(case["params"], case["seed"], case["kind"], case["options"])
    assert recorder.canonical(got["summary"]) == recorder.canonical(case["summary"]), _diff(got, case)
    assert got["tables"] == case["tables"]
    assert got.get("rng_state") == case.get("rng_state")


def _diff(got: dict, want: dict) -> str:
    keys = [k for k in want["summary"] if got["summary"].get(k) != want["summary"][k]]
    return "; ".join(f"{k}: {got['summary'].get(k)!r} != {want['summary'][k]!r}" for k in keys)


VERSION2 = json.loads((ROOT / "tests" / "data" / "version2.json").read_text())["by_python"].get(PYTHON, {})


@pytest.mark.parametrize("name", sorted(VERSION2))
def test_a_side_band_of_zero_restores_version_2(name):
    """MODEL.md §13.1: with ``side_band`` 0 the dynamics are version 2's, draw for draw: the version-2
    summary keys and the generator's final state of every recorded run that went to max_steps."""
    case = VERSION2[name]
    got = recorder.record_case({**case["params"], "side_band": 0.0}, case["seed"], case["kind"], case["options"])
    old = {k: got["summary"].get(k) for k in case["summary"]}
    assert recorder.canonical(old) == recorder.canonical(case["summary"]), [
        k for k in case["summary"] if old[k] != case["summary"][k]]
    assert got.get("rng_state") == case.get("rng_state")
