"""The files of a results folder and the id of a run.

Layout of a results folder (``runs/<name>/``, or ``results/<name>/`` for the shipped ones)::

    manifest.json     what was run, with what, when, and how it went (written first and last)
    journal.jsonl     the commit log: one line per committed part, each line CRC-checked
    parts/            immutable Parquet parts of runs not yet compacted (one set per commit)
    runs.parquet      one row per finished run: run_id, point, replicate, seed, every parameter,
                      every summary key; sorted by run id (after compaction)
    steps.parquet     step data of the sampled runs (point, replicate, step, share_Q1..); if any
    events.parquet    the event log of each run (point, replicate, ...); if asked for
    failures.parquet  runs that raised and have not since succeeded (retried on the next invocation)
    runs.csv          a CSV copy of runs.parquet, if the definition asks for one
    summary.csv, ...  tables and figures (experiments.analysis, experiments.figures)
"""

from __future__ import annotations

MANIFEST = "manifest.json"
JOURNAL = "journal.jsonl"
PARTS = "parts"
LOCK = ".lock"
RUNS_CSV = "runs.csv"
TABLES = ("runs", "steps", "events", "failures")
RUNS = "runs.parquet"  # the compacted runs table (what a user opens)
FAILURES = "failures.parquet"
STEPS = "steps.parquet"
EVENTS = "events.parquet"
LEGACY_STEPS = "steps"  # older runner: one CSV per run in steps/
ID_COLUMNS = ("run_id", "point", "replicate", "seed")
# The raw data of a results folder (git-ignored under results/): without them a folder holds only its
# manifest, tables and figures, as a clone of the repository does.
RAW = (JOURNAL, "*.parquet", PARTS, RUNS_CSV, LEGACY_STEPS)


def run_id(point: int, replicate: int) -> str:
    return f"p{point:05d}_r{replicate:05d}"


def final_name(table: str) -> str:
    return f"{table}.parquet"
