"""Run an experiment: every (design point, replicate) once, in chunks, streamed to disk, resumable.

The runner knows the model only as ``run(params, seed) -> dict`` (named by the experiment's
``model``, default ``sim.model:run``) and the outcome it declares (the headline, whose category each
run reaches: its code is what resume and adaptive replicates read). The pieces: :mod:`.preflight` (what
to run, and where), :mod:`.executors`, :mod:`.pool` and :mod:`.worker` (where chunks run), :mod:`.schedule`
(which runs next), :mod:`.record` (what the manifest says), :mod:`experiments.storage` (how results are
committed and read, where, one writer at a time). This module is the loop.

Determinism: a run's seed is a function of (root entropy, point, replicate) only
(:func:`experiments.definition.seeds.run_seed`); adaptive replicates are decided for a point only once
all its scheduled replicates are in, from their outcomes alone; compaction sorts every table by
(point, replicate). So a finished experiment's files are the same bytes for any executor, number
of workers and chunk size, and after any number of interruptions and resumes.

Faults: a chunk whose worker died (:class:`~experiments.engine.pool.WorkerLost`) fails the run the worker was
in, with the cause, and its other runs are run again (each at most :data:`RETRIES` times); after
:data:`DEATHS_IN_A_ROW` deaths without a run finishing, the sweep stops. The manifest's status is ``complete``
only when every run is done, ``complete_with_failures`` when every run was tried and some failed, and
``running``, ``interrupted`` or ``stopped`` otherwise (a process killed outright leaves ``running``).

Memory: the driver holds one byte per run (its outcome code, for resume and adaptive replicates),
the chunks in flight and the rows not yet committed (at most ``commit_seconds`` of them); the design
is generated lazily; tables are compacted block by block.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments.definition import designs, seeds
from experiments.definition.experiment import Experiment
from experiments.engine import record
from experiments.engine.executors import make_executor
from experiments.engine.pool import WorkerLost
from experiments.engine.preflight import MAX_HOURS, MAX_RUNS, Plan, decide, plan
from experiments.engine.schedule import NOT_DONE, Schedule, outcome_codes
from experiments.engine.worker import run_chunk
from experiments.storage import folders, provenance
from experiments.storage.atomic import atomic_write_json
from experiments.storage.errors import RunnerError, StoreError
from experiments.storage.layout import MANIFEST, run_id
from experiments.storage.store import RunStore

TARGET_SECONDS = 1.0  # work per chunk the driver aims for
MAX_CHUNK = 1000
COMMIT_SECONDS = 2.0  # finished rows are committed at least this often (what a SIGKILL can cost)
COMMIT_ROWS = 4_096  # and at least this often: bounds the rows held in memory
RETRIES = 2  # times a run is run again after a worker died while it waited in the same chunk
DEATHS_IN_A_ROW = 10  # worker deaths with no run finishing in between: the sweep stops
ESTIMATE_ABOVE = 600  # seconds: a sweep measured to need longer says so (once)


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
    status: str = "running"
    chunks: int = 0
    lost: int = 0  # runs failed by a worker's death or the time limit
    unresolved: int = 0  # failed runs (of any session) not since done
    first_failure: str | None = None  # the cause of the first of them
    notes: list[str] = field(default_factory=list)  # what was left alone, estimates
    _scheduled: np.ndarray | None = field(default=None, repr=False)

    @property
    def replicates(self) -> dict[int, int]:
        """Point -> replicates scheduled (built on demand: one entry per point)."""
        return {} if self._scheduled is None else {j: int(n) for j, n in enumerate(self._scheduled)}


def _on_sigterm(signum, frame):  # a cluster's scheduler stops jobs with SIGTERM: stop like Ctrl-C
    raise KeyboardInterrupt


def _stderr(text: str) -> None:
    sys.stderr.write(f"experiments: {text}\n")


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
    max_hours: float = MAX_HOURS,
    notify: Callable[[str], None] | None = _stderr,
) -> Outcome:
    """Run (or resume) an experiment into ``runs/<name>/`` (or ``out``); return what happened.

    ``prepared`` (or ``exp`` itself) may be a :class:`Plan` from :func:`plan`. ``report(folder)``, if
    given, writes tables and figures into the finished folder before a ``--fresh`` swap. ``chunk`` fixes
    the runs per task (default: sized to about a second of work). ``notify(line)``: notes on the way (files
    left alone, a long estimate); ``max_hours``: stop a sweep of a model without a size estimate once its
    measured runs say it would take longer.
    """
    p = prepared or (exp if isinstance(exp, Plan) else plan(exp, out, fresh, shipped, max_runs, max_hours=max_hours))
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
        st = _open_store(p, exp, folder, target, old)
        outcome = _load_outcomes(exp, design, st, target)
        executor = executor or make_executor(preload=(exp.model.partition(":")[0],))
        result = _run(p, exp, design, st, outcome, old, target, executor, progress, commit_seconds, chunk,
                      notify or (lambda _text: None))
        if st.foreign:
            result.notes.append(f"left alone in {target}: " + ", ".join(str(f.name) for f in st.foreign[:5])
                                + (f" and {len(st.foreign) - 5} more" if len(st.foreign) > 5 else "")
                                + " (not written by the runner)")
        if result.status.startswith("complete"):
            if report is not None:
                report(target)
            if target != p.directory:
                folder.swap()
                if folder.left_alone:
                    result.notes.append(f"left alone in {p.directory}: {', '.join(folder.left_alone[:5])} (not "
                                        "written by the runner)")
        for note in result.notes:
            (notify or (lambda _text: None))(note)
        result.directory = p.directory
        return result
    finally:
        if own_executor and executor is not None:
            executor.close()
        folder.release()


def _open_store(p: Plan, exp: Experiment, folder: folders.Folder, target: Path, old: dict | None) -> RunStore:
    done_before = old.get("runs", {}).get("done", 0) if old and isinstance(old.get("runs"), dict) else 0
    vouched = old.get("raw") if old and isinstance(old.get("raw"), dict) else None
    try:
        return RunStore(target, exp.design_key()).open(done_before if isinstance(done_before, int) else 1, vouched)
    except StoreError:
        if target == p.directory:
            raise
        folder.clear_staging()  # an earlier --fresh's staging is disposable: the old results are still in place
        return RunStore(target, exp.design_key()).open()


def _load_outcomes(exp: Experiment, design, st: RunStore, target: Path) -> np.ndarray:
    codes = outcome_codes(exp)
    npts = len(design.points)
    width = exp.adaptive.max_replicates if exp.adaptive else exp.replicates
    outcome = np.full((npts, width), NOT_DONE, dtype=np.int8)
    for batch in st.done_runs(("point", "replicate", *([codes.key] if codes.key else []))):
        p, r = batch["point"].astype(np.int64), batch["replicate"].astype(np.int64)
        if len(p) and (p.min() < 0 or r.min() < 0):
            raise StoreError(f"{target} holds runs numbered below zero: not runs of the runner; run `python -m "
                             f"experiments repair --out {target}`")
        if len(p) and (p.max() >= npts or r.max() >= width):
            raise RunnerError(
                f"{target} holds runs beyond this definition (up to replicate {int(r.max()) + 1} of point "
                f"{int(p.max())}, where it asks for {width} replicates of {npts} points): its summary would mix "
                "them; pass --fresh to start over or --out DIR")
        outcome[p, r] = codes.of(batch.get(codes.key), len(p))
    return outcome


def _run(p, exp, design, st, outcome, old, target, executor, progress, commit_seconds, chunk, notify) -> Outcome:
    result = Outcome(target)
    started = provenance.now()
    sessions = list(old.get("sessions", [])) if old and isinstance(old.get("sessions"), list) else []
    base = record.base(p, exp, design, old, started)
    sched = Schedule(exp, outcome, outcome_codes(exp).other)
    t0 = time.perf_counter()

    def write_manifest(status: str, raw: dict | None = None) -> None:
        done = int((outcome != NOT_DONE).sum())
        planned = int(sched.scheduled.sum()) if sched.scheduled is not None else outcome.shape[0] * exp.replicates
        session = {"started": started, "finished": None if status == "running" else provenance.now(),
                   "status": status, "engine": base["engine"], "executor": executor.name,
                   "workers": executor.workers, "runs": result.ran,
                   "skipped": result.skipped, "failures": result.failed, "chunks": result.chunks,
                   "wall_seconds": round(time.perf_counter() - t0, 3), "run_seconds": round(result.run_seconds, 3)}
        result.unresolved, result.first_failure = record.unresolved_failures(st, outcome)
        atomic_write_json(target / MANIFEST, {
            **base, "finished": session["finished"], "status": status,
            "runs": {"done": done, "planned": planned, "failed_unresolved": result.unresolved,
                     "replicates": exp.replicates},
            "sessions": [*sessions, session], **({"raw": raw} if raw else {})})

    write_manifest("running")
    bar = _progress_bar(progress, exp.name)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _main_thread() else None
    try:
        _loop(p, exp, design, st, outcome, sched, executor, result, bar, commit_seconds, chunk, notify)
        result.status = "complete"
    except BaseException as exc:
        result.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "stopped"
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
        raw = None
        if result.status == "complete":
            csv = "csv" in ([f] if isinstance(f := exp.outputs.get("format", "parquet"), str) else f)
            st.compact(keep_failure=lambda block: outcome[block.column("point").to_numpy(),
                                                          block.column("replicate").to_numpy()] == NOT_DONE,
                       csv=csv)
            raw = record.ship_raw(target, st) if p.shipped else None
            if record.unresolved_failures(st, outcome)[0]:
                result.status = "complete_with_failures"
        write_manifest(result.status, raw)
    return result


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


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


def _loop(p, exp, design, st, outcome, sched: Schedule, executor, result: Outcome, bar, commit_seconds, chunk,
          notify) -> None:
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
    retry: list[tuple[int, int]] = []  # runs handed back by a lost chunk, run again (one chunk each)
    tries: dict[tuple[int, int], int] = {}
    deaths = 0
    estimated = False

    def commit() -> None:
        nonlocal last_commit, buffer
        rows, buffer = buffer, {"runs": [], "failures": []}  # never committed twice, even if interrupted
        st.commit(rows, parameters)
        last_commit = time.monotonic()

    def submit(runs: list[tuple[int, int]]) -> None:
        groups: dict[int, list] = {}
        for j, r in runs:
            groups.setdefault(j, []).append((r, wanted(j, r)))
        task = {"model": exp.model, "entropy": exp.entropy, "base": base,
                "groups": [(j, design.points[j], reps) for j, reps in groups.items()]}
        order = [(j, r) for j, reps in groups.items() for r, _ in reps]  # the worker's order of the runs
        inflight[executor.submit(run_chunk, task)] = order
        result.chunks += 1

    def failure(j: int, r: int, error: str) -> dict:
        return {"run_id": run_id(j, r), "point": j, "replicate": r, "seed": seeds.run_seed(exp.entropy, j, r),
                "error": error}

    try:
        while True:
            while retry and len(inflight) < window:
                submit([retry.pop()])
            while len(inflight) < window:
                runs = sched.take(size)
                if not runs:
                    break
                submit(runs)
            if bar is not None:
                bar.total = sched.planned
            if not inflight:
                break
            for fut in executor.wait(set(inflight)):
                runs = inflight.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # the executor lost the chunk: a worker died, or worse
                    lost = _lost(exc)
                    failed, again = [], []
                    for k, (j, r) in enumerate(runs):
                        tries[(j, r)] = tries.get((j, r), 0) + 1
                        culprit = lost is not None and (lost.position == k or len(runs) == 1)
                        if lost is None or culprit or tries[(j, r)] > RETRIES:
                            failed.append(failure(j, r, f"{lost.cause}" if culprit else
                                                  f"executor: {type(exc).__name__}: {exc}"))
                        else:
                            again.append((j, r))
                    if lost is not None:
                        deaths += 1
                        result.lost += len(failed)
                        if deaths >= DEATHS_IN_A_ROW:
                            raise RunnerError(f"{deaths} worker deaths in a row without a run finishing (last: "
                                              f"{lost.cause}); stopped: the runs done are saved, the failed ones "
                                              "are in failures.parquet") from None
                    retry.extend(again)
                    done_now = [(f["point"], f["replicate"]) for f in failed]
                    res = {"runs": [], "tables": {}, "seconds": 0.0, "failures": failed}
                    runs = done_now
                else:
                    if res["runs"]:
                        deaths = 0
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
            if not estimated and p.estimate is None and result.ran >= 8 and result.run_seconds > 0:
                estimated = _measured_estimate(p, exp, sched, result, executor.workers, notify)
            if time.monotonic() - last_commit >= commit_seconds or len(buffer["runs"]) >= COMMIT_ROWS:
                commit()
    finally:
        commit()  # whatever finished is kept, also on Ctrl-C


def _lost(exc: BaseException) -> WorkerLost | None:
    """A chunk lost to a worker's death (ours, or Dask's ``KilledWorker``), else None."""
    if isinstance(exc, WorkerLost):
        return exc
    if type(exc).__name__ == "KilledWorker":
        return WorkerLost(f"the worker process died (Dask: {exc})", None)
    return None


def _measured_estimate(p, exp, sched: Schedule, result: Outcome, workers: int, notify) -> bool:
    """For a model without a size estimate: once a few runs are measured, say how long the rest will take if
    that is long, and stop if it is above the cap. True once said (or not worth saying)."""
    per_run = result.run_seconds / max(1, result.ran)
    left = max(0, sched.initial_todo() - result.ran - result.failed)
    seconds = per_run * left / max(1, workers)
    if seconds > p.max_hours * 3600:
        raise RunnerError(f"{exp.name}: measured {per_run:.3g} s per run, the {left:,} runs left would take about "
                          f"{seconds / 3600:,.1f} h on {workers} worker(s), above the cap of {p.max_hours:g} h; the "
                          "runs done are saved: pass --max-hours H to go on")
    if seconds > ESTIMATE_ABOVE:
        notify(f"{exp.name}: about {seconds / 3600:.1f} h to go ({left:,} runs at {per_run:.3g} s each, measured, "
               f"on {workers} worker(s))")
    return True
