"""The subsidiary-level companion of the frequency figures (MODEL.md §13.2: "every frequency figure has a
subsidiary-level companion", PB's own unit being a subsidiary's partnership portfolio): per design point, two
stacked bars side by side, the population's long-run regime (share of runs, the headline outcome) and the mean
share of subsidiaries locked in Q1–Q4 or contested at the end of the run (``subs_*``, among the subsidiaries
with a portfolio). A grid draws its points as :mod:`.frequencies` does (x and panels); a sampled design one pair
of bars per value of its categorical parameters (e.g. each start), pooled over its other points (weighted by
their runs), or one pair for all. Drawn from ``summary.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab
from sim.vocabulary import SUBSIDIARY_STATES

ORDER = 12
CAPTIONS = {"subsidiaries": "Runs and subsidiaries side by side: the population's long-run regime (left bar, share "
                            "of runs) and the mean share of subsidiaries locked in each quadrant or contested at the "
                            "end (right bar)."}
WIDTH = 0.38


def draw(ctx: base.Context) -> list[Path]:
    if not all(f"subs_{s}" in ctx.summary for s in SUBSIDIARY_STATES) or ctx.model.headline is None:
        return []
    return subsidiaries(ctx.summary, ctx.names, ctx.directory, ctx.outputs.get("x"), sampled=ctx.sampled,
                        outcomes=ctx.categories, what=ctx.headline, **ctx.kw)


def pooled(summary: pd.DataFrame, names: Sequence[str], outcomes: Sequence[str], labels: Mapping | None = None
           ) -> pd.DataFrame:
    """One row per panel of a sampled design (:func:`base.groups`): the run-weighted mean over its points of the
    headline frequencies and the subsidiary shares."""
    cols = [*(f"freq_{o}" for o in outcomes), *(f"subs_{s}" for s in SUBSIDIARY_STATES)]
    rows = []
    for title, pts in base.groups(summary, names, True, labels):
        g = summary[summary["point"].isin(pts)]
        w = g["n"].to_numpy(dtype=float)
        row = {"title": title, "n": int(w.sum())}
        for c in cols:
            v = g[c].to_numpy(dtype=float)
            ok = np.isfinite(v)
            row[c] = float(np.average(v[ok], weights=w[ok])) if ok.any() and w[ok].sum() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


@base.styled
def subsidiaries(summary: pd.DataFrame, names: Sequence[str], directory: Path, x: str | None = None,
                 sampled: bool = False, labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
                 outcomes: Sequence[str] | None = None, what: str | None = None) -> list[Path]:
    """Per point (or pooled panel): the headline outcome's frequencies (left bar) beside the mean subsidiary
    states (right bar)."""
    outcomes = base.categories(outcomes)
    if sampled:
        table = pooled(summary, names, outcomes, labels)
        x, panels = None, [("", table)]
        ticks = {"title": list(table["title"])}
    else:
        x, rest = base.choose_x(summary, names, x)
        panels = base.facets(summary, rest, labels) if x else [("", summary)]
        ticks = {}
    shown = [o for o in base.present(summary, outcomes)]
    states = [s for s in SUBSIDIARY_STATES if np.nanmax(summary[f"subs_{s}"].to_numpy(dtype=float), initial=0) > 0]
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(panels)):
        width = max(3.4, 0.5 * max(len(g) for _, g in chunk) + 1.4)
        fig, axes = base.grid_figure(len(chunk), w=width, h=2.8)
        for ax, (ptitle, g) in zip(axes, chunk):
            g = g.sort_values(x) if x else g
            pos = np.arange(len(g))
            _stack(ax, pos - WIDTH / 2 - 0.01, g, [f"freq_{o}" for o in outcomes], outcomes)
            _stack(ax, pos + WIDTH / 2 + 0.01, g, [f"subs_{s}" for s in SUBSIDIARY_STATES], SUBSIDIARY_STATES)
            if x:
                names_ = [lab.value(x, v) for v in g[x]]
            elif ticks:
                names_ = list(g["title"])
            else:
                names_ = [f"point {p}" for p in g["point"]]
            many = len(g) > 6
            ax.set_xticks(pos, names_, rotation=60 if many else 0, ha="right" if many else "center")
            ax.set_ylim(0, 1.12)
            ax.set_xlim(-0.7, len(g) - 0.3)
            ax.set_ylabel("share (runs | subsidiaries)")
            ax.set_xlabel(lab.label(x, labels) if x else "")
            ax.set_title(ptitle)
            if len(g) <= 8:
                for i in pos:
                    ax.text(i - WIDTH / 2, 1.01, "runs", ha="center", va="bottom", fontsize=5.5, color="#444")
                    ax.text(i + WIDTH / 2, 1.01, "subs", ha="center", va="bottom", fontsize=5.5, color="#444")
        title = f"{(what or base.headline_label()).capitalize()} of the runs and the state of their subsidiaries"
        handles = base.outcome_handles(list(dict.fromkeys([*shown, *states])), labels)
        base.heading(fig, title + (f" against {lab.label(x, labels, unit=False)}" if x else ""), handles, ncol=4)
        base.note(fig, "Left bar (runs): share of runs by long-run regime. Right bar (subs): mean share of "
                  "subsidiaries locked in each quadrant, or contested, at the end of the run (those with contracts).")
        files += base.save(fig, directory, base.page_stem("subsidiaries", page), formats)
    return files


def _stack(ax, pos: np.ndarray, g: pd.DataFrame, columns: list[str], names: Sequence[str]) -> None:
    bottom = np.zeros(len(g))
    for c, o in zip(columns, names):
        f = np.nan_to_num(g[c].to_numpy(dtype=float)) if c in g else np.zeros(len(g))
        ax.bar(pos, f, bottom=bottom, color=base.colour(o), width=WIDTH, edgecolor="white", linewidth=0.4)
        bottom += f
