"""History: the long-run regime (the headline outcome, MODEL.md §13.3) against a parameter from two starts
(MODEL.md §12.2 pattern 14), asked for by
``[outputs] hysteresis``::

    hysteresis = "ecosystem"      # P(Q3), P(Q1) against this parameter from a Q1 and a Q3 start
    # or: hysteresis = { x = "voice_cost", start = "initial_quadrant", starts = ["Q1", "Q3"], outcome = "Q3",
    #                    gap = 0.3 }

The table ``hysteresis.csv`` holds, per value of x (and of any other design parameter), P(outcome) from each
start with its 95 % Wilson interval (``p_<start>``, ``lo_<start>``, ``hi_<start>``), ``diff`` and
``bistable``: the starts differ by at least ``gap`` and their intervals do not overlap. The figure draws P(Q3)
and P(Q1) from both starts with Wilson bands, the bistable range shaded and labelled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.figures import base
from experiments.figures import labels as lab

KEY = "hysteresis"
ORDER = 70
CAPTIONS = {"hysteresis": "The long-run regime against a parameter from two starts; shaded where the start decides."}
TABLE = "hysteresis.csv"
TABLE_TITLE = "Hysteresis: P by start"
BISTABLE_GAP = 0.3  # MODEL.md §12.2 pattern 14: starts differ in P(Q3) by at least this much
_KEYS = {"x", "start", "starts", "outcome", "gap"}


def spec(outputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The figure's settings (x, start, starts, outcome, gap), or None when not asked for."""
    raw = outputs.get(KEY)
    if raw is None or raw is False:
        return None
    if isinstance(raw, str):
        raw = {"x": raw}
    if not isinstance(raw, dict) or "x" not in raw or set(raw) - _KEYS:
        return None
    return {"x": raw["x"], "start": raw.get("start", base.START), "starts": tuple(raw.get("starts", ("Q1", "Q3"))),
            "outcome": raw.get("outcome", "Q3"), "gap": raw.get("gap", BISTABLE_GAP)}


def check(value: Any, design: dict[str, list], model) -> None:
    s = spec({KEY: value})
    if s is None:
        raise ValueError("[outputs] hysteresis must name a design parameter or be a table with x = ...")
    if s["x"] not in design:
        raise ValueError(f"[outputs] hysteresis: x {s['x']!r} is not a design parameter")
    starts = design.get(s["start"], [])
    if not set(s["starts"]) <= set(starts) or len(set(s["starts"])) != 2:
        raise ValueError(f"[outputs] hysteresis: the design must vary {s['start']!r} over two distinct "
                         f"starts {list(s['starts'])} (it has {starts or 'none'})")
    if s["outcome"] not in model.categories:
        raise ValueError(f"[outputs] hysteresis: outcome must be one of {', '.join(model.categories)}")
    if not (isinstance(s["gap"], (int, float)) and 0 < s["gap"] <= 1):
        raise ValueError("[outputs] hysteresis: gap must be a number in (0, 1]")


def table(runs: pd.DataFrame, summary: pd.DataFrame, names: list[str],
          outputs: Mapping[str, Any]) -> pd.DataFrame | None:
    s = spec(outputs)
    if s is None or summary.empty:
        return None
    return hysteresis_table(summary, names, **s)


def draw(ctx: base.Context) -> list[Path]:
    s = spec(ctx.outputs)
    if not s:
        return []
    return base.asked(KEY, hysteresis(ctx.summary, ctx.tables.get(KEY), ctx.names, s, ctx.directory, **ctx.kw))


def hysteresis_table(summary: pd.DataFrame, names: list[str], x: str, start: str = base.START,
                     starts: tuple[str, str] = ("Q1", "Q3"), outcome: str = "Q3", gap: float = BISTABLE_GAP
                     ) -> pd.DataFrame:
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


def bistable_spans(x: np.ndarray, flags: np.ndarray) -> list[tuple[float, float]]:
    """Contiguous runs of flagged x values as (left, right), reaching halfway to the unflagged neighbours."""
    x = np.asarray(x, dtype=float)
    edges = np.concatenate([[x[0] - (x[1] - x[0]) / 2 if len(x) > 1 else x[0] - 0.5],
                            (x[1:] + x[:-1]) / 2,
                            [x[-1] + (x[-1] - x[-2]) / 2 if len(x) > 1 else x[0] + 0.5]])
    spans, i = [], 0
    while i < len(x):
        if flags[i]:
            k = i
            while k + 1 < len(x) and flags[k + 1]:
                k += 1
            spans.append((float(edges[i]), float(edges[k + 1])))
            i = k + 1
        else:
            i += 1
    return spans


@base.styled
def hysteresis(summary: pd.DataFrame, table: pd.DataFrame | None, names: Sequence[str], spec: Mapping,
               directory: Path, labels: Mapping | None = None, formats: Sequence[str] = base.FORMATS) -> list[Path]:
    """P(outcome) and P(the other equilibrium) against x from each of two starts, with 95 % Wilson bands;
    the range where history decides (``table['bistable']``) shaded and labelled."""
    x, start, starts, outcome = spec["x"], spec["start"], tuple(spec["starts"]), spec["outcome"]
    if x not in summary or start not in summary or not set(starts) <= set(summary[start]):
        return []
    other = "Q1" if outcome != "Q1" else "Q3"
    rest = [n for n in base.varying(summary, names) if n not in (x, start)]
    panels = base.facets(summary, rest, labels)
    files: list[Path] = []
    for page, chunk in enumerate(base.pages(panels, per_page=6)):
        fig = base.new_figure(6.6, 2.6 * len(chunk))
        axes = fig.subplots(len(chunk), 2, squeeze=False)
        for (ptitle, g), row in zip(chunk, axes):
            t = table if table is not None and not table.empty else pd.DataFrame()
            for col in rest:
                if not t.empty:
                    t = t[t[col] == g[col].iloc[0]]
            for ax, o in zip(row, (outcome, other)):
                for k, s in enumerate(starts):
                    h = g[g[start] == s].sort_values(x)
                    c = base.series_colour(s, k)
                    ax.plot(h[x], h[f"freq_{o}"], marker="o", ms=2.5, lw=1.3, color=c, ls="-" if k == 0 else "--",
                            label=f"start {lab.value(start, s)}")
                    ax.fill_between(h[x], h[f"freq_{o}_lo"], h[f"freq_{o}_hi"], color=c, alpha=0.18, lw=0)
                if not t.empty and t["bistable"].astype(bool).any():
                    t = t.sort_values(x)
                    for left, right in bistable_spans(t[x].to_numpy(), t["bistable"].astype(bool).to_numpy()):
                        ax.axvspan(left, right, color="#DDDDDD", zorder=0, lw=0)
                        ax.text((left + right) / 2, 1.0, "bistable", ha="center", va="top", fontsize=6.5,
                                color="#333")
                ax.set_ylim(-0.02, 1.05)
                ax.set_xlabel(lab.label(x, labels))
                ax.set_ylabel(f"P(long-run regime {o}) (share of runs, 95 % CI)")
                ax.set_title(", ".join(s for s in (ptitle, lab.outcome(o, labels)) if s))
        base.heading(fig, f"History: the long-run regime against {lab.label(x, labels, unit=False)} from two starts",
                     axes[0][0].get_legend_handles_labels()[0], ncol=2)
        base.note(fig, f"Shaded: bistable, where the starts' P({outcome}) differ by ≥ {spec['gap']:g} with "
                  "non-overlapping 95 % Wilson intervals (hysteresis.csv).")
        files += base.save(fig, directory, base.page_stem("hysteresis", page), formats)
    return files
