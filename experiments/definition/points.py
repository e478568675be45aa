"""The ``points`` design: explicit design points, each a table of parameter overrides, with label columns that
are not parameters (``source``: where the point comes from). Used where a design is a list rather than a
rule, e.g. the confirmation experiment's sample of every other experiment's points
(``tools/confirmation_points.py``)::

    [design]
    type = "points"
    [[design.points]]
    source = "starts"              # a label (LABELS): a column of summary.csv, not a parameter
    initial_quadrant = "Q1"
    [[design.points]]
    source = "exit_voice_loyalty"
    voice_cost = 2.0
    exit_cost = 0.5

Stored column-wise in :attr:`Experiment.parameters <experiments.definition.experiment.Experiment>` (name ->
one value per point; a parameter a point does not name takes its base value: the experiment's ``[base]``,
else the model's default), so every point names every design parameter, and the labels in
``Experiment.labels``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

LABELS = ("source",)  # the label columns a point may carry (never passed to the model)
MAX_POINTS = 100_000


def parse(raw: Any, table: Mapping[str, Any], base: Mapping[str, Any], check: Callable[[Any, Any], Any]
          ) -> tuple[dict[str, list], dict[str, list]]:
    """``[[design.points]]`` -> (parameters: name -> a value per point, labels: name -> a text per point).

    ``table``: the model's parameter table; ``base``: the experiment's base overrides; ``check(param, value)``:
    the checked value, or ``ValueError``. Raises ``ValueError`` (one line naming the point and the key)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(p, dict) for p in raw):
        raise ValueError("a points design needs [[design.points]]: a non-empty list of tables of parameter = value")
    if len(raw) > MAX_POINTS:
        raise ValueError(f"{len(raw):,} points listed; at most {MAX_POINTS:,}")
    names: dict[str, None] = {}
    for j, point in enumerate(raw):
        for key, value in point.items():
            if key in LABELS:
                if not isinstance(value, str):
                    raise ValueError(f"point {j}: {key} must be a string (a label), got {value!r}")
            elif key not in table:
                raise ValueError(f"point {j}: unknown parameter {key!r} (labels: {', '.join(LABELS)}); see "
                                 "`python -m sim --params`")
            else:
                names[key] = None
    columns: dict[str, list] = {n: [] for n in names}
    for j, point in enumerate(raw):
        for n in names:
            value = point[n] if n in point else base.get(n, table[n].default)
            try:
                columns[n].append(check(table[n], value))
            except ValueError as exc:
                raise ValueError(f"point {j}: {exc}") from None
    labels = {k: [str(p.get(k, "")) for p in raw] for k in LABELS}
    return columns, labels


def size(parameters: Mapping[str, list], labels: Mapping[str, list]) -> int:
    """The number of points of a parsed points design."""
    for column in (*labels.values(), *parameters.values()):
        return len(column)
    return 0


def point(parameters: Mapping[str, list], j: int) -> dict[str, Any]:
    """Point ``j`` as parameter overrides."""
    return {n: values[j] for n, values in parameters.items()}
