"""A link that restores a run: its settings and seed, the shocks given with the button, its length and month.

The query names only what differs from the defaults (``?seed=7&voice_cost=0.4&step=120``), so a link
stays short and says what was changed; values are written and read by the parameter table
(:func:`sim.params.parse_value`), so a link is checked like the command line's ``--set``. A run is a
function of its settings, seed and shocks, so replaying the steps (:func:`replay`) gives the very
state the link was taken from: the page keeps its address in step with the run, and a reload
comes back to where it was instead of wiping the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sim.params import PARAMS, parse_value, validate

SHOCK_INTENTS = PARAMS["shock_intent"].choices
MAX_REPLAY = 20_000  # months a link may ask to replay (a few seconds of stepping)


@dataclass
class Plan:
    """What a link asks for: controls (the seed as typed, and parameters), shocks to give, length, month."""

    controls: dict[str, Any] = field(default_factory=dict)
    shocks: list[tuple[int, float, str]] = field(default_factory=list)
    step: int = 0
    length: int | None = None
    run_on: bool = False


def text(value: Any) -> str:
    """A parameter's value as the link writes it (and :func:`sim.params.parse_value` reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def encode(model) -> str:
    """The query of ``model`` as it stands."""
    pairs: list[tuple[str, str]] = [("seed", str(model.seed))]
    pairs += [(n, text(model.p[n])) for n, p in PARAMS.items() if model.p[n] != p.default]
    for s in getattr(model, "shock_log", []):
        if s.given:
            pairs.append(("shock", f"{s.step}:{text(float(s.share))}:{s.intent}"))
    if model.max_steps != model.p["max_steps"]:
        pairs.append(("length", str(model.max_steps)))
    if getattr(model, "run_on", False):
        pairs.append(("run_on", "1"))
    if model.steps:
        pairs.append(("step", str(model.steps)))
    return urlencode(pairs, safe=":,")


def _whole(name: str, value: str, low: int = 0) -> int:
    if not value.strip().isdigit() or int(value) < low or int(value) > MAX_REPLAY:
        raise ValueError(f"{name}: a whole number from {low} to {MAX_REPLAY}; got {value!r}")
    return int(value)


def decode(query: str) -> Plan:
    """The plan of a query (with or without its leading ``?``); raises ValueError naming what is wrong."""
    plan = Plan()
    for name, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        if name == "seed":
            plan.controls["seed"] = value
        elif name in PARAMS:
            plan.controls[name] = parse_value(name, value)
        elif name == "shock":
            parts = value.split(":")
            if len(parts) != 3 or parts[2] not in SHOCK_INTENTS:
                raise ValueError(f"shock: month:share:intent (intent one of {', '.join(SHOCK_INTENTS)}); got {value!r}")
            share = parse_value("shock_share", parts[1])
            plan.shocks.append((_whole("shock month", parts[0]), share, parts[2]))
        elif name == "step":
            plan.step = _whole("step", value)
        elif name == "length":
            plan.length = validate({"max_steps": _whole("length", value, 1)})["max_steps"]
        elif name == "run_on":
            plan.run_on = value not in ("", "0", "false")
        else:
            raise ValueError(f"unknown setting {name!r}")
    plan.shocks.sort(key=lambda s: s[0])
    return plan


def replay(model, plan: Plan) -> None:
    """Step ``model`` to the plan's month, giving its shocks between the steps they followed."""
    if plan.length:
        model.max_steps = plan.length
    if plan.run_on or plan.length:
        model.run_on = True
    model.running = model.steps < model.max_steps and not model.done()
    shocks = list(plan.shocks)
    while True:
        while shocks and shocks[0][0] == model.steps:
            _, share, intent = shocks.pop(0)
            model.give_shock(share, intent)
        if model.steps >= plan.step or not model.running:
            break
        model.step()
