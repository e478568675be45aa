"""Results on disk: immutable Parquet parts committed through a checksummed journal, compacted into
one sorted file per table; atomic JSON/CSV writes; the ``load_*`` functions every reader uses.

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
    summary.csv, ...  tables and figures (analysis.py, plots.py)

Why this is crash-safe by construction (docs/RELIABILITY.md has the argument and the tests): a part
is written under a temporary name, flushed to disk and renamed, and only then is its journal line
(with the SHA-256 of every file of the part) appended in one ``write``; a run counts as done only
when its journal line is complete and its checksums match. A SIGKILL at any moment leaves either a
torn last journal line (cut off on the next open: those runs are redone) or an orphan part (deleted).
Compaction writes the merged files under temporary names, then atomically replaces the journal with
one record that lists them and the renames still to do, then renames: a kill at any point is rolled
forward on the next open. Anything else (a changed byte, a missing part, a spliced journal line) is
damage: reported with the command that sets it aside, never read as data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from experiments import atomic
from experiments.atomic import (  # noqa: F401  (re-exported: store.atomic_write_json etc. are public)
    _fsync,
    _fsync_dir,
    atomic_write_bytes,
    atomic_write_frame,
    atomic_write_json,
    atomic_write_text,
    read_json,
    sha256_file,
)

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


class StoreError(RuntimeError):
    """A damaged results folder; the message names the file and the command that fixes it."""


def run_id(point: int, replicate: int) -> str:
    return f"p{point:05d}_r{replicate:05d}"


def final_name(table: str) -> str:
    return f"{table}.parquet"


# --------------------------------------------------------------------------------------------
# atomic whole-file writes
# ---------------------------------------------------------------------------------------------------------------------
def _encode(record: dict) -> bytes:
    body = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return f"{zlib.crc32(body.encode()):08x} {body}\n".encode()


def read_journal(directory: Path) -> tuple[list[dict], int | None]:
    """The journal's records, and the byte offset of a torn last line (None if the file ends cleanly).

    A complete line that fails its CRC or does not parse is damage: :class:`StoreError`.
    """
    path = Path(directory) / JOURNAL
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], None
    records, offset, torn = [], 0, None
    for line in data.split(b"\n")[:-1]:
        try:
            crc, body = line.split(b" ", 1)
            ok = int(crc, 16) == zlib.crc32(body)
            record = json.loads(body) if ok else None
        except ValueError:
            ok, record = False, None
        if not ok or not isinstance(record, dict):
            raise StoreError(_damage_msg(directory, f"{path}: line {len(records) + 1} fails its checksum"))
        records.append(record)
        offset += len(line) + 1
    if offset < len(data):
        torn = offset
    return records, torn


def repair_hint(directory: Path) -> str:
    return f"python -m experiments repair --out {directory}"


def _damage_msg(directory: Path, what: str) -> str:
    return (f"{what}; the results in {directory} are damaged and were not read: run `{repair_hint(directory)}` "
            "to set the damaged files aside (their runs are then run again)")


def _files(records: list[dict]) -> list[tuple[str, dict]]:
    """(table, file entry) of every data file the journal references."""
    return [(table, f) for rec in records for table, f in rec.get("files", {}).items()]


def verify(directory: Path, records: list[dict]) -> list[str]:
    """Problems with the files the journal references (missing, wrong size or checksum), and data files
    the journal does not know (a result file it cannot vouch for is never read)."""
    known = {Path(f["file"]).name for _, f in _files(records)}
    problems = [f"{p}: not in the journal (written by another tool, or the journal was lost)"
                for p in (Path(directory) / final_name(t) for t in TABLES) if p.exists() and p.name not in known]
    return problems + _check_files(directory, records)


def _check_files(directory: Path, records: list[dict]) -> list[str]:
    problems = []
    for _, f in _files(records):
        path = Path(directory) / f["file"]
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.stat().st_size != f["bytes"] or sha256_file(path) != f["sha256"]:
            problems.append(f"{path}: checksum mismatch (changed after it was written)")
    return problems


# --------------------------------------------------------------------------------------------
# the writer
# --------------------------------------------------------------------------------------------
class RunStore:
    """The one writer of a results folder (the caller holds its lock)."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.records: list[dict] = []
        self._token = uuid.uuid4().hex[:8]
        self._seq = 0

    def open(self) -> RunStore:
        """Roll an interrupted compaction forward, cut a torn journal tail, check every file, remove
        leftovers of a crash (orphan parts, temporary files). Raises :class:`StoreError` on damage."""
        self.dir.mkdir(parents=True, exist_ok=True)
        records, torn = read_journal(self.dir)
        if torn is not None:
            with open(self.dir / JOURNAL, "rb+") as fh:
                fh.truncate(torn)
                _fsync(fh.fileno())
        if records and ("rename" in records[0] or "remove" in records[0]):
            self._roll_forward(records)
            records = read_journal(self.dir)[0]
        problems = verify(self.dir, records)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(_damage_msg(self.dir, problems[0] + more))
        self.records = records
        self._remove_leftovers()
        return self

    def _roll_forward(self, records: list[dict]) -> None:
        """Finish an interrupted compaction: do its renames and removals, then drop them from the journal."""
        base = dict(records[0])
        for final, tmp in base.pop("rename", {}).items():
            if (self.dir / tmp).exists():
                os.replace(self.dir / tmp, self.dir / final)
        for name in base.pop("remove", []):  # e.g. a failures file whose runs have all since succeeded
            with contextlib.suppress(FileNotFoundError):
                (self.dir / name).unlink()
        _fsync_dir(self.dir)
        atomic_write_bytes(self.dir / JOURNAL, b"".join(_encode(r) for r in [base, *records[1:]]))
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        referenced = {Path(f["file"]).name for _, f in _files(self.records)}
        for p in [*(self.dir / PARTS).glob("*"), *self.dir.glob(".*.tmp")]:
            if p.name not in referenced and p.is_file():
                p.unlink()
        with contextlib.suppress(OSError):
            (self.dir / PARTS).rmdir()  # only if empty

    def sources(self, table: str):
        from experiments.parts import Source

        return [Source(self.dir / f["file"], f["rows"], f["pmin"], f["pmax"])
                for rec in self.records for t, f in rec.get("files", {}).items() if t == table and f["rows"]]

    def commit(self, tables: dict[str, list[dict]], parameters: list[str] | None = None) -> None:
        """Commit the rows of some finished runs: every table's part first, then one journal line."""
        from experiments.parts import to_table

        files = {}
        for table, rows in tables.items():
            if not rows:
                continue
            self._seq += 1
            rel = f"{PARTS}/{self._token}-{self._seq:06d}.{table}.parquet"
            (self.dir / PARTS).mkdir(exist_ok=True)
            files[table] = self._write_part(self.dir / rel, to_table(rows, parameters if table == "runs" else None))
            files[table]["file"] = rel
        if not files:
            return
        record = {"kind": "part", "files": files}
        fd = os.open(self.dir / JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, _encode(record))  # the commit point: one write of one complete line
            _fsync(fd)
        finally:
            os.close(fd)
        self.records.append(record)

    @staticmethod
    def _write_part(path: Path, table) -> dict:
        import io

        import pyarrow.parquet as pq

        from experiments.parts import WRITE_OPTIONS

        buf = io.BytesIO()
        pq.write_table(table, buf, **WRITE_OPTIONS)
        data = buf.getvalue()
        atomic_write_bytes(path, data)
        points = table.column("point").to_numpy()
        return {"rows": table.num_rows, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "pmin": int(points.min()), "pmax": int(points.max())}

    def compact(self, keep_failure=None, csv: bool = False) -> None:
        """Merge every table's parts (and its previous compacted file) into one sorted file."""
        from experiments import parts

        if not any(r.get("kind") == "part" for r in self.records):
            if csv and (self.dir / RUNS).exists() and not (self.dir / RUNS_CSV).exists():
                self._write_csv(self.dir / RUNS)
            return
        files, rename = {}, {}
        for table in TABLES:
            sources = self.sources(table)
            if not sources:
                continue
            final = final_name(table)
            tmp = f".{final}.{self._token}.tmp"
            keep = keep_failure if table == "failures" else None
            rows = parts.merge(sources, self.dir / tmp, dedupe=table in ("runs", "failures"), keep=keep)
            if rows == 0:
                (self.dir / tmp).unlink()
                continue
            if atomic.FSYNC:
                with open(self.dir / tmp, "rb") as fh:
                    os.fsync(fh.fileno())
            span = [(s.pmin, s.pmax) for s in sources]
            files[table] = {"file": final, "rows": rows, "bytes": (self.dir / tmp).stat().st_size,
                            "sha256": sha256_file(self.dir / tmp), "pmin": min(a for a, _ in span),
                            "pmax": max(b for _, b in span)}
            rename[final] = tmp
        if csv and "runs" in files:
            self._write_csv(self.dir / rename[RUNS])
        # the commit point of a compaction: the journal now names the merged files and the renames to do
        remove = [final_name(t) for t in TABLES if t not in files and (self.dir / final_name(t)).exists()]
        base = {"kind": "base", "files": files, "rename": rename, "remove": remove}
        atomic_write_bytes(self.dir / JOURNAL, _encode(base))
        self.records = [base]
        self._roll_forward(self.records)
        self.records = read_journal(self.dir)[0]

    def _write_csv(self, parquet: Path) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        fd, tmp = tempfile.mkstemp(prefix=f".{RUNS_CSV}.", suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                pf = pq.ParquetFile(parquet)
                with pacsv.CSVWriter(fh, pf.schema_arrow) as writer:
                    for i in range(pf.num_row_groups):
                        writer.write_table(pf.read_row_group(i))
                fh.flush()
                _fsync(fh.fileno())
            os.replace(tmp, self.dir / RUNS_CSV)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def done_runs(self, columns: tuple[str, ...] = ("point", "replicate")) -> Iterator[dict[str, Any]]:
        """Columns of every committed run, batch by batch (numpy arrays; any order)."""
        import pyarrow.parquet as pq

        for src in self.sources("runs"):
            pf = pq.ParquetFile(src.path)
            cols = [c for c in columns if c in pf.schema_arrow.names]
            for batch in pf.iter_batches(columns=cols, batch_size=65_536):
                yield {c: batch.column(c).to_numpy(zero_copy_only=False) for c in cols}


# --------------------------------------------------------------------------------------------
# readers (what analysis, plots, the API and users call)
# --------------------------------------------------------------------------------------------
def _snapshot(directory: Path) -> list[dict]:
    """The journal's records with every referenced file checked (a torn last line is ignored: a writer
    was killed while committing, those runs are not done)."""
    records, _ = read_journal(directory)
    if records and ("rename" in records[0] or "remove" in records[0]):
        raise FileNotFoundError("a compaction is being finished")  # retried by the caller
    problems = verify(directory, records)
    if problems:
        raise StoreError(_damage_msg(Path(directory), problems[0]))
    return records


def _read_table(directory: Path, table: str, columns: list[str] | None = None):
    """The whole table, sorted by (point, replicate), as an Arrow table (None when absent)."""
    import pyarrow as pa

    from experiments import parts

    directory = Path(directory)
    for attempt in range(5):  # a writer may compact (and remove parts) between our reads
        try:
            records = _snapshot(directory)
            sources = [parts.Source(directory / f["file"], f["rows"], f["pmin"], f["pmax"])
                       for t, f in _files(records) if t == table and f["rows"]]
            if not sources:
                return None
            if len(sources) == 1 and sources[0].path.name == final_name(table):  # compacted: sorted already
                cols = None if columns is None else [c for c in columns if c in parts.read_schema(sources[0].path)]
                return parts.read(sources[0].path, columns=cols)
            schema = parts.unify([parts.pq.read_schema(s.path) for s in sources])
            blocks = list(parts.sorted_blocks(sources, schema, columns, dedupe=table in ("runs", "failures")))
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
    if not (directory / JOURNAL).exists() and (directory / RUNS_CSV).exists() and not (directory / RUNS).exists():
        return _legacy_runs(directory)
    return _frame(_read_table(directory, "runs", columns))


def load_steps(directory: Path):
    """Step data of the sampled runs (point, replicate, step, share_Q1..), sorted; empty when absent."""
    directory = Path(directory)
    if not (directory / JOURNAL).exists() and (directory / LEGACY_STEPS).is_dir():
        return _legacy_steps(directory)
    return _frame(_read_table(directory, "steps"))


def load_events(directory: Path):
    """The event log of each run (point, replicate, then the model's event columns); empty when absent."""
    return _frame(_read_table(Path(directory), "events"))


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
    from experiments import parts

    directory = Path(directory)
    records = _snapshot(directory)
    sources = [parts.Source(directory / f["file"], f["rows"], f["pmin"], f["pmax"])
               for t, f in _files(records) if t == "runs" and f["rows"]]
    if not sources:
        return
    schema = parts.unify([parts.pq.read_schema(s.path) for s in sources])
    for block in parts.sorted_blocks(sources, schema, columns, dedupe=True, block_rows=rows):
        yield _frame(block)


def _legacy_runs(directory: Path):
    import pandas as pd

    df = pd.read_csv(directory / RUNS_CSV, on_bad_lines="skip")
    if "run_id" not in df.columns:
        raise StoreError(_damage_msg(directory, f"{directory / RUNS_CSV}: no header row"))
    return df.drop_duplicates("run_id").sort_values("run_id").reset_index(drop=True)


def _legacy_steps(directory: Path):
    import pandas as pd

    files = sorted((directory / LEGACY_STEPS).glob("p*_r*.csv"))
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True) if files else pd.DataFrame()
