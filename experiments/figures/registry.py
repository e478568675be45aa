"""The figure registry. Every module of :mod:`experiments.figures` that defines ``draw(ctx)`` is a figure,
found by name (``pkgutil.iter_modules``, as SALib finds its methods), so a new figure is one new file.
``draw`` receives a :class:`~experiments.figures.base.Context` (the saved tables, the design parameters,
the experiment's ``[outputs]``, the model's declarations) and returns the files it wrote ([] when the
design or the tables do not call for it). A figure module may also hold:

- ``ORDER``: where it is drawn among the others (default 100; ties by module name);
- ``CAPTIONS``: ``{file stem: caption}`` for the report;
- ``KEY`` and ``check(value, design, model)``: its ``[outputs]`` key and the check of its value (raise
  ``ValueError``, one line naming the key), run when a definition is loaded;
- ``TABLE``, ``table(runs, summary, names, outputs)`` and ``TABLE_TITLE``: a table it computes from the runs
  (None when not asked for), saved as ``TABLE`` beside ``summary.csv``, handed back as ``ctx.tables[name]``
  (its module name) and shown in the report under ``TABLE_TITLE``; ``table`` may also take the keywords
  ``model`` (the model's declarations) and ``data`` (the model tables it asked for, below);
- ``metrics(outputs)``: summary keys whose 95 % intervals it draws (computed into ``summary.csv``);
- ``model_tables(outputs)``: the tables it needs the model to make for every run, ``{name: columns it reads}``
  (None: all), e.g. ``{"timeline": ["point", "replicate", "month", "regime"]}``. When the experiment's model can
  make them, the runner asks for them for every run (``Experiment.tables``) and its ``table`` receives them
  loaded, as ``data={name: DataFrame}`` (empty when the runs did not keep them).

So the figures draw from saved tables only: ``python -m experiments plot`` re-draws without running anything.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from experiments.definition import models
from experiments.figures import base

SHARED_KEYS = ("x", "labels", "formats")  # [outputs] keys that several figures read


def figures() -> list[ModuleType]:
    """The figure modules, in drawing order."""
    package = sys.modules[__package__]  # experiments.figures: where a module dropped into its path is found
    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if callable(getattr(module, "draw", None)):
                found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), name(m)))


def name(module: ModuleType) -> str:
    return module.__name__.rpartition(".")[2]


# -- what a definition's [outputs] may say to the figures ---------------------------------------------
class Outputs:
    """The figures' ``[outputs]`` keys and their checks: what the definition's loader is handed
    (:class:`experiments.definition.config.OutputChecks`)."""

    @property
    def keys(self) -> frozenset[str]:
        return frozenset((*SHARED_KEYS, *(m.KEY for m in figures() if getattr(m, "KEY", None))))

    def check(self, outputs: Mapping[str, Any], design: dict[str, list], model: models.ModelInfo) -> None:
        _check_shared(outputs, design)
        for m in figures():
            key = getattr(m, "KEY", None)
            if key and key in outputs:
                m.check(outputs[key], design, model)

    def tables(self, outputs: Mapping[str, Any]) -> tuple[str, ...]:
        """The model tables the figures need for every run."""
        return tuple(model_tables(outputs))


OUTPUTS = Outputs()


def _check_shared(outputs: Mapping[str, Any], design: dict[str, list]) -> None:
    x = outputs.get("x")
    if not (x is None or (isinstance(x, str) and x in design)):
        raise ValueError(f"[outputs] x: {x!r} is not a design parameter (design parameters: {sorted(design)})")
    labels = outputs.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                               for k, v in labels.items()):
        raise ValueError("[outputs] labels must be a table of name = \"label\" (non-empty strings)")
    formats = outputs.get("formats", ["png", "pdf"])
    if not isinstance(formats, list) or not formats or not set(formats) <= set(base.KNOWN_FORMATS):
        raise ValueError(f"[outputs] formats must be a non-empty list of {', '.join(base.KNOWN_FORMATS)}, "
                         f"got {formats!r}")


# -- what the figures add to the analysis ----------------------------------------------------------------
def metrics(outputs: Mapping[str, Any]) -> list[str]:
    """Summary keys the figures asked for draw with intervals (beyond ``[outputs] metrics``)."""
    return [k for m in figures() if hasattr(m, "metrics") for k in m.metrics(outputs)]


def model_tables(outputs: Mapping[str, Any]) -> dict[str, list[str] | None]:
    """The model tables the figures need for every run: name -> the columns they read (None: all)."""
    out: dict[str, list[str] | None] = {}
    for m in figures():
        for t, cols in (m.model_tables(outputs) if hasattr(m, "model_tables") else {}).items():
            whole = cols is None or (t in out and out[t] is None)
            out[t] = None if whole else [*dict.fromkeys([*(out.get(t) or []), *cols])]
    return out


def tables(runs: pd.DataFrame, summary: pd.DataFrame, names: list[str], outputs: Mapping[str, Any],
           data: Mapping[str, pd.DataFrame] | None = None, model: models.ModelInfo | None = None
           ) -> dict[str, pd.DataFrame]:
    """The tables the figures asked for compute from the runs (and ``data``, the model tables of every run they
    need, by name; ``model``, the model's declarations, default the default model's), by figure name."""
    out = {}
    for m in figures():
        if hasattr(m, "table"):
            accepts = inspect.signature(m.table).parameters
            kw: dict[str, Any] = {}
            if "data" in accepts:
                needed = m.model_tables(outputs) if hasattr(m, "model_tables") else {}
                kw["data"] = {t: (data or {}).get(t, pd.DataFrame()) for t in needed}
            if "model" in accepts:
                kw["model"] = model or models.info()
            t = m.table(runs, summary, names, outputs, **kw)
            if t is not None:
                out[name(m)] = t
    return out


def table_files() -> dict[str, str]:
    """Figure name -> the file its table is saved in."""
    return {name(m): m.TABLE for m in figures() if getattr(m, "TABLE", None)}


def table_titles() -> dict[str, str]:
    """Figure name -> the heading of its table in the report."""
    return {name(m): getattr(m, "TABLE_TITLE", name(m)) for m in figures() if getattr(m, "TABLE", None)}


def captions() -> dict[str, str]:
    """File stem -> caption, for every figure."""
    return {stem: text for m in figures() for stem, text in getattr(m, "CAPTIONS", {}).items()}


# -- drawing ---------------------------------------------------------------------------------------------
def draw_all(directory: Path, tables: Mapping[str, pd.DataFrame], names: list[str], outputs: Mapping, *,
             design: str | None = None, labels: Mapping[str, str] | None = None,
             formats: tuple[str, ...] | None = None, model: models.ModelInfo | None = None) -> list[Path]:
    """Every figure the saved tables allow; returns the files written.

    ``labels`` override ``[outputs] labels`` (which override the built-in labels); ``design`` is the design
    type when known (else guessed from the table); ``model``: the model's declarations (default: the default
    model's). Figures carry human titles; the report (``report.html``) names the experiment.
    """
    summary = tables.get("summary", pd.DataFrame())
    if summary is None or summary.empty:
        return []
    outputs = dict(outputs or {})
    sens = tables.get("sensitivity")
    model = model or models.info()
    ctx = base.Context(
        directory=Path(directory), tables=tables, names=list(names), outputs=outputs,
        labels={**outputs.get("labels", {}), **(labels or {})},
        formats=tuple(formats or outputs.get("formats", base.FORMATS)),
        sampled=base.is_sampled(summary, names, design), model=model,
        target=str(sens["target"].iloc[0]) if sens is not None and not sens.empty else base.default_target(model),
        design=design,
    )
    files: list[Path] = []
    for m in figures():
        files += m.draw(ctx)
    return files
