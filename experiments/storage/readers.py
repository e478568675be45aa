"""Reading a results folder: the ``load_*`` functions every reader uses (analysis, figures, the API,
users), and :func:`iter_runs` for analyses that must not hold every run. Only files the journal vouches
for are read (or, in a folder shipped without its journal, the raw runs its manifest vouches for), and only
regular files; damage raises :class:`~experiments.storage.errors.StoreError`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from experiments.storage import untrusted
from experiments.storage.errors import StoreError
from experiments.storage.journal import damage_message, files_of, problem, read_journal, verify
from experiments.storage.layout import JOURNAL, LEGACY_STEPS, MANIFEST, RUNS, RUNS_CSV, final_name


def shipped_raw(directory: Path) -> dict | None:
    """The raw files a folder's manifest vouches for (``raw``: what ``run --shipped`` keeps of a small
    experiment, its ``runs.parquet``, whose journal is not shipped), if the record is well formed."""
    from experiments.storage.atomic import read_json

    try:
        raw = read_json(Path(directory) / MANIFEST).get("raw")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(raw, dict) or not raw or problem({"kind": "base", "files": raw}, first=True):
        return None
    return raw


def _snapshot(directory: Path) -> list[dict]:
    """The journal's records with every referenced file checked (a torn last line is ignored: a writer
    was killed while committing, those runs are not done)."""
    directory = Path(directory)
    records, _ = read_journal(directory)
    if not records and not (directory / JOURNAL).exists() and (raw := shipped_raw(directory)):
        records = [{"kind": "base", "files": raw}]
    if records and ("rename" in records[0] or "remove" in records[0]):
        raise FileNotFoundError("a compaction is being finished")  # retried by the caller
    problems = verify(directory, records)
    if problems:
        raise StoreError(damage_message(Path(directory), problems[0]))
    return records


def _read_table(directory: Path, table: str, columns: list[str] | None = None):
    """The whole table, sorted by (point, replicate), as an Arrow table (None when absent)."""
    import pyarrow as pa

    from experiments.storage import parts

    directory = Path(directory)
    for attempt in range(5):  # a writer may compact (and remove parts) between our reads
        try:
            records = _snapshot(directory)
            sources = [parts.Source(directory / f["file"], f["rows"], f["pmin"], f["pmax"])
                       for t, f in files_of(records) if t == table and f["rows"]]
            if not sources:
                return None
            if len(sources) == 1 and sources[0].path.name == final_name(table):  # compacted: sorted already
                cols = None if columns is None else [c for c in columns if c in parts.read_schema(sources[0].path)]
                return parts.read(sources[0].path, columns=cols)
            schema = parts.unify([parts.schema_of(s.path) for s in sources])
            blocks = list(parts.sorted_blocks(sources, schema, columns, dedupe=parts.dedupe_mode(table)))
            return pa.concat_tables(blocks) if blocks else None
        except FileNotFoundError:
            if attempt == 4:
                raise
            import time

            time.sleep(0.2)
    return None


def _frame(table):
    import pandas as pd

    if table is None:
        return pd.DataFrame()
    df = table.to_pandas()
    meta = (table.schema.metadata or {}).get(b"experiments.parameter_columns")
    if meta:
        df.attrs["parameter_columns"] = [c for c in json.loads(meta) if c in df.columns]
    return df


def load_runs(directory: Path, columns: list[str] | None = None):
    """Every finished run as a DataFrame sorted by run id: run_id, point, replicate, seed, every parameter,
    every summary key (empty when there are none). ``df.attrs["parameter_columns"]`` names the parameter
    columns. Raises :class:`StoreError` if the folder is damaged."""
    directory = Path(directory)
    if not (directory / JOURNAL).exists() and (directory / RUNS_CSV).exists() and not (directory / RUNS).exists() \
            and not shipped_raw(directory):
        return _legacy_runs(directory)
    return _frame(_read_table(directory, "runs", columns))


def load_steps(directory: Path):
    """Step data of the sampled runs (point, replicate, step, share_Q1..), sorted; empty when absent."""
    directory = Path(directory)
    legacy = directory / LEGACY_STEPS
    if not (directory / JOURNAL).exists() and legacy.is_dir() and not legacy.is_symlink():
        return _legacy_steps(directory)
    return _frame(_read_table(directory, "steps"))


def load_events(directory: Path):
    """The event log of each run (point, replicate, then the model's event columns); empty when absent."""
    return _frame(_read_table(Path(directory), "events"))


def load_table(directory: Path, table: str, columns: list[str] | None = None):
    """Any table of the folder by name (point, replicate, then its columns), sorted; empty when absent: e.g. the
    ``timeline`` a model made for every run when the figures asked for it."""
    return _frame(_read_table(Path(directory), table, columns))


def load_failures(directory: Path):
    """Runs that raised and have not since succeeded (run_id, point, replicate, seed, error)."""
    df = _frame(_read_table(Path(directory), "failures"))
    if df.empty:
        return df
    done = load_runs(directory, columns=["point", "replicate"])
    if done.empty:
        return df
    ok = set(zip(done["point"], done["replicate"]))
    return df[[k not in ok for k in zip(df["point"], df["replicate"])]].reset_index(drop=True)


def iter_runs(directory: Path, columns: list[str] | None = None, rows: int = 32_768) -> Iterator:
    """The runs in run-id order, ``rows`` at a time (about), as DataFrames: for analyses that must not hold
    every run in memory."""
    from experiments.storage import parts

    directory = Path(directory)
    records = _snapshot(directory)
    sources = [parts.Source(directory / f["file"], f["rows"], f["pmin"], f["pmax"])
               for t, f in files_of(records) if t == "runs" and f["rows"]]
    if not sources:
        return
    schema = parts.unify([parts.schema_of(s.path) for s in sources])
    for block in parts.sorted_blocks(sources, schema, columns, dedupe="first", block_rows=rows):
        yield _frame(block)


def _legacy_runs(directory: Path):
    import pandas as pd

    try:
        with untrusted.open_regular(directory / RUNS_CSV) as fh:
            df = pd.read_csv(fh, on_bad_lines="skip")
    except (ValueError, pd.errors.ParserError) as exc:
        raise StoreError(damage_message(directory, f"{directory / RUNS_CSV}: unreadable ({exc})")) from None
    if "run_id" not in df.columns:
        raise StoreError(damage_message(directory, f"{directory / RUNS_CSV}: no header row"))
    return df.drop_duplicates("run_id").sort_values("run_id").reset_index(drop=True)


def _legacy_steps(directory: Path):
    import pandas as pd

    files = sorted(f for f in (directory / LEGACY_STEPS).glob("p*_r*.csv") if untrusted.is_file(f))
    frames = []
    for f in files:
        with untrusted.open_regular(f) as fh:
            frames.append(pd.read_csv(fh))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
