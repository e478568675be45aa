"""A results folder is untrusted input (a co-author's zip, a replication package): every file the store reads is
opened here, and every name read from a journal or a manifest is checked here before it is used.

- Only regular files are read: a FIFO would block a reader forever, a device is no result, a symbolic link may
  point anywhere (``O_NOFOLLOW``: a link is refused, not followed; ``O_NONBLOCK``: opening a FIFO never waits).
- A name read from a journal is one of the names the store writes (``parts/<token>-<n>.<table>.parquet`` or
  ``<table>.parquet``; a compaction's ``.<table>.parquet.<token>.tmp``), so it never leaves the folder: no
  ``..``, no absolute path, no other file; and the folder's ``parts/`` must not be a link out of it.
- Files are recognised by name: the store removes only what it can tell it wrote (a crash's leftovers), and
  leaves anything else alone, reporting it.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import BinaryIO

from experiments.storage.errors import StoreError
from experiments.storage.layout import PARTS

_T = "[a-z][a-z0-9_]{0,63}"  # a table name: the runner's (runs, steps, events, failures) or one a model made
TABLE = re.compile(_T)
PART = re.compile(rf"[0-9a-f]{{8}}-[0-9]{{6}}\.(?:{_T})\.parquet")  # a file in parts/
FINAL = re.compile(rf"(?:{_T})\.parquet")
COMPACT_TMP = re.compile(rf"\.(?:{_T})\.parquet\.[0-9a-f]{{8}}\.tmp")  # a compaction's merged file, before renaming
ATOMIC_TMP = re.compile(r"\.[A-Za-z0-9_.-]+\.[A-Za-z0-9_]{8}\.tmp")  # atomic_write_bytes's temporary (mkstemp)
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def what(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


class NotRegular(StoreError):
    """A path that is not a regular file where the store expects one (a FIFO, a device, a link, a folder)."""


def open_regular(path: Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (not a link, FIFO, device or folder); else
    :class:`NotRegular`. ``FileNotFoundError`` as ``open`` raises it."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW on a symbolic link
            raise NotRegular(f"{path}: is a symbolic link, not a file the runner wrote") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegular(f"{path}: is {what(mode)}, not a file the runner wrote")
    return os.fdopen(fd, "rb")


def read_bytes(path: Path) -> bytes:
    with open_regular(path) as fh:
        return fh.read()


def kind(path: Path) -> str | None:
    """None for a regular file or nothing at all; else what the path is (``a FIFO``, ``a symbolic link``, ...)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISREG(mode) else what(mode)


def is_file(path: Path) -> bool:
    """A regular file (a link is not followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def inside(directory: Path, path: Path) -> bool:
    """Whether ``path`` (links resolved) lies in ``directory`` (links resolved)."""
    root = os.path.realpath(directory)
    return os.path.realpath(path).startswith(root.rstrip(os.sep) + os.sep)


def data_name(name: object, table: str | None = None) -> bool:
    """A data file's name as the store writes it in a journal: ``<table>.parquet`` or ``parts/<part>``."""
    if not isinstance(name, str):
        return False
    ok = FINAL.fullmatch(name) or (name.startswith(PARTS + "/") and PART.fullmatch(name[len(PARTS) + 1:]))
    return bool(ok) and (table is None or name.endswith(f".{table}.parquet") or name == f"{table}.parquet")


def check_parts_dir(directory: Path) -> str | None:
    """A problem with ``parts/`` (a link or not a folder), or None."""
    p = Path(directory) / PARTS
    try:
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        return None
    return None if stat.S_ISDIR(mode) else f"{p}: is {what(mode)}, not the runner's parts folder"


def store_part(name: str) -> bool:
    """A file in ``parts/`` the store may have written: a part, or an atomic write's temporary of one."""
    if PART.fullmatch(name):
        return True
    return bool(ATOMIC_TMP.fullmatch(name)) and PART.fullmatch(name[1:].rsplit(".", 2)[0]) is not None
