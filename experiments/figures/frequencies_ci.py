"""P(regime) against the swept parameter, with 95 % Wilson intervals (grid and one-at-a-time designs): the
frequencies of the headline outcome, the long-run regime (MODEL.md §13.3)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab

ORDER = 20
CAPTIONS = {"frequencies_ci": "P(long-run regime) against the swept parameter with 95 % Wilson intervals."}


@base.styled
def frequency_lines(summary: pd.DataFrame, names: Sequence[str], directory: Path, x: str | None = None,
                    labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
                    outcomes: Sequence[str] | None = None, what: str | None = None) -> list[Path]:
    """P(regime) against the swept parameter with 95 % Wilson intervals: lines and bands for a numeric x,
    dodged points with error bars for categories (booleans, choices)."""
    x, rest = base.choose_x(summary, names, x)
    if not x:
        return []
    numeric = base.is_numeric(summary[x])
    shown = base.present(summary, outcomes)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(base.facets(summary, rest, labels))):
        fig, axes = base.grid_figure(len(chunk))
        for ax, (ptitle, g) in zip(axes, chunk):
            g = g.sort_values(x)
            pos = None if numeric else base.categorical_axis(ax, base.sorted_values(summary[x]), x, labels)
            for k, o in enumerate(shown):
                if g[f"freq_{o}"].max() == 0:
                    continue  # absent from this panel: no band of pure sampling uncertainty around zero
                c = base.colour(o)
                p, lo, hi = (g[f"freq_{o}{s}"].to_numpy(dtype=float) for s in ("", "_lo", "_hi"))
                if numeric:
                    ax.plot(g[x], p, marker="o", ms=2.5, lw=1.2, color=c)
                    ax.fill_between(g[x], lo, hi, color=c, alpha=0.18, lw=0)
                else:
                    xs = np.array([pos[v] for v in g[x]]) + base.dodge(k, len(shown))
                    ax.errorbar(xs, p, yerr=[p - lo, hi - p], fmt="o", ms=3, color=c, elinewidth=1, capsize=1.5)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel(lab.label(x, labels))
            ax.set_ylabel("share of runs (95 % Wilson CI)")
            ax.set_title(ptitle)
        base.heading(fig, f"{(what or base.headline_label()).capitalize()} against {lab.label(x, labels, unit=False)}",
                     base.outcome_handles(shown, labels))
        files += base.save(fig, directory, base.page_stem("frequencies_ci", page), formats)
    return files


draw = base.grid_only(frequency_lines)
