"""Figures of an experiment, drawn from its saved tables only, so ``python -m experiments plot NAME`` re-draws
without running anything. One module per figure, found by :mod:`experiments.figures.registry`: a new figure
is one new file here (see ``experiments/README.md``, "Adding a figure"). Shared by them: ``base`` (context,
style, saving, panels), ``labels`` (the words for parameters and outputs). ``discovery`` draws a scenario
discovery (for ``discover``, not ``plot``).

Every figure is saved as PNG and PDF at 300 dpi (SVG too with ``[outputs] formats``), atomically and
byte-stable (no dates; the same data give the same bytes). A figure that cannot be drawn from the tables at
hand is skipped with a :class:`FigureSkipped` warning, never silently.
"""

from experiments.figures.base import FigureSkipped
from experiments.figures.registry import OUTPUTS, draw_all

__all__ = ["OUTPUTS", "FigureSkipped", "draw_all"]
