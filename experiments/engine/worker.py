"""The worker side of the runner: a chunk of runs in, rows out, as plain data (so any executor can carry it:
this process, a local pool, a Dask cluster). A run that raises comes back as a failure row; nothing here
writes a file.

The model is another team's code, so a run's faults stay the run's: an exception, ``sys.exit``, ``os._exit``
(caught while the model runs), a ``KeyboardInterrupt`` raised by the model in a pool worker (where Ctrl-C is
the driver's alone) and a summary that breaks the contract (not a dict, a declared outcome missing) are failure
rows with their cause. A summary key named like a row's ids (``run_id``, ``point``, ``replicate``) is kept as
``summary_<key>``; a value that is not a number, a string, a bool or None (a dict, a list) is kept as its JSON
text. What cannot be caught (a crash in compiled code, a kill) ends the process: the pool records the run it
was in (:mod:`experiments.engine.pool`)."""

from __future__ import annotations

import contextlib
import json
import os
import time
import traceback
from collections.abc import Mapping
from typing import Any

from experiments.definition import models, seeds
from experiments.storage.layout import ID_COLUMNS, run_id

IN_POOL = False  # set in pool workers: a KeyboardInterrupt there is the model's (the driver handles Ctrl-C)
ON_RUN = None  # pool workers: on_run(position, running) before and after each run (the pool's watch on a run)


class ModelExit(SystemExit):
    """``os._exit`` called by the model while it runs (replaced for the duration of a run)."""


@contextlib.contextmanager
def _no_process_exit():
    real = os._exit

    def refuse(code=0):
        raise ModelExit(code)

    os._exit = refuse
    try:
        yield
    finally:
        os._exit = real


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
    position = -1
    for j, point, reps in task["groups"]:
        params = {**task["base"], **point}
        full = None
        if info is not None:
            try:
                full = info.validate(params)
            except Exception as exc:
                load_error = f"bad parameters: {exc}"
        for r, wanted in reps:
            position += 1
            seed = seeds.run_seed(task["entropy"], j, r)
            if full is None:
                out["failures"].append(_failure(j, r, seed, load_error))
                continue
            t0 = time.perf_counter()
            if ON_RUN is not None:
                ON_RUN(position, True)
            try:
                with _no_process_exit():
                    summary, extra = _one(info, params, seed, tuple(wanted))
            except Exception as exc:  # the run's fault, not the runner's: record it and go on
                tail = traceback.format_exc().strip().splitlines()[-3:]
                out["failures"].append(_failure(j, r, seed, f"{type(exc).__name__}: {exc} | "
                                                + " / ".join(s.strip() for s in tail)))
                continue
            except SystemExit as exc:
                how = "os._exit" if isinstance(exc, ModelExit) else "sys.exit"
                out["failures"].append(_failure(j, r, seed, f"the model called {how}({exc.code!r})"))
                continue
            except KeyboardInterrupt:
                if not IN_POOL:
                    raise  # Ctrl-C in this process: the runner stops, saving what finished
                out["failures"].append(_failure(j, r, seed, "the model raised KeyboardInterrupt"))
                continue
            finally:
                out["seconds"] += time.perf_counter() - t0
                if ON_RUN is not None:
                    ON_RUN(position, False)
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
        if key == "seed":
            continue  # the seed is ours, recorded above
        name = f"summary_{key}" if key in ID_COLUMNS or key in row else str(key)
        row[name] = _scalar(value)
    return row


def _scalar(value: Any) -> Any:
    """A value a table column can hold and analysis can group: a number, a string, a bool or None as it is;
    anything else (a dict, a list, an array) as its JSON text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        value = value.tolist()
    return json.dumps(value, sort_keys=True, default=str)


def _one(info: models.ModelInfo, params: dict, seed: int, wanted: tuple[str, ...]):
    """One run: (summary, {table: rows}); a summary that breaks the contract raises ``ValueError``."""
    if wanted and info.accepts_tables:
        summary = _summary(info, info.run(params, seed, tables=wanted))
        extra = summary.pop("tables", None) or {}
        return summary, {k: list(v) for k, v in extra.items() if k in wanted}
    summary = _summary(info, info.run(params, seed))
    summary.pop("tables", None)
    return summary, {}


def _summary(info: models.ModelInfo, got: Any) -> dict[str, Any]:
    if not isinstance(got, Mapping):
        raise ValueError(f"the model's run() returned {type(got).__name__}, not a dict of summary values")
    summary = dict(got)
    missing = [k for o in info.outcomes for k in (o.key, getattr(o, "step_key", None)) if k and k not in summary]
    if missing:
        raise ValueError(f"the model's run() returned no {missing[0]!r}, which it declares (OUTCOMES)")
    return summary
