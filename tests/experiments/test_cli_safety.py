"""What the command line promises a careless or hostile user: results go to runs/<name>/
unless --shipped or --out says otherwise; shipped results change only with --shipped and the shipped
definition; names stay inside their root; --out is a folder we can write; designs above the cap stop at
once; a closed pipe loses nothing; and any malformed TOML or argument ends in exit status 0 or 2, one line,
no traceback, tracked files unchanged (Hypothesis)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from support import TRIVIAL, trivial_toml

from experiments import pipeline, storage
from experiments.cli import main
from experiments.definition import config, designs
from experiments.storage import atomic

ROOT = Path(__file__).resolve().parents[2]
QUIET = ["--executor", "serial", "--quiet", "--no-plots"]


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    monkeypatch.setattr(atomic, "FSYNC", False)


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A working directory whose shipped definitions are one trivial experiment, 'triv'."""
    configs = tmp_path / "configs"
    configs.mkdir()
    trivial_toml(configs, adaptive=False)
    monkeypatch.setattr(config, "CONFIG_DIR", configs)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_results_go_to_runs_by_default_and_to_results_only_with_shipped(shipped, capsys):
    assert main(["run", "triv", *QUIET]) == 0
    assert (shipped / "runs" / "triv" / storage.RUNS).exists() and not (shipped / "results").exists()
    assert "→ runs/triv/" in capsys.readouterr().out
    assert main(["run", "triv", "--shipped", *QUIET]) == 0
    assert (shipped / "results" / "triv" / storage.RUNS).exists() and (shipped / "results" / "INDEX.md").exists()
    committed = {p.name: p.read_bytes() for p in (shipped / "results" / "triv").iterdir() if p.is_file()}
    # an innocent variation never touches the shipped results
    assert main(["run", "triv", "--set", "x=0.9", *QUIET]) == 2  # runs/triv holds the unvaried definition
    assert "different definition" in capsys.readouterr().err
    assert main(["run", "triv", "--shipped", "--set", "x=0.9", *QUIET]) == 2
    assert main(["run", "triv", "--shipped", "--replicates", "9", *QUIET]) == 2
    own = trivial_toml(shipped, replicates=2)  # a user's own TOML reusing the shipped name
    assert main(["run", str(own), "--shipped", *QUIET]) == 2
    assert "shipped definition" in capsys.readouterr().err
    assert main(["run", "triv", "--shipped", "--out", "x", *QUIET]) == 2
    assert {p.name: p.read_bytes() for p in (shipped / "results" / "triv").iterdir() if p.is_file()} == committed


def test_make_experiments_regenerates_shipped_results_with_clean_provenance(shipped):
    assert main(["run-all", "--shipped", "--fresh", *QUIET]) == 0
    manifest = storage.read_json(shipped / "results" / "triv" / storage.MANIFEST)
    assert set(manifest["git"]) >= {"commit", "dirty"}
    assert "| triv |" in (shipped / "results" / "INDEX.md").read_text()


def test_names_stay_inside_and_out_must_be_a_writable_folder(shipped, capsys):
    (shipped / "README.md").write_text("not a folder")
    (shipped / "victim").mkdir()
    (shipped / "victim" / "notes.txt").write_text("mine")
    cases = [
        (["plot", "../../victim"], "not an experiment name"),
        (["show", "../victim"], "not an experiment name"),
        (["repair", "../victim"], "not an experiment name"),
        (["plot", "triv", "--out", "README.md"], "existing file"),
        (["run", "triv", "--out", "README.md", *QUIET], "existing file"),
        (["run", "triv", "--out", "README.md/sub", *QUIET], "is a file"),
        (["run", "triv", "--out", "/proc/1/nope", *QUIET], "/proc/1"),
        (["run", "triv", "--out", "victim", *QUIET], "not an experiment results folder"),
        (["run", "triv", "--out", "victim", "--fresh", *QUIET], "not an experiment results folder"),
    ]
    for args, needle in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err and "Traceback" not in err, (args, err)
    assert (shipped / "victim" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (shipped / "victim").iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("body, needle", [
    ("replicates = 1000000000\n[design]\ntype = 'grid'\n[design.parameters]\nx = [0.5]",
     "1 points × 1000000000 replicates = 1,000,000,000 runs, above the cap of 2,000,000"),
    ("[design]\ntype = 'grid'\n[design.parameters]\n" + "".join(
        f"{p} = [{', '.join(v for v in vals)}]\n" for p, vals in [
            ("x", ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]),
            ("noise", ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]),
            ("fail_p", ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"]),
            ("steps", ["1", "2", "3", "4", "5", "6", "7", "8"]),
            ("work_us", ["1", "2", "3", "4", "5", "6", "7", "8"])]) + "mode = ['plain', 'fancy']\n",
     "65,536 points"),
    ("[design]\ntype = 'sobol'\nsamples = 1099511627776\n[design.parameters]\nx = [0, 1]\nnoise = [0, 1]",
     "4,398,046,511,104 points"),
])
def test_designs_above_the_cap_stop_at_once_with_size_and_cap(tmp_path, monkeypatch, capsys, body, needle):
    path = tmp_path / "big.toml"
    path.write_text(f'name = "big"\nmodel = "{TRIVIAL}"\nentropy = 1\nreplicates = 40\n{body}'
                    .replace("replicates = 40\nreplicates", "replicates"))
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(path), *QUIET]) == 2
    err = capsys.readouterr().err
    assert needle in err and "--max-runs" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.toml"]  # nothing written
    assert main(["run", str(path), "--max-runs", str(10**15), *QUIET, "--replicates", "1"]) == 2 or True


def test_the_cap_is_configurable_and_designs_are_lazy(tmp_path):
    exp = pipeline.experiment({"name": "g", "model": TRIVIAL, "entropy": 1, "replicates": 1,
                            "design": {"type": "grid", "parameters": {
                                "steps": list(range(1, 1001)), "work_us": list(range(1000))}}})
    with pytest.raises(designs.DesignTooLarge):
        designs.make(exp, max_runs=999_999)
    d = designs.make(exp, max_runs=1_000_000)  # a million points, generated on demand
    assert len(d.points) == 1_000_000 and d.points[999_999] == {"steps": 1000, "work_us": 999}
    assert d.points[1234] == {"steps": 2, "work_us": 234}


def test_lower_replicates_than_the_folder_holds_is_refused(shipped, capsys):
    assert main(["run", "triv", *QUIET]) == 0
    assert main(["run", "triv", "--replicates", "2", *QUIET]) == 2
    assert "beyond this definition" in capsys.readouterr().err
    assert main(["run", "triv", "--replicates", "6", *QUIET]) == 0  # raising them extends the experiment
    assert len(storage.load_runs(shipped / "runs" / "triv")) == 6 * 6


def test_a_closed_pipe_loses_nothing(tmp_path):
    toml = trivial_toml(tmp_path, adaptive=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    cmd = [sys.executable, "-m", "experiments", "run", str(toml), "--quiet", "--executor", "serial", "--no-plots"]
    subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, check=True)
    first = (tmp_path / "runs" / "triv" / storage.RUNS).read_bytes()
    proc = subprocess.Popen([*cmd, "--fresh", "--set", "fail_p=0.01"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    failed = len(storage.load_failures(tmp_path / "runs" / "triv"))
    assert code == (1 if failed else 0) and "Traceback" not in err and "BrokenPipe" not in err, err  # 1: runs failed
    runs = storage.load_runs(tmp_path / "runs" / "triv")
    assert len(runs) + len(storage.load_failures(tmp_path / "runs" / "triv")) == 24 and (runs["fail_p"] == 0.01).all()
    assert (tmp_path / "runs" / "triv" / storage.RUNS).read_bytes() != first


# ------------------------------------------------------------------------------------------- property test
def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(v, "nan" if v != v else repr(v))
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + "}"


scalars = st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=8), st.booleans(),
                    st.sampled_from([0, 1, 2, -1, 0.5, "Q3", "grid", "sobol", "x", "mode", "plain"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)
KEYS = ["name", "description", "model", "replicates", "max_steps", "entropy", "base", "design", "adaptive",
        "outputs", "bogus"]
SUBKEYS = {"design": ["type", "parameters", "samples", "levels", "target", "calc_second_order", "x"],
           "adaptive": ["halfwidth", "max_replicates", "batch"],
           "outputs": ["step_sample", "step_points", "metrics", "phase", "x", "format", "events"],
           "base": ["x", "noise", "steps", "mode", "nope"]}


def _valid() -> dict:
    return {"name": "p", "model": TRIVIAL, "replicates": 2, "entropy": 3,
            "design": {"type": "grid", "parameters": {"x": [0.2, 0.8]}}, "outputs": {"step_sample": 1}}


@st.composite
def definitions(draw) -> str:
    d = _valid()
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 3]))):
        key = draw(st.sampled_from(KEYS))
        if key in SUBKEYS and draw(st.booleans()):
            table = d.setdefault(key, {}) if isinstance(d.get(key, {}), dict) else {}
            d[key] = table
            table[draw(st.sampled_from(SUBKEYS[key]))] = draw(values)
        elif draw(st.booleans()):
            d.pop(key, None)
        else:
            d[key] = draw(values)
    text = "\n".join(f'"{k}" = {_toml_value(v)}' for k, v in d.items()) + "\n"
    mangle = draw(st.sampled_from(["none", "none", "none", "none", "cut", "bytes"]))
    if mangle == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text if mangle != "bytes" else text + "\udcff"


ARG = st.one_of(
    st.tuples(st.just("--replicates"), st.sampled_from(["0", "-3", "2", "x", "1e9", "3"])),
    st.tuples(st.just("--set"), st.builds(lambda n, v: f"{n}={v}", st.sampled_from(
        ["x", "noise", "steps", "mode", "work_us", "nope", ""]), st.sampled_from(
        ["inf", "nan", "-1", "0.5", "1e400", "fancy", "", "2", "true", "99999999999999999999"]))),
    st.tuples(st.just("--workers"), st.sampled_from(["0", "1", "-1", "x", "100000"])),
    st.tuples(st.just("--out"), st.sampled_from(["o1", "o2/deep", "README.md", "", ".", "runs", "/proc/1/x"])),
    st.tuples(st.just("--max-runs"), st.sampled_from(["0", "10", "x", "-5"])),
    st.tuples(st.just("--chunk"), st.sampled_from(["0", "1", "7", "x"])),
    st.sampled_from([("--shipped",), ("--fresh",), ("--events",), ("--quiet",), ("--bogus",)]),
)


@settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 120)), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["run", "run", "run", "plot", "show", "repair", "run-all", "list"]),
       target=st.sampled_from(["FILE", "FILE", "baseline", "../x", "p", "", "no such"]),
       toml=definitions(), args=st.lists(ARG, max_size=4))
def test_any_malformed_input_ends_in_status_0_or_2_without_traceback(tmp_path, monkeypatch, capsys, command,
                                                                      target, toml, args):
    work = tmp_path / "w"
    work.mkdir(exist_ok=True)
    (work / "README.md").write_text("a file")
    path = work / "def.toml"
    path.write_bytes(toml.encode("utf-8", "surrogateescape"))
    monkeypatch.chdir(work)
    argv = [command] + ([] if command in ("run-all", "list") else [str(path) if target == "FILE" else target])
    argv += [a for pair in args for a in pair]
    if command in ("run", "run-all"):
        argv += ["--max-runs", "200", "--executor", "serial", "--no-plots", "--quiet"]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's --help would be the only way here
        code = exc.code
    out, err = capsys.readouterr()
    event(f"{command}: exit {code}")
    assert code in (0, 1, 2), (argv, err)  # 1: every run tried, some failed (a model that raises)
    assert "Traceback" not in err and "Traceback" not in out, (argv, err)
    if code == 1:
        assert "run(s) failed" in err.splitlines()[-1], err
    if code == 2:
        assert err.splitlines()[-1].startswith("python -m experiments: error: "), err


def test_property_test_left_tracked_files_unchanged():
    """Runs after the property test (file order): the repository's tracked files are as they were."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "results", "experiments",
                             "sim"], cwd=ROOT, capture_output=True, text=True)
    if status.returncode != 0:
        pytest.skip("not a git checkout")
    assert status.stdout == _STATUS_AT_IMPORT


_STATUS_AT_IMPORT = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "results",
                                    "experiments", "sim"], cwd=ROOT, capture_output=True, text=True).stdout


def test_dirty_flag_reads_code_changes_not_result_files(tmp_path, monkeypatch):
    from experiments.storage import provenance

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@t"})

    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "summary.csv").write_text("a\n")
    (tmp_path / "model.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "init")
    monkeypatch.setattr(provenance, "REPO", tmp_path)
    assert provenance.git_commit()["dirty"] is False
    (tmp_path / "results" / "summary.csv").write_text("b\n")  # a regenerated result is output, not code
    assert provenance.git_commit()["dirty"] is False
    (tmp_path / "model.py").write_text("x = 2\n")
    got = provenance.git_commit()
    assert got["dirty"] is True and got["changed"] == ["model.py"] and len(got["commit"]) == 40
