"""The confirmation of the long-run regime (MODEL.md §13.3), for a model whose headline outcome is ``confirmed``
(``sim.confirmation:run``: ``agree``, ``disagree``, ``unresolved``; the shipped ``confirmation`` experiment).

Per design point, grouped by the experiment it was sampled from (the points design's ``source``): the
**agreement**, the share of the resolved runs whose long-run regime is the regime of the same seed run twice as
long (``agree / (agree + disagree)``), with its 95 % Wilson interval and the 95 % target; and, below, the share
of runs **unresolved** within ``max_steps`` (Wilson), with the 5 % target at defaults. Saved in
``confirmation.csv`` (``source``, ``point``, ``n``, the counts, ``agreement`` with ``_lo``/``_hi``,
``unresolved`` with ``_lo``/``_hi``, ``below_target``: agreement under 95 %).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.stats import wilson
from experiments.definition import models
from experiments.figures import base

ORDER = 5
KEY_OUTCOME = "confirmed"
AGREE, DISAGREE, UNRESOLVED = "agree", "disagree", "unresolved"
TARGET = 0.95  # MODEL.md §13.3: agreement in at least 95 % of runs at every design point
BELOW = "#D55E00"  # vermilion: a point below the target (no quadrant is drawn here)
UNRESOLVED_TARGET = 0.05  # and at most 5 % unresolved at defaults
CAPTIONS = {"confirmation": "Agreement of the long-run regime with the regime at twice the horizon, per design "
                            "point (resolved runs, 95 % Wilson), grouped by source experiment; below, the share of "
                            "runs unresolved."}
TABLE = "confirmation.csv"
TABLE_TITLE = "Confirmation of the long-run regime per point"


def applies(model: models.ModelInfo) -> bool:
    h = model.headline
    return h is not None and h.key == KEY_OUTCOME and {AGREE, DISAGREE, UNRESOLVED} <= set(h.categories)


def table(runs: pd.DataFrame, summary: pd.DataFrame, names: list[str], outputs: Mapping[str, Any], *,
          model: models.ModelInfo) -> pd.DataFrame | None:
    if not applies(model) or summary.empty:
        return None
    return confirmation_table(summary)


def confirmation_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Per point: the counts of agree, disagree and unresolved (from the frequencies), the agreement among the
    resolved runs and the unresolved share, each with its 95 % Wilson interval."""
    n = summary["n"].to_numpy(dtype=int)
    k = {o: np.rint(summary[f"freq_{o}"].to_numpy(dtype=float) * n).astype(int) for o in (AGREE, DISAGREE, UNRESOLVED)}
    resolved = k[AGREE] + k[DISAGREE]
    out = pd.DataFrame({"source": summary["source"] if "source" in summary else "", "point": summary["point"],
                        "n": n, AGREE: k[AGREE], DISAGREE: k[DISAGREE], UNRESOLVED: k[UNRESOLVED]})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["agreement"] = np.where(resolved > 0, k[AGREE] / np.maximum(resolved, 1), np.nan)
        lo, hi = wilson(k[AGREE], np.maximum(resolved, 1))
        out["agreement_lo"] = np.where(resolved > 0, np.minimum(lo, out["agreement"]), np.nan)
        out["agreement_hi"] = np.where(resolved > 0, np.maximum(hi, out["agreement"]), np.nan)
        out["unresolved_share"] = k[UNRESOLVED] / np.maximum(n, 1)
        lo, hi = wilson(k[UNRESOLVED], np.maximum(n, 1))
        out["unresolved_lo"] = np.minimum(lo, out["unresolved_share"])
        out["unresolved_hi"] = np.maximum(hi, out["unresolved_share"])
    out["below_target"] = out["agreement"] < TARGET
    return out


def draw(ctx: base.Context) -> list[Path]:
    t = ctx.tables.get("confirmation")
    if not applies(ctx.model) or t is None or t.empty:
        return []
    return confirmation(t, ctx.directory, **ctx.kw)


@base.styled
def confirmation(table: pd.DataFrame, directory: Path, labels: Mapping | None = None,
                 formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Top: agreement per point (Wilson), the points of one source side by side, the 95 % target dashed. Bottom:
    the unresolved share per point (Wilson), the 5 % target dotted."""
    t = table.copy()
    t["source"] = t["source"].fillna("").astype(str).replace("", "—")
    order = list(dict.fromkeys(t["source"]))
    t["_order"] = t["source"].map({s: i for i, s in enumerate(order)})
    t = t.sort_values(["_order", "point"], kind="stable").reset_index(drop=True)
    xs = np.arange(len(t)) + t["_order"].to_numpy() * 0.8  # a gap between sources
    fig = base.new_figure(max(6.6, 0.16 * len(t) + 1.5), 4.4)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
    colour, grey = base.colour(AGREE), base.colour(UNRESOLVED)
    ok = t["agreement"].notna().to_numpy()
    p, lo, hi = (t[c].to_numpy(dtype=float) for c in ("agreement", "agreement_lo", "agreement_hi"))
    below = ok & (p < TARGET)
    for mask, c in ((ok & ~below, colour), (below, BELOW)):
        top.errorbar(xs[mask], p[mask], yerr=[p[mask] - lo[mask], hi[mask] - p[mask]], fmt="o", ms=3, color=c,
                     elinewidth=0.9, capsize=1.2)
    top.axhline(TARGET, color="black", ls="--", lw=0.8)
    top.text(1.0, TARGET, " 95 %", transform=top.get_yaxis_transform(), va="center", fontsize=6.5)
    low = np.nanmin(lo[ok]) if ok.any() else 0.5
    top.set_ylim(max(0.0, min(0.8, low - 0.05)), 1.02)
    top.set_ylabel("agreement (resolved runs,\n95 % Wilson CI)")
    u, ulo, uhi = (t[c].to_numpy(dtype=float) for c in ("unresolved_share", "unresolved_lo", "unresolved_hi"))
    bottom.errorbar(xs, u, yerr=[u - ulo, uhi - u], fmt="s", ms=2.5, color=grey, mec="#555", elinewidth=0.9,
                    capsize=1.2)
    bottom.axhline(UNRESOLVED_TARGET, color="black", ls=":", lw=0.8)
    bottom.text(1.0, UNRESOLVED_TARGET, " 5 %", transform=bottom.get_yaxis_transform(), va="center", fontsize=6.5)
    bottom.set_ylim(0, max(0.2, float(np.nanmax(uhi)) + 0.02 if len(uhi) else 0.2))
    bottom.set_ylabel("unresolved\n(share of runs)")
    centres = [float(xs[t["source"] == s].mean()) for s in order]
    bottom.set_xticks(centres, order, rotation=30 if len(order) > 4 else 0, ha="right" if len(order) > 4 else "center")
    for s in order[1:]:
        edge = float(xs[t["source"] == s].min()) - 0.9
        for ax in (top, bottom):
            ax.axvline(edge, color="#DDD", lw=0.8, zorder=0)
    if (~ok).any():
        top.plot(xs[~ok], np.full(int((~ok).sum()), top.get_ylim()[0]), ls="", marker="x", ms=4, color=grey,
                 clip_on=False)
    n_runs = int(t["n"].sum())
    fig.suptitle(f"Is the long-run regime confirmed at twice the horizon? {len(t)} design points, {n_runs:,} runs")
    base.note(fig, f"{int(below.sum())} of {int(ok.sum())} points below the 95 % target (vermilion); agreement = "
              "the share of resolved runs whose regime at twice max_steps is the one resolved"
              + (f"; × on the axis: {int((~ok).sum())} point(s) with no run resolved." if (~ok).any() else "."),
              warn=bool(below.any()))
    return base.save(fig, directory, "confirmation", formats)
