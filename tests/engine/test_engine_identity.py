"""The compiled engine gives the recorded bytes: every ``run`` case of ``tests/data/identity.json`` (recorded
from the Mesa model) through :func:`sim.engine.run`, on the interpreter running the tests (Python 3.11 and 3.12
each have their own record: 3.12's ``sum()`` of floats is compensated, and the engine copies each).

The ``collect`` cases are the Mesa model's own (its DataCollector, a shock given between steps as the
dashboard does) and stay in ``tests/model/test_identity.py``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

import sim.engine

ROOT = Path(__file__).resolve().parents[2]
RECORDS = json.loads((ROOT / "tests" / "data" / "identity.json").read_text())
RECORD = RECORDS["by_python"].get("{}.{}".format(*sys.version_info[:2]), {"cases": {}})
RUNS = sorted(name for name, case in RECORD["cases"].items() if case["kind"] == "run")

_spec = importlib.util.spec_from_file_location("record_identity", ROOT / "tools" / "record_identity.py")
recorder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recorder)


def test_the_record_has_run_cases_for_this_interpreter():
    assert len(RUNS) >= 30, f"{len(RUNS)} run cases recorded for Python {sys.version_info[:2]}"


@pytest.mark.parametrize("name", RUNS)
def test_the_engine_gives_the_recorded_bytes(name):
    case = RECORD["cases"][name]
    got = recorder.record_case(case["params"], case["seed"], "run", case["options"], run=sim.engine.run)
    assert recorder.canonical(got["summary"]) == recorder.canonical(case["summary"]), [
        k for k in case["summary"] if got["summary"].get(k) != case["summary"][k]]
    assert got["tables"] == case["tables"]


VERSION2 = json.loads((ROOT / "tests" / "data" / "version2.json").read_text())["by_python"].get(
    "{}.{}".format(*sys.version_info[:2]), {})
VERSION2_RUNS = sorted(name for name, case in VERSION2.items() if case["kind"] == "run")


def test_the_version_2_record_has_run_cases_for_this_interpreter():
    assert VERSION2_RUNS, f"no version-2 run cases recorded for Python {sys.version_info[:2]}"


@pytest.mark.parametrize("name", VERSION2_RUNS)
def test_a_side_band_of_zero_restores_version_2_through_the_engine(name):
    """MODEL.md §13.1 through the compiled engine: with ``side_band`` 0 its runs give version 2's summary keys
    (``tests/model/test_identity.py`` holds the Mesa model to the same record, its ``collect`` cases too)."""
    case = VERSION2[name]
    got = recorder.record_case({**case["params"], "side_band": 0.0}, case["seed"], "run", case["options"],
                               run=sim.engine.run)
    old = {k: got["summary"].get(k) for k in case["summary"]}
    assert recorder.canonical(old) == recorder.canonical(case["summary"]), [
        k for k in case["summary"] if old[k] != case["summary"][k]]
