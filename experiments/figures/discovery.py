"""The figure and table of a scenario discovery (:mod:`experiments.analysis.discover`), drawn by ``discover``
(not by ``plot``: it needs the runs): the runs on the two most important parameters coloured by regime, the
boxes leading to the target drawn over them; beside it, coverage and density per box (tree) or PRIM's peeling
trajectory with the chosen box. The boxes go to ``discovery_<target>_<method>.csv``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from experiments.figures import base
from experiments.figures import labels as lab
from experiments.storage.atomic import atomic_write_frame
from sim.palette import OUTCOME_COLOURS, SEQUENTIAL_CMAP, SERIES_COLOURS

CAPTION = "Scenario discovery: boxes of parameter space leading to the target regime."


def write(directory: Path, found, labels: Mapping | None = None, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """The boxes table (and PRIM's trajectory) as CSV and the figure; returns the files written."""
    directory = Path(directory)
    table = directory / f"{found.stem}.csv"
    atomic_write_frame(table, found.boxes)
    files = [table]
    if found.trajectory is not None:
        traj = directory / f"{found.stem}_trajectory.csv"
        atomic_write_frame(traj, found.trajectory.drop(columns=[c for c in ("id",) if c in found.trajectory]))
        files.append(traj)
    return files + boxes(found, directory, labels=labels, formats=formats)


def _name(f: str) -> str:
    return f.removeprefix("param_")


def _jitter(v: pd.Series, rng: np.random.Generator) -> np.ndarray:
    span = float(v.max() - v.min()) or 1.0
    return v.to_numpy(dtype=float) + rng.uniform(-0.012, 0.012, len(v)) * span


@base.styled
def boxes(found, directory: Path, labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    runs, target = found.runs, found.target
    numeric = [f for f in found.features
               if pd.api.types.is_numeric_dtype(runs[f]) and not pd.api.types.is_bool_dtype(runs[f])]
    numeric.sort(key=lambda f: -found.importance.get(f, 0.0))
    axes_feats = numeric[:2]
    fig = base.new_figure(6.8, 3.0)
    left, right = fig.subplots(1, 2, width_ratios=[1.3, 1])
    rng = np.random.default_rng(0)  # jitter only: the same figure every time
    top = found.boxes[found.boxes["predicts_target"]]
    shown = [o for o in found.categories if (runs[found.key] == o).any()]
    if axes_feats:
        xf = axes_feats[0]
        xs = _jitter(runs[xf], rng)
        if len(axes_feats) == 2:
            yf = axes_feats[1]
            ys = _jitter(runs[yf], rng)
        else:
            yf = None
            ys = np.array([shown.index(q) for q in runs[found.key]]) + rng.uniform(-0.2, 0.2, len(runs))
            left.set_yticks(range(len(shown)), shown)
        for o in shown:
            m = (runs[found.key] == o).to_numpy()
            left.scatter(xs[m], ys[m], s=5, color=OUTCOME_COLOURS[o], alpha=0.7, lw=0, label=lab.outcome(o, labels))
        x0, x1 = left.get_xlim()
        y0, y1 = left.get_ylim()
        for k, (_, b) in enumerate(top.head(6).iterrows()):
            lo_x, hi_x = _num(b.get(f"{xf}_low", -np.inf)), _num(b.get(f"{xf}_high", np.inf))
            lo_x, hi_x = (x0 if not np.isfinite(lo_x) else lo_x), (x1 if not np.isfinite(hi_x) else hi_x)
            if yf:
                lo_y, hi_y = _num(b.get(f"{yf}_low", -np.inf)), _num(b.get(f"{yf}_high", np.inf))
                lo_y, hi_y = (y0 if not np.isfinite(lo_y) else lo_y), (y1 if not np.isfinite(hi_y) else hi_y)
            else:
                lo_y, hi_y = y0, y1
            left.add_patch(Rectangle((lo_x, lo_y), hi_x - lo_x, hi_y - lo_y, fill=False, lw=1.3, edgecolor="black"))
            left.text(lo_x, hi_y - 0.07 * k * (y1 - y0), f" box {b['box']}", va="top", ha="left", fontsize=7,
                      fontweight="bold")
        left.set_xlim(x0, x1)
        left.set_ylim(y0, y1)
        left.set_xlabel(lab.label(_name(xf), labels))
        left.set_ylabel(lab.label(_name(yf), labels) if yf else "regime")
        left.set_title(f"Runs by regime; boxes leading to {target}")
    else:
        left.set_visible(False)
    if found.trajectory is not None:
        t = found.trajectory
        sc = right.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap=SEQUENTIAL_CMAP, s=10)
        chosen = int(found.boxes["trajectory_step"].iloc[0])
        right.scatter([t["coverage"].iloc[chosen]], [t["density"].iloc[chosen]], s=60, facecolors="none",
                      edgecolors="#B00000", lw=1.2)
        fig.colorbar(sc, ax=right, label="restricted parameters")
        right.set_xlabel("coverage")
        right.set_ylabel("density")
        right.set_title("PRIM peeling trajectory (circled: chosen box)")
    else:
        pos = np.arange(len(top))
        right.bar(pos - 0.2, top["coverage"], 0.4, color=SERIES_COLOURS[0], label="coverage")
        right.bar(pos + 0.2, top["density"], 0.4, color=SERIES_COLOURS[1], label="density")
        right.set_xticks(pos, [f"box {b}" for b in top["box"]])
        right.set_ylim(0, 1.05)
        right.legend(frameon=False, loc="upper right")
        right.set_title(f"Coverage and density of the boxes for {target}")
    base.heading(fig, f"Scenario discovery ({'classification tree' if found.method == 'tree' else 'PRIM'}): "
                 f"where do runs end in {lab.outcome(target, labels)}?",
                 base.outcome_handles(shown, labels), ncol=min(len(shown), 6))
    for _, b in top.head(4).iterrows():
        base.note(fig, f"box {b['box']} (coverage {b['coverage']:.2f}, density {b['density']:.2f}): {b['rule']}")
    if top.empty:
        base.note(fig, f"No box: {target} is not the most frequent regime in any region found.", warn=True)
    return base.save(fig, directory, found.stem, formats)


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
