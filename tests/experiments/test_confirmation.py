"""The confirmation experiment (MODEL.md §13.3): its points are the tool's output from the shipped definitions
(every start, a sample of every other experiment with the extremes of each swept parameter), and it runs at
reduced size through the pipeline into its table and figure."""

from __future__ import annotations

import importlib.util
import tomllib

import numpy as np
import pandas as pd
import pytest
from support import ROOT

import experiments
from experiments import engine, pipeline
from experiments.definition import config, designs
from sim.params import PARAMS

_spec = importlib.util.spec_from_file_location("confirmation_points", ROOT / "tools" / "confirmation_points.py")
tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tool)
RAW = tomllib.loads(tool.TOML.read_text())


def test_the_committed_points_are_the_tools_output():
    assert tool.written()[1] == tool.text(), "run `python tools/confirmation_points.py`"
    assert tool.main(["--check"]) == 0


def test_every_start_and_every_other_experiment_is_sampled_with_its_extremes():
    points = RAW["design"]["points"]
    starts = [p["initial_quadrant"] for p in points if p["source"] == "starts"]
    assert starts == ["Q1", "Q2", "Q3", "Q4", "mixed"]
    sources = {p["source"] for p in points}
    for path in config.all_configs():
        if path.stem in ("confirmation", "baseline"):  # baseline's points are the starts
            continue
        exp = pipeline.experiment(str(path))
        mine = [p for p in points if p["source"] == exp.name]
        assert path.stem in sources and 4 <= len(mine) <= 6, (path.stem, len(mine))
        if exp.design != "grid":
            continue
        # the lowest and highest value of each swept parameter, among the listed points that are this design's
        # (one listed under another source, e.g. a start at defaults, is not listed twice)
        own = tool.sample(exp)
        listed = [q for q in ({k: v for k, v in p.items() if k != "source"} for p in points)
                  if any(tool._same(q, d) for d in own)]
        for name, values in exp.parameters.items():
            seen = {p.get(name, PARAMS[name].default) for p in listed}
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            ends = {min(values), max(values)} if numeric else {values[0], values[-1]}
            assert ends <= seen, (exp.name, name, ends, seen)
    exp = pipeline.experiment("confirmation")
    assert exp.replicates >= 50 and exp.model == "sim.confirmation:run" and exp.design == "points"
    assert designs.n_points(exp) == len(points) and set(designs.make(exp).labels["source"]) == sources


@pytest.fixture(scope="module")
def reduced(tmp_path_factory):
    """The shipped confirmation at reduced size: four of its points, 3 runs each, 20 SMEs, 80 months (so 160)."""
    chosen = [p for p in RAW["design"]["points"] if p["source"] == "starts"][:2]
    chosen += [next(p for p in RAW["design"]["points"] if p["source"] == s) for s in ("exit_voice_loyalty", "shocks")]
    raw = {**RAW, "replicates": 3, "design": {"type": "points", "points": chosen},
           "base": {"n_smes": 20, "max_steps": 80, "burn_in": 10, "settle_window": 10}}
    raw["design"]["points"][3] = {**chosen[3], "shock_step": 30}
    exp = pipeline.experiment(raw)
    out = tmp_path_factory.mktemp("confirmation") / "c"
    result, done = pipeline.run(engine.plan(exp, out), engine.SerialExecutor(), progress=False)
    return result, done, out


def test_the_confirmation_runs_into_its_table_and_figure(reduced):
    result, done, out = reduced
    assert result.ran == 12 and result.failed == 0
    summary = done["tables"]["summary"]
    assert list(summary["source"]) == ["starts", "starts", "exit_voice_loyalty", "shocks"]
    assert np.allclose(summary[["freq_agree", "freq_disagree", "freq_unresolved"]].sum(axis=1), 1)
    t = pd.read_csv(out / "confirmation.csv")
    assert list(t["source"]) == list(summary["source"]) and (t["n"] == 3).all()
    assert (t[["agree", "disagree", "unresolved"]].sum(axis=1) == 3).all()
    resolved = t["agree"] + t["disagree"]
    assert np.allclose(t.loc[resolved > 0, "agreement"], (t["agree"] / resolved)[resolved > 0])
    assert t["agreement"].isna().equals(resolved == 0)
    ok = resolved > 0
    lo, p, hi = (t.loc[ok, c] for c in ("agreement_lo", "agreement", "agreement_hi"))
    assert ((lo <= p) & (p <= hi)).all()
    assert ((t["unresolved_lo"] <= t["unresolved_share"]) & (t["unresolved_share"] <= t["unresolved_hi"])).all()
    names = {f.name for f in done["figures"]}
    assert {"confirmation.png", "confirmation.pdf", "resolution_time.png"} <= names
    assert not names & {"frequencies.png", "dependence.png", "regime_time.png", "subsidiaries.png"}
    # the runs know their regime, its step and the regime at twice the horizon; the step is never past max_steps
    runs = experiments.load(out).runs
    assert (pd.to_numeric(runs["regime_step"]).dropna() <= 80).all()
    assert set(runs["confirmed"]) <= {"agree", "disagree", "unresolved"}
    page = pipeline.report(out).read_text()
    assert "Confirmation of the long-run regime per point" in page and "confirmation.png" in page

