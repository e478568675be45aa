"""Interactive dashboard: ``make app`` or ``solara run sim/dashboard/app.py``.

Laid out as Mesa's SolaraViz is (controls and parameters in the sidebar, views in a grid,
Reset / Play / Step, a play interval, views as functions of the model) but built from
Solara directly, because SolaraViz cannot give what teaching needs: its model is one object
for every browser session, its parameter inputs show no value or unit, and it cannot restart
a settled model after a shock. Here each browser session (tab) builds its own model and
controls in :func:`use_session`; every control is built from the parameter table
(:mod:`sim.dashboard.controls`); the figures are persistent and redrawn by blitting
(:mod:`sim.dashboard.figures`). A step re-renders the views only: one render pass, since
only :class:`Views` reads the session's frame counter (Mesa's global ``update_counter`` has
a render pass per component that reads it). Works on Mesa 3.3 and 3.5.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipyvue
import solara
import solara.lab

from sim.dashboard import controls as ui
from sim.dashboard import figures
from sim.model import PiggybackModel
from sim.params import PARAMS
from sim.vocabulary import QUADRANT_NAMES, SUMMARY_KEYS

# Solara's Vue 2 front end is the one Mesa supports: with ipyvue/ipyvuetify 3 the page stays blank (mesa#3806)
VUE2 = int(ipyvue.__version__.split(".")[0]) < 2
if not VUE2:
    warnings.warn(
        f"ipyvue {ipyvue.__version__}: the dashboard renders blank; install 'ipyvue<2' 'ipyvuetify<2'", stacklevel=1
    )

TITLE = "Piggyback partnerships: MNE subsidiaries and SMEs"
PLAY_INTERVAL = 50  # ms from one step to the next while playing (at most 20 steps per second)
# Version 2 (MODEL.md §11–12): shown when the model has it
HAS_SHOCK = hasattr(PiggybackModel, "shock") and all(n in PARAMS for n in ui.SHOCK_CONTROLS)
HAS_REGIME = all(f"{k}_Q1" in SUMMARY_KEYS for k in ("composition", "occupancy"))


class DashboardModel(PiggybackModel):
    """The model as the dashboard drives it: a seed typed as text (empty: a random seed, kept
    in ``seed`` so that the run can be repeated), a row of observations at step 0 so that the
    plots start from the initial state, and a record of the shocks given."""

    def __init__(self, rng: Any = ui.SEED, **params) -> None:
        seed = ui.parse_seed(rng)
        if seed is None:
            seed = secrets.randbelow(2**31)
        # the two sliders cannot express contracts_per_sme ≤ n_markets: clamp rather than fail
        n_markets = params.get("n_markets", PARAMS["n_markets"].default)
        if params.get("contracts_per_sme", PARAMS["contracts_per_sme"].default) > n_markets:
            params["contracts_per_sme"] = n_markets
        super().__init__(rng=seed, **params)
        self.shocks: list[tuple[int, int, str]] = []  # (step, SMEs replaced, intent)
        # sim.model collects after each step only (batch_run on Mesa 3.3 relies on that); the plots need step 0
        self.datacollector.collect(self)

    def shock(self, share: float, intent: str) -> int:
        replaced = super().shock(share, intent)
        self.shocks.append((self.steps, replaced, intent))
        return replaced


def model_kwargs(controls: dict[str, Any]) -> dict[str, Any]:
    return {"rng": controls["seed"], **{n: v for n, v in controls.items() if n in PARAMS}}


@dataclass(eq=False)
class Session:
    """One browser session's model and controls; ``lock`` keeps steps, shocks and frames apart."""

    model: solara.Reactive
    controls: solara.Reactive
    playing: solara.Reactive
    running: solara.Reactive  # the model's ``running``, for the buttons
    frame: solara.Reactive  # counts redraws: the views read it
    error: solara.Reactive
    lock: threading.RLock

    def redraw(self) -> None:
        self.running.set(self.model.value.running)
        self.frame.set(self.frame.value + 1)

    def reset(self) -> None:
        """A new model from the controls (Mesa's Reset); a bad value is reported, nothing changes."""
        self.playing.set(False)
        try:
            model = DashboardModel(**model_kwargs(self.controls.value))
        except ValueError as e:
            self.error.set(str(e))
            return
        with self.lock:
            self.model.set(model)
        self.error.set(None)
        self.redraw()

    def defaults(self) -> None:
        self.controls.set(ui.initial_controls())
        self.reset()

    def step(self, n: int = 1) -> None:
        with self.lock:
            model = self.model.value
            for _ in range(n):
                if not model.running:
                    break
                model.step()
        self.redraw()

    def shock(self) -> int:
        """Replace the chosen share of SMEs with entrants of the chosen intent, now; a model
        stopped at settlement runs on (the shock unsettles it)."""
        controls = self.controls.value
        with self.lock:
            model = self.model.value
            replaced = model.shock(controls["shock_share"], controls["shock_intent"])
            model.running = model.steps < model.max_steps
        self.redraw()
        return replaced


def use_session() -> Session:
    """This browser session's state: built on its first render, kept across re-renders."""
    controls = solara.use_reactive(solara.use_memo(ui.initial_controls, []))
    model = solara.use_reactive(solara.use_memo(lambda: DashboardModel(**model_kwargs(controls.value)), []))
    playing = solara.use_reactive(False)
    running = solara.use_reactive(True)
    frame = solara.use_reactive(0)
    error = solara.use_reactive(None)
    lock = solara.use_memo(threading.RLock, [])
    return solara.use_memo(lambda: Session(model, controls, playing, running, frame, error, lock), [])


# -- sidebar --------------------------------------------------------------------------
def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@solara.component
def RunControls(session: Session):
    """Reset / Play / Step as in Mesa, a play interval and steps per frame."""
    playing, running = session.playing, session.running.value
    interval = solara.use_reactive(PLAY_INTERVAL)
    per_frame = solara.use_reactive(1)

    async def play():
        try:
            while playing.value:
                start = time.perf_counter()
                session.step(per_frame.value)
                if not session.running.value:
                    playing.set(False)
                    break
                await asyncio.sleep(max(0.0, interval.value / 1000 - (time.perf_counter() - start)))
        except Exception as e:
            playing.set(False)
            session.error.set(f"error in step: {e}")
            traceback.print_exc()

    # Under `solara run`, on the session's event loop, where the clicks are handled: a step and its
    # redraw never overlap the render of a click (from a thread, steps during that render re-trigger
    # it until Solara gives up). Without a running loop (Solara's test renderer), in a thread.
    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=not _event_loop_running())
    solara.SliderInt(f"Play interval: {interval.value} ms per step", value=interval, min=0, max=500, step=10)
    solara.SliderInt(f"Steps per frame: {per_frame.value}", value=per_frame, min=1, max=50)
    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=session.reset)
        solara.Button(
            "❚❚" if playing.value else "▶",
            color="primary",
            disabled=not running,
            on_click=lambda: playing.set(not playing.value),
        )
        solara.Button("Step", color="primary", disabled=playing.value or not running, on_click=session.step)
    if session.error.value:
        solara.Error(session.error.value, classes=["piggyback-error"])


@solara.component
def ShockCard(session: Session):
    ui.Controls(list(ui.SHOCK_CONTROLS), session.controls)
    solara.Button("Shock now", color="primary", on_click=session.shock, classes=["piggyback-shock"])
    solara.Text(
        "Replaces that share of the SMEs with entrants of that intent at once; "
        "the same share and intent serve a scheduled shock (More parameters: shock at step).",
        style={"font-size": "11px", "color": "gray"},
    )


@solara.component
def Sidebar(session: Session):
    with solara.Card("Controls"):
        RunControls(session)
    if HAS_SHOCK:
        with solara.Card("Shock"):
            ShockCard(session)
    with solara.Card("Model parameters"):
        ui.ParameterPanel(session.controls, session.model.value, session.defaults)


# -- views ----------------------------------------------------------------------------
def status(model: PiggybackModel) -> str:
    settled = f"settled in {model.quadrant} at step {model.settle_step}" if model.settled else "not settled"
    return (
        f"Step {model.steps} · {model.contracts} contracts · exits {model.exits} · voices {model.voices} "
        f"({model.voice_successes} succeeded) · loyalty {model.loyalty_acts} · {settled}"
    )


def running_with(model: PiggybackModel) -> str:
    """The seed and the parameters that differ from their defaults (the run can be repeated from it)."""
    changed = [f"{p.label or n} {ui.show(p, model.p[n])}" for n, p in PARAMS.items() if model.p[n] != p.default]
    return f"seed {model.seed} · " + (" · ".join(changed) if changed else "every parameter at its default")


def regime_text(model) -> str:
    """The regime (§12.1), the settlement state, and the regime's return after the last shock."""
    regime = model.final_quadrant
    name = f" {QUADRANT_NAMES[regime]}" if regime in QUADRANT_NAMES else ""
    settled = f"settled in {model.quadrant} at step {model.settle_step}" if model.settled else "not settled"
    text = f"Regime now (window mean): {regime}{name} · {settled} · regime switches {model.regime_switches}"
    if model.shocks:
        step, replaced, intent = model.shocks[-1]
        before, back = getattr(model, "shock_regime", None), model.shock_return_time
        text += f" · shock at step {step}: {replaced} SMEs replaced by {intent} entrants; "
        if model.shock_returned is None:  # nothing observed before the shock
            return text + "no regime before it to return to"
        text += f"regime before: {before}, " if before else "the regime before it: "
        if back is not None:
            text += f"back within noise after {back} step{'s' if back != 1 else ''}"
            text += "" if model.shock_returned else f", but the regime now is {regime}"
        else:
            text += f"not back yet ({model.steps - step} steps on)"
    return text


def _changed(model) -> tuple:
    """What most views show changes with every step and every shock."""
    return model.steps, len(model.shocks)


def _paths_changed(model) -> tuple:
    return tuple(getattr(model, f"path_{p}") for p in "ABCD")


# view name -> (figure for a model, what its picture depends on); drawn in this order, by column
VIEWS: dict[str, tuple[Callable[[Any], figures.Painter], Callable[[Any], tuple]]] = {
    "network": (figures.NetworkPainter, _changed),
    **({"composition": (lambda _: figures.RegimePainter(), _changed)} if HAS_REGIME else {}),
    "paths": (lambda _: figures.PathsPainter(), _paths_changed),
    "shares": (lambda _: figures.SeriesPainter(figures.SHARES, "quadrant shares of contracts"), _changed),
    "means": (
        lambda _: figures.SeriesPainter(figures.MEANS, "means: trust, communication (contracts), LoF (subsidiaries)"),
        _changed,
    ),
}
RIGHT_COLUMN = ("shares", "means")


@solara.component
def FigureView(session: Session, model, frame: int, name: str):
    """One view's picture, redrawn only when what it depends on changed (a new ``frame`` re-renders
    the component, not necessarily the picture)."""
    make, changed = VIEWS[name]
    painter = solara.use_memo(lambda: make(model), [model])

    def picture() -> bytes:
        with session.lock:
            return painter.render(model)

    image = solara.use_memo(picture, [painter, changed(model)])
    solara.Image(image, width="100%", classes=[f"piggyback-{name}"])


@solara.component
def Texts(model, frame: int, parts):
    for text, cls, style in parts(model):
        solara.Text(text, classes=[cls], style=style)


def _network_texts(model):
    return [
        (status(model), "piggyback-status", {}),
        (running_with(model), "piggyback-running", {"font-size": "11px", "color": "gray"}),
    ]


def _regime_texts(model):
    return [(regime_text(model), "piggyback-regime", {"font-size": "13px"})]


@solara.component
def Views(session: Session):
    frame = session.frame.value  # re-render after every step
    model = session.model.value
    with solara.Columns([1, 1]):
        with solara.Column():
            Texts(model, frame, _network_texts)
            for name in VIEWS:
                if name == "composition":
                    Texts(model, frame, _regime_texts)
                if name not in RIGHT_COLUMN:
                    FigureView(session, model, frame, name)
        with solara.Column():
            for name in RIGHT_COLUMN:
                FigureView(session, model, frame, name)


@solara.component
def Dashboard(session: Session):
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        Sidebar(session)
    Views(session)


@solara.component
def Page():
    """What ``solara run sim/dashboard/app.py`` serves: one session per browser tab."""
    Dashboard(use_session())


page = Page


def render_headless():
    """The page in Solara's test renderer (no browser, no server), as ``solara run`` lays it out:
    returns ``(box, render_context, session)``. For the tests and the dashboard benchmark."""
    sessions: list[Session] = []

    @solara.component
    def Probe():
        session = use_session()
        if not sessions:
            sessions.append(session)
        Dashboard(session)

    # AppLayout is what `solara run` wraps a page in; without it the sidebar is not drawn
    box, rc = solara.render(solara.AppLayout(children=[Probe()]), handle_error=False)
    return box, rc, sessions[0]
