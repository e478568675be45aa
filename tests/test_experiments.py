"""The experiment runner: designs, seeding across executors, resume after SIGKILL, atomic writes,
CLI errors, plots. Tiny sweeps (20 SMEs, ≤ 60 steps) keep the module fast; nothing is timed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import InterruptAfter

from experiments import analysis, config, designs, runner, store
from experiments.cli import main
from sim.params import PARAMS

ROOT = Path(__file__).resolve().parent.parent
TINY_BASE = {"n_smes": 20, "burn_in": 10, "settle_window": 10}


def tiny_toml(tmp_path: Path, name: str = "tiny", body: str | None = None, **extra) -> Path:
    body = body or textwrap.dedent(
        """
        [design]
        type = "grid"
        [design.parameters]
        voice_cost = [0.1, 1.0]
        initial_quadrant = ["mixed", "Q2"]
        [outputs]
        step_sample = 1
        metrics = ["mean_trust", "survival"]
        """
    )
    head = {"name": f'"{name}"', "replicates": 3, "max_steps": 60, "entropy": 42, **extra}
    text = "\n".join(f"{k} = {v}" for k, v in head.items())
    text += "\n[base]\n" + "\n".join(f"{k} = {v}" for k, v in TINY_BASE.items()) + "\n" + body
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def sorted_rows(directory: Path) -> list[list]:
    """Header and rows of a folder's runs, in run-id order (read through the store, as every reader does)."""
    df = store.load_runs(directory)
    return [list(df.columns), *df.astype(str).values.tolist()]


# ------------------------------------------------------------------------------------------- designs
def _exp(design: str, parameters: dict, **kw) -> config.Experiment:
    raw = {"name": "d", "entropy": 7, "base": dict(TINY_BASE),
           "design": {"type": design, "parameters": parameters, **kw}}
    return config.from_dict(raw)


def test_grid_is_the_full_factorial_in_definition_order():
    d = designs.make(_exp("grid", {"voice_cost": [0.1, 1.0, 2.0], "platform": [False, True]}))
    assert len(d.points) == 6
    assert d.points[0] == {"voice_cost": 0.1, "platform": False}
    assert d.points[1] == {"voice_cost": 0.1, "platform": True}
    assert {(p["voice_cost"], p["platform"]) for p in d.points} == {
        (v, b) for v in (0.1, 1.0, 2.0) for b in (False, True)
    }


def test_oat_varies_one_parameter_at_a_time_around_the_base():
    vc = PARAMS["voice_cost"].default
    exp = _exp("oat", {"voice_cost": [0.05, vc, 2.0], "n_mnes": [1, 3, 5]})
    d = designs.make(exp)
    base = d.points[0]
    assert base == {"voice_cost": vc, "n_mnes": 3}  # the defaults: each base value appears once
    assert len(d.points) == 1 + 2 + 2
    for p in d.points[1:]:
        assert sum(p[k] != base[k] for k in base) == 1


def test_across_runs_every_point_of_an_oat_or_lhs_design_at_each_listed_value():
    starts = ["Q1", "Q2", "Q3"]
    oat = designs.make(_exp("oat", {"n_mnes": [1, 3, 5]}, across={"initial_quadrant": starts}))
    assert oat.names == ["n_mnes", "initial_quadrant"] and len(oat.points) == 3 * 3
    assert [p["initial_quadrant"] for p in oat.points[:3]] == starts  # the across values vary fastest
    assert [p["n_mnes"] for p in oat.points[::3]] == [3, 1, 5]
    lhs = designs.make(_exp("lhs", {"ecosystem": [0.0, 1.0]}, samples=4, across={"initial_quadrant": starts}))
    assert len(lhs.points) == 12 and len({p["ecosystem"] for p in lhs.points}) == 4
    crossed = _exp("lhs", {"ecosystem": [0.0, 1.0]}, samples=4, across={"initial_quadrant": starts})
    assert designs.n_points(crossed) == 12
    with pytest.raises(config.ConfigError, match="across"):
        _exp("grid", {"ecosystem": [0.0, 1.0]}, across={"initial_quadrant": starts})
    with pytest.raises(config.ConfigError, match="initial_quadrant"):
        _exp("oat", {"n_mnes": [1, 3]}, across={"initial_quadrant": ["Q9"]})


@pytest.mark.parametrize("kind, samples, expected", [("lhs", 12, 12), ("sobol", 8, 8 * (3 + 2)), ("morris", 4, 4 * 4)])
def test_sampled_designs_stay_in_range_and_are_reproducible(kind, samples, expected):
    params = {"voice_cost": [0.05, 2.0], "ecosystem": [0.0, 1.0], "n_mnes": [1, 6]}
    d1 = designs.make(_exp(kind, params, samples=samples))
    d2 = designs.make(_exp(kind, params, samples=samples))
    assert len(d1.points) == expected and d1.points == d2.points
    for p in d1.points:
        assert 0.05 <= p["voice_cost"] <= 2.0 and 0.0 <= p["ecosystem"] <= 1.0
        assert isinstance(p["n_mnes"], int) and 1 <= p["n_mnes"] <= 6
    if kind == "lhs":  # one sample in each of the n strata of every dimension
        strata = np.floor((np.array([p["ecosystem"] for p in d1.points])) * samples).astype(int)
        assert sorted(strata) == list(range(samples))


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"no_such_param": [1, 2]}, "unknown parameter"),
        ({"voice_cost": [0.1, 99.0]}, "voice_cost"),
        ({"initial_quadrant": ["Q5"]}, "initial_quadrant"),
    ],
)
def test_design_parameters_are_validated_against_the_table(parameters, message):
    with pytest.raises(config.ConfigError, match=message):
        _exp("grid", parameters)


def test_ranges_need_numeric_parameters_and_low_below_high():
    with pytest.raises(config.ConfigError, match="numeric"):
        _exp("lhs", {"platform": [0, 1]}, samples=4)
    with pytest.raises(config.ConfigError, match="low < high"):
        _exp("lhs", {"ecosystem": [1.0, 0.0]}, samples=4)
    with pytest.raises(config.ConfigError, match="power of 2"):
        _exp("sobol", {"ecosystem": [0.0, 1.0]}, samples=6)


def test_shipped_experiments_are_valid():
    for path in config.all_configs():
        exp = config.load(str(path))
        assert exp.entropy is not None, f"{path.name}: shipped experiments fix their root entropy"
        designs.make(exp)


# ------------------------------------------------------------------------------------------- seeding
def test_run_seeds_depend_only_on_entropy_point_and_replicate():
    seeds = {designs.run_seed(42, j, r) for j in range(20) for r in range(20)}
    assert len(seeds) == 400
    assert designs.run_seed(42, 3, 5) == designs.run_seed(42, 3, 5) != designs.run_seed(43, 3, 5)
    assert all(0 <= s < 2**63 for s in seeds)


def test_runs_identical_for_serial_two_workers_and_dask(tmp_path):
    toml = tiny_toml(tmp_path)
    outs = {}
    executors = {"serial": lambda: runner.SerialExecutor(), "pool2": lambda: runner.PoolExecutor(2)}
    try:
        import distributed  # noqa: F401

        executors["dask"] = lambda: runner.DaskExecutor(workers=2, processes=True)
    except ImportError:
        pass
    for label, make in executors.items():
        exp = config.load(str(toml))
        executor = make()
        try:
            res = runner.run_experiment(exp, executor, out=tmp_path / label, progress=False)
        finally:
            executor.close()
        assert res.ran == 12 and res.failed == 0
        outs[label] = sorted_rows(tmp_path / label)
    reference = outs.pop("serial")
    for label, rows in outs.items():
        assert rows == reference, f"{label} differs from serial"
        # a completed experiment is compacted (sorted by run id): the very same bytes, step data too
        for name in (store.RUNS, store.STEPS):
            assert (tmp_path / label / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name
    if "dask" not in executors:
        pytest.skip("dask.distributed is not importable: the Dask LocalCluster leg was not run")


def test_adaptive_replicates_stop_at_target_or_cap(tmp_path):
    toml = tiny_toml(tmp_path, body=textwrap.dedent(
        """
        [design]
        type = "grid"
        [design.parameters]
        voice_cost = [0.1, 1.0]
        [adaptive]
        halfwidth = 0.3
        max_replicates = 9
        batch = 2
        """
    ))
    exp = config.load(str(toml))
    res = runner.run_experiment(exp, runner.SerialExecutor(), out=tmp_path / "a", progress=False)
    runs = store.load_runs(tmp_path / "a")
    for j, n in res.replicates.items():
        outcomes = list(runs.loc[runs["point"] == j, "quadrant"])
        assert len(outcomes) == n and 3 <= n <= 9
        assert n == 9 or runner.max_halfwidth(outcomes) <= 0.3
        if n > 3:  # it was extended only because the previous round was too wide
            assert runner.max_halfwidth(outcomes[: n - 2]) > 0.3


# ------------------------------------------------------------------------------------------- resume
def test_resume_after_sigkill_runs_everything_exactly_once(tmp_path):
    body = textwrap.dedent(
        """
        [design]
        type = "grid"
        [design.parameters]
        voice_cost = [0.1, 0.5, 1.0, 2.0]
        initial_quadrant = ["mixed", "Q2", "Q4"]
        [outputs]
        step_sample = 1
        """
    )
    toml = tiny_toml(tmp_path, body=body, replicates=8, max_steps=400)  # 96 runs, long enough to be killed midway
    out = tmp_path / "r"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    args = ["run", str(toml), "--out", str(out), "--workers", "2", "--quiet", "--set", "stop_on_settle=false"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments", *args],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    journal = out / store.JOURNAL
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 1:  # a first commit is in (~2 s)
            break
        time.sleep(0.01)
    killed_midway = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job: runner, forkserver and workers
    proc.wait(timeout=30)
    before = len(store.load_runs(out))

    again = run_cli(*args, "--no-plots", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    ids = [row[0] for row in sorted_rows(out)[1:]]
    assert len(ids) == len(set(ids)) == 96
    assert ids == sorted(store.run_id(j, r) for j in range(12) for r in range(8))
    assert killed_midway, "the sweep finished before it could be killed"
    assert 0 < before < 96 and f"{before} already done" in again.stdout

    # and the resumed file equals an uninterrupted run of the same definition
    exp = config.load(str(toml), overrides={"stop_on_settle": False})
    ref = runner.run_experiment(exp, runner.SerialExecutor(), out=tmp_path / "ref", progress=False)
    assert ref.ran == 96
    assert sorted_rows(out) == sorted_rows(tmp_path / "ref")
    manifest = store.read_json(out / store.MANIFEST)
    assert manifest["runs"]["done"] == 96 and manifest["status"] == "complete"
    assert manifest["root_entropy"] == 42 and len(manifest["sessions"]) >= 2


def test_resume_refuses_a_folder_of_another_definition(tmp_path):
    toml = tiny_toml(tmp_path)
    runner.run_experiment(config.load(str(toml)), runner.SerialExecutor(), out=tmp_path / "o", progress=False)
    before = (tmp_path / "o" / store.RUNS).read_bytes()
    other = config.load(str(toml), overrides={"n_smes": 25})
    with pytest.raises(runner.RunnerError, match="different definition"):
        runner.prepare(other, tmp_path / "o")  # the advisory check, before any executor exists
    with pytest.raises(runner.RunnerError, match="different definition"):
        runner.run_experiment(other, runner.SerialExecutor(), out=tmp_path / "o", progress=False)  # under the lock
    assert (tmp_path / "o" / store.RUNS).read_bytes() == before


def test_torn_journal_tail_is_cut_and_its_runs_redone(tmp_path):
    toml = tiny_toml(tmp_path)
    ref = tmp_path / "ref"
    runner.run_experiment(config.load(str(toml)), runner.SerialExecutor(), out=ref, progress=False)
    out = tmp_path / "t"
    with pytest.raises(KeyboardInterrupt):  # 3 of 12 runs per chunk, stopped after 3 chunks, each committed
        runner.run_experiment(config.load(str(toml)), InterruptAfter(3), out=out, progress=False, chunk=3,
                              commit_seconds=0)
    journal = (out / store.JOURNAL).read_bytes()
    assert journal.count(b"\n") == 3 and len(store.load_runs(out)) == 9
    (out / store.JOURNAL).write_bytes(journal[:-25])  # last commit torn mid-line, as by SIGKILL during a write
    assert len(store.load_runs(out)) == 6  # a reader ignores the torn commit: its runs are not done
    res = runner.run_experiment(config.load(str(toml)), runner.SerialExecutor(), out=out, progress=False)
    assert res.ran == 6 and res.skipped == 6
    assert sorted_rows(out) == sorted_rows(ref)
    for name in (store.RUNS, store.STEPS):
        assert (out / name).read_bytes() == (ref / name).read_bytes()


# ------------------------------------------------------------------------------------------- atomic writes
def test_atomic_write_leaves_old_file_and_no_temp_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "manifest.json"
    store.atomic_write_json(target, {"v": 1})

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        store.atomic_write_json(target, {"v": 2})
    monkeypatch.undo()
    assert store.read_json(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "summary.csv"
    store.atomic_write_text(target, "a\n" * 1000)
    store.atomic_write_text(target, "b\n")
    assert target.read_text() == "b\n"
    assert not list(tmp_path.glob("*.tmp"))


# ------------------------------------------------------------------------------------------- CLI errors
@pytest.mark.parametrize(
    "args, needle",
    [
        (["run", "no_such_experiment"], "unknown experiment"),
        (["run", "BAD.toml"], "bad TOML"),
        (["run", "baseline", "--set", "no_such_param=1"], "unknown parameter"),
        (["run", "baseline", "--set", "voice_cost=99"], "voice_cost"),
        (["run", "baseline", "--set", "voice_cost"], "name=value"),
        (["run", "RANGE.toml"], "voice_cost"),
        (["run", "baseline", "--replicates", "0"], "replicates"),
        (["run", "baseline", "--workers", "zero"], "workers"),
        (["frobnicate"], "invalid choice"),
        (["plot", "never_run"], "never_run"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_nothing_written(tmp_path, monkeypatch, capsys, args, needle):
    (tmp_path / "BAD.toml").write_text('name = "bad"\n[design\n')
    tiny_toml(tmp_path, name="RANGE", body='[design]\ntype = "grid"\n[design.parameters]\nvoice_cost = [0.1, 11.0]\n')
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("python -m experiments: error:") and needle in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_cli_process_exit_code_and_single_line(tmp_path):
    res = run_cli("run", "no_such_experiment", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "unknown experiment" in res.stderr
    assert not (tmp_path / "results").exists()


# ------------------------------------------------------------------------------------------- analysis and plots
def test_wilson_interval_matches_known_values():
    lo, hi = runner.wilson(np.array([0, 5, 10]), 10)
    assert lo[0] == 0 and hi[0] == pytest.approx(0.2775, abs=1e-4)
    assert (lo[1], hi[1]) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert hi[2] == pytest.approx(1) and lo[2] == pytest.approx(0.7225, abs=1e-4)


def _is_png(path: Path) -> bool:
    import matplotlib.image as mpimg

    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and mpimg.imread(path).size > 0


def test_plots_render_from_a_small_saved_result(tmp_path, monkeypatch, capsys):
    toml = tiny_toml(tmp_path)
    out = tmp_path / "p"
    exp = config.load(str(toml))
    runner.run_experiment(exp, runner.SerialExecutor(), out=out, progress=False)
    summary = analysis.analyse(out, exp, designs.make(exp))["summary"]
    assert list(summary["n"]) == [3, 3, 3, 3]
    freq = summary[[f"freq_{o}" for o in config.OUTCOMES]].sum(axis=1)
    assert np.allclose(freq, 1.0)
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "tiny", "--out", str(out)]) == 0
    for stem in ("frequencies", "frequencies_ci", "timeseries", "paths", "metrics"):
        assert _is_png(out / f"{stem}.png"), stem
        assert (out / f"{stem}.pdf").read_bytes().startswith(b"%PDF-"), stem
    # without the raw runs (as committed), plot re-draws from the saved tables
    _as_committed(out)
    for f in out.glob("*.png"):
        f.unlink()
    assert main(["plot", "tiny", "--out", str(out)]) == 0
    assert _is_png(out / "paths.png") and _is_png(out / "timeseries.png")
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
    sens = (tmp_path / "s" / analysis.SENSITIVITY).read_text()
    assert "voice_cost" in sens and "ST_conf" in sens
    assert _is_png(tmp_path / "s" / "sobol.png")
    assert _is_png(tmp_path / "s" / "phase_map.png")  # scattered: a sampled design


def test_fresh_replaces_earlier_runs_and_stale_folders_are_refused(tmp_path, monkeypatch, capsys):
    toml = tiny_toml(tmp_path)
    out = tmp_path / "f"
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(toml), "--out", str(out), "--executor", "serial", "--quiet", "--no-plots"]) == 0
    first = (out / store.RUNS).read_bytes()
    # another definition into the same folder: refused, one line, nothing changed
    assert main(["run", str(toml), "--out", str(out), "--set", "n_smes=25", "--quiet"]) == 2
    assert "--fresh" in capsys.readouterr().err
    assert (out / store.RUNS).read_bytes() == first
    # --fresh: the new definition runs in full, then replaces the old runs
    code = main(["run", str(toml), "--out", str(out), "--set", "n_smes=25", "--fresh", "--executor", "serial",
                 "--quiet", "--no-plots"])
    assert code == 0
    runs = store.load_runs(out)
    assert len(runs) == 12 and (out / store.RUNS).read_bytes() != first
    assert store.read_json(out / store.MANIFEST)["parameters"]["n_smes"] == 25
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lock"]  # no staging left


def test_pool_workers_are_recycled():
    """Mesa 3.3 keeps finished models alive: pool workers must be replaced every `recycle` runs."""
    exp = config.from_dict({"name": "rc", "entropy": 1, "base": {**TINY_BASE, "max_steps": 20},
                            "design": {"type": "grid", "parameters": {"voice_cost": [0.5]}}})
    params = {**exp.base}
    executor = runner.PoolExecutor(2, recycle=2)
    try:
        futs = [executor.submit(runner.run_chunk, {"model": exp.model, "entropy": 1, "base": params,
                                                   "groups": [(0, {}, [(r, ())])]}) for r in range(12)]
        results = [f.result(timeout=60) for f in futs]
    finally:
        executor.close()
    assert all(len(res["runs"]) == 1 and not res["failures"] for res in results)
    assert len({res["pid"] for res in results}) >= 6  # 12 chunks, at most 2 per worker


def _as_committed(out: Path) -> None:
    """What a clone holds of a shipped result: manifest, tables and figures, no raw runs."""
    for name in (store.JOURNAL, store.RUNS, store.STEPS):
        (out / name).unlink()


def test_a_committed_folder_without_runs_is_rerun_only_if_its_definition_matches(tmp_path):
    """A clone has manifest.json and tables but no raw runs. Same definition and model: `run` runs it again
    into the folder. A manifest of another model version is refused like any other folder (issue 12: every
    existing folder is checked against the definition before anything is written; before, a folder without
    runs was taken as fresh and its committed figures overwritten)."""
    toml = tiny_toml(tmp_path)
    out = tmp_path / "c"
    runner.run_experiment(config.load(str(toml)), runner.SerialExecutor(), out=out, progress=False)
    _as_committed(out)
    res = runner.run_experiment(config.load(str(toml)), runner.SerialExecutor(), out=out, progress=False)
    assert res.ran == 12 and res.skipped == 0
    _as_committed(out)
    manifest = store.read_json(out / store.MANIFEST)
    manifest["model_fingerprint"] = "something-else"
    store.atomic_write_json(out / store.MANIFEST, manifest)
    with pytest.raises(runner.RunnerError, match="different version of the model"):
        runner.run_experiment(config.load(str(toml)), runner.SerialExecutor(), out=out, progress=False)
    assert store.read_json(out / store.MANIFEST) == manifest


def test_model_fingerprint_does_not_depend_on_what_else_was_imported():
    """The fingerprint covers the model and the modules it imports, read from the source: the same in
    a fresh process and after the figures (which import sim.palette) or the dashboard were loaded, as a
    `run-all` or a resume in a new process must find it."""
    from experiments import provenance

    code = "import sys; {pre}; from experiments import provenance as p; print(p.model_fingerprint('sim.model:run'))"
    prints = {
        subprocess.run([sys.executable, "-c", code.format(pre=pre)], capture_output=True, text=True, check=True,
                       cwd=Path(__file__).resolve().parents[1]).stdout.strip()
        for pre in ("pass", "import experiments.plots, sim.palette, sim.dashboard.app")
    }
    assert len(prints) == 1, prints
    names = [n for n, _ in provenance.model_modules("sim.model")]
    assert {"sim", "sim.model", "sim.engine.schedule", "sim.agents", "sim.population", "sim.rules.trust"} <= set(names)
    assert not {"sim.palette", "sim.dashboard.app", "sim.dashboard.figures"} & set(names)
    assert [n for n, _ in provenance.model_modules("experiments.trivial")] == ["experiments.trivial"]
