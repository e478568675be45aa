"""Figures of an experiment, drawn from its saved tables only (``summary.csv``, ``timeseries.csv``,
``sensitivity.csv``, ``hysteresis.csv``, ``shocks.csv``), so ``python -m experiments plot NAME`` re-draws
without running anything.

Every figure is saved as PNG and PDF at 300 dpi (SVG too with ``[outputs] formats``), atomically and
byte-stable (no dates; the same data give the same bytes). Labels and units come from the parameter table
and :mod:`experiments.labels` (override them with ``[outputs] labels`` or ``labels=``); colours from
:mod:`sim.palette`.

Which figures (``draw_all``):

- grid and one-at-a-time designs: ``frequencies`` (stacked bars per point), ``frequencies_ci`` (P(regime)
  against ``[outputs] x``: lines with Wilson bands, or points for categories), ``phase_map`` (two numeric
  parameters), ``metrics``;
- sampled designs (lhs, sobol, morris): ``dependence`` (P(regime) in bins of each parameter, and each
  point's P(target)), ``phase_map`` (projected), ``sobol`` / ``morris``;
- points with step data: ``timeseries`` and ``paths`` (every chosen point; 12 panels a page, further
  pages ``<stem>_p2``...);
- asked for by ``[outputs]`` keys: ``hysteresis``, ``shocks``, ``turnover`` (:mod:`experiments.outputs`).

A figure that cannot be drawn from the tables at hand is skipped with a :class:`FigureSkipped` warning,
never silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from experiments import outputs as spec
from experiments.plots.base import DPI, FORMATS, is_sampled, save
from experiments.plots.dynamics import hysteresis, shocks, turnover
from experiments.plots.flows import path_flows, time_series
from experiments.plots.frequencies import frequency_bars, frequency_lines, phase_map
from experiments.plots.metrics import MAX_GROUPS, metric_lines
from experiments.plots.sampled import dependence, sensitivity_bars

__all__ = [
    "DPI",
    "FORMATS",
    "FigureSkipped",
    "dependence",
    "draw_all",
    "frequency_bars",
    "frequency_lines",
    "hysteresis",
    "metric_lines",
    "path_flows",
    "phase_map",
    "save",
    "sensitivity_bars",
    "shocks",
    "time_series",
    "turnover",
]

DERIVED = ("survival", "voice_success_rate")


class FigureSkipped(UserWarning):
    """A figure the saved tables do not allow (the message says why)."""


def draw_all(directory: Path, tables: Mapping[str, pd.DataFrame], names: list[str], outputs: Mapping,
             title: str = "", *, design: str | None = None, labels: Mapping[str, str] | None = None,
             formats: tuple[str, ...] | None = None) -> list[Path]:
    """Every figure the saved tables allow; returns the files written.

    ``labels`` override ``[outputs] labels`` (which override the built-in labels); ``design`` is the design
    type when known (else guessed from the table). ``title`` is not drawn: figures carry human titles, and
    the report (``report.html``) names the experiment.
    """
    summary = tables.get("summary", pd.DataFrame())
    if summary is None or summary.empty:
        return []
    directory = Path(directory)
    outputs = dict(outputs or {})
    names = list(names)
    labels = {**outputs.get("labels", {}), **(labels or {})}
    formats = tuple(formats or spec.formats(outputs))
    kw = {"labels": labels, "formats": formats}
    sampled = is_sampled(summary, names, design)
    x = outputs.get("x")
    metrics = list(dict.fromkeys([*outputs.get("metrics", []), *(d for d in DERIVED if d in summary)]))
    files: list[Path] = []
    if sampled:
        sens = tables.get("sensitivity")
        target = str(sens["target"].iloc[0]) if sens is not None and not sens.empty else "Q3"
        files += dependence(summary, names, directory, target=target, **kw)
        files += phase_map(summary, names, directory, outputs.get("phase"), **kw)
        files += sensitivity_bars(sens, directory, **kw)
    else:
        files += frequency_bars(summary, names, directory, x, **kw)
        files += frequency_lines(summary, names, directory, x, **kw)
        files += phase_map(summary, names, directory, outputs.get("phase"), **kw)
        drawn = metric_lines(summary, names, metrics, directory, x, **kw)
        if metrics and not drawn:
            warnings.warn(f"metrics not drawn: more than {MAX_GROUPS} series per panel; see summary.csv",
                          FigureSkipped, stacklevel=2)
        files += drawn
    files += time_series(tables.get("timeseries"), summary, names, directory, **kw)
    points = outputs.get("step_points")
    files += path_flows(summary, names, directory, points, sampled=sampled, **kw)
    if sampled and points is None:
        warnings.warn("paths: a sampled design has no natural points to draw; name some with [outputs] step_points",
                      FigureSkipped, stacklevel=2)
    h = spec.hysteresis_spec(outputs)
    if h:
        files += _asked("hysteresis", hysteresis(summary, tables.get("hysteresis"), names, h, directory, **kw))
    by = spec.shocks_by(outputs, names)
    if by is not False:
        files += _asked("shocks", shocks(tables.get("shocks"), directory, by, **kw))
    t = spec.turnover_spec(outputs)
    if t:
        files += _asked("turnover", turnover(summary, names, t, directory, **kw))
    return files


def _asked(name: str, files: list[Path]) -> list[Path]:
    if not files:
        warnings.warn(f"{name}: asked for in [outputs] but the results lack what it needs (see experiments/README.md)",
                      FigureSkipped, stacklevel=3)
    return files
