"""The journal of a results folder: one CRC-checked JSON line per commit, naming every data file it
vouches for with its size and SHA-256; and the check of those files against it.

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

import json
import zlib
from pathlib import Path

from experiments.storage.atomic import sha256_file
from experiments.storage.errors import StoreError
from experiments.storage.layout import JOURNAL, TABLES, final_name


def encode(record: dict) -> bytes:
    """One journal line: the CRC-32 of the record's JSON, a space, the JSON, a newline."""
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
            raise StoreError(damage_message(directory, f"{path}: line {len(records) + 1} fails its checksum"))
        records.append(record)
        offset += len(line) + 1
    if offset < len(data):
        torn = offset
    return records, torn


def repair_hint(directory: Path) -> str:
    return f"python -m experiments repair --out {directory}"


def damage_message(directory: Path, what: str) -> str:
    return (f"{what}; the results in {directory} are damaged and were not read: run `{repair_hint(directory)}` "
            "to set the damaged files aside (their runs are then run again)")


def files_of(records: list[dict]) -> list[tuple[str, dict]]:
    """(table, file entry) of every data file the journal references."""
    return [(table, f) for rec in records for table, f in rec.get("files", {}).items()]


def data_files(directory: Path) -> list[Path]:
    """The compacted data files in a folder: the runner's tables (:data:`TABLES`) and any other a model made."""
    named = [Path(directory) / final_name(t) for t in TABLES]
    return [*(p for p in named if p.exists()),
            *sorted(p for p in Path(directory).glob(final_name("*")) if p not in named and p.is_file())]


def verify(directory: Path, records: list[dict]) -> list[str]:
    """Problems with the files the journal references (missing, wrong size or checksum), and data files
    the journal does not know (a result file it cannot vouch for is never read)."""
    known = {Path(f["file"]).name for _, f in files_of(records)}
    problems = [f"{p}: not in the journal (written by another tool, or the journal was lost)"
                for p in data_files(directory) if p.name not in known]
    return problems + check_files(directory, records)


def check_files(directory: Path, records: list[dict]) -> list[str]:
    """Problems with the files ``records`` reference: missing, or not the size and checksum recorded."""
    problems = []
    for _, f in files_of(records):
        path = Path(directory) / f["file"]
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.stat().st_size != f["bytes"] or sha256_file(path) != f["sha256"]:
            problems.append(f"{path}: checksum mismatch (changed after it was written)")
    return problems
