"""The second hostile campaign (issue 19): the damaging cases become regression tests. A dying worker, a crafted
or damaged results folder, shipped results reached by another route, the Python API given bad arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from experiments.storage.layout import JOURNAL, MANIFEST, PARTS
from tests.experiments.support import ROOT, TRIVIAL

FAULTS = {
    "os_exit": "os._exit(3)",
    "sys_exit": "sys.exit(3)",
    "sigkill": "os.kill(os.getpid(), signal.SIGKILL)",
    "segfault": "ctypes.string_at(0)",
    "keyboard_interrupt": "raise KeyboardInterrupt",
    "hang": "time.sleep(600)",
}


def hostile_model(tmp_path: Path, fault: str) -> str:
    """A model module (the trivial model's contract) that faults in the runs with x = 0.5 while HOSTILE_FAULT is
    set."""
    (tmp_path / "hostile_model.py").write_text(textwrap.dedent(f"""\
        import ctypes, os, signal, sys, time
        from experiments.engine.trivial import OUTCOMES, PARAMS, SUMMARY_KEYS, TABLES
        from experiments.engine.trivial import run as _run

        def run(params, seed, tables=()):
            if params.get("x") == 0.5 and os.environ.get("HOSTILE_FAULT"):
                {FAULTS[fault]}
            return _run(params, seed, tables)
        """))
    return "hostile_model:run"


def sweep_toml(tmp_path: Path, model: str = TRIVIAL, name: str = "h", x=(0.2, 0.5, 0.8), replicates: int = 4) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(f"""\
        name = "{name}"
        model = "{model}"
        replicates = {replicates}
        entropy = 5
        [design]
        type = "grid"
        [design.parameters]
        x = {list(x)}
        """))
    return path


def cli(tmp_path: Path, *args: str, timeout: float = 120, **env_extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}", "MPLBACKEND": "Agg", **env_extra}
    return subprocess.run([sys.executable, "-m", "experiments", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("python -m experiments: "), proc.stderr[-3000:]
    return lines[-1]


# ----------------------------------------------------------------------------------------------------------
# 1. a dying worker is a failed run, never a hang; nothing calls an incomplete sweep complete
@pytest.mark.parametrize("fault", sorted(set(FAULTS) - {"hang"}))
@pytest.mark.parametrize("executor", ["pool", "serial"])
def test_a_dying_model_ends_the_sweep_with_one_line_and_a_resumable_folder(tmp_path, fault, executor):
    if executor == "serial" and fault in ("sigkill", "segfault", "os_exit"):
        pytest.skip("the serial executor runs the model in the runner's own process: it dies with it")
    toml = sweep_toml(tmp_path, hostile_model(tmp_path, fault))
    out = tmp_path / "out"
    proc = cli(tmp_path, "run", str(toml), "--out", str(out), "--executor", executor, "--workers", "2", "--quiet",
               "--no-plots", timeout=90, HOSTILE_FAULT="1")
    assert proc.returncode != 0, proc.stdout + proc.stderr
    line = one_line_error(proc)
    assert len(line) < 400
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] != "complete"
    show = cli(tmp_path, "show", "--out", str(out))
    assert "(complete)" not in show.stdout
    # the folder is resumable: with the fault gone, the same command finishes every run
    again = cli(tmp_path, "run", str(toml), "--out", str(out), "--executor", executor, "--quiet", "--no-plots")
    assert again.returncode == 0, again.stderr[-3000:]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "complete" and manifest["runs"]["done"] == 12


@pytest.mark.parametrize("executor", ["pool", "serial"])
def test_a_hung_run_is_stopped_at_the_time_limit_and_recorded_as_failed(tmp_path, executor):
    toml = sweep_toml(tmp_path, hostile_model(tmp_path, "hang"), replicates=2)
    out = tmp_path / "out"
    proc = cli(tmp_path, "run", str(toml), "--out", str(out), "--executor", executor, "--workers", "2", "--quiet",
               "--no-plots", "--run-timeout", "1.5", timeout=90, HOSTILE_FAULT="1")
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "time limit" in one_line_error(proc)
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "complete_with_failures" and manifest["runs"]["failed_unresolved"] == 2


# ----------------------------------------------------------------------------------------------------------
# 2. a results folder is untrusted input
def made(tmp_path: Path, name: str = "tr", **kw) -> Path:
    import experiments

    out = tmp_path / name
    experiments.run_experiment(name=name, model=TRIVIAL, replicates=3, entropy=5, executor="serial", progress=False,
                               design={"type": "grid", "parameters": {"x": [0.2, 0.5, 0.8]}}, out=out, **kw)
    return out


def toml_of(tmp_path: Path, name: str = "tr") -> Path:
    return sweep_toml(tmp_path, name=name, replicates=3)


def crafted_record(name: str, data: bytes) -> bytes:
    import hashlib

    from experiments.storage.journal import encode

    return encode({"kind": "part", "files": {"runs": {"file": name, "bytes": len(data), "rows": 1, "pmin": 0,
                                                      "pmax": 0, "sha256": hashlib.sha256(data).hexdigest()}}})


@pytest.mark.parametrize("name", ["../../victim.txt", "parts/../../victim.txt", "/tmp/victim.txt",
                                  "parts/00000000-000001.runs.parquet/../../../victim.txt"])
def test_a_journal_naming_a_path_outside_the_folder_touches_nothing_outside(tmp_path, name):
    from experiments.storage import StoreError, load_runs

    out = made(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    with open(out / JOURNAL, "ab") as fh:
        fh.write(crafted_record(name.replace("/tmp/victim.txt", str(victim)), b"precious"))
    with pytest.raises(StoreError, match="not a data file of the runner"):
        load_runs(out)
    for args in (["run", str(toml_of(tmp_path)), "--out", str(out)], ["repair", "--out", str(out)],
                 ["run", str(toml_of(tmp_path)), "--out", str(out)], ["show", "--out", str(out)],
                 ["plot", "--out", str(out)]):
        proc = cli(tmp_path, *args)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert victim.read_bytes() == b"precious", args
    assert not any(p.name == "victim.txt" for p in out.rglob("*"))


def test_a_duplicated_journal_line_is_read_once(tmp_path):
    from experiments.storage import load_runs

    out = made(tmp_path)
    n = len(load_runs(out))
    data = (out / JOURNAL).read_bytes()
    (out / JOURNAL).write_bytes(data + data)
    assert len(load_runs(out)) == n == 9
    import experiments

    assert len(experiments.load(out).runs) == 9


@pytest.mark.parametrize("edit", ["value", "reorder", "entropy"])
def test_an_edited_manifest_is_checked_against_the_runs_before_use(tmp_path, edit):
    import experiments
    from experiments.storage import StoreError

    out = made(tmp_path)
    m = json.loads((out / MANIFEST).read_text())
    if edit == "value":
        m["experiment"]["parameters"]["x"][0] = 0.3
        m["design"]["points"][0]["x"] = 0.3
    elif edit == "reorder":
        m["experiment"]["parameters"]["x"].reverse()
        m["design"]["points"].reverse()
    else:
        m["experiment"]["entropy"] = m["root_entropy"] = 6
    (out / MANIFEST).write_text(json.dumps(m))
    summary = (out / "summary.csv").read_bytes()
    with pytest.raises(StoreError, match="edited after the run"):
        experiments.load(out).frequencies  # noqa: B018
    for cmd in ("plot", "show", "report"):
        proc = cli(tmp_path, cmd, "--out", str(out))
        assert proc.returncode == 2 and "edited after the run" in one_line_error(proc), (cmd, proc.stderr)
    assert (out / "summary.csv").read_bytes() == summary


def test_an_edited_manifest_with_its_key_recomputed_still_disagrees_with_the_journal(tmp_path):
    import experiments
    from experiments.definition.experiment import from_manifest
    from experiments.storage import StoreError

    out = made(tmp_path)
    m = json.loads((out / MANIFEST).read_text())
    m["experiment"]["parameters"]["x"][0] = 0.3
    m["design"]["points"][0]["x"] = 0.3
    exp = from_manifest(dict(m["experiment"]))
    m["design_key"] = exp.design_key(all_parameters=m["parameters"])
    (out / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(StoreError, match="edited after the run"):
        experiments.load(out)


def test_a_users_file_in_parts_is_left_alone_and_reported(tmp_path):
    out = made(tmp_path)
    (out / PARTS).mkdir(exist_ok=True)
    (out / PARTS / "notes.txt").write_text("mine")
    (out / PARTS / "00000000-000001.runs.parquet.bak").write_text("mine too")
    proc = cli(tmp_path, "run", str(toml_of(tmp_path)), "--out", str(out), "--quiet", "--no-plots",
               "--executor", "serial")
    assert proc.returncode == 0, proc.stderr
    assert (out / PARTS / "notes.txt").read_text() == "mine"
    assert (out / PARTS / "00000000-000001.runs.parquet.bak").read_text() == "mine too"
    assert "notes.txt" in proc.stderr


def test_a_deleted_journal_never_reruns_finished_runs_silently(tmp_path):
    out = made(tmp_path)
    runs = (out / "runs.parquet").read_bytes()
    (out / JOURNAL).unlink()
    proc = cli(tmp_path, "run", str(toml_of(tmp_path)), "--out", str(out), "--quiet", "--no-plots",
               "--executor", "serial")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "journal" in one_line_error(proc)
    assert (out / "runs.parquet").read_bytes() == runs


@pytest.mark.parametrize(("what", "refused"), [(JOURNAL, ("show", "run", "load")), ("runs.parquet", ("run", "load")),
                                               (MANIFEST, ("show", "load"))])
def test_a_fifo_in_the_folder_never_blocks(tmp_path, what, refused):
    """A FIFO is never opened for reading (it would block); the commands that need the file refuse it in one line,
    the others do without it (``run`` rewrites a manifest its journal vouches for)."""
    import experiments
    from experiments.definition.errors import ExperimentError

    out = made(tmp_path)
    (out / what).unlink()
    os.mkfifo(out / what)
    if "load" in refused:
        with pytest.raises(ExperimentError, match="FIFO"):
            experiments.load(out).runs  # noqa: B018
    for args in (["show", "--out", str(out)], ["run", str(toml_of(tmp_path)), "--out", str(out), "--quiet"]):
        proc = cli(tmp_path, *args, timeout=60)
        if args[0] in refused:
            assert proc.returncode == 2 and "FIFO" in one_line_error(proc), proc.stderr
        else:
            assert "Traceback" not in proc.stderr


# ----------------------------------------------------------------------------------------------------------
# 3. the shipped results only with --shipped, whatever the route
SHIPPED = ROOT / "results" / "baseline"


def _tracked_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_shipped_results_are_written_only_with_shipped(tmp_path):
    import experiments
    from experiments.storage.errors import RunnerError

    before = _tracked_bytes(SHIPPED)
    mine = tmp_path / "mine.toml"
    mine.write_text((ROOT / "experiments" / "configs" / "baseline.toml").read_text())
    for args in (["run", str(mine), "--out", str(SHIPPED), "--fresh"], ["run", "baseline", "--out", str(SHIPPED)],
                 ["plot", "baseline", "--out", str(SHIPPED)], ["report", "--out", str(SHIPPED)],
                 ["repair", "--out", str(SHIPPED)]):
        proc = cli(tmp_path, *args)
        assert proc.returncode == 2 and "shipped" in one_line_error(proc), (args, proc.stderr)
    res = experiments.load(SHIPPED)
    for write in (res.plot, res.report, lambda: experiments.run_experiment("baseline", out=SHIPPED, fresh=True)):
        with pytest.raises(RunnerError, match="shipped"):
            write()
    assert _tracked_bytes(SHIPPED) == before
    assert not res.frequencies.empty  # reading is fine


def test_load_of_a_folder_without_raw_runs_says_so(tmp_path):
    import shutil
    import subprocess as sp

    import experiments
    from experiments.api import ResultsError

    def as_shipped(name: str) -> Path:  # the folder as a clone has it: its tracked files only
        tracked = sp.run(["git", "ls-files", f"results/{name}"], cwd=ROOT, capture_output=True, text=True).stdout
        folder = tmp_path / name
        folder.mkdir()
        for rel in tracked.split():
            shutil.copy2(ROOT / rel, folder)
        return folder

    res = experiments.load(as_shipped("baseline"))  # ships its runs (under 1 MB), not its steps and events
    assert len(res.runs) == json.loads((SHIPPED / MANIFEST).read_text())["runs"]["done"]
    for what in ("steps", "events"):
        with pytest.raises(ResultsError, match=r"not their raw .*python -m experiments run \S*baseline"):
            getattr(res, what)
    big = experiments.load(as_shipped("sensitivity"))  # 5 MB of runs: not shipped
    with pytest.raises(ResultsError, match=r"not their raw .*python -m experiments run \S*sensitivity"):
        _ = big.runs


# ----------------------------------------------------------------------------------------------------------
# 5. one clear line for every bad input of the Python API: an ExperimentError (a ValueError) naming the argument
DEF = {"model": TRIVIAL, "design": {"type": "grid", "parameters": {"x": [0.2]}}, "executor": "serial",
       "progress": False}


@pytest.mark.parametrize(("call", "argument"), [
    (lambda out: __import__("experiments").load(None), "path"),
    (lambda out: __import__("experiments").load(5), "path"),
    (lambda out: __import__("experiments").load(out / "nothing"), "path"),
    (lambda out: __import__("experiments").run_experiment(name="a", out=5, **DEF), "out"),
    (lambda out: __import__("experiments").run_experiment(name="a", out=out, overrides=[1], **DEF), "overrides"),
    (lambda out: __import__("experiments").run_experiment(name="a", out=out, base=[1, 2], **DEF), None),
    (lambda out: __import__("experiments").run_experiment(name="a", out=out, entropy="abc", **DEF), None),
    (lambda out: __import__("experiments").run_experiment(name="a", out=out, entropy=1.5, **DEF), None),
    (lambda out: __import__("experiments").run_experiment(name="a", out=out, entropy=-1, **DEF), None),
    (lambda out: __import__("experiments").run_experiment(name="a", out=out, replicates=1.5, **DEF), None),
    (lambda out: __import__("experiments").run_experiment(name="a" * 100_000, out=out, **DEF), None),
], ids=["load-None", "load-int", "load-missing", "out-int", "overrides-list", "base-list", "entropy-text",
        "entropy-float", "entropy-negative", "replicates-float", "name-100KB"])
def test_the_api_raises_one_documented_error_naming_the_argument(tmp_path, call, argument):
    from experiments.definition.errors import ExperimentError

    with pytest.raises(ExperimentError) as info:
        call(tmp_path)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "\n" not in message and len(message) < 600, message
    if argument is not None:
        assert info.value.argument == argument


def test_minus_zero_and_zero_are_one_definition():
    from experiments import pipeline

    def key(v):
        return pipeline.experiment(name="z", model=TRIVIAL, entropy=1, base={"x": v},
                                   design={"type": "grid", "parameters": {"noise": [v, 0.1]}}).design_key()

    assert key(-0.0) == key(0.0)


def test_a_pool_started_without_a_main_guard_stops_with_one_line(tmp_path):
    script = tmp_path / "noguard.py"
    script.write_text(textwrap.dedent(f"""\
        import experiments
        experiments.run_experiment(name="ng", model="{TRIVIAL}", replicates=2, out="ng", executor="pool",
                                   workers=2, progress=False,
                                   design={{"type": "grid", "parameters": {{"x": [0.2, 0.8]}}}})
        """))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode != 0
    assert "__main__" in proc.stderr and proc.stderr.count("Traceback") <= 1, proc.stderr[-2000:]


# ----------------------------------------------------------------------------------------------------------
# 4. a kill at any moment of the --fresh swap is recoverable
KILL_IN_SWAP = """
import os, shutil, sys
from experiments.storage import folders
import experiments

k, n, active = int(sys.argv[1]), [0], [False]

def step(fn):
    def wrapped(*a, **kw):
        if active[0]:
            n[0] += 1
            if n[0] == k:
                os._exit(9)  # killed here, mid-step: nothing after it runs
        out = fn(*a, **kw)
        if active[0]:
            n[0] += 1
            if n[0] == k:
                os._exit(9)  # killed right after it
        return out
    return wrapped

os.replace, shutil.rmtree = step(os.replace), step(shutil.rmtree)
folders.atomic_write_json = step(folders.atomic_write_json)
swap = folders.Folder.swap
def watched(self):
    active[0] = True
    swap(self)
    active[0] = False
folders.Folder.swap = watched
experiments.run_experiment(name="tr", model=sys.argv[2], replicates=5, entropy=5, executor="serial", progress=False,
                           design={"type": "grid", "parameters": {"x": [0.2, 0.5, 0.8]}}, out=sys.argv[3], fresh=True)
print("swap steps", n[0])
"""


@pytest.mark.slow
def test_a_kill_at_every_moment_of_the_fresh_swap_is_recoverable(tmp_path):
    assert kill_swap_trials(tmp_path, None) >= 30  # every step of the swap, killed before and after (38 today)


def test_a_kill_in_the_fresh_swap_is_recoverable(tmp_path):
    """The quick version: a kill while the old files are set aside, and one while the new ones are installed."""
    assert kill_swap_trials(tmp_path, (3, 10)) == 2


def kill_swap_trials(tmp_path: Path, ks) -> int:
    """Kill a --fresh run at the k-th step of its swap (each os.replace, rmtree and atomic write, before and after:
    every k in ``ks``, or every k until the swap ends); check each folder recovers. The number of trials."""
    import shutil

    import experiments
    from experiments.storage import load_runs

    template = made(tmp_path, "tr")  # the old results: 3 replicates
    old_runs = load_runs(template)
    (tmp_path / "ref").mkdir()
    ex = experiments
    ex.run_experiment(name="tr", model=TRIVIAL, replicates=5, entropy=5, executor="serial", progress=False,
                      design={"type": "grid", "parameters": {"x": [0.2, 0.5, 0.8]}}, out=tmp_path / "ref" / "tr")
    new_runs = load_runs(tmp_path / "ref" / "tr")
    script = tmp_path / "kill_in_swap.py"
    script.write_text(KILL_IN_SWAP)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    trials = 0
    for k in ks or range(1, 1000):
        out = tmp_path / f"k{k}"
        shutil.copytree(template, out)
        proc = subprocess.run([sys.executable, str(script), str(k), TRIVIAL, str(out)], env=env, capture_output=True,
                              text=True, timeout=120)
        if proc.returncode == 0:
            break  # k is past the swap's last step
        assert proc.returncode == 9, proc.stderr[-2000:]
        trials += 1
        # a reader finishes the swap first, then sees the old results or the new ones, whole
        res = experiments.load(out)
        runs = res.runs.drop(columns=[c for c in res.runs.columns if c not in old_runs.columns])
        assert runs.equals(old_runs) or runs.equals(new_runs[runs.columns]), k
        show = cli(tmp_path, "show", "--out", str(out))
        assert show.returncode == 0, show.stderr
        # and re-running the command ends with the new results
        ex.run_experiment(name="tr", model=TRIVIAL, replicates=5, entropy=5, executor="serial", progress=False,
                          design={"type": "grid", "parameters": {"x": [0.2, 0.5, 0.8]}}, out=out, fresh=True)
        assert (out / "runs.parquet").read_bytes() == (tmp_path / "ref" / "tr" / "runs.parquet").read_bytes(), k
        assert not any(p.name.startswith((".fresh", ".replaced", ".swap")) for p in out.iterdir()), k
    return trials


def test_ctrl_c_prints_one_line_and_no_worker_tracebacks(tmp_path):
    """Ctrl-C reaches the whole foreground process group, workers included: one line, exit 130, runs saved."""
    import signal
    import time

    toml = sweep_toml(tmp_path, replicates=200)  # 600 runs of 0.1 s: still running when the signal comes
    toml.write_text(toml.read_text().replace("[design]", "[base]\nwork_us = 100000\n[design]"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-m", "experiments", "run", str(toml), "--out", str(tmp_path / "o"),
                             "--workers", "2", "--quiet", "--no-plots"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # a shell that starts jobs in the background (CI's may) ignores SIGINT in them, and an
                            # ignored signal stays ignored across exec: give the runner a terminal's default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not (tmp_path / "o" / JOURNAL).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert json.loads((tmp_path / "o" / MANIFEST).read_text())["status"] == "interrupted"


@pytest.mark.parametrize("damage", ["missing", "not JSON"])
def test_a_missing_or_damaged_manifest_is_named_not_an_unknown_experiment(tmp_path, damage):
    out = made(tmp_path, "kill")
    if damage == "missing":
        (out / MANIFEST).unlink()
    else:
        (out / MANIFEST).write_text("{")
    for cmd in ("show", "plot", "report"):
        proc = cli(tmp_path, cmd, "kill", "--out", str(out))
        line = one_line_error(proc)
        assert proc.returncode == 2 and "manifest.json" in line and "unknown experiment" not in line, line


# ----------------------------------------------------------------------------------------------------------
# 6. fuzzing crafted folders: nothing outside is read, moved or deleted; no traceback; intact or reported
HOSTILE_NAMES = ["../victim.txt", "../../outside/victim.txt", "/VICTIM", "parts/../../victim.txt",
                 "parts/../runs.parquet", "runs.parquet", "steps.parquet", "parts/00000000-000001.runs.parquet",
                 "parts/link.runs.parquet",
                 "timeline.parquet", "..", "", "parts/", "parts/../../../../../../etc/passwd", "runs.parquet/../x"]


@pytest.fixture(scope="module")
def crafted_template(tmp_path_factory):
    return made(tmp_path_factory.mktemp("crafted"), "tr")


def test_fuzz_crafted_folders_never_touch_anything_outside(tmp_path_factory, crafted_template):
    import hashlib
    import shutil

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    import experiments
    from experiments.definition.errors import ExperimentError
    from experiments.storage import load_runs
    from experiments.storage.journal import encode
    from experiments.storage.repair import repair

    entry = st.fixed_dictionaries({
        "file": st.sampled_from(HOSTILE_NAMES), "bytes": st.sampled_from([0, 8, 5285, -1, 2**70]),
        "rows": st.sampled_from([0, 1, 9, -3]), "pmin": st.just(0), "pmax": st.sampled_from([0, 2, 99]),
        "sha256": st.sampled_from([hashlib.sha256(b"precious").hexdigest(), "0" * 64, "x"])})
    record = st.fixed_dictionaries({"kind": st.sampled_from(["part", "base", "evil"]),
                                    "files": st.dictionaries(st.sampled_from(["runs", "steps", "../x", "Timeline"]),
                                                             entry, max_size=2)},
                                   optional={"rename": st.dictionaries(st.sampled_from(HOSTILE_NAMES),
                                                                       st.sampled_from(HOSTILE_NAMES), max_size=2),
                                             "remove": st.lists(st.sampled_from(HOSTILE_NAMES), max_size=2)})
    edits = st.lists(st.sampled_from(["duplicate", "truncate", "parts-link", "manifest-value", "manifest-junk",
                                      "journal-link"]), max_size=3)

    @settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 40)), deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(records=st.lists(record, max_size=3), edits=edits)
    def trial(records, edits):
        base = tmp_path_factory.mktemp("trial")
        outside = base / "outside"
        outside.mkdir()
        for p in (base / "victim.txt", outside / "victim.txt"):
            p.write_bytes(b"precious")
        d = base / "a" / "tr"
        shutil.copytree(crafted_template, d)
        with open(d / JOURNAL, "ab") as fh:
            for r in records:
                fh.write(encode(r))
        if "duplicate" in edits:
            (d / JOURNAL).write_bytes((d / JOURNAL).read_bytes() * 2)
        if "truncate" in edits:
            (d / JOURNAL).write_bytes((d / JOURNAL).read_bytes()[:-7])
        if "parts-link" in edits:
            shutil.rmtree(d / PARTS, ignore_errors=True)
            (d / PARTS).symlink_to(outside)
        if "journal-link" in edits:
            (d / JOURNAL).unlink()
            (d / JOURNAL).symlink_to(base / "victim.txt")
        if "manifest-value" in edits:
            m = json.loads((d / MANIFEST).read_text())
            m["experiment"]["parameters"]["x"][1] = 0.55
            (d / MANIFEST).write_text(json.dumps(m))
        if "manifest-junk" in edits:
            (d / MANIFEST).write_text('{"name": 5}')
        for action in (lambda: load_runs(d), lambda: experiments.load(d).runs, lambda: repair(d),
                       lambda: load_runs(d)):
            try:
                action()
            except ExperimentError as exc:
                assert "\n" not in str(exc)
        for p in (base / "victim.txt", outside / "victim.txt"):
            assert p.read_bytes() == b"precious"
        assert sorted(p.name for p in outside.iterdir()) == ["victim.txt"]
        assert not any(p.name == "victim.txt" for p in (base / "a").rglob("*") if not p.is_symlink())

    trial()


def test_a_busy_folder_names_the_live_holder_not_the_last_writer(tmp_path):
    import fcntl

    out = made(tmp_path)
    (out / ".lock").write_text("999999\n")  # what a dead earlier writer left
    fd = os.open(out / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        proc = cli(tmp_path, "run", str(toml_of(tmp_path)), "--out", str(out), "--quiet")
    finally:
        os.close(fd)
    line = one_line_error(proc)
    assert proc.returncode == 2 and f"pid {os.getpid()}" in line and "999999" not in line, line
