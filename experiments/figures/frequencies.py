"""The headline outcome (the long-run regime, MODEL.md §13.3) per design point: stacked bars of its frequencies
(grid and one-at-a-time designs). Its subsidiary-level companion is :mod:`.subsidiaries`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab

ORDER = 10
CAPTIONS = {"frequencies": "The long-run regime at each design point (stacked shares of runs; n = runs per point)."}


@base.styled
def frequency_bars(summary: pd.DataFrame, names: Sequence[str], directory: Path, x: str | None = None,
                   labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
                   outcomes: Sequence[str] | None = None, what: str | None = None) -> list[Path]:
    """Stacked bars of the headline outcome's frequencies at each point (categories: no line joins them).
    ``outcomes``: the headline outcome's categories, ``what`` its label (default: the default model's)."""
    outcomes = base.categories(outcomes)
    x, rest = base.choose_x(summary, names, x)
    panels = base.facets(summary, rest, labels) if x else [("", summary)]
    shown = base.present(summary, outcomes)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(panels)):
        width = max(3.2, 0.32 * max(len(g) for _, g in chunk) + 1.4)
        fig, axes = base.grid_figure(len(chunk), w=width, h=2.6)
        for ax, (ptitle, g) in zip(axes, chunk):
            g = g.sort_values(x) if x else g
            ticks = [lab.value(x, v) for v in g[x]] if x else [f"point {p}" for p in g["point"]]
            pos = np.arange(len(g))
            bottom = np.zeros(len(g))
            for o in outcomes:
                f = g[f"freq_{o}"].to_numpy()
                ax.bar(pos, f, bottom=bottom, color=base.colour(o), width=0.8, edgecolor="white", linewidth=0.4)
                bottom += f
            ax.set_xticks(pos, ticks, rotation=0 if len(g) <= 8 else 60, ha="center" if len(g) <= 8 else "right")
            ax.set_ylim(0, 1.08)
            ax.set_ylabel("share of runs")
            ax.set_xlabel(lab.label(x, labels) if x else "design point")
            ax.set_title(ptitle)
            for i, n in enumerate(g["n"]):
                ax.text(i, 1.01, f"n={n}", ha="center", va="bottom", fontsize=5.5, color="#444")
        title = (what or base.headline_label()).capitalize()
        base.heading(fig, title + (f" against {lab.label(x, labels, unit=False)}" if x else ""),
                     base.outcome_handles(shown, labels))
        files += base.save(fig, directory, base.page_stem("frequencies", page), formats)
    return files


draw = base.grid_only(frequency_bars)
