"""The journal of a results folder: one CRC-checked JSON line per commit, naming every data file it
vouches for with its size and SHA-256 (and the key of the definition its runs were made by); and the check
of those files against it.

Why this is crash-safe by construction (docs/RELIABILITY.md has the argument and the tests): a part
is written under a temporary name, flushed to disk and renamed, and only then is its journal line
(with the SHA-256 of every file of the part) appended in one ``write``; a run counts as done only
when its journal line is complete and its checksums match. A SIGKILL at any moment leaves either a
torn last journal line (cut off on the next open: those runs are redone) or the orphan parts of one
commit (deleted). Compaction writes the merged files under temporary names, then atomically replaces the
journal with one record that lists them, the renames still to do and the parts it merged, then renames:
a kill at any point is rolled forward on the next open. Anything else (a changed byte, a missing part, a
spliced journal line) is damage: reported with the command that sets it aside, never read as data.

A journal is untrusted input (:mod:`experiments.storage.untrusted`): a record is read only if every name in it
is one the store writes (so it cannot point outside the folder), every number is a number; a line repeated
is read once, and a file is never counted twice.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

from experiments.storage import untrusted
from experiments.storage.errors import StoreError
from experiments.storage.layout import JOURNAL, TABLES, final_name

_SHA = re.compile(r"[0-9a-f]{64}")
_TOKEN = re.compile(r"[0-9a-f]{8}")
_KEY = re.compile(r"[0-9a-f]{16}")


def encode(record: dict) -> bytes:
    """One journal line: the CRC-32 of the record's JSON, a space, the JSON, a newline."""
    body = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return f"{zlib.crc32(body.encode()):08x} {body}\n".encode()


def decode(line: bytes) -> dict | None:
    """The record of one complete line, or None if it fails its CRC or is not a JSON object."""
    try:
        crc, body = line.split(b" ", 1)
        if int(crc, 16) != zlib.crc32(body):
            return None
        record = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62


def problem(record: dict, first: bool) -> str | None:
    """What is wrong with a record that passed its CRC (a crafted or foreign one), or None."""
    if record.get("kind") not in ("part", "base") or (record["kind"] == "base" and not first):
        return f"an unknown kind of record {untrusted_short(record.get('kind'))}"
    files = record.get("files")
    if not isinstance(files, dict) or not all(isinstance(t, str) and untrusted.TABLE.fullmatch(t) for t in files):
        return "a record without its files"
    for table, f in files.items():
        if not isinstance(f, dict) or not untrusted.data_name(f.get("file"), table):
            name = f.get("file") if isinstance(f, dict) else f
            return f"names {untrusted_short(name)}, not a data file of the runner (a path outside the folder?)"
        if not all(_int(f.get(k)) for k in ("rows", "bytes", "pmin", "pmax")) or f["pmin"] > f["pmax"] \
                or not (isinstance(f.get("sha256"), str) and _SHA.fullmatch(f["sha256"])):
            return f"a malformed entry for {f['file']}"
    rename, remove = record.get("rename", {}), record.get("remove", [])
    if (rename or remove) and not first:
        return "renames after the first line"
    if not isinstance(rename, dict) or not all(
            untrusted.FINAL.fullmatch(str(a)) and isinstance(b, str) and untrusted.COMPACT_TMP.fullmatch(b)
            and b.startswith(f".{a}.") for a, b in rename.items()):
        return f"renames {untrusted_short(rename)}, not the runner's own files"
    if not isinstance(remove, list) or not all(isinstance(n, str) and untrusted.FINAL.fullmatch(n) for n in remove):
        return f"removes {untrusted_short(remove)}, not the runner's own files"
    merged = record.get("merged", [])
    if not isinstance(merged, list) or not all(isinstance(t, str) and _TOKEN.fullmatch(t) for t in merged):
        return "a malformed list of merged parts"
    key = record.get("key")
    if key is not None and not (isinstance(key, str) and _KEY.fullmatch(key)):
        return "a malformed definition key"
    return None


def untrusted_short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:68] + f"… ({len(text):,} characters)"


def read_journal(directory: Path) -> tuple[list[dict], int | None]:
    """The journal's records, and the byte offset of a torn last line (None if the file ends cleanly).

    A complete line that fails its CRC, does not parse or names anything but the store's own files is damage:
    :class:`StoreError`. A line repeated is read once; a file listed twice (with the same checksum) is counted
    once.
    """
    path = Path(directory) / JOURNAL
    try:
        data = untrusted.read_bytes(path)
    except FileNotFoundError:
        return [], None
    except StoreError as exc:
        raise StoreError(damage_message(directory, str(exc))) from None
    records: list[dict] = []
    seen_lines: set[bytes] = set()
    seen_files: dict[str, str] = {}
    offset = 0
    for n, line in enumerate(data.split(b"\n")[:-1], start=1):
        offset += len(line) + 1
        if line in seen_lines:
            continue  # a line repeated (copied twice, a crafted duplicate): its runs are already counted
        seen_lines.add(line)
        record = decode(line)
        if record is None:
            raise StoreError(damage_message(directory, f"{path}: line {n} fails its checksum"))
        why = problem(record, first=not records)
        if why:
            raise StoreError(damage_message(directory, f"{path}: line {n}: {why}"))
        files = {}
        for table, f in record["files"].items():
            if f["file"] in seen_files:
                if seen_files[f["file"]] != f["sha256"]:
                    raise StoreError(damage_message(directory, f"{path}: line {n} lists {f['file']} a second time, "
                                                               "with another checksum"))
                continue
            seen_files[f["file"]] = f["sha256"]
            files[table] = f
        if files or record["kind"] == "base":
            records.append({**record, "files": files})
    return records, (offset if offset < len(data) else None)


def repair_hint(directory: Path) -> str:
    return f"python -m experiments repair --out {directory}"


def damage_message(directory: Path, what: str) -> str:
    return (f"{what}; the results in {directory} are damaged and were not read: run `{repair_hint(directory)}` "
            "to set the damaged files aside (their runs are then run again)")


def files_of(records: list[dict]) -> list[tuple[str, dict]]:
    """(table, file entry) of every data file the journal references."""
    return [(table, f) for rec in records for table, f in rec.get("files", {}).items()]


def keys_of(records: list[dict]) -> set[str]:
    """The definition keys the journal's runs were made by (records written before keys were kept have none)."""
    return {r["key"] for r in records if isinstance(r.get("key"), str)}


def data_files(directory: Path) -> list[Path]:
    """The compacted data files in a folder (links included, never followed): the runner's tables
    (:data:`TABLES`) and any other a model made (``<table>.parquet``)."""
    directory = Path(directory)
    named = [directory / final_name(t) for t in TABLES]
    more = sorted(p for p in directory.glob(final_name("*"))
                  if p not in named and untrusted.FINAL.fullmatch(p.name) and (p.is_symlink() or p.is_file()))
    return [*(p for p in named if p.exists() or p.is_symlink()), *more]


def verify(directory: Path, records: list[dict]) -> list[str]:
    """Problems with the files the journal references (missing, wrong size or checksum, not a regular file), and
    data files the journal does not know (a result file it cannot vouch for is never read)."""
    directory = Path(directory)
    known = {Path(f["file"]).name for _, f in files_of(records)}
    problems = [f"{p}: not in the journal (written by another tool, or the journal was lost)"
                for p in data_files(directory) if p.name not in known]
    return problems + check_files(directory, records)


def check_files(directory: Path, records: list[dict]) -> list[str]:
    """Problems with the files ``records`` reference: missing, not a regular file inside the folder, or not the
    size and checksum recorded."""
    directory = Path(directory)
    parts_problem = untrusted.check_parts_dir(directory)
    problems = []
    for _, f in files_of(records):
        path = directory / f["file"]
        if parts_problem and "/" in f["file"]:
            problems.append(parts_problem)
            continue
        other = untrusted.kind(path)
        if other:
            problems.append(f"{path}: is {other}, not a file the runner wrote")
        elif not path.exists():
            problems.append(f"{path}: missing")
        elif path.stat().st_size != f["bytes"] or sha256(path) != f["sha256"]:
            problems.append(f"{path}: checksum mismatch (changed after it was written)")
    return problems


def sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with untrusted.open_regular(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
