"""The run loop: the same runs for any executor, adaptive replicates, resume after SIGKILL, a torn journal,
--fresh, refusals of a folder of another definition or model version, recycled pool workers, the model
fingerprint. Tiny sweeps (20 SMEs, ≤ 60 steps) keep the module fast; nothing is timed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support import TINY_BASE, InterruptAfter, as_committed, run_cli, sorted_rows, tiny_toml

from experiments import engine, pipeline, storage
from experiments.analysis.stats import max_halfwidth
from experiments.cli import main
from experiments.definition import models

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = models.info().categories


def test_runs_identical_for_serial_two_workers_and_dask(tmp_path):
    toml = tiny_toml(tmp_path)
    outs = {}
    executors = {"serial": lambda: engine.SerialExecutor(), "pool2": lambda: engine.PoolExecutor(2)}
    try:
        import distributed  # noqa: F401

        executors["dask"] = lambda: engine.DaskExecutor(workers=2, processes=True)
    except ImportError:
        pass
    for label, make in executors.items():
        exp = pipeline.experiment(str(toml))
        executor = make()
        try:
            res = engine.run_experiment(exp, executor, out=tmp_path / label, progress=False)
        finally:
            executor.close()
        assert res.ran == 12 and res.failed == 0
        outs[label] = sorted_rows(tmp_path / label)
    reference = outs.pop("serial")
    for label, rows in outs.items():
        assert rows == reference, f"{label} differs from serial"
        # a completed experiment is compacted (sorted by run id): the very same bytes, step data too
        for name in (storage.RUNS, storage.STEPS):
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
    exp = pipeline.experiment(str(toml))
    res = engine.run_experiment(exp, engine.SerialExecutor(), out=tmp_path / "a", progress=False)
    runs = storage.load_runs(tmp_path / "a")
    for j, n in res.replicates.items():
        outcomes = list(runs.loc[runs["point"] == j, "quadrant"])
        assert len(outcomes) == n and 3 <= n <= 9
        assert n == 9 or max_halfwidth(outcomes, CATEGORIES) <= 0.3
        if n > 3:  # it was extended only because the previous round was too wide
            assert max_halfwidth(outcomes[: n - 2], CATEGORIES) > 0.3


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
    # 96 runs, long enough to be killed midway: 12,000 steps each (≈ 0.2 s a run by the compiled engine, so the
    # sweep outlasts its first commit)
    toml = tiny_toml(tmp_path, body=body, replicates=8, max_steps=12000)
    out = tmp_path / "r"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    args = ["run", str(toml), "--out", str(out), "--workers", "2", "--quiet", "--set", "stop_on_settle=false"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "experiments", *args],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    journal = out / storage.JOURNAL
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 1:  # a first commit is in (~2 s)
            break
        time.sleep(0.01)
    killed_midway = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)  # the whole job: runner, forkserver and workers
    proc.wait(timeout=30)
    before = len(storage.load_runs(out))

    again = run_cli(*args, "--no-plots", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    ids = [row[0] for row in sorted_rows(out)[1:]]
    assert len(ids) == len(set(ids)) == 96
    assert ids == sorted(storage.run_id(j, r) for j in range(12) for r in range(8))
    assert killed_midway, "the sweep finished before it could be killed"
    assert 0 < before < 96 and f"{before} already done" in again.stdout

    # and the resumed file equals an uninterrupted run of the same definition
    exp = pipeline.experiment(str(toml), overrides={"stop_on_settle": False})
    ref = engine.run_experiment(exp, engine.SerialExecutor(), out=tmp_path / "ref", progress=False)
    assert ref.ran == 96
    assert sorted_rows(out) == sorted_rows(tmp_path / "ref")
    manifest = storage.read_json(out / storage.MANIFEST)
    assert manifest["runs"]["done"] == 96 and manifest["status"] == "complete"
    assert manifest["root_entropy"] == 42 and len(manifest["sessions"]) >= 2


def test_resume_refuses_a_folder_of_another_definition(tmp_path):
    toml = tiny_toml(tmp_path)
    engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=tmp_path / "o", progress=False)
    before = (tmp_path / "o" / storage.RUNS).read_bytes()
    other = pipeline.experiment(str(toml), overrides={"n_smes": 25})
    with pytest.raises(storage.RunnerError, match="different definition"):
        engine.prepare(other, tmp_path / "o")  # the advisory check, before any executor exists
    with pytest.raises(storage.RunnerError, match="different definition"):
        engine.run_experiment(other, engine.SerialExecutor(), out=tmp_path / "o", progress=False)  # under the lock
    assert (tmp_path / "o" / storage.RUNS).read_bytes() == before


def test_torn_journal_tail_is_cut_and_its_runs_redone(tmp_path):
    toml = tiny_toml(tmp_path)
    ref = tmp_path / "ref"
    engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=ref, progress=False)
    out = tmp_path / "t"
    with pytest.raises(KeyboardInterrupt):  # 3 of 12 runs per chunk, stopped after 3 chunks, each committed
        engine.run_experiment(pipeline.experiment(str(toml)), InterruptAfter(3), out=out, progress=False, chunk=3,
                              commit_seconds=0)
    journal = (out / storage.JOURNAL).read_bytes()
    assert journal.count(b"\n") == 3 and len(storage.load_runs(out)) == 9
    (out / storage.JOURNAL).write_bytes(journal[:-25])  # last commit torn mid-line, as by SIGKILL during a write
    assert len(storage.load_runs(out)) == 6  # a reader ignores the torn commit: its runs are not done
    res = engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=out, progress=False)
    assert res.ran == 6 and res.skipped == 6
    assert sorted_rows(out) == sorted_rows(ref)
    for name in (storage.RUNS, storage.STEPS):
        assert (out / name).read_bytes() == (ref / name).read_bytes()


def test_fresh_replaces_earlier_runs_and_stale_folders_are_refused(tmp_path, monkeypatch, capsys):
    toml = tiny_toml(tmp_path)
    out = tmp_path / "f"
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(toml), "--out", str(out), "--executor", "serial", "--quiet", "--no-plots"]) == 0
    first = (out / storage.RUNS).read_bytes()
    # another definition into the same folder: refused, one line, nothing changed
    assert main(["run", str(toml), "--out", str(out), "--set", "n_smes=25", "--quiet"]) == 2
    assert "--fresh" in capsys.readouterr().err
    assert (out / storage.RUNS).read_bytes() == first
    # --fresh: the new definition runs in full, then replaces the old runs
    code = main(["run", str(toml), "--out", str(out), "--set", "n_smes=25", "--fresh", "--executor", "serial",
                 "--quiet", "--no-plots"])
    assert code == 0
    runs = storage.load_runs(out)
    assert len(runs) == 12 and (out / storage.RUNS).read_bytes() != first
    assert storage.read_json(out / storage.MANIFEST)["parameters"]["n_smes"] == 25
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lock"]  # no staging left


def test_pool_workers_are_recycled():
    """Mesa 3.3 keeps finished models alive: pool workers must be replaced every `recycle` runs."""
    exp = pipeline.experiment({"name": "rc", "entropy": 1, "base": {**TINY_BASE, "max_steps": 20},
                            "design": {"type": "grid", "parameters": {"voice_cost": [0.5]}}})
    params = {**exp.base}
    executor = engine.PoolExecutor(2, recycle=2)
    try:
        futs = [executor.submit(engine.run_chunk, {"model": exp.model, "entropy": 1, "base": params,
                                                   "groups": [(0, {}, [(r, ())])]}) for r in range(12)]
        pending = set(futs)
        while pending:  # the executor's contract: wait() drives the work
            pending -= executor.wait(pending)
        results = [f.result() for f in futs]
    finally:
        executor.close()
    assert all(len(res["runs"]) == 1 and not res["failures"] for res in results)
    assert len({res["pid"] for res in results}) >= 6  # 12 chunks, at most 2 per worker


def test_a_committed_folder_without_runs_is_rerun_only_if_its_definition_matches(tmp_path):
    """A clone has manifest.json and tables but no raw runs. Same definition and model: `run` runs it again
    into the folder. A manifest of another model version is refused like any other folder (every existing
    folder is checked against the definition before anything is written: a folder without runs is not taken
    as fresh, so its committed figures are never overwritten by another definition's)."""
    toml = tiny_toml(tmp_path)
    out = tmp_path / "c"
    engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=out, progress=False)
    as_committed(out)
    res = engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=out, progress=False)
    assert res.ran == 12 and res.skipped == 0
    as_committed(out)
    manifest = storage.read_json(out / storage.MANIFEST)
    manifest["model_fingerprint"] = "something-else"
    storage.atomic_write_json(out / storage.MANIFEST, manifest)
    with pytest.raises(storage.RunnerError, match="different version of the model"):
        engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=out, progress=False)
    assert storage.read_json(out / storage.MANIFEST) == manifest


def test_model_fingerprint_does_not_depend_on_what_else_was_imported():
    """The fingerprint covers the model and the modules it imports, read from the source: the same in
    a fresh process and after the figures (which import sim.palette) or the dashboard were loaded, as a
    `run-all` or a resume in a new process must find it."""
    from experiments.storage import provenance

    code = ("import sys; {pre}; from experiments.storage import provenance as p; "
            "print(p.model_fingerprint('sim.model:run'))")
    prints = {
        subprocess.run([sys.executable, "-c", code.format(pre=pre)], capture_output=True, text=True, check=True,
                       cwd=ROOT).stdout.strip()
        for pre in ("pass", "import experiments.figures, sim.palette, sim.dashboard.app")
    }
    assert len(prints) == 1, prints
    names = [n for n, _ in provenance.model_modules("sim.model")]
    assert {"sim", "sim.model", "sim.engine.schedule", "sim.agents", "sim.population", "sim.rules.trust"} <= set(names)
    assert not {"sim.palette", "sim.dashboard.app", "sim.dashboard.figures"} & set(names)
    assert [n for n, _ in provenance.model_modules("experiments.engine.trivial")] == ["experiments.engine.trivial"]


def test_the_manifest_records_the_engine_that_computed_the_runs(tmp_path):
    """sim.model:run declares ``engine_used`` (compiled with Numba's version, or mesa and why): the manifest
    records it, and each session too (a resume elsewhere may run the other engine); a model that declares
    nothing is recorded as None."""
    import sim.model

    toml = tiny_toml(tmp_path)
    engine.run_experiment(pipeline.experiment(str(toml)), engine.SerialExecutor(), out=tmp_path / "e", progress=False)
    manifest = storage.read_json(tmp_path / "e" / storage.MANIFEST)
    assert manifest["engine"] == sim.model.engine_used() == models.info().engine()
    assert manifest["engine"]["engine"] in ("compiled", "mesa")
    assert [s["engine"] for s in manifest["sessions"]] == [manifest["engine"]]
    assert models.info("experiments.engine.trivial:run").engine() is None
    assert sim.model.engine_used("mesa")["engine"] == "mesa" and "fallback" not in sim.model.engine_used("mesa")
