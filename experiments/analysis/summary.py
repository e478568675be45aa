"""The per-point summary of saved runs (``summary.csv``): the frequencies of the model's headline outcome
with 95 % Wilson intervals, the dominant outcome and ties, the step it was reached at, the headline's
outcome at each horizon the runs report (columns ``<key>_<months>``), the top path, and the mean of every
numeric summary key with 95 % intervals (:mod:`experiments.analysis.stats`) for the metrics asked for, the
derived metrics and every yes/no key. Also the one-screen text of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis.runs import as_flag, is_flag, param_column, with_derived
from experiments.analysis.stats import mean_interval, wilson
from experiments.definition import models

FILE = "summary.csv"
_NOT_METRICS = {"point", "replicate", "seed"}
_PATH = "path_"  # count columns ``path_<P>`` (a model's paths) also give ``top_path_<P>``


def frequency_columns(outcome) -> tuple[str, ...]:
    """The columns of ``summary.csv`` about the headline ``outcome`` (``n`` included)."""
    if outcome is None:
        return ("n",)
    step = (f"{outcome.step_key}_mean", f"{outcome.step_key}_sd") if outcome.step_key else ()
    return ("n", *(f"freq_{o}{s}" for o in outcome.categories for s in ("", "_lo", "_hi")), "dominant",
            "dominant_freq", "tie", *step)


def horizons(columns, outcome) -> dict[int, str]:
    """The runs' columns holding the headline ``outcome`` at a horizon: ``<key>_<months>`` (e.g. the long-run
    regime's ``regime_60``: the window-mean regime at month 60), by month."""
    if outcome is None:
        return {}
    pattern = re.compile(rf"{re.escape(outcome.key)}_(\d+)")
    found = {int(m.group(1)): c for c in columns if (m := pattern.fullmatch(str(c)))}
    return dict(sorted(found.items()))


def horizon_categories(values, model: models.ModelInfo) -> tuple[str, ...]:
    """The categories of an outcome at a horizon: the smallest category list the model declares (any of its
    outcomes) that holds every value seen, so that the columns do not depend on which values occurred;
    else the values seen, sorted."""
    seen = {str(v) for v in values}
    covering = [tuple(o.categories) for o in model.outcomes if seen <= set(o.categories)]
    return min(covering, key=len) if covering else tuple(sorted(seen))


def horizon_frequency_columns(columns, outcome) -> list[str]:
    """The columns of ``summary.csv`` about the headline outcome at horizons: ``n_<h>`` (runs that reached
    month h) and ``freq_<o>_<h>`` with ``_lo``/``_hi``."""
    if outcome is None:
        return []
    pattern = re.compile(r"(n|freq_.+)_\d+(_lo|_hi)?")
    return [c for c in columns if pattern.fullmatch(str(c)) and c not in frequency_columns(outcome)]


def _path_columns(columns, skip: set) -> list[str]:
    """The per-run count of each path: columns ``path_<P>`` (not ``path_<P>_<action>``), in column order."""
    return [c for c in columns if c.startswith(_PATH) and "_" not in c[len(_PATH):] and c not in skip]


def summarise(runs: pd.DataFrame, names: list[str], points: list[dict] | None = None,
              metrics: list[str] | None = None, model: models.ModelInfo | None = None,
              labels: Mapping[str, Sequence] | None = None) -> pd.DataFrame:
    """One row per design point: its label columns (``labels``: name -> a value per point, e.g. a points
    design's ``source``), n, the frequencies of the headline outcome with 95 % Wilson intervals,
    dominant outcome (and ``tie``, the outcomes sharing the top frequency, e.g. "Q1=Q3", empty when there
    is none), the step it was reached at, at each horizon h the runs report (:func:`horizons`) ``n_<h>`` and
    the frequencies ``freq_<o>_<h>`` (Wilson), the share of runs in which each path was the most frequent
    (``top_path_<P>``, from the count columns ``path_<P>``), the mean of every numeric summary, and
    ``<metric>_lo``/``_hi`` (95 %) for ``metrics`` and the derived metrics; the yes/no keys as a share of
    the runs where they apply, with ``<key>_runs`` = that number of runs for a key that applies to some
    runs only. ``model``: the model's declarations (default: the default model's)."""
    if runs.empty:
        return pd.DataFrame()
    model = model or models.info()
    outcome = model.headline
    fixed = set(runs.attrs.get("parameter_columns", ()))  # every parameter is in each row: not an output
    runs = with_derived(runs, model)
    metrics = list(dict.fromkeys(list(metrics or []) + [d for d in model.derived_names if d in runs.columns]))
    pcols = {n: param_column(runs, n) for n in names}
    flags = [c for c in runs.columns
             if c not in (*model.outcome_keys, *pcols.values()) and c not in fixed and is_flag(runs[c])]
    for c in flags:
        runs[c] = as_flag(runs[c])
    partial = [c for c in flags if runs[c].isna().any()]  # yes/no keys that apply to some runs only
    step_key = outcome.step_key if outcome is not None else None
    numeric = [
        c for c in runs.columns
        if c not in _NOT_METRICS and c not in pcols.values() and c not in fixed
        and pd.api.types.is_numeric_dtype(runs[c]) and c != step_key and runs[c].notna().any()
    ]
    paths = _path_columns(runs.columns, fixed)
    at = {h: c for h, c in horizons(runs.columns, outcome).items() if runs[c].notna().any()}  # reached by some run
    at_categories = {h: horizon_categories(runs[c].dropna().unique(), model) for h, c in at.items()}
    rows = []
    for j, g in runs.groupby("point", sort=True):
        n = len(g)
        row: dict[str, Any] = {"point": int(j)}
        for name, col in pcols.items():
            row[name] = points[int(j)][name] if points else g[col].iloc[0]
        for name, values in (labels or {}).items():
            row[name] = values[int(j)]
        row["n"] = n
        if outcome is not None:
            row.update(_frequencies(g, outcome, n))
        for h, c in at.items():
            row.update(_at_horizon(g[c].dropna().astype(str), at_categories[h], h))
        if paths:
            counts = g[paths].to_numpy()
            top = counts.argmax(axis=1)
            has = counts.max(axis=1) > 0
            for i, c in enumerate(paths):
                row[f"top_{c}"] = float(np.mean((top == i) & has))
        for i, c in enumerate(numeric):
            col = g[c].astype(float)
            row[c] = float(col.mean())
            if c in partial:
                row[f"{c}_runs"] = int(col.count())
            if c in metrics or c in flags:
                _, row[f"{c}_lo"], row[f"{c}_hi"] = mean_interval(col.to_numpy(), (int(j), i), c in flags)
        rows.append(row)
    return pd.DataFrame(rows)


def _frequencies(g: pd.DataFrame, outcome, n: int) -> dict[str, Any]:
    """A point's frequencies of the outcome's categories with Wilson intervals, the dominant one, ties, and the
    mean and s.d. of the step the outcome was reached at."""
    categories = tuple(outcome.categories)
    row: dict[str, Any] = {}
    counts = g[outcome.key].value_counts()
    k = np.array([counts.get(o, 0) for o in categories])
    lo, hi = wilson(k, n)
    for o, kk, lo_, hi_ in zip(categories, k, lo, hi):
        row[f"freq_{o}"] = kk / n
        row[f"freq_{o}_lo"] = min(float(lo_), kk / n)  # rounding must not put 0 outside its own interval
        row[f"freq_{o}_hi"] = max(float(hi_), kk / n)
    best = int(np.argmax(k))
    row["dominant"] = categories[best]
    row["dominant_freq"] = k[best] / n
    top = [o for o, kk in zip(categories, k) if kk == k[best]]
    row["tie"] = "=".join(top) if len(top) > 1 else ""
    if outcome.step_key:
        reached = pd.to_numeric(g[outcome.step_key], errors="coerce").dropna()
        row[f"{outcome.step_key}_mean"] = float(reached.mean()) if len(reached) else np.nan
        row[f"{outcome.step_key}_sd"] = float(reached.std()) if len(reached) > 1 else np.nan
    return row


def _at_horizon(values: pd.Series, categories: tuple[str, ...], h: int) -> dict[str, Any]:
    """A point's frequencies of the outcome at horizon ``h`` among the runs that reached it (Wilson)."""
    n = len(values)
    row: dict[str, Any] = {f"n_{h}": n}
    counts = values.value_counts()
    k = np.array([counts.get(o, 0) for o in categories])
    lo, hi = wilson(k, n) if n else (np.full(len(k), np.nan), np.full(len(k), np.nan))
    for o, kk, lo_, hi_ in zip(categories, k, lo, hi):
        f = kk / n if n else np.nan
        row[f"freq_{o}_{h}"] = f
        row[f"freq_{o}_{h}_lo"] = min(float(lo_), f) if n else np.nan
        row[f"freq_{o}_{h}_hi"] = max(float(hi_), f) if n else np.nan
    return row


def table(summary: pd.DataFrame, names: list[str], max_rows: int = 20,
          model: models.ModelInfo | None = None) -> str:
    """The one-screen summary: per point, the headline outcome's frequencies (%), the mean step it was reached
    at, the top path."""
    if summary.empty:
        return "(no finished runs)"
    outcome = (model or models.info()).headline
    cols = {n: summary[n] for n in names}
    view = pd.DataFrame(cols)
    for n in names:
        if pd.api.types.is_float_dtype(view[n]):
            view[n] = view[n].map(lambda v: f"{v:.3g}")
    view.insert(0, "pt", summary["point"])
    view["n"] = summary["n"]
    for o in outcome.categories if outcome is not None else ():
        view[o[:5]] = (100 * summary[f"freq_{o}"]).round().astype(int)
    if outcome is not None and outcome.step_key:
        view["step"] = summary[f"{outcome.step_key}_mean"].round().astype("Int64")
    tops = [c for c in summary.columns if c.startswith(f"top_{_PATH}")]
    if tops:
        letters = [c[len(f"top_{_PATH}"):] for c in tops]
        view["path"] = [letters[int(np.argmax(r))] if np.max(r) > 0 else "-" for r in summary[tops].to_numpy()]
    text = view.head(max_rows).to_string(index=False)
    if len(view) > max_rows:
        text += f"\n... {len(view) - max_rows} more points: see summary.csv"
    what = f"{outcome.label}: frequencies in % of runs" if outcome is not None else "runs per point"
    step = f"; step = mean {outcome.step_key} of the runs that reached it" if outcome and outcome.step_key else ""
    path = "; path = most often the top path" if tops else ""
    return text + f"\n({what}{step}{path})"
