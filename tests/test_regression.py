"""Recorded summaries for fixed seeds: optimisations must not change results.

The same seed must give the same summary on every supported Python and Mesa version
and before and after any speed-up. If a change to the model is *meant* to change results,
re-record with ``UPDATE_REGRESSION=1 python -m pytest tests/test_regression.py`` and say
why in docs/ODD.md's calibration record.
"""

import json
import math
import os
from pathlib import Path

import pytest

from sim.model import run

RECORD = Path(__file__).with_name("data") / "regression_summaries.json"
CASES = {
    "defaults_seed_1": ({}, 1),
    "defaults_seed_2": ({}, 2),
    "no_stop_seed_3": ({"stop_on_settle": False, "max_steps": 300}, 3),
    "voice_world_Q4": ({"initial_quadrant": "Q4", "voice_cost": 0.05, "ecosystem": 1.0, "intermediary": 1.0}, 4),
    "platform_exit_threat": ({"platform": True, "voice_hypothesis": "exit_threat", "contracts_per_sme": 2}, 5),
}


def _current():
    return {name: run(params, seed) for name, (params, seed) in CASES.items()}


def test_summaries_match_the_record():
    if os.environ.get("UPDATE_REGRESSION"):
        RECORD.write_text(json.dumps(_current(), indent=1, sort_keys=True) + "\n")
    recorded = json.loads(RECORD.read_text())
    assert set(recorded) == set(CASES)
    for name, summary in _current().items():
        want = recorded[name]
        assert set(summary) == set(want), name
        for key, value in want.items():
            got = summary[key]
            if isinstance(value, float):
                assert math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-12), (name, key, got, value)
            else:
                assert got == value, (name, key, got, value)


@pytest.mark.parametrize("name", CASES)
def test_recorded_cases_are_not_trivial(name):
    recorded = json.loads(RECORD.read_text())[name]
    assert recorded["contracts"] > 0 and recorded["steps"] > 50
