"""The runner's reliability guarantees, proven with the trivial model (microseconds per run), so that many trials fit in
seconds: SIGKILL at random moments and resume gives byte-identical results; two runners started together
never lose a run; --fresh never loses the old results before the new ones are complete; shipped results
and tracked files are never written without --shipped; a closed pipe loses nothing; names stay inside."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest
from support import trivial_toml

from experiments import engine, pipeline, storage
from experiments.analysis import summary, timeseries
from experiments.cli import main
from experiments.definition import designs
from experiments.storage import atomic, folders

ROOT = Path(__file__).resolve().parents[2]
FORK = mp.get_context("fork")  # children start at once; they are killed or joined with a timeout, so a child
# that a fork under threads (Python 3.12 warns) ever deadlocked would fail a test, not hang it
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
FINAL = (storage.RUNS, storage.STEPS, storage.EVENTS, summary.FILE, timeseries.FILE)


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    """SIGKILL safety does not rest on fsync (a killed process's writes are in the page cache); without it
    the many trials below fit in seconds on a slow disk. (fsync is for power cuts, which no test simulates.)"""
    monkeypatch.setattr(atomic, "FSYNC", False)


def _tables_only(exp):
    def report(folder: Path) -> None:
        pipeline.analyse(folder, exp, designs.make(exp))

    return report


def _run(toml: Path, out: Path, fresh: bool = False, chunk: int = 3) -> engine.Outcome:
    exp = pipeline.experiment(str(toml))
    return engine.run_experiment(exp, engine.SerialExecutor(), out=out, progress=False, fresh=fresh, chunk=chunk,
                                 commit_seconds=0, report=_tables_only(exp))


def _child(toml: str, out: str, fresh: bool) -> None:
    try:
        _run(Path(toml), Path(out), fresh)
    finally:
        os._exit(0)


def _bytes(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in FINAL}


def _kill_at_random(toml: Path, out: Path, rng: random.Random, horizon: float, fresh: bool = False) -> None:
    proc = FORK.Process(target=_child, args=(str(toml), str(out), fresh))
    proc.start()
    time.sleep(rng.uniform(0, horizon))
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()


def test_sigkill_at_random_moments_then_resume_gives_byte_identical_results(tmp_path):
    """30 trials: 1-2 SIGKILLs at random moments (during runs, commits, compaction, analysis), then a resume;
    every final file (runs, steps, events, summary, time series) equals an uninterrupted run's, byte for byte."""
    toml = trivial_toml(tmp_path, x=(0.2, 0.8), replicates=3)
    _run(toml, tmp_path / "warm-up")  # first imports (analysis, scipy) are not part of a run's time
    t0 = time.perf_counter()
    _run(toml, tmp_path / "ref")
    horizon = time.perf_counter() - t0  # kill times uniform over an uninterrupted run's duration
    reference = _bytes(tmp_path / "ref")
    assert len(storage.load_runs(tmp_path / "ref")) > 12  # adaptive replicates were added somewhere
    rng = random.Random(20260112)
    states = {"before any commit": 0, "running": 0, "finishing (tables)": 0, "finished": 0}
    for trial in range(30):
        out = tmp_path / f"t{trial}"
        for _ in range(rng.randint(1, 2)):
            _kill_at_random(toml, out, rng, horizon)
            manifest = out / storage.MANIFEST
            status = storage.read_json(manifest)["status"] if manifest.exists() else None
            states["before any commit" if status is None else "running" if status == "running" else
                   "finishing (tables)" if not (out / timeseries.FILE).exists() else "finished"] += 1
        res = _run(toml, out)
        assert res.status == "complete"
        assert _bytes(out) == reference, f"trial {trial}"
        assert not list(out.glob(".*.tmp")) and not (out / storage.PARTS).exists()
    print(f"crash trials: 30, SIGKILLs by state: {states}; every trial byte-identical")
    assert states["running"] >= 5 and states["finished"] < sum(states.values()) / 2  # kills landed mid-way


def test_sigkill_during_fresh_never_loses_the_old_results(tmp_path):
    """10 trials of `--fresh` with another definition killed at random: the folder holds the old results,
    whole, until the new ones are complete; a resumed --fresh completes them and swaps them in."""
    old_toml = trivial_toml(tmp_path, x=(0.3, 0.6))
    new_toml = trivial_toml(tmp_path / "new" if (tmp_path / "new").mkdir() is None else tmp_path, x=(0.1, 0.9))
    _run(new_toml, tmp_path / "ref_new")
    t0 = time.perf_counter()
    _run(old_toml, tmp_path / "ref_old")
    horizon = 1.2 * (time.perf_counter() - t0)
    old, new = _bytes(tmp_path / "ref_old"), _bytes(tmp_path / "ref_new")
    rng = random.Random(7)
    for trial in range(10):
        out = tmp_path / f"f{trial}"
        _run(old_toml, out)
        _kill_at_random(new_toml, out, rng, horizon, fresh=True)
        with folders.Folder(out):  # the next writer finishes an interrupted swap first
            pass
        assert _bytes(out) in (old, new), f"trial {trial}: a mix of old and new results"
        _run(new_toml, out, fresh=True)
        assert _bytes(out) == new


def _racer(toml: str, cwd: str, go, log: str) -> None:
    code = 1
    try:
        os.chdir(cwd)
        sys.stderr = open(log, "w")
        sys.stdout = open(os.devnull, "w")
        go.wait()
        code = main(["run", toml, "--executor", "serial", "--quiet", "--no-plots", "--chunk", "2"])
    finally:
        sys.stderr.flush()
        os._exit(code)


def test_two_runners_started_together_never_lose_a_run(tmp_path):
    """20 trials: two runners start at the same moment on a new folder (no fixed entropy, so the loser of a
    race could draw other seeds); one runs, the other waits its turn or stops with a clear message, and every
    finished run is kept every time."""
    toml = trivial_toml(tmp_path, entropy=None)
    outcomes = []
    for trial in range(20):
        cwd = tmp_path / f"race{trial}"
        cwd.mkdir()
        go = FORK.Event()
        procs = [FORK.Process(target=_racer, args=(str(toml), str(cwd), go, str(cwd / f"err{i}")))
                 for i in range(2)]
        for p in procs:
            p.start()
        go.set()
        for p in procs:
            p.join(60)
        codes = sorted(p.exitcode for p in procs)
        errors = [(cwd / f"err{i}").read_text() for i in range(2)]
        assert codes in ([0, 0], [0, 2]), (codes, errors)
        if codes == [0, 2]:
            assert any("another runner" in e for e in errors), errors
        out = cwd / "runs" / "triv"
        manifest = storage.read_json(out / storage.MANIFEST)
        assert manifest["status"] == "complete"
        runs = storage.load_runs(out)
        ref_toml = trivial_toml(cwd, entropy=manifest["root_entropy"])
        _run(ref_toml, cwd / "ref")
        assert runs.equals(storage.load_runs(cwd / "ref")), f"trial {trial}: runs lost or changed"
        outcomes.append(codes == [0, 2])
    print(f"race trials: 20, the second runner refused while the first ran: {sum(outcomes)}, every run kept")
    assert any(outcomes), "the runners never overlapped: the race was not exercised"
