"""The dashboard's figures (sim/dashboard/app.py): persistent matplotlib figures redrawn by blitting.

A figure draws its static parts (axes, ticks, legend, markers) once and keeps them as a
background bitmap; a frame restores that bitmap, draws only the artists that change (lines,
bars, edges, nodes) and encodes a PNG. The background is redrawn only when it changes (the
x range extends, a shock or the settlement is marked). A frame of all the figures costs a
small fraction of building and saving them afresh (``benchmarks/dashboard.py``).

Colours come from :mod:`sim.palette` only. Figures read the model; they never change it.
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from PIL import Image

from sim.palette import (
    ACTION_COLOURS,
    OUTCOME_COLOURS,
    QUADRANT_COLOURS,
    SEQUENTIAL_CMAP,
    SERIES_COLOURS,
)
from sim.vocabulary import PATH_ACTIONS, PATH_NAMES, QUADRANT_NAMES, QUADRANTS

DPI = 100
SIZE = (5.6, 3.7)  # inches: a cell of the dashboard's 2-column grid
MNE_MARKERS = "sD^vph8*"
RECENT = 6  # steps a party's exit / voice / loyalty stays outlined in the network
PATH_MOVES = {"A": "Q2→Q1", "B": "Q4→Q1", "C": "Q2→Q3", "D": "Q4→Q3"}
SHARES = {f"share_{q}": (f"{q} {QUADRANT_NAMES[q]}", {"color": QUADRANT_COLOURS[q]}) for q in QUADRANTS}
# the means are neither quadrants nor actions: the palette's neutral series greys, told apart by line style too
MEANS = {
    "mean_trust": ("trust", {"color": SERIES_COLOURS[0], "ls": "-"}),
    "mean_communication": ("communication", {"color": SERIES_COLOURS[2], "ls": "--"}),
    "mean_lof": ("liability of foreignness", {"color": SERIES_COLOURS[1], "ls": ":", "lw": 2}),
}


def png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as it stands (no redraw) as PNG; fast compression, since it is sent at once."""
    w, h = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="png", compress_level=1)
    return out.getvalue()


def nice_ceiling(x: float, smallest: float = 10) -> float:
    """The least of smallest × {1, 2, 5} × 10^k that is ≥ x (axis limits change rarely)."""
    k = max(0, math.floor(math.log10(max(x, smallest) / smallest)))
    for base in (1, 2, 5, 10):
        if smallest * base * 10**k >= x:
            return smallest * base * 10**k
    raise AssertionError("unreachable")


def horizon(steps: int, max_steps: int) -> int:
    """x range of the time series: a nice ceiling of the step (50, 100, 250, 500, ...), never past
    the run's end; it changes a few times a run, and only then is the background redrawn."""
    return int(min(nice_ceiling(steps, 50), max(max_steps, steps, 1)))


class Painter:
    """A figure whose ``animated`` artists are redrawn on a cached background.

    Subclasses set up the figure, return what the background depends on from
    :meth:`background_key` (re-styling it in :meth:`restyle`), and set the data of the
    animated artists in :meth:`update`. The constrained layout runs on the first draw only,
    unless ``relayout`` (a background change may need wider margins).
    """

    relayout = False

    def __init__(self, figsize: tuple[float, float] = SIZE) -> None:
        self.fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
        FigureCanvasAgg(self.fig)
        self.animated: list = []
        self._background = None
        self._key: object = object()

    def background_key(self, model) -> object:
        return None

    def restyle(self, model, key) -> None:
        """Change the static parts for a new background key."""

    def update(self, model) -> None:
        raise NotImplementedError

    def _animate(self, *artists):
        for artist in artists:
            artist.set_animated(True)
            self.animated.append(artist)
        return artists[0] if len(artists) == 1 else artists

    def render(self, model) -> bytes:
        """One frame: the model's state now, as PNG."""
        key = self.background_key(model)
        if key != self._key:
            self.restyle(model, key)
            self._key, self._background = key, None
        self.update(model)
        canvas = self.fig.canvas
        if self._background is None:
            canvas.draw()  # everything but the animated artists
            if not self.relayout:
                self.fig.set_layout_engine("none")  # keep the positions found
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.animated:
            self.fig.draw_artist(artist)
        return png(canvas)


# -- time series ----------------------------------------------------------------------
class SeriesPainter(Painter):
    """DataCollector columns (name -> label, line style) against the step, on [0, 1], the latest
    value dotted; shocks and the settlement marked as vertical lines."""

    def __init__(self, series: dict[str, tuple[str, dict]], title: str) -> None:
        super().__init__()
        self.series = series
        self.ax = ax = self.fig.add_subplot()
        self.lines = [
            self._animate(ax.plot([], [], label=label, marker="o", ms=4, **style)[0])
            for label, style in series.values()
        ]
        self.markers: list = []
        ax.set_ylim(0, 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("step (month)")
        ax.set_title(title, fontsize=10)
        ax.legend(loc="upper left", fontsize=8)

    def background_key(self, model):
        shocks = tuple(s for s, _, _ in getattr(model, "shocks", ()))
        return horizon(model.steps, model.max_steps), shocks, model.settle_step

    def restyle(self, model, key) -> None:
        xmax, shocks, settle_step = key
        self.ax.set_xlim(0, xmax)
        for marker in self.markers:
            marker.remove()
        self.markers = [self.ax.axvline(s, color="0.2", ls="--", lw=1) for s in shocks]
        self.markers += [self.ax.text(s, 0.02, " shock", fontsize=7, color="0.2") for s in shocks]
        if settle_step is not None:
            self.markers.append(self.ax.axvline(settle_step, color="0.5", ls=":", lw=1.2))
            self.markers.append(self.ax.text(settle_step, 0.08, " settled", fontsize=7, color="0.4"))

    def update(self, model) -> None:
        data = model.datacollector.model_vars
        x = data["steps"]
        for line, name in zip(self.lines, self.series):
            line.set_data(x, data[name])
            line.set_markevery([len(x) - 1] if x else None)


# -- paths ----------------------------------------------------------------------------
class PathsPainter(Painter):
    """Cumulative path events A–D (§8), stacked by the action behind them."""

    relayout = True  # tick labels widen as the counts grow

    def __init__(self) -> None:
        super().__init__()
        self.ax = ax = self.fig.add_subplot()
        labels = [f"{p}\n{PATH_MOVES[p]}" for p in PATH_NAMES]
        self.bars = {a: ax.bar(labels, [0] * 4, color=ACTION_COLOURS[a], label=a).patches for a in PATH_ACTIONS}
        for patches in self.bars.values():
            self._animate(*patches)
        ax.set_ylabel("cumulative events")
        ax.set_title("paths by action (A, B downhill to Q1; C, D uphill to Q3)", fontsize=10)
        ax.legend(loc="upper left", fontsize=8, ncols=4)

    def counts(self, model) -> dict[str, list[int]]:
        return {a: [getattr(model, f"path_{p}_{a}") for p in PATH_NAMES] for a in PATH_ACTIONS}

    def background_key(self, model):
        top = max(sum(col) for col in zip(*self.counts(model).values()))
        return nice_ceiling(1.3 * top)  # headroom for the legend

    def restyle(self, model, key) -> None:
        self.ax.set_ylim(0, key)

    def update(self, model) -> None:
        bottom = [0] * len(PATH_NAMES)
        for action, counts in self.counts(model).items():
            for i, (patch, n) in enumerate(zip(self.bars[action], counts)):
                patch.set_y(bottom[i])
                patch.set_height(n)
                bottom[i] += n


# -- regime: composition and occupancy (version 2) --------------------------------------
class RegimePainter(Painter):
    """The quadrant shares this month, their mean over the last settlement window (the
    composition that decides the regime, MODEL.md §12.1) and occupancy since burn-in."""

    ROWS = ("occupancy since\nburn-in", "composition:\nwindow mean", "this month")
    REGIMES = (*QUADRANTS, "mixed")

    def __init__(self) -> None:
        super().__init__(figsize=(SIZE[0], 2.4))
        self.ax = ax = self.fig.add_subplot()
        self.segments = {}
        for r in self.REGIMES:
            label = f"{r} {QUADRANT_NAMES[r]}" if r in QUADRANT_NAMES else "mixed (none ≥ dominance)"
            bars = ax.barh(self.ROWS, [0, 0, 0], color=OUTCOME_COLOURS[r], label=label, height=0.6)
            self.segments[r] = self._animate(*bars.patches)
        self.note = self._animate(ax.text(0.01, 0, "", va="center", fontsize=8, color="0.3"))
        ax.set_xlim(0, 1)
        ax.set_xlabel("share")
        ax.tick_params(axis="y", labelsize=8)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncols=3, fontsize=7, frameon=False)

    def update(self, model) -> None:
        now = [getattr(model, f"share_{q}") for q in QUADRANTS] + [0.0]
        window = [getattr(model, f"composition_{q}") for q in QUADRANTS] + [0.0]
        occupancy = [getattr(model, f"occupancy_{r}") for r in self.REGIMES]
        self.note.set_text("" if occupancy[0] is not None else f"after burn-in (month {model.p['burn_in']})")
        rows = (occupancy if occupancy[0] is not None else [0.0] * 5, window, now)
        for row, values in enumerate(rows):
            left = 0.0
            for r, value in zip(self.REGIMES, values):
                patch = self.segments[r][row]
                patch.set_x(left)
                patch.set_width(value)
                left += value


# -- network --------------------------------------------------------------------------
class RingLayout:
    """Fixed node positions: no force layout per step, and nodes that stay where they were.

    Each market owns a sector: its subsidiaries on the inner ring (MNEs side by side), the
    SMEs whose first target it is on two outer rings, sorted by niche. An SME that leaves
    (§11.1) leaves a gap; an entrant fills a gap in its own market's sector, or, if there is
    none, joins the sector, whose SMEs then spread out again.
    """

    def __init__(self, model) -> None:
        self.n = n = len(model.subs_by_market)
        self.sub_xy = {
            sub.unique_id: self._place(m, i, len(subs), 1.0)
            for m, subs in enumerate(model.subs_by_market)
            for i, sub in enumerate(subs)
        }
        self.slots: list[list[int | None]] = [[] for _ in range(n)]  # SME ids by sector; None: a gap
        for sme in sorted(model.smes, key=lambda s: s.niche):
            self.slots[sme.targets[0]].append(sme.unique_id)
        self.sme_xy: dict[int, tuple[float, float]] = {}
        for m in range(n):
            self._spread(m)

    def _place(self, m: int, i: int, k: int, radius: float) -> tuple[float, float]:
        angle = 2 * math.pi * (m + 0.1 + 0.8 * (i + 0.5) / k) / self.n
        r = radius + (0.3 * (i % 2) if radius > 1.0 else 0.0)  # SMEs staggered on two rings
        return r * math.cos(angle), r * math.sin(angle)

    def _spread(self, m: int) -> None:
        slots = self.slots[m]
        for i, uid in enumerate(slots):
            if uid is not None:
                self.sme_xy[uid] = self._place(m, i, len(slots), 2.0)

    def sync(self, smes) -> None:
        """Follow the population: gaps for the SMEs that left, places for the entrants."""
        present = {s.unique_id for s in smes}
        if len(present) == len(self.sme_xy) and present.issubset(self.sme_xy):
            return
        for slots in self.slots:
            for i, uid in enumerate(slots):
                if uid is not None and uid not in present:
                    slots[i] = None
                    del self.sme_xy[uid]
        for sme in smes:
            if sme.unique_id not in self.sme_xy:
                m, slots = sme.targets[0], self.slots[sme.targets[0]]
                if None in slots:
                    i = slots.index(None)
                    slots[i] = sme.unique_id
                    self.sme_xy[sme.unique_id] = self._place(m, i, len(slots), 2.0)
                else:
                    slots.append(sme.unique_id)
                    self._spread(m)


def outline(agent, step: int) -> tuple[str, float]:
    """Edge colour and width of a node: the action colour if the party chose lately."""
    if agent.last_action is not None and step - agent.last_action_step < RECENT:
        return ACTION_COLOURS[agent.last_action], 2.5
    return "white", 0.8


class NetworkPainter(Painter):
    """Contracts as edges (colour: quadrant, width: mean trust); nodes coloured by intent,
    outlined when they just chose exit, voice or loyalty; legend and colour bar on the right."""

    def __init__(self, model) -> None:
        super().__init__(figsize=(SIZE[0], SIZE[1] - 0.3))
        self.fig.set_layout_engine("none")  # fixed axes: nothing here changes size
        self.layout = RingLayout(model)
        ax = self.ax = self.fig.add_axes((0.0, 0.0, 0.62, 0.93))
        norm = Normalize(0.0, 1.0)
        self.edges = self._animate(LineCollection([], alpha=0.75))
        ax.add_collection(self.edges)
        self.mnes = []
        for k, hq in enumerate(model.headquarters):
            subs = list(hq.subsidiaries)
            scatter = ax.scatter(
                [self.layout.sub_xy[s.unique_id][0] for s in subs],
                [self.layout.sub_xy[s.unique_id][1] for s in subs],
                c=[0.0] * len(subs),
                s=160,
                marker=MNE_MARKERS[k % len(MNE_MARKERS)],
                cmap=SEQUENTIAL_CMAP,
                norm=norm,
            )
            self.mnes.append((subs, self._animate(scatter)))
        size = max(12.0, min(60.0, 3000.0 / len(model.smes)))
        xs, ys = zip(*(self.layout.sme_xy[s.unique_id] for s in model.smes))
        self.sme_nodes = self._animate(
            ax.scatter(xs, ys, c=[0.0] * len(xs), s=size, marker="o", cmap=SEQUENTIAL_CMAP, norm=norm)
        )
        n = len(model.subs_by_market)
        for m in range(n):
            angle = 2 * math.pi * (m + 0.5) / n
            ax.text(2.75 * math.cos(angle), 2.75 * math.sin(angle), f"market {m}", ha="center", va="center", fontsize=8)
        ax.set_xlim(-3.1, 3.1)
        ax.set_ylim(-3.1, 3.1)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title("contracts: colour = quadrant, width = trust", fontsize=10)
        self.fig.legend(
            handles=self._legend(model), loc="upper left", bbox_to_anchor=(0.6, 0.95), fontsize=8, frameon=False
        )
        cax = self.fig.add_axes((0.64, 0.1, 0.32, 0.035))
        self.fig.colorbar(ScalarMappable(norm, SEQUENTIAL_CMAP), cax=cax, orientation="horizontal")
        cax.tick_params(labelsize=7)
        cax.set_title(
            "intent: exploration (subsidiaries),\nambition (SMEs); ≥ 0.5: explore,\ninternational", fontsize=8
        )

    @staticmethod
    def _legend(model) -> list[Line2D]:
        quadrants = [
            Line2D([], [], color=QUADRANT_COLOURS[q], lw=3, label=f"{q} {QUADRANT_NAMES[q]}") for q in QUADRANTS
        ]
        mnes = [
            Line2D([], [], ls="", marker=m, color="gray", ms=8, label=f"MNE {i} subsidiary")
            for i, m in enumerate(MNE_MARKERS[: len(model.headquarters)])
        ]
        sme = Line2D([], [], ls="", marker="o", color="gray", ms=6, label="SME")
        actions = [
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc="white",
                mec=ACTION_COLOURS[a],
                mew=2.5,
                ms=8,
                label=f"{a}, last {RECENT} steps",
            )
            for a in ("exit", "voice", "loyalty")
        ]
        return [*quadrants, *mnes, sme, *actions]

    def update(self, model) -> None:
        step, layout = model.steps, self.layout
        layout.sync(model.smes)
        contracts = list(model.book.active.values())
        self.edges.set_segments([(layout.sub_xy[c.sub.unique_id], layout.sme_xy[c.sme.unique_id]) for c in contracts])
        self.edges.set_color([QUADRANT_COLOURS[QUADRANTS[c.quadrant - 1]] for c in contracts])
        self.edges.set_linewidths([0.5 + 3.0 * c.trust_mean for c in contracts])
        for subs, scatter in self.mnes:
            self._nodes(scatter, subs, [s.exploration for s in subs], step)
        self.sme_nodes.set_offsets([layout.sme_xy[s.unique_id] for s in model.smes])
        self._nodes(self.sme_nodes, model.smes, [s.ambition for s in model.smes], step)

    @staticmethod
    def _nodes(scatter, agents, intents, step) -> None:
        scatter.set_array(intents)
        edges = [outline(a, step) for a in agents]
        scatter.set_edgecolors([c for c, _ in edges])
        scatter.set_linewidths([w for _, w in edges])
