"""Figures and the tables behind them, on synthetic runs (no model runs): labels, intervals that respect
bounds, ties, categories, paging, sampled designs, Sobol warnings, determinism, the version-2 figures
(hysteresis, shocks, turnover) and their [outputs] keys, and the registry: a figure is one file."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from support import HEADLINE, synthetic_runs

from experiments import figures, pipeline
from experiments.analysis.summary import summarise
from experiments.definition import config, models
from experiments.figures import (
    dependence,
    frequencies_ci,
    hysteresis,
    labels,
    metrics,
    paths,
    phase_map,
    sensitivity,
    shocks,
    turnover,
)
from sim.confirmation import SUMMARY_KEYS as CONFIRMATION_KEYS
from sim.palette import OUTCOME_COLOURS
from sim.params import PARAMS
from sim.vocabulary import REGIMES, SUMMARY_KEYS, horizon_keys

OUTCOMES = models.info().categories


def texts(fig) -> str:
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        out += [t.get_text() for t in ax.get_xticklabels()]
    for leg in fig.legends:
        out += [t.get_text() for t in leg.get_texts()] + [leg.get_title().get_text()]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------- labels
def test_every_summary_key_and_parameter_has_a_human_label():
    at = [f"{c}_{h}" for h in (60, 120, 240) for o in REGIMES for c in (f"freq_{o}", "n")]
    confirmation = [*CONFIRMATION_KEYS, *(f"freq_{o}" for o in models.info("sim.confirmation:run").categories)]
    for key in [*SUMMARY_KEYS, *models.info().derived_names, *(f"freq_{o}" for o in OUTCOMES), "composition_Q3",
                "occupancy_mixed", "shock_returned", "shock_return_time", *horizon_keys((60, 120, 240)), *at,
                "regime_step_mean", "regime_step_sd", *confirmation]:
        assert labels.is_known(key), key
        assert "_" not in labels.label(key, unit=False), key
    assert labels.label("freq_Q3") == "P(long-run regime Q3) (share of runs)"  # one P(Qk) everywhere (§13.3)
    assert labels.label("subs_Q3_120", unit=False) == "subsidiaries locked in Q3 at month 120"
    assert labels.label("freq_mixed_60", unit=False) == "P(window-mean regime mixed at month 60)"
    assert {o: labels.outcome(o) for o in ("coexistence", "unresolved", "contested")} == {
        "coexistence": "coexistence (stable split of Q1 and Q3)",
        "unresolved": "unresolved (no long-run regime within the run)",
        "contested": "contested (locked in no quadrant)"}
    for name, p in PARAMS.items():
        assert labels.label(name) == p.axis_label


def test_one_place_overrides_a_label_verbatim():
    assert labels.label("voice_cost", {"voice_cost": "cost of voice"}) == "cost of voice"
    assert labels.label("voice_success_rate") == "voice success rate (share of voice attempts)"
    assert labels.value("platform", True) == "yes" and labels.value("voice_hypothesis", "exit_threat") == "exit threat"


# ------------------------------------------------------------------------------------------- intervals
def test_intervals_of_bounded_means_stay_in_bounds_and_are_reproducible():
    pts = [{"voice_cost": v} for v in (0.1, 1.0)]
    runs = synthetic_runs(pts, {"Q1": 1, "Q3": 1}, reps=6)
    runs.loc[runs["point"] == 0, ["voices", "voice_successes"]] = [[1, 1]] * 5 + [[2, 0]]  # rates near 1
    s = summarise(runs, ["voice_cost"], metrics=["mean_trust", "resolved"])
    for m in ("voice_success_rate", "survival", "mean_trust"):
        assert ((s[f"{m}_lo"] >= 0) & (s[f"{m}_hi"] <= 1) & (s[f"{m}_lo"] <= s[m]) & (s[m] <= s[f"{m}_hi"])).all(), m
    # a share of runs (a yes/no key) gets a Wilson interval, strictly inside [0, 1] for 6/6
    assert s["resolved"].iloc[0] == 1 and 0.5 < s["resolved_lo"].iloc[0] < 1
    again = summarise(runs, ["voice_cost"], metrics=["mean_trust", "resolved"])
    pd.testing.assert_frame_equal(s, again)


def test_ties_are_reported_not_resolved_silently(captured, tmp_path):
    pts = [{"voice_cost": v, "exit_cost": e} for v in (0.1, 1.0) for e in (0.5, 1.0)]
    runs = synthetic_runs(pts, {"Q1": 1, "Q3": 1}, reps=4)
    runs.loc[runs["point"] == 0, HEADLINE.key] = ["Q1", "Q3", "Q1", "Q3"]  # a 2-2 tie at point 0
    runs.loc[runs["point"] == 1, HEADLINE.key] = ["Q1", "Q1", "Q1", "Q3"]
    s = summarise(runs, ["voice_cost", "exit_cost"])
    assert s.loc[0, "tie"] == "Q1=Q3" and s.loc[1, "tie"] == ""
    phase_map.phase_map(s, ["voice_cost", "exit_cost"], tmp_path)
    fig = captured["phase_map"]
    assert "Q1=Q3" in texts(fig) and "tie" in texts(fig)
    assert any(p.get_hatch() for p in fig.axes[0].patches)


# ------------------------------------------------------------------------------------------- layout
def test_categorical_x_is_drawn_as_categories(captured, tmp_path):
    pts = [{"platform": b, "voice_cost": v} for b in (False, True) for v in (0.1, 1.0)]
    s = summarise(synthetic_runs(pts, {"Q1": 1, "Q3": 1}), ["platform", "voice_cost"], metrics=["exits"])
    metrics.metric_lines(s, ["platform", "voice_cost"], ["exits"], tmp_path, x="platform")
    frequencies_ci.frequency_lines(s, ["platform", "voice_cost"], tmp_path, x="platform")
    for stem in ("metrics", "frequencies_ci"):
        ax = captured[stem].axes[0]
        assert [t.get_text() for t in ax.get_xticklabels()] == ["no", "yes"], stem
        assert all(line.get_linestyle() in ("None", "") for line in ax.get_lines()), f"{stem}: a line joins categories"


def test_no_panel_is_dropped_beyond_twelve(captured, tmp_path):
    pts = [{"voice_cost": round(0.1 * k, 1)} for k in range(1, 21)]
    s = summarise(synthetic_runs(pts, {"Q1": 1, "Q3": 2}, reps=3), ["voice_cost"])
    files = paths.path_flows(s, ["voice_cost"], tmp_path)
    assert {f.stem for f in files} == {"paths", "paths_p2"}
    assert len(captured["paths"].axes) + len(captured["paths_p2"].axes) >= 20
    assert sum(ax.get_visible() for k in ("paths", "paths_p2") for ax in captured[k].axes) == 20


def test_a_sampled_design_gets_dependence_plots_not_bars(captured, tmp_path):
    rng = np.random.default_rng(3)
    pts = [{"voice_cost": float(a), "ecosystem": float(b)} for a, b in rng.random((48, 2))]
    runs = synthetic_runs(pts, lambda p: {"Q1": 1 - p["ecosystem"] + 0.01, "Q3": p["ecosystem"] + 0.01}, reps=2)
    s = summarise(runs, ["voice_cost", "ecosystem"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", figures.FigureSkipped)
        files = figures.draw_all(tmp_path, {"summary": s}, ["voice_cost", "ecosystem"], {})
    stems = {f.stem for f in files}
    assert "dependence" in stems and "frequencies" not in stems and "phase_map" in stems
    assert len(captured["dependence"].axes) == 2
    b = dependence.binned(s, "ecosystem")
    assert b["Q3"].iloc[-1] > b["Q3"].iloc[0]  # the dependence built in is recovered
    assert (b["Q3_lo"] <= b["Q3"]).all() and (b["Q3"] <= b["Q3_hi"]).all()


def test_sobol_shows_replicates_warns_when_few_and_flags_clipped_intervals(captured, tmp_path):
    sens = pd.DataFrame({"parameter": ["voice_cost", "ecosystem"], "S1": [0.6, -0.05], "S1_conf": [0.5, 0.1],
                         "ST": [0.9, 0.1], "ST_conf": [0.3, 0.05], "target": "Q3", "replicates": 2, "points": 48})
    sensitivity.sensitivity_bars(sens, tmp_path)
    t = texts(captured["sobol"])
    assert "2 replicates per point" in t and "Only 2 replicate(s)" in t
    assert "outside [0, 1]" in t and "voice cost S1" in t and "ecosystem strategy S1" in t
    ax = captured["sobol"].axes[0]
    assert all(0 <= p.get_height() <= 1 for p in ax.patches)
    sens["replicates"] = 40
    sens[["S1", "S1_conf", "ST", "ST_conf"]] = [[0.3, 0.05, 0.4, 0.05], [0.1, 0.02, 0.2, 0.03]]
    sensitivity.sensitivity_bars(sens, tmp_path)
    assert "⚠" not in texts(captured["sobol"])


def test_figures_are_journal_grade_and_byte_stable(tmp_path):
    pts = [{"voice_cost": v} for v in (0.1, 0.5, 1.0)]
    s = summarise(synthetic_runs(pts, {"Q1": 1, "Q3": 1}), ["voice_cost"])
    first = frequencies_ci.frequency_lines(s, ["voice_cost"], tmp_path / "a", formats=("png", "pdf", "svg"))
    second = frequencies_ci.frequency_lines(s, ["voice_cost"], tmp_path / "b", formats=("png", "pdf", "svg"))
    assert [f.suffix for f in first] == [".png", ".pdf", ".svg"]
    for f, g in zip(first, second):
        assert f.read_bytes() == g.read_bytes(), f.name
    from PIL import Image

    with Image.open(first[0]) as im:
        assert round(im.info["dpi"][0]) == 300
    svg = first[2].read_text()
    assert "voice cost (utility)" in svg and "voice_cost" not in svg  # human label, no code name
    assert OUTCOME_COLOURS["Q3"].lower() in svg.lower()  # the shared palette


def test_outputs_labels_reach_the_figures(captured, tmp_path):
    pts = [{"voice_cost": v} for v in (0.1, 1.0)]
    s = summarise(synthetic_runs(pts, {"Q1": 1, "Q3": 1}), ["voice_cost"])
    figures.draw_all(tmp_path, {"summary": s}, ["voice_cost"], {"labels": {"voice_cost": "cost of voice"}})
    assert captured["frequencies_ci"].axes[0].get_xlabel() == "cost of voice"


# ------------------------------------------------------------------------------------------- version 2
def _hysteresis_runs():
    xs = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    pts = [{"ecosystem": x, "initial_quadrant": s} for s in ("Q1", "Q3") for x in xs]

    def probs(p):  # from Q3 the innovation regime holds from 0.4; from Q1 it takes 0.8: bistable at 0.4-0.6
        high = p["ecosystem"] >= (0.4 if p["initial_quadrant"] == "Q3" else 0.8)
        return {"Q3": 1.0, "Q1": 1e-9} if high else {"Q1": 1.0, "Q3": 1e-9}

    return synthetic_runs(pts, probs, reps=20), ["ecosystem", "initial_quadrant"]


def test_hysteresis_table_finds_the_bistable_range_and_the_figure_shades_it(captured, tmp_path):
    runs, names = _hysteresis_runs()
    s = summarise(runs, names)
    table = hysteresis.hysteresis_table(s, names, "ecosystem")
    assert list(table.loc[table["bistable"], "ecosystem"]) == [0.4, 0.6]
    assert table.loc[table["ecosystem"] == 0.4, "diff"].item() == pytest.approx(1.0)
    spec = {"x": "ecosystem", "start": "initial_quadrant", "starts": ("Q1", "Q3"), "outcome": "Q3", "gap": 0.3}
    hysteresis.hysteresis(s, table, names, spec, tmp_path)
    fig = captured["hysteresis"]
    ax = fig.axes[0]
    spans = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0xDD / 255,) * 3)]
    assert len(spans) == 1 and spans[0].get_x() == pytest.approx(0.3) and spans[0].get_width() == pytest.approx(0.4)
    assert "bistable" in texts(fig) and "start Q1" in texts(fig) and "start Q3" in texts(fig)
    assert len(ax.get_lines()) == 2 and len(fig.axes) == 2  # P(Q3) and P(Q1), two starts each


def test_shocks_table_and_figure_show_censored_runs(captured, tmp_path):
    pts = [{"initial_quadrant": "Q1"}, {"initial_quadrant": "Q3"}]

    def extra(p, r, rng):
        if r == 0:
            return {"shock_returned": None, "shock_return_time": None, "max_steps": 400, "shock_step": 200}
        back = r % 4 != 0
        return {"shock_returned": back, "shock_return_time": 10 + r if back else None, "max_steps": 400,
                "shock_step": 200}

    runs = synthetic_runs(pts, {"Q1": 1}, reps=9, extra=extra)
    runs["shock_returned"] = runs["shock_returned"].astype(object)
    table = shocks.shocks_table(runs, "initial_quadrant")
    assert len(table) == 16 and set(table["group"]) == {"Q1", "Q3"}  # the unshocked runs are left out
    assert table["returned"].sum() == 12 and (table["censor_time"] == 200).all()
    assert table.loc[~table["returned"], "return_time"].isna().all()
    s = summarise(runs, ["initial_quadrant"])
    assert s["shock_returned"].tolist() == [0.75, 0.75] and s["shock_returned_runs"].tolist() == [8, 8]
    shocks.shocks(table, tmp_path, "initial_quadrant")
    t = texts(captured["shocks"])
    assert "6/8" in t and "2 of 8 not back by 200 months (censored)" in t


def test_turnover_figure_has_regimes_and_composition_per_start(captured, tmp_path):
    pts = [{"sme_turnover": x, "initial_quadrant": s} for s in ("Q1", "Q3") for x in (0.0, 0.01, 0.02)]

    def extra(p, r, rng):
        c = rng.dirichlet(np.ones(4))
        return {f"composition_Q{k + 1}": float(c[k]) for k in range(4)}

    runs = synthetic_runs(pts, {"Q1": 1, "Q3": 1, "mixed": 0.5}, reps=8, extra=extra)
    metrics = [f"composition_Q{k}" for k in range(1, 5)]
    s = summarise(runs, ["sme_turnover", "initial_quadrant"], metrics=metrics)
    turnover.turnover(s, ["sme_turnover", "initial_quadrant"], {"x": "sme_turnover", "start": "initial_quadrant"},
                   tmp_path)
    fig = captured["turnover"]
    assert len(fig.axes) == 4 and "start Q1" in texts(fig) and "mean share of contracts" in texts(fig)


@pytest.mark.parametrize("outputs, needle", [
    ({"hysteresis": "voice_cost"}, "not a design parameter"),
    ({"hysteresis": "ecosystem"}, "two distinct starts"),
    ({"formats": ["tiff"]}, "formats"),
    ({"labels": {"voice_cost": ""}}, "labels"),
    ({"shocks": 3}, "shocks"),
    ({"turnover": "n_smes"}, "turnover"),
])
def test_bad_figure_outputs_are_refused_at_load(outputs, needle):
    raw = {"name": "h", "design": {"type": "grid", "parameters": {"ecosystem": [0.0, 1.0],
                                                                   "initial_quadrant": ["Q1", "Q2"]}},
           "outputs": outputs}
    with pytest.raises(config.ConfigError, match=needle):
        pipeline.experiment(raw)


def test_good_figure_outputs_load():
    raw = {"name": "h", "design": {"type": "grid", "parameters": {"ecosystem": [0.0, 1.0],
                                                                   "initial_quadrant": ["Q1", "Q3"]}},
           "outputs": {"hysteresis": {"x": "ecosystem", "gap": 0.25}, "shocks": True, "formats": ["png", "svg"],
                       "labels": {"ecosystem": "ecosystem strategy"}}}
    exp = pipeline.experiment(raw)
    assert exp.outputs["hysteresis"]["gap"] == 0.25


# ------------------------------------------------------------------------------------------- the registry
CORNER = '''"""A figure dropped into the package: the dominant outcome's share against one design parameter."""

from experiments.figures import base

KEY = "corner"
ORDER = 55
CAPTIONS = {"corner": "The dominant outcome's share at each point."}
TABLE = "corner.csv"
TABLE_TITLE = "Corner table"


def check(value, design, model):
    if value not in design:
        raise ValueError(f"[outputs] corner: {value!r} is not a design parameter")


def table(runs, summary, names, outputs):
    if KEY not in outputs or summary.empty:
        return None
    return summary[["point", outputs[KEY], "dominant_freq"]]


def draw(ctx):
    if KEY not in ctx.outputs:
        return []
    t = ctx.tables[KEY]
    fig = base.new_figure(3, 2)
    fig.subplots().plot(t[ctx.outputs[KEY]], t["dominant_freq"])
    return base.save(fig, ctx.directory, "corner", ctx.formats)
'''


@pytest.fixture
def corner(tmp_path, monkeypatch):
    """A new figure module, one file, put where the registry looks (the package's path), and nothing else."""
    import sys

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "corner.py").write_text(CORNER)
    monkeypatch.setattr(figures, "__path__", [*figures.__path__, str(extra)])
    yield
    sys.modules.pop("experiments.figures.corner", None)


def test_every_figure_module_is_found_and_ordered():
    from experiments.figures import registry

    names = [registry.name(m) for m in registry.figures()]
    assert {"frequencies", "frequencies_ci", "phase_map", "metrics", "timeseries", "paths", "dependence",
            "sensitivity", "hysteresis", "shocks", "turnover", "regime_time", "resolution_time", "subsidiaries",
            "confirmation"} == set(names)
    assert names.index("frequencies") < names.index("phase_map") < names.index("timeseries") < names.index("turnover")
    assert {"base", "labels", "registry", "discovery"}.isdisjoint(names)  # no draw(ctx): helpers, not figures


def test_a_new_figure_is_one_file(corner, tmp_path):
    """Its [outputs] key is accepted and checked at load, its table computed and saved, its figure drawn and
    captioned in the report, with no other change anywhere."""
    from support import TRIVIAL

    from experiments import engine

    definition = {"name": "corner", "model": TRIVIAL, "entropy": 3, "replicates": 4,
                  "design": {"type": "grid", "parameters": {"x": [0.1, 0.5, 0.9]}}, "outputs": {"corner": "x"}}
    with pytest.raises(config.ConfigError, match="corner: 'noise' is not a design parameter"):
        pipeline.experiment({**definition, "outputs": {"corner": "noise"}})
    exp = pipeline.experiment(definition)
    out = tmp_path / "c"
    result, done = pipeline.run(engine.plan(exp, out), engine.SerialExecutor(), progress=False)
    assert result.ran == 12
    assert (out / "corner.csv").exists() and list(done["tables"]["corner"].columns) == ["point", "x", "dominant_freq"]
    assert {f.name for f in done["figures"]} >= {"corner.png", "corner.pdf", "frequencies.png"}
    assert "corner" in pipeline.load_tables(out)
    page = pipeline.report(out).read_text()
    assert "The dominant outcome&#x27;s share at each point." in page and "Corner table" in page


def test_without_its_module_the_key_is_unknown():
    with pytest.raises(config.ConfigError, match="unknown key"):
        pipeline.experiment({"name": "c", "design": {"type": "grid", "parameters": {"voice_cost": [0.1]}},
                             "outputs": {"corner": "voice_cost"}})
