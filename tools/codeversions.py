"""Run code of another commit beside this one: a temporary ``git worktree`` and a fresh interpreter.

Used by ``tools/record_identity.py`` (what a commit's model gives) and by the benchmarks that time a
commit against this tree (``benchmarks/speedup.py``, ``contract_step.py``, ``profile_default.py``).
The worker script prints JSON with a ``file`` entry (where it imported ``sim`` from), so an editable
install shadowing ``PYTHONPATH`` is caught.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Commits compared against, by hash: a fresh clone has no tags for them. The names are the ones the docs
# and result files use.
V2_PRE_SPEED = "2d5a21e97de67ca24188a02b7d3af5151045e7aa"  # "v2-pre-speed": version 2 before the fast step
VERSION_1 = "478f9525059c9b6fa191368d300c15cb7fe92e02"  # "version 1": the last commit of model version 1
NAMES = {V2_PRE_SPEED: "v2-pre-speed", VERSION_1: "version 1"}


def label(ref: str) -> str:
    """The name the docs use for ``ref`` (``v2-pre-speed``), else ``ref`` itself."""
    return NAMES.get(ref, ref)


class Worktree:
    """``git worktree`` of ``ref`` in a temporary folder, removed on exit."""

    def __init__(self, ref: str) -> None:
        self.ref = ref

    def __enter__(self) -> Path:
        self.tmp = Path(tempfile.mkdtemp(prefix="pb_ref_"))
        self.path = self.tmp / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", str(self.path), self.ref], cwd=ROOT, check=True,
                       capture_output=True)
        return self.path

    def __exit__(self, *exc) -> None:
        subprocess.run(["git", "worktree", "remove", "--force", str(self.path)], cwd=ROOT, capture_output=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_worker(code_root: Path, worker: str, payload: str, python: str = sys.executable,
               extra_path: Iterable[Path] = ()) -> dict:
    """Run the script ``worker`` on ``payload`` (its standard input) with the code under ``code_root``
    first on ``PYTHONPATH``; return the JSON it prints."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code_root), *map(str, extra_path)])}
    proc = subprocess.run([python, "-c", worker], input=payload, capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    if proc.returncode:
        raise RuntimeError(f"the code under {code_root} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    if not out["file"].startswith(str(code_root)):  # e.g. an editable install shadowing PYTHONPATH
        raise RuntimeError(f"imported {out['file']}, not the code under {code_root}")
    return out
