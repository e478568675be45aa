"""Where results go, and the one writer of a results folder.

- User experiments write to ``runs/<name>/`` under the current directory (git-ignored); the shipped
  results in ``results/<name>/`` are written only with ``shipped=True`` (``--shipped``), whatever the route:
  ``--out results/...`` and the Python API's ``out=`` are refused there too. A name is a name: it never
  resolves outside its root.
- One writer per folder: an advisory ``flock`` on ``<folder>/.lock`` (kept, never deleted: deleting a
  lock file lets a third process lock a new inode while a second still holds the old one). Everything
  that decides what to do with a folder happens after the lock is held. A busy folder names the process
  that holds the lock (read from ``/proc/locks`` where there is one).
- ``--fresh`` writes the new results beside the old ones (``<folder>/.fresh/``) and swaps them in only
  once they are complete; the swap is journalled (``<folder>/.swap``) and finished by whoever opens the folder
  next (a writer, ``repair``, or a reader: :func:`settle`). Only the runner's own files are swapped out;
  anything else in the folder stays where it is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from experiments.definition.config import is_name
from experiments.storage import provenance, untrusted
from experiments.storage.atomic import atomic_write_json, read_json
from experiments.storage.errors import RunnerError, StoreError
from experiments.storage.layout import JOURNAL, LEGACY_STEPS, LOCK, MANIFEST, PARTS, RUNS_CSV

USER_ROOT = Path("runs")
SHIPPED_ROOT = Path("results")
STAGING = ".fresh"
REPLACED = ".replaced"
SWAP = ".swap"
SHIPPED_IGNORE = ".gitignore"  # in a shipped folder: which raw files git tracks (experiments.engine.runner)
OURS = {MANIFEST, JOURNAL, PARTS, RUNS_CSV, "summary.csv"}
# what the runner writes into a results folder, by name or suffix: data, tables, figures, report
OUTPUT_SUFFIXES = (".parquet", ".csv", ".png", ".pdf", ".svg", ".html", ".json", ".jsonl")


def default_root(shipped: bool) -> Path:
    return SHIPPED_ROOT if shipped else USER_ROOT


def shipped_roots() -> list[Path]:
    """The folders of shipped results: ``results/`` here and the repository's own."""
    return list(dict.fromkeys(p.resolve() for p in (SHIPPED_ROOT, provenance.REPO / "results")))


def is_shipped(path: Path) -> bool:
    """Whether ``path`` is (in) a folder of shipped results."""
    p = Path(path).resolve()
    return any(p == root or root in p.parents for root in shipped_roots())


def named(name: str, shipped: bool = False) -> Path:
    """``runs/<name>`` (or ``results/<name>``), refusing anything that is not a plain name."""
    if not is_name(name):
        raise RunnerError(f"{untrusted_repr(name)} is not an experiment name (letters, digits, '_' or '-'); to use "
                          "a folder elsewhere pass --out DIR", "experiment", name)
    root = default_root(shipped)
    path = root / name
    if root.resolve() not in path.resolve().parents:  # e.g. a symlink pointing out of the root
        raise RunnerError(f"{path} resolves outside {root}/; pass --out DIR to name a folder elsewhere")
    return path


def untrusted_repr(value) -> str:
    return untrusted_short(value)


def untrusted_short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}… ({len(text):,} characters)"


def check_out(out: str | Path, writes: bool = True, shipped: bool = False) -> Path:
    """An explicit ``--out``: a folder path (not an existing file), somewhere we can create a folder, and, for a
    command that writes, not the shipped results unless ``shipped``."""
    if not isinstance(out, (str, os.PathLike)):
        raise RunnerError(f"out must be a folder path (str or pathlib.Path), got {untrusted_short(out)}", "out", out)
    path = Path(out)
    if str(out).strip() == "":
        raise RunnerError("--out needs a folder name", "out", out)
    if "\x00" in str(out):
        raise RunnerError(f"--out {untrusted_short(str(out))}: a path cannot hold a NUL character", "out", out)
    if writes and not shipped and is_shipped(path):
        raise RunnerError(f"--out {out}: is the repository's shipped results, written only by `run NAME --shipped` "
                          "(shipped definitions only); name another folder", "out", out)
    if path.exists() and not path.is_dir():
        raise RunnerError(f"--out {out}: is an existing file, not a folder", "out", out)
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise RunnerError(f"--out {out}: {probe} is a file, not a folder", "out", out)
    if writes and not os.access(probe, os.W_OK | os.X_OK):
        raise RunnerError(f"--out {out}: cannot write in {probe} (permission denied)", "out", out)
    return path


def entries(directory: Path) -> list[str]:
    """The visible entries of a results folder (hidden files are the runner's own machinery)."""
    try:
        return sorted(e.name for e in directory.iterdir() if not e.name.startswith((".", "damaged-")))
    except (FileNotFoundError, NotADirectoryError):
        return []


def ours(name: str) -> bool:
    """Whether an entry of a results folder is the runner's (data, tables, figures, report), by its name."""
    return name in OURS or name == LEGACY_STEPS or name.endswith(OUTPUT_SUFFIXES)


def state(directory: Path) -> str:
    """``empty``, ``ours`` (an experiment results folder) or ``foreign`` (anything else)."""
    names = entries(directory)
    if any((directory / n).exists() for n in (SWAP, STAGING)):
        return "ours"  # a --fresh swap under way, or interrupted
    if not names:
        return "empty"
    if OURS & set(names) or any(n.endswith(".parquet") for n in names):
        return "ours"
    return "foreign"


def lock_holder(path: Path) -> str:
    """Who holds the lock file ``path``: the pid (and command) from ``/proc/locks``, else the pid its last
    holder wrote, if that process is alive."""
    pid = None
    try:
        st = os.stat(path)
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            for line in fh:
                f = line.split()
                if len(f) >= 6 and f[1] == "FLOCK" and f[5].rsplit(":", 1)[-1] == str(st.st_ino):
                    pid = int(f[4])
                    break
    except (OSError, ValueError):
        pid = None
    if pid is None:
        with contextlib.suppress(OSError, ValueError):
            written = int(untrusted.read_bytes(path)[:32].decode().strip() or "-1")
            os.kill(written, 0)
            pid = written
    if pid is None:
        return "another process"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        cmd = ""
    cmd = cmd if len(cmd) <= 80 else cmd[:77] + "..."
    return f"pid {pid}" + (f": {cmd}" if cmd else "")


class Folder:
    """A results folder held by this process (``with Folder(path) as f:``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self.left_alone: list[str] = []  # entries a swap did not touch (not the runner's files)

    def __enter__(self) -> Folder:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self, recover: bool = True) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK,
                         0o644)
        except OSError as exc:
            raise RunnerError(f"cannot create {self.path}: {exc.strerror}") from None
        if not untrusted.is_file(self.path / LOCK):
            os.close(fd)
            raise StoreError(f"{self.path / LOCK}: is {untrusted.kind(self.path / LOCK)}, not the runner's lock file")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock; one runner per folder is on the user
            self._fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise RunnerError(f"another runner ({lock_holder(self.path / LOCK)}) is writing {self.path}; wait for "
                              "it to finish, or pass --out DIR") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        if recover:
            self.recover()

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    # -- --fresh: write beside, swap at the end ---------------------------------------------------
    @property
    def staging(self) -> Path:
        return self.path / STAGING

    def swap(self) -> None:
        """Replace the folder's results by the complete ones in ``.fresh/`` (then delete the old ones). The
        runner's own files are replaced; anything else stays (:attr:`left_alone`)."""
        shutil.rmtree(self.path / REPLACED, ignore_errors=True)  # a finished swap's rest (no .swap names it)
        old = [n for n in entries(self.path) if ours(n)]
        self.left_alone = [n for n in entries(self.path) if not ours(n)]
        new = entries(self.staging) + ([SHIPPED_IGNORE] if (self.staging / SHIPPED_IGNORE).exists() else [])
        if (self.path / SHIPPED_IGNORE).exists():
            old.append(SHIPPED_IGNORE)
        plan = {"phase": "replace", "old": old, "new": new}
        atomic_write_json(self.path / SWAP, plan)
        self._finish_swap(plan)

    def recover(self) -> None:
        """Finish a swap that a kill interrupted (called with the lock held)."""
        swap = self.path / SWAP
        if swap.exists() or swap.is_symlink():
            try:
                plan = read_json(swap)
            except (OSError, ValueError):
                plan = None
            if not _plan_ok(plan):
                raise StoreError(f"{swap}: not a swap plan the runner wrote (a --fresh swap cannot be finished from "
                                 "it); move it away, and the folder's results are read as they are")
            self._finish_swap(plan)
        elif (self.path / REPLACED).exists():
            shutil.rmtree(self.path / REPLACED, ignore_errors=True)  # a finished swap's rest

    def _finish_swap(self, plan: dict) -> None:
        replaced = self.path / REPLACED
        if plan["phase"] == "replace":
            replaced.mkdir(exist_ok=True)
            for name in plan["old"]:
                if (self.path / name).exists() or (self.path / name).is_symlink():
                    os.replace(self.path / name, replaced / name)
            plan = {**plan, "phase": "install"}
            atomic_write_json(self.path / SWAP, plan)
        if plan["phase"] == "install":
            for name in plan["new"]:
                if (self.staging / name).exists() or (self.staging / name).is_symlink():
                    os.replace(self.staging / name, self.path / name)
            plan = {**plan, "phase": "clean"}
            atomic_write_json(self.path / SWAP, plan)
        shutil.rmtree(replaced, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.path / SWAP).unlink()

    def clear_staging(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _plan_ok(plan) -> bool:
    """A swap plan as the runner writes it: a phase, and plain names (no path: nothing outside the folder)."""
    def plain(names) -> bool:
        return isinstance(names, list) and all(
            isinstance(n, str) and n not in ("", ".", "..") and "/" not in n and "\\" not in n and "\x00" not in n
            and (not n.startswith(".") or n == SHIPPED_IGNORE) for n in names)

    return isinstance(plan, dict) and plan.get("phase") in ("replace", "install", "clean") \
        and plain(plan.get("old")) and plain(plan.get("new"))


def settle(path: Path) -> None:
    """Before reading a folder: finish a ``--fresh`` swap a kill interrupted (taking the lock for a moment), so
    that a reader sees the old results or the new ones, whole. A folder a runner is writing is left to it."""
    path = Path(path)
    if not (path / SWAP).exists() and not (path / SWAP).is_symlink():
        return
    folder = Folder(path)
    folder.acquire()  # finishes the swap; raises RunnerError naming the runner if one is at work
    folder.release()
