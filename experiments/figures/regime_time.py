"""The share of runs in each regime against time (MODEL.md §13.4), per design point: a stacked area of the
window-mean regime of every run (Q1–Q4, mixed) every 12 months from month 0 to the longest horizon, then, at the
right, a bar of the same runs' long-run regime (the headline outcome, §13.3). "Where will this be in five or ten
years" on the left, "where does it end" on the right.

On by default (``[outputs] regime_time = false`` turns it off): the runner asks the model for its ``timeline``
table (a row every 12 months: ``month``, ``regime``, ...) for every run, when the model can make one. A grid
design gets a panel per point; a sampled design one per value of its categorical parameters (e.g. each start),
pooled over the others, or one of all its runs. The shares are saved in ``regime_time.csv`` (``panel``,
``title``, ``point`` (-1 for a pooled panel), ``month``, ``runs``, ``share_<regime>``, and the panel's long-run
regime distribution ``long_run_<o>`` over ``long_run_n`` runs), from which ``plot`` re-draws without the runs.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.summary import horizons
from experiments.definition import models
from experiments.figures import base
from sim.vocabulary import REGIMES

KEY = "regime_time"
ORDER = 15
CAPTIONS = {"regime_time": "Share of runs in each window-mean regime against time (months), to the longest "
                           "horizon; at the right, the same runs' long-run regime."}
TABLE = "regime_time.csv"
TABLE_TITLE = "Regime against time (share of runs)"
TIMELINE = "timeline"
COLUMNS = ["point", "replicate", "month", "regime"]  # what this figure reads of the model's timeline


def on(outputs: Mapping[str, Any]) -> bool:
    return outputs.get(KEY, True) is not False


def check(value: Any, design: dict[str, list], model) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"[outputs] regime_time must be true or false (default true), got {value!r}")


def model_tables(outputs: Mapping[str, Any]) -> dict[str, list[str]]:
    """The model's timeline of every run, unless the figure is turned off."""
    return {TIMELINE: COLUMNS} if on(outputs) else {}


def table(runs: pd.DataFrame, summary: pd.DataFrame, names: list[str], outputs: Mapping[str, Any], *,
          data: Mapping[str, pd.DataFrame], model: models.ModelInfo) -> pd.DataFrame | None:
    tl = data.get(TIMELINE)
    if not on(outputs) or tl is None or tl.empty or summary.empty or runs.empty:
        return None
    return regime_time_table(runs, tl, summary, names, model.headline, outputs.get("labels"))


def longest_horizon(runs: pd.DataFrame, outcome, last: int) -> int:
    """The longest horizon the runs report (their columns ``<headline>_<months>``), at most ``last``; ``last``
    when they report none."""
    reached = [h for h, c in horizons(runs.columns, outcome).items() if runs[c].notna().any() and h <= last]
    return max(reached, default=last)


def regime_time_table(runs: pd.DataFrame, timeline: pd.DataFrame, summary: pd.DataFrame, names: Sequence[str],
                      outcome, labels: Mapping | None = None) -> pd.DataFrame:
    """Per panel and month (every row of the timeline up to the longest horizon): the runs with a row then and
    the share of them in each window-mean regime; and the panel's long-run regime distribution."""
    tl = timeline[["point", "replicate", "month", "regime"]].dropna(subset=["month"])
    tl = tl[tl["month"] <= longest_horizon(runs, outcome, int(tl["month"].max()))]
    seen = [str(v) for v in pd.unique(tl["regime"].dropna().astype(str))]
    regimes = [*REGIMES, *sorted(set(seen) - set(REGIMES))]
    long_run = tuple(outcome.categories) if outcome is not None else ()
    frames = []
    for k, (title, pts) in enumerate(base.groups(summary, names, base.is_sampled(summary, names), labels)):
        g = tl[tl["point"].isin(pts)]
        if g.empty:
            continue
        counts = pd.crosstab(g["month"], g["regime"].astype(str)).reindex(columns=regimes, fill_value=0)
        n = counts.sum(axis=1)
        frame = pd.DataFrame({"panel": k, "title": title, "point": pts[0] if len(pts) == 1 else -1,
                              "month": counts.index.astype(int), "runs": n.to_numpy()})
        for r in regimes:
            frame[f"share_{r}"] = (counts[r] / n).to_numpy()
        end = runs[runs["point"].isin(pts)]
        has = outcome is not None and outcome.key in end
        values = end[outcome.key].astype(str) if has else pd.Series([], dtype=str)
        for o in long_run:
            frame[f"long_run_{o}"] = float((values == o).mean()) if len(values) else np.nan
        frame["long_run_n"] = len(values)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def draw(ctx: base.Context) -> list[Path]:
    if not on(ctx.outputs):
        return []
    t = ctx.tables.get(KEY)
    if t is None or t.empty:
        if ctx.model.can_make(TIMELINE) and KEY in ctx.outputs:
            warnings.warn("regime_time: the runs kept no timeline (run the experiment through the CLI or "
                          "experiments.run_experiment, which ask the model for one)", base.FigureSkipped, stacklevel=2)
        return []
    return regime_time(t, ctx.directory, **ctx.kw)


@base.styled
def regime_time(table: pd.DataFrame, directory: Path, labels: Mapping | None = None,
                formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Per panel: the stacked shares of runs in each window-mean regime against months, and at the right a bar of
    the long-run regime distribution of the same runs."""
    regimes = [c.removeprefix("share_") for c in table.columns if c.startswith("share_")]
    long_run = [c.removeprefix("long_run_") for c in table.columns if c.startswith("long_run_") and c != "long_run_n"]
    panels = [g for _, g in table.groupby("panel", sort=True)]
    shown = [o for o in dict.fromkeys([*regimes, *long_run])
             if (f"share_{o}" in table and table[f"share_{o}"].max() > 0)
             or (f"long_run_{o}" in table and table[f"long_run_{o}"].max() > 0)]
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(panels)):
        cols = max(1, min(len(chunk), 3))
        rows = int(np.ceil(len(chunk) / cols))
        fig = base.new_figure(3.6 * cols, 2.5 * rows)
        axes = fig.subplots(rows, 2 * cols, squeeze=False, width_ratios=[6, 1] * cols)
        for i in range(rows * cols):
            area, bar = axes[i // cols][2 * (i % cols)], axes[i // cols][2 * (i % cols) + 1]
            if i >= len(chunk):
                area.set_visible(False)
                bar.set_visible(False)
                continue
            _panel(area, bar, chunk[i], regimes, long_run)
        base.heading(fig, "Where the runs are, month by month, and where they end (share of runs)",
                     base.outcome_handles(shown, labels), ncol=min(len(shown), 4))
        base.note(fig, "Area: each run's window-mean regime every 12 months, to the longest horizon. Bar (right of "
                  "each panel): the long-run regime of the same runs.")
        files += base.save(fig, directory, base.page_stem("regime_time", page), formats)
    return files


def _panel(area, bar, g: pd.DataFrame, regimes: list[str], long_run: list[str]) -> None:
    g = g.sort_values("month")
    months = g["month"].to_numpy(dtype=float)
    area.stackplot(months, *[g[f"share_{r}"].to_numpy(dtype=float) for r in regimes],
                   colors=[base.colour(r) for r in regimes], lw=0)
    area.set_xlim(months.min(), months.max() if len(months) > 1 else months.min() + 1)
    area.set_ylim(0, 1)
    area.set_xlabel("month")
    area.set_ylabel("share of runs")
    runs = int(g["runs"].max())
    area.set_title(f"{g['title'].iloc[0]} ({runs} runs)")
    bottom = 0.0
    for o in long_run:
        f = float(g[f"long_run_{o}"].iloc[0]) if pd.notna(g[f"long_run_{o}"].iloc[0]) else 0.0
        bar.bar([0], [f], bottom=bottom, color=base.colour(o), width=0.8, edgecolor="white", linewidth=0.4)
        bottom += f
    bar.set_ylim(0, 1)
    bar.set_xlim(-0.6, 0.6)
    bar.set_xticks([0], ["long\nrun"])
    bar.set_yticks([])
    bar.spines["left"].set_visible(False)
