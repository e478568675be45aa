"""Metrics (means over runs) against the swept parameter, with the 95 % intervals of ``summary.csv``:
Wilson for shares of runs, percentile bootstrap for other means (so a band never leaves the data's range)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab

ORDER = 40
CAPTIONS = {"metrics": "Means over runs with 95 % intervals (Wilson for shares of runs, percentile bootstrap "
                       "otherwise)."}
MAX_GROUPS = 8  # lines per panel; with more, the second parameter splits panels instead


def draw(ctx: base.Context) -> list[Path]:
    """The metrics of ``[outputs] metrics`` and the model's derived metrics (grid and one-at-a-time designs)."""
    if ctx.sampled:
        return []
    summary = ctx.summary
    metrics = list(dict.fromkeys([*ctx.outputs.get("metrics", []),
                                  *(d for d in ctx.model.derived_names if d in summary)]))
    drawn = metric_lines(summary, ctx.names, metrics, ctx.directory, ctx.outputs.get("x"), **ctx.kw)
    if metrics and not drawn:
        warnings.warn(f"metrics not drawn: more than {MAX_GROUPS} series per panel; see summary.csv",
                      base.FigureSkipped, stacklevel=2)
    return drawn


@base.styled
def metric_lines(summary: pd.DataFrame, names: Sequence[str], metrics: Sequence[str], directory: Path,
                 x: str | None = None, labels: Mapping | None = None,
                 formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """One panel per metric: mean against x, one series per value of the other swept parameters.
    Numeric x: lines with a band; categorical x: dodged points with error bars (no joining lines)."""
    metrics = [m for m in metrics if m in summary]
    vary = base.varying(summary, names)
    if not metrics or not vary:
        return []
    x = x if x in vary else vary[0]
    rest = [n for n in vary if n != x]
    groups = base.facets(summary, rest, labels)
    if len(groups) > MAX_GROUPS:
        return []  # unreadable as lines: the per-point table (summary.csv) holds the numbers
    numeric = base.is_numeric(summary[x])
    cats = None if numeric else base.sorted_values(summary[x])
    colours = base.group_colours(len(groups))
    missing = [m for m in metrics if f"{m}_lo" not in summary]
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(metrics)):
        fig, axes = base.grid_figure(len(chunk))
        for ax, m in zip(axes, chunk):
            pos = None if numeric else base.categorical_axis(ax, cats, x, labels)
            for k, ((glabel, g), col) in enumerate(zip(groups, colours)):
                g = g.sort_values(x)
                mean = g[m].to_numpy(dtype=float)
                has_ci = f"{m}_lo" in g
                lo = g[f"{m}_lo"].to_numpy(dtype=float) if has_ci else mean
                hi = g[f"{m}_hi"].to_numpy(dtype=float) if has_ci else mean
                if numeric:
                    ax.plot(g[x], mean, marker="o", ms=2.5, lw=1.1, color=col, label=glabel or None)
                    if has_ci:
                        ax.fill_between(g[x], lo, hi, color=col, alpha=0.15, lw=0)
                else:
                    xs = np.array([pos[v] for v in g[x]]) + base.dodge(k, len(groups))
                    err = np.nan_to_num(np.vstack([mean - lo, hi - mean]))
                    ax.errorbar(xs, mean, yerr=err, fmt="o", ms=3, color=col, elinewidth=1, capsize=1.5,
                                label=glabel or None)
            ax.set_xlabel(lab.label(x, labels))
            ax.set_ylabel(lab.label(m, labels))
        handles = axes[0].get_legend_handles_labels()[0] if len(groups) > 1 else []
        base.heading(fig, "Means over runs (95 % CI: Wilson for shares of runs, bootstrap otherwise)", handles,
                     ncol=min(2, len(groups)))
        if missing:
            base.note(fig, "No interval in the saved table for: " + ", ".join(lab.label(m, labels, unit=False)
                                                                        for m in missing)
                      + " (list them under [outputs] metrics; tables written before intervals existed have none).")
        files += base.save(fig, directory, base.page_stem("metrics", page), formats)
    return files
