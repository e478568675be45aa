"""Results on disk: the only code that touches a results folder's files, treating a folder as untrusted input.

``layout`` (file names), ``atomic`` (whole-file writes), ``parts`` (Parquet parts and their sorted merge),
``journal`` (the checksummed commit log), ``store`` (the one writer), ``readers`` (``load_runs`` and the
others), ``folders`` (where results go; one writer per folder), ``repair``, ``provenance`` (what a manifest
records), ``errors``. The readers and file names are handed on here::

    from experiments import storage
    runs = storage.load_runs("runs/baseline")      # a DataFrame, one row per run
"""

from experiments.storage.atomic import atomic_write_frame, atomic_write_json, atomic_write_text, read_json
from experiments.storage.errors import RunnerError, StoreError
from experiments.storage.layout import (
    EVENTS,
    FAILURES,
    JOURNAL,
    MANIFEST,
    PARTS,
    RAW,
    RUNS,
    RUNS_CSV,
    STEPS,
    TABLES,
    run_id,
)
from experiments.storage.readers import iter_runs, load_events, load_failures, load_runs, load_steps, load_table

__all__ = ["EVENTS", "FAILURES", "JOURNAL", "MANIFEST", "PARTS", "RAW", "RUNS", "RUNS_CSV", "STEPS", "TABLES",
           "RunnerError", "StoreError", "atomic_write_frame", "atomic_write_json", "atomic_write_text", "iter_runs",
           "load_events", "load_failures", "load_runs", "load_steps", "load_table", "read_json", "run_id"]
