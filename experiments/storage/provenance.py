"""Provenance recorded in every manifest: package versions, the git commit (and whether the tree had
local changes), a fingerprint of the model's source, UTC timestamps.

The git state is read once, before the runner writes anything (a run that rewrites tracked result
files must not then report its own output as a local change).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
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
    """Hash of the source of the model's module and of every module of its package that it imports.

    Recorded in the manifest: runs made by different model code must not be mixed in one folder.
    The modules are found by reading the source (:func:`model_modules`), not from what this process
    happens to have imported, so the fingerprint does not depend on what ran before it (a figure's
    palette, the dashboard); an edit to a module the model does not import (the dashboard) does not
    invalidate a sweep.
    """
    h = hashlib.sha256()
    for name, path in model_modules(model.partition(":")[0]):
        h.update(name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def model_modules(module: str) -> list[tuple[str, Path]]:
    """``(name, source file)`` of ``module``, of the packages above it and, transitively, of every
    module of the same package they import (``import``/``from`` statements anywhere in the source,
    relative ones included), sorted by name. A model shipped inside ``experiments/`` counts alone."""
    package = module.split(".")[0]
    prefix = module if package == "experiments" else package

    def ours(name: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    def source(name: str) -> Path | None:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, AttributeError, ValueError):  # a name imported from a module, not a module
            return None
        origin = spec.origin if spec else None
        return Path(origin) if origin and origin.endswith(".py") and os.path.exists(origin) else None

    found: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in found or not ours(name) or (path := source(name)) is None:
            continue
        found[name] = path
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # its packages run when it is imported
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against this module's package
                    base = ".".join(parts[: len(parts) - node.level + is_package] + ([base] if base else []))
                todo.append(base)
                todo += [f"{base}.{a.name}" for a in node.names if a.name != "*"]  # names that are modules
    return sorted(found.items())
