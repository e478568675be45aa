"""The page's introduction: what the model is, PB's 2×2 with paths A–D, exit / voice / loyalty / drift, how to read
the page, where to read more; and the glossary at the foot of the page.

The 2×2 is drawn as the experiments' path figure draws it (``experiments/figures/paths.py``: the same
positions, box spacing, colours and arrows; a test checks the geometry), so that a student who meets
the figure in the results recognises it.
"""

from __future__ import annotations

import functools
import io

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from sim.dashboard import glossary
from sim.dashboard.glossary import term
from sim.palette import ACTION_COLOURS, QUADRANT_COLOURS
from sim.vocabulary import QUADRANT_NAMES

# as experiments/figures/paths.py: x = subsidiary exploitation → exploration, y = SME domestic → international
QPOS = {"Q1": (0, 0), "Q2": (0, 1), "Q3": (1, 1), "Q4": (1, 0)}
S = 1.9  # spacing of the quadrant boxes (box side 1)
PATH_ENDS = {"A": ("Q2", "Q1"), "B": ("Q4", "Q1"), "C": ("Q2", "Q3"), "D": ("Q4", "Q3")}
PATH_WORDS = {"A": "loyalty", "B": "loyalty,\nHQ pressure", "C": "voice, exit", "D": "voice, exit"}
DOCS = {  # repository paths, also served by the dashboard itself (sim/dashboard/docs.py)
    "README": "README.md",
    "ODD": "docs/ODD.md",
    "specification": "docs/MODEL.md",
}


def _shade(colour: str, f: float) -> tuple:
    rgb = matplotlib.colors.to_rgb(colour)
    return tuple(1 - f * (1 - c) for c in rgb)


@functools.cache
def diagram_svg() -> str:
    """PB's 2×2 with paths A–D (loyalty downhill to Q1, voice and exit uphill to Q3), as inline SVG."""
    style = {"font.size": 9, "svg.fonttype": "none", "svg.hashsalt": "piggyback-abm"}
    with matplotlib.rc_context(style):
        fig = Figure(figsize=(4.4, 3.9), layout="constrained")
        ax = fig.add_subplot()
        for q, (cx, cy) in QPOS.items():
            ax.add_patch(Rectangle((cx * S, cy * S), 1.0, 1.0, facecolor=_shade(QUADRANT_COLOURS[q], 0.35),
                                   edgecolor=QUADRANT_COLOURS[q], lw=1.2))
            kind = "equilibrium" if q in ("Q1", "Q3") else "tension"
            name = QUADRANT_NAMES[q].replace(" × ", " ×\n")
            ax.text(cx * S + 0.5, cy * S + 0.5, f"{q}\n{name}\n({kind})", ha="center", va="center", fontsize=8)
        for p, (src, dst) in PATH_ENDS.items():
            (sx, sy), (dx, dy) = QPOS[src], QPOS[dst]
            colour = ACTION_COLOURS["loyalty"] if dst == "Q1" else ACTION_COLOURS["voice"]
            if sx == dx:  # vertical: A down the left column, D up the right column
                x0 = x1 = sx * S + 0.5
                y0, y1 = (sy * S + (0 if sy > dy else 1.0)), (dy * S + (1.0 if sy > dy else 0))
                tx, ty, ha = (x0 - 0.08, S / 2 + 0.5, "right") if sx == 0 else (x0 + 0.08, S / 2 + 0.5, "left")
            else:  # horizontal: C along the top row, B along the bottom row
                y0 = y1 = sy * S + 0.5
                x0, x1 = (sx * S + (0 if sx > dx else 1.0)), (dx * S + (1.0 if sx > dx else 0))
                tx, ty, ha = S / 2 + 0.5, y0 + 0.12, "center"
            ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12, lw=2.2,
                                         color=colour))
            ax.text(tx, ty, f"{p}: {PATH_WORDS[p]}", fontsize=8, ha=ha, va="bottom" if sx != dx else "center",
                    fontweight="bold", color="0.15")
        ax.set_xlim(-0.55, S + 1.55)
        ax.set_ylim(-0.1, S + 1.1)
        ax.set_xticks([0.5, S + 0.5], ["exploitation", "exploration"])
        ax.set_yticks([0.5, S + 0.5], ["domestic", "international"], rotation=90, va="center")
        ax.set_xlabel("MNE subsidiary's intent")
        ax.set_ylabel("SME's orientation")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):].replace("<svg ", '<svg class="pb-diagram" role="img" '
                                           'aria-label="Prashantham and Birkinshaw\'s 2×2 with paths A to D" ', 1)


def doc_link(name: str) -> str:
    path = DOCS[name]
    return f'<a href="?doc={path}" target="_blank" rel="noopener" title="{path} in the project">{name}</a>'


def text_html() -> str:
    """The introduction's words (beside the diagram)."""
    return f"""
<p>An agent-based model of <b>piggyback partnerships</b>: the local {term('subsidiary')} of a multinational
({term('mne', 'MNE')}) sells a small exporter's ({term('sme', 'SME')}) niche product to its own clients, as the
SME's agent ({term('contract', 'a piggyback contract')}; Bueno Merino &amp; Grandval 2012). Each contract sits in a
{term('quadrant')} of Prashantham &amp; Birkinshaw's (2020) 2×2: does the subsidiary exploit or explore, is the
SME domestic or international? Q1 and Q3 are equilibria; in Q2 and Q4 one side's {term('intent')} is thwarted, a
{term('tension')} that resolves by one of the {term('path', 'paths A–D')}.</p>
<ul class="pb-evl">
<li>{term('exit', 'Exit')}: the frustrated party ends the contract and seeks a partner who shares its intent.</li>
<li>{term('voice', 'Voice')}: it tries to move its partner uphill toward Q3 (paths C, D); trust, boundary spanning,
an ecosystem strategy and intermediaries make that likelier.</li>
<li>{term('loyalty', 'Loyalty')}: it gives up some of its own ambition and stays, downhill toward Q1 (paths A, B).</li>
<li>{term('drift', 'Drift')}: no choice at all: learning raises an SME's ambition, headquarters pressure and aligned
contracts move a subsidiary's exploration.</li>
</ul>
<p>Firms come and go ({term('turnover')}); a {term('shock')} replaces many at once. The headline is the run's
{term('regime', 'long-run regime')}: the quadrant the population settles in, a {term('coexistence')} of Q1 and Q3,
or {term('unresolved')}; each subsidiary's portfolio is {term('locked')} in a quadrant or {term('contested')}.
One {term('month')} is one step.</p>
<p><b>Use.</b> Change the model parameters (hover a name for its meaning; they act at {term('reset')}), then
press ▶ or Step. Hover any chart for its values; each chart saves itself as PNG or SVG, the run's table as CSV,
and the link under “Keep” brings this very run back. Read more: {doc_link('README')} (what the project found),
{doc_link('ODD')} (the model as built, ODD protocol), the {doc_link('specification')}; every word in
<a href="#pb-glossary">the glossary</a>.</p>
"""


def glossary_html() -> str:
    return f'<h3 id="pb-glossary">Glossary</h3>{glossary.html()}'
