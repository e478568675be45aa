"""Settled-regime frequencies of a grid design: stacked bars per point, lines (or category points) with
95 % Wilson intervals against the swept parameter, and the 2-D phase map with ties made visible."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from experiments import labels as lab
from experiments.config import OUTCOMES
from experiments.plots import base
from sim.palette import OUTCOME_COLOURS


def choose_x(summary: pd.DataFrame, names: Sequence[str], x: str | None) -> tuple[str | None, list[str]]:
    """The x-axis parameter and the parameters that split the figure into panels."""
    vary = base.varying(summary, names)
    if not vary:
        return None, []
    x = x if x in vary else vary[0]
    return x, [n for n in vary if n != x]


def _categories(values: pd.Series) -> list:
    return sorted(values.unique(), key=lambda v: (str(type(v)), v))


@base.styled
def frequency_bars(summary: pd.DataFrame, names: Sequence[str], directory: Path, x: str | None = None,
                   labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Stacked bars of the settled-regime frequencies at each point (categories: no line joins them)."""
    x, rest = choose_x(summary, names, x)
    panels = base.facets(summary, rest, labels) if x else [("", summary)]
    shown = base.present(summary)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(panels)):
        width = max(3.2, 0.32 * max(len(g) for _, g in chunk) + 1.4)
        fig, axes = base.grid_figure(len(chunk), w=width, h=2.6)
        for ax, (ptitle, g) in zip(axes, chunk):
            g = g.sort_values(x) if x else g
            ticks = [lab.value(x, v) for v in g[x]] if x else [f"point {p}" for p in g["point"]]
            pos = np.arange(len(g))
            bottom = np.zeros(len(g))
            for o in OUTCOMES:
                f = g[f"freq_{o}"].to_numpy()
                ax.bar(pos, f, bottom=bottom, color=OUTCOME_COLOURS[o], width=0.8, edgecolor="white", linewidth=0.4)
                bottom += f
            ax.set_xticks(pos, ticks, rotation=0 if len(g) <= 8 else 60, ha="center" if len(g) <= 8 else "right")
            ax.set_ylim(0, 1.08)
            ax.set_ylabel("share of runs")
            ax.set_xlabel(lab.label(x, labels) if x else "design point")
            ax.set_title(ptitle)
            for i, n in enumerate(g["n"]):
                ax.text(i, 1.01, f"n={n}", ha="center", va="bottom", fontsize=5.5, color="#444")
        base.heading(fig, "Regime at settlement" + (f" against {lab.label(x, labels, unit=False)}" if x else ""),
                     base.outcome_handles(shown, labels))
        files += base.save(fig, directory, base.page_stem("frequencies", page), formats)
    return files


@base.styled
def frequency_lines(summary: pd.DataFrame, names: Sequence[str], directory: Path, x: str | None = None,
                    labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """P(regime) against the swept parameter with 95 % Wilson intervals: lines and bands for a numeric x,
    dodged points with error bars for categories (booleans, choices)."""
    x, rest = choose_x(summary, names, x)
    if not x:
        return []
    numeric = base.is_numeric(summary[x])
    shown = base.present(summary)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(base.facets(summary, rest, labels))):
        fig, axes = base.grid_figure(len(chunk))
        for ax, (ptitle, g) in zip(axes, chunk):
            g = g.sort_values(x)
            pos = None if numeric else base.categorical_axis(ax, _categories(summary[x]), x, labels)
            for k, o in enumerate(shown):
                if g[f"freq_{o}"].max() == 0:
                    continue  # absent from this panel: no band of pure sampling uncertainty around zero
                c = OUTCOME_COLOURS[o]
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
        base.heading(fig, f"Regime at settlement against {lab.label(x, labels, unit=False)}",
                     base.outcome_handles(shown, labels))
        files += base.save(fig, directory, base.page_stem("frequencies_ci", page), formats)
    return files


def _shade(colour: str, f: float) -> tuple:
    """The outcome colour washed toward white as its frequency falls (f = 1: full colour)."""
    rgb = np.array(mcolors.to_rgb(colour))
    return tuple(1 - f * (1 - rgb))


def _edges(v: np.ndarray) -> np.ndarray:
    mid = (v[1:] + v[:-1]) / 2 if len(v) > 1 else np.array([])
    first = v[0] - (mid[0] - v[0] if len(mid) else 0.5)
    last = v[-1] + (v[-1] - mid[-1] if len(mid) else 0.5)
    return np.concatenate([[first], mid, [last]])


@base.styled
def phase_map(summary: pd.DataFrame, names: Sequence[str], directory: Path, axes_names: Sequence[str] | None = None,
              labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """2-D phase map: colour = dominant regime, shade = its frequency; a tie (two outcomes equally frequent)
    is hatched and labelled with both. A sampled design is projected onto the two axes (scatter)."""
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
                top = base.tied(r)
                colour = _shade(OUTCOME_COLOURS[top[0]], float(r["dominant_freq"]))
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
            tops = [base.tied(r) for _, r in g.iterrows()]
            colours = [_shade(OUTCOME_COLOURS[t[0]], f) for t, f in zip(tops, g["dominant_freq"])]
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
                 base.outcome_handles(base.present(summary), labels, extra=tie_handle if n_ties else ()))
    if projected and rest:
        base.note(fig, "Every design point projected onto these two axes; "
                  + ", ".join(lab.label(n, labels, unit=False) for n in rest) + " vary too.")
    if n_ties:
        base.note(fig, f"{n_ties} point(s) with a tie between outcomes: hatched (grid) or ✕ (scatter).", warn=False)
    return base.save(fig, directory, "phase_map", formats)
