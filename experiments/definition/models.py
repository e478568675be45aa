"""What the runner knows about a model: a function ``run(params, seed) -> dict`` named as
``"package.module:function"``, plus what the model declares beside it.

Each declaration is looked up in the model's module, then in ``<package>.vocabulary``, then in the
package's other modules named below; all but the parameter table are optional:

- ``PARAMS`` (required; then ``<package>.params``): name -> an object with ``check(value)``, ``kind``,
  ``default``, ``label`` and, for numbers, ``low``/``high``, like :class:`sim.params.Param`; and
  ``validate(overrides)`` beside it, returning the full parameter set.
- ``OUTCOMES``: the categorical outcomes of a run, each with ``key`` (the summary key holding it),
  ``categories`` (in display order), ``label`` and ``step_key`` (the summary key holding the step it
  was reached at, or None), like :class:`sim.vocabulary.Outcome`. The first is the headline: the
  outcome whose frequencies an experiment reports, whose intervals adaptive replicates narrow and
  that scenario discovery explains. A model that declares none can be swept; it has no frequencies.
- ``SUMMARY_KEYS`` (then ``<package>.observe``, ``<package>.params``): the keys of the run summary,
  to check metric and target names.
- ``DERIVED`` and ``derived(columns)``: metrics computed from a table of summaries (name -> (keys it
  needs, function, meaning); ``derived`` returns those it has the keys for).
- ``EVENT_COLUMNS``: the columns of the event log.
- ``engine_used()`` (only in the model's own module, beside ``run``): a dict saying what computes the runs in
  this process (for :mod:`sim.model`, ``{"engine": "compiled", "numba": "0.68.1"}`` or ``{"engine": "mesa",
  ...}``); the manifest records it for each session. A model that declares none is recorded as such.
- ``PRELOAD`` (only in the model's own module): names of modules the process pool imports once in its fork
  server, before workers fork from it (for :mod:`sim.model`, the module that loads the compiled engine).
- ``check_size(params, max_seconds=None)`` (then ``<package>.params``): the estimated seconds of one run (an
  upper bound), raising ``ValueError`` for a run too large to build or, with ``max_seconds``, estimated to take
  longer; the runner's size cap and time estimate (without it the runner estimates from measured runs).
- Extra tables: a model whose ``run`` accepts a keyword ``tables`` returns, when asked (e.g.
  ``tables=("steps", "events")``), a summary dict with a ``"tables"`` entry mapping each table name
  to a list of row dicts. ``TABLES`` beside ``run`` (optional) names the tables it can make (e.g.
  ``("steps", "events", "timeline")``); without it, any name may be asked for.

So the runner sweeps any such model (the trivial one in :mod:`experiments.engine.trivial`, another
team's) with no change to its code.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from experiments.definition.errors import ExperimentError

DEFAULT_MODEL = "sim.model:run"


class ModelError(ExperimentError):
    """The named model cannot be loaded or lacks what the runner needs; one line."""


@dataclass(frozen=True)
class ModelInfo:
    spec: str
    run: Any
    params: dict[str, Any]
    validate_fn: Any
    summary_keys: tuple[str, ...]
    accepts_tables: bool
    outcomes: tuple[Any, ...] = ()  # the declared outcomes (key, categories, label, step_key); the first leads
    derive: Callable[..., dict] | None = None  # derived(columns) -> {name: values}
    derived_names: tuple[str, ...] = ()
    event_columns: tuple[str, ...] = ()
    check_size: Callable[..., float] | None = None  # check_size(params, max_seconds) -> seconds of one run, at most
    tables: tuple[str, ...] | None = None  # the extra tables run() can make (None: not declared)
    engine_used: Callable[[], dict] | None = None  # what computes the runs (the manifest records it)

    def engine(self) -> dict[str, Any] | None:
        """What computes this model's runs in this process (its ``engine_used()``), or None if not declared."""
        return dict(self.engine_used()) if self.engine_used is not None else None

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
        """Can ``run`` return the extra table ``table`` (steps, events, ...)?"""
        return self.accepts_tables and (self.tables is None or table in self.tables)

    @property
    def headline(self):
        """The outcome an experiment reports frequencies of (the first declared), or None."""
        return self.outcomes[0] if self.outcomes else None

    @property
    def outcome_keys(self) -> tuple[str, ...]:
        """The summary keys that hold a categorical outcome (not numbers to average)."""
        return tuple(o.key for o in self.outcomes)

    @property
    def categories(self) -> tuple[str, ...]:
        """The headline outcome's categories (empty when the model declares none)."""
        return tuple(self.headline.categories) if self.headline is not None else ()


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
    where = _where(module, package, "PARAMS", ("params",))
    params = getattr(where, "PARAMS", None)
    if not isinstance(params, dict) or not params:
        raise ModelError(f"model {spec!r}: no parameter table (PARAMS in {module_name} or {package}.params)")
    keys = getattr(_where(module, package, "SUMMARY_KEYS", ("observe", "params")), "SUMMARY_KEYS", None) or ()
    declared = _where(module, package, "DERIVED", ())
    derived = getattr(declared, "DERIVED", None) or {}
    derive = getattr(declared, "derived", None) if derived else None
    try:
        accepts = "tables" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        accepts = False
    return ModelInfo(
        spec, fn, params, getattr(where, "validate", None), tuple(keys), accepts,
        outcomes=tuple(getattr(_where(module, package, "OUTCOMES", ()), "OUTCOMES", None) or ()),
        derive=derive if callable(derive) else None,
        derived_names=tuple(derived) if callable(derive) else (),
        event_columns=tuple(getattr(_where(module, package, "EVENT_COLUMNS", ("observe",)), "EVENT_COLUMNS", None)
                            or ()),
        check_size=_callable(getattr(_where(module, package, "check_size", ("params",)), "check_size", None)),
        tables=tuple(module.TABLES) if isinstance(getattr(module, "TABLES", None), (tuple, list)) else None,
        engine_used=getattr(module, "engine_used", None) if callable(getattr(module, "engine_used", None)) else None,
    )


def _callable(obj):
    return obj if callable(obj) else None


def _sub(package: str, name: str):
    try:
        return importlib.import_module(f"{package}.{name}")
    except ImportError:
        return None


def _where(module, package: str, attr: str, submodules: tuple[str, ...]):
    """The module that declares ``attr``: the model's own, then ``<package>.vocabulary``, then ``submodules``
    of the package (None if none does)."""
    if hasattr(module, attr):
        return module
    for sub in ("vocabulary", *submodules):
        m = _sub(package, sub)
        if m is not None and hasattr(m, attr):
            return m
    return None
