"""The sensitivity indices of a sobol or morris design (``sensitivity.csv``): Sobol S1 and ST with their
intervals, or Morris μ* and σ; the replicates per point in the title and a visible warning when they are weak."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab
from sim.palette import SERIES_COLOURS

ORDER = 40
CAPTIONS = {"sobol": "Sobol first-order and total indices with 95 % bootstrap intervals.",
            "morris": "Morris elementary effects (μ*, σ)."}
MIN_REPLICATES = 10  # below this, each point's P(target) is too coarse for trustworthy indices


def draw(ctx: base.Context) -> list[Path]:
    if not ctx.sampled:
        return []
    return sensitivity_bars(ctx.tables.get("sensitivity"), ctx.directory, outcomes=ctx.categories, **ctx.kw)


@base.styled
def sensitivity_bars(sens: pd.DataFrame | None, directory: Path, labels: Mapping | None = None,
                     formats: Sequence[str] = base.FORMATS, outcomes: Sequence[str] | None = None) -> list[Path]:
    """Sobol S1 and ST with 95 % bootstrap intervals (clipped to [0, 1], clipped ends marked), or Morris
    mu* (with interval) and sigma; the replicates per point in the title, a warning when too few.
    ``outcomes``: the headline outcome's categories (a target among them is a probability)."""
    if sens is None or sens.empty:
        return []
    target = sens["target"].iloc[0]
    out = f"P({target})" if target in base.categories(outcomes) else lab.label(target, labels, unit=False)
    reps = int(sens["replicates"].iloc[0]) if "replicates" in sens else None
    fig = base.new_figure(max(3.4, 0.75 * len(sens) + 1.6), 2.8)
    ax = fig.subplots()
    pos = np.arange(len(sens))
    flagged = []
    if "S1" in sens:
        stem = "sobol"
        for k, (ix, name) in enumerate((("S1", "first order S1"), ("ST", "total ST"))):
            v = sens[ix].to_numpy(dtype=float)
            c = sens[f"{ix}_conf"].to_numpy(dtype=float)
            lo, hi = np.clip(v - c, 0, 1), np.clip(v + c, 0, 1)
            shown = np.clip(v, 0, 1)
            xs = pos + (k - 0.5) * 0.4
            ax.bar(xs, shown, 0.4, color=SERIES_COLOURS[k], label=name)
            ax.errorbar(xs, shown, yerr=[shown - lo, hi - shown], fmt="none", ecolor="#B00000" if k == 0 else "black",
                        elinewidth=0.9, capsize=2)
            for i in np.flatnonzero((v - c < 0) | (v + c > 1) | (v < 0) | (v > 1)):
                name = lab.label(sens["parameter"].iloc[i], labels, unit=False)
                flagged.append(f"{name} {ix} {v[i]:.2f} ± {c[i]:.2f}")
                ax.text(xs[i], hi[i] + 0.02, "*", ha="center", va="bottom", color="#B00000", fontsize=9)
        ax.set_ylim(0, 1.12)
        ax.set_ylabel("Sobol index (95 % CI)")
    else:
        stem = "morris"
        ax.bar(pos - 0.2, sens["mu_star"], 0.4, yerr=sens["mu_star_conf"], label="μ*", color=SERIES_COLOURS[0],
               capsize=2, error_kw={"ecolor": "#B00000", "elinewidth": 0.9})
        ax.bar(pos + 0.2, sens["sigma"], 0.4, label="σ", color=SERIES_COLOURS[1])
        ax.set_ylabel("Morris elementary effects")
    ax.set_xticks(pos, [lab.label(p, labels, unit=False) for p in sens["parameter"]], rotation=30, ha="right")
    ax.legend(frameon=False, loc="upper right")
    detail = f"{reps} replicate{'s' if reps != 1 else ''} per point, " if reps is not None else ""
    ax.set_title(f"Sensitivity of {out} ({detail}{int(sens['points'].iloc[0]) if 'points' in sens else '?'} points)")
    if reps is not None and reps < MIN_REPLICATES:
        base.note(fig, f"Only {reps} replicate(s) per point: each point's {out} is coarse and the indices are noisy "
                  f"(use at least {MIN_REPLICATES}).", warn=True)
    if flagged:
        base.note(fig, "* estimate or interval outside [0, 1], drawn clipped: " + "; ".join(flagged[:6])
                  + (" …" if len(flagged) > 6 else ""), warn=True)
    return base.save(fig, directory, stem, formats)
