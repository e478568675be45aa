"""Figures of an experiment, drawn from its saved tables only (``summary.csv``, ``timeseries.csv``,
``sensitivity.csv``), so ``python -m experiments plot NAME`` re-draws without running anything.

Every figure is saved as PNG and SVG in the results folder, atomically.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyArrowPatch, Patch, Rectangle

from experiments import store
from experiments.config import OUTCOMES

matplotlib.rcParams["svg.hashsalt"] = "piggyback-abm"  # stable SVG ids: re-drawing the same data changes no byte
COLOURS = {
    "Q1": "#4477AA",  # exploit × domestic: supply-chain equilibrium
    "Q2": "#EE7733",  # exploit × international: tension
    "Q3": "#228833",  # explore × international: innovation equilibrium
    "Q4": "#CC3311",  # explore × domestic: tension
    "mixed": "#AA88CC",
    "unsettled": "#BBBBBB",
}
ACTION_COLOURS = {"loyalty": "#4477AA", "voice": "#228833", "exit": "#CC3311", "drift": "#999999"}
MAX_PANELS = 12


def save(fig, directory: Path, stem: str) -> list[Path]:
    """PNG and SVG, each written atomically; returns the paths."""
    paths = []
    for ext in ("png", "svg"):
        buf = io.BytesIO()
        # no creation date in the metadata, so that committed figures only change when the data do
        fig.savefig(buf, format=ext, dpi=120, bbox_inches="tight", metadata={"Date": None} if ext == "svg" else None)
        path = Path(directory) / f"{stem}.{ext}"
        store.atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    plt.close(fig)
    return paths


def varying(summary: pd.DataFrame, names: list[str]) -> list[str]:
    return [n for n in names if n in summary and summary[n].nunique() > 1]


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _fmt(v) -> str:
    return f"{v:.3g}" if isinstance(v, (float, np.floating)) else str(v)


def label(row: pd.Series, names: list[str]) -> str:
    return ", ".join(f"{n}={_fmt(row[n])}" for n in names) or "base"


def _facets(summary: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    if not keys:
        return [("", summary)]
    groups = []
    for vals, g in summary.groupby(keys, sort=True):
        vals = vals if isinstance(vals, tuple) else (vals,)
        groups.append((", ".join(f"{k}={_fmt(v)}" for k, v in zip(keys, vals)), g))
    return groups


def _grid(n: int, w: float = 4.2, h: float = 3.2):
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols, h * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _choose_x(summary: pd.DataFrame, names: list[str], x: str | None) -> tuple[str | None, list[str]]:
    """The x-axis parameter and the parameters that split the plot into panels."""
    vary = varying(summary, names)
    if not vary:
        return None, []
    x = x if x in vary else vary[0]
    rest = [n for n in vary if n != x]
    n_panels = len(summary.groupby(rest)) if rest else 1
    return (x, rest) if n_panels <= MAX_PANELS else (None, [])


def frequency_bars(summary: pd.DataFrame, names: list[str], directory: Path, x: str | None = None, title: str = ""):
    """Stacked bars of the settled-quadrant frequencies per point, against the swept parameter."""
    x, rest = _choose_x(summary, names, x)
    panels = _facets(summary, rest) if x else [("", summary)]
    if len(panels) == 1 and len(summary) > 40:
        return []  # a sampled design: bars per point would be unreadable (see the phase map)
    fig, axes = _grid(len(panels), w=max(4.2, 0.35 * len(panels[0][1]) + 2))
    for ax, (ptitle, g) in zip(axes, panels):
        labels = [_fmt(v) for v in g[x]] if x else [label(r, varying(summary, names)) for _, r in g.iterrows()]
        pos = np.arange(len(g))
        bottom = np.zeros(len(g))
        for o in OUTCOMES:
            f = g[f"freq_{o}"].to_numpy()
            ax.bar(pos, f, bottom=bottom, color=COLOURS[o], width=0.8, label=o, edgecolor="white", linewidth=0.5)
            bottom += f
        ax.set_xticks(pos, labels, rotation=0 if x and len(g) <= 8 else 60, ha="center" if x else "right",
                      fontsize=8)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("share of runs")
        ax.set_xlabel(x or "")
        ax.set_title(ptitle, fontsize=9, pad=10)
        for i, n in enumerate(g["n"]):
            ax.text(i, 1.005, f"n={n}", ha="center", va="bottom", fontsize=6, color="#555")
    handles = [Patch(color=COLOURS[o], label=o) for o in OUTCOMES]
    fig.legend(handles=handles, loc="upper center", ncol=6, bbox_to_anchor=(0.5, 1.06), frameon=False, fontsize=8)
    fig.suptitle(title + ": settled quadrant per point" if title else "Settled quadrant per point", y=1.1)
    return save(fig, directory, "frequencies")


def frequency_lines(summary: pd.DataFrame, names: list[str], directory: Path, x: str | None = None, title: str = ""):
    """Settled-quadrant frequencies against a numeric swept parameter, with 95 % Wilson bands."""
    x, rest = _choose_x(summary, names, x)
    if not x or not _is_numeric(summary[x]):
        return []
    panels = _facets(summary, rest)
    fig, axes = _grid(len(panels))
    for ax, (ptitle, g) in zip(axes, panels):
        g = g.sort_values(x)
        for o in OUTCOMES:
            if g[f"freq_{o}"].max() == 0:
                continue
            ax.plot(g[x], g[f"freq_{o}"], marker="o", ms=3, color=COLOURS[o], label=o)
            ax.fill_between(g[x], g[f"freq_{o}_lo"], g[f"freq_{o}_hi"], color=COLOURS[o], alpha=0.18, lw=0)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(x)
        ax.set_ylabel("share of runs (95 % Wilson CI)")
        ax.set_title(ptitle, fontsize=9)
    handles = [Patch(color=COLOURS[o], label=o) for o in OUTCOMES]
    fig.legend(handles=handles, loc="upper center", ncol=6, bbox_to_anchor=(0.5, 1.06), frameon=False, fontsize=8)
    fig.suptitle((title + ": " if title else "") + f"settled quadrant against {x}", y=1.1)
    return save(fig, directory, "frequencies_ci")


def _shade(colour: str, f: float) -> tuple:
    """The outcome colour, washed toward white as its frequency falls (f=1: full colour)."""
    rgb = np.array(matplotlib.colors.to_rgb(colour))
    return tuple(1 - f * (1 - rgb))


def phase_map(summary: pd.DataFrame, names: list[str], directory: Path, axes_names: list[str] | None = None,
              title: str = ""):
    """2-D phase map: colour = dominant settled quadrant, shade = its frequency."""
    numeric = [n for n in varying(summary, names) if _is_numeric(summary[n])]
    axes_names = [n for n in (axes_names or numeric[:2]) if n in numeric]
    if len(axes_names) != 2:
        return []
    xn, yn = axes_names
    rest = [n for n in varying(summary, names) if n not in axes_names]
    panels = _facets(summary, rest)
    if len(panels) > MAX_PANELS:  # a sampled design: project every point onto the two axes
        panels = [(f"all points ({', '.join(rest)} vary too)", summary)]
    fig, axs = _grid(len(panels), w=5.0, h=4.2)
    for ax, (ptitle, g) in zip(axs, panels):
        xs, ys = np.sort(g[xn].unique()), np.sort(g[yn].unique())
        regular = len(xs) * len(ys) == len(g)
        if regular:
            def edges(v):
                mid = (v[1:] + v[:-1]) / 2 if len(v) > 1 else np.array([])
                first = v[0] - (mid[0] - v[0] if len(mid) else 0.5)
                last = v[-1] + (v[-1] - mid[-1] if len(mid) else 0.5)
                return np.concatenate([[first], mid, [last]])

            ex, ey = edges(xs.astype(float)), edges(ys.astype(float))
            for _, r in g.iterrows():
                i, k = np.searchsorted(xs, r[xn]), np.searchsorted(ys, r[yn])
                ax.add_patch(Rectangle((ex[i], ey[k]), ex[i + 1] - ex[i], ey[k + 1] - ey[k],
                                       color=_shade(COLOURS[r["dominant"]], r["dominant_freq"]), lw=0))
                ax.text(r[xn], r[yn], f"{r['dominant']}\n{r['dominant_freq']:.2f}", ha="center", va="center",
                        fontsize=6, color="black")
            ax.set_xlim(ex[0], ex[-1])
            ax.set_ylim(ey[0], ey[-1])
        else:
            ax.scatter(g[xn], g[yn], c=[_shade(COLOURS[d], f) for d, f in zip(g["dominant"], g["dominant_freq"])],
                       s=60 if len(g) <= 200 else 18, edgecolors="#444", linewidths=0.3)
        ax.set_xlabel(xn)
        ax.set_ylabel(yn)
        ax.set_title(ptitle, fontsize=9)
    handles = [Patch(color=COLOURS[o], label=o) for o in OUTCOMES]
    fig.legend(handles=handles, loc="upper center", ncol=6, bbox_to_anchor=(0.5, 1.06), frameon=False, fontsize=8)
    fig.suptitle((title + ": " if title else "") + "dominant settled quadrant (colour) and its frequency (shade)",
                 y=1.1)
    return save(fig, directory, "phase_map")


def _panel_points(summary: pd.DataFrame, points: list[int] | None) -> list[int]:
    """Points that get a panel of their own: those named in the outputs, else the first six of a small design."""
    avail = list(summary["point"]) if not summary.empty else []
    if points is None and len(avail) > 40:
        return []  # a sampled design: per-point panels would be arbitrary
    chosen = [p for p in (points if points is not None else avail[:6]) if p in avail]
    return chosen[:MAX_PANELS]


def time_series(ts: pd.DataFrame, summary: pd.DataFrame, names: list[str], directory: Path, title: str = ""):
    """Mean quadrant shares over time (10-90 % band across the sampled runs), one panel per point."""
    if ts is None or ts.empty:
        return []
    pts = sorted(ts["point"].unique())[:MAX_PANELS]
    vary = varying(summary, names)
    fig, axes = _grid(len(pts))
    for ax, j in zip(axes, pts):
        g = ts[ts["point"] == j]
        for q in ("Q1", "Q2", "Q3", "Q4"):
            ax.plot(g["step"], g[f"share_{q}_mean"], color=COLOURS[q], lw=1.2, label=q)
            ax.fill_between(g["step"], g[f"share_{q}_lo"], g[f"share_{q}_hi"], color=COLOURS[q], alpha=0.15, lw=0)
        row = summary[summary["point"] == j]
        name = label(row.iloc[0], vary) if len(row) else f"point {j}"
        ax.set_title(f"{name} ({int(g['runs'].iloc[0])} runs)", fontsize=9)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("step (month)")
        ax.set_ylabel("share of contracts")
    handles = [Patch(color=COLOURS[q], label=q) for q in ("Q1", "Q2", "Q3", "Q4")]
    fig.legend(handles=handles, loc="upper center", ncol=4, bbox_to_anchor=(0.5, 1.06), frameon=False, fontsize=8)
    fig.suptitle((title + ": " if title else "") + "quadrant shares over time (mean, 10-90 % band; settled runs held)",
                 y=1.1)
    return save(fig, directory, "timeseries")


# PB Figure 1: x = MNE exploitation (left) → exploration (right); y = SME domestic (bottom) → international (top)
_QPOS = {"Q1": (0, 0), "Q2": (0, 1), "Q3": (1, 1), "Q4": (1, 0)}
_S = 1.9  # spacing of the quadrant boxes (box side 1)
_PATH_ENDS = {"A": ("Q2", "Q1"), "B": ("Q4", "Q1"), "C": ("Q2", "Q3"), "D": ("Q4", "Q3")}


def path_flows(summary: pd.DataFrame, names: list[str], directory: Path, points: list[int] | None = None,
               title: str = ""):
    """Path-flow diagrams on PB's 2×2: arrows A-D, one per action, width ∝ mean events per run;
    each quadrant box is shaded by how often runs settled there."""
    pts = _panel_points(summary, points)
    keys = [f"path_{p}_{a}" for p in _PATH_ENDS for a in ACTION_COLOURS]
    if not pts or not all(k in summary for k in keys):
        return []
    vary = varying(summary, names)
    top = max(float(summary.loc[summary["point"].isin(pts), keys].to_numpy().max()), 1e-9)
    fig, axes = _grid(len(pts), w=4.4, h=4.4)
    for ax, j in zip(axes, pts):
        r = summary[summary["point"] == j].iloc[0]
        for q, (cx, cy) in _QPOS.items():
            f = float(r[f"freq_{q}"])
            ax.add_patch(Rectangle((cx * _S, cy * _S), 1.0, 1.0, facecolor=_shade(COLOURS[q], 0.15 + 0.85 * f),
                                   edgecolor=COLOURS[q], lw=1.2))
            ax.text(cx * _S + 0.5, cy * _S + 0.5, f"{q}\n{100 * f:.0f} %", ha="center", va="center", fontsize=9)
        for p, (src, dst) in _PATH_ENDS.items():
            (sx, sy), (dx, dy) = _QPOS[src], _QPOS[dst]
            vertical = sx == dx
            n_act = len(ACTION_COLOURS)
            for i, (a, col) in enumerate(ACTION_COLOURS.items()):
                v = float(r[f"path_{p}_{a}"])
                if v <= 0:
                    continue
                off = 0.2 + 0.6 * i / (n_act - 1)
                if vertical:
                    x0 = x1 = sx * _S + off
                    y0, y1 = (sy * _S + (0 if sy > dy else 1.0)), (dy * _S + (1.0 if sy > dy else 0))
                else:
                    y0 = y1 = sy * _S + off
                    x0, x1 = (sx * _S + (0 if sx > dx else 1.0)), (dx * _S + (1.0 if sx > dx else 0))
                ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=8,
                                             lw=0.6 + 5 * v / top, color=col, alpha=0.85))
            total = float(r[f"path_{p}"])
            if vertical:  # A on the left of the left column, D on the right of the right column
                tx, ha = (sx * _S - 0.08, "right") if sx == 0 else (sx * _S + 1.08, "left")
                ty = _S / 2 + 0.5
            else:  # C above the top row, B below the bottom row
                tx, ty, ha = _S / 2 + 0.5, (sy * _S + 1.12 if sy == 1 else -0.12), "center"
            ax.text(tx, ty, f"{p}: {total:.1f}", fontsize=8, ha=ha, va="center", fontweight="bold")
        ax.set_xlim(-0.75, _S + 1.75)
        ax.set_ylim(-0.3, _S + 1.3)
        ax.set_xticks([0.5, _S + 0.5], ["exploitation", "exploration"], fontsize=8)
        ax.set_yticks([0.5, _S + 0.5], ["domestic", "international"], fontsize=8, rotation=90, va="center")
        ax.set_xlabel("MNE subsidiary intent", fontsize=8)
        ax.set_ylabel("SME orientation", fontsize=8)
        ax.set_title(label(r, vary), fontsize=9)
        for s in ax.spines.values():
            s.set_visible(False)
    handles = [Patch(color=c, label=a) for a, c in ACTION_COLOURS.items()]
    fig.legend(handles=handles, loc="upper center", ncol=4, bbox_to_anchor=(0.5, 1.06), frameon=False, fontsize=8)
    fig.suptitle((title + ": " if title else "")
                 + "paths A-D by action (mean events per run; width ∝ count), box shade = settled share", y=1.1)
    return save(fig, directory, "paths")


def metric_lines(summary: pd.DataFrame, names: list[str], metrics: list[str], directory: Path,
                 x: str | None = None, title: str = ""):
    """Mean of each metric (± 1.96 s.e.) against the swept parameter, one line per value of a second one."""
    metrics = [m for m in metrics if m in summary]
    vary = varying(summary, names)
    if not metrics or not vary:
        return []
    x = x if x in vary else vary[0]
    rest = [n for n in vary if n != x]
    fig, axes = _grid(len(metrics))
    groups = _facets(summary, rest)
    cmap = plt.get_cmap("viridis")
    for ax, m in zip(axes, metrics):
        for i, (glabel, g) in enumerate(groups):
            g = g.sort_values(x)
            col = cmap(i / max(1, len(groups) - 1)) if len(groups) > 1 else "black"
            xv = g[x] if _is_numeric(g[x]) else np.arange(len(g))
            ax.plot(xv, g[m], marker="o", ms=3, color=col, label=glabel or None)
            if f"{m}_se" in g:
                ax.fill_between(xv, g[m] - 1.96 * g[f"{m}_se"], g[m] + 1.96 * g[f"{m}_se"], color=col, alpha=0.15, lw=0)
        if not _is_numeric(summary[x]):
            ax.set_xticks(np.arange(len(groups[0][1])), [_fmt(v) for v in groups[0][1].sort_values(x)[x]])
        ax.set_xlabel(x)
        ax.set_ylabel(m)
    if len(groups) > 1:
        axes[0].legend(fontsize=7, frameon=False)
    fig.suptitle((title + ": " if title else "") + "metrics (mean over runs, 95 % CI)")
    return save(fig, directory, "metrics")


def sensitivity_bars(sens: pd.DataFrame, directory: Path, title: str = ""):
    """Sobol S1 and ST with 95 % bootstrap intervals (or Morris mu* and sigma)."""
    if sens is None or sens.empty:
        return []
    target = sens["target"].iloc[0]
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(sens) + 2), 3.6), layout="constrained")
    pos = np.arange(len(sens))
    if "S1" in sens:
        ax.bar(pos - 0.2, sens["S1"], 0.4, yerr=sens["S1_conf"], label="first order S1", color="#4477AA", capsize=3)
        ax.bar(pos + 0.2, sens["ST"], 0.4, yerr=sens["ST_conf"], label="total ST", color="#EE7733", capsize=3)
        ax.set_ylabel("Sobol index (95 % CI)")
        stem = "sobol"
    else:
        ax.bar(pos - 0.2, sens["mu_star"], 0.4, yerr=sens["mu_star_conf"], label="mu*", color="#4477AA", capsize=3)
        ax.bar(pos + 0.2, sens["sigma"], 0.4, label="sigma", color="#EE7733")
        ax.set_ylabel("Morris elementary effects")
        stem = "morris"
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(pos, sens["parameter"], rotation=30, ha="right")
    ax.legend(frameon=False)
    out = f"P({target})" if target in OUTCOMES else target
    ax.set_title((title + ": " if title else "") + f"sensitivity of {out}")
    return save(fig, directory, stem)


def draw_all(directory: Path, tables: dict[str, pd.DataFrame], names: list[str], outputs: dict,
             title: str = "") -> list[Path]:
    """Every figure the saved tables allow; returns the files written."""
    summary = tables.get("summary", pd.DataFrame())
    if summary.empty:
        return []
    x = outputs.get("x")
    paths = list(itertools.chain(
        frequency_bars(summary, names, directory, x, title),
        frequency_lines(summary, names, directory, x, title),
        phase_map(summary, names, directory, outputs.get("phase"), title),
        time_series(tables.get("timeseries"), summary, names, directory, title),
        path_flows(summary, names, directory, outputs.get("step_points"), title),
        metric_lines(summary, names, outputs.get("metrics", []), directory, x, title),
        sensitivity_bars(tables.get("sensitivity"), directory, title),
    ))
    return paths
