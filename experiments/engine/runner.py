"""Run an experiment: every (design point, replicate) once, in chunks, streamed to disk, resumable.

The runner knows the model only as ``run(params, seed) -> dict`` (named by the experiment's
``model``, default ``sim.model:run``) and the outcome it declares (the headline, whose category each
run reaches: its code is what resume and adaptive replicates read). The pieces: :mod:`.preflight` (what
to run, and where), :mod:`.executors` and :mod:`.worker` (where chunks run), :mod:`.schedule` (which
runs next), :mod:`experiments.storage` (how results are committed and read, where, one writer at a
time, what the manifest records). This module is the loop.

Determinism: a run's seed is a function of (root entropy, point, replicate) only
(:func:`experiments.definition.seeds.run_seed`); adaptive replicates are decided for a point only once
all its scheduled replicates are in, from their outcomes alone; compaction sorts every table by
(point, replicate). So a finished experiment's files are the same bytes for any executor, number
of workers and chunk size, and after any number of interruptions and resumes.

Memory: the driver holds one byte per run (its outcome code, for resume and adaptive replicates),
the chunks in flight and the rows not yet committed (at most ``commit_seconds`` of them); the design
is generated lazily; tables are compacted block by block.
"""

from __future__ import annotations

import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments.definition import designs, seeds
from experiments.definition.experiment import Experiment
from experiments.engine.executors import make_executor
from experiments.engine.preflight import MAX_RUNS, Plan, decide, plan
from experiments.engine.schedule import NOT_DONE, Schedule, outcome_codes
from experiments.engine.worker import run_chunk
from experiments.storage import folders, provenance
from experiments.storage.atomic import atomic_write_json
from experiments.storage.errors import RunnerError
from experiments.storage.layout import MANIFEST, TABLES, run_id
from experiments.storage.store import RunStore

TARGET_SECONDS = 1.0  # work per chunk the driver aims for
MAX_CHUNK = 1000
COMMIT_SECONDS = 2.0  # finished rows are committed at least this often (what a SIGKILL can cost)
COMMIT_ROWS = 4_096  # and at least this often: bounds the rows held in memory
MANIFEST_POINTS = 10_000  # designs up to this size list their points in the manifest


@dataclass
class Outcome:
    """What happened in one invocation of :func:`run_experiment`."""

    directory: Path
    planned: int = 0  # runs this invocation set out to do (grows with adaptive replicates)
    ran: int = 0  # runs finished in this invocation
    skipped: int = 0  # runs already done
    failed: int = 0
    seconds: float = 0.0
    run_seconds: float = 0.0  # summed model time (overhead = wall × workers − this)
    status: str = "complete"
    chunks: int = 0
    _scheduled: np.ndarray | None = field(default=None, repr=False)

    @property
    def replicates(self) -> dict[int, int]:
        """Point -> replicates scheduled (built on demand: one entry per point)."""
        return {} if self._scheduled is None else {j: int(n) for j, n in enumerate(self._scheduled)}


def _on_sigterm(signum, frame):  # a cluster's scheduler stops jobs with SIGTERM: stop like Ctrl-C
    raise KeyboardInterrupt


def run_experiment(
    exp: Experiment | Plan,
    executor=None,
    out: str | Path | None = None,
    progress: bool = True,
    prepared: Plan | None = None,
    fresh: bool = False,
    report=None,
    commit_seconds: float = COMMIT_SECONDS,
    chunk: int | None = None,
    shipped: bool = False,
    max_runs: int = MAX_RUNS,
) -> Outcome:
    """Run (or resume) an experiment into ``runs/<name>/`` (or ``out``); return what happened.

    ``prepared`` (or ``exp`` itself) may be a :class:`Plan` from :func:`plan`. ``report(folder)``, if
    given, writes tables and figures into the finished folder before a ``--fresh`` swap. ``chunk`` fixes
    the runs per task (default: sized to about a second of work).
    """
    p = prepared or (exp if isinstance(exp, Plan) else plan(exp, out, fresh, shipped, max_runs))
    exp = p.exp
    own_executor = executor is None
    folder = folders.Folder(p.directory)
    folder.acquire()  # from here on we are the only writer; every decision below is made holding the lock
    try:
        target, old = decide(p, folder)
        if exp.entropy is None:
            # a definition without fixed entropy draws one; a resumed run reuses the recorded one
            exp.entropy = old["root_entropy"] if old else int(np.random.SeedSequence().entropy)
        design = designs.make(exp, p.max_runs)
        st = RunStore(target).open()
        outcome = _load_outcomes(exp, design, st, target)
        executor = executor or make_executor(preload=(exp.model.partition(":")[0],))
        result = _run(p, exp, design, st, outcome, old, target, executor, progress, commit_seconds, chunk)
        if result.status.startswith("complete"):
            if report is not None:
                report(target)
            if target != p.directory:
                folder.swap()
        result.directory = p.directory
        return result
    finally:
        if own_executor and executor is not None:
            executor.close()
        folder.release()


def _load_outcomes(exp: Experiment, design, st: RunStore, target: Path) -> np.ndarray:
    codes = outcome_codes(exp)
    npts = len(design.points)
    width = exp.adaptive.max_replicates if exp.adaptive else exp.replicates
    outcome = np.full((npts, width), NOT_DONE, dtype=np.int8)
    for batch in st.done_runs(("point", "replicate", *([codes.key] if codes.key else []))):
        p, r = batch["point"].astype(np.int64), batch["replicate"].astype(np.int64)
        if len(p) and (p.max() >= npts or r.max() >= width):
            raise RunnerError(
                f"{target} holds runs beyond this definition (up to replicate {int(r.max()) + 1} of point "
                f"{int(p.max())}, where it asks for {width} replicates of {npts} points): its summary would mix "
                "them; pass --fresh to start over or --out DIR")
        outcome[p, r] = codes.of(batch.get(codes.key), len(p))
    return outcome


def _manifest_base(p: Plan, exp: Experiment, design, old: dict | None, started: str) -> dict[str, Any]:
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
        "root_entropy": exp.entropy,
        "seeding": seeds.RULE,
        "parameters": exp.full_parameters(),
        "design": d,
        "store": {"format": "parquet", "tables": [*TABLES, *exp.tables], "layout": "docs/RELIABILITY.md"},
        "versions": provenance.versions(),
        "git": p.git,
        "started": old.get("started", started) if old else started,
    }


def _run(p, exp, design, st, outcome, old, target, executor, progress, commit_seconds, chunk) -> Outcome:
    result = Outcome(target)
    started = provenance.now()
    sessions = list(old.get("sessions", [])) if old else []
    base = _manifest_base(p, exp, design, old, started)
    sched = Schedule(exp, outcome, outcome_codes(exp).other)
    t0 = time.perf_counter()

    def write_manifest(status: str) -> None:
        done = int((outcome != NOT_DONE).sum())
        session = {"started": started, "finished": None if status == "running" else provenance.now(),
                   "status": status, "executor": executor.name, "workers": executor.workers, "runs": result.ran,
                   "skipped": result.skipped, "failures": result.failed, "chunks": result.chunks,
                   "wall_seconds": round(time.perf_counter() - t0, 3), "run_seconds": round(result.run_seconds, 3)}
        failed = _unresolved_failures(st, outcome)
        atomic_write_json(target / MANIFEST, {
            **base, "finished": session["finished"], "status": status,
            "runs": {"done": done, "failed_unresolved": failed, "replicates": exp.replicates},
            "sessions": [*sessions, session]})

    write_manifest("running")
    bar = _progress_bar(progress, exp.name)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        _loop(exp, design, st, outcome, sched, executor, result, bar, commit_seconds, chunk)
        result.status = "complete_with_failures" if result.failed else "complete"
    except KeyboardInterrupt:
        result.status = "interrupted"
        executor.close(cancel=True)
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if bar is not None:
            bar.close()
        result.skipped = sched.skipped
        result.seconds = time.perf_counter() - t0
        result._scheduled = sched.scheduled if sched.scheduled is not None else np.full(
            outcome.shape[0], exp.replicates, dtype=np.int32)
        if result.status.startswith("complete"):
            csv = "csv" in ([f] if isinstance(f := exp.outputs.get("format", "parquet"), str) else f)
            st.compact(keep_failure=lambda block: outcome[block.column("point").to_numpy(),
                                                          block.column("replicate").to_numpy()] == NOT_DONE,
                       csv=csv)
            if result.failed == 0 and _unresolved_failures(st, outcome):
                result.status = "complete_with_failures"
        write_manifest(result.status)
    return result


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _unresolved_failures(st: RunStore, outcome: np.ndarray) -> int:
    n = 0
    import pyarrow.parquet as pq

    for src in st.sources("failures"):
        t = pq.read_table(src.path, columns=["point", "replicate"])
        n += int((outcome[t.column("point").to_numpy(), t.column("replicate").to_numpy()] == NOT_DONE).sum())
    return n


def _progress_bar(enabled: bool, name: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    # disable=None: a bar on a terminal (or in Jupyter), nothing in a log file or CI
    return tqdm(total=0, unit="run", desc=name, dynamic_ncols=True, smoothing=0.05, file=sys.stderr, disable=None)


def _wanted(exp: Experiment, npts: int):
    """The extra tables asked of the model for run (j, r): step data for the sampled runs, the event log when
    asked for, and the tables the figures need for every run (``exp.tables``)."""
    step_sample = int(exp.outputs.get("step_sample", 0))
    step_points = set(exp.outputs.get("step_points", range(min(npts, 6))))
    every = (*(("events",) if exp.outputs.get("events", False) else ()), *exp.tables)

    def wanted(j: int, r: int) -> tuple[str, ...]:
        t = ("steps",) if r < step_sample and j in step_points else ()
        return tuple(dict.fromkeys((*t, *every)))

    return wanted


def _loop(exp, design, st, outcome, sched: Schedule, executor, result: Outcome, bar, commit_seconds, chunk) -> None:
    wanted = _wanted(exp, len(design.points))
    codes = outcome_codes(exp)
    base = dict(exp.base)
    parameters = None
    window = max(2, 2 * executor.workers)
    spread = max(1, sched.initial_todo() // (2 * window))  # keep every worker busy to the end
    size = chunk or min(4, spread)
    per_run = None  # running mean of model seconds per run, to size chunks to ~TARGET_SECONDS
    buffer: dict[str, list] = {"runs": [], "failures": []}
    last_commit = time.monotonic()
    inflight: dict[Any, list] = {}

    def commit() -> None:
        nonlocal last_commit, buffer
        rows, buffer = buffer, {"runs": [], "failures": []}  # never committed twice, even if interrupted
        st.commit(rows, parameters)
        last_commit = time.monotonic()

    try:
        while True:
            while len(inflight) < window:
                runs = sched.take(size)
                if not runs:
                    break
                groups: dict[int, list] = {}
                for j, r in runs:
                    groups.setdefault(j, []).append((r, wanted(j, r)))
                task = {"model": exp.model, "entropy": exp.entropy, "base": base,
                        "groups": [(j, design.points[j], reps) for j, reps in groups.items()]}
                inflight[executor.submit(run_chunk, task)] = runs
                result.chunks += 1
            if bar is not None:
                bar.total = sched.planned
            if not inflight:
                break
            for fut in executor.wait(set(inflight)):
                runs = inflight.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # the executor lost the chunk (e.g. a worker died): record, go on
                    res = {"runs": [], "tables": {}, "seconds": 0.0, "failures": [
                        {"run_id": run_id(j, r), "point": j, "replicate": r,
                         "seed": seeds.run_seed(exp.entropy, j, r), "error": f"executor: {type(exc).__name__}: {exc}"}
                        for j, r in runs]}
                for row in res["runs"]:
                    outcome[row["point"], row["replicate"]] = codes.one(row.get(codes.key))
                if parameters is None and res.get("parameter_columns"):
                    parameters = res["parameter_columns"]
                buffer["runs"].extend(res["runs"])
                buffer["failures"].extend(res["failures"])
                for name, rows in res["tables"].items():
                    buffer.setdefault(name, []).extend(rows)
                result.ran += len(res["runs"])
                result.failed += len(res["failures"])
                result.run_seconds += res["seconds"]
                sched.finished(runs)
                if res["runs"] and not chunk:
                    mean = res["seconds"] / len(runs)
                    per_run = mean if per_run is None else 0.7 * per_run + 0.3 * mean
                    size = int(min(MAX_CHUNK, spread, max(1, TARGET_SECONDS / max(per_run, 1e-6))))
                if bar is not None:
                    bar.update(len(runs))
                    if result.failed:
                        bar.set_postfix(failed=result.failed, refresh=False)
            if time.monotonic() - last_commit >= commit_seconds or len(buffer["runs"]) >= COMMIT_ROWS:
                commit()
    finally:
        commit()  # whatever finished is kept, also on Ctrl-C
