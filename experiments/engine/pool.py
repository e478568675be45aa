"""The local process pool: worker processes the driver watches, so that a worker's death is a failed run, never
a hang.

``multiprocessing.Pool`` loses the task of a worker that dies (a SIGKILL from the OOM killer, a segfault, a
model's ``os._exit``): its callback never fires and the sweep waits forever. Here each worker has its own pipe
and a slot in shared memory where it notes, before and after each run of a chunk, which run it is in and since
when. The driver waits on the pipes and on the workers' process sentinels together
(:func:`multiprocessing.connection.wait`), so it sees a death at once, and knows which run the worker was in:
that run failed (:class:`WorkerLost`, with the cause: the signal or exit code), the chunk's other runs are
handed back to be run again. An optional per-run time limit kills a worker whose run has gone on too long.

Workers are replaced after ``recycle`` chunks (Mesa 3.3 keeps every finished model alive, Mesa issue 3179),
start by ``forkserver`` with the model preloaded where available (else ``spawn``), and ignore SIGINT: Ctrl-C is
the driver's, which stops them (no worker tracebacks). Workers that die as they start (a script that starts a
pool without ``if __name__ == "__main__":`` re-runs itself in every worker) stop the sweep with one line
instead of being replaced forever.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from multiprocessing.connection import wait as wait_for

from experiments.storage.errors import RunnerError

STARTUP_FAILURES = 3  # workers in a row that die before they are ready: the pool cannot start
EXIT_MAIN_GUARD = 86  # a worker found itself importing the main script that started the pool


class WorkerLost(RuntimeError):
    """A worker died (or was stopped at the time limit) while it held a chunk. ``position``: the index (in the
    chunk's order) of the run it was in, or None if it was between runs; ``cause``: what happened."""

    def __init__(self, cause: str, position: int | None) -> None:
        super().__init__(cause)
        self.cause, self.position = cause, position


def death_cause(exitcode: int | None) -> str:
    if exitcode is None:
        return "the worker stopped responding"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = {"SIGKILL": " (out of memory, or killed by a user)", "SIGSEGV": " (a crash in compiled code)",
               "SIGABRT": " (an abort in compiled code)", "SIGBUS": " (a crash in compiled code)"}.get(name, "")
        return f"the worker process was killed by {name}{why}"
    return f"the worker process exited with code {exitcode}"


def _serve(conn, progress, slot: int, recycle: int) -> None:
    """A worker: run chunks from the pipe, ``recycle`` of them, then exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's
    from experiments.engine import worker

    worker.IN_POOL = True

    def on_run(position: int, running: bool) -> None:
        progress[2 * slot] = position
        progress[2 * slot + 1] = time.monotonic() if running else -1.0

    worker.ON_RUN = on_run
    conn.send(("ready", os.getpid()))
    for _ in range(recycle):
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, arg = task
        progress[2 * slot], progress[2 * slot + 1] = -1, -1.0
        try:
            result = (True, fn(arg))
        except Exception as exc:
            result = (False, RuntimeError(f"{type(exc).__name__}: {exc}"))
        conn.send(result)


class _Worker:
    def __init__(self, process, conn) -> None:
        self.process, self.conn = process, conn
        self.ready = False
        self.task: tuple[cf.Future, object] | None = None
        self.tasks = 0


class WatchedPool:
    """``submit(fn, arg) -> Future``, ``wait(futures) -> done``, ``close(cancel)``: the driver's side."""

    def __init__(self, workers: int, recycle: int, method: str, preload: list[str], run_timeout: float | None):
        self.ctx = mp.get_context(method)
        if method == "forkserver":
            self.ctx.set_forkserver_preload(preload)
        self.n, self.recycle, self.timeout = workers, recycle, run_timeout
        self.progress = self.ctx.RawArray("d", 2 * workers)
        self.slots: list[_Worker | None] = [None] * workers
        self.queue: deque = deque()
        self.startup_failures = 0
        self.last_exit: int | None = None
        for i in range(workers):
            self._start(i)

    # -- workers -----------------------------------------------------------------------------
    def _start(self, slot: int) -> None:
        parent, child = self.ctx.Pipe()
        self.progress[2 * slot], self.progress[2 * slot + 1] = -1, -1.0
        p = self.ctx.Process(target=_serve, args=(child, self.progress, slot, self.recycle), daemon=True)
        try:
            p.start()
        except (OSError, EOFError, RuntimeError) as exc:
            parent.close()
            raise RunnerError(f"cannot start a pool worker ({type(exc).__name__}: {exc}); run with --executor "
                              "serial, or see the line above") from None
        finally:
            child.close()
        self.slots[slot] = _Worker(p, parent)

    def _gone(self, slot: int, cause: str | None = None) -> None:
        """Worker ``slot`` has exited (or was killed): fail its chunk with the cause, start a replacement."""
        w = self.slots[slot]
        self._drain(slot)
        w.process.join(timeout=5)
        if w.task is not None:
            fut, _ = w.task
            w.task = None
            running = self.progress[2 * slot + 1] > 0
            position = int(self.progress[2 * slot]) if running else None
            if not fut.done():
                fut.set_exception(WorkerLost(cause or death_cause(w.process.exitcode), position))
        if not w.ready:
            self.startup_failures += 1
            self.last_exit = w.process.exitcode
        w.conn.close()
        self.slots[slot] = None
        if self.startup_failures >= STARTUP_FAILURES:
            raise RunnerError(self._startup_message())
        self._start(slot)

    def _startup_message(self) -> str:
        if self.last_exit == EXIT_MAIN_GUARD:
            return ("the pool's workers re-ran the script that started them: call run_experiment(executor='pool') "
                    "under `if __name__ == \"__main__\":`, or pass executor='serial'")
        return (f"pool workers die as they start ({death_cause(self.last_exit)}, {STARTUP_FAILURES} in a row); "
                "if a script starts the pool, call it under `if __name__ == \"__main__\":`; or use --executor serial")

    def _drain(self, slot: int) -> None:
        w = self.slots[slot]
        try:
            while w.conn.poll():
                self._message(slot, w.conn.recv())
        except (EOFError, OSError):
            pass

    def _message(self, slot: int, msg) -> None:
        w = self.slots[slot]
        if isinstance(msg, tuple) and msg and msg[0] == "ready":
            w.ready = True
            self.startup_failures = 0
            return
        if w.task is None:
            return
        fut, _ = w.task
        w.task = None
        w.tasks += 1
        ok, value = msg
        if fut.done():
            return
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)

    # -- the driver's calls ----------------------------------------------------------------------
    def submit(self, fn, arg) -> cf.Future:
        fut: cf.Future = cf.Future()
        self.queue.append((fut, fn, arg))
        self._dispatch()
        return fut

    def _dispatch(self) -> None:
        for slot, w in enumerate(self.slots):
            if not self.queue:
                return
            if w is not None and w.ready and w.task is None and w.tasks < self.recycle:
                fut, fn, arg = self.queue.popleft()
                w.task = (fut, arg)
                self.progress[2 * slot], self.progress[2 * slot + 1] = -1, -1.0
                try:
                    w.conn.send((fn, arg))
                except (OSError, ValueError):
                    pass  # the worker is gone: its sentinel says so below

    def wait(self, futures) -> set:
        while True:
            done = {f for f in futures if f.done()}
            if done:
                return done
            self._dispatch()
            live = [(i, w) for i, w in enumerate(self.slots) if w is not None]
            handles = {w.conn: i for i, w in live} | {w.process.sentinel: i for i, w in live}
            ready = wait_for(list(handles), timeout=self._next_deadline())
            for h in ready:
                slot = handles[h]
                if self.slots[slot] is not None and h is self.slots[slot].conn:
                    self._drain(slot)
            for h in ready:
                slot = handles[h]
                w = self.slots[slot]
                if w is not None and h is w.process.sentinel:
                    self._gone(slot)
            self._check_time_limit()

    def _next_deadline(self) -> float | None:
        if self.timeout is None:
            return None
        starts = [self.progress[2 * i + 1] for i, w in enumerate(self.slots) if w is not None and w.task]
        starts = [s for s in starts if s > 0]
        if not starts:
            return self.timeout
        return max(0.01, min(starts) + self.timeout - time.monotonic())

    def _check_time_limit(self) -> None:
        if self.timeout is None:
            return
        now = time.monotonic()
        for slot, w in enumerate(self.slots):
            start = self.progress[2 * slot + 1]
            if w is not None and w.task is not None and start > 0 and now - start > self.timeout:
                w.process.kill()
                w.process.join(timeout=5)
                self._gone(slot, f"the run went past the time limit of {self.timeout:g} s (its worker was stopped)")

    def close(self, cancel: bool = False) -> None:
        for w in self.slots:
            if w is None:
                continue
            if cancel:
                w.process.terminate()
            else:
                try:
                    w.conn.send(None)
                except (OSError, ValueError):
                    pass
        deadline = time.monotonic() + 10
        for w in self.slots:
            if w is None:
                continue
            w.process.join(timeout=max(0.1, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=5)
            w.conn.close()
        self.slots = [None] * self.n
        for fut, _, _ in self.queue:
            fut.cancel()
        self.queue.clear()
