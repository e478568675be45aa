"""Regimes under turnover (MODEL.md §11.1): per start quadrant, P(long-run regime) against the turnover rate
(lines, Wilson bands) and, below, the mean composition over the last window (bootstrap bands). Asked for by
``[outputs] turnover = "sme_turnover"`` (or ``true``): a numeric design parameter; the composition row needs
the summary keys ``composition_Q1..Q4`` (their intervals are computed when this figure is asked for)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab
from sim.palette import QUADRANT_COLOURS
from sim.vocabulary import QUADRANTS

KEY = "turnover"
ORDER = 90
CAPTIONS = {"turnover": "Regime frequencies and composition against SME turnover, per start."}


def spec(outputs: Mapping[str, Any]) -> dict[str, str] | None:
    raw = outputs.get(KEY, False)
    if raw is False:
        return None
    return {"x": "sme_turnover" if raw is True else raw, "start": base.START}


def check(value: Any, design: dict[str, list], model) -> None:
    if not isinstance(value, (bool, str)):
        raise ValueError("[outputs] turnover must be true, false or the name of a numeric design parameter")
    s = spec({KEY: value})
    if s is not None and s["x"] not in design:
        raise ValueError(f"[outputs] turnover: {s['x']!r} is not a design parameter")


def metrics(outputs: Mapping[str, Any]) -> list[str]:
    """The summary keys whose intervals this figure draws (the composition), when it is asked for."""
    return [f"composition_{q}" for q in QUADRANTS] if spec(outputs) else []


def draw(ctx: base.Context) -> list[Path]:
    s = spec(ctx.outputs)
    if not s:
        return []
    return base.asked(KEY, turnover(ctx.summary, ctx.names, s, ctx.directory, outcomes=ctx.categories, **ctx.kw))


@base.styled
def turnover(summary: pd.DataFrame, names: Sequence[str], spec: Mapping, directory: Path,
             labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
             outcomes: Sequence[str] | None = None) -> list[Path]:
    """Per start (columns): P(long-run regime) against turnover with 95 % Wilson bands (top) and, where the runs
    report it, the mean composition over the last window (bottom, 95 % bootstrap bands)."""
    x, start = spec["x"], spec["start"]
    if x not in summary or not base.is_numeric(summary[x]):
        return []
    starts = sorted(summary[start].unique()) if start in summary else [None]
    has_comp = all(f"composition_{q}" in summary for q in QUADRANTS)
    shown = base.present(summary, outcomes)
    rows = 2 if has_comp else 1
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(starts, per_page=4)):
        fig = base.new_figure(2.8 * len(chunk), 2.5 * rows)
        axes = fig.subplots(rows, len(chunk), squeeze=False)
        for j, s in enumerate(chunk):
            g = (summary if s is None else summary[summary[start] == s]).sort_values(x)
            ax = axes[0][j]
            for o in shown:
                c = base.colour(o)
                ax.plot(g[x], g[f"freq_{o}"], marker="o", ms=2.5, lw=1.2, color=c)
                ax.fill_between(g[x], g[f"freq_{o}_lo"], g[f"freq_{o}_hi"], color=c, alpha=0.18, lw=0)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"start {lab.value(start, s)}" if s is not None else "")
            ax.set_ylabel("long-run regime: share of runs (95 % CI)")
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
            base.note(fig, "Bottom: composition, the mean share of contracts in each quadrant over the last window "
                      "of the run.")
        files += base.save(fig, directory, base.page_stem("turnover", page), formats)
    return files
