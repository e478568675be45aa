"""A table of runs as the analyses read it: which column holds a design parameter, which columns are yes/no,
and the metrics the model derives from its summary keys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.definition import models


def param_column(df: pd.DataFrame, name: str) -> str:
    """Column of design parameter ``name`` in runs.csv (prefixed only if it clashed with a summary key)."""
    return f"param_{name}" if f"param_{name}" in df.columns else name


def with_derived(runs: pd.DataFrame, model: models.ModelInfo | None = None) -> pd.DataFrame:
    """The runs with the per-run metrics the model derives from its summary keys (its ``derived``; e.g.
    contract survival, voice success rate), where the runs have the keys they need; NaN where undefined."""
    model = model or models.info()
    runs = runs.copy()
    if model.derive is not None:
        for name, values in model.derive(runs).items():
            runs[name] = values
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
