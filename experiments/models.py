"""What the runner knows about a model: a function ``run(params, seed) -> dict`` named as
``"package.module:function"``, plus, found beside it, its parameter table.

- Parameters: ``PARAMS`` (name -> an object with ``check(value)``, ``kind``, ``default`` and, for
  numbers, ``low``/``high``, like :class:`sim.params.Param`) and optionally ``validate(overrides)``
  returning the full parameter set, looked up in the model's module, then in ``<package>.params``.
- Summary keys: ``SUMMARY_KEYS`` in the module, ``<package>.observe`` or ``<package>.params``
  (optional: used to check metric and target names).
- Extra tables: a model whose ``run`` accepts a keyword ``tables`` returns, when asked (e.g.
  ``tables=("steps", "events")``), a summary dict with a ``"tables"`` entry mapping each table name
  to a list of row dicts. ``sim.model:run`` predates that: its step data come from the Mesa model
  class's DataCollector (``STEPS_CLASS``).

So the runner sweeps any such model (the trivial one in :mod:`experiments.trivial`, another team's)
with no change to its code.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DEFAULT_MODEL = "sim.model:run"
STEPS_CLASS = {"sim.model:run": "sim.model:PiggybackModel"}  # models whose steps come from a DataCollector


class ModelError(ValueError):
    """The named model cannot be loaded or lacks what the runner needs; one line."""


@dataclass(frozen=True)
class ModelInfo:
    spec: str
    run: Any
    params: dict[str, Any]
    validate_fn: Any
    summary_keys: tuple[str, ...]
    accepts_tables: bool
    steps_class: str | None

    def validate(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The full parameter set (defaults updated by ``overrides``), each value checked."""
        if self.validate_fn is not None:
            return self.validate_fn(overrides or {})
        out = {name: p.default for name, p in self.params.items()}
        for name, value in (overrides or {}).items():
            if name not in self.params:
                raise ValueError(f"unknown parameter {name!r}; known: {', '.join(self.params)}")
            out[name] = self.params[name].check(value)
        return out

    def can_make(self, table: str) -> bool:
        return self.accepts_tables or (table == "steps" and self.steps_class is not None)


def load_object(spec: str) -> Any:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


@lru_cache(maxsize=16)
def info(spec: str = DEFAULT_MODEL) -> ModelInfo:
    """Resolve and describe a model; raise :class:`ModelError` with one line if it cannot be used."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr.isidentifier() or not all(
        part.isidentifier() for part in module_name.split(".")
    ):
        raise ModelError(f"model {spec!r}: expected 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import failure of user code is a bad definition, not a crash
        raise ModelError(f"model {spec!r}: cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ModelError(f"model {spec!r}: {module_name} has no function {attr!r}")
    package = module_name.split(".")[0]
    params = _find(module, package, "PARAMS", ("params",))
    if not isinstance(params, dict) or not params:
        raise ModelError(f"model {spec!r}: no parameter table (PARAMS in {module_name} or {package}.params)")
    validate_fn = getattr(module, "validate", None) if hasattr(module, "PARAMS") else None
    if validate_fn is None and not hasattr(module, "PARAMS"):
        validate_fn = getattr(_sub(package, "params"), "validate", None)
    keys = _find(module, package, "SUMMARY_KEYS", ("observe", "params")) or ()
    try:
        accepts = "tables" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepts = False
    return ModelInfo(spec, fn, params, validate_fn, tuple(keys), accepts, STEPS_CLASS.get(spec))


def _sub(package: str, name: str):
    try:
        return importlib.import_module(f"{package}.{name}")
    except ImportError:
        return None


def _find(module, package: str, attr: str, submodules: tuple[str, ...]):
    if hasattr(module, attr):
        return getattr(module, attr)
    for sub in submodules:
        m = _sub(package, sub)
        if m is not None and hasattr(m, attr):
            return getattr(m, attr)
    return None
