"""After a shock (MODEL.md §11.4, §12.2 pattern 15): does the pre-shock regime return, and how fast? Asked for by
``[outputs] shocks = true`` (runs grouped by ``initial_quadrant`` when the design varies it) or by the name of
the design parameter to group runs by.

Returned means what the model says (MODEL.md §13.6, pattern 15): the long-run regime resolved after the shock is
the pre-shock regime; a run whose regime has not returned by the end of the run counts as not returned, whatever
its shares did on the way (its return time is then left empty).

The table ``shocks.csv`` has one row per shocked run (summary key ``shock_returned`` not missing): ``group``,
``returned``, ``return_time`` (months after the shock until the pre-shock regime's share was back, the model's
``shock_return_time``; missing when not returned), ``censor_time`` (the months the run went on after the shock:
``steps`` − ``shock_step`` from the run rows, else ``max_steps`` − ``shock_step``) and ``after`` (the run's
long-run regime after the shock: the headline outcome). The figure: per group, the share of shocked runs whose
pre-shock regime returned (Wilson) and the share returned within t months (an ECDF over all shocked runs, so it
levels off at the return probability; runs not back by the end are censored, marked ▶ and counted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.runs import as_flag, param_column
from experiments.analysis.stats import wilson
from experiments.definition import models
from experiments.figures import base
from experiments.figures import labels as lab

KEY = "shocks"
ORDER = 80
CAPTIONS = {"shocks": "Return of the pre-shock regime: probability (95 % Wilson) and time (censored runs marked)."}
TABLE = "shocks.csv"
TABLE_TITLE = "Shocked runs"


def by(outputs: Mapping[str, Any], names: list[str]) -> str | bool | None:
    """What the figure groups runs by: a parameter name, None (all runs one group), False (no figure)."""
    raw = outputs.get(KEY, False)
    if raw is False:
        return False
    if isinstance(raw, str):
        return raw
    return base.START if base.START in names else None


def check(value: Any, design: dict[str, list], model) -> None:
    if not isinstance(value, (bool, str)):
        raise ValueError("[outputs] shocks must be true, false or the name of the parameter to group runs by")
    if isinstance(value, str) and value not in design:
        raise ValueError(f"[outputs] shocks: {value!r} is not a design parameter")


def table(runs: pd.DataFrame, summary: pd.DataFrame, names: list[str],
          outputs: Mapping[str, Any]) -> pd.DataFrame | None:
    group = by(outputs, names)
    if group is False or runs.empty:
        return None
    return shocks_table(runs, group)


def draw(ctx: base.Context) -> list[Path]:
    group = by(ctx.outputs, ctx.names)
    if group is False:
        return []
    return base.asked(KEY, shocks(ctx.tables.get(KEY), ctx.directory, group, **ctx.kw))


def shocks_table(runs: pd.DataFrame, by: str | None, outcome: str | None = None) -> pd.DataFrame:
    """One row per run that was shocked (``shock_returned`` not missing): ``group`` (the value of ``by``, the
    pre-shock regime or the start; "all" without one), ``returned``, ``return_time`` (months after the shock;
    missing when not returned, §13.6: a run whose regime has not returned by the end counts as not returned),
    ``censor_time`` (the months the run went on after the shock: from ``steps`` and ``shock_step`` in the run
    rows, else from ``max_steps``: a run not back by then is censored there) and ``after``: the run's
    ``outcome`` (default: the headline outcome's key, the long-run regime after the shock)."""
    if "shock_returned" not in runs:
        return pd.DataFrame()
    ok = as_flag(runs["shock_returned"])
    r = runs[ok.notna()]
    returned = ok[ok.notna()].astype(bool)
    time = pd.to_numeric(r["shock_return_time"], errors="coerce") if "shock_return_time" in r else np.nan
    out = pd.DataFrame({
        "point": r["point"], "replicate": r["replicate"],
        "group": r[param_column(r, by)].astype(str) if by else "all",
        "returned": returned,
        "return_time": pd.Series(time, index=r.index).where(returned),
    })
    end = next((c for c in ("steps", "max_steps") if c in r.columns), None)
    if end is not None and "shock_step" in r.columns:
        out["censor_time"] = pd.to_numeric(r[end]) - pd.to_numeric(r["shock_step"])
    else:
        out["censor_time"] = np.nan
    key = outcome or getattr(models.info().headline, "key", None)
    out["after"] = r[key].astype(str) if key in r.columns else ""
    return out.reset_index(drop=True)


def _elsewhere(g: pd.DataFrame) -> str:
    """Where the runs not back went: their long-run regimes after the shock, e.g. ", of which 3 in Q3"."""
    if "after" not in g:
        return ""
    gone = g.loc[~g["returned"].astype(bool), "after"].astype(str)
    counts = gone[~gone.isin(("", "nan", "None"))].value_counts()
    return ", of which " + ", ".join(f"{k} {v}" for v, k in counts.items()) if len(counts) else ""


@base.styled
def shocks(table: pd.DataFrame | None, directory: Path, group_name: str | None = None,
           labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """Left: share of shocked runs whose pre-shock regime returned, per group (95 % Wilson). Right: the share
    returned within t steps of the shock (an ECDF over all shocked runs, so it levels off at the return
    probability); a run not back by the end is censored there, marked and counted."""
    if table is None or table.empty:
        return []
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
        c = base.series_colour(grp, k)
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
                                                                  else " by the end of the run (censored)")
                         + _elsewhere(g))
    left.set_ylim(0, 1.1)
    left.set_ylabel("long-run regime returned (share of runs, 95 % CI)")
    left.set_xlabel(lab.label(group_name, labels) if group_name else "")
    right.set_ylim(0, 1.02)
    right.set_xlabel("months after the shock")
    right.set_ylabel("share of runs returned by then")
    right.legend(frameon=False, loc="lower right")
    fig.suptitle("After a shock: does the regime return, and how fast?")
    if notes:
        base.note(fig, "▶ censored: " + "; ".join(notes))
    return base.save(fig, directory, "shocks", formats)
