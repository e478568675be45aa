"""The dashboard's charts as Vega-Lite specs, built with Altair (as Mesa's own charts are) and drawn in the browser.

Each spec names its datasets (``alt.Data(name=...)``) instead of holding data: the page embeds a spec
once and then only replaces the rows of a frame (:mod:`sim.dashboard.vega`, :mod:`sim.dashboard.frame`).
Drawn by the browser, text stays at its CSS size whatever the width of the page (readable at 1024 px
and on a phone), hovering a mark shows its values, and each chart saves itself as PNG or SVG.
Colours come from :mod:`sim.palette` only; words from :mod:`sim.vocabulary` and the parameter table.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from sim.dashboard.frame import SERIES
from sim.dashboard.network import NO_CONTRACTS, NOT_JUDGED, RECENT
from sim.palette import ACTION_COLOURS, OUTCOME_COLOURS, QUADRANT_COLOURS, SEQUENTIAL_CMAP, SERIES_COLOURS
from sim.vocabulary import ACTIONS, LONG_RUN_REGIMES, PATH_ACTIONS, QUADRANT_NAMES, QUADRANTS

HEIGHT = 230  # px of a series chart's plot area; widths follow the page
FONT = {"label": 12, "title": 13}
# a contested portfolio is "not settled": the palette's grey for that, unless it names one for contested
CONTESTED_COLOUR = OUTCOME_COLOURS.get("contested", OUTCOME_COLOURS["unsettled"])
STATES = (*QUADRANTS, "contested")
STATE_COLOURS = {**QUADRANT_COLOURS, "contested": CONTESTED_COLOUR}
MNE_SHAPES = ("square", "diamond", "triangle-up", "triangle-down", "cross", "triangle-left", "triangle-right")
QUADRANT_LABELS = {q: f"{q} {QUADRANT_NAMES[q]}" for q in QUADRANTS}
SERIES_LABELS = {
    **{f"share_{q}": QUADRANT_LABELS[q] for q in QUADRANTS},
    **{f"subs_{q}": f"locked {q}" for q in QUADRANTS},
    "subs_contested": "contested",
    "mean_trust": "trust (contracts)",
    "mean_communication": "communication (contracts)",
    "mean_lof": "liability of foreignness (subsidiaries)",
}
TITLES = {
    "network": "Contracts between subsidiaries and SMEs",
    "regime": "Quadrants of contracts, and subsidiaries' portfolios",
    "paths": "Paths A–D, by the action behind them",
    "shares": "Share of contracts in each quadrant",
    "subsidiaries": "Subsidiaries: portfolio locked in a quadrant, or contested",
    "means": "Trust, communication, liability of foreignness",
    "replicates": "Long-run regime of the replicates",
}
ORDER = ("network", "regime", "shares", "subsidiaries", "paths", "means")


def _labels_expr(labels: dict[str, str]) -> str:
    """A Vega expression giving each key's label (legends show words, the data keep short keys)."""
    pairs = ", ".join(f"{k!r}: {v!r}" for k, v in labels.items())
    return f"{{{pairs}}}[datum.label] || datum.label"


def _legend(title: str | None, columns: int = 2, **kw) -> alt.Legend:
    """A legend below the chart (outside the data), one column when the chart is narrow (a phone)."""
    kw.setdefault("symbolStrokeWidth", 3)
    return alt.Legend(title=title, orient="bottom", columns=alt.ExprRef(f"width < 380 ? 1 : {columns}"),
                      labelLimit=320, **kw)


def _finish(chart, name: str) -> dict[str, Any]:
    """Title, fonts and sizing shared by every chart, as a Vega-Lite dict."""
    chart = chart.properties(title=TITLES[name], width="container")
    chart = chart.configure_axis(labelFontSize=FONT["label"], titleFontSize=FONT["title"], titleFontWeight="normal")
    chart = chart.configure_legend(labelFontSize=FONT["label"], titleFontSize=FONT["label"], titleFontWeight="normal")
    chart = chart.configure_title(fontSize=14, anchor="start", fontWeight="normal", offset=8)
    spec = chart.configure_view(strokeWidth=0).to_dict()
    # several legends below a chart: one under the other, not side by side beyond the chart's width (a Vega
    # layout setting that Altair's schema does not list; Vega-Lite hands it on)
    spec["config"]["legend"]["layout"] = {"bottom": {"anchor": "start", "direction": "vertical", "margin": 6}}
    return spec


def _marks(xmax: int) -> alt.LayerChart:
    """Vertical lines at the months that change what the series mean: shocks, the resolution of the regime."""
    marks = alt.Chart(alt.Data(name="marks"))
    x = alt.X("step:Q", scale=alt.Scale(domain=[0, xmax]))
    rule = marks.mark_rule(color=SERIES_COLOURS[2], strokeDash=[5, 3]).encode(x=x, tooltip=["label:N", "step:Q"])
    label = {"align": "left", "baseline": "top", "dx": 3, "dy": 2, "fontSize": 11}
    halo = marks.mark_text(**label, color="white", stroke="white", strokeWidth=3, strokeJoin="round").encode(
        x=x, y=alt.value(0), text="label:N"
    )  # white under the label: readable over a filled area
    text = marks.mark_text(**label, color=SERIES_COLOURS[2]).encode(x=x, y=alt.value(0), text="label:N")
    return rule + halo + text


def series(name: str, xmax: int) -> dict[str, Any]:
    """Columns of the step table against the month; hovering shows every value at the nearest month."""
    columns = SERIES[name]
    rows = alt.Chart(alt.Data(name="rows"))
    x = alt.X("step:Q", title="month", scale=alt.Scale(domain=[0, xmax], nice=False),
              axis=alt.Axis(labelOverlap=True, labelSeparation=6))  # no "450500" on a phone
    if name == "means":
        colours = [SERIES_COLOURS[0], SERIES_COLOURS[2], SERIES_COLOURS[1]]
        y_title = "mean (0–1)"
    elif name == "subsidiaries":
        colours = [STATE_COLOURS[s] for s in STATES]
        y_title = "share of subsidiaries"
    else:
        colours = [QUADRANT_COLOURS[q] for q in QUADRANTS]
        y_title = "share of contracts"
    colour = alt.Color("key:N", scale=alt.Scale(domain=list(columns), range=colours),
                       legend=_legend(None, labelExpr=_labels_expr(SERIES_LABELS)))
    folded = rows.transform_fold(list(columns), as_=["key", "value"])
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%" if name != "means"
                                                                                      else ".1f"))
    if name == "subsidiaries":  # stacked in the legend's order (locked Q1 at the bottom, contested on top)
        ranked = folded.transform_calculate(rank=f"indexof({list(columns)!r}, datum.key)")
        lines = ranked.mark_area(opacity=0.85).encode(x=x, y=y.stack("zero"), color=colour,
                                                      order=alt.Order("rank:Q", sort="ascending"))
    else:
        dashes = [[1, 0], [6, 3], [2, 2]] if name == "means" else [[1, 0]] * len(columns)
        dash = alt.StrokeDash("key:N", scale=alt.Scale(domain=list(columns), range=dashes),  # one legend with colour

                              legend=_legend(None, labelExpr=_labels_expr(SERIES_LABELS)))
        lines = folded.mark_line(strokeWidth=2).encode(x=x, y=y, color=colour, strokeDash=dash)
    hover = alt.selection_point(name="hover", nearest=True, on="pointerover", clear="pointerout", fields=["step"],
                                empty=False)
    fmt = ".1%" if name != "means" else ".3f"
    tooltip = [alt.Tooltip("step:Q", title="month")]
    tooltip += [alt.Tooltip(f"{c}:Q", title=SERIES_LABELS[c], format=fmt) for c in columns]
    rule = rows.mark_rule(color="black", strokeWidth=1).encode(
        x=x, opacity=alt.condition(hover, alt.value(0.45), alt.value(0)), tooltip=tooltip
    ).add_params(hover)
    return _finish(alt.layer(lines, rule, _marks(xmax)).properties(height=HEIGHT), name)


def regime() -> dict[str, Any]:
    """Stacked bars: contracts by quadrant now, their mean over the last settlement window (the composition that
    decides the regime), and subsidiaries locked in each quadrant or contested (§13.2)."""
    bars = alt.Chart(alt.Data(name="bars")).mark_bar(height=26).encode(
        y=alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("share:Q", title="share", stack="zero", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
        color=alt.Color("category:N", scale=alt.Scale(domain=list(STATES), range=[STATE_COLOURS[s] for s in STATES]),
                        legend=_legend(None, columns=2, labelExpr=_labels_expr({**QUADRANT_LABELS,
                                                                                  "contested": "contested"}))),
        tooltip=[alt.Tooltip("row:N", title="bar"), alt.Tooltip("category:N", title="quadrant or state"),
                 alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("count:Q", title="number")],
    )
    return _finish(bars.properties(height=3 * 40), "regime")


def paths() -> dict[str, Any]:
    """Path events so far (MODEL.md §8, §13.1), stacked by the action that moved the party."""
    bars = alt.Chart(alt.Data(name="paths")).mark_bar().encode(
        x=alt.X("path:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("events:Q", title="events so far", stack="zero"),
        color=alt.Color("action:N", scale=alt.Scale(domain=list(PATH_ACTIONS),
                                                    range=[ACTION_COLOURS[a] for a in PATH_ACTIONS]),
                        legend=_legend(None, columns=4)),
        tooltip=[alt.Tooltip("path:N"), alt.Tooltip("action:N"), alt.Tooltip("events:Q")],
    )
    return _finish(bars.properties(height=HEIGHT), "paths")


def network(n_mnes: int) -> dict[str, Any]:
    """Contracts as lines (colour: quadrant, width: trust) between subsidiaries (inner ring, a shape per MNE,
    filled by the state of their portfolio) and SMEs (outer rings, filled by ambition); firms that chose exit,
    voice or loyalty lately are outlined in the action's colour. Hovering a firm or a contract tells all."""
    axis = {"axis": None, "scale": alt.Scale(domain=[-3.2, 3.2], nice=False)}
    x, y = alt.X("x:Q", **axis), alt.Y("y:Q", **axis)
    edges = alt.Chart(alt.Data(name="edges")).mark_rule(opacity=0.7).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q",
        color=alt.Color("quadrant:N", scale=alt.Scale(domain=list(QUADRANTS), range=list(QUADRANT_COLOURS.values())),
                        legend=_legend("contract", labelExpr=_labels_expr(QUADRANT_LABELS))),
        strokeWidth=alt.StrokeWidth("trust:Q", scale=alt.Scale(domain=[0, 1], range=[0.5, 4]), legend=None),
        tooltip=[alt.Tooltip("quadrant:N"), alt.Tooltip("trust:Q", title="trust (mean of both sides)"),
                 alt.Tooltip("age:Q", title="age (months)"), alt.Tooltip("subsidiary:N"),
                 alt.Tooltip("sme:N", title="SME")],
    )  # fmt: skip
    actions = [*ACTIONS, "none"]
    stroke = alt.Stroke("action:N", scale=alt.Scale(domain=actions, range=[*(ACTION_COLOURS[a] for a in ACTIONS),
                                                                           "white"]),
                        legend=_legend(f"chose in the last {RECENT} months", columns=4, values=list(ACTIONS)))
    width = alt.condition("datum.action != 'none'", alt.value(2.5), alt.value(0.8))
    states = [f"locked {q}" for q in QUADRANTS] + ["contested", NOT_JUDGED, NO_CONTRACTS]
    state_colours = [QUADRANT_COLOURS[q] for q in QUADRANTS] + [CONTESTED_COLOUR, "#FFFFFF", "#FFFFFF"]
    shape = alt.Shape("mne:N", scale=alt.Scale(domain=[f"MNE {k}" for k in range(n_mnes)],
                                               range=[MNE_SHAPES[k % len(MNE_SHAPES)] for k in range(n_mnes)]),
                      legend=_legend("subsidiary of", columns=4))
    # a dark ring around each subsidiary, so that one not yet judged (white) stands out from the page
    halo = alt.Chart(alt.Data(name="subs")).mark_point(filled=False, size=420, color=SERIES_COLOURS[2],
                                                       strokeWidth=1).encode(x=x, y=y, shape=shape)
    subs = alt.Chart(alt.Data(name="subs")).mark_point(filled=True, size=280, opacity=1).encode(
        x=x, y=y, shape=shape,
        fill=alt.Fill("state:N", scale=alt.Scale(domain=states, range=state_colours),
                      legend=_legend("subsidiary's portfolio", columns=3, symbolStrokeColor="#888888",
                                     symbolStrokeWidth=1)),
        stroke=stroke, strokeWidth=width,
        tooltip=[alt.Tooltip("mne:N", title="subsidiary of"), alt.Tooltip("market:Q"), alt.Tooltip("state:N",
                 title="portfolio"), alt.Tooltip("side:N"), alt.Tooltip("exploration:Q", title="exploration (intent)"),
                 alt.Tooltip("contracts:Q"), alt.Tooltip("action:N", title="last choice")],
    )  # fmt: skip
    smes = alt.Chart(alt.Data(name="smes")).mark_circle(size=70, opacity=1).encode(
        x=x, y=y,
        fill=alt.Fill("ambition:Q", scale=alt.Scale(scheme=SEQUENTIAL_CMAP, domain=[0, 1]),
                      legend=alt.Legend(title="SME ambition (intent)", orient="bottom", gradientLength=160)),
        stroke=stroke, strokeWidth=width,
        tooltip=[alt.Tooltip("sme:N", title="SME"), alt.Tooltip("side:N"), alt.Tooltip("ambition:Q", title="ambition"),
                 alt.Tooltip("niche:Q"), alt.Tooltip("contracts:Q"), alt.Tooltip("entrant:N", title="in the run since"),
                 alt.Tooltip("action:N", title="last choice")],
    )  # fmt: skip
    labels = alt.Chart(alt.Data(name="markets")).mark_text(fontSize=12, color=SERIES_COLOURS[2]).encode(
        x=x, y=y, text="label:N"
    )
    chart = alt.layer(edges, halo, subs, smes, labels).resolve_scale(fill="independent")
    return _finish(chart.properties(height=420), "network")


def replicates() -> dict[str, Any]:
    """Bars: the share of replicate runs in each long-run regime (§13.3), with its 95 % Wilson interval
    (:mod:`sim.dashboard.replicates`; dataset ``rows``)."""
    rows = alt.Chart(alt.Data(name="rows"))
    y = alt.Y("regime:N", title=None, sort=list(LONG_RUN_REGIMES), scale=alt.Scale(domain=list(LONG_RUN_REGIMES)))
    tooltip = [alt.Tooltip("regime:N", title="long-run regime"), alt.Tooltip("count:Q", title="runs"),
               alt.Tooltip("share:Q", format=".0%"), alt.Tooltip("low:Q", title="95 % from", format=".0%"),
               alt.Tooltip("high:Q", title="95 % to", format=".0%")]
    bars = rows.mark_bar().encode(  # across, so that the regimes' names stay readable in a narrow card
        y=y, x=alt.X("share:Q", title="share of runs · 95 % interval", scale=alt.Scale(domain=[0, 1]),
                     axis=alt.Axis(format=".0%")),
        color=alt.Color("regime:N", scale=alt.Scale(domain=list(LONG_RUN_REGIMES),
                                                    range=[OUTCOME_COLOURS[r] for r in LONG_RUN_REGIMES]),
                        legend=None),
        tooltip=tooltip,
    )
    whiskers = rows.mark_rule(color=SERIES_COLOURS[0], strokeWidth=1.5).encode(y=y, x="low:Q", x2="high:Q",
                                                                             tooltip=tooltip)
    return _finish(alt.layer(bars, whiskers).properties(height=6 * 24), "replicates")


def specs(model) -> dict[str, dict[str, Any]]:
    """Every chart's spec for ``model`` (they change only with the run's length and the number of MNEs)."""
    xmax = int(model.max_steps)
    out = {"network": network(len(model.headquarters)), "regime": regime(), "paths": paths()}
    out.update({name: series(name, xmax) for name in SERIES})
    return {name: out[name] for name in ORDER}
