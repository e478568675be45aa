"""A sweep sent with ``--scheduler`` to a real Dask cluster (``dask scheduler`` and two ``dask worker``
processes on localhost) gives the same runs as the local process pool."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments import storage

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[2]
TOML = """\
name = "dask_cluster"
replicates = 4
max_steps = 60
entropy = 5
[base]
n_smes = 20
burn_in = 10
settle_window = 10
[design]
type = "grid"
[design.parameters]
voice_cost = [0.1, 1.0]
initial_quadrant = ["mixed", "Q4"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask_cli(sub: str) -> list[str]:
    """The venv's ``dask`` command (next to this interpreter), else the module behind it."""
    exe = Path(sys.executable).with_name("dask")
    if exe.exists():
        return [str(exe), sub]
    return [sys.executable, "-m", f"distributed.cli.dask_{sub}"]


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers; always stopped, whatever the test does."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # workers import sim and experiments (installed or not)
    logs = tmp_path / "dask_logs"
    logs.mkdir()
    procs: list[subprocess.Popen] = []

    def start(args: list[str], log: str) -> None:
        with open(logs / log, "w") as fh:
            procs.append(subprocess.Popen(args, cwd=tmp_path, env=env, stdout=fh, stderr=subprocess.STDOUT))

    try:
        start([*_dask_cli("scheduler"), "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], "scheduler.log")
        for i in range(2):
            start([*_dask_cli("worker"), address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard", "--no-nanny",
                   "--local-directory", str(tmp_path / f"w{i}")], f"worker{i}.log")
        deadline = time.monotonic() + 30
        client = None
        while client is None:  # the scheduler needs a moment to listen
            try:
                client = distributed.Client(address, timeout="2s")
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        try:
            client.wait_for_workers(2, timeout=40)
        finally:
            client.close()
        yield address
    finally:
        # workers first (with the scheduler gone they would wait to reconnect), then the scheduler
        for group in (procs[1:], procs[:1]):
            for p in group:
                p.terminate()
            for p in group:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def _run(toml: Path, out: Path, *extra: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    res = subprocess.run([sys.executable, "-m", "experiments", "run", str(toml), "--out", str(out), "--quiet",
                          "--no-plots", *extra], cwd=toml.parent, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr


def _rows(directory: Path) -> list[dict]:
    rows = storage.load_runs(directory).to_dict("records")
    # model outputs only: a timing column (if any) differs from run to run
    # missing values (a run that never settled, no shock) read back as NaN, which equals nothing: use None
    # a parameter holding several values (the months of `horizons`) reads back as an array: compare as a list
    return [{k: (None if isinstance(v, float) and v != v else v.tolist() if hasattr(v, "tolist") else v)
             for k, v in r.items() if "second" not in k and "time" not in k} for r in rows]


def test_sweep_on_a_dask_cluster_matches_the_local_pool(tmp_path, cluster):
    toml = tmp_path / "dask_cluster.toml"
    toml.write_text(TOML)
    _run(toml, tmp_path / "dask", "--scheduler", cluster)
    _run(toml, tmp_path / "pool", "--executor", "pool", "--workers", "2")
    dask_rows, pool_rows = _rows(tmp_path / "dask"), _rows(tmp_path / "pool")
    assert {(int(r["point"]), int(r["replicate"])) for r in dask_rows} == {(j, k) for j in range(4) for k in range(4)}
    assert dask_rows == pool_rows
    # and the compacted files are the same bytes
    assert (tmp_path / "dask" / storage.RUNS).read_bytes() == (tmp_path / "pool" / storage.RUNS).read_bytes()
