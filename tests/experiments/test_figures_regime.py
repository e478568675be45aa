"""The figures of the long-run regime (MODEL.md §13), on synthetic runs: the regime against time, the time to
the long-run regime with censoring, the subsidiary-level companion, the confirmation, and the shocks figure's
"not returned by the end" (§13.6 pattern 15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import HEADLINE, synthetic_runs

from experiments.analysis.summary import summarise
from experiments.definition import models
from experiments.figures import confirmation, regime_time, resolution_time, shocks, subsidiaries
from sim.vocabulary import SUBSIDIARY_STATES


def texts(fig) -> str:
    out = [t.get_text() for t in fig.texts] + [leg.get_title().get_text() for leg in fig.legends]
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- regime against time
def _timeline(runs: pd.DataFrame, last: int) -> pd.DataFrame:
    """Every run mixed until month 24, then in its long-run regime (Q1 or Q3; the others stay mixed)."""
    rows = []
    for _, r in runs.iterrows():
        for m in range(0, last + 1, 12):
            to = r[HEADLINE.key] if r[HEADLINE.key] in ("Q1", "Q3") else "mixed"
            rows.append({"point": r["point"], "replicate": r["replicate"], "month": m,
                         "regime": "mixed" if m < 24 else to})
    return pd.DataFrame(rows)


def test_regime_time_table_has_the_share_in_each_regime_every_12_months_and_the_long_run_bar(captured, tmp_path):
    pts = [{"voice_cost": v} for v in (0.1, 1.0)]
    runs = synthetic_runs(pts, lambda p: {"Q3": 3, "unresolved": 1} if p["voice_cost"] < 0.5 else {"Q1": 1}, reps=8,
                          extra=lambda p, r, rng: {"regime_60": "Q1", "regime_120": "Q1", "regime_240": None})
    s = summarise(runs, ["voice_cost"])
    t = regime_time.regime_time_table(runs, _timeline(runs, 300), s, ["voice_cost"], HEADLINE)
    assert t["month"].max() == 120  # the longest horizon the runs reached, not the end of the timeline
    assert list(t.loc[t["panel"] == 0, "month"]) == list(range(0, 121, 12)) and (t["runs"] == 8).all()
    shares = t[[c for c in t if c.startswith("share_")]]
    assert list(shares.columns) == ["share_Q1", "share_Q2", "share_Q3", "share_Q4", "share_mixed"]
    assert np.allclose(shares.sum(axis=1), 1)
    p1 = t[t["point"] == 1]
    assert (p1.loc[p1["month"] < 24, "share_mixed"] == 1).all() and (p1.loc[p1["month"] >= 24, "share_Q1"] == 1).all()
    p0 = t[t["point"] == 0].iloc[0]  # the bar: the long-run regime of the same runs, the headline's categories
    k = runs.loc[runs["point"] == 0, HEADLINE.key].value_counts()
    assert p0["long_run_Q3"] == pytest.approx(k.get("Q3", 0) / 8) and p0["long_run_n"] == 8
    assert p0["long_run_unresolved"] == pytest.approx(k.get("unresolved", 0) / 8)
    regime_time.regime_time(t, tmp_path)
    fig = captured["regime_time"]
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 4  # an area and a bar per point
    assert "month" in texts(fig) and "long\nrun" in texts(fig) and "voice cost 0.1 (8 runs)" in texts(fig)


def test_regime_time_pools_a_sampled_design_by_its_categorical_parameters():
    rng = np.random.default_rng(1)
    pts = [{"ecosystem": float(e), "initial_quadrant": q} for e in rng.random(24) for q in ("Q1", "Q3")]
    runs = synthetic_runs(pts, {"Q1": 1, "Q3": 1}, reps=2)
    s = summarise(runs, ["ecosystem", "initial_quadrant"])
    t = regime_time.regime_time_table(runs, _timeline(runs, 60), s, ["ecosystem", "initial_quadrant"], HEADLINE)
    assert sorted(t["title"].unique()) == ["initial quadrant Q1", "initial quadrant Q3"]
    assert (t["point"] == -1).all() and (t["runs"] == 48).all()


def test_regime_time_is_one_key_and_asks_the_model_for_its_timeline():
    assert regime_time.model_tables({}) == {"timeline": ["point", "replicate", "month", "regime"]}
    assert regime_time.model_tables({"regime_time": False}) == {}
    with pytest.raises(ValueError, match="regime_time must be true or false"):
        regime_time.check("yes", {}, models.info())


# ------------------------------------------------------------------------------------------- time to the regime
def test_resolution_quantiles_count_unresolved_runs_as_censored():
    # 10 runs, 6 resolved at 10..60: the median is the 5th smallest time, the 75 % quantile lies beyond the end
    q = resolution_time.quantiles(np.array([10, 20, 30, 40, 50, 60]), 10)
    assert q[:3] == [10.0, 30.0, 50.0] and np.isnan(q[3]) and np.isnan(q[4])
    assert resolution_time.quantiles(np.array([]), 4) == [pytest.approx(np.nan, nan_ok=True)] * 5


def test_resolution_time_table_and_figure_mark_the_censored(captured, tmp_path):
    pts = [{"voice_cost": v} for v in (0.1, 1.0)]
    runs = synthetic_runs(pts, lambda p: {"unresolved": 1} if p["voice_cost"] < 0.5 else {"Q1": 1}, reps=6,
                          extra=lambda p, r, rng: {"max_steps": 300})
    s = summarise(runs, ["voice_cost"])
    t = resolution_time.table(runs, s, ["voice_cost"], {}, model=models.info())
    assert list(t["resolved"]) == [0, 6] and (t["censor_time"] == 300).all()
    assert t.loc[0, ["q10", "q50", "q90"]].isna().all() and t.loc[1, "q50"] == 102  # steps 100..105
    resolution_time.resolution_time(t, tmp_path)
    text = texts(captured["resolution_time"])
    assert "0/6 resolved" in text and "6/6 resolved" in text and "censored" in text and "months to the" in text


# ------------------------------------------------------------------------------------------- subsidiaries
def test_the_subsidiary_companion_draws_runs_and_subsidiaries_side_by_side(captured, tmp_path):
    pts = [{"initial_quadrant": q} for q in ("Q1", "Q3", "mixed")]

    def extra(p, r, rng):
        w = rng.dirichlet(np.ones(5))
        return {f"subs_{s}": float(v) for s, v in zip(SUBSIDIARY_STATES, w)}

    runs = synthetic_runs(pts, {"Q1": 2, "Q3": 1, "coexistence": 1}, reps=6, extra=extra)
    s = summarise(runs, ["initial_quadrant"])
    assert np.allclose(s[[f"subs_{x}" for x in SUBSIDIARY_STATES]].sum(axis=1), 1)
    subsidiaries.subsidiaries(s, ["initial_quadrant"], tmp_path)
    fig = captured["subsidiaries"]
    ax = fig.axes[0]
    assert len(ax.patches) == 3 * (len(HEADLINE.categories) + len(SUBSIDIARY_STATES))  # two stacks per point
    text = texts(fig)
    assert "runs" in text and "subs" in text and "contested (locked in no quadrant)" in text
    pooled = subsidiaries.pooled(s, ["initial_quadrant"], HEADLINE.categories)
    assert len(pooled) == 3 and np.allclose(pooled[[f"freq_{o}" for o in HEADLINE.categories]].sum(axis=1), 1)


# ------------------------------------------------------------------------------------------- confirmation
def test_confirmation_table_is_agreement_among_resolved_runs_with_wilson_intervals(captured, tmp_path):
    summary = pd.DataFrame({"point": [0, 1, 2], "source": ["starts", "starts", "evl"], "n": [20, 20, 20],
                            "freq_agree": [1.0, 0.7, 0.0], "freq_disagree": [0.0, 0.1, 0.0],
                            "freq_unresolved": [0.0, 0.2, 1.0]})
    t = confirmation.confirmation_table(summary)
    assert list(t["agree"]) == [20, 14, 0] and list(t["disagree"]) == [0, 2, 0]
    assert t["agreement"].iloc[1] == pytest.approx(14 / 16) and np.isnan(t["agreement"].iloc[2])
    assert t["agreement_hi"].iloc[0] == 1 and 0.8 < t["agreement_lo"].iloc[0] < 0.85  # 20/20: Wilson 0.839
    assert list(t["below_target"]) == [False, True, False] and t["unresolved_share"].iloc[2] == 1
    confirmation.confirmation(t, tmp_path)
    text = texts(captured["confirmation"])
    assert "95 %" in text and "5 %" in text and "starts" in text and "evl" in text
    assert "1 of 2 points below the 95 % target" in text and "1 point(s) with no run resolved" in text
    assert confirmation.applies(models.info("sim.confirmation:run")) and not confirmation.applies(models.info())


# ------------------------------------------------------------------------------------------- shocks
def test_a_shocked_run_whose_regime_has_not_returned_by_the_end_counts_as_not_returned():
    pts = [{"initial_quadrant": "Q1"}]

    def extra(p, r, rng):  # the share came back (a return time) but the long-run regime did not
        return {"shock_returned": r < 3, "shock_return_time": 5 + r, "shock_step": 200, "max_steps": 500,
                "steps": 500 if r >= 3 else 320}

    runs = synthetic_runs(pts, {"Q3": 1}, reps=5, extra=extra)
    t = shocks.shocks_table(runs, "initial_quadrant")
    assert list(t["returned"]) == [True, True, True, False, False]
    assert t["return_time"].tolist()[:3] == [5, 6, 7] and t["return_time"].iloc[3:].isna().all()
    assert list(t["censor_time"]) == [120, 120, 120, 300, 300] and set(t["after"]) == {"Q3"}
