"""Executors: where chunks of runs are computed. The worker side (:func:`experiments.engine.worker.run_chunk`)
is plain data in, plain data out, so the same loop drives three executors:

- ``serial``: in this process (debugging, tests);
- ``pool`` (default): a local ``multiprocessing.Pool`` whose workers are replaced every ``recycle``
  chunks (``maxtasksperchild``). Mesa 3.3 keeps every finished model alive (Mesa issue 3179), so a
  long-lived worker grows without bound; recycled workers stay flat. ``multiprocessing.Pool``
  rather than ``ProcessPoolExecutor(max_tasks_per_child=...)``, which deadlocks on Python 3.11-3.13
  once a worker retires (CPython gh-115634). Workers start by ``forkserver`` where available (a fork
  of a server that has already imported the model: a recycled worker costs milliseconds), else ``spawn``;
- ``dask``: a Dask ``distributed`` client, to a running scheduler (``tcp://host:port``) or a
  ``LocalCluster``. Tasks are submitted with ``pure=False``: two chunks are never merged as
  "identical calls".

A task is a chunk of runs (a few to a thousand, sized by the runner to about a second of work), so
a cluster makes one round trip per chunk, not per run.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing as mp
import os

from experiments.definition import models
from experiments.engine import worker
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
    name = "serial"

    def __init__(self) -> None:
        self.workers = 1

    def submit(self, fn, arg):
        return _LazyFuture(fn, arg)

    def wait(self, futures):
        fut = next(iter(futures))
        try:
            fut.set_result(fut.fn(fut.arg))
        except Exception as exc:
            fut.set_exception(exc)
        return {fut}

    def close(self, cancel: bool = False) -> None:
        pass


class PoolExecutor:
    name = "pool"

    def __init__(self, workers: int | None = None, recycle: int = RECYCLE, preload: tuple[str, ...] = ()) -> None:
        self.workers = workers or os.cpu_count() or 1
        methods = mp.get_all_start_methods()
        self.method = "forkserver" if "forkserver" in methods else "spawn"
        ctx = mp.get_context(self.method)
        if self.method == "forkserver":
            # import the runner and the model once in the server; recycled workers fork from it
            default = models.DEFAULT_MODEL.partition(":")[0]
            ctx.set_forkserver_preload(list(dict.fromkeys([worker.__name__, default, *preload])))
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
                  preload: tuple[str, ...] = (), **kw):
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise RunnerError(f"--workers must be an integer in [1, {MAX_WORKERS}], got {workers}")
    if scheduler:
        return DaskExecutor(scheduler, workers)
    if kind == "serial":
        return SerialExecutor()  # in this process (no recycling: for small sweeps and debugging)
    if kind == "pool":
        return PoolExecutor(workers, preload=preload, **kw)
    if kind == "dask":
        return DaskExecutor(None, workers, **kw)
    raise RunnerError(f"unknown executor {kind!r}; use serial, pool or dask")
