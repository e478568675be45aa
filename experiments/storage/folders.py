"""Where results go, and the one writer of a results folder.

- User experiments write to ``runs/<name>/`` under the current directory (git-ignored); the shipped
  results in ``results/<name>/`` are written only with ``shipped=True`` (``--shipped``); ``--out DIR``
  names any folder. A name is a name: it never resolves outside its root.
- One writer per folder: an advisory ``flock`` on ``<folder>/.lock`` (kept, never deleted: deleting a
  lock file lets a third process lock a new inode while a second still holds the old one). Everything
  that decides what to do with a folder happens after the lock is held.
- ``--fresh`` writes the new results beside the old ones (``<folder>/.fresh/``) and swaps them in only
  once they are complete; the swap is journalled (``<folder>/.swap``) and finished on the next open if
  it was interrupted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from experiments.definition.config import is_name
from experiments.storage.atomic import atomic_write_json, read_json
from experiments.storage.errors import RunnerError
from experiments.storage.layout import JOURNAL, LOCK, MANIFEST, PARTS, RUNS_CSV

USER_ROOT = Path("runs")
SHIPPED_ROOT = Path("results")
STAGING = ".fresh"
REPLACED = ".replaced"
SWAP = ".swap"
OURS = {MANIFEST, JOURNAL, PARTS, RUNS_CSV, "summary.csv"}


def default_root(shipped: bool) -> Path:
    return SHIPPED_ROOT if shipped else USER_ROOT


def named(name: str, shipped: bool = False) -> Path:
    """``runs/<name>`` (or ``results/<name>``), refusing anything that is not a plain name."""
    if not is_name(name):
        raise RunnerError(f"{name!r} is not an experiment name (letters, digits, '_' or '-'); to use a folder "
                          "elsewhere pass --out DIR")
    root = default_root(shipped)
    path = root / name
    if root.resolve() not in path.resolve().parents:  # e.g. a symlink pointing out of the root
        raise RunnerError(f"{path} resolves outside {root}/; pass --out DIR to name a folder elsewhere")
    return path


def check_out(out: str | Path) -> Path:
    """An explicit ``--out``: not an existing file, and somewhere we can create a folder."""
    path = Path(out)
    if str(out).strip() == "":
        raise RunnerError("--out needs a folder name")
    if path.exists() and not path.is_dir():
        raise RunnerError(f"--out {out}: is an existing file, not a folder")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise RunnerError(f"--out {out}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise RunnerError(f"--out {out}: cannot write in {probe} (permission denied)")
    return path


def entries(directory: Path) -> list[str]:
    """The visible entries of a results folder (hidden files are the runner's own machinery)."""
    try:
        return sorted(e.name for e in directory.iterdir() if not e.name.startswith((".", "damaged-")))
    except FileNotFoundError:
        return []


def state(directory: Path) -> str:
    """``empty``, ``ours`` (an experiment results folder) or ``foreign`` (anything else)."""
    names = entries(directory)
    if not names:
        return "empty"
    if OURS & set(names) or any(n.endswith(".parquet") for n in names):
        return "ours"
    return "foreign"


class Folder:
    """A results folder held by this process (``with Folder(path) as f:``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def __enter__(self) -> Folder:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunnerError(f"cannot create {self.path}: {exc.strerror}") from None
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock; one runner per folder is on the user
            self._fd = fd
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunnerError(f"another runner (pid {holder}) is writing {self.path}; wait for it to finish, "
                              "or pass --out DIR") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
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
        """Replace the folder's results by the complete ones in ``.fresh/`` (then delete the old ones)."""
        plan = {"phase": "replace", "old": entries(self.path), "new": entries(self.staging)}
        atomic_write_json(self.path / SWAP, plan)
        self._finish_swap(plan)

    def recover(self) -> None:
        """Finish a swap that a kill interrupted (called with the lock held)."""
        if (self.path / SWAP).exists():
            self._finish_swap(read_json(self.path / SWAP))

    def _finish_swap(self, plan: dict) -> None:
        replaced = self.path / REPLACED
        if plan["phase"] == "replace":
            replaced.mkdir(exist_ok=True)
            for name in plan["old"]:
                if (self.path / name).exists() or (self.path / name).is_symlink():
                    os.replace(self.path / name, replaced / name)
            plan = {**plan, "phase": "install"}
            atomic_write_json(self.path / SWAP, plan)
        for name in plan["new"]:
            if (self.staging / name).exists():
                os.replace(self.staging / name, self.path / name)
        atomic_write_json(self.path / SWAP, {**plan, "phase": "clean"})
        shutil.rmtree(replaced, ignore_errors=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.path / SWAP).unlink()

    def clear_staging(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
