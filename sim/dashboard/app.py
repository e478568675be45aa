"""Interactive dashboard: ``make app`` (``solara run sim/dashboard/app.py --production``).

Built from Solara directly, as Mesa's SolaraViz is laid out (controls beside views, Reset / Play / Step)
but not with it, because SolaraViz cannot give what teaching needs: its model is one object for every
browser session, its parameter inputs show no value or unit, and it cannot restart a settled model
after a shock. Here each browser session (tab) builds its own model (:mod:`sim.dashboard.session`);
every panel draws the same moment (:mod:`sim.dashboard.frame`); the charts are Altair specs drawn by
the browser and updated in place (:mod:`sim.dashboard.charts`, :mod:`sim.dashboard.widgets`). The
page lays itself out with its own CSS grid, not Solara's AppLayout, whose sidebar covers the page on
a phone: two columns on wide screens, one on narrow ones. Works on Mesa 3.3 and 3.5.
"""

from __future__ import annotations

import urllib.parse
import warnings

import ipyvue
import reacton.core
import solara

from sim.dashboard import controls as ui
from sim.dashboard import intro
from sim.dashboard.docs import DocPage
from sim.dashboard.panels import Island, KeepCard, PendingBar, ReplicatesCard, RunCard, ShockCard, Views
from sim.dashboard.session import DashboardModel, Gate, Session

__all__ = ["TITLE", "DashboardModel", "Page", "Layout", "render_headless"]

# Solara's Vue 2 front end is the one Mesa supports: with ipyvue/ipyvuetify 3 the page stays blank (mesa#3806)
VUE2 = int(ipyvue.__version__.split(".")[0]) < 2
if not VUE2:
    warnings.warn(
        f"ipyvue {ipyvue.__version__}: the dashboard renders blank; install 'ipyvue<2' 'ipyvuetify<2'", stacklevel=1
    )

TITLE = "Piggyback partnerships: MNE subsidiaries and SMEs"
CSS = """
.pb-app { padding: 12px 16px; max-width: 1800px; margin: 0 auto; font-size: 14px; }
.pb-header { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px; }
.pb-header h1 { font-size: 22px; font-weight: 500; margin: 0; }
.pb-intro { display: grid; grid-template-columns: minmax(0, 440px) minmax(0, 1fr); gap: 16px; align-items: start;
            margin: 8px 0 12px; }
.pb-intro p, .pb-intro li { line-height: 1.45; }
.pb-diagram { width: 100%; height: auto; }
.pb-grid { display: grid; grid-template-columns: minmax(280px, 340px) minmax(0, 1fr); gap: 16px;
           grid-template-areas: "run views" "side views"; grid-template-rows: auto 1fr; align-items: start; }
.pb-run { grid-area: run; } .pb-views { grid-area: views; min-width: 0; } .pb-side { grid-area: side; }
.pb-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 14px; }
.pb-cell { min-width: 0; border: 1px solid #e0e0e0; border-radius: 6px; padding: 8px; background: white; }
.pb-cell-network { grid-row: span 2; }
.pb-cell-network .pb-vega-plot { min-height: 560px; }
.piggyback-status, .piggyback-regime, .piggyback-shock-text { font-size: 14px; line-height: 1.45; margin-bottom: 6px; }
.piggyback-regime { font-size: 15px; }
.piggyback-pending { font-size: 13px; color: #b45309; margin: 4px 0; }
.piggyback-pending ul { margin: 0; padding-left: 18px; }
.piggyback-stopped { font-size: 13px; margin-top: 6px; }
.pb-note { font-size: 12px; color: #616161; margin: 4px 0; }
.pb-term { color: inherit; text-decoration: underline dotted; text-underline-offset: 2px; }
.pb-glossary dt { font-weight: 600; margin-top: 6px; } .pb-glossary dd { margin-left: 16px; }
.pb-glossary dt:target, .pb-glossary dt:target + dd { background: #fff3cd; }
.pb-pending-bar { position: fixed; left: 12px; bottom: 12px; z-index: 10; max-width: 330px; padding: 8px 10px;
                  background: #fff8e1; border: 1px solid #f0c36d; border-radius: 6px; font-size: 13px;
                  box-shadow: 0 2px 6px rgba(0, 0, 0, 0.2); }
.pb-glossary-card { margin-top: 16px; }
.piggyback-replicates-button.v-btn { height: auto !important; min-height: 36px; padding: 6px 12px !important;
                                     max-width: 100%; }
.piggyback-replicates-button .v-btn__content { white-space: normal; line-height: 1.3; flex: 1 1 auto; max-width: 100%; }
.piggyback-replicates { font-size: 14px; line-height: 1.45; margin: 6px 0; }
@media (max-width: 899px) {
  .pb-grid { grid-template-columns: minmax(0, 1fr); grid-template-areas: "run" "views" "side"; }
  .pb-intro { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 560px) {
  .pb-charts { grid-template-columns: minmax(0, 1fr); }
  .pb-app { padding: 8px; }
  .pb-cell-network .pb-vega-plot { min-height: 460px; }
}
"""


def use_session(query: str | None = None) -> Session:
    """This browser session's state: built on its first render (from the link's ``query``, if any), kept across
    re-renders."""
    controls = solara.use_reactive(solara.use_memo(ui.initial_controls, []))
    model = solara.use_reactive(solara.use_memo(lambda: Session.build(controls.peek()), []))
    frame = solara.use_reactive(None)
    playing = solara.use_reactive(False)
    error = solara.use_reactive(None)
    notice = solara.use_reactive(None)
    gate = solara.use_reactive(Gate(True, False))

    def create() -> Session:
        render_context = reacton.core.get_render_context(required=False)
        session = Session(model, controls, frame, playing, error, notice, gate, render_context)
        session.restore(query)
        if frame.peek() is None:
            session.publish()
        return session

    return solara.use_memo(create, [])


@solara.component
def Intro():
    shown = solara.use_reactive(True)
    with solara.Div(classes=["pb-header"]):
        solara.HTML(tag="h1", unsafe_innerHTML=TITLE)
        solara.Button("Hide the introduction" if shown.value else "What is this?", text=True,
                      on_click=lambda: shown.set(not shown.value), classes=["pb-intro-toggle"])
    if shown.value:
        with solara.Div(classes=["pb-intro"]):
            solara.HTML(tag="div", unsafe_innerHTML=intro.diagram_svg())
            solara.HTML(tag="div", unsafe_innerHTML=intro.text_html(), classes=["pb-intro-text"])


@solara.component
def Dashboard(session: Session):
    solara.Title(TITLE)
    solara.Style(CSS + ui.CSS)
    with solara.Div(classes=["pb-app"]):
        Intro()
        with solara.Div(classes=["pb-grid"]):
            with solara.Div(classes=["pb-run"]):
                with solara.Card("Run"):
                    RunCard(session)
            with solara.Div(classes=["pb-views"]):
                Island(Views, session)
            with solara.Div(classes=["pb-side"]):
                with solara.Card("Replicates"):
                    ReplicatesCard(session)
                with solara.Card("Shock"):
                    ShockCard(session)
                with solara.Card("Keep"):
                    Island(KeepCard, session)
                with solara.Card("Model parameters"):
                    ui.ParameterPanel(session.controls, session.model.value, session.defaults)
        solara.HTML(tag="div", unsafe_innerHTML=intro.glossary_html(), classes=["pb-glossary-card"])
        PendingBar(session)


@solara.component
def Page():
    """What ``solara run sim/dashboard/app.py`` serves: one session per browser tab; the project's documents with
    ``?doc=<path>``."""
    router = solara.use_router()
    doc = dict(urllib.parse.parse_qsl(router.search or "")).get("doc")
    if doc:
        DocPage(doc)
    else:
        SessionPage(router.search)


@solara.component
def SessionPage(query: str | None):
    Dashboard(use_session(query))


@solara.component
def Layout(children=()):
    """The page alone: no app bar, no sidebar drawer (the dashboard lays itself out)."""
    return solara.Div(children=list(children), style={"background": "#fafafa", "min-height": "100vh"})


page = Page


def render_headless(query: str | None = None):
    """The page in Solara's test renderer (no browser, no server): returns ``(box, render_context, session)``.
    For the tests and the dashboard benchmark."""
    sessions: list[Session] = []

    @solara.component
    def Probe():
        session = use_session(query)
        if not sessions:
            sessions.append(session)
        Dashboard(session)

    box, rc = solara.render(Probe(), handle_error=False)
    return box, rc, sessions[0]
