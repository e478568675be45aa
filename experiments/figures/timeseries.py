"""Quadrant shares over time (``timeseries.csv``): the mean and 10–90 % band over the runs that kept step data,
one panel per point; beyond 12 panels further pages follow (``timeseries_p2``, ...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab
from sim.palette import QUADRANT_COLOURS
from sim.vocabulary import QUADRANTS

ORDER = 50
CAPTIONS = {"timeseries": "Quadrant shares over time: mean and 10–90 % band over the runs that kept step data."}


def draw(ctx: base.Context) -> list[Path]:
    return time_series(ctx.tables.get("timeseries"), ctx.summary, ctx.names, ctx.directory, **ctx.kw)


@base.styled
def time_series(ts: pd.DataFrame | None, summary: pd.DataFrame, names: Sequence[str], directory: Path,
                labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Mean quadrant shares over time (10–90 % band across the sampled runs), one panel per point with step data."""
    if ts is None or ts.empty:
        return []
    vary = base.varying(summary, names)
    files: list[Path] = []
    for page, pts in enumerate(base.pages(sorted(ts["point"].unique()))):
        fig, axes = base.grid_figure(len(pts))
        for ax, j in zip(axes, pts):
            g = ts[ts["point"] == j]
            for q in QUADRANTS:
                c = QUADRANT_COLOURS[q]
                ax.plot(g["step"], g[f"share_{q}_mean"], color=c, lw=1.1)
                ax.fill_between(g["step"], g[f"share_{q}_lo"], g[f"share_{q}_hi"], color=c, alpha=0.15, lw=0)
            row = summary[summary["point"] == j]
            name = lab.point(row.iloc[0], vary, labels) if len(row) else f"point {j}"
            ax.set_title(f"{name} ({int(g['runs'].iloc[0])} runs)")
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel("step (months)")
            ax.set_ylabel("share of contracts")
        base.heading(fig, "Quadrant shares over time (mean and 10–90 % band over runs; a run that stopped is held)",
                     base.outcome_handles(QUADRANTS, labels), ncol=4)
        files += base.save(fig, directory, base.page_stem("timeseries", page), formats)
    return files
