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

from experiments.storage.layout import MANIFEST
from tests.experiments.support import ROOT, TRIVIAL

FAULTS = {
    "os_exit": "os._exit(3)",
    "sys_exit": "sys.exit(3)",
    "sigkill": "os.kill(os.getpid(), signal.SIGKILL)",
    "segfault": "ctypes.string_at(0)",
    "keyboard_interrupt": "raise KeyboardInterrupt",
}


def hostile_model(tmp_path: Path, fault: str) -> str:
    """A model module (the trivial model's contract) that faults in the runs with x = 0.5 while HOSTILE_FAULT is
    set."""
    (tmp_path / "hostile_model.py").write_text(textwrap.dedent(f"""\
        import ctypes, os, signal, sys
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
@pytest.mark.parametrize("fault", sorted(FAULTS))
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
