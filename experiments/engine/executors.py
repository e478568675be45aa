"""Executors: where chunks of runs are computed. The worker side (:func:`experiments.engine.worker.run_chunk`)
is plain data in, plain data out, so the same loop drives three executors:

- ``serial``: in this process (debugging, tests);
- ``pool`` (default): local worker processes the driver watches (:mod:`experiments.engine.pool`), replaced
  every ``recycle`` chunks. Mesa 3.3 keeps every finished model alive (Mesa issue 3179), so a long-lived
  worker grows without bound; recycled workers stay flat. Not ``multiprocessing.Pool``, which hangs for ever
  when a worker dies (the OOM killer, a segfault), nor ``ProcessPoolExecutor(max_tasks_per_child=...)``,
  which deadlocks on Python 3.11-3.13 once a worker retires (CPython gh-115634). A worker's death fails the
  run it was in, with the cause; ``run_timeout`` stops a run that goes on too long. Workers start by
  ``forkserver`` where available (a fork of a server that has already imported the model: a recycled worker
  costs milliseconds), else ``spawn``; either re-imports the script that started the pool, so a script that
  starts one outside ``if __name__ == "__main__":`` is refused before any worker starts;
- ``dask``: a Dask ``distributed`` client, to a running scheduler (``tcp://host:port``) or a
  ``LocalCluster``. Tasks are submitted with ``pure=False``: two chunks are never merged as
  "identical calls".

A task is a chunk of runs (a few to a thousand, sized by the runner to about a second of work), so
a cluster makes one round trip per chunk, not per run.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import logging
import multiprocessing as mp
import os
import signal
import sys
import threading

from experiments.definition import models
from experiments.engine import worker
from experiments.engine.pool import EXIT_MAIN_GUARD, WatchedPool, WorkerLost
from experiments.storage.errors import RunnerError

RECYCLE = 8  # chunks per pool worker before it is replaced (~1 s each: Mesa 3.3 grows ~0.2 MB per run)
MAX_WORKERS = 512


# --------------------------------------------------------------------------------------------
# executors: submit(fn, arg) -> future; wait(futures) -> the done ones; close()
# --------------------------------------------------------------------------------------------
class _LazyFuture(cf.Future):
    """A future the serial executor runs when it is waited for (keeps the loop identical)."""

    def __init__(self, fn, arg) -> None:
        super().__init__()
        self.fn, self.arg = fn, arg


class SerialExecutor:
    """In this process. ``run_timeout``: a run still going after that many seconds is stopped by ``SIGALRM``
    where it can be (Python code, the main thread) and recorded as failed."""

    name = "serial"

    def __init__(self, run_timeout: float | None = None) -> None:
        self.workers = 1
        self.timeout = run_timeout

    def submit(self, fn, arg):
        return _LazyFuture(fn, arg)

    def wait(self, futures):
        fut = next(iter(futures))
        alarm = self.timeout is not None and hasattr(signal, "setitimer") \
            and threading.current_thread() is threading.main_thread()
        started: list[int] = []
        if alarm:
            previous = signal.signal(signal.SIGALRM, _alarm)

            def on_run(position: int, running: bool) -> None:
                if running:
                    started.append(position)
                signal.setitimer(signal.ITIMER_REAL, self.timeout if running else 0)

            worker.ON_RUN = on_run
        try:
            fut.set_result(fut.fn(fut.arg))
        except _RunTimeout:
            fut.set_exception(WorkerLost(f"the run went past the time limit of {self.timeout:g} s",
                                         started[-1] if started else None))
        except Exception as exc:
            fut.set_exception(exc)
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                worker.ON_RUN = None
        return {fut}

    def close(self, cancel: bool = False) -> None:
        pass


def _with_declared(*modules: str) -> list[str]:
    """``modules`` and, after each, the modules it declares in ``PRELOAD`` (e.g. ``sim.model``'s compiled
    engine, loaded once in the fork server instead of in every recycled worker); a module that cannot be
    imported here is left for the workers to report."""
    import importlib

    out: list[str] = []
    for name in modules:
        out.append(name)
        try:
            declared = getattr(importlib.import_module(name), "PRELOAD", ())
        except Exception:  # a bad model definition is reported by the runner, not here
            continue
        if isinstance(declared, (tuple, list)):
            out += [d for d in declared if isinstance(d, str)]
    return out


class _RunTimeout(BaseException):  # not an Exception: the model's own `except Exception` cannot swallow it
    pass


def _alarm(signum, frame):
    raise _RunTimeout


class PoolExecutor:
    name = "pool"

    def __init__(self, workers: int | None = None, recycle: int = RECYCLE, preload: tuple[str, ...] = (),
                 run_timeout: float | None = None) -> None:
        check_main_guard()
        self.workers = workers or os.cpu_count() or 1
        methods = mp.get_all_start_methods()
        self.method = "forkserver" if "forkserver" in methods else "spawn"
        # import the runner and the model once in the server; recycled workers fork from it
        default = models.DEFAULT_MODEL.partition(":")[0]
        self.pool = WatchedPool(self.workers, recycle, self.method,
                                list(dict.fromkeys([worker.__name__, *_with_declared(default, *preload)])), run_timeout)

    def submit(self, fn, arg):
        return self.pool.submit(fn, arg)

    def wait(self, futures):
        return self.pool.wait(futures)

    def close(self, cancel: bool = False) -> None:
        self.pool.close(cancel)


def check_main_guard() -> None:
    """Refuse to start a pool from a script's top level outside ``if __name__ == "__main__":`` (each worker would
    import the script again and start a pool of its own); in such a worker, exit at once, quietly."""
    if getattr(mp.current_process(), "_inheriting", False):
        os._exit(EXIT_MAIN_GUARD)  # we are a worker importing the main script: the driver explains
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py"):
        return
    frame = sys._getframe()
    while frame is not None and not (frame.f_globals.get("__name__") == "__main__"
                                     and frame.f_code.co_name == "<module>"):
        frame = frame.f_back
    if frame is None:
        return
    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return
    line = frame.f_lineno
    for node in tree.body:
        if node.lineno <= line <= (node.end_lineno or node.lineno):
            if not _is_main_guard(node):
                raise RunnerError(f"{os.path.basename(path)}, line {line}: starts a process pool outside "
                                  "`if __name__ == \"__main__\":`, so every worker would run the script again; put "
                                  "the call under that guard, or pass executor='serial'", "executor", "pool")
            return


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    sides = [node.test.left, *node.test.comparators]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    consts = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and consts == {"__main__"}


class DaskExecutor:
    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None, processes: bool = True) -> None:
        try:
            import distributed
        except ImportError:
            raise RunnerError("the dask executor needs dask[distributed]: pip install 'piggyback-abm[dask]'") from None

        self._distributed = distributed
        self.cluster = None
        if address:
            try:
                self.client = distributed.Client(address, timeout="10s")
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
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
        return self.client.submit(fn, arg, pure=False)  # chunks are distinct calls, never deduplicated

    def wait(self, futures):
        return self._distributed.wait(list(futures), return_when="FIRST_COMPLETED").done

    def close(self, cancel: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str = "pool", workers: int | None = None, scheduler: str | None = None,
                  preload: tuple[str, ...] = (), run_timeout: float | None = None, **kw):
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or not 1 <= workers <= MAX_WORKERS):
        raise RunnerError(f"--workers must be an integer in [1, {MAX_WORKERS}], got {_short(workers)}", "workers",
                          workers)
    if run_timeout is not None and (isinstance(run_timeout, bool) or not isinstance(run_timeout, (int, float))
                                    or not 0 < run_timeout < float("inf")):
        raise RunnerError(f"--run-timeout must be a number of seconds > 0, got {_short(run_timeout)}", "run_timeout",
                          run_timeout)
    if not isinstance(kind, str) or kind not in ("serial", "pool", "dask"):
        raise RunnerError(f"unknown executor {_short(kind)}; use serial, pool or dask", "executor", kind)
    if (scheduler or kind == "dask") and run_timeout is not None:
        raise RunnerError("--run-timeout works with the pool and serial executors; a Dask cluster has its own "
                          "limits (the worker's --lifetime)", "run_timeout", run_timeout)
    if scheduler:
        return DaskExecutor(scheduler, workers)
    if kind == "serial":
        return SerialExecutor(run_timeout)  # in this process (no recycling: for small sweeps and debugging)
    if kind == "pool":
        return PoolExecutor(workers, preload=preload, run_timeout=run_timeout, **kw)
    return DaskExecutor(None, workers, **kw)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:48] + f"… ({len(text):,} characters)"
