"""Global sensitivity of a sampled design (Sobol or Morris, by SALib, reading back the sample matrix it drew):
the indices of one per-point output (``sensitivity.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

FILE = "sensitivity.csv"


def target_values(summary: pd.DataFrame, target: str) -> np.ndarray:
    """Per-point output of a sensitivity design: P(outcome) for an outcome category, else a metric mean."""
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
