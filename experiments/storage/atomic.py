"""Atomic whole-file writes: a reader sees the old file or the new one, never a mix (temporary file in
the same folder, flushed, renamed). Used for manifests, tables, figures and the store's parts."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

# fsync makes a write survive a power cut; a killed process needs no fsync (its writes are in the page
# cache already). Tests of SIGKILL safety switch it off to run many trials on a slow disk.
FSYNC = True


# --------------------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give: mkstemp's 0600 would hide results from other users


def fsync(fd: int) -> None:
    if FSYNC:
        os.fsync(fd)


def fsync_dir(directory: Path) -> None:
    if not FSYNC:
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a mix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=1, sort_keys=False, default=_json_default) + "\n")


def atomic_write_frame(path: Path, df) -> None:
    """A pandas DataFrame to CSV, atomically."""
    atomic_write_text(path, df.to_csv(index=False, lineterminator="\n"))


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def read_json(path: Path) -> Any:
    """A JSON file of a results folder (a regular file only: a FIFO or a link is refused, never waited on)."""
    from experiments.storage import untrusted

    return json.loads(untrusted.read_bytes(Path(path)).decode("utf-8"))


def sha256_file(path: Path) -> str:
    from experiments.storage import untrusted

    h = hashlib.sha256()
    with untrusted.open_regular(Path(path)) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
