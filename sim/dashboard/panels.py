"""The page's panels: running the model, shocks, keeping what is seen, the status lines and the charts.

The views (status and charts) read the session's frame (:mod:`sim.dashboard.frame`), so all of them show the same
moment; they are rendered in a render context of their own (:func:`Island`), so that a frame re-renders them and not
the parameters' panel. The cards on the left follow the run's gate (running, at its length), which changes rarely.
Every action answers where the eye is: what Reset will change stands beside Reset, a refused action
says why beside its button, a finished run offers to go on beside ▶.
"""

from __future__ import annotations

import asyncio
import io
import json
import traceback

import ipywidgets
import reacton.core
import solara
import solara.lab

from sim.dashboard import charts, texts
from sim.dashboard import controls as ui
from sim.dashboard.replicates import REPLICATES, run_replicates, summary_line
from sim.dashboard.session import EXTEND_CHOICES, SPEED, Pace, Session, why_not_reset, why_not_shock
from sim.dashboard.widgets import FrameClock, PageLink, VegaView
from sim.params import PARAMS


def _event_loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def Html(html: str, cls: str, tag: str = "div", style: str = "") -> None:
    solara.HTML(tag=tag, unsafe_innerHTML=html, classes=[cls], style=style)


@solara.component
def PendingList(session: Session):
    """What the next Reset will change (old → new), or why it cannot; beside the Reset button."""
    controls, model = session.controls.value, session.model.value
    changes = ui.pending(controls, model)
    refusal = why_not_reset(controls)
    if changes:
        items = "".join(f"<li>{label}: {was} → <b>{then}</b></li>" for label, was, then in changes)
        Html(f"Reset will apply:<ul>{items}</ul>", "piggyback-pending")
    if refusal:
        solara.Warning(f"Reset cannot apply these settings: {refusal}", dense=True, classes=["piggyback-refusal"])


@solara.component
def PendingBar(session: Session):
    """The pending changes again, fixed at the foot of the window: the parameters' panel runs far below Reset."""
    controls, model = session.controls.value, session.model.value
    changes = ui.pending(controls, model)
    if not changes:
        return
    refusal = why_not_reset(controls)
    names = ", ".join(label for label, _, _ in changes)
    with solara.Div(classes=["pb-pending-bar"]):
        Html(f"{len(changes)} change{'s' if len(changes) > 1 else ''} wait for Reset: {names}."
             + (f" <b>Reset cannot apply them:</b> {refusal}" if refusal else ""), "pb-pending-bar-text")
        solara.Button("Reset now", color="primary", small=True, on_click=session.reset, disabled=bool(refusal))


@solara.component
def RunCard(session: Session):
    """Reset / Play / Step as in Mesa, the pending changes, the speed, and a finished run's way on."""
    gate, playing = session.gate.value, session.playing
    speed = solara.use_reactive(SPEED)
    months = solara.use_reactive(EXTEND_CHOICES[1])

    async def play():
        pace = Pace(speed.value)
        try:
            while playing.value:
                if pace.rate != speed.value:
                    pace = Pace(speed.value)
                n = pace.due()
                taken = session.step(n)
                if taken < n or not session.model.value.running:
                    playing.set(False)
                    break
                await asyncio.sleep(pace.took(taken))
                await session.painted_last()
        except Exception as e:
            playing.set(False)
            session.error.set(f"error in step: {e}")
            traceback.print_exc()

    # On the session's event loop under `solara run` (a step never overlaps the render of a click); in a
    # thread without one (Solara's test renderer).
    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=not _event_loop_running())
    with solara.Row(justify="space-between", classes=["pb-buttons"]):
        solara.Button("Reset", color="primary", on_click=session.reset)
        solara.Button("❚❚" if playing.value and gate.running else "▶", color="primary", disabled=not gate.running,
                      on_click=lambda: playing.set(not playing.value))
        solara.Button("Step", color="primary", disabled=playing.value or not gate.running,
                      on_click=lambda: session.step())
    PendingList(session)
    stopped = None if gate.running else texts.stopped(session.frame.value)  # the frame only when stopped
    if stopped:
        Html(stopped, "piggyback-stopped")
        with solara.Row(classes=["pb-extend"]):
            if not gate.at_length:
                solara.Button("Run on", outlined=True, on_click=lambda: session.extend(0), classes=["piggyback-run-on"])
            solara.Select("months", values=list(EXTEND_CHOICES), value=months, dense=True, style={"max-width": "90px"})
            solara.Button(f"Extend by {months.value}", outlined=True, on_click=lambda: session.extend(months.value),
                          classes=["piggyback-extend"])
    solara.SliderInt(f"Speed: {speed.value} months per second", value=speed, min=1, max=50)
    if session.error.value:
        solara.Error(session.error.value, classes=["piggyback-error"], dense=True)
    if session.notice.value:
        solara.Info(session.notice.value, dense=True, classes=["piggyback-notice"])


@solara.component
def ShockCard(session: Session):
    """The shock's share and intent, the button, and why it is refused when it cannot act."""
    gate = session.gate.value  # noqa: F841  (whether a shock can act changes with the run's end)
    ui.Controls(list(ui.SHOCK_CONTROLS), session.controls)
    refusal = why_not_shock(session.model.value, session.controls.value["shock_share"])
    solara.Button("Shock now", color="primary", on_click=session.shock, disabled=bool(refusal),
                  classes=["piggyback-shock"])
    if refusal:
        Html(refusal, "piggyback-shock-refused", style="font-size: 12px; color: #b45309")
    Html(f"Replaces that share of the SMEs with entrants of that intent, between two months; the same share and "
         f"intent serve a scheduled shock (“{PARAMS['shock_step'].label}” under More parameters).",
         "pb-note")


@solara.component
def ReplicatesCard(session: Session):
    """The "Run 100 replicates of these settings" button: the long-run regime's frequencies over replicates of the
    run on screen (its settings since the last Reset, seeds spawned from its seed; :mod:`sim.dashboard.replicates`),
    computed in a thread, as a bar chart with 95 % intervals and one line of text."""
    model, controls = session.model.value, session.controls.value
    request = solara.use_reactive(0)  # clicks: each asks for the replicates of the model on screen then
    spec = solara.use_memo(lambda: json.dumps(charts.replicates()), [])

    def compute():
        if not request.value:
            return None
        now = session.model.peek()
        return run_replicates(dict(now.p), now.seed)

    task = solara.lab.use_task(compute, dependencies=[request.value], prefer_threaded=True)
    solara.Button(f"Run {REPLICATES} replicates of these settings", color="primary", disabled=task.pending,
                  on_click=lambda: request.set(request.value + 1), classes=["piggyback-replicates-button"])
    Html(f"The settings of the run on screen (seed {model.seed}), on {REPLICATES} seeds spawned from its seed, through "
         "the compiled engine: how often each long-run regime comes out. Shocks given with the button are not "
         "repeated.", "pb-note")
    changes = ui.pending(controls, model)
    if changes:
        Html(f"{len(changes)} change{'s' if len(changes) > 1 else ''} waiting for Reset "
             f"({', '.join(label for label, _, _ in changes)}) {'are' if len(changes) > 1 else 'is'} not in these "
             "settings: Reset first to include them.", "piggyback-replicates-pending",
             style="font-size: 12px; color: #b45309")
    if task.pending:
        Html(f"Running {REPLICATES} replicates…", "piggyback-replicates-running")
    elif task.error:
        solara.Error(f"The replicates failed: {task.exception}", dense=True, classes=["piggyback-error"])
    result = task.value if task.finished else None
    if result is None:
        return
    if result.params != model.p or result.seed != model.seed:
        Html(f"For earlier settings (seed {result.seed}): run again for the run on screen.",
             "piggyback-replicates-stale", style="font-size: 12px; color: #b45309")
    Html(summary_line(result), "piggyback-replicates")
    VegaView(spec=spec, payload=json.dumps({"rows": result.rows()}), chart="replicates",
             caption=f"seed {result.seed} · {result.n} replicates", filename=f"piggyback-seed{result.seed}-replicates")


def step_table(model) -> bytes:
    """The run's step table as CSV: one row a month (the model's DataCollector, ``steps`` first), and the SMEs a
    shock replaced in that month."""
    table = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    table.insert(0, "steps", table.pop("steps"))
    shocked = {}
    for s in model.shock_log:
        shocked[s.step] = shocked.get(s.step, 0) + s.replaced
    table["shock_replaced"] = [shocked.get(m, 0) for m in table["steps"]]
    out = io.StringIO()
    table.to_csv(out, index=False)
    return out.getvalue().encode()


def settings(model, query: str) -> bytes:
    """The run's settings as JSON: seed, every parameter, the shocks, the length and the link's query."""
    shocks = [{"month": s.step, "replaced": s.replaced, "share": s.share, "intent": s.intent, "given": s.given}
              for s in model.shock_log]
    out = {"seed": model.seed, "month": model.steps, "length": model.max_steps,
           "parameters": {k: list(v) if isinstance(v, tuple) else v for k, v in model.p.items()},
           "shocks": shocks, "link_query": query}
    return json.dumps(out, indent=1).encode()


@solara.component
def KeepCard(session: Session):
    """Downloads of the run's table and settings, and the link that restores the run; while the run plays, a note
    (the card follows the frames only when paused: a download names the month it holds)."""
    if session.playing.value:
        Html("Pause the run to keep it as it stands: its table (CSV), its settings (JSON) and a link that restores "
             "it. Each chart saves itself as PNG or SVG (links under it).", "pb-note")
    else:
        KeepContent(session)


@solara.component
def KeepContent(session: Session):
    frame, model = session.frame.value, session.model.value
    query = solara.use_memo(session.link, [model, frame])
    table = solara.use_memo(lambda: (lambda: step_table(model)), [model, frame])
    setting = solara.use_memo(lambda: (lambda: settings(model, query)), [model, frame])
    stem = f"piggyback-seed{model.seed}-month{frame.step}"
    solara.FileDownload(table, filename=f"{stem}.csv", label="The run's table (CSV)", mime_type="text/csv")
    solara.FileDownload(setting, filename=f"{stem}-settings.json", label="Its settings (JSON)",
                        mime_type="application/json")
    Html("Link to this run (settings, seed, shocks and month; the address bar keeps it too, so a reload comes "
         "back here):", "pb-note")
    PageLink(query=query)
    Html("Each chart saves itself: PNG or SVG under it.", "pb-note")


@solara.component
def StatusPanel(session: Session):
    frame = session.frame.value
    Html(texts.status(frame), "piggyback-status")
    Html(texts.running_with(session.model.value), "piggyback-running", style="font-size: 12px; color: #616161")
    Html(texts.regime_line(frame), "piggyback-regime")
    if frame.shock is not None:
        Html(texts.shock_line(frame), "piggyback-shock-text")


def caption(frame, name: str) -> str:
    when = f"month {frame.step}" + (", after the shock" if frame.shock_now else "")
    if name == "network":
        return f"{when} · {frame.contracts} contracts"
    if name in ("regime", "subsidiaries") and not frame.judged:
        return f"{when} · subsidiaries' states from month {frame.window}"
    return when


@solara.component
def Views(session: Session):
    StatusPanel(session)
    Charts(session)
    Clock(session)  # last: when the page has its frame number, it has every panel's update before it


@solara.component
def Island(component, session: Session):
    """``component(session)`` in a render context of its own, for the parts that follow every frame (the views,
    the keep card). A render walks its whole tree: in the page's tree, each frame would walk every control of the
    parameters' panel (three times the work with “More parameters” open); here a frame walks the island only.
    The box is a widget the page's tree holds but does not manage, so two render contexts never set the same
    children."""

    box = solara.use_memo(ipywidgets.VBox, [])

    def mount():
        # after the page's render, not inside it: a render context created while another renders would hang its
        # components' contexts into the other's tree
        _box, rc = reacton.core.render(component(session), box, handle_error=False)
        session.contexts.append(rc)

        def close():
            session.contexts.remove(rc)
            try:
                rc.close()
            except AssertionError:  # the page closed the box's widgets first
                pass

        return close

    solara.use_effect(mount, [])
    solara.Div(children=[box], classes=["pb-island", f"pb-island-{component.__name__.lower()}"])


@solara.component
def Clock(session: Session):
    """After every panel: the page answers which frame it painted (the play loop waits for it)."""
    FrameClock(frame=session.frame.value.number, event_shown=session.shown)


@solara.component
def Charts(session: Session):
    """Every chart of the frame, in a grid that is one column wide on narrow screens."""
    frame, model = session.frame.value, session.model.value
    specs = solara.use_memo(lambda: {k: json.dumps(v) for k, v in charts.specs(model).items()},
                            [model, model.max_steps])
    stem = f"piggyback-seed{model.seed}-month{frame.step}"
    with solara.Div(classes=["pb-charts"]):
        for name in charts.ORDER:
            with solara.Div(classes=["pb-cell", f"pb-cell-{name}"]):
                VegaView(spec=specs[name], payload=frame.data[name], chart=name, caption=caption(frame, name),
                         filename=f"{stem}-{name}")
