"""Analysis of saved runs: quadrant frequencies with Wilson intervals, paths, metrics, time series,
sensitivity indices. Reads only what the runner saved; writes ``summary.csv``, ``timeseries.csv``
and ``sensitivity.csv`` (these, not the raw runs, are what the plots draw from and what is committed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import store
from experiments.config import OUTCOMES
from experiments.stats import wilson

PATHS = ("A", "B", "C", "D")
ACTIONS = ("loyalty", "voice", "exit", "drift")
SUMMARY = "summary.csv"
TIMESERIES = "timeseries.csv"
SENSITIVITY = "sensitivity.csv"
_NOT_METRICS = {"point", "replicate", "seed"}
DERIVED = ("survival", "voice_success_rate")


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


def summarise(runs: pd.DataFrame, names: list[str], points: list[dict] | None = None,
              metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per design point: n, outcome frequencies with 95 % Wilson intervals, dominant outcome,
    settle step, path counts by action and the share of runs in which each path was the most frequent,
    and the mean of every numeric summary (``<metric>_se`` too for ``metrics``)."""
    if runs.empty:
        return pd.DataFrame()
    runs = with_derived(runs)
    metrics = list(metrics or []) + [d for d in DERIVED if d in runs.columns]
    pcols = {n: param_column(runs, n) for n in names}
    fixed = set(runs.attrs.get("parameter_columns", ()))  # every parameter is in each row: not a metric
    numeric = [
        c for c in runs.columns
        if c not in _NOT_METRICS and c not in pcols.values() and c not in fixed
        and pd.api.types.is_numeric_dtype(runs[c]) and c != "settle_step"
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
            row[f"freq_{o}_lo"] = float(lo_)
            row[f"freq_{o}_hi"] = float(hi_)
        best = int(np.argmax(k))
        row["dominant"] = OUTCOMES[best]
        row["dominant_freq"] = k[best] / n
        settled = pd.to_numeric(g["settle_step"], errors="coerce").dropna()
        row["settle_step_mean"] = float(settled.mean()) if len(settled) else np.nan
        row["settle_step_sd"] = float(settled.std()) if len(settled) > 1 else np.nan
        path_counts = g[[f"path_{p}" for p in PATHS if f"path_{p}" in g]].to_numpy()
        if path_counts.size:
            top = path_counts.argmax(axis=1)
            has = path_counts.max(axis=1) > 0
            for i, p in enumerate(PATHS):
                row[f"top_path_{p}"] = float(np.mean((top == i) & has))
        for c in numeric:
            col = g[c].astype(float)
            row[c] = float(col.mean())
            if c in metrics:
                row[f"{c}_se"] = float(col.std() / np.sqrt(col.count())) if col.count() > 1 else np.nan
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
    if design_type == "sobol":
        from SALib.analyze import sobol

        Si = sobol.analyze(problem, Y, calc_second_order=calc_second_order, conf_level=0.95, seed=seed)
        return pd.DataFrame({
            "parameter": problem["names"], "S1": Si["S1"], "S1_conf": Si["S1_conf"],
            "ST": Si["ST"], "ST_conf": Si["ST_conf"], "target": target,
        })
    if design_type == "morris":
        from SALib.analyze import morris

        Si = morris.analyze(problem, X, Y, conf_level=0.95, num_levels=levels, seed=seed)
        return pd.DataFrame({
            "parameter": problem["names"], "mu": Si["mu"], "mu_star": Si["mu_star"],
            "mu_star_conf": Si["mu_star_conf"], "sigma": Si["sigma"], "target": target,
        })
    raise ValueError(f"no sensitivity analysis for a {design_type} design")


def analyse(directory: Path, exp, design, write: bool = True) -> dict[str, pd.DataFrame]:
    """Compute (and save) every table of an experiment's results folder."""
    from experiments.designs import design_seed

    directory = Path(directory)
    runs = store.load_runs(directory)
    out: dict[str, pd.DataFrame] = {}
    metrics = list(exp.outputs.get("metrics", []))
    out["summary"] = summarise(runs, design.names, design.points, metrics)
    steps = store.load_steps(directory)
    if not steps.empty:
        out["timeseries"] = timeseries(steps)
    if exp.design in ("sobol", "morris") and not out["summary"].empty:
        out["sensitivity"] = sensitivity(exp.design, design.problem, design.X, out["summary"], exp.target,
                                         exp.levels, design_seed(exp.entropy), exp.calc_second_order)
    if write:
        if not out["summary"].empty:
            store.atomic_write_frame(directory / SUMMARY, out["summary"])
        if "timeseries" in out:
            ts = out["timeseries"].round(5)
            store.atomic_write_frame(directory / TIMESERIES, ts)
        if "sensitivity" in out:
            store.atomic_write_frame(directory / SENSITIVITY, out["sensitivity"])
    return out


def load_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """The saved tables (what ``plot`` draws from when the raw runs are not on this machine)."""
    directory = Path(directory)
    out = {}
    for key, name in (("summary", SUMMARY), ("timeseries", TIMESERIES), ("sensitivity", SENSITIVITY)):
        if (directory / name).exists():
            out[key] = pd.read_csv(directory / name)
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
