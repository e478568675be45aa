"""Figures of the version-2 experiments (MODEL.md §11–12), each asked for by an ``[outputs]`` key
(:mod:`experiments.outputs`): ``hysteresis`` (the regime against a parameter from two starts, the bistable
range shaded), ``shocks`` (return probability and return times after a shock, censored runs marked) and
``turnover`` (regime frequencies and mean composition against SME turnover, per start)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import labels as lab
from experiments.plots import base
from sim.palette import OUTCOME_COLOURS, QUADRANT_COLOURS, SERIES_COLOURS

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


def _start_colour(s: str, k: int) -> str:
    return OUTCOME_COLOURS.get(s, SERIES_COLOURS[k % len(SERIES_COLOURS)])


def bistable_spans(x: np.ndarray, flags: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of flagged x values as (left, right), reaching halfway to the unflagged neighbours."""
    x = np.asarray(x, dtype=float)
    edges = np.concatenate([[x[0] - (x[1] - x[0]) / 2 if len(x) > 1 else x[0] - 0.5],
                            (x[1:] + x[:-1]) / 2,
                            [x[-1] + (x[-1] - x[-2]) / 2 if len(x) > 1 else x[0] + 0.5]])
    spans, i = [], 0
    while i < len(x):
        if flags[i]:
            k = i
            while k + 1 < len(x) and flags[k + 1]:
                k += 1
            spans.append((float(edges[i]), float(edges[k + 1])))
            i = k + 1
        else:
            i += 1
    return spans


@base.styled
def hysteresis(summary: pd.DataFrame, table: pd.DataFrame | None, names: Sequence[str], spec: Mapping,
               directory: Path, labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """P(outcome) and P(the other equilibrium) against x from each of two starts, with 95 % Wilson bands;
    the range where history decides (``table['bistable']``) shaded and labelled."""
    x, start, starts, outcome = spec["x"], spec["start"], tuple(spec["starts"]), spec["outcome"]
    if x not in summary or start not in summary or not set(starts) <= set(summary[start]):
        return []
    other = "Q1" if outcome != "Q1" else "Q3"
    rest = [n for n in base.varying(summary, names) if n not in (x, start)]
    panels = base.facets(summary, rest, labels)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(panels, per_page=6)):
        fig = base.new_figure(6.6, 2.6 * len(chunk))
        axes = fig.subplots(len(chunk), 2, squeeze=False)
        for (ptitle, g), row in zip(chunk, axes):
            t = table if table is not None and not table.empty else pd.DataFrame()
            for col in rest:
                if not t.empty:
                    t = t[t[col] == g[col].iloc[0]]
            for ax, o in zip(row, (outcome, other)):
                for k, s in enumerate(starts):
                    h = g[g[start] == s].sort_values(x)
                    c = _start_colour(s, k)
                    ax.plot(h[x], h[f"freq_{o}"], marker="o", ms=2.5, lw=1.3, color=c, ls="-" if k == 0 else "--",
                            label=f"start {lab.value(start, s)}")
                    ax.fill_between(h[x], h[f"freq_{o}_lo"], h[f"freq_{o}_hi"], color=c, alpha=0.18, lw=0)
                if not t.empty and t["bistable"].astype(bool).any():
                    t = t.sort_values(x)
                    for left, right in bistable_spans(t[x].to_numpy(), t["bistable"].astype(bool).to_numpy()):
                        ax.axvspan(left, right, color="#DDDDDD", zorder=0, lw=0)
                        ax.text((left + right) / 2, 1.0, "bistable", ha="center", va="top", fontsize=6.5,
                                color="#333")
                ax.set_ylim(-0.02, 1.05)
                ax.set_xlabel(lab.label(x, labels))
                ax.set_ylabel(f"P({o}) (share of runs, 95 % CI)")
                ax.set_title(", ".join(s for s in (ptitle, lab.outcome(o, labels)) if s))
        base.heading(fig, f"History: the regime against {lab.label(x, labels, unit=False)} from two starts",
                     axes[0][0].get_legend_handles_labels()[0], ncol=2)
        base.note(fig, f"Shaded: bistable, where the starts' P({outcome}) differ by ≥ {spec['gap']:g} with "
                  "non-overlapping 95 % Wilson intervals (hysteresis.csv).")
        files += base.save(fig, directory, base.page_stem("hysteresis", page), formats)
    return files


@base.styled
def shocks(table: pd.DataFrame | None, directory: Path, group_name: str | None = None,
           labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Left: share of shocked runs whose pre-shock regime returned, per group (95 % Wilson). Right: the share
    returned within t steps of the shock (an ECDF over all shocked runs, so it levels off at the return
    probability); a run not back by the end is censored there, marked and counted."""
    if table is None or table.empty:
        return []
    from experiments.runner import wilson

    groups = sorted(table["group"].astype(str).unique())
    fig = base.new_figure(6.6, 2.7)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.6])
    base.categorical_axis(left, groups, group_name or "", labels)
    notes = []
    for k, grp in enumerate(groups):
        g = table[table["group"].astype(str) == grp]
        n, back = len(g), int(g["returned"].astype(bool).sum())
        lo, hi = wilson(back, n)
        p = back / n
        c = _start_colour(grp, k)
        left.errorbar([k], [p], yerr=[[p - float(lo)], [float(hi) - p]], fmt="o", color=c, capsize=2, ms=4)
        left.text(k, float(hi) + 0.03, f"{back}/{n}", ha="center", va="bottom", fontsize=6.5)
        times = np.sort(g.loc[g["returned"].astype(bool), "return_time"].dropna().to_numpy(dtype=float))
        censor = g["censor_time"].dropna()
        t_end = float(censor.max()) if len(censor) else (float(times.max()) if len(times) else 1.0)
        xs = np.concatenate([[0.0], times, [t_end]])
        ys = np.concatenate([[0.0], np.arange(1, len(times) + 1) / n, [len(times) / n]])
        name = lab.value(group_name or "", grp) if grp != "all" else "all runs"
        right.step(xs, ys, where="post", color=c, lw=1.3, ls="-" if k % 2 == 0 else "--", label=name)
        if n - back:
            right.plot([t_end], [len(times) / n], marker=">", color=c, ms=5)
            notes.append(f"{name}: {n - back} of {n} not back" + (f" by {t_end:g} months (censored)" if len(censor)
                                                                  else " by the end of the run (censored)"))
    left.set_ylim(0, 1.1)
    left.set_ylabel("regime returned (share of runs, 95 % CI)")
    left.set_xlabel(lab.label(group_name, labels) if group_name else "")
    right.set_ylim(0, 1.02)
    right.set_xlabel("months after the shock")
    right.set_ylabel("share of runs returned by then")
    right.legend(frameon=False, loc="lower right")
    fig.suptitle("After a shock: does the regime return, and how fast?")
    if notes:
        base.note(fig, "▶ censored: " + "; ".join(notes))
    return base.save(fig, directory, "shocks", formats)


@base.styled
def turnover(summary: pd.DataFrame, names: Sequence[str], spec: Mapping, directory: Path,
             labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Per start (columns): P(regime) against turnover with 95 % Wilson bands (top) and, where the runs report
    it, the mean composition over the settlement window (bottom, 95 % bootstrap bands)."""
    x, start = spec["x"], spec["start"]
    if x not in summary or not base.is_numeric(summary[x]):
        return []
    starts = sorted(summary[start].unique()) if start in summary else [None]
    has_comp = all(f"composition_{q}" in summary for q in QUADRANTS)
    shown = base.present(summary)
    rows = 2 if has_comp else 1
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(starts, per_page=4)):
        fig = base.new_figure(2.8 * len(chunk), 2.5 * rows)
        axes = fig.subplots(rows, len(chunk), squeeze=False)
        for j, s in enumerate(chunk):
            g = (summary if s is None else summary[summary[start] == s]).sort_values(x)
            ax = axes[0][j]
            for o in shown:
                c = OUTCOME_COLOURS[o]
                ax.plot(g[x], g[f"freq_{o}"], marker="o", ms=2.5, lw=1.2, color=c)
                ax.fill_between(g[x], g[f"freq_{o}_lo"], g[f"freq_{o}_hi"], color=c, alpha=0.18, lw=0)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"start {lab.value(start, s)}" if s is not None else "")
            ax.set_ylabel("regime: share of runs (95 % CI)")
            ax.set_xlabel(lab.label(x, labels))
            if has_comp:
                ax = axes[1][j]
                for q in QUADRANTS:
                    c = QUADRANT_COLOURS[q]
                    ax.plot(g[x], g[f"composition_{q}"], lw=1.2, color=c)
                    if f"composition_{q}_lo" in g:
                        ax.fill_between(g[x], g[f"composition_{q}_lo"], g[f"composition_{q}_hi"], color=c, alpha=0.18,
                                        lw=0)
                ax.set_ylim(-0.02, 1.02)
                ax.set_ylabel("mean share of contracts")
                ax.set_xlabel(lab.label(x, labels))
        base.heading(fig, f"Regimes under turnover: {lab.label(x, labels, unit=False)}",
                     base.outcome_handles(list(dict.fromkeys([*shown, *QUADRANTS])), labels))
        if has_comp:
            base.note(fig, "Bottom: composition, the mean share of contracts in each quadrant over the settlement "
                      "window.")
        files += base.save(fig, directory, base.page_stem("turnover", page), formats)
    return files
