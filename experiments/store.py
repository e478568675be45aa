"""Results on disk: the streamed, resumable ``runs.csv``, per-run step data, atomic JSON/CSV writes.

Layout of ``results/<name>/``::

    runs.csv        one row per finished run, appended as it completes (run_id = p<point>_r<replicate>)
    steps/          step data (quadrant shares over time) of a sample of runs, one CSV per run
    failures.csv    runs that raised (retried on the next invocation)
    manifest.json   what was run, with what, when, and how it went
    summary.csv     per design point: frequencies with Wilson intervals, paths, metrics (analysis.py)
    *.png, *.svg    figures (plots.py)

Crash safety: a row is one ``os.write`` of one complete line to a file opened for appending,
and a torn last line (SIGKILL mid-write, full disk) is cut off when the file is reopened, so a
run is either in the file exactly once or not at all. Summaries and manifests are written to a
temporary file in the same directory and renamed over the target (atomic on POSIX and Windows).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

RUNS = "runs.csv"
MANIFEST = "manifest.json"
FAILURES = "failures.csv"
STEPS = "steps"
LOCK = ".lock"
ID_COLUMNS = ("run_id", "point", "replicate", "seed")


def run_id(point: int, replicate: int) -> str:
    return f"p{point:05d}_r{replicate:05d}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give: mkstemp's 0600 would hide results from other users


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
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v)  # shortest round-trip repr: identical bytes for identical results
    return str(v)


def _line(values: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([_cell(v) for v in values])
    return buf.getvalue()


class RunStore:
    """Append-only, resumable store of finished runs in ``<directory>/runs.csv``."""

    def __init__(self, directory: Path) -> None:
        self.dir = Path(directory)
        self.path = self.dir / RUNS
        self.columns: list[str] = []
        self.done: dict[tuple[int, int], dict[str, str]] = {}  # (point, replicate) -> row (strings)
        self._lock_fh = None

    # -- opening and resuming -----------------------------------------------------
    def open(self, before_load=None) -> RunStore:
        """Create the directory, take the writer's lock, (call ``before_load``), load finished runs,
        repair a torn tail."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock()
        if before_load is not None:
            before_load()
        if self.path.exists():
            self._repair_tail()
            self._load()
        return self

    def _lock(self) -> None:
        """One writer per results directory: two runners appending the same runs would duplicate them."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            return
        fh = open(self.dir / LOCK, "w")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise RuntimeError(f"another runner is writing {self.dir}") from None
        self._lock_fh = fh

    def close(self) -> None:
        if self._lock_fh is not None:
            with contextlib.suppress(OSError):
                (self.dir / LOCK).unlink()  # leave no stray file in the results folder
            self._lock_fh.close()
            self._lock_fh = None

    def _repair_tail(self) -> None:
        """Cut a torn last line (a write interrupted by SIGKILL or a full disk)."""
        size = self.path.stat().st_size
        if size == 0:
            return
        with open(self.path, "rb+") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            fh.seek(0)
            data = fh.read()
            fh.truncate(data.rfind(b"\n") + 1)

    def _load(self) -> None:
        with open(self.path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return
            self.columns = header
            for cells in reader:
                if len(cells) != len(header):
                    continue  # not a complete row: treat the run as not done
                row = dict(zip(header, cells))
                key = (int(row["point"]), int(row["replicate"]))
                self.done.setdefault(key, row)

    # -- appending ------------------------------------------------------------------
    def append(self, row: dict[str, Any]) -> None:
        """Append one finished run (first its step data, if any, then its row)."""
        key = (int(row["point"]), int(row["replicate"]))
        if key in self.done:  # never twice (e.g. a duplicate completion from a retried task)
            return
        if not self.columns:
            self.columns = list(row)
            self._write(_line(self.columns), new=True)
        elif set(row) - set(self.columns):
            self._widen([k for k in row if k not in self.columns])
        self._write(_line([row.get(c) for c in self.columns]))
        self.done[key] = {c: _cell(row.get(c)) for c in self.columns}

    def compact(self) -> None:
        """Rewrite the file sorted by run id (atomically): a finished experiment's runs.csv is then the
        same bytes whatever the executor, the number of workers or the interruptions along the way."""
        if self.columns:
            self._widen([])

    def _write(self, text: str, new: bool = False) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (os.O_TRUNC if new else 0)
        fd = os.open(self.path, flags, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))  # one complete line, one system call
        finally:
            os.close(fd)

    def _widen(self, extra: list[str]) -> None:
        """Rewrite the file sorted by run id, with ``extra`` columns (a newer model added summary keys)."""
        self.columns = self.columns + extra
        lines = [_line(self.columns)]
        for row in sorted(self.done.values(), key=lambda r: r["run_id"]):
            lines.append(_line([row.get(c, "") for c in self.columns]))
        atomic_write_text(self.path, "".join(lines))

    # -- step data --------------------------------------------------------------------
    def write_steps(self, point: int, replicate: int, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = list(rows[0])
        text = _line(cols) + "".join(_line([r[c] for c in cols]) for r in rows)
        atomic_write_text(self.dir / STEPS / f"{run_id(point, replicate)}.csv", text)

    def record_failure(self, point: int, replicate: int, seed: int, error: str) -> None:
        path = self.dir / FAILURES
        header = not path.exists()
        with open(path, "a", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            if header:
                w.writerow(["run_id", "point", "replicate", "seed", "error"])
            w.writerow([run_id(point, replicate), point, replicate, seed, error])


def load_runs(directory: Path):
    """``runs.csv`` as a DataFrame sorted by run id (empty frame when there is none)."""
    import pandas as pd

    path = Path(directory) / RUNS
    if not path.exists() or path.stat().st_size == 0:
        return pd.DataFrame()
    df = pd.read_csv(path, on_bad_lines="skip")
    df = df.drop_duplicates("run_id").sort_values("run_id").reset_index(drop=True)
    return df


def load_steps(directory: Path):
    """All step-data files as one DataFrame (columns point, replicate, step, share_Q1..)."""
    import pandas as pd

    folder = Path(directory) / STEPS
    files = sorted(folder.glob("p*_r*.csv")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
