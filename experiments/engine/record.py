"""What a results folder's manifest records of an experiment and of each session, and what a shipped folder keeps
of its raw runs (a ``runs.parquet`` under :data:`SHIPPED_RAW_BYTES`, vouched for by the manifest and tracked by
git through the folder's own ``.gitignore``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np

from experiments.definition import seeds
from experiments.engine.schedule import NOT_DONE
from experiments.storage import provenance
from experiments.storage.atomic import atomic_write_text
from experiments.storage.folders import SHIPPED_IGNORE
from experiments.storage.layout import RUNS, TABLES
from experiments.storage.store import RunStore

MANIFEST_POINTS = 10_000  # designs up to this size list their points in the manifest
SHIPPED_RAW_BYTES = 1_000_000  # a shipped experiment's runs.parquet under this size is shipped with it
IGNORE_TEXT = ("# written by `python -m experiments run --shipped`: this experiment's raw runs (runs.parquet, under "
               "1 MB) are shipped,\n# vouched for by manifest.json (\"raw\"); its other raw files stay out of git "
               "(the repository's .gitignore)\n!runs.parquet\n")


def base(p, exp, design, old: dict | None, started: str) -> dict[str, Any]:
    n = len(design.points)
    d: dict[str, Any] = {"type": exp.design, "names": design.names, "n_points": n}
    if n <= MANIFEST_POINTS:
        d["points"] = list(design.points)
        if design.labels:
            d["labels"] = design.labels
    return {
        "name": exp.name,
        "description": exp.description,
        "experiment_file": exp.source,
        "experiment": exp.to_dict(),
        "design_key": exp.design_key(),
        "model": exp.model,
        "model_fingerprint": provenance.model_fingerprint(exp.model),
        "engine": exp.model_info.engine(),  # e.g. {"engine": "compiled", "numba": ...}; None: not declared
        "root_entropy": exp.entropy,
        "seeding": seeds.RULE,
        "parameters": exp.full_parameters(),
        "design": d,
        "store": {"format": "parquet", "tables": [*TABLES, *exp.tables], "layout": "docs/RELIABILITY.md"},
        "versions": provenance.versions(),
        "git": p.git,
        "started": old.get("started", started) if old and isinstance(old.get("started"), str) else started,
    }


def unresolved_failures(st: RunStore, outcome: np.ndarray) -> tuple[int, str | None]:
    """How many failed runs have not since succeeded, and the cause of the first of them."""
    from experiments.storage import parts

    n, first = 0, None
    for src in st.sources("failures"):
        t = parts.read(src.path, columns=["point", "replicate", "error"])
        open_ = outcome[t.column("point").to_numpy(), t.column("replicate").to_numpy()] == NOT_DONE
        n += int(open_.sum())
        if first is None and open_.any():
            first = str(t.column("error")[int(np.flatnonzero(open_)[0])])
    return n, first


def ship_raw(target: Path, st: RunStore) -> dict | None:
    """In a shipped folder after compaction: the manifest's ``raw`` record (the entry of ``runs.parquet``) and
    a ``.gitignore`` that lets git track it, when it is under :data:`SHIPPED_RAW_BYTES`; else neither."""
    entry = next((f for _, f in ((t, f) for r in st.records for t, f in r.get("files", {}).items() if t == "runs")
                  if f.get("file") == RUNS), None)
    if entry is not None and entry["bytes"] < SHIPPED_RAW_BYTES:
        atomic_write_text(target / SHIPPED_IGNORE, IGNORE_TEXT)
        return {"runs": dict(entry)}
    with contextlib.suppress(FileNotFoundError):
        (target / SHIPPED_IGNORE).unlink()
    return None
