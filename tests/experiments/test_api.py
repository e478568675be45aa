"""The Python API (experiments.run_experiment / load), scenario discovery and the HTML report.
One tiny sweep (20 SMEs, 60 steps, serial) is shared by the module; discovery is also tested on
synthetic runs with a region built in."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from support import HEADLINE, synthetic_runs

import experiments
from experiments import storage
from experiments.analysis import discover
from experiments.cli import main
from experiments.definition import config
from experiments.figures import discovery

TINY = {"name": "api", "replicates": 3, "max_steps": 60, "entropy": 5,
        "base": {"n_smes": 20, "burn_in": 10, "settle_window": 10},
        "design": {"type": "grid", "parameters": {"voice_cost": [0.1, 1.5], "initial_quadrant": ["Q2", "Q4"]}},
        "outputs": {"x": "voice_cost", "step_sample": 1, "metrics": ["mean_trust"]}}


@pytest.fixture(scope="module")
def res(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "api"
    return experiments.run_experiment(**TINY, out=out, executor="serial", progress=False)


def test_results_are_dataframes_with_intervals(res):
    assert len(res.runs) == 12 and {"run_id", "seed", "voice_cost", "regime", "voice_success_rate"} <= set(res.runs)
    f = res.frequencies
    assert len(f) == 4 and list(f["n"]) == [3, 3, 3, 3]
    assert {"voice_cost", "initial_quadrant", "freq_Q3", "freq_Q3_lo", "freq_Q3_hi", "dominant", "tie"} <= set(f)
    assert np.allclose(f[[c for c in f if c.startswith("freq_") and c.count("_") == 1]].sum(axis=1), 1)
    assert ((f["freq_Q3_lo"] <= f["freq_Q3"]) & (f["freq_Q3"] <= f["freq_Q3_hi"])).all()
    m = res.metrics
    assert {"mean_trust", "mean_trust_lo", "mean_trust_hi", "exits"} <= set(m) and "freq_Q1" not in m
    assert not res.timeseries.empty and {"step", "share_Q3_mean"} <= set(res.timeseries)
    ev = res.events
    assert isinstance(ev, pd.DataFrame) and ev.empty and {"run_id", "step", "event", "path", "action"} <= set(ev)
    assert res.manifest["root_entropy"] == 5 and "api" in repr(res)


def test_load_gives_the_same_results_and_reads_a_committed_folder(res, tmp_path):
    again = experiments.load(res.directory)
    pd.testing.assert_frame_equal(again.frequencies, res.frequencies)
    pd.testing.assert_frame_equal(again.runs, res.runs)
    # a committed folder keeps its tables but not its raw runs: the tables still load
    import shutil

    copy = tmp_path / "committed"
    shutil.copytree(res.directory, copy, ignore=shutil.ignore_patterns(*storage.RAW))
    frozen = experiments.load(copy)
    with pytest.raises(experiments.api.ResultsError, match="not their raw runs"):  # said, not an empty table
        frozen.runs  # noqa: B018
    pd.testing.assert_frame_equal(frozen.frequencies.reset_index(drop=True), res.frequencies.reset_index(drop=True),
                                  check_dtype=False)
    with pytest.raises(ValueError, match="not a results folder"):
        experiments.load(tmp_path / "nothing")


def test_a_python_sweep_is_validated_like_a_toml(tmp_path):
    bad = {**TINY, "design": {"type": "grid", "parameters": {"voice_cost": [0.1, 99.0]}}}
    toml = tmp_path / "bad.toml"
    toml.write_text(textwrap.dedent("""
        name = "api"
        [design]
        type = "grid"
        [design.parameters]
        voice_cost = [0.1, 99.0]
    """))
    with pytest.raises(config.ConfigError) as from_dict:
        experiments.run_experiment(bad, out=tmp_path / "x")
    with pytest.raises(config.ConfigError) as from_toml:
        experiments.run_experiment(str(toml), out=tmp_path / "x")
    assert "voice_cost" in str(from_dict.value) and str(from_dict.value).split(": ", 1)[1] == \
        str(from_toml.value).split(": ", 1)[1]
    with pytest.raises(config.ConfigError, match="unknown key"):
        experiments.run_experiment(**{**TINY, "colour": "red"}, out=tmp_path / "y")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_plot_and_report(res):
    files = res.plot(labels={"voice_cost": "cost of voice"})
    assert {f.name for f in files} >= {"frequencies.png", "frequencies.pdf", "frequencies_ci.png", "metrics.png"}
    page = res.report().read_text()
    assert "<img src='frequencies_ci.png'" in page and "freq_Q3_lo" in page and "root_entropy" in page
    assert res.report().read_bytes() == page.encode()  # deterministic


# ------------------------------------------------------------------------------------------- discovery
def _region_runs():
    rng = np.random.default_rng(11)
    pts = [{"voice_cost": float(a) * 2, "ecosystem": float(b), "platform": bool(c)}
           for a, b, c in zip(rng.random(60), rng.random(60), rng.integers(0, 2, 60))]

    def probs(p):  # Q3 exactly where voice is cheap and the ecosystem strong
        return {"Q3": 1.0, "Q1": 1e-12} if p["voice_cost"] < 0.8 and p["ecosystem"] > 0.5 else {"Q1": 1.0, "Q3": 1e-12}

    return synthetic_runs(pts, probs, reps=5), ["voice_cost", "ecosystem", "platform"]


def test_tree_discovery_recovers_a_built_in_region(tmp_path):
    runs, names = _region_runs()
    found = discover.discover(runs, names, "Q3", "tree")
    top = found.boxes[found.boxes["predicts_target"]]
    assert top["coverage"].sum() == pytest.approx(1.0) and (top["density"] == 1.0).all()
    assert (top["voice_cost_high"] <= 0.85).all() and (top["ecosystem_low"] >= 0.45).all()
    assert "voice cost ≤" in top["rule"].iloc[0] and "ecosystem strategy >" in top["rule"].iloc[0]
    assert found.importance["platform"] == 0.0
    files = discovery.write(tmp_path, found)
    assert {f.name for f in files} == {"discovery_Q3_tree.csv", "discovery_Q3_tree.png", "discovery_Q3_tree.pdf"}
    assert pd.read_csv(files[0])["coverage"].notna().all()


def test_a_target_no_run_reached_is_refused():
    runs, names = _region_runs()  # only Q1 and Q3
    for method in discover.METHODS:
        with pytest.raises(discover.DiscoveryError, match=r"no run reached Q4 .* long-run regime"):
            discover.discover(runs, names, "Q4", method)


def test_prim_discovery_finds_a_dense_box(tmp_path):
    pytest.importorskip("ema_workbench")
    runs, names = _region_runs()
    found = discover.discover(runs, names, "Q3", "prim", threshold=0.8)
    box = found.boxes.iloc[0]
    assert box["density"] >= 0.8 and box["coverage"] >= 0.5 and box["voice_cost_high"] < 1.2
    # the reported bounds are the box: the runs inside them give its coverage and density
    inside = pd.Series(True, index=runs.index)
    for name in names:
        if f"{name}_low" in box and pd.notna(box[f"{name}_low"]):
            inside &= runs[name].between(box[f"{name}_low"], box[f"{name}_high"])
        if f"{name}_in" in box and pd.notna(box[f"{name}_in"]):
            inside &= runs[name].astype(str).isin(str(box[f"{name}_in"]).split("|"))
    hits = runs[HEADLINE.key] == "Q3"
    assert (hits & inside).sum() / inside.sum() == pytest.approx(box["density"])
    assert (hits & inside).sum() / hits.sum() == pytest.approx(box["coverage"])
    assert {"coverage", "density", "mass", "res_dim"} <= set(found.trajectory)
    assert len(discovery.write(tmp_path, found)) == 4


@pytest.mark.parametrize("args, needle", [
    (["--target", "Q9"], "unknown target"),
    (["--method", "forest"], "unknown method"),
    (["--max-depth", "0"], "max-depth"),
])
def test_cli_discover_bad_input_is_one_line_exit_2(res, capsys, args, needle):
    before = sorted(p.name for p in res.directory.iterdir())
    assert main(["discover", "api", "--out", str(res.directory), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err
    assert sorted(p.name for p in res.directory.iterdir()) == before


def test_cli_discover_and_report(res, tmp_path, capsys):
    assert main(["discover", "api", "--out", str(res.directory), "--target", "Q3"]) == 0
    out = capsys.readouterr().out
    assert "coverage" in out or "no box" in out
    assert (res.directory / "discovery_Q3_tree.csv").exists()
    assert main(["report", "api", "--out", str(res.directory)]) == 0
    assert "discovery_Q3_tree" in (res.directory / "report.html").read_text()
    # a sweep whose raw runs are gone: one line, exit 2
    import shutil

    copy = tmp_path / "norun"
    shutil.copytree(res.directory, copy, ignore=shutil.ignore_patterns(*storage.RAW))
    assert main(["discover", "api", "--out", str(copy)]) == 2
    assert "no runs" in capsys.readouterr().err
