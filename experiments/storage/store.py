"""The one writer of a results folder: immutable Parquet parts committed through the checksummed journal
(:mod:`experiments.storage.journal`), compacted into one sorted file per table when a session completes.
The caller holds the folder's lock (:mod:`experiments.storage.folders`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from experiments.storage import atomic
from experiments.storage.atomic import atomic_write_bytes, fsync, fsync_dir, sha256_file
from experiments.storage.errors import StoreError
from experiments.storage.journal import damage_message, encode, files_of, read_journal, verify
from experiments.storage.layout import JOURNAL, PARTS, RUNS, RUNS_CSV, TABLES, final_name


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
                fsync(fh.fileno())
        if records and ("rename" in records[0] or "remove" in records[0]):
            self._roll_forward(records)
            records = read_journal(self.dir)[0]
        problems = verify(self.dir, records)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(damage_message(self.dir, problems[0] + more))
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
        fsync_dir(self.dir)
        atomic_write_bytes(self.dir / JOURNAL, b"".join(encode(r) for r in [base, *records[1:]]))
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        referenced = {Path(f["file"]).name for _, f in files_of(self.records)}
        for p in [*(self.dir / PARTS).glob("*"), *self.dir.glob(".*.tmp")]:
            if p.name not in referenced and p.is_file():
                p.unlink()
        with contextlib.suppress(OSError):
            (self.dir / PARTS).rmdir()  # only if empty

    def table_names(self) -> list[str]:
        """The tables this folder holds: the runner's own (:data:`TABLES`), then any other a model made (e.g. a
        ``timeline``), by name."""
        more = {t for rec in self.records for t in rec.get("files", {})} - set(TABLES)
        return [*TABLES, *sorted(more)]

    def sources(self, table: str):
        from experiments.storage.parts import Source

        return [Source(self.dir / f["file"], f["rows"], f["pmin"], f["pmax"])
                for rec in self.records for t, f in rec.get("files", {}).items() if t == table and f["rows"]]

    def commit(self, tables: dict[str, list[dict]], parameters: list[str] | None = None) -> None:
        """Commit the rows of some finished runs: every table's part first, then one journal line."""
        from experiments.storage.parts import to_table

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
            os.write(fd, encode(record))  # the commit point: one write of one complete line
            fsync(fd)
        finally:
            os.close(fd)
        self.records.append(record)

    @staticmethod
    def _write_part(path: Path, table) -> dict:
        import io

        import pyarrow.parquet as pq

        from experiments.storage.parts import WRITE_OPTIONS

        buf = io.BytesIO()
        pq.write_table(table, buf, **WRITE_OPTIONS)
        data = buf.getvalue()
        atomic_write_bytes(path, data)
        points = table.column("point").to_numpy()
        return {"rows": table.num_rows, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "pmin": int(points.min()), "pmax": int(points.max())}

    def compact(self, keep_failure=None, csv: bool = False) -> None:
        """Merge every table's parts (and its previous compacted file) into one sorted file."""
        from experiments.storage import parts

        if not any(r.get("kind") == "part" for r in self.records):
            if csv and (self.dir / RUNS).exists() and not (self.dir / RUNS_CSV).exists():
                self._write_csv(self.dir / RUNS)
            return
        files, rename = {}, {}
        names = self.table_names()
        for table in names:
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
        remove = [final_name(t) for t in names if t not in files and (self.dir / final_name(t)).exists()]
        base = {"kind": "base", "files": files, "rename": rename, "remove": remove}
        atomic_write_bytes(self.dir / JOURNAL, encode(base))
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
                fsync(fh.fileno())
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
