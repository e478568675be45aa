"""The dashboard's parameter controls, every one built from the parameter table (:data:`sim.params.PARAMS`).

A control shows the parameter's label in words (hover: its meaning from the table), its value and unit
(the unit linked to the glossary), whether it is at its default and whether that default was
calibrated (docs/ODD.md §9.1, hover: why). Controls act at the next Reset (the model reads many
parameters only when it is built, and a run must be repeatable from its settings and seed); a
control that differs from the running model says so, and the list of what Reset will change stands
beside the Reset button. A control clamped by another (:func:`in_use`) shows the value in use.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import solara

from sim.dashboard.glossary import term, unit
from sim.params import GROUPS, PARAMS, Param

SEED = "1"
ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"
# Shown from the start, in teaching order (starting point, population, the theory's mechanisms,
# costs of exit and voice, the run); the rest of the table sits under "More parameters".
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


@functools.cache
def calibrated() -> dict[str, str]:
    """Parameters whose default calibration changed, and why (the table of docs/ODD.md §9.1); empty without it."""
    try:
        text = ODD.read_text(encoding="utf-8")
    except OSError:
        return {}
    section = re.search(r"^### 9\.1 .*?$(.*?)^#", text, flags=re.M | re.S)
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\|[^|]*\| (.*?) \|$", section.group(1) if section else "", flags=re.M)
    return {name: why.replace("\\|", "|").replace("`", "") for name, why in rows if name in PARAMS}


def in_use(params: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    """Controls that another control clamps: name -> (the value the model will use, why). The two sliders cannot
    express the table's relations (``validate``), so the page clamps rather than fails, and says so."""
    def get(name):
        return params.get(name, PARAMS[name].default)

    out = {}
    if get("contracts_per_sme") > get("n_markets"):
        out["contracts_per_sme"] = (get("n_markets"), f"at most the {PARAMS['n_markets'].label}")
    if get("comm_min") > get("comm_max"):
        out["comm_min"] = (get("comm_max"), f"at most the {PARAMS['comm_max'].label}")
    return out


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


def number(p: Param, value: Any) -> str:
    """The value as the control shows it, without the unit."""
    if p.kind == "bool":
        return "on" if value else "off"
    if p.kind == "choice":
        return str(value).replace("_", " ")
    if p.kind == "months":
        return ", ".join(str(v) for v in value)
    if p.kind == "int":
        return str(int(value))
    return f"{round(float(value), decimals(p)):g}"


def show(p: Param, value: Any) -> str:
    """The value as the control shows it, with the unit."""
    text = number(p, value)
    if not p.unit or p.kind not in ("int", "float", "months"):
        return text
    return f"{text} ({p.unit})" if "–" in p.unit else f"{text} {p.unit}"  # a scale such as 0–1, or a unit


def _show_html(p: Param, value: Any) -> str:
    text = escape(number(p, value))
    if not p.unit or p.kind not in ("int", "float", "months"):
        return text
    return f"{text} ({unit(p.unit)})" if "–" in p.unit else f"{text} {unit(p.unit)}"


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


def pending(controls: dict[str, Any], model) -> list[tuple[str, str, str]]:
    """What the next Reset will change, as (label, value now, value then), comparing the values in use.

    The shock's share and intent also act at once (the shock button), so they count only when a
    shock is scheduled."""
    now = () if controls.get("shock_step") else SHOCK_CONTROLS
    clamped = in_use(controls)
    out = []
    for n, p in PARAMS.items():
        if n in now or n not in model.p:
            continue
        value = clamped[n][0] if n in clamped else controls[n]
        if value != model.p[n]:
            out.append((p.label or n, show(p, model.p[n]), show(p, value)))
    try:
        seed = parse_seed(controls["seed"])
    except ValueError:
        seed = model.seed
    if seed is None:
        out.append(("seed", str(model.seed), "a new random one"))
    elif seed != model.seed:
        out.append(("seed", str(model.seed), str(seed)))
    return out


CSS = """
.piggyback-control { margin-bottom: 2px; }
.piggyback-control-head { display: flex; flex-wrap: wrap; justify-content: space-between; column-gap: 6px;
                          font-size: 13px; margin-bottom: -6px; }
.piggyback-label { color: rgba(0, 0, 0, 0.8); cursor: help; border-bottom: 1px dotted rgba(0, 0, 0, 0.3); }
.piggyback-changed { font-weight: bold; }
.piggyback-default, .piggyback-calibrated { font-size: 11px; color: #616161; }
.piggyback-pending-mark, .piggyback-clamped { font-size: 11px; color: #b45309; }
.piggyback-control .v-input { margin-top: 0; padding-top: 0; }
.piggyback-control .v-messages { display: none; }
"""


def head(p: Param, value: Any, running: Any = None, clamp: tuple[Any, str] | None = None) -> str:
    """The control's line: the label (hover: the table's meaning), the value and unit, the default (calibrated or
    not), and whether the value waits for Reset or is clamped by another control."""
    why = calibrated().get(p.name)
    tip = f"{p.meaning}. Valid: {p.valid}." + (f" Calibrated: {why}" if why else "")
    changed = "" if value == p.default else " piggyback-changed"
    mark = "default" if value == p.default else f"default {show(p, p.default)}"
    parts = [f'<span class="piggyback-value{changed}">{_show_html(p, value)}</span>',
             f'<span class="piggyback-default">{escape(mark)}</span>']
    if why:
        parts.append(f'<span class="piggyback-calibrated">{term("calibrated", "calibrated")}</span>')
    if clamp is not None:
        parts.append(f'<span class="piggyback-clamped" title="{escape(clamp[1], quote=True)}">'
                     f"→ {escape(show(p, clamp[0]))} in use ({escape(clamp[1])})</span>")
    in_effect = clamp[0] if clamp is not None else value
    if running is not None and in_effect != running:
        parts.append(f'<span class="piggyback-pending-mark">at {term("reset", "Reset")}</span>')
    return (f'<span class="piggyback-label" title="{escape(tip, quote=True)}">{escape(p.label or p.name)}</span>'
            f"<span>{' '.join(parts)}</span>")


@solara.component
def Control(name: str, value: Any, on_value: Callable[[Any], None], running: Any = None,
            clamp: tuple[Any, str] | None = None):
    """One parameter: its line (see :func:`head`) over a slider, menu or switch."""
    p = PARAMS[name]
    with solara.Column(gap="0px", classes=["piggyback-control", f"control-{name}"]):
        solara.HTML(tag="div", unsafe_innerHTML=head(p, value, running, clamp), classes=["piggyback-control-head"])
        if p.kind in ("int", "float"):
            low, high = p.ui_range
            slider = solara.SliderInt if p.kind == "int" else solara.SliderFloat
            slider("", value=value, min=low, max=high, step=slider_step(p), on_value=lambda v: on_value(snap(p, v)))
        elif p.kind == "choice":
            solara.Select("", values=list(p.choices), value=value, on_value=on_value, dense=True)
        elif p.kind == "months":
            solara.InputText("", value=number(p, value), on_value=lambda text: _months(p, text, on_value),
                             continuous_update=False)
        else:
            solara.Switch(label="", value=value, on_value=on_value)


def _months(p: Param, text: str, on_value) -> None:
    try:
        on_value(p.check(text))
    except ValueError:
        pass  # the field keeps showing the value in use


@solara.component
def Controls(names: list[str], controls: solara.Reactive[dict], model=None):
    def setter(name):
        return lambda v: controls.set({**controls.value, name: v})

    clamped = in_use(controls.value)
    for name in names:
        running = model.p.get(name) if model is not None else None
        Control(name, controls.value[name], setter(name), running, clamped.get(name))


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
    Controls(key_controls(), controls, model)
    solara.Button(
        "Fewer parameters" if more.value else "More parameters", text=True, on_click=lambda: more.set(not more.value)
    )
    if more.value:  # built only when asked for: some 60 controls
        for group, names in more_controls().items():
            solara.Text(group, style={"font-weight": "bold", "margin-top": "8px"})
            Controls(names, controls, model)
    solara.Button("Reset to defaults", on_click=on_defaults, outlined=True, classes=["piggyback-defaults"])
