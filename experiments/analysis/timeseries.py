"""Step data over time: per design point and step, the mean of every ``share_*`` column and its 10–90 %
band over the runs that kept step data (``timeseries.csv``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

FILE = "timeseries.csv"


def timeseries(steps: pd.DataFrame, length: int | None = None) -> pd.DataFrame:
    # (``length``: at least this many steps; by default up to the longest sampled run)
    """Mean shares over time per point, with a 10-90 % band across runs.

    A run that stopped (resolved: its long-run regime found) is held at its final shares until the longest run
    ends (its composition is stationary by definition).
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
        cube = np.stack(runs)  # run × step × share
        frame = {"point": int(j), "step": full, "runs": len(runs)}
        for i, c in enumerate(shares):
            frame[f"{c}_mean"] = cube[:, :, i].mean(axis=0)
            frame[f"{c}_lo"] = np.quantile(cube[:, :, i], 0.1, axis=0)
            frame[f"{c}_hi"] = np.quantile(cube[:, :, i], 0.9, axis=0)
        out.append(pd.DataFrame(frame))
    return pd.concat(out, ignore_index=True)
