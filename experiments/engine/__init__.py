"""Running an experiment: ``preflight`` (what to run and where, checked before anything is written), ``runner``
(the loop: chunks out, rows committed, resumable), ``schedule`` (which runs next; adaptive replicates),
``executors`` (serial, a process pool, Dask) and ``worker`` (a chunk of runs, as plain data). ``trivial`` is a
model of microseconds per run with the same contract, for tests and benchmarks. The public names::

    from experiments import engine
    p = engine.plan(exp, out="runs/x")
    engine.run_experiment(p, engine.make_executor("pool", 2))
"""

from experiments.engine.executors import RECYCLE, DaskExecutor, PoolExecutor, SerialExecutor, make_executor
from experiments.engine.pool import WorkerLost
from experiments.engine.preflight import MAX_HOURS, Plan, plan, prepare
from experiments.engine.runner import Outcome, run_experiment
from experiments.engine.worker import run_chunk

__all__ = ["MAX_HOURS", "RECYCLE", "DaskExecutor", "Outcome", "Plan", "PoolExecutor", "SerialExecutor", "WorkerLost",
           "make_executor", "plan", "prepare", "run_chunk", "run_experiment"]
