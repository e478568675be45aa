"""The analyses on their own: the Wilson interval, the summary of a model that declares another headline
outcome (the runner's code does not change when the model's outcome does), and the headline at horizons."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from support import HEADLINE, synthetic_runs

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
    """The default model's headline is the long-run regime (its categories, its step key); a model whose headline
    is another outcome (version 2's first settlement, "quadrant", with categories and a step key of its own):
    frequencies, dominant outcome, ties, the step and the one-screen table follow the declaration."""
    assert (HEADLINE.key, HEADLINE.step_key) == ("regime", "regime_step")
    assert HEADLINE.categories == ("Q1", "Q2", "Q3", "Q4", "coexistence", "unresolved")
    runs = synthetic_runs([{"voice_cost": v} for v in (0.1, 1.0)], {"Q1": 1, "coexistence": 1}, reps=8)
    s = summarise(runs, ["voice_cost"])
    assert list(frequency_columns(HEADLINE)) == [c for c in frequency_columns(HEADLINE) if c in s]
    assert set(s["dominant"]) <= {"Q1", "coexistence"} and "regime_step_mean" in s and "settle_step_mean" not in s
    assert "freq_mixed" not in s and "freq_unsettled" not in s and "regime" not in s
    text = table(s, ["voice_cost"])
    assert "coexi" in text.splitlines()[0] and "unres" in text.splitlines()[0] and "long-run regime" in text

    first = Outcome("quadrant", ("Q1", "Q2", "Q3", "Q4", "mixed", "unsettled"), "first settlement",
                    step_key="settle_step")
    model = replace(models.info(), outcomes=(first,))
    runs = synthetic_runs([{"voice_cost": v} for v in (0.1, 1.0)], {"Q1": 1, "Q3": 1, "unresolved": 1}, reps=8)
    runs = runs.rename(columns={"regime": "quadrant", "regime_step": "settle_step"})
    runs["quadrant"] = runs["quadrant"].replace({"unresolved": "unsettled"})
    s = summarise(runs, ["voice_cost"], model=model)
    assert list(s.columns[:3]) == ["point", "voice_cost", "n"]
    cols = [c for c in frequency_columns(first) if c in s]
    assert cols == list(frequency_columns(first))  # every column the declaration implies, in its order
    assert np.allclose(s[[f"freq_{c}" for c in first.categories]].sum(axis=1), 1)
    assert set(s["dominant"]) <= {"Q1", "Q3", "unsettled"} and "settle_step_mean" in s and "regime_step_mean" not in s
    assert "freq_coexistence" not in s and "quadrant" not in s  # a categorical outcome is not averaged
    text = table(s, ["voice_cost"], model=model)
    assert "mixed" in text.splitlines()[0] and "unset" in text.splitlines()[0] and "first settlement" in text


def test_a_model_that_declares_no_outcome_still_gets_its_means():
    model = replace(models.info(), outcomes=())
    runs = synthetic_runs([{"voice_cost": v} for v in (0.1, 1.0)], {"Q1": 1}, reps=3).drop(columns=[HEADLINE.key])
    s = summarise(runs, ["voice_cost"], model=model)
    assert list(s["n"]) == [3, 3] and "mean_trust" in s and not any(c.startswith("freq_") for c in s)
    assert isinstance(s, pd.DataFrame)


def test_the_summary_reports_the_headline_at_each_horizon_the_runs_reach():
    """MODEL.md §13.4: the columns ``<headline key>_<months>`` (the window-mean regime at month 60, ...) give per
    point ``n_<h>`` and ``freq_<o>_<h>`` with Wilson intervals over the categories the model declares for them
    (Q1..Q4, mixed: the smallest declared list holding every value seen), whichever occurred; a horizon no run
    reached is left out; the subsidiary shares at horizons are averaged like any number."""
    def extra(p, r, rng):
        return {"regime_60": ("Q1", "mixed")[r % 2], "regime_120": "Q3" if r < 5 else None, "regime_240": None,
                "subs_Q3_60": 0.25 * (r % 3)}

    runs = synthetic_runs([{"voice_cost": v} for v in (0.1, 1.0)], {"Q1": 1}, reps=6, extra=extra)
    s = summarise(runs, ["voice_cost"])
    assert list(s["n_60"]) == [6, 6] and list(s["n_120"]) == [5, 5] and "n_240" not in s
    assert [c for c in s if c.startswith("freq_") and c.endswith("_60")] == [
        f"freq_{o}_60" for o in ("Q1", "Q2", "Q3", "Q4", "mixed")]
    assert list(s["freq_Q1_60"]) == [0.5, 0.5] and list(s["freq_Q3_120"]) == [1.0, 1.0]
    assert (s["freq_Q4_60"] == 0).all() and (s["freq_Q4_60_lo"] == 0).all() and (s["freq_Q4_60_hi"] > 0).all()
    assert ((s["freq_mixed_60_lo"] <= 0.5) & (0.5 <= s["freq_mixed_60_hi"])).all()
    assert s["subs_Q3_60"].tolist() == pytest.approx([0.25, 0.25]) and "regime_60" not in s
