"""The page's two Vue components: a Vega-Lite chart whose data are replaced in place, and the link to the run.

Solara's own ``FigureAltair`` re-embeds the whole chart on every change, debounced by 100 ms, so a
chart updated 15 times a second is never drawn while a run plays. :func:`VegaView` embeds a spec
once and each frame only swaps the rows of the spec's named datasets (``vega_view.vue``), which
costs the browser a re-run of the chart's dataflow, not a new chart. The chart saves itself as
PNG or SVG (Vega's own renderer, so the file is what the page shows). :func:`PageLink` shows the
link that restores the run and keeps it in the address bar (``page_link.vue``); :func:`FrameClock` tells the
server which frame the page has shown (``frame_clock.vue``).
"""

from __future__ import annotations

from pathlib import Path

import solara

HERE = Path(__file__).parent
ASSETS = ("vega@6.2.0", "vega-lite@6.4.1", "vega-embed@7.0.2")  # as vega_view.vue loads them


@solara.component_vue(str(HERE / "vega_view.vue"), vuetify=False)
def VegaView(spec: str, payload: str, chart: str, caption: str = "", filename: str = ""):
    """One chart: ``spec`` (Vega-Lite with named datasets, as JSON text), ``payload`` (JSON text: dataset name ->
    rows), shown with ``caption``. JSON text rather than dicts: the page's renderer walks every list and dict it
    is given, looking for elements, and a run's rows are thousands of dicts."""


@solara.component_vue(str(HERE / "frame_clock.vue"), vuetify=False)
def FrameClock(frame: int, event_shown=None):
    """Answers ``event_shown(frame)`` once the page has painted the frame numbered ``frame``."""


@solara.component_vue(str(HERE / "page_link.vue"), vuetify=False)
def PageLink(query: str, address: bool = True):
    """The run's link (``query``: :func:`sim.dashboard.link.encode`); ``address``: keep it in the address bar."""
