"""Time to the long-run regime (MODEL.md §13.4–13.5): per design point, the distribution of the months a run took
to resolve (the headline outcome's step key, ``regime_step``; for a model whose headline has none, the first
declared outcome that has one, e.g. the confirmation's ``regime``), unresolved runs censored at the end of the
run (``max_steps``).

The quantiles are those of the empirical distribution over all runs, the unresolved counted as not resolved by
any month up to their end (the Kaplan–Meier estimate when every run could go on to the same ``max_steps``): a
quantile the resolved runs never reach is censored, drawn to the censoring time with ▶. Saved per panel in
``resolution_time.csv`` (``title``, ``point``, ``n``, ``resolved``, ``censor_time``, ``q10`` … ``q90``,
``mean_resolved``), from which ``plot`` re-draws. A grid (or a list of points) gets a row per point, a sampled
design one per value of its categorical parameters (pooled over the others) or one of all its runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.definition import models
from experiments.figures import base

ORDER = 17
CAPTIONS = {"resolution_time": "Months to the long-run regime per point: median, 25–75 % (box) and 10–90 % "
                               "(whiskers) over all runs; unresolved runs censored at the end of the run (▶)."}
TABLE = "resolution_time.csv"
TABLE_TITLE = "Time to the long-run regime (months)"
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
PER_PAGE = 40


def step_outcome(model: models.ModelInfo):
    """The outcome whose step key this figure draws: the headline if it has one, else the first that does."""
    return next((o for o in model.outcomes if o.step_key), None)


def table(runs: pd.DataFrame, summary: pd.DataFrame, names: list[str], outputs: Mapping[str, Any], *,
          model: models.ModelInfo) -> pd.DataFrame | None:
    outcome = step_outcome(model)
    if outcome is None or runs.empty or summary.empty or outcome.step_key not in runs:
        return None
    per_point = "source" in summary or not base.is_sampled(summary, names)
    return resolution_table(runs, summary, names, outcome.step_key, per_point, outputs.get("labels"))


def quantiles(times: np.ndarray, n: int, qs: Sequence[float] = QUANTILES) -> list[float]:
    """The ``qs`` quantiles of the time to resolution over ``n`` runs, of which those in ``times`` resolved (the
    others are not resolved by any time shown): NaN for a quantile the resolved runs do not reach."""
    t = np.sort(np.asarray(times, dtype=float))
    out = []
    for q in qs:
        k = int(np.ceil(q * n - 1e-9))  # the k-th smallest time is the first with a share ≥ q resolved
        out.append(float(t[k - 1]) if 1 <= k <= len(t) else np.nan)
    return out


def resolution_table(runs: pd.DataFrame, summary: pd.DataFrame, names: Sequence[str], step_key: str,
                     per_point: bool, labels: Mapping | None = None) -> pd.DataFrame:
    rows = []
    sampled = not per_point
    for title, pts in base.groups(summary, names, sampled, labels, per_point=per_point):
        g = runs[runs["point"].isin(pts)]
        if g.empty:
            continue
        steps = pd.to_numeric(g[step_key], errors="coerce")
        times = steps.dropna().to_numpy()
        end = next((c for c in ("max_steps", "steps") if c in g), None)
        censor = float(pd.to_numeric(g[end]).max()) if end else float(times.max() if len(times) else np.nan)
        row = {"title": title, "point": pts[0] if len(pts) == 1 else -1, "n": len(g), "resolved": len(times),
               "censor_time": censor}
        for q, v in zip(QUANTILES, quantiles(times, len(g))):
            row[f"q{round(100 * q)}"] = v
        row["mean_resolved"] = float(times.mean()) if len(times) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def draw(ctx: base.Context) -> list[Path]:
    t = ctx.tables.get("resolution_time")
    if t is None or t.empty:
        return []
    outcome = step_outcome(ctx.model)
    return resolution_time(t, ctx.directory, what=outcome.label if outcome is not None else "outcome", **ctx.kw)


@base.styled
def resolution_time(table: pd.DataFrame, directory: Path, what: str = "long-run regime",
                    labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """One row per panel of the table: the median (tick), 25–75 % (box) and 10–90 % (whiskers) of the months to
    resolution; a quantile beyond the censoring time is drawn to it with ▶; the share resolved at the right."""
    files: list[Path] = []
    for page, start in enumerate(range(0, len(table), PER_PAGE)):
        chunk = table.iloc[start:start + PER_PAGE].reset_index(drop=True)
        fig = base.new_figure(6.6, 0.9 + 0.22 * len(chunk))
        ax = fig.subplots()
        y = np.arange(len(chunk))[::-1]
        colour = base.colour("Q1")
        censored = 0
        for yi, (_, r) in zip(y, chunk.iterrows()):
            c = float(r["censor_time"])
            q = {k: float(r[k]) for k in ("q10", "q25", "q50", "q75", "q90")}
            shown = {k: (v if np.isfinite(v) else c) for k, v in q.items()}
            ax.plot([shown["q10"], shown["q90"]], [yi, yi], color="#444", lw=0.9)
            ax.add_patch(_box(shown["q25"], shown["q75"], yi, colour))
            if np.isfinite(q["q50"]):
                ax.plot([q["q50"]] * 2, [yi - 0.3, yi + 0.3], color="black", lw=1.4)
            if not all(np.isfinite(v) for v in q.values()):
                censored += 1
                ax.plot([c], [yi], marker=">", color="black", ms=4)
            ax.text(1.01, yi, f"{int(r['resolved'])}/{int(r['n'])} resolved", transform=ax.get_yaxis_transform(),
                    va="center", fontsize=6)
        ends = chunk["censor_time"].dropna()
        if len(ends):
            ax.axvline(float(ends.max()), color="#999", lw=0.8, ls=":")
        ax.set_yticks(y, [str(t) for t in chunk["title"]])
        ax.set_ylim(-0.7, len(chunk) - 0.3)
        ax.set_xlim(left=0)
        ax.set_xlabel(f"months to the {what}")
        fig.suptitle(f"Time to the {what}: median, 25–75 % and 10–90 % over all runs")
        base.note(fig, "Unresolved runs count as not resolved by the end of their run (dotted line: the longest run). "
                  "▶: fewer runs resolved than the quantile needs, so it lies beyond the end (censored)"
                  + (f": {censored} row(s)." if censored else "."))
        files += base.save(fig, directory, base.page_stem("resolution_time", page), formats)
    return files


def _box(lo: float, hi: float, y: float, colour: str):
    from matplotlib.patches import Rectangle

    return Rectangle((lo, y - 0.25), max(hi - lo, 0.0), 0.5, facecolor=base.shade(colour, 0.45), edgecolor=colour,
                     lw=0.8)
