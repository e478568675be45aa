"""``python -m experiments repair``: set a damaged results folder's damaged files aside, never delete them,
and keep every journal record that verifies (the caller holds the folder's lock).

The folder is untrusted: a journal line that names anything but the store's own files is set aside as a line,
and the file it names is never touched; nothing is opened but regular files; files the runner did not write
(a user's notes in ``parts/``) are left where they are and reported."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from experiments.storage import untrusted
from experiments.storage.atomic import atomic_write_bytes
from experiments.storage.errors import StoreError
from experiments.storage.journal import check_files, data_files, decode, encode, problem
from experiments.storage.layout import JOURNAL, PARTS


# --------------------------------------------------------------------------------------------
def repair(directory: Path) -> dict[str, Any]:
    """Move every damaged or unaccounted-for data file of a results folder into ``damaged-<UTC time>/``
    and rewrite the journal with the records that verify; the caller holds the folder's lock.

    Returns what was done: ``moved`` (paths), ``kept`` and ``dropped`` (journal records), ``runs_lost``, and
    ``foreign`` (files the runner did not write, left alone).
    """
    import datetime as dt

    d = Path(directory)
    aside = d / f"damaged-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S')}"
    moved: list[str] = []

    def put_aside(path: Path) -> None:
        if path.exists() or path.is_symlink():  # a link is moved, never followed
            aside.mkdir(exist_ok=True)
            dest = aside / path.name
            os.replace(path, dest)
            moved.append(str(dest))

    data, journal_moved = b"", False
    if untrusted.kind(d / JOURNAL):  # a FIFO, a device or a link in place of the journal: never opened
        put_aside(d / JOURNAL)
        journal_moved = True
    else:
        try:
            data = untrusted.read_bytes(d / JOURNAL)
        except FileNotFoundError:
            pass
    if untrusted.check_parts_dir(d):  # parts/ is a link (out of the folder?) or a file: moved aside whole
        put_aside(d / PARTS)
    records, bad_lines, seen = [], [], set()
    for line in data.split(b"\n"):
        if not line or line in seen:
            continue
        seen.add(line)
        rec = decode(line)
        if rec is not None and problem(rec, first=not records) is None:
            records.append(rec)
        else:
            bad_lines.append(line)
    if bad_lines:
        aside.mkdir(exist_ok=True)
        (aside / "journal-bad-lines.txt").write_bytes(b"\n".join(bad_lines) + b"\n")
        moved.append(str(aside / "journal-bad-lines.txt"))
    if records and ("rename" in records[0] or "remove" in records[0]):
        base = dict(records[0])
        for final, tmp in base.pop("rename", {}).items():
            if untrusted.is_file(d / tmp):
                os.replace(d / tmp, d / final)
        base.pop("remove", None)
        records[0] = base
    kept, dropped, lost, listed = [], 0, 0, set()
    for rec in records:
        names = [f["file"] for f in rec["files"].values()]
        if check_files(d, [rec]) or listed & set(names):
            dropped += 1
            lost += sum(f.get("rows", 0) for t, f in rec["files"].items() if t == "runs")
            for name in names:
                if name not in listed:
                    put_aside(d / name)
        else:
            kept.append(rec)
            listed |= set(names)
    foreign: list[str] = []
    parts = d / PARTS
    if parts.is_dir() and not parts.is_symlink():
        for p in sorted(parts.iterdir()):
            if not untrusted.store_part(p.name) or not untrusted.is_file(p):
                foreign.append(str(p))
            elif f"{PARTS}/{p.name}" not in listed:
                put_aside(p)
    for p in data_files(d):
        if p.name not in listed:
            put_aside(p)
    if bad_lines or dropped or journal_moved or (data and not data.endswith(b"\n")) or len(seen) < data.count(b"\n"):
        atomic_write_bytes(d / JOURNAL, b"".join(encode(r) for r in kept))
    return {"moved": moved, "kept": len(kept), "dropped": dropped + len(bad_lines), "runs_lost": lost,
            "aside": str(aside) if moved else None, "foreign": foreign}


def check_repairable(directory: Path) -> None:
    """Refuse a folder that holds nothing a repair could act on (one line)."""
    d = Path(directory)
    if (d.exists() or d.is_symlink()) and not d.is_dir():
        raise StoreError(f"{d}: is {untrusted.kind(d) or 'a file'}, not a results folder")
    anything = (d / JOURNAL).exists() or (d / JOURNAL).is_symlink() or (d / PARTS).is_symlink() \
        or bool(data_files(d))
    if not anything and (d / PARTS).is_dir():
        anything = any(True for _ in (d / PARTS).iterdir())
    if not anything:
        raise StoreError(f"{d} holds no results to repair")
