"""What every figure shares: what it draws from (:class:`Context`), the journal style, saving (PNG and PDF at
300 dpi, SVG on request, atomically, byte-stable), facets and panel grids, outcome legends and visible notes,
and the :class:`FigureSkipped` warning.

Figures are built on :class:`matplotlib.figure.Figure` without pyplot: no global backend is chosen and
no figure is left open, so importing this package in a notebook changes nothing there.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import offset_copy

from experiments.definition import models
from experiments.definition.experiment import DEFAULT_TARGET
from experiments.figures import labels as lab
from experiments.storage.atomic import atomic_write_bytes
from sim.palette import OUTCOME_COLOURS, SEQUENTIAL_CMAP, SERIES_COLOURS

DPI = 300
FORMATS = ("png", "pdf")  # the default; "svg" too on request ([outputs] formats)
KNOWN_FORMATS = ("png", "pdf", "svg")
MAX_PANELS = 12  # per figure file; more panels go on further pages (<stem>_p2, ...), never dropped
START = "initial_quadrant"  # the design parameter that says where a run starts (hysteresis, shocks, turnover)
STYLE = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # TrueType fonts embedded in the PDF, as journals ask (not Type 3)
    "svg.hashsalt": "piggyback-abm",  # stable SVG ids: re-drawing the same data changes no byte
    "svg.fonttype": "none",  # SVG text stays text (editable in a drawing program)
    "savefig.dpi": DPI,
}
# no dates in the files, so that a figure changes only when its data do
_METADATA = {"png": None, "pdf": {"CreationDate": None, "ModDate": None}, "svg": {"Date": None}}


class FigureSkipped(UserWarning):
    """A figure the saved tables do not allow (the message says why)."""


@dataclass
class Context:
    """What a figure draws from: the saved tables (``summary``, ``timeseries``, ``sensitivity`` and each
    figure's own), the design parameters, the experiment's ``[outputs]``, and what the model declares."""

    directory: Path
    tables: Mapping[str, pd.DataFrame]
    names: list[str]
    outputs: Mapping[str, Any]
    labels: Mapping[str, str]
    formats: tuple[str, ...]
    sampled: bool  # a sampled design (lhs, sobol, morris): no per-point bars or panels
    model: models.ModelInfo
    target: str  # the output a sampled design's figures single out (its sensitivity target)
    design: str | None = None  # the design type when known (grid, oat, lhs, sobol, morris, points)

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    @property
    def categories(self) -> tuple[str, ...]:
        """The headline outcome's categories."""
        return self.model.categories

    @property
    def kw(self) -> dict[str, Any]:
        return {"labels": self.labels, "formats": self.formats}

    @property
    def headline(self) -> str:
        """The headline outcome's label (e.g. "long-run regime"), for titles."""
        return headline_label(self.model)


def headline_label(model: models.ModelInfo | None = None) -> str:
    """The label of the model's headline outcome (the default model's when none is given)."""
    h = (model or models.info()).headline
    return h.label if h is not None else "outcome"


def default_target(model: models.ModelInfo) -> str:
    """The outcome a sampled design's figures single out when no sensitivity target is recorded."""
    cats = model.categories
    return DEFAULT_TARGET if DEFAULT_TARGET in cats or not cats else cats[0]


def colour(o: str) -> str:
    """An outcome's colour from the palette (a neutral grey for a category the palette does not know)."""
    return OUTCOME_COLOURS.get(o, SERIES_COLOURS[1])


def grid_only(figure):
    """``draw(ctx)`` for a figure of grid and one-at-a-time designs drawn as
    ``figure(summary, names, directory, x, labels=, formats=, outcomes=, what=)`` (none for a sampled design)."""

    def draw(ctx: Context) -> list[Path]:
        if ctx.sampled:
            return []
        return figure(ctx.summary, ctx.names, ctx.directory, ctx.outputs.get("x"), outcomes=ctx.categories,
                      what=ctx.headline, **ctx.kw)

    return draw


def asked(name: str, files: list[Path]) -> list[Path]:
    """The files of a figure ``[outputs]`` asked for by name; a warning when there are none."""
    if not files:
        warnings.warn(f"{name}: asked for in [outputs] but the results lack what it needs (see experiments/README.md)",
                      FigureSkipped, stacklevel=3)
    return files


def styled(fn):
    """Draw (and save) inside the journal style, whatever the caller's rcParams."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def save(fig: Figure, directory: Path, stem: str, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``<stem>.<ext>`` for each format, each atomically; returns the paths."""
    paths = []
    with matplotlib.rc_context(STYLE):
        for ext in formats:
            buf = io.BytesIO()
            fig.savefig(buf, format=ext, dpi=DPI, bbox_inches="tight", metadata=_METADATA[ext])
            path = Path(directory) / f"{stem}.{ext}"
            atomic_write_bytes(path, buf.getvalue())
            paths.append(path)
    return paths


def page_stem(stem: str, page: int) -> str:
    return stem if page == 0 else f"{stem}_p{page + 1}"


def pages(items: list, per_page: int = MAX_PANELS) -> list[list]:
    return [items[i : i + per_page] for i in range(0, len(items), per_page)] or [[]]


def grid(fig: Figure, n: int, cols: int = 3) -> list:
    cols = max(1, min(n, cols))
    rows = int(np.ceil(n / cols))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return list(axes.flat[:n])


def grid_figure(n: int, w: float = 3.2, h: float = 2.5, cols: int = 3) -> tuple[Figure, list]:
    cols = max(1, min(n, cols))
    fig = new_figure(w * cols, h * int(np.ceil(n / cols)))
    return fig, grid(fig, n, cols)


def varying(summary: pd.DataFrame, names: Sequence[str]) -> list[str]:
    return [n for n in names if n in summary and summary[n].nunique() > 1]


def is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def is_sampled(summary: pd.DataFrame, names: Sequence[str], design: str | None = None) -> bool:
    """A sampled design (lhs, sobol, morris; and a list of points) rather than a grid: per-point bars and panels
    would not read."""
    if design is not None:
        return design in ("lhs", "sobol", "morris", "points")
    vary = varying(summary, names)
    if len(summary) > 40:
        return True
    return len(vary) >= 2 and float(np.prod([summary[n].nunique() for n in vary])) > 2 * len(summary)


def facets(summary: pd.DataFrame, keys: list[str], labels: Mapping | None = None) -> list[tuple[str, pd.DataFrame]]:
    """Panels: one per combination of ``keys``, titled in words."""
    if not keys:
        return [("", summary)]
    out = []
    for vals, g in summary.groupby(keys, sort=True):
        vals = vals if isinstance(vals, tuple) else (vals,)
        out.append((lab.point(dict(zip(keys, vals)), keys, labels), g))
    return out


def groups(summary: pd.DataFrame, names: Sequence[str], sampled: bool, labels: Mapping | None = None,
           per_point: bool = False) -> list[tuple[str, list[int]]]:
    """Panels of points for a figure drawn per point of a grid (``per_point``, or a grid design): one per point,
    titled by the varying parameters; of a sampled design: one per combination of its categorical parameters
    (e.g. each start), pooled over the others, or one of all points."""
    vary = varying(summary, names)
    if "source" in summary:  # a list of points from several experiments: each by its source and what it changes
        return [(_listed(r, summary, vary, labels), [int(r["point"])]) for _, r in summary.iterrows()]
    if per_point or not sampled:
        return [(lab.point(r, vary, labels) if vary else f"point {int(r['point'])}", [int(r["point"])])
                for _, r in summary.iterrows()]
    keys = [n for n in vary if not is_numeric(summary[n])]
    if not keys:
        return [(f"all {len(summary)} points", [int(p) for p in summary["point"]])]
    return [(title, [int(p) for p in g["point"]]) for title, g in facets(summary, keys, labels)]


def _listed(row: Mapping, summary: pd.DataFrame, vary: Sequence[str], labels: Mapping | None, width: int = 64) -> str:
    """A point of a points design in words: its source, then the parameters where it differs from most points."""
    own = [n for n in vary if row[n] != summary[n].mode(dropna=False).iloc[0]]
    text = f"{row['source'] or 'point'} {int(row['point'])}: " + (lab.point(row, own, labels) if own else "base")
    return text if len(text) <= width else text[: width - 1] + "…"


def categories(outcomes: Sequence[str] | None = None) -> tuple[str, ...]:
    """``outcomes``, or the categories of the default model's headline outcome."""
    return tuple(outcomes) if outcomes is not None else models.info().categories


def tied(row: Mapping, outcomes: Sequence[str] | None = None) -> list[str]:
    """The outcomes sharing the highest frequency at a point (more than one: a tie)."""
    outcomes = categories(outcomes)
    f = np.array([float(row[f"freq_{o}"]) for o in outcomes])
    return [o for o, v in zip(outcomes, f) if np.isclose(v, f.max())]


def present(summary: pd.DataFrame, outcomes: Sequence[str] | None = None) -> list[str]:
    """Outcomes that occur at some point (legends list only these)."""
    return [o for o in categories(outcomes) if f"freq_{o}" in summary and summary[f"freq_{o}"].max() > 0]


def heading(fig: Figure, title: str, handles: Sequence = (), ncol: int | None = None) -> None:
    """The figure's title with its legend beneath, above the panels (a suptitle and an outside legend
    would overlap under constrained layout)."""
    if not handles:
        fig.suptitle(title)
        return
    fig.legend(handles=list(handles), loc="outside upper center", ncol=ncol or min(len(handles), 3), frameon=False,
               title=title, title_fontproperties={"size": STYLE["figure.titlesize"]})


def outcome_handles(outcomes: Sequence[str], labels: Mapping | None = None, extra: Sequence = ()) -> list:
    return [Patch(color=OUTCOME_COLOURS[o], label=lab.outcome(o, labels)) for o in outcomes] + list(extra)


def note(fig: Figure, text: str, warn: bool = False) -> None:
    """A visible line under the figure (a caveat the reader must see, never a silent omission); a warning
    in red. Several notes stack downwards."""
    k = fig.__dict__.get("_n_notes", 0)
    fig.__dict__["_n_notes"] = k + 1
    where = offset_copy(fig.transFigure, fig=fig, y=-2 - 10 * k, units="points")
    fig.text(0.0, 0.0, ("⚠ " if warn else "") + text, transform=where, ha="left", va="top", fontsize=7,
             color="#B00000" if warn else "#333333")


def group_colours(n: int) -> list:
    """Colours of ``n`` ordered series (one per value of a second parameter); black for one."""
    if n <= 1:
        return ["black"]
    cmap = matplotlib.colormaps[SEQUENTIAL_CMAP]
    return [cmap(0.9 * i / (n - 1)) for i in range(n)]  # the map's top is pale yellow: stop short of it


def series_colour(name: str, k: int) -> str:
    """The colour of series ``k``: its outcome's colour when it is named by an outcome (a start), else the
    k-th series colour."""
    return OUTCOME_COLOURS.get(name, SERIES_COLOURS[k % len(SERIES_COLOURS)])


def categorical_axis(ax, values: Sequence, name: str, labels: Mapping | None = None) -> dict:
    """Category positions 0..k-1 for a non-numeric (or few-valued) x; returns value -> position."""
    pos = {v: i for i, v in enumerate(values)}
    ax.set_xticks(range(len(values)), [lab.value(name, v) for v in values])
    ax.set_xlim(-0.6, len(values) - 0.4)
    return pos


def dodge(k: int, n: int, width: float = 0.6) -> float:
    """Offset of series ``k`` of ``n`` side by side at one category."""
    return 0.0 if n <= 1 else (k - (n - 1) / 2) * width / n


def choose_x(summary: pd.DataFrame, names: Sequence[str], x: str | None) -> tuple[str | None, list[str]]:
    """The x-axis parameter (``x`` if it varies, else the first that does) and the parameters that split the
    figure into panels."""
    vary = varying(summary, names)
    if not vary:
        return None, []
    x = x if x in vary else vary[0]
    return x, [n for n in vary if n != x]


def sorted_values(values: pd.Series) -> list:
    """The distinct values of a categorical column, in a stable order (the ticks of a categorical axis)."""
    return sorted(values.unique(), key=lambda v: (str(type(v)), v))


def shade(colour: str, f: float) -> tuple:
    """The colour washed toward white as a share falls (f = 1: full colour)."""
    rgb = np.array(mcolors.to_rgb(colour))
    return tuple(1 - f * (1 - rgb))
