"""The pipeline end to end on small sweeps: run → tables → figures, re-drawn from the raw runs or from the
saved tables alone (as committed), and shown; a sobol design's indices and figures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from support import as_committed, tiny_toml

from experiments import engine, pipeline, storage
from experiments.analysis import sensitivity
from experiments.cli import main
from experiments.definition import designs, models


def _is_png(path: Path) -> bool:
    import matplotlib.image as mpimg

    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and mpimg.imread(path).size > 0


def test_plots_render_from_a_small_saved_result(tmp_path, monkeypatch, capsys):
    toml = tiny_toml(tmp_path)
    out = tmp_path / "p"
    exp = pipeline.experiment(str(toml))
    engine.run_experiment(exp, engine.SerialExecutor(), out=out, progress=False)
    summary = pipeline.analyse(out, exp, designs.make(exp))["summary"]
    assert list(summary["n"]) == [3, 3, 3, 3]
    freq = summary[[f"freq_{o}" for o in models.info().categories]].sum(axis=1)
    assert np.allclose(freq, 1.0)
    # the figures asked the model for its timeline for every run (not only the step-data sample), kept as a table
    assert exp.tables == ("timeline",)
    timeline = storage.load_table(out, "timeline")
    assert set(zip(timeline["point"], timeline["replicate"])) == {(j, r) for j in range(4) for r in range(3)}
    assert (timeline.groupby(["point", "replicate"])["month"].min() == 0).all()
    assert set(np.diff(timeline.loc[(timeline["point"] == 0) & (timeline["replicate"] == 0), "month"])) == {12}
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "tiny", "--out", str(out)]) == 0
    stems = ("frequencies", "frequencies_ci", "timeseries", "paths", "metrics", "regime_time", "resolution_time",
             "subsidiaries")
    for stem in stems:
        assert _is_png(out / f"{stem}.png"), stem
        assert (out / f"{stem}.pdf").read_bytes().startswith(b"%PDF-"), stem
    rt = pd.read_csv(out / "regime_time.csv")
    assert set(rt["point"]) == {0, 1, 2, 3} and rt["month"].max() == 60  # to the longest horizon reached
    assert np.allclose(rt[[c for c in rt if c.startswith("share_")]].sum(axis=1), 1) and (rt["runs"] == 3).all()
    # without the raw runs (as committed), plot re-draws from the saved tables
    as_committed(out)
    for f in out.glob("*.png"):
        f.unlink()
    assert main(["plot", "tiny", "--out", str(out)]) == 0
    for stem in ("paths", "timeseries", "regime_time", "resolution_time", "subsidiaries"):
        assert _is_png(out / f"{stem}.png"), stem
    assert main(["show", "tiny", "--out", str(out)]) == 0
    assert "Q1" in capsys.readouterr().out


def test_sobol_and_phase_map(tmp_path):
    body = textwrap.dedent(
        """
        [design]
        type = "sobol"
        samples = 4
        target = "Q1"
        [design.parameters]
        voice_cost = [0.05, 2.0]
        ecosystem = [0.0, 1.0]
        """
    )
    toml = tiny_toml(tmp_path, name="sob", body=body, replicates=1)
    assert main(["run", str(toml), "--out", str(tmp_path / "s"), "--workers", "2", "--quiet"]) == 0
    sens = (tmp_path / "s" / sensitivity.FILE).read_text()
    assert "voice_cost" in sens and "ST_conf" in sens
    assert _is_png(tmp_path / "s" / "sobol.png")
    assert _is_png(tmp_path / "s" / "phase_map.png")  # scattered: a sampled design


def test_index_warns_only_when_one_model_changed_between_experiments(tmp_path):
    """results/INDEX.md: two models have two fingerprints by design (the confirmation model beside the model);
    one model with two fingerprints means the code changed between experiments."""
    import json

    from experiments import report

    def manifest(name, model, fingerprint):
        (tmp_path / name).mkdir()
        m = {"sessions": [{"wall_seconds": 1, "run_seconds": 2}], "git": {"commit": "abc", "dirty": False},
             "experiment": {"replicates": 2, "design": "grid"}, "design": {"n_points": 1}, "runs": {"done": 2},
             "finished": "now", "model": model, "model_fingerprint": fingerprint}
        (tmp_path / name / report.MANIFEST).write_text(json.dumps(m))

    manifest("a", "sim.model:run", "f1")
    manifest("b", "sim.confirmation:run", "f2")
    assert "Warning" not in report.index(tmp_path, ["a", "b"]).read_text()
    manifest("c", "sim.model:run", "f3")
    assert "Warning" in report.index(tmp_path, ["a", "b", "c"]).read_text()
