"""The one palette: quadrant, outcome and action colours for the dashboard and every figure.

Okabe & Ito's colour-blind-safe set (Okabe, M. & Ito, K. 2008, *Color Universal Design*),
distinguishable under the common colour-vision deficiencies and in greyscale by lightness.
Quadrants and actions never share a colour, because the path figures draw both at once. The outcomes that
are not quadrants (the long-run regime's ``coexistence`` and ``unresolved``, a subsidiary's ``contested``, the
confirmation's ``agree``/``disagree``) are drawn only with quadrants, never with actions, so they may take an
action's colour; the answers that are no answer (``unresolved``, ``unsettled``) are grey.
"""

from __future__ import annotations

from sim.vocabulary import QUADRANT_NAMES  # noqa: F401  (the figures' and dashboard's legend names)

QUADRANT_COLOURS: dict[str, str] = {
    "Q1": "#0072B2",  # blue: exploit × domestic, the supply-chain equilibrium
    "Q2": "#E69F00",  # orange: exploit × international, a tension
    "Q3": "#009E73",  # bluish green: explore × international, the innovation equilibrium
    "Q4": "#D55E00",  # vermilion: explore × domestic, a tension
}
OUTCOME_COLOURS: dict[str, str] = {
    **QUADRANT_COLOURS,
    "mixed": "#F0E442",  # yellow: no quadrant dominates (filled areas only)
    "unsettled": "#BBBBBB",  # grey: never settled (version 2)
    # MODEL.md §13.3 the long-run regime
    "coexistence": "#CC79A7",  # reddish purple: a stable split of locked Q1 and Q3 portfolios
    "unresolved": "#BBBBBB",  # grey: no long-run regime within max_steps
    # MODEL.md §13.2 a subsidiary's portfolio: locked in Q1..Q4 (the quadrant colours) or contested
    "contested": "#666666",  # dark grey: locked in no quadrant (told from unresolved's light grey by lightness)
    # MODEL.md §13.3 the confirmation of a long-run regime (sim.confirmation)
    "agree": "#56B4E9",  # sky blue: the regime at twice the horizon is the one resolved
    "disagree": "#000000",  # black: it is another
}
ACTION_COLOURS: dict[str, str] = {
    "loyalty": "#56B4E9",  # sky blue: downhill toward Q1
    "voice": "#CC79A7",  # reddish purple: uphill toward Q3
    "exit": "#000000",  # black: the contract ends
    "drift": "#999999",  # grey: learning or headquarters pressure, no choice
}
# Series that are neither quadrants nor actions (e.g. first- against total-order Sobol indices): neutral greys,
# so that they never read as a quadrant. Ordered series (one line per value of a second parameter) take the
# sequential map, whose lightness rises monotonically (readable in greyscale and with colour-vision deficiencies).
SERIES_COLOURS: tuple[str, ...] = ("#000000", "#999999", "#555555")
SEQUENTIAL_CMAP = "cividis"
