"""Interactive dashboard (issue #4): ``make app`` or ``solara run sim/app.py``.

The model has no grid, so Mesa's space component does not fit: the network of
subsidiaries and SMEs is a custom matplotlib component on a fixed ring layout, and the
time series and path counts are custom components over the model's DataCollector and
counters, inside Mesa's SolaraViz (controls, step / play / reset). Every control is built
from the parameter table (:data:`sim.params.PARAMS`). Works on Mesa 3.3 and 3.5.
"""

from __future__ import annotations

import math
import warnings
import weakref

import ipyvue
import solara
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from mesa.visualization import SolaraViz
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.utils import update_counter

from sim.agents import Subsidiary
from sim.model import PiggybackModel
from sim.observe import PATH_ACTIONS, PATH_NAMES
from sim.params import PARAMS

# Mesa's SolaraViz needs the Vue 2 front end: with ipyvue/ipyvuetify 3 its plots stay blank (mesa#3806)
VUE2 = int(ipyvue.__version__.split(".")[0]) < 2
if not VUE2:
    warnings.warn(
        f"ipyvue {ipyvue.__version__}: the dashboard renders blank; install 'ipyvue<2' 'ipyvuetify<2'", stacklevel=1
    )

SEED = 1
QUADRANT_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red")  # Q1..Q4, in every view
QUADRANT_NAMES = ("exploit × domestic", "exploit × international", "explore × international", "explore × domestic")
PATH_MOVES = {"A": "Q2→Q1", "B": "Q4→Q1", "C": "Q2→Q3", "D": "Q4→Q3"}
ACTION_COLORS = {"loyalty": "tab:gray", "voice": "gold", "exit": "black", "drift": "tab:cyan"}
INTENT_CMAP = "viridis"
MNE_MARKERS = "sD^vph8*"
FIGSIZE = (5.6, 3.7)  # inches, to fill a cell of Mesa's dashboard grid
RECENT = 6  # steps a party's exit / voice / loyalty stays outlined in the network

CONTROLS = (
    "initial_quadrant", "hq_pressure", "ecosystem", "intermediary", "exit_cost", "voice_cost", "voluntarism",
    "platform", "voice_hypothesis", "stop_on_settle", "n_mnes", "n_markets", "n_smes", "n_niches",
    "contracts_per_sme",
)  # fmt: skip
# Slider maxima a browser can still draw: a UI choice, not a limit of the model (see PARAMS for that).
UI_MAX = {"n_mnes": 6, "n_markets": 8, "n_smes": 300, "n_niches": 24, "contracts_per_sme": 4}


def control(name: str) -> dict:
    """A Mesa ``model_params`` entry for one parameter, its range read from the table."""
    p = PARAMS[name]
    if p.kind == "bool":
        return {"type": "Checkbox", "value": p.default, "label": name}
    if p.kind == "choice":
        return {"type": "Select", "value": p.default, "values": list(p.choices), "label": name}
    high = min(p.high, UI_MAX.get(name, p.high))
    if p.kind == "int":
        return {"type": "SliderInt", "value": p.default, "min": int(p.low), "max": int(high), "step": 1, "label": name}
    step = (high - p.low) / 100
    return {"type": "SliderFloat", "value": p.default, "min": p.low, "max": high, "step": step, "label": name}


model_params = {
    "rng": {"type": "InputText", "value": SEED, "label": "seed (empty: random)"},
    **{name: control(name) for name in CONTROLS},
}


class DashboardModel(PiggybackModel):
    """The model as the dashboard drives it: a seed typed as text.

    ``**kwargs`` (not ``**params``) because Mesa 3.3's SolaraViz accepts extra parameters
    only through a catch-all named ``kwargs``; ``scenario`` because Mesa 3.5's Reset passes
    one (the parameters all come through ``kwargs``, so it is dropped).
    """

    def __init__(self, rng=SEED, scenario=None, **kwargs) -> None:
        text = "" if rng is None else str(rng).strip()
        if text and not text.lstrip("-").isdigit():
            raise ValueError(f"seed: an integer, or empty for a random one; got {rng!r}")
        # the two sliders cannot express contracts_per_sme ≤ n_markets: clamp rather than fail on reset
        n_markets = kwargs.get("n_markets", PARAMS["n_markets"].default)
        if kwargs.get("contracts_per_sme", PARAMS["contracts_per_sme"].default) > n_markets:
            kwargs["contracts_per_sme"] = n_markets
        super().__init__(rng=int(text) if text else None, **kwargs)


# -- network view -------------------------------------------------------------------
_LAYOUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def layout(model: PiggybackModel) -> dict[int, tuple[float, float]]:
    """Fixed node positions, computed once per model (no force layout per step).

    Each market owns a sector: its subsidiaries on the inner ring (MNEs side by side), the
    SMEs whose first target it is on two outer rings, sorted by niche.
    """
    pos = _LAYOUTS.get(model)
    if pos is None:
        n = len(model.subs_by_market)
        smes_by_market = [[] for _ in range(n)]
        for sme in sorted(model.smes, key=lambda s: s.niche):
            smes_by_market[sme.targets[0]].append(sme)
        pos = {}
        for m in range(n):
            for agents, radius, stagger in ((model.subs_by_market[m], 1.0, 0.0), (smes_by_market[m], 2.0, 0.3)):
                for i, agent in enumerate(agents):
                    angle = 2 * math.pi * (m + 0.1 + 0.8 * (i + 0.5) / len(agents)) / n
                    r = radius + stagger * (i % 2)
                    pos[agent.unique_id] = (r * math.cos(angle), r * math.sin(angle))
        _LAYOUTS[model] = pos
    return pos


def agent_portrayal(agent) -> AgentPortrayalStyle:
    """Mesa's portrayal of a subsidiary (marker per MNE) or an SME (circle); colour = intent."""
    model = agent.model
    x, y = layout(model)[agent.unique_id]
    if isinstance(agent, Subsidiary):
        marker = MNE_MARKERS[model.headquarters.index(agent.hq) % len(MNE_MARKERS)]
        style = AgentPortrayalStyle(x=x, y=y, color=agent.exploration, marker=marker, size=160, zorder=3)
    else:
        size = max(12.0, min(60.0, 3000.0 / len(model.smes)))
        style = AgentPortrayalStyle(x=x, y=y, color=agent.ambition, marker="o", size=size, zorder=2)
    action, step = agent.last_action, agent.last_action_step
    if action is not None and model.steps - step < RECENT:  # outline who just chose exit, voice or loyalty
        style.update(("edgecolors", ACTION_COLORS[action]), ("linewidths", 2.5))
    else:
        style.update(("edgecolors", "white"), ("linewidths", 0.8))
    return style


def draw_network(model: PiggybackModel, ax) -> None:
    """Contracts as edges (colour: quadrant, width: mean trust), agents as portrayed."""
    pos = layout(model)
    contracts = list(model.book.active.values())
    edges = LineCollection(
        [(pos[c.sub.unique_id], pos[c.sme.unique_id]) for c in contracts],
        colors=[QUADRANT_COLORS[c.quadrant - 1] for c in contracts],
        linewidths=[0.5 + 3.0 * c.trust_mean for c in contracts],
        alpha=0.75,
        zorder=1,
    )
    ax.add_collection(edges)
    groups: dict[str, list[AgentPortrayalStyle]] = {}
    for agent in (*model.subsidiaries, *model.smes):
        style = agent_portrayal(agent)
        groups.setdefault(style.marker, []).append(style)
    for marker, styles in groups.items():
        ax.scatter(
            [s.x for s in styles],
            [s.y for s in styles],
            c=[s.color for s in styles],
            s=[s.size for s in styles],
            edgecolors=[s.edgecolors for s in styles],
            linewidths=[s.linewidths for s in styles],
            marker=marker,
            zorder=styles[0].zorder,
            cmap=INTENT_CMAP,
            vmin=0.0,
            vmax=1.0,
        )
    n = len(model.subs_by_market)
    for m in range(n):
        angle = 2 * math.pi * (m + 0.5) / n
        ax.text(2.75 * math.cos(angle), 2.75 * math.sin(angle), f"market {m}", ha="center", va="center", fontsize=8)
    ax.set_xlim(-3.1, 3.1)
    ax.set_ylim(-3.1, 3.1)
    ax.set_aspect("equal")
    ax.axis("off")


def _legend(model: PiggybackModel) -> list[Line2D]:
    quadrants = [
        Line2D([], [], color=c, lw=3, label=f"Q{i + 1} {name}")
        for i, (c, name) in enumerate(zip(QUADRANT_COLORS, QUADRANT_NAMES, strict=True))
    ]
    mnes = [
        Line2D([], [], ls="", marker=m, color="gray", ms=8, label=f"MNE {i} subsidiary")
        for i, m in enumerate(MNE_MARKERS[: len(model.headquarters)])
    ]
    sme = Line2D([], [], ls="", marker="o", color="gray", ms=6, label="SME")
    actions = [
        Line2D([], [], ls="", marker="o", mfc="white", mec=ACTION_COLORS[a], mew=2.5, ms=8, label=f"{a}, last {RECENT}")
        for a in ("exit", "voice", "loyalty")
    ]
    return [*quadrants, *mnes, sme, *actions]


def network_figure(model: PiggybackModel) -> Figure:
    """The ring on the left; legend and intent colour bar on the right."""
    fig = Figure(figsize=(FIGSIZE[0], FIGSIZE[1] - 0.5))  # leaves room for the two lines of text above
    ax = fig.add_axes((0.0, 0.0, 0.62, 0.95))
    draw_network(model, ax)
    ax.set_title("contracts: colour = quadrant, width = trust", fontsize=10)
    fig.legend(handles=_legend(model), loc="upper left", bbox_to_anchor=(0.6, 0.95), fontsize=8, frameon=False)
    cax = fig.add_axes((0.64, 0.12, 0.32, 0.035))
    fig.colorbar(ax.collections[-1], cax=cax, orientation="horizontal")  # any node scatter has the intent colormap
    cax.tick_params(labelsize=7)
    cax.set_title("intent: exploration (subsidiaries),\nambition (SMEs); ≥ 0.5 explore / international", fontsize=8)
    return fig


def status(model: PiggybackModel) -> str:
    settled = f"settled in {model.quadrant} at step {model.settle_step}" if model.settled else "not settled"
    return (
        f"Step {model.steps} · {model.contracts} contracts · exits {model.exits} · voices {model.voices} "
        f"({model.voice_successes} succeeded) · loyalty {model.loyalty_acts} · {settled}"
    )


def running_with(model: PiggybackModel) -> str:
    """The controlled parameters of the model shown (sliders act only at Reset, and show no value)."""
    values = (f"{model.p[n]:g}" if PARAMS[n].kind in ("int", "float") else str(model.p[n]) for n in CONTROLS)
    return " · ".join(f"{n} {v}" for n, v in zip(CONTROLS, values, strict=True))


@solara.component
def NetworkView(model):
    update_counter.get()  # re-render after every step
    with solara.Column(gap="4px"):
        solara.Text(status(model), classes=["piggyback-status"])
        solara.Text(running_with(model), style={"font-size": "11px", "color": "gray"})
        fig = network_figure(model)
        solara.FigureMatplotlib(fig, format="png", bbox_inches="tight", dependencies=[model, model.steps])


# -- paths ---------------------------------------------------------------------------
def paths_figure(model: PiggybackModel) -> Figure:
    """Cumulative path events A–D, stacked by the action behind them (§8)."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    labels = [f"{p}\n{PATH_MOVES[p]}" for p in PATH_NAMES]
    bottom = [0] * len(PATH_NAMES)
    for action in PATH_ACTIONS:
        counts = [getattr(model, f"path_{p}_{action}") for p in PATH_NAMES]
        ax.bar(labels, counts, bottom=bottom, color=ACTION_COLORS[action], label=action)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_ylim(0, 1.15 * max(1, *bottom))  # room for the legend
    ax.set_ylabel("cumulative events")
    ax.set_title("paths by action (A, B downhill to Q1; C, D uphill to Q3)", fontsize=10)
    ax.legend(loc="best", fontsize=8)
    return fig


@solara.component
def PathsView(model):
    update_counter.get()
    solara.FigureMatplotlib(paths_figure(model), format="png", bbox_inches="tight", dependencies=[model, model.steps])


# -- time series from the DataCollector --------------------------------------------
# Drawn here rather than with Mesa's make_plot_component, which puts the row index on the x
# axis: the model collects one row after each step, so the `steps` column is the x axis.
SHARES = {
    f"share_Q{i + 1}": (c, f"Q{i + 1} {n}")
    for i, (c, n) in enumerate(zip(QUADRANT_COLORS, QUADRANT_NAMES, strict=True))
}
MEANS = {
    "mean_trust": ("tab:purple", "trust"),
    "mean_communication": ("tab:brown", "communication"),
    "mean_lof": ("tab:gray", "liability of foreignness"),
}


def series_figure(model: PiggybackModel, series: dict[str, tuple[str, str]], title: str) -> Figure:
    """Reporters (name -> colour, label) against the step, on [0, 1]."""
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    ax = fig.add_subplot()
    df = model.datacollector.get_model_vars_dataframe()
    for name, (color, label) in series.items():
        ax.plot(df["steps"] if len(df) else [], df[name] if len(df) else [], color=color, label=label)
    ax.set_xlim(0, max(1, model.steps))
    ax.set_ylim(0, 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step (month)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    return fig


@solara.component
def ShareView(model):
    update_counter.get()
    fig = series_figure(model, SHARES, "quadrant shares of active contracts")
    with solara.Div(classes=["piggyback-shares"]):  # a handle for the tests
        solara.FigureMatplotlib(fig, format="png", bbox_inches="tight", dependencies=[model, model.steps])


@solara.component
def MeansView(model):
    update_counter.get()
    fig = series_figure(model, MEANS, "means: trust, communication (contracts), LoF (subsidiaries)")
    solara.FigureMatplotlib(fig, format="png", bbox_inches="tight", dependencies=[model, model.steps])


model = DashboardModel(**{k: v["value"] for k, v in model_params.items()})
page = SolaraViz(
    model,
    components=[NetworkView, ShareView, MeansView, PathsView],  # a 2 × 2 grid: one screen
    model_params=model_params,
    name="Piggyback partnerships: MNE subsidiaries and SMEs",
)
page  # noqa: B018
