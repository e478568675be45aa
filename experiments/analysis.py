"""Analysis of saved runs: quadrant frequencies with Wilson intervals, paths, metrics with intervals that
respect their bounds, time series, sensitivity indices, and the tables of the hysteresis and shock
experiments. Reads runs only through :mod:`experiments.store`; writes ``summary.csv``, ``timeseries.csv``,
``sensitivity.csv``, ``hysteresis.csv`` and ``shocks.csv`` (these, not the raw runs, are what the plots draw
from and what is committed).

Intervals (95 %): a share of runs (an outcome frequency, or the mean of a yes/no summary such as
``settled`` or ``shock_returned``) gets a Wilson score interval; the mean of any other per-run quantity
gets a percentile bootstrap interval (2,000 resamples, seeded by point and column), which stays inside
the range of the data, so a bounded quantity such as ``voice_success_rate`` never gets a band below 0 or
above 1 (mean ± 1.96 s.e. would).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import outputs, store
from experiments.config import OUTCOMES
from experiments.runner import wilson

PATHS = ("A", "B", "C", "D")
ACTIONS = ("loyalty", "voice", "exit", "drift")
SUMMARY = "summary.csv"
TIMESERIES = "timeseries.csv"
SENSITIVITY = "sensitivity.csv"
HYSTERESIS = "hysteresis.csv"
SHOCKS = "shocks.csv"
_NOT_METRICS = {"point", "replicate", "seed"}
DERIVED = ("survival", "voice_success_rate")
BOOTSTRAP_RESAMPLES = 2000
BISTABLE_GAP = 0.3  # MODEL.md §12.2 pattern 14: starts differ in P(Q3) by at least this much


def param_column(df: pd.DataFrame, name: str) -> str:
    """Column of design parameter ``name`` in runs.csv (prefixed only if it clashed with a summary key)."""
    return f"param_{name}" if f"param_{name}" in df.columns else name


def with_derived(runs: pd.DataFrame) -> pd.DataFrame:
    """Per-run derived metrics: contract survival (share of contracts formed that never ended) and
    voice success rate (successes / voices; NaN when the run saw no voice)."""
    runs = runs.copy()
    if {"contracts_formed", "contracts_ended"} <= set(runs.columns):
        formed = runs["contracts_formed"].where(runs["contracts_formed"] > 0)
        runs["survival"] = 1.0 - runs["contracts_ended"] / formed
    if {"voices", "voice_successes"} <= set(runs.columns):
        runs["voice_success_rate"] = runs["voice_successes"] / runs["voices"].where(runs["voices"] > 0)
    return runs


def as_flag(s: pd.Series) -> pd.Series:
    """A yes/no column (bool, "True"/"False" text from CSV, 0/1) as 1.0/0.0, missing (None) as NaN."""
    if pd.api.types.is_bool_dtype(s):
        return s.astype(float)
    m = {True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0}  # 1 and 0 hash as True, False
    return s.map(lambda v: m.get(v, np.nan) if not isinstance(v, float) or v == v else np.nan).astype(float)


def is_flag(s: pd.Series) -> bool:
    """Is this per-run column yes/no (so that its mean over runs is a share of runs)?"""
    if pd.api.types.is_bool_dtype(s):
        return True
    vals = set(s.dropna().unique())
    return bool(vals) and vals <= {True, False, "True", "False", "true", "false"}


def mean_interval(values: np.ndarray, seed: tuple[int, ...], flag: bool = False) -> tuple[float, float, float]:
    """Mean and 95 % interval: Wilson for a share (``flag``), else a percentile bootstrap (see the module)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.nan, np.nan, np.nan
    if flag:
        lo, hi = wilson(int(v.sum()), len(v))
        return float(v.mean()), min(float(lo), float(v.mean())), max(float(hi), float(v.mean()))
    if len(v) < 2 or np.all(v == v[0]):
        return float(v.mean()), float(v.mean()), float(v.mean())
    from scipy import stats

    ci = stats.bootstrap((v,), np.mean, n_resamples=BOOTSTRAP_RESAMPLES, confidence_level=0.95,
                         method="percentile", rng=np.random.default_rng(seed)).confidence_interval
    return float(v.mean()), float(ci.low), float(ci.high)


def summarise(runs: pd.DataFrame, names: list[str], points: list[dict] | None = None,
              metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per design point: n, outcome frequencies with 95 % Wilson intervals, dominant outcome (and
    ``tie``, the outcomes sharing the top frequency, e.g. "Q1=Q3", empty when there is none), settle step,
    path counts by action and the share of runs in which each path was the most frequent, the mean of
    every numeric summary, and ``<metric>_lo``/``_hi`` (95 %, see the module) for ``metrics`` and the
    derived metrics; the yes/no keys of version 2 (``shock_returned``) as a share of the runs where they
    apply, with ``<key>_runs`` = that number of runs."""
    if runs.empty:
        return pd.DataFrame()
    fixed = set(runs.attrs.get("parameter_columns", ()))  # every parameter is in each row: not an output
    runs = with_derived(runs)
    metrics = list(dict.fromkeys(list(metrics or []) + [d for d in DERIVED if d in runs.columns]))
    pcols = {n: param_column(runs, n) for n in names}
    flags = [c for c in runs.columns
             if c not in ("quadrant", "final_quadrant", *pcols.values()) and c not in fixed and is_flag(runs[c])]
    for c in flags:
        runs[c] = as_flag(runs[c])
    partial = [c for c in flags if runs[c].isna().any()]  # yes/no keys that apply to some runs only
    pcols = {n: param_column(runs, n) for n in names}
    numeric = [
        c for c in runs.columns
        if c not in _NOT_METRICS and c not in pcols.values() and c not in fixed
        and pd.api.types.is_numeric_dtype(runs[c]) and c != "settle_step" and runs[c].notna().any()
    ]
    rows = []
    for j, g in runs.groupby("point", sort=True):
        n = len(g)
        row: dict[str, Any] = {"point": int(j)}
        for name, col in pcols.items():
            row[name] = points[int(j)][name] if points else g[col].iloc[0]
        row["n"] = n
        counts = g["quadrant"].value_counts()
        k = np.array([counts.get(o, 0) for o in OUTCOMES])
        lo, hi = wilson(k, n)
        for o, kk, lo_, hi_ in zip(OUTCOMES, k, lo, hi):
            row[f"freq_{o}"] = kk / n
            row[f"freq_{o}_lo"] = min(float(lo_), kk / n)  # rounding must not put 0 outside its own interval
            row[f"freq_{o}_hi"] = max(float(hi_), kk / n)
        best = int(np.argmax(k))
        row["dominant"] = OUTCOMES[best]
        row["dominant_freq"] = k[best] / n
        top = [o for o, kk in zip(OUTCOMES, k) if kk == k[best]]
        row["tie"] = "=".join(top) if len(top) > 1 else ""
        settled = pd.to_numeric(g["settle_step"], errors="coerce").dropna()
        row["settle_step_mean"] = float(settled.mean()) if len(settled) else np.nan
        row["settle_step_sd"] = float(settled.std()) if len(settled) > 1 else np.nan
        path_counts = g[[f"path_{p}" for p in PATHS if f"path_{p}" in g]].to_numpy()
        if path_counts.size:
            top = path_counts.argmax(axis=1)
            has = path_counts.max(axis=1) > 0
            for i, p in enumerate(PATHS):
                row[f"top_path_{p}"] = float(np.mean((top == i) & has))
        for i, c in enumerate(numeric):
            col = g[c].astype(float)
            row[c] = float(col.mean())
            if c in partial:
                row[f"{c}_runs"] = int(col.count())
            if c in metrics or c in flags:
                _, row[f"{c}_lo"], row[f"{c}_hi"] = mean_interval(col.to_numpy(), (int(j), i), c in flags)
        rows.append(row)
    return pd.DataFrame(rows)


def timeseries(steps: pd.DataFrame, length: int | None = None) -> pd.DataFrame:
    # (``length``: at least this many steps; by default up to the longest sampled run)
    """Mean quadrant shares over time per point, with a 10-90 % band across runs.

    A run that stopped at settlement is held at its final shares until the longest run ends
    (it has settled: its shares stay within the tolerance band by definition).
    """
    if steps.empty:
        return pd.DataFrame()
    shares = [c for c in steps.columns if c.startswith("share_")]
    first = int(steps["step"].min())
    last = max(int(steps["step"].max()), first + (length or 0) - 1)
    full = np.arange(first, last + 1)
    out = []
    for j, g in steps.groupby("point", sort=True):
        runs = [
            r.drop_duplicates("step").set_index("step")[shares].reindex(full).ffill().to_numpy()
            for _, r in g.groupby("replicate")
        ]
        cube = np.stack(runs)  # run × step × quadrant
        frame = {"point": int(j), "step": full, "runs": len(runs)}
        for i, c in enumerate(shares):
            frame[f"{c}_mean"] = cube[:, :, i].mean(axis=0)
            frame[f"{c}_lo"] = np.quantile(cube[:, :, i], 0.1, axis=0)
            frame[f"{c}_hi"] = np.quantile(cube[:, :, i], 0.9, axis=0)
        out.append(pd.DataFrame(frame))
    return pd.concat(out, ignore_index=True)


def target_values(summary: pd.DataFrame, target: str) -> np.ndarray:
    """Per-point output of a sensitivity design: P(outcome) for a quadrant label, else a metric mean."""
    col = f"freq_{target}" if f"freq_{target}" in summary.columns else target
    return summary[col].to_numpy(dtype=float)


def sensitivity(design_type: str, problem: dict, X: np.ndarray, summary: pd.DataFrame, target: str,
                levels: int = 4, seed: int | None = None, calc_second_order: bool = False) -> pd.DataFrame:
    """Sobol (S1, ST with 95 % bootstrap CIs) or Morris (mu*, sigma) indices of ``target`` over the design.

    Needs every design point to have at least one run (SALib reads the sample matrix row for row).
    """
    if summary.empty or len(summary) != len(X) or (summary["point"].to_numpy() != np.arange(len(X))).any():
        raise ValueError("sensitivity analysis needs a result at every design point")
    Y = target_values(summary, target)
    # replicates behind each point's output: with few, P(target) per point is coarse and the indices noisy
    reps = {"replicates": int(summary["n"].min()), "points": len(summary)}
    if design_type == "sobol":
        from SALib.analyze import sobol

        Si = sobol.analyze(problem, Y, calc_second_order=calc_second_order, conf_level=0.95, seed=seed)
        return pd.DataFrame({
            "parameter": problem["names"], "S1": Si["S1"], "S1_conf": Si["S1_conf"],
            "ST": Si["ST"], "ST_conf": Si["ST_conf"], "target": target, **reps,
        })
    if design_type == "morris":
        from SALib.analyze import morris

        Si = morris.analyze(problem, X, Y, conf_level=0.95, num_levels=levels, seed=seed)
        return pd.DataFrame({
            "parameter": problem["names"], "mu": Si["mu"], "mu_star": Si["mu_star"],
            "mu_star_conf": Si["mu_star_conf"], "sigma": Si["sigma"], "target": target, **reps,
        })
    raise ValueError(f"no sensitivity analysis for a {design_type} design")


def analyse(directory: Path, exp, design, write: bool = True) -> dict[str, pd.DataFrame]:
    """Compute (and save) every table of an experiment's results folder."""
    from experiments.designs import design_seed

    directory = Path(directory)
    runs = store.load_runs(directory)
    out: dict[str, pd.DataFrame] = {}
    metrics = list(exp.outputs.get("metrics", []))
    if outputs.turnover_spec(exp.outputs):  # the turnover figure draws the composition with its interval
        metrics += [f"composition_{q}" for q in ("Q1", "Q2", "Q3", "Q4")]
    out["summary"] = summarise(runs, design.names, design.points, metrics)
    steps = store.load_steps(directory)
    if not steps.empty:
        out["timeseries"] = timeseries(steps)
    if exp.design in ("sobol", "morris") and not out["summary"].empty:
        out["sensitivity"] = sensitivity(exp.design, design.problem, design.X, out["summary"], exp.target,
                                         exp.levels, design_seed(exp.entropy), exp.calc_second_order)
    spec = outputs.hysteresis_spec(exp.outputs)
    if spec and not out["summary"].empty:
        out["hysteresis"] = hysteresis(out["summary"], design.names, **spec)
    by = outputs.shocks_by(exp.outputs, design.names)
    if by is not False and not runs.empty:
        out["shocks"] = shocks(runs, by)
    if write:
        for key, name in TABLES.items():
            if key in out and not out[key].empty:
                frame = out[key].round(5) if key == "timeseries" else out[key]
                store.atomic_write_frame(directory / name, frame)
    return out


def hysteresis(summary: pd.DataFrame, names: list[str], x: str, start: str = "initial_quadrant",
               starts: tuple[str, str] = ("Q1", "Q3"), outcome: str = "Q3", gap: float = BISTABLE_GAP) -> pd.DataFrame:
    """P(outcome) against ``x`` from each of two starts, side by side (one row per value of ``x`` and of any
    other design parameter): ``p_<start>``, ``lo_<start>``, ``hi_<start>`` (95 % Wilson), ``diff`` (second
    start minus first) and ``bistable``: the starts differ by at least ``gap`` and their intervals do not
    overlap, i.e. history decides the regime there."""
    col = f"freq_{outcome}"
    rest = [n for n in names if n not in (x, start) and n in summary and summary[n].nunique() > 1]
    a, b = starts
    frames = []
    for s in starts:
        g = summary[summary[start] == s][[*rest, x, col, f"{col}_lo", f"{col}_hi", "n"]]
        frames.append(g.rename(columns={col: f"p_{s}", f"{col}_lo": f"lo_{s}", f"{col}_hi": f"hi_{s}", "n": f"n_{s}"}))
    if frames[0].empty or frames[1].empty:
        return pd.DataFrame()
    t = frames[0].merge(frames[1], on=[*rest, x]).sort_values([*rest, x]).reset_index(drop=True)
    t["diff"] = t[f"p_{b}"] - t[f"p_{a}"]
    apart = (t[f"lo_{b}"] > t[f"hi_{a}"]) | (t[f"lo_{a}"] > t[f"hi_{b}"])
    t["bistable"] = (t["diff"].abs() >= gap) & apart
    t.insert(0, "outcome", outcome)
    return t


def shocks(runs: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """One row per run that was shocked (``shock_returned`` not missing): ``group`` (the value of ``by``, the
    pre-shock regime or the start; "all" without one), ``returned``, ``return_time`` (steps after the shock;
    missing when not returned) and ``censor_time`` (the steps the run had left after the shock, when the
    runs record ``max_steps`` and ``shock_step``: a run not back by then is censored there)."""
    if "shock_returned" not in runs:
        return pd.DataFrame()
    ok = as_flag(runs["shock_returned"])
    r = runs[ok.notna()]
    out = pd.DataFrame({
        "point": r["point"], "replicate": r["replicate"],
        "group": r[param_column(r, by)].astype(str) if by else "all",
        "returned": ok[ok.notna()].astype(bool),
        "return_time": pd.to_numeric(r["shock_return_time"], errors="coerce") if "shock_return_time" in r else np.nan,
    })
    if {"max_steps", "shock_step"} <= set(r.columns):
        out["censor_time"] = pd.to_numeric(r["max_steps"]) - pd.to_numeric(r["shock_step"])
    else:
        out["censor_time"] = np.nan
    return out.reset_index(drop=True)


TABLES = {"summary": SUMMARY, "timeseries": TIMESERIES, "sensitivity": SENSITIVITY, "hysteresis": HYSTERESIS,
          "shocks": SHOCKS}


def load_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """The saved tables (what ``plot`` draws from when the raw runs are not on this machine)."""
    directory = Path(directory)
    out = {}
    for key, name in TABLES.items():
        if (directory / name).exists():
            out[key] = pd.read_csv(directory / name)
    if "summary" in out and "tie" in out["summary"]:
        out["summary"]["tie"] = out["summary"]["tie"].astype(object).fillna("")  # "no tie" is an empty CSV cell
    return out


def table(summary: pd.DataFrame, names: list[str], max_rows: int = 20) -> str:
    """The one-screen summary: per point, settled-quadrant frequencies (%), mean settle step, top path."""
    if summary.empty:
        return "(no finished runs)"
    cols = {n: summary[n] for n in names}
    view = pd.DataFrame(cols)
    for n in names:
        if pd.api.types.is_float_dtype(view[n]):
            view[n] = view[n].map(lambda v: f"{v:.3g}")
    view.insert(0, "pt", summary["point"])
    view["n"] = summary["n"]
    for o in OUTCOMES:
        view[o if o != "unsettled" else "unset"] = (100 * summary[f"freq_{o}"]).round().astype(int)
    view["settle"] = summary["settle_step_mean"].round().astype("Int64")
    tops = [f"top_path_{p}" for p in PATHS if f"top_path_{p}" in summary]
    if tops:
        view["path"] = [PATHS[int(np.argmax(r))] if np.max(r) > 0 else "-" for r in summary[tops].to_numpy()]
    text = view.head(max_rows).to_string(index=False)
    if len(view) > max_rows:
        text += f"\n... {len(view) - max_rows} more points: see summary.csv"
    return text + (
        "\n(settled quadrant frequencies in % of runs; settle = mean settle step; path = most often the top path)"
    )
