"""How the long-run regime (the headline outcome) depends on each parameter of a sampled design (lhs, sobol,
morris): P(each regime) in bins of the parameter, with Wilson bands, and each point's P(target). Not for a list
of points (the confirmation experiment's), whose points come from different experiments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from experiments.analysis.stats import wilson
from experiments.definition.experiment import DEFAULT_TARGET
from experiments.figures import base
from experiments.figures import labels as lab

ORDER = 10
CAPTIONS = {"dependence": "P(regime) in bins of each parameter (95 % Wilson) and each point's P(target)."}


def draw(ctx: base.Context) -> list[Path]:
    if not ctx.sampled or ctx.design == "points":
        return []
    return dependence(ctx.summary, ctx.names, ctx.directory, target=ctx.target, outcomes=ctx.categories, **ctx.kw)


BINS = 8


def binned(summary: pd.DataFrame, name: str, bins: int = BINS, outcomes: Sequence[str] | None = None) -> pd.DataFrame:
    """P(outcome) within bins of one parameter, pooling the runs of every point in the bin (the others
    averaged over as sampled: a partial-dependence estimate), with 95 % Wilson intervals."""
    outcomes = base.categories(outcomes)
    v = summary[name]
    if v.nunique() <= bins:
        key = v
    else:
        key = pd.qcut(v.rank(method="first"), bins, labels=False)
    rows = []
    for _, g in summary.groupby(key, sort=True):
        n = int(g["n"].sum())
        row = {"x": float(g[name].mean()), "n": n}
        for o in outcomes:
            k = float((g[f"freq_{o}"] * g["n"]).sum())
            lo, hi = wilson(round(k), n)
            row[o], row[f"{o}_lo"], row[f"{o}_hi"] = k / n, float(lo), float(hi)
        rows.append(row)
    return pd.DataFrame(rows)


@base.styled
def dependence(summary: pd.DataFrame, names: Sequence[str], directory: Path, target: str = DEFAULT_TARGET,
               labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS,
               outcomes: Sequence[str] | None = None) -> list[Path]:
    """One panel per parameter: P(each regime) in bins of that parameter (lines, Wilson bands) and
    P(target) at every design point (dots)."""
    outcomes = base.categories(outcomes)
    params = [n for n in base.varying(summary, names) if base.is_numeric(summary[n])]
    if not params:
        return []
    shown = base.present(summary, outcomes)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(params)):
        fig, axes = base.grid_figure(len(chunk))
        for ax, name in zip(axes, chunk):
            if f"freq_{target}" in summary:
                ax.scatter(summary[name], summary[f"freq_{target}"], s=4, color=base.colour(target), alpha=0.25,
                           lw=0)
            b = binned(summary, name, outcomes=outcomes)
            for o in shown:
                c = base.colour(o)
                ax.plot(b["x"], b[o], marker="o", ms=2.5, lw=1.2, color=c)
                ax.fill_between(b["x"], b[f"{o}_lo"], b[f"{o}_hi"], color=c, alpha=0.18, lw=0)
            ax.set_ylim(-0.02, 1.02)
            ax.set_xlabel(lab.label(name, labels))
            ax.set_ylabel("share of runs")
        base.heading(fig, f"Long-run regime against each parameter: lines = share of runs in bins of that parameter "
                     f"(95 % Wilson), dots = P({target}) at each of {len(summary)} points",
                     base.outcome_handles(shown, labels))
        files += base.save(fig, directory, base.page_stem("dependence", page), formats)
    return files
