"""The phase map: over two parameters, the dominant regime (colour) and its frequency (shade), ties hatched
and named; a sampled design projected onto the two axes. ``[outputs] phase`` names the two parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from experiments.figures import base
from experiments.figures import labels as lab
from sim.palette import OUTCOME_COLOURS

KEY = "phase"
ORDER = 30
CAPTIONS = {"phase_map": "Dominant regime (colour) and its frequency (shade) over two parameters; ties hatched."}


def check(value: Any, design: dict[str, list], model) -> None:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(n, str) and n in design for n in value)):
        raise ValueError(f"[outputs] phase must list two design parameters, got {value!r}")


def draw(ctx: base.Context) -> list[Path]:
    if ctx.design == "points" and not ctx.outputs.get("phase"):
        return []  # points of different experiments: no plane to project them on unless one is named
    return phase_map(ctx.summary, ctx.names, ctx.directory, ctx.outputs.get("phase"), outcomes=ctx.categories,
                     **ctx.kw)


def _edges(v: np.ndarray) -> np.ndarray:
    mid = (v[1:] + v[:-1]) / 2 if len(v) > 1 else np.array([])
    first = v[0] - (mid[0] - v[0] if len(mid) else 0.5)
    last = v[-1] + (v[-1] - mid[-1] if len(mid) else 0.5)
    return np.concatenate([[first], mid, [last]])


@base.styled
def phase_map(summary: pd.DataFrame, names: Sequence[str], directory: Path, axes_names: Sequence[str] | None = None,
              labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
              outcomes: Sequence[str] | None = None) -> list[Path]:
    """2-D phase map: colour = dominant regime, shade = its frequency; a tie (two outcomes equally frequent)
    is hatched and labelled with both. A sampled design is projected onto the two axes (scatter)."""
    outcomes = base.categories(outcomes)
    numeric = [n for n in base.varying(summary, names) if base.is_numeric(summary[n])]
    axes_names = [n for n in (axes_names or numeric[:2]) if n in numeric]
    if len(axes_names) != 2:
        return []
    xn, yn = axes_names
    rest = [n for n in base.varying(summary, names) if n not in axes_names]
    panels = base.facets(summary, rest, labels)
    projected = len(panels) > base.MAX_PANELS or base.is_sampled(summary, names)
    if projected:
        panels = [("", summary)]
    n_ties = 0
    fig, axs = base.grid_figure(len(panels), w=3.6, h=3.0)
    for ax, (ptitle, g) in zip(axs, panels):
        xs, ys = np.sort(g[xn].unique()), np.sort(g[yn].unique())
        if len(xs) * len(ys) == len(g) and not projected:
            ex, ey = _edges(xs.astype(float)), _edges(ys.astype(float))
            for _, r in g.iterrows():
                i, k = np.searchsorted(xs, r[xn]), np.searchsorted(ys, r[yn])
                top = base.tied(r, outcomes)
                colour = base.shade(OUTCOME_COLOURS[top[0]], float(r["dominant_freq"]))
                cell = Rectangle((ex[i], ey[k]), ex[i + 1] - ex[i], ey[k + 1] - ey[k], facecolor=colour, lw=0)
                ax.add_patch(cell)
                if len(top) > 1:
                    n_ties += 1
                    ax.add_patch(Rectangle(cell.get_xy(), cell.get_width(), cell.get_height(), fill=False,
                                           hatch="////", edgecolor=OUTCOME_COLOURS[top[1]], lw=0))
                text = "=".join(top) if len(top) > 1 else top[0]
                ax.text(r[xn], r[yn], f"{text}\n{r['dominant_freq']:.2f}", ha="center", va="center", fontsize=5.5)
            ax.set_xlim(ex[0], ex[-1])
            ax.set_ylim(ey[0], ey[-1])
        else:
            tops = [base.tied(r, outcomes) for _, r in g.iterrows()]
            colours = [base.shade(OUTCOME_COLOURS[t[0]], f) for t, f in zip(tops, g["dominant_freq"])]
            is_tie = np.array([len(t) > 1 for t in tops])
            n_ties += int(is_tie.sum())
            size = 36 if len(g) <= 200 else 12
            ax.scatter(g[xn][~is_tie], g[yn][~is_tie], c=[c for c, t in zip(colours, is_tie) if not t], s=size,
                       edgecolors="#444", linewidths=0.3)
            ax.scatter(g[xn][is_tie], g[yn][is_tie], c="white", marker="X", s=size, edgecolors="black", linewidths=0.6)
        ax.set_xlabel(lab.label(xn, labels))
        ax.set_ylabel(lab.label(yn, labels))
        ax.set_title(ptitle)
    if projected:
        tie_handle = [Line2D([], [], marker="X", ls="", color="black", markerfacecolor="white", label="tie")]
    else:
        tie_handle = [Patch(facecolor="white", edgecolor="black", hatch="////", label="tie (both named)")]
    base.heading(fig, "Dominant regime (colour) and its frequency (shade)",
                 base.outcome_handles(base.present(summary, outcomes), labels, extra=tie_handle if n_ties else ()))
    if projected and rest:
        base.note(fig, "Every design point projected onto these two axes; "
                  + ", ".join(lab.label(n, labels, unit=False) for n in rest) + " vary too.")
    if n_ties:
        base.note(fig, f"{n_ties} point(s) with a tie between outcomes: hatched (grid) or ✕ (scatter).", warn=False)
    return base.save(fig, directory, "phase_map", formats)
