"""The one writer of a results folder: immutable Parquet parts committed through the checksummed journal
(:mod:`experiments.storage.journal`), compacted into one sorted file per table when a session completes.
The caller holds the folder's lock (:mod:`experiments.storage.folders`).

What the writer removes without asking is only what it can tell a crash of its own left behind: temporary
files of its own names, and the parts of one interrupted commit (or of a finished compaction). Anything else
it did not write is left alone and reported (:attr:`RunStore.foreign`); parts the journal does not explain
(a lost or edited journal) are damage, set aside by ``repair``, never deleted."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from experiments.storage import atomic, untrusted
from experiments.storage.atomic import atomic_write_bytes, fsync, fsync_dir, sha256_file
from experiments.storage.errors import StoreError
from experiments.storage.journal import damage_message, encode, files_of, read_journal, verify
from experiments.storage.layout import JOURNAL, PARTS, RUNS, RUNS_CSV, TABLES, final_name


class RunStore:
    """The one writer of a results folder (the caller holds its lock). ``key``: the definition's key, kept in
    every journal record (what :mod:`experiments.storage.trust` checks a manifest against)."""

    def __init__(self, directory: Path, key: str | None = None) -> None:
        self.dir = Path(directory)
        self.key = key
        self.records: list[dict] = []
        self.foreign: list[Path] = []  # files in the folder's store that the runner did not write (left alone)
        self._token = uuid.uuid4().hex[:8]
        self._seq = 0

    def open(self, done_before: int = 0, vouched: dict | None = None) -> RunStore:
        """Roll an interrupted compaction forward, cut a torn journal tail, check every file, remove the
        leftovers of a crash (temporary files, one commit's orphan parts). Raises :class:`StoreError` on damage.

        ``done_before``: the runs the folder's manifest says are done (a folder that had runs and has lost its
        journal is damaged, not new); ``vouched``: a manifest's checksummed raw files of a folder shipped
        without its journal, adopted as its compacted base."""
        self.dir.mkdir(parents=True, exist_ok=True)
        records, torn = read_journal(self.dir)
        if torn is not None:
            with open(self.dir / JOURNAL, "rb+") as fh:
                fh.truncate(torn)
                fsync(fh.fileno())
        if not records and vouched and not (self.dir / JOURNAL).exists():
            records = self._adopt(vouched)
        if records and ("rename" in records[0] or "remove" in records[0]):
            records = self._roll_forward(records)
        problems = verify(self.dir, records)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise StoreError(damage_message(self.dir, problems[0] + more))
        self.records = records
        self._remove_leftovers(records, done_before)
        return self

    def _adopt(self, vouched: dict) -> list[dict]:
        record = {"kind": "base", "files": vouched, **({"key": self.key} if self.key else {})}
        if verify(self.dir, [record]):
            return []  # not what the manifest vouches for: verify() below reports the files as unknown
        atomic_write_bytes(self.dir / JOURNAL, encode(record))
        return read_journal(self.dir)[0]

    def _roll_forward(self, records: list[dict]) -> list[dict]:
        """Finish an interrupted compaction: do its renames and removals, then drop them from the journal."""
        base = dict(records[0])
        for final, tmp in base.pop("rename", {}).items():  # names checked by read_journal: the store's own
            if untrusted.is_file(self.dir / tmp):
                os.replace(self.dir / tmp, self.dir / final)
        for name in base.pop("remove", []):  # e.g. a failures file whose runs have all since succeeded
            if untrusted.is_file(self.dir / name):
                (self.dir / name).unlink()
        fsync_dir(self.dir)
        atomic_write_bytes(self.dir / JOURNAL, b"".join(encode(r) for r in [base, *records[1:]]))
        records = read_journal(self.dir)[0]
        self._remove_leftovers(records, 0)
        return records

    def _remove_leftovers(self, records: list[dict], done_before: int) -> None:
        """Remove this store's crash leftovers; report files it did not write; refuse unexplained parts."""
        referenced = {f["file"] for _, f in files_of(records)}
        self.foreign = []
        orphans: list[str] = []
        parts_dir = self.dir / PARTS
        if parts_dir.is_dir() and not parts_dir.is_symlink():
            for p in sorted(parts_dir.iterdir()):
                name = f"{PARTS}/{p.name}"
                if not untrusted.store_part(p.name) or not untrusted.is_file(p):
                    self.foreign.append(p)
                elif name not in referenced:
                    if untrusted.PART.fullmatch(p.name):
                        orphans.append(p.name)
                    else:
                        p.unlink()  # a part's temporary, never renamed: a kill during its write
        if orphans and not _crash_leftovers(orphans, records, done_before):
            raise StoreError(damage_message(self.dir, f"{parts_dir / orphans[0]}: {len(orphans)} part(s) the journal "
                                                      "does not list (was the journal lost or edited?)"))
        for name in orphans:
            (parts_dir / name).unlink()
        for p in self.dir.glob(".*.tmp"):
            if (untrusted.COMPACT_TMP.fullmatch(p.name) or untrusted.ATOMIC_TMP.fullmatch(p.name)) \
                    and untrusted.is_file(p):
                p.unlink()
        with contextlib.suppress(OSError):
            parts_dir.rmdir()  # only if empty

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
        record = {"kind": "part", "files": files, **({"key": self.key} if self.key else {})}
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
            if csv and untrusted.is_file(self.dir / RUNS) and not (self.dir / RUNS_CSV).exists():
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
            rows = parts.merge(sources, self.dir / tmp, dedupe=parts.dedupe_mode(table), keep=keep)
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
        merged = sorted({Path(f["file"]).name[:8] for _, f in files_of(self.records) if "/" in f["file"]})
        base = {"kind": "base", "files": files, "rename": rename, "remove": remove, "merged": merged,
                **({"key": self.key} if self.key else {})}
        atomic_write_bytes(self.dir / JOURNAL, encode(base))
        self.records = self._roll_forward([base])

    def _write_csv(self, parquet: Path) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        fd, tmp = tempfile.mkstemp(prefix=f".{RUNS_CSV}.", suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as fh, untrusted.open_regular(parquet) as src:
                pf = pq.ParquetFile(src)
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

        from experiments.storage import parts

        for src in self.sources("runs"):
            cols = [c for c in columns if c in parts.read_schema(src.path)]  # a results table (checked)
            with untrusted.open_regular(src.path) as fh:
                for batch in pq.ParquetFile(fh).iter_batches(columns=cols, batch_size=65_536):
                    yield {c: batch.column(c).to_numpy(zero_copy_only=False) for c in cols}


def _crash_leftovers(orphans: list[str], records: list[dict], done_before: int) -> bool:
    """Whether parts the journal does not list are what a kill leaves: the parts of a finished compaction (their
    token is among those the journal's base merged), or those of one commit that never reached the journal
    (one token, at most one part per table, numbered after every part of that token the journal lists) in a
    folder whose journal is not missing."""
    merged = set(records[0].get("merged", [])) if records else set()
    rest = [n for n in orphans if n[:8] not in merged]
    if not rest:
        return True
    tokens = {n[:8] for n in rest}
    tables = [n.split(".")[1] for n in rest]
    if len(tokens) != 1 or len(set(tables)) != len(tables) or (not records and done_before > 0):
        return False
    token = tokens.pop()
    listed = [int(Path(f["file"]).name[9:15]) for _, f in files_of(records)
              if "/" in f["file"] and Path(f["file"]).name[:8] == token]
    return min(int(n[9:15]) for n in rest) > max(listed, default=0)
