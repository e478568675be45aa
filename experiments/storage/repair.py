"""``python -m experiments repair``: set a damaged results folder's damaged files aside, never delete them,
and keep every journal record that verifies (the caller holds the folder's lock)."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

from experiments.storage.atomic import atomic_write_bytes
from experiments.storage.journal import check_files, data_files, encode, files_of
from experiments.storage.layout import JOURNAL, PARTS


# --------------------------------------------------------------------------------------------
def repair(directory: Path) -> dict[str, Any]:
    """Move every damaged or unaccounted-for data file of a results folder into ``damaged-<UTC time>/``
    and rewrite the journal with the records that verify; the caller holds the folder's lock.

    Returns what was done: ``moved`` (paths), ``kept`` and ``dropped`` (journal records), ``runs_lost``.
    """
    import datetime as dt
    import shutil

    d = Path(directory)
    aside = d / f"damaged-{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S')}"
    moved: list[str] = []

    def put_aside(path: Path) -> None:
        if path.exists():
            aside.mkdir(exist_ok=True)
            dest = aside / path.name
            shutil.move(str(path), dest)
            moved.append(str(dest))

    try:
        data = (d / JOURNAL).read_bytes()
    except FileNotFoundError:
        data = b""
    records, bad_lines = [], []
    for line in data.split(b"\n"):
        if not line:
            continue
        try:
            crc, body = line.split(b" ", 1)
            rec = json.loads(body) if int(crc, 16) == zlib.crc32(body) else None
        except ValueError:
            rec = None
        if isinstance(rec, dict):
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
            if (d / tmp).exists():
                os.replace(d / tmp, d / final)
        base.pop("remove", None)
        records[0] = base
    kept, dropped, lost = [], 0, 0
    for rec in records:
        if check_files(d, [rec]):
            dropped += 1
            lost += sum(f.get("rows", 0) for t, f in rec.get("files", {}).items() if t == "runs")
            for _, f in rec.get("files", {}).items():
                put_aside(d / f["file"])
        else:
            kept.append(rec)
    referenced = {Path(f["file"]).name for _, f in files_of(kept)}
    for p in [*(d / PARTS).glob("*"), *data_files(d)]:
        if p.is_file() and p.name not in referenced:
            put_aside(p)
    if bad_lines or dropped or (data and not data.endswith(b"\n")):
        atomic_write_bytes(d / JOURNAL, b"".join(encode(r) for r in kept))
    return {"moved": moved, "kept": len(kept), "dropped": dropped + len(bad_lines), "runs_lost": lost,
            "aside": str(aside) if moved else None}
