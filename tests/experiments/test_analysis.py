"""The analyses on their own: the Wilson interval, and the summary of a model that declares another headline
outcome (the runner's code does not change when the model's outcome does)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from support import synthetic_runs

from experiments.analysis.stats import wilson
from experiments.analysis.summary import frequency_columns, summarise, table
from experiments.definition import models
from sim.vocabulary import Outcome


def test_wilson_interval_matches_known_values():
    lo, hi = wilson(np.array([0, 5, 10]), 10)
    assert lo[0] == 0 and hi[0] == pytest.approx(0.2775, abs=1e-4)
    assert (lo[1], hi[1]) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert hi[2] == pytest.approx(1) and lo[2] == pytest.approx(0.7225, abs=1e-4)


def test_the_summary_reports_whatever_outcome_the_model_declares_first():
    """A model whose headline is another outcome ("regime", with categories of its own and its own step key):
    frequencies, dominant outcome, ties, the step and the one-screen table follow the declaration."""
    regime = Outcome("regime", ("Q1", "Q3", "coexistence", "unresolved"), "regime", step_key="regime_step")
    model = replace(models.info(), outcomes=(regime,))
    runs = synthetic_runs([{"voice_cost": v} for v in (0.1, 1.0)], {"Q1": 1, "coexistence": 1}, reps=8)
    runs = runs.rename(columns={"quadrant": "regime", "settle_step": "regime_step"})
    s = summarise(runs, ["voice_cost"], model=model)
    assert list(s.columns[:3]) == ["point", "voice_cost", "n"]
    cols = [c for c in frequency_columns(regime) if c in s]
    assert cols == list(frequency_columns(regime))  # every column the declaration implies, in its order
    assert np.allclose(s[[f"freq_{c}" for c in regime.categories]].sum(axis=1), 1)
    assert set(s["dominant"]) <= {"Q1", "coexistence"} and "regime_step_mean" in s and "settle_step_mean" not in s
    assert "freq_mixed" not in s and "regime" not in s  # a categorical outcome is not averaged
    text = table(s, ["voice_cost"], model=model)
    assert "coexi" in text.splitlines()[0] and "unres" in text.splitlines()[0]


def test_a_model_that_declares_no_outcome_still_gets_its_means():
    model = replace(models.info(), outcomes=())
    runs = synthetic_runs([{"voice_cost": v} for v in (0.1, 1.0)], {"Q1": 1}, reps=3).drop(columns=["quadrant"])
    s = summarise(runs, ["voice_cost"], model=model)
    assert list(s["n"]) == [3, 3] and "mean_trust" in s and not any(c.startswith("freq_") for c in s)
    assert isinstance(s, pd.DataFrame)
