"""Provenance recorded in every manifest: package versions, the git commit (and whether the tree had
local changes), a fingerprint of the model's source, UTC timestamps.

The git state is read once, before the runner writes anything (a run that rewrites tracked result
files must not then report its own output as a local change).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# Result files are outputs, not code: a change under these does not make the code that ran "dirty".
_NOT_CODE = (":(exclude)results", ":(exclude)runs")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("piggyback-abm", "mesa", "numpy", "pandas", "pyarrow", "SALib", "matplotlib", "tqdm", "dask",
                "distributed"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def git_commit() -> dict[str, Any]:
    """HEAD of the repository the runner lives in, and whether tracked code had local changes.

    ``dirty`` ignores ``results/`` and ``runs/`` (outputs, not code); ``changed`` lists up to 20
    changed paths so that a reader can see what made a run dirty.
    """
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *_NOT_CODE],
                                cwd=REPO, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if head.returncode != 0 or status.returncode != 0:
        return {"commit": None, "dirty": None}
    changed = [line[3:] for line in status.stdout.splitlines() if line.strip()]
    return {"commit": head.stdout.strip(), "dirty": bool(changed), "changed": changed[:20]}


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def model_fingerprint(model: str) -> str:
    """Hash of the source of every loaded module of the model's package (e.g. ``sim.*``).

    Recorded in the manifest: runs made by different model code must not be mixed in one folder.
    Only modules the model run actually imported count (a dashboard edit does not invalidate a sweep).
    """
    module = model.partition(":")[0]
    importlib.import_module(module)
    package = module.split(".")[0]
    prefix = module if package == "experiments" else package  # a model shipped inside experiments/: itself only
    h = hashlib.sha256()
    for name in sorted(m for m in sys.modules if m == prefix or m.startswith(prefix + ".")):
        path = getattr(sys.modules[name], "__file__", None)
        if path and path.endswith(".py") and os.path.exists(path):
            h.update(name.encode())
            h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]
