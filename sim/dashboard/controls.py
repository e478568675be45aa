"""The dashboard's parameter controls (sim/dashboard/app.py), every one built from the parameter table.

A control shows the parameter's label in words, its value and unit, and whether it is at the
calibrated default (:data:`sim.params.PARAMS`: ``label``, ``unit``, ``ui_range``, ``default``).
Controls act at the next Reset, as Mesa's do (the model reads some parameters only when it
is built); the panel lists what the next Reset will change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape
from typing import Any

import solara

from sim.params import GROUPS, PARAMS, Param

SEED = "1"
# Shown from the start, in teaching order (starting point, population, the theory's mechanisms,
# costs of exit and voice, the run); the rest of the table sits under "More parameters".
# Names missing from the table (version 2 before it lands) are skipped.
KEY_CONTROLS = (
    "initial_quadrant", "n_smes", "sme_turnover", "entry_p_international", "hq_pressure", "ecosystem",
    "intermediary", "boundary_spanning", "voluntarism", "platform", "exit_cost", "voice_cost", "voice_hypothesis",
    "stop_on_settle", "max_steps",
)  # fmt: skip
SHOCK_CONTROLS = ("shock_share", "shock_intent")  # in the shock card: the shock now and a scheduled one


def key_controls() -> list[str]:
    return [n for n in KEY_CONTROLS if n in PARAMS]


def more_controls() -> dict[str, list[str]]:
    """Every other parameter of the table, by group."""
    shown = {*key_controls(), *SHOCK_CONTROLS}
    groups: dict[str, list[str]] = {g: [] for g in GROUPS}
    for name, p in PARAMS.items():
        if name not in shown:
            groups[p.group].append(name)
    return {g: names for g, names in groups.items() if names}


def initial_controls() -> dict[str, Any]:
    """Every parameter at its default, and the default seed (as typed)."""
    return {"seed": SEED, **{name: p.default for name, p in PARAMS.items()}}


def slider_step(p: Param) -> float:
    """A round step giving about 100 positions over the UI range, with the default on the grid."""
    low, high = p.ui_range
    if p.kind == "int":
        return 1
    raw = (high - low) / 100
    scale = 10.0 ** math.floor(math.log10(raw))
    candidates = [b * scale for b in (5, 2, 1)] + [b * scale / 10 for b in (5, 2, 1)]
    fitting = [s for s in candidates if s <= raw * 1.0001]
    for step in fitting:  # the largest step that puts the default on the grid
        n = (p.default - low) / step
        if abs(n - round(n)) < 1e-6:
            return step
    return fitting[-1]


def decimals(p: Param) -> int:
    return 0 if p.kind == "int" else max(0, math.ceil(-math.log10(slider_step(p)) - 1e-9))


def show(p: Param, value: Any) -> str:
    """The value as the control shows it, with the unit."""
    if p.kind == "bool":
        text = "on" if value else "off"
    elif p.kind == "choice":
        text = str(value).replace("_", " ")
    elif p.kind == "int":
        text = str(int(value))
    else:
        text = f"{round(float(value), decimals(p)):g}"
    if not p.unit or p.kind not in ("int", "float"):
        return text
    return f"{text} ({p.unit})" if "–" in p.unit else f"{text} {p.unit}"  # a scale such as 0–1, or a unit


def snap(p: Param, value: Any) -> Any:
    """A slider's value, rounded to the grid, in the parameter's type and valid range."""
    if p.kind == "int":
        return int(min(p.high, max(p.low, round(value))))
    if p.kind == "float":
        return float(min(p.high, max(p.low, round(float(value), decimals(p)))))
    return value


def parse_seed(text: Any) -> int | None:
    """The seed typed: a whole number ≥ 0, or None (empty: a random one). Raises ValueError otherwise."""
    stripped = "" if text is None else str(text).strip()
    if not stripped:
        return None
    if not stripped.isdigit():
        raise ValueError(f"seed: a whole number ≥ 0, or empty for a random one; got {text!r}")
    return int(stripped)


def pending(controls: dict[str, Any], model) -> list[str]:
    """Labels of the controls whose value differs from the running model's (they act at Reset).

    The shock's share and intent also act at once (the shock button), so they count only when a
    shock is scheduled."""
    now = () if controls.get("shock_step") else SHOCK_CONTROLS
    out = [PARAMS[n].label or n for n in PARAMS if n in model.p and n not in now and controls[n] != model.p[n]]
    try:
        seed = parse_seed(controls["seed"])
    except ValueError:
        seed = model.seed
    if seed is not None and seed != model.seed:
        out.append("seed")
    return out


# compact controls: the value is in the head line, so the inputs need no room for labels or hints
# compact controls: label, value and default mark in one line (one widget: a page re-renders all of
# its widgets after every step), so the inputs need no room for labels or hints
CSS = """
.piggyback-control { margin-bottom: 4px; }
.piggyback-control-head { display: flex; flex-wrap: wrap; justify-content: space-between; column-gap: 6px;
                          font-size: 13px; margin-bottom: -6px; }
.piggyback-label { color: rgba(0, 0, 0, 0.7); }
.piggyback-changed { font-weight: bold; }
.piggyback-default { font-size: 11px; color: gray; }
.piggyback-control .v-input { margin-top: 0; padding-top: 0; }
.piggyback-control .v-messages { display: none; }
"""


def head(p: Param, value: Any) -> str:
    """The control's line: label in words; value, unit and the calibrated default."""
    changed = "" if value == p.default else " piggyback-changed"
    mark = "default" if value == p.default else f"default {show(p, p.default)}"
    return (
        f'<span class="piggyback-label">{escape(p.label or p.name)}</span><span>'
        f'<span class="piggyback-value{changed}">{escape(show(p, value))}</span> '
        f'<span class="piggyback-default">{escape(mark)}</span></span>'
    )


@solara.component
def Control(name: str, value: Any, on_value: Callable[[Any], None]):
    """One parameter: its line (see :func:`head`) over a slider, menu or switch."""
    p = PARAMS[name]
    with solara.Column(gap="0px", classes=["piggyback-control", f"control-{name}"]):
        solara.HTML(tag="div", unsafe_innerHTML=head(p, value), classes=["piggyback-control-head"])
        if p.kind in ("int", "float"):
            low, high = p.ui_range
            slider = solara.SliderInt if p.kind == "int" else solara.SliderFloat
            slider("", value=value, min=low, max=high, step=slider_step(p), on_value=lambda v: on_value(snap(p, v)))
        elif p.kind == "choice":
            solara.Select("", values=list(p.choices), value=value, on_value=on_value, dense=True)
        else:
            solara.Switch(label="", value=value, on_value=on_value)


@solara.component
def Controls(names: list[str], controls: solara.Reactive[dict]):
    def setter(name):
        return lambda v: controls.set({**controls.value, name: v})

    for name in names:
        Control(name, controls.value[name], setter(name))


@solara.component
def SeedField(controls: solara.Reactive[dict]):
    try:
        parse_seed(controls.value["seed"])
        error = False
    except ValueError as e:
        error = str(e)
    solara.InputText(
        "seed (empty: a new random seed at each Reset)",
        value=str(controls.value["seed"]),
        on_value=lambda text: controls.set({**controls.value, "seed": text}),
        continuous_update=True,
        error=error,
        classes=["piggyback-seed"],
    )


@solara.component
def ParameterPanel(controls: solara.Reactive[dict], model, on_defaults: Callable[[], None]):
    """Seed, key controls, the rest of the table on demand, and a return to the defaults."""
    more = solara.use_reactive(False)
    solara.Style(CSS)
    SeedField(controls)
    Controls(key_controls(), controls)
    solara.Button(
        "Fewer parameters" if more.value else "More parameters", text=True, on_click=lambda: more.set(not more.value)
    )
    if more.value:  # built only when asked for: some 50 controls
        for group, names in more_controls().items():
            solara.Text(group, style={"font-weight": "bold", "margin-top": "8px"})
            Controls(names, controls)
    changed = pending(controls.value, model)
    if changed:
        solara.Text(
            "at Reset: " + ", ".join(changed),
            classes=["piggyback-pending", "warning--text"],
            style={"font-size": "12px"},
        )
    solara.Button("Reset to defaults", on_click=on_defaults, outlined=True, classes=["piggyback-defaults"])
