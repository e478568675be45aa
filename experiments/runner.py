"""Run an experiment: every (design point, replicate) once, streamed to disk, resumable, any executor.

The runner knows the model only as ``run(params, seed) -> dict`` (``sim.model:run``; and, for
the optional step-data sample, the model class with a Mesa ``datacollector``). A task is plain
data (point, replicate, seed, parameter overrides), so the same loop drives three executors:

- ``serial``: in this process, one run at a time (debugging, tests);
- ``pool`` (default): a local ``multiprocessing.Pool`` whose workers are replaced every
  ``RECYCLE`` runs (``maxtasksperchild``). Mesa 3.3 keeps every finished model alive (Mesa
  issue 3179), so a long-lived worker grows without bound; recycled workers stay flat. We use
  ``multiprocessing.Pool`` rather than ``ProcessPoolExecutor(max_tasks_per_child=...)``, which
  deadlocks on Python 3.11-3.13 once a worker retires (CPython gh-115634). Workers start by
  ``forkserver`` where available (a fork of a server that has already imported the model, so a
  recycled worker costs milliseconds, not the ~1 s of a ``spawn``), else ``spawn``;
- ``dask``: a Dask ``distributed`` client, to a running scheduler (``tcp://host:port``) or a
  ``LocalCluster``. Tasks are submitted with ``pure=False``: two replicates are never merged as
  "identical calls" (they differ only by seed, but we never rely on Dask's key hashing).

Determinism: a run's seed is a function of (root entropy, point, replicate) only
(:func:`experiments.designs.run_seed`), and adaptive replicates are decided for a point only
once all its scheduled replicates are in, from their outcomes alone. So ``runs.csv`` is the same,
row for row after sorting by run id, for any executor and number of workers, and after any
number of interruptions and resumes.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import importlib
import math
import multiprocessing as mp
import os
import platform
import subprocess
import sys
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from experiments import designs, store
from experiments.config import OUTCOMES, Experiment
from sim.params import validate

MODEL_RUN = "sim.model:run"  # run(params, seed) -> flat summary dict
MODEL_CLASS = "sim.model:PiggybackModel"  # only for runs that keep step data (datacollector)
RECYCLE = 100  # runs per pool worker before it is replaced (Mesa 3.3 memory growth, ~0.3 MB per run)
Z95 = 1.959963984540054


class RunnerError(RuntimeError):
    """A problem the user can fix (e.g. a results folder from another definition); one line."""


# --------------------------------------------------------------------------------------------
# worker side: one run (module level, so every executor can pickle it by reference)
# --------------------------------------------------------------------------------------------
_LOADED: dict[str, Any] = {}


def _load(spec: str) -> Any:
    if spec not in _LOADED:
        module, _, attr = spec.partition(":")
        _LOADED[spec] = getattr(importlib.import_module(module), attr)
    return _LOADED[spec]


def execute(task: dict[str, Any]) -> dict[str, Any]:
    """Run one task in a worker; never raises (a failure comes back as data with its traceback tail)."""
    out: dict[str, Any] = {"point": task["point"], "replicate": task["replicate"], "seed": task["seed"]}
    t0 = time.perf_counter()
    try:
        if task.get("steps"):
            model = _load(task.get("model_class", MODEL_CLASS))(rng=task["seed"], **task["params"])
            summary = model.run()
            frame = model.datacollector.get_model_vars_dataframe()
            cols = [c for c in frame.columns if str(c).startswith("share_")]
            # The DataCollector's Step index is int on Mesa 3.3 and float on 3.5, and a model may or may not
            # collect an initial row: take the step from the model's own `steps` reporter when it has one,
            # else count rows (row 0 = initial state).
            steps = frame["steps"].astype(int).tolist() if "steps" in frame.columns else range(len(frame))
            out["steps"] = [
                {"point": task["point"], "replicate": task["replicate"], "step": s, **dict(zip(cols, map(float, v)))}
                for s, v in zip(steps, frame[cols].itertuples(index=False, name=None))
            ]
        else:
            summary = _load(task.get("model_run", MODEL_RUN))(task["params"], task["seed"])
        out["summary"] = summary
    except Exception as exc:  # the run's fault, not the runner's: record it and go on
        tail = traceback.format_exc().strip().splitlines()[-3:]
        out["error"] = f"{type(exc).__name__}: {exc} | " + " / ".join(s.strip() for s in tail)
    out["seconds"] = time.perf_counter() - t0
    out["pid"] = os.getpid()  # lets tests see workers being recycled; not written to runs.csv
    return out


# --------------------------------------------------------------------------------------------
# executors: submit(task) -> future; wait(futures) -> the done ones; close()
# --------------------------------------------------------------------------------------------
class _LazyFuture(cf.Future):
    """A future the serial executor runs when it is waited for (keeps the loop identical)."""

    def __init__(self, fn, arg) -> None:
        super().__init__()
        self.fn, self.arg = fn, arg


class SerialExecutor:
    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def submit(self, fn, arg):
        return _LazyFuture(fn, arg)

    def wait(self, futures):
        fut = next(iter(futures))
        fut.set_result(fut.fn(fut.arg))
        return {fut}

    def close(self, cancel: bool = False) -> None:
        pass


class PoolExecutor:
    name = "pool"

    def __init__(self, workers: int | None = None, recycle: int = RECYCLE) -> None:
        self.workers = workers or os.cpu_count() or 1
        methods = mp.get_all_start_methods()
        self.method = "forkserver" if "forkserver" in methods else "spawn"
        ctx = mp.get_context(self.method)
        if self.method == "forkserver":
            # import the runner and the model once in the server; recycled workers fork from it
            ctx.set_forkserver_preload([__name__, MODEL_RUN.partition(":")[0]])
        self.pool = ctx.Pool(self.workers, maxtasksperchild=recycle)

    def submit(self, fn, arg):
        fut: cf.Future = cf.Future()
        self.pool.apply_async(fn, (arg,), callback=fut.set_result, error_callback=fut.set_exception)
        return fut

    def wait(self, futures):
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done

    def close(self, cancel: bool = False) -> None:
        if cancel:
            self.pool.terminate()
        else:
            self.pool.close()
        self.pool.join()


class DaskExecutor:
    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None, processes: bool = True) -> None:
        try:
            import distributed
        except ImportError:
            raise RunnerError("the dask executor needs dask[distributed]: pip install 'piggyback-abm[dask]'") from None
        import logging

        self._distributed = distributed
        self.cluster = None
        if address:
            try:
                self.client = distributed.Client(address, timeout="10s")
            except OSError as exc:
                raise RunnerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        else:
            self.cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,  # the model is pure Python: one run per process
                processes=processes,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = distributed.Client(self.cluster)
        self.address = address or self.cluster.scheduler_address
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, fn, arg):
        return self.client.submit(fn, arg, pure=False)  # replicates are distinct calls, never deduplicated

    def wait(self, futures):
        return self._distributed.wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str = "pool", workers: int | None = None, scheduler: str | None = None, **kw):
    if scheduler:
        return DaskExecutor(scheduler, workers)
    if kind == "serial":
        return SerialExecutor()  # in this process (no recycling: for small sweeps and debugging)
    if kind == "pool":
        return PoolExecutor(workers, **kw)
    if kind == "dask":
        return DaskExecutor(None, workers, **kw)
    raise RunnerError(f"unknown executor {kind!r}; use serial, pool or dask")


# --------------------------------------------------------------------------------------------
# statistics the scheduler needs (adaptive replicates)
# --------------------------------------------------------------------------------------------
def wilson(k: int | np.ndarray, n: int | np.ndarray, z: float = Z95):
    """Wilson score interval (lo, hi) for k successes in n trials; (0, 1) when n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / n, 0.0)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        lo = np.where(n > 0, np.clip(centre - half, 0, 1), 0.0)
        hi = np.where(n > 0, np.clip(centre + half, 0, 1), 1.0)
    return lo, hi


def max_halfwidth(outcomes: list[str]) -> float:
    """Largest 95 % Wilson half-width over the outcome frequencies (Q1..Q4, mixed, unsettled)."""
    n = len(outcomes)
    if n == 0:
        return 1.0
    lo, hi = wilson(np.array([outcomes.count(o) for o in OUTCOMES]), n)
    return float(np.max((hi - lo) / 2))


# --------------------------------------------------------------------------------------------
# the run loop
# --------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    """What happened in one invocation of :func:`run_experiment`."""

    directory: Path
    planned: int = 0  # runs this invocation set out to do (grows with adaptive replicates)
    ran: int = 0  # runs finished in this invocation
    skipped: int = 0  # runs already in runs.csv
    failed: int = 0
    seconds: float = 0.0
    run_seconds: float = 0.0  # summed model time (for the benchmark: overhead = wall × workers − this)
    status: str = "complete"
    replicates: dict[int, int] = field(default_factory=dict)  # point -> replicates scheduled


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for pkg in ("piggyback-abm", "mesa", "numpy", "pandas", "SALib", "matplotlib", "tqdm", "dask", "distributed"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def git_commit() -> dict[str, Any]:
    """HEAD of the repository the runner lives in, and whether the tree had local changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        status = ["git", "status", "--porcelain", "--untracked-files=no"]
        dirty = subprocess.run(status, cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if head.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def model_fingerprint() -> str:
    """Hash of the source of every loaded module of the model's package (e.g. ``sim.*``).

    Recorded in the manifest: runs made by different model code must not be mixed in one file.
    Only modules the model run actually imported count (a dashboard edit does not invalidate a sweep).
    """
    module = MODEL_RUN.partition(":")[0]
    importlib.import_module(module)
    package = module.split(".")[0]
    h = hashlib.sha256()
    for name in sorted(m for m in sys.modules if m == package or m.startswith(package + ".")):
        path = getattr(sys.modules[name], "__file__", None)
        if path and path.endswith(".py") and os.path.exists(path):
            h.update(name.encode())
            h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


OWN_FILES = (store.RUNS, store.FAILURES, "summary.csv", "timeseries.csv", "sensitivity.csv", "hysteresis.csv",
             "shocks.csv", "report.html")


def clear(directory: Path) -> None:
    """Remove the files a run writes (for ``--fresh``); leaves anything else in the folder alone."""
    import shutil

    for name in OWN_FILES:
        (directory / name).unlink(missing_ok=True)
    for pattern in ("*.png", "*.svg", "*.pdf", "discovery_*.csv"):
        for f in directory.glob(pattern):
            f.unlink()
    shutil.rmtree(directory / store.STEPS, ignore_errors=True)


def results_dir(exp: Experiment, out: str | Path | None = None) -> Path:
    return Path(out) if out else Path("results") / exp.name


def prepare(
    exp: Experiment, out: str | Path | None = None, fresh: bool = False
) -> tuple[Experiment, designs.Design, Path, dict | None]:
    """Fix the root entropy, generate and validate the design, and check an existing results folder.

    Writes nothing. Raises ``ValueError`` (a bad point) or :class:`RunnerError` (a folder from a
    different definition or model). With ``fresh`` the old folder's runs will be discarded instead.
    """
    directory = results_dir(exp, out)
    old = None
    manifest = directory / store.MANIFEST
    if not (directory / store.RUNS).exists():
        fresh = True  # no runs to protect (e.g. a clone with only the committed tables): a stale manifest is moot
    if manifest.exists() and not fresh:
        try:
            old = store.read_json(manifest)
        except (OSError, ValueError):
            raise RunnerError(f"{manifest} is unreadable; remove the folder or pass --out DIR") from None
    if old is None and not fresh and (directory / store.RUNS).exists():
        raise RunnerError(f"{directory} has runs but no manifest to say how they were made; pass --fresh or --out DIR")
    if exp.entropy is None:
        # a definition without fixed entropy draws one; a resumed run reuses the recorded one
        exp.entropy = old["root_entropy"] if old else int(np.random.SeedSequence().entropy)
    if old and old.get("design_key") != exp.design_key():
        raise RunnerError(
            f"{directory} holds runs of a different definition of {exp.name!r} (parameters, design or entropy "
            "changed); pass --fresh to start over, or --out DIR"
        )
    if old and old.get("model_fingerprint") not in (None, model_fingerprint()):
        raise RunnerError(
            f"{directory} holds runs of a different version of the model code; pass --fresh to start over, "
            "or --out DIR"
        )
    design = designs.make(exp)
    for j, point in enumerate(design.points):
        try:
            validate({**exp.base, **point})
        except ValueError as exc:
            raise ValueError(f"design point {j}: {exc}") from None
    return exp, design, directory, old


def run_experiment(
    exp: Experiment,
    executor=None,
    out: str | Path | None = None,
    progress: bool = True,
    prepared: tuple | None = None,
    fresh: bool = False,
) -> Outcome:
    """Run (or resume) an experiment into ``results/<name>/`` (or ``out``); return what happened.

    ``prepared`` is :func:`prepare`'s result (the CLI validates before it builds an executor);
    ``fresh`` discards the folder's earlier runs, tables and figures first.
    """
    exp, design, directory, old = prepared or prepare(exp, out, fresh)
    own_executor = executor is None
    executor = executor or make_executor()
    st = store.RunStore(directory)
    try:
        # Starting over (asked for, or no manifest to resume from): clear leftovers (step data, failures,
        # tables) once we hold the lock, so nothing of unknown origin mixes into the new results.
        st.open(before_load=(lambda: clear(directory)) if fresh or old is None else None)
    except RuntimeError as exc:
        if own_executor:
            executor.close()
        raise RunnerError(str(exc)) from None
    result = Outcome(directory)
    started = _now()
    sessions = list(old.get("sessions", [])) if old else []
    base_manifest = {
        "name": exp.name,
        "description": exp.description,
        "experiment_file": exp.source,
        "experiment": exp.to_dict(),
        "design_key": exp.design_key(),
        "model": MODEL_RUN,
        "model_fingerprint": model_fingerprint(),
        "root_entropy": exp.entropy,
        "seeding": "run seed = SeedSequence(entropy=root_entropy, spawn_key=(point, replicate)).generate_state(1, "
        "uint64)[0] >> 1",
        "parameters": validate(exp.base),
        "design": {"type": exp.design, "names": design.names, "points": design.points},
        "versions": versions(),
        "git": git_commit(),
        "started": old.get("started", started) if old else started,
    }

    def write_manifest(status: str) -> None:
        failures = _count_failures(directory)
        session = {
            "started": started,
            "finished": None if status == "running" else _now(),
            "status": status,
            "executor": executor.name,
            "workers": executor.workers,
            "runs": result.ran,
            "skipped": result.skipped,
            "failures": result.failed,
            "wall_seconds": round(time.perf_counter() - t0, 3),
            "run_seconds": round(result.run_seconds, 3),
        }
        store.atomic_write_json(
            directory / store.MANIFEST,
            {
                **base_manifest,
                "finished": session["finished"],
                "status": status,
                "runs": {"done": len(st.done), "failed_unresolved": failures, "replicates": exp.replicates},
                "sessions": [*sessions, session],
            },
        )

    t0 = time.perf_counter()
    write_manifest("running")
    bar = _progress_bar(progress, exp.name)
    try:
        _loop(exp, design, st, executor, result, bar)
        st.compact()
        result.status = "complete"
    except KeyboardInterrupt:
        result.status = "interrupted"
        executor.close(cancel=True)
        own_executor = False
        raise
    finally:
        if bar is not None:
            bar.close()
        result.seconds = time.perf_counter() - t0
        if own_executor:
            executor.close()
        write_manifest(result.status if result.status != "complete" or not result.failed else "complete_with_failures")
        st.close()
    return result


def _count_failures(directory: Path) -> int:
    """Failures not since resolved by a successful retry."""
    path = directory / store.FAILURES
    if not path.exists():
        return 0
    import csv

    done = set()
    runs = directory / store.RUNS
    if runs.exists():
        with open(runs, newline="", encoding="utf-8") as fh:
            done = {row.get("run_id") for row in csv.DictReader(fh)}
    with open(path, newline="", encoding="utf-8") as fh:
        return len({row["run_id"] for row in csv.DictReader(fh)} - done)


def _progress_bar(enabled: bool, name: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm  # a widget in Jupyter, text on a terminal

    # disable=None: a bar on a terminal, nothing in a log file or CI (where \r updates are noise); Jupyter's
    # widget bar ignores it and always shows
    return tqdm(total=0, unit="run", desc=name, dynamic_ncols=True, smoothing=0.05, file=sys.stderr, disable=None)


def _loop(exp: Experiment, design: designs.Design, st: store.RunStore, executor, result: Outcome, bar) -> None:
    npts = len(design.points)
    step_points = set(exp.outputs.get("step_points", range(min(npts, 6))))
    step_sample = int(exp.outputs.get("step_sample", 0))
    scheduled = dict.fromkeys(range(npts), 0)  # replicates scheduled per point
    outstanding = dict.fromkeys(range(npts), 0)  # scheduled but not finished (in this invocation)
    queue: deque = deque()

    def schedule(j: int, upto: int) -> None:
        for r in range(scheduled[j], upto):
            if (j, r) in st.done:
                result.skipped += 1
                continue
            seed = designs.run_seed(exp.entropy, j, r)
            queue.append(
                {
                    "point": j,
                    "replicate": r,
                    "seed": seed,
                    "params": {**exp.base, **design.points[j]},
                    "steps": r < step_sample and j in step_points,
                }
            )
            outstanding[j] += 1
            result.planned += 1
        scheduled[j] = max(scheduled[j], upto)
        if bar is not None:
            bar.total = result.planned

    def settle_point(j: int) -> None:
        """All scheduled replicates of point j are in: extend it if its intervals are still too wide."""
        a = exp.adaptive
        if a is None or outstanding[j] or scheduled[j] >= a.max_replicates:
            return
        outcomes = [st.done[(j, r)]["quadrant"] for r in range(scheduled[j]) if (j, r) in st.done]
        if max_halfwidth(outcomes) > a.halfwidth:
            schedule(j, min(scheduled[j] + a.batch, a.max_replicates))

    for j in range(npts):
        schedule(j, exp.replicates)
    for j in range(npts):
        settle_point(j)
    window = max(2, 4 * executor.workers)  # enough in flight to keep workers busy, few enough to stay flat
    inflight: dict[Any, dict] = {}
    while queue or inflight:
        while queue and len(inflight) < window:
            task = queue.popleft()
            inflight[executor.submit(execute, task)] = task
        for fut in executor.wait(set(inflight)):
            task = inflight.pop(fut)
            try:
                res = fut.result()
            except Exception as exc:  # the executor lost the task (e.g. a worker died): record, go on
                res = {**task, "error": f"executor: {type(exc).__name__}: {exc}", "seconds": 0.0}
            _record(exp, design, st, task, res, result)
            j = task["point"]
            outstanding[j] -= 1
            if bar is not None:
                bar.update(1)
                if result.failed:
                    bar.set_postfix(failed=result.failed, refresh=False)
            settle_point(j)
    result.replicates = dict(scheduled)


def _record(exp, design, st: store.RunStore, task: dict, res: dict, result: Outcome) -> None:
    j, r, seed = task["point"], task["replicate"], task["seed"]
    result.run_seconds += float(res.get("seconds", 0.0))
    if "error" in res:
        result.failed += 1
        st.record_failure(j, r, seed, res["error"])
        return
    row: dict[str, Any] = {"run_id": store.run_id(j, r), "point": j, "replicate": r, "seed": seed}
    summary = dict(res["summary"])
    summary.pop("seed", None)  # the seed is ours, recorded above
    for name, value in design.points[j].items():
        row[f"param_{name}" if name in summary or name in row else name] = value
    for key, value in summary.items():
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        row[key] = value
    if res.get("steps"):
        st.write_steps(j, r, res["steps"])
    st.append(row)
    result.ran += 1
