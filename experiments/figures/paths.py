"""The path-flow diagram on Prashantham & Birkinshaw's 2×2 (their Figure 1 layout: Q1 bottom-left, Q2 top-left,
Q3 top-right, Q4 bottom-right): paths A–D, one arrow per action, width ∝ mean events per run; box shade =
share of runs whose long-run regime is that quadrant. Every chosen point gets a panel; beyond 12 panels further
pages follow (``paths_p2``, ...)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

from experiments.figures import base
from experiments.figures import labels as lab
from sim.palette import ACTION_COLOURS, QUADRANT_COLOURS
from sim.vocabulary import PATHS

ORDER = 60
CAPTIONS = {"paths": "Paths A–D by action on Prashantham & Birkinshaw's 2×2 (mean events per run)."}


def draw(ctx: base.Context) -> list[Path]:
    points = ctx.outputs.get("step_points")
    files = path_flows(ctx.summary, ctx.names, ctx.directory, points, sampled=ctx.sampled, **ctx.kw)
    if ctx.sampled and points is None and "path_A" in ctx.summary:
        warnings.warn("paths: a sampled design has no natural points to draw; name some with [outputs] step_points",
                      base.FigureSkipped, stacklevel=2)
    return files


def panel_points(summary: pd.DataFrame, points: Sequence[int] | None, sampled: bool) -> list[int]:
    """Points that get a panel: those named in ``[outputs] step_points``, else every point of a grid design
    (none of a sampled design, whose points are arbitrary: name some to see them)."""
    avail = list(summary["point"]) if not summary.empty else []
    if points is None:
        return [] if sampled else avail
    return [p for p in points if p in avail]


# PB Figure 1: x = MNE exploitation (left) → exploration (right); y = SME domestic (bottom) → international (top)
_QPOS = {"Q1": (0, 0), "Q2": (0, 1), "Q3": (1, 1), "Q4": (1, 0)}
_S = 1.9  # spacing of the quadrant boxes (box side 1)
_PATH_ENDS = {p: (f"Q{a}", f"Q{b}") for (a, b), p in PATHS.items()}  # A: Q2 → Q1, ...


def _flow_panel(ax, r: pd.Series, top: float) -> None:
    for q, (cx, cy) in _QPOS.items():
        f = float(r[f"freq_{q}"])
        ax.add_patch(Rectangle((cx * _S, cy * _S), 1.0, 1.0, facecolor=base.shade(QUADRANT_COLOURS[q], 0.15 + 0.85 * f),
                               edgecolor=QUADRANT_COLOURS[q], lw=1.0))
        ax.text(cx * _S + 0.5, cy * _S + 0.5, f"{q}\n{100 * f:.0f} %", ha="center", va="center", fontsize=7)
    n_act = len(ACTION_COLOURS)
    for p, (src, dst) in _PATH_ENDS.items():
        (sx, sy), (dx, dy) = _QPOS[src], _QPOS[dst]
        vertical = sx == dx
        for i, (a, col) in enumerate(ACTION_COLOURS.items()):
            v = float(r.get(f"path_{p}_{a}", 0.0))
            if v <= 0:
                continue
            off = 0.2 + 0.6 * i / (n_act - 1)
            if vertical:
                x0 = x1 = sx * _S + off
                y0, y1 = (sy * _S + (0 if sy > dy else 1.0)), (dy * _S + (1.0 if sy > dy else 0))
            else:
                y0 = y1 = sy * _S + off
                x0, x1 = (sx * _S + (0 if sx > dx else 1.0)), (dx * _S + (1.0 if sx > dx else 0))
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=7,
                                         lw=0.5 + 4 * v / top, color=col, alpha=0.9))
        total = float(r[f"path_{p}"])
        if vertical:  # A left of the left column, D right of the right column
            tx, ha = (sx * _S - 0.08, "right") if sx == 0 else (sx * _S + 1.08, "left")
            ty = _S / 2 + 0.5
        else:  # C above the top row, B below the bottom row
            tx, ty, ha = _S / 2 + 0.5, (sy * _S + 1.12 if sy == 1 else -0.12), "center"
        ax.text(tx, ty, f"{p}: {total:.1f}", fontsize=7, ha=ha, va="center", fontweight="bold")
    ax.set_xlim(-0.75, _S + 1.75)
    ax.set_ylim(-0.3, _S + 1.3)
    ax.set_xticks([0.5, _S + 0.5], ["exploitation", "exploration"])
    ax.set_yticks([0.5, _S + 0.5], ["domestic", "international"], rotation=90, va="center")
    ax.set_xlabel("MNE subsidiary intent")
    ax.set_ylabel("SME orientation")
    for s in ax.spines.values():
        s.set_visible(False)


@base.styled
def path_flows(summary: pd.DataFrame, names: Sequence[str], directory: Path, points: Sequence[int] | None = None,
               labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
               sampled: bool = False) -> list[Path]:
    """Paths A–D on PB's 2×2, one arrow per action, width ∝ mean events per run; box shade = the share of runs
    whose headline outcome (the long-run regime) is that quadrant."""
    pts = panel_points(summary, points, sampled)
    keys = [f"path_{p}" for p in _PATH_ENDS]
    if not pts or not all(k in summary for k in keys):
        return []
    act_keys = [c for c in summary.columns if c.startswith("path_") and c.count("_") == 2]
    chosen = summary[summary["point"].isin(pts)]
    top = max(float(chosen[act_keys].to_numpy().max()) if act_keys else 0.0, 1e-9)
    vary = base.varying(summary, names)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(pts)):
        fig, axes = base.grid_figure(len(chunk), w=3.1, h=3.1)
        for ax, j in zip(axes, chunk):
            r = summary[summary["point"] == j].iloc[0]
            _flow_panel(ax, r, top)
            ax.set_title(lab.point(r, vary, labels))
        handles = [Patch(color=c, label=a) for a, c in ACTION_COLOURS.items()]
        base.heading(fig, "Paths A–D by action (mean events per run, arrow width ∝ count); box shade = share of runs "
                     "whose long-run regime is there", handles, ncol=4)
        files += base.save(fig, directory, base.page_stem("paths", page), formats)
    return files
