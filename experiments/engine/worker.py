"""The worker side of the runner: a chunk of runs in, rows out, as plain data (so any executor can carry it:
this process, a local pool, a Dask cluster). A run that raises comes back as a failure row; nothing here
writes a file."""

from __future__ import annotations

import os
import time
import traceback
from typing import Any

from experiments.definition import models, seeds
from experiments.storage.layout import run_id


def run_chunk(task: dict[str, Any]) -> dict[str, Any]:
    """Run a chunk of runs; never raises (a run's failure comes back as a row with its traceback tail).

    ``task``: ``model`` (spec), ``entropy``, ``base`` (overrides), ``groups``: a list of
    ``(point, overrides, [(replicate, tables), ...])``; ``tables`` names the extra tables wanted.
    """
    t_start = time.perf_counter()
    out: dict[str, Any] = {"runs": [], "failures": [], "tables": {}, "seconds": 0.0, "pid": os.getpid()}
    load_error = ""
    try:
        info = models.info(task["model"])
    except Exception as exc:
        info, load_error = None, f"{type(exc).__name__}: {exc}"
    for j, point, reps in task["groups"]:
        params = {**task["base"], **point}
        full = None
        if info is not None:
            try:
                full = info.validate(params)
            except Exception as exc:
                load_error = f"bad parameters: {exc}"
        for r, wanted in reps:
            seed = seeds.run_seed(task["entropy"], j, r)
            if full is None:
                out["failures"].append(_failure(j, r, seed, load_error))
                continue
            t0 = time.perf_counter()
            try:
                summary, extra = _one(info, params, seed, tuple(wanted))
            except Exception as exc:  # the run's fault, not the runner's: record it and go on
                tail = traceback.format_exc().strip().splitlines()[-3:]
                out["failures"].append(_failure(j, r, seed, f"{type(exc).__name__}: {exc} | "
                                                + " / ".join(s.strip() for s in tail)))
                continue
            finally:
                out["seconds"] += time.perf_counter() - t0
            row = _row(j, r, seed, full, summary)
            if "parameter_columns" not in out:
                out["parameter_columns"] = list(row)[4: 4 + len(full)]
            out["runs"].append(row)
            for name, rows in extra.items():
                out["tables"].setdefault(name, []).extend({"point": j, "replicate": r, **row} for row in rows)
    out["wall"] = time.perf_counter() - t_start
    return out


def _failure(j: int, r: int, seed: int, error: str) -> dict[str, Any]:
    return {"run_id": run_id(j, r), "point": j, "replicate": r, "seed": seed, "error": error}


def _row(j: int, r: int, seed: int, full: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": run_id(j, r), "point": j, "replicate": r, "seed": seed}
    for name, value in full.items():  # every parameter, so that a run can be reproduced from its row
        row[f"param_{name}" if name in summary or name in row else name] = value
    for key, value in summary.items():
        if key != "seed":  # the seed is ours, recorded above
            row[key] = value
    return row


def _one(info: models.ModelInfo, params: dict, seed: int, wanted: tuple[str, ...]):
    """One run: (summary, {table: rows})."""
    if wanted and info.accepts_tables:
        summary = dict(info.run(params, seed, tables=wanted))
        extra = summary.pop("tables", None) or {}
        return summary, {k: list(v) for k, v in extra.items() if k in wanted}
    summary = dict(info.run(params, seed))
    summary.pop("tables", None)
    return summary, {}
