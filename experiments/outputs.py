"""The figure keys of an experiment's ``[outputs]`` table: what they mean, their checks, their defaults.

Checked by :func:`experiments.config.from_dict` when a definition is loaded (TOML or Python), so a typo
fails before anything runs::

    [outputs]
    labels = { voice_cost = "cost of voice", freq_Q3 = "P(innovation regime)" }   # override any label
    formats = ["png", "pdf", "svg"]     # figure files (default png and pdf, 300 dpi)
    hysteresis = "ecosystem"            # P(Q3), P(Q1) against this parameter from a Q1 and a Q3 start
    # or: hysteresis = { x = "voice_cost", start = "initial_quadrant", starts = ["Q1", "Q3"],
    #                    outcome = "Q3", gap = 0.3 }
    shocks = true                       # return probability and return times per start (or = "a_parameter")
    turnover = "sme_turnover"           # regime frequencies and composition against turnover, per start
"""

from __future__ import annotations

from typing import Any

FIGURE_KEYS = ("labels", "formats", "hysteresis", "shocks", "turnover")
FORMATS = ("png", "pdf", "svg")
START = "initial_quadrant"  # the design parameter that says where a run starts
_HYSTERESIS_KEYS = {"x", "start", "starts", "outcome", "gap"}


def check(outputs: dict[str, Any], design: dict[str, list]) -> None:
    """Raise ``ValueError`` (one line, naming the key) on a bad figure key; ``design``: parameter -> values."""
    from experiments.config import OUTCOMES

    labels = outputs.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                               for k, v in labels.items()):
        raise ValueError("[outputs] labels must be a table of name = \"label\" (non-empty strings)")
    formats = outputs.get("formats", ["png", "pdf"])
    if not isinstance(formats, list) or not formats or not set(formats) <= set(FORMATS):
        raise ValueError(f"[outputs] formats must be a non-empty list of {', '.join(FORMATS)}, got {formats!r}")
    if "hysteresis" in outputs:
        spec = hysteresis_spec(outputs)
        if spec is None:
            raise ValueError("[outputs] hysteresis must name a design parameter or be a table with x = ...")
        if spec["x"] not in design:
            raise ValueError(f"[outputs] hysteresis: x {spec['x']!r} is not a design parameter")
        starts = design.get(spec["start"], [])
        if not set(spec["starts"]) <= set(starts) or len(set(spec["starts"])) != 2:
            raise ValueError(f"[outputs] hysteresis: the design must vary {spec['start']!r} over two distinct "
                             f"starts {list(spec['starts'])} (it has {starts or 'none'})")
        if spec["outcome"] not in OUTCOMES:
            raise ValueError(f"[outputs] hysteresis: outcome must be one of {', '.join(OUTCOMES)}")
        if not (isinstance(spec["gap"], (int, float)) and 0 < spec["gap"] <= 1):
            raise ValueError("[outputs] hysteresis: gap must be a number in (0, 1]")
    shocks = outputs.get("shocks", False)
    if not isinstance(shocks, (bool, str)):
        raise ValueError("[outputs] shocks must be true, false or the name of the parameter to group runs by")
    if isinstance(shocks, str) and shocks not in design:
        raise ValueError(f"[outputs] shocks: {shocks!r} is not a design parameter")
    turnover = outputs.get("turnover", False)
    if not isinstance(turnover, (bool, str)):
        raise ValueError("[outputs] turnover must be true, false or the name of a numeric design parameter")
    spec = turnover_spec(outputs)
    if spec is not None and spec["x"] not in design:
        raise ValueError(f"[outputs] turnover: {spec['x']!r} is not a design parameter")


def hysteresis_spec(outputs: dict[str, Any]) -> dict[str, Any] | None:
    """The hysteresis figure's settings (x, start, starts, outcome, gap), or None when not asked for."""
    raw = outputs.get("hysteresis")
    if raw is None or raw is False:
        return None
    if isinstance(raw, str):
        raw = {"x": raw}
    if not isinstance(raw, dict) or "x" not in raw or set(raw) - _HYSTERESIS_KEYS:
        return None
    return {"x": raw["x"], "start": raw.get("start", START), "starts": tuple(raw.get("starts", ("Q1", "Q3"))),
            "outcome": raw.get("outcome", "Q3"), "gap": raw.get("gap", 0.3)}


def shocks_by(outputs: dict[str, Any], names: list[str]) -> str | bool | None:
    """What the shocks figure groups runs by: a parameter name, None (all runs one group), False (no figure)."""
    raw = outputs.get("shocks", False)
    if raw is False:
        return False
    if isinstance(raw, str):
        return raw
    return START if START in names else None


def turnover_spec(outputs: dict[str, Any]) -> dict[str, str] | None:
    raw = outputs.get("turnover", False)
    if raw is False:
        return None
    return {"x": "sme_turnover" if raw is True else raw, "start": START}


def formats(outputs: dict[str, Any]) -> tuple[str, ...]:
    return tuple(outputs.get("formats", ("png", "pdf")))
