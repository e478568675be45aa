"""Where the compiled engine's machine code is kept between processes, and why it is never stale.

Numba's ``cache=True`` keys a cached function by its own source file only: a compiled caller includes
the code of the functions it calls, so after an edit of ``sim/engine/contracts.py`` the cached
``sim/engine/schedule.py:run`` would still run the old contract stage. So the engine's cache lives in a
directory named after a digest of every source file of ``sim/engine/``: any edit of any of them gives a
new directory and a fresh compile, never old code. Older directories of the same tree are removed.

The directory is ``$NUMBA_CACHE_DIR/piggyback-abm`` if that is set, else ``sim/engine/__pycache__`` (an
installed package's folder is writable in a virtual environment), else the user's cache folder
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``piggyback-abm``). Worker processes (the experiment runner's
pool, the test suite's) find the same directory and load instead of compiling.

:func:`install` registers a cache locator for the engine's files alone (Numba's locator classes; other
Numba users in the process are not touched); it must run before the first compiled module is imported,
which ``sim/engine/__init__.py`` ensures.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
PREFIX = "numba-" + hashlib.sha256(str(ENGINE_DIR).encode()).hexdigest()[:8] + "-"


def source_digest() -> str:
    """SHA-256 (first 16 hex digits) of the names and bytes of every ``sim/engine/*.py``."""
    h = hashlib.sha256()
    for path in sorted(ENGINE_DIR.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def bases() -> list[Path]:
    """The candidate parents of the cache directory, in order of preference."""
    out = []
    if os.environ.get("NUMBA_CACHE_DIR"):
        out.append(Path(os.environ["NUMBA_CACHE_DIR"]) / "piggyback-abm")
    out.append(ENGINE_DIR / "__pycache__")
    out.append(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "piggyback-abm")
    return out


def directory() -> Path | None:
    """The engine's cache directory for its sources as they are now (created, older ones removed), or None
    if no candidate is writable (then nothing is cached: every process compiles)."""
    name = PREFIX + source_digest()
    for base in bases():
        if _writable(base / name):
            for old in base.glob(PREFIX + "*"):
                if old.name != name:
                    shutil.rmtree(old, ignore_errors=True)
            return base / name
    return None


_INSTALLED: list[Path | None] = []


def install() -> Path | None:
    """Register the engine's cache locator with Numba (once per process); returns the directory, None if
    the engine's functions will not be cached (no writable directory, or a Numba without locator classes)."""
    if _INSTALLED:
        return _INSTALLED[0]
    where = directory()
    _INSTALLED.append(None)
    if where is None:
        return None
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
    base = getattr(caching, "_CacheLocator", None)
    mixin = getattr(caching, "_SourceFileBackedLocatorMixin", None)
    if impl is None or base is None or mixin is None:
        return None

    class EngineCacheLocator(mixin, base):
        """Numba's cache locator for the functions of ``sim/engine/``: the directory named by their digest."""

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno

        def get_cache_path(self):
            return str(where)

        @classmethod
        def from_function(cls, py_func, py_file):
            if Path(py_file).resolve().parent != ENGINE_DIR:
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:
                return None
            return self

    impl._locator_classes.insert(0, EngineCacheLocator)
    _INSTALLED[0] = where
    return where
