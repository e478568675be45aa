"""A browser session's model and what can be done to it: reset, step, play, shock, extend, restore from a link.

Every action either happens at once (and the page shows its result in one frame, :mod:`sim.dashboard.frame`)
or is refused with the reason, in words, where the user is looking: :func:`why_not_shock`,
:func:`why_not_reset`. Nothing is accepted that cannot happen (a shock after the run's end, a scheduled
shock beyond the run length, a shock that would replace no SME).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import threading
import time
from contextlib import ExitStack, contextmanager
from typing import Any, NamedTuple

from sim.dashboard import controls as ui
from sim.dashboard import frame as frames
from sim.dashboard import link as links
from sim.dashboard.frame import Shock
from sim.model import PiggybackModel
from sim.params import PARAMS, validate

EXTEND_CHOICES = (100, 250, 500, 1000)  # months a finished run can be extended by
SPEED = 20  # steps per second while playing, by default
MAX_BATCH = 20  # steps at most between two frames when drawing cannot keep up with the speed (a second's worth)
IN_FLIGHT = 1  # frames sent to the page and not yet painted, at most, before the play loop waits


class Gate(NamedTuple):
    """What the buttons depend on: whether the run can go on, and whether it is at its length."""

    running: bool
    at_length: bool


class DashboardModel(PiggybackModel):
    """The model as the dashboard drives it.

    - The seed is typed as text (empty: a random seed, kept in ``seed`` so that the run can be repeated).
    - A control clamped by another (:func:`sim.dashboard.controls.in_use`) is clamped here, as the page says.
    - A row of observations at step 0, so that the series start from the initial state.
    - Every shock is logged (:class:`sim.dashboard.frame.Shock`), those given with the button apart from
      the scheduled one, so that a link can replay them.
    - A run stopped because its long-run regime resolved can run on (``run_on``), and a run that reached its
      length can be extended (:meth:`extend`).
    """

    def __init__(self, rng: Any = ui.SEED, **params) -> None:
        seed = ui.parse_seed(rng)
        if seed is None:
            seed = secrets.randbelow(2**31)
        params = {**params, **{n: v for n, (v, _) in ui.in_use(params).items()}}
        super().__init__(rng=seed, **params)
        self.shock_log: list[Shock] = []
        self.run_on = False
        self._giving = False
        # sim.model collects after each step only (batch_run on Mesa 3.3 relies on that); the series need step 0
        self.datacollector.collect(self)

    def shock(self, share: float, intent: str) -> int:
        replaced = super().shock(share, intent)
        self.shock_log.append(Shock(self.steps, replaced, intent, share, given=self._giving))
        return replaced

    def give_shock(self, share: float, intent: str) -> int:
        """The shock button: between steps, now; the run goes on if it can (a stopped run is judged afresh)."""
        self._giving = True
        try:
            replaced = self.shock(share, intent)
        finally:
            self._giving = False
        self.running = self.steps < self.max_steps
        return replaced

    def done(self) -> bool:
        return not self.run_on and super().done()

    def extend(self, months: int = 0) -> None:
        """Run on past the resolution (``months`` 0) or past the run length by ``months``."""
        self.run_on = True
        if months:
            self.max_steps = validate({"max_steps": self.max_steps + months})["max_steps"]
        self.running = self.steps < self.max_steps


def why_not_shock(model, share: float) -> str | None:
    """Why a shock cannot be given now, or None if it can."""
    if model.steps >= model.max_steps:
        return (f"The run has reached its length ({model.max_steps} months): a shock now could never act. "
                "Extend the run first.")
    if round(share * len(model.smes)) == 0:
        return f"A share of {share:g} of {len(model.smes)} SMEs replaces none: raise the share."
    return None


def why_not_reset(controls: dict[str, Any]) -> str | None:
    """Why Reset cannot build a model from these controls, or None if it can."""
    try:
        ui.parse_seed(controls["seed"])
    except ValueError as e:
        return str(e)
    params = {n: v for n, v in controls.items() if n in PARAMS}
    params.update({n: v for n, (v, _) in ui.in_use(params).items()})
    try:
        p = validate(params)
    except ValueError as e:
        return str(e)
    if p["shock_step"] > p["max_steps"]:
        return (f"A shock scheduled at month {p['shock_step']} lies beyond the run length ({p['max_steps']} months) "
                "and would never happen: lengthen the run or move the shock.")
    if p["shock_step"] and round(p["shock_share"] * p["n_smes"]) == 0:
        return (f"The scheduled shock would replace no SME ({p['shock_share']:g} of {p['n_smes']}): "
                "raise its share or set its month to 0 (no shock).")
    return None


class Pace:
    """Steps due while playing at ``rate`` steps per second: one frame per loop, and as many steps before it as
    the clock says are due (at least one, at most :data:`MAX_BATCH`). When frames take longer than a step's
    share of a second, several steps go into one frame, so the run keeps its speed and every frame still shows
    one moment; a debt beyond :data:`MAX_BATCH` steps is dropped rather than caught up."""

    def __init__(self, rate: float, clock=time.perf_counter) -> None:
        self.rate, self.clock = max(0.1, float(rate)), clock
        self.start, self.done = clock(), 0

    def due(self) -> int:
        owed = math.floor((self.clock() - self.start) * self.rate) + 1 - self.done
        if owed > MAX_BATCH:  # drop the debt
            self.start = self.clock() - self.done / self.rate
            owed = MAX_BATCH
        return max(1, owed)

    def took(self, n: int) -> float:
        """Record ``n`` steps; seconds to wait until the next is due."""
        self.done += n
        return max(0.0, self.start + self.done / self.rate - self.clock())


class Session:
    """One browser session's model, controls and frame (reactive values, so that the page follows them).

    ``lock`` keeps steps, shocks and frames apart: the play loop and a click can come from different threads.
    """

    def __init__(self, model, controls, frame, playing, error, notice, gate, render_context=None) -> None:
        self.model, self.controls, self.frame, self.gate = model, controls, frame, gate
        self.playing, self.error, self.notice = playing, error, notice
        self.lock = threading.RLock()
        self.memory = frames.Memory(model.peek())
        self.contexts = [render_context] if render_context is not None else []  # the page's, then the views'
        self.frames = 0  # frames sent to the page
        self.painted = 0  # the last frame the page says it painted (sim/dashboard/frame_clock.vue)
        self.answering = False  # a browser answers (Solara's test renderer never does)

    @contextmanager
    def batch(self):
        """Changes made inside re-render the page once. Without it, each panel that follows the frame would
        re-render in a pass of its own (the renderer fires one pass per subscribed panel)."""
        with ExitStack() as stack:
            for context in list(self.contexts):
                stack.enter_context(context)
            yield

    # -- building ---------------------------------------------------------------------------------------
    @staticmethod
    def build(controls: dict[str, Any]) -> DashboardModel:
        return DashboardModel(rng=controls["seed"], **{n: v for n, v in controls.items() if n in PARAMS})

    def _show(self, model) -> None:
        """A new frame of ``model`` for the page (with the lock held)."""
        frame = frames.build(model, self.memory)
        self.frames += 1
        frame.number = self.frames
        self.frame.set(frame)
        self.gate.set(Gate(frame.running, frame.at_length))  # fires only when it changed

    def publish(self) -> None:
        with self.lock, self.batch():
            self._show(self.model.peek())

    def shown(self, number: int) -> None:
        """The page painted frame ``number``."""
        self.answering = True
        self.painted = max(self.painted, int(number))

    async def painted_last(self, timeout: float = 1.0) -> None:
        """Wait (at most ``timeout`` seconds) until the page has painted all but the last frame sent: a slow browser
        then gets fewer frames, each holding more steps, instead of a queue of stale frames that grows while it
        plays. One frame may be under way while the next is computed, so that neither side waits for the other."""
        if not self.answering:
            return
        deadline = time.perf_counter() + timeout
        while self.painted < self.frames - IN_FLIGHT and time.perf_counter() < deadline:
            await asyncio.sleep(0.004)

    def _install(self, model) -> None:
        with self.lock, self.batch():
            self.model.set(model)
            self.memory = frames.Memory(model)
            self._show(model)

    def reset(self) -> bool:
        """A new model from the controls (Mesa's Reset); refused, with the reason, if they cannot make one."""
        with self.batch():
            self.playing.set(False)
            reason = why_not_reset(self.controls.peek())
            if reason:
                self.error.set(f"Not reset: {reason}")
                return False
            self.error.set(None)
            self.notice.set(None)
            self._install(self.build(self.controls.peek()))
        return True

    def defaults(self) -> None:
        self.controls.set(ui.initial_controls())
        self.reset()

    def restore(self, query: str | None) -> None:
        """The settings, seed, shocks and step of a link (:mod:`sim.dashboard.link`), replayed."""
        if not query:
            return
        try:
            plan = links.decode(query)
        except ValueError as e:
            self.error.set(f"The link could not be read: {e}")
            return
        controls = {**ui.initial_controls(), **plan.controls}
        self.controls.set(controls)
        reason = why_not_reset(controls)
        if reason:
            self.error.set(f"The link's settings cannot run: {reason}")
            return
        model = self.build(controls)
        links.replay(model, plan)
        self._install(model)
        if plan.step:
            self.notice.set(f"Restored from the link: month {model.steps}.")

    # -- acting -------------------------------------------------------------------------------------------
    def step(self, n: int = 1) -> int:
        """Up to ``n`` steps, then one frame; returns the steps taken."""
        taken = 0
        with self.lock, self.batch():
            model = self.model.peek()
            while taken < n and model.running:
                model.step()
                taken += 1
            self._show(model)
        return taken

    def shock(self) -> int | None:
        """Replace the chosen share of SMEs with entrants of the chosen intent, now; refused with the reason if it
        cannot act. A run stopped at its resolution runs on (the shock unsettles it)."""
        controls = self.controls.peek()
        with self.lock, self.batch():
            model = self.model.peek()
            reason = why_not_shock(model, controls["shock_share"])
            if reason:
                self.error.set(f"No shock: {reason}")
                return None
            replaced = model.give_shock(controls["shock_share"], controls["shock_intent"])
            self._show(model)
            self.error.set(None)
        return replaced

    def extend(self, months: int = 0) -> None:
        with self.lock, self.batch():
            self.model.peek().extend(months)
            self._show(self.model.peek())
            self.error.set(None)

    def link(self) -> str:
        """The query that restores this run as it stands (settings, seed, shocks given, length, month)."""
        return links.encode(self.model.peek())
