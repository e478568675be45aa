"""The one parameter table (MODEL.md §10): the single source of truth.

Every other part of the project (the model, the CLI's ``--set``, the experiment
runner's validation, the dashboard's sliders, the docs) reads its names, defaults,
ranges and meanings from :data:`PARAMS`. Nothing else lists parameters.
"""

from __future__ import annotations

import difflib
import itertools
import math
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "PARAMS",
    "GROUPS",
    "Param",
    "ParameterError",
    "check_size",
    "defaults",
    "validate",
    "parse_value",
    "parse_assignment",
]

QUADRANTS = ("Q1", "Q2", "Q3", "Q4")


class ParameterError(ValueError):
    """A parameter set the model cannot take: an unknown name, a wrong type, a value out of its range, or a
    violated relation between parameters. ``name``, ``value`` and ``valid`` say which, what and what would do;
    the message is one line naming all three (long values cut short)."""

    def __init__(self, name: str, value: Any, valid: str, message: str | None = None) -> None:
        self.name, self.value, self.valid = name, value, valid
        super().__init__(message or f"parameter {name!r}: invalid value {short(value)}; valid: {valid}")


def short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: an error message never echoes a huge input whole."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 12]}… ({len(text):,} characters)"


@dataclass(frozen=True)
class Param:
    """One model parameter: its type, default, valid range or choices, and meaning."""

    name: str
    kind: str  # "float" | "int" | "bool" | "choice" | "months" (ascending whole months, as a tuple)
    default: Any
    meaning: str
    group: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    label: str = ""  # human label for figures and controls (plain words, no code names)
    unit: str = ""  # unit or scale shown beside the label ("" when the label says it all)
    ui: tuple[float, float] | None = None  # range a user should explore (sliders, sweeps); None: the valid range

    @property
    def ui_range(self) -> tuple[float, float] | None:
        """The range controls offer: ``ui`` if set, else the valid range (None for bools and choices)."""
        if self.kind in ("bool", "choice", "months"):
            return None
        return self.ui if self.ui is not None else (self.low, self.high)

    @property
    def axis_label(self) -> str:
        """``label (unit)``, as on a figure's axis."""
        text = self.label or self.name
        return f"{text} ({self.unit})" if self.unit else text

    @property
    def valid(self) -> str:
        """Human-readable valid range, as quoted in error messages."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "months":
            return f"1 to {MAX_HORIZONS} ascending whole months in [{_fmt(self.low)}, {_fmt(self.high)}]"
        kind = "integer" if self.kind == "int" else "number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` in canonical type, or raise :class:`ParameterError` naming the problem."""
        bad = ParameterError(self.name, value, self.valid)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            # numpy bools and 0/1 ints from samplers are accepted, nothing else
            if type(value).__name__ == "bool_" or (isinstance(value, int) and value in (0, 1)):
                return bool(value)
            raise bad
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise bad
        if self.kind == "months":
            return self._check_months(value, bad)
        if isinstance(value, bool) or not _is_number(value) or not math.isfinite(float(value)):
            raise bad  # infinities and NaN too: never an OverflowError from int(inf)
        if self.kind == "int":
            if float(value) != math.floor(float(value)):
                raise bad
            value = int(value)
        else:
            value = float(value)
        if not (self.low <= value <= self.high):
            raise bad
        return value


    def _check_months(self, value: Any, bad: ParameterError) -> tuple[int, ...]:
        if isinstance(value, str):
            value = [v for v in value.replace(",", " ").split() if v]
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_HORIZONS:
            raise bad
        months = []
        for v in value:
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise bad from None
            if isinstance(v, bool) or not math.isfinite(f) or f != math.floor(f) or not self.low <= f <= self.high:
                raise bad
            months.append(int(f))
        if any(b <= a for a, b in itertools.pairwise(months)):
            raise bad
        return tuple(months)


MAX_HORIZONS = 12


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, str)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _f(name, default, low, high, meaning, label="", unit="", ui=None):
    return Param(name, "float", float(default), meaning, low=float(low), high=float(high), label=label, unit=unit,
                 ui=None if ui is None else (float(ui[0]), float(ui[1])))


def _i(name, default, low, high, meaning, label="", unit="", ui=None):
    return Param(name, "int", int(default), meaning, low=low, high=high, label=label, unit=unit, ui=ui)


def _b(name, default, meaning, label=""):
    return Param(name, "bool", bool(default), meaning, label=label)


def _c(name, default, choices, meaning, label=""):
    return Param(name, "choice", default, meaning, choices=tuple(choices), label=label)


def _m(name, default, low, high, meaning, label="", unit="months"):
    return Param(name, "months", tuple(default), meaning, low=low, high=high, label=label, unit=unit)


def _group(group, *params):
    return [replace(p, group=group) for p in params]


_P, _M, _U = "probability", "per month", "utility"
_TABLE = [
    *_group(
        "population",  # MODEL.md §2
        _i("n_mnes", 3, 1, 1000, "number of MNEs (each has one headquarters)",
           "MNEs", "firms", (1, 6)),
        _i("n_markets", 4, 1, 10_000, "number of host markets; one subsidiary per MNE and market",
           "host markets", "markets", (1, 8)),
        _i("n_smes", 60, 1, 1_000_000, "number of exporting SMEs",
           "SMEs", "firms", (10, 300)),
        _i("n_niches", 8, 1, 10_000, "number of complementary product niches",
           "product niches", "niches", (1, 24)),
        _i("contracts_per_sme", 3, 1, 10_000, "target export markets per SME (≤ n_markets), one agent in each",
           "export markets per SME", "markets", (1, 4)),
        _f("sme_turnover", 0.008, 0, 1, "probability per step that an SME leaves; an entrant takes its place (§11.1)",
           "SME turnover", _M, (0, 0.05)),
        _f("entry_p_international", 0.5, 0, 1, "probability an entrant SME is internationally oriented (§11.1)",
           "entrants international", _P),
        _f("sub_turnover", 0.0, 0, 1, "probability per step a subsidiary's mandate is renewed, intent redrawn (§11.1)",
           "subsidiary mandate renewal", _M, (0, 0.05)),
    ),
    *_group(
        "initial state",  # MODEL.md §5
        _c("initial_quadrant", "mixed", ("mixed", *QUADRANTS), "quadrant every initial contract starts in, or mixed",
           "initial quadrant"),
        _f("p_explore", 0.5, 0, 1, "probability a subsidiary starts exploring (mixed start)",
           "subsidiaries exploring at start", _P),
        _f("p_international", 0.5, 0, 1, "probability an SME starts internationally oriented (mixed start)",
           "SMEs international at start", _P),
        _f("trust0", 0.3, 0, 1, "initial trust on both sides of a new contract",
           "initial trust", "0–1"),
        _f("knowledge0", 0.0, 0, 1, "initial SME knowledge of each foreign market",
           "initial market knowledge", "0–1"),
        _f("voluntarism", 0.5, 0, 1, "mean SME voluntarism (Beta, concentration 10)",
           "SME voluntarism (mean)", "0–1"),
        _f("capability", 0.5, 0, 1, "mean SME absorptive capability (Beta, concentration 10)",
           "SME absorptive capability (mean)", "0–1"),
        _f("boundary_spanning", 0.3, 0, 1, "mean boundary spanning of SMEs and subsidiaries (Beta, concentration 10)",
           "boundary spanning (mean)", "0–1"),
    ),
    *_group(
        "market",  # MODEL.md §7.1
        _f("opportunity_rate", 2.0, 0, 100, "client requirements per market per step (Poisson mean)",
           "client requirements per market", _M, (0, 10)),
        _f("detect_base", 0.6, 0, 1, "detection probability of a requirement at zero LoF",
           "detection at zero liability of foreignness", _P),
        _f("sale_value", 1.0, 0, 1000, "value of one solution sale to the dyad",
           "value of a solution sale", "value units", (0, 5)),
        _f("lof0", 0.6, 0, 1, "initial (and resting) liability of foreignness of a subsidiary",
           "resting liability of foreignness", "0–1"),
        _f("lof_portfolio", 0.05, 0, 1, "LoF reduction per step at full niche coverage of the portfolio",
           "LoF reduction by a full portfolio", _M, (0, 0.2)),
        _f("lof_platform", 0.02, 0, 1, "LoF reduction per step from the electronic platform",
           "LoF reduction by the platform", _M, (0, 0.1)),
        _f("lof_recovery", 0.01, 0, 1, "rate at which LoF creeps back toward lof0",
           "LoF recovery", _M, (0, 0.1)),
        _b("platform", False, "MNEs interconnect their subsidiaries by an electronic platform",
           "electronic platform"),
        _f("platform_boost", 0.3, 0, 1, "detection boost from pooled platform intelligence",
           "detection boost of the platform", _P),
    ),
    *_group(
        "contract",  # MODEL.md §7.3–7.5
        _f("capacity", 1.0, 0, 10, "attention a subsidiary divides across its principals per step",
           "subsidiary capacity", "attention per month", (0, 3)),
        _f("effort_floor", 0.1, 0, 10, "effort weight of a contract regardless of trust",
           "effort floor", "weight", (0, 1)),
        _f("voluntarism_pull", 1.0, 0, 10, "how strongly a voluntarist, communicating SME draws effort",
           "pull of voluntarism on effort", "weight", (0, 3)),
        _f("comm_min", 0.1, 0, 1, "communication at full trust (≤ comm_max)",
           "communication at full trust", "0–1"),
        _f("comm_max", 1.0, 0, 1, "communication at zero trust",
           "communication at zero trust", "0–1"),
        _f("trust_gain", 0.08, 0, 1, "trust built per unit of communication",
           "trust built by communication", _M, (0, 0.3)),
        _f("success_gain", 0.05, 0, 1, "trust built by a sale",
           "trust built by a sale", "per sale", (0, 0.3)),
        _f("trust_decay", 0.005, 0, 1, "trust lost per step to neglect",
           "trust decay", _M, (0, 0.05)),
        _f("frustration_erosion", 0.05, 0, 1, "trust lost per step at frustration ≥ 1",
           "trust eroded by frustration", _M, (0, 0.3)),
        _f("comm_cost", 0.02, 0, 10, "cost of communication to each side per unit per step",
           "cost of communication", "value per month", (0, 0.2)),
        _f("learning_rate", 0.05, 0, 1, "SME foreign-market learning rate through the contract",
           "foreign-market learning rate", _M, (0, 0.3)),
        _f("value_q1", 1.0, 0, 100, "mean dyad value per step in Q1 (efficiency)",
           "value in Q1 (efficiency)", "value per month", (0, 5)),
        _f("value_q3", 2.0, 0, 100, "mean dyad value per step in Q3 (innovation)",
           "value in Q3 (innovation)", "value per month", (0, 5)),
        _f("value_tension", 0.5, 0, 100, "mean dyad value per step in Q2 and Q4",
           "value in a tension (Q2, Q4)", "value per month", (0, 5)),
        _f("value_cv_q1", 0.1, 0, 10, "coefficient of variation of Q1 value (low variance)",
           "variability of Q1 value", "coefficient of variation", (0, 2)),
        _f("value_cv_q3", 0.5, 0, 10, "coefficient of variation of Q3 and tension value (higher variance)",
           "variability of Q3 and tension value", "coefficient of variation", (0, 2)),
    ),
    *_group(
        "intent",  # MODEL.md §7.6
        _f("ambition_drift", 0.01, 0, 1, "rate at which SME ambition follows foreign-market knowledge",
           "drift of ambition toward knowledge", _M, (0, 0.1)),
        _f("pressure_rate", 0.077, 0, 1, "rate at which headquarters pressure lowers exploration",
           "rate of headquarters pressure", _M, (0, 0.2)),
        _f("hq_pressure", 0.5, 0, 1, "headquarters pressure toward exploitation",
           "headquarters pressure", "0–1"),
        _f("ecosystem", 0.0, 0, 1, "headquarters' platform-ecosystem strategy (shelters exploration)",
           "ecosystem strategy", "0–1"),
        _f("intermediary", 0.0, 0, 1, "strength of the non-market intermediary in each market (0: none)",
           "intermediary strength", "0–1"),
        _f("intermediary_trust", 0.2, 0, 1,
           "initial trust an intermediary lends a contract it brokers, per unit strength",
           "trust lent by an intermediary", "per unit strength"),
        _f("alignment_pull", 0.024, 0, 1, "rate at which aligned (Q1, Q3) contracts pull their agent's intent (§11.3)",
           "pull of aligned contracts", _M, (0, 0.05)),
    ),
    *_group(
        "exit/voice/loyalty",  # MODEL.md §7.7
        _f("frustration_threshold", 1.6, 0, 100, "frustration past which the thwarted party chooses",
           "frustration threshold", "frustration", (0, 10)),
        _f("frustration_decay", 0.1, 0, 1, "decay of frustration outside tension quadrants",
           "frustration decay", _M),
        _f("rationality", 0.75, 0, 100, "inverse temperature of logit choices",
           "rationality of choices", "inverse temperature", (0, 5)),
        _f("loyalty_weight", 2.0, 0, 10, "utility weight of loyalty (trust × maturity)",
           "weight of loyalty", _U, (0, 4)),
        _f("exit_cost", 1.5, 0, 10, "cost of exiting a contract",
           "exit cost", _U, (0, 3)),
        _f("voice_cost", 0.3, 0, 10, "cost of voicing",
           "voice cost", _U, (0, 2)),
        _f("voice_gain", 3.0, 0, 10, "utility of a successful voice",
           "gain from a successful voice", _U, (0, 6)),
        _f("voice_base", -0.1, -10, 10, "baseline log-odds of voice success",
           "baseline voice success", "log-odds", (-5, 5)),
        _f("voice_trust", 1.0, 0, 10, "log-odds of voice success per unit of the partner's trust",
           "voice success from the partner's trust", "log-odds", (0, 5)),
        _f("voice_spanning", 1.45, 0, 10, "log-odds of voice success per unit of boundary spanning",
           "voice success from boundary spanning", "log-odds", (0, 5)),
        _f("voice_ecosystem", 1.0, 0, 10, "log-odds of voice success per unit of HQ ecosystem strategy",
           "voice success from the ecosystem strategy", "log-odds", (0, 5)),
        _f("voice_intermediary", 1.35, 0, 10, "log-odds of voice success per unit of intermediary strength",
           "voice success from the intermediary", "log-odds", (0, 5)),
        _f("voice_h", 1.0, 0, 10, "weight of the voice hypothesis term H",
           "weight of the voice hypothesis", "log-odds", (0, 5)),
        _c(
            "voice_hypothesis",
            "loyalty",
            ("loyalty", "exit_threat"),
            "voice works from loyalty, or from a credible exit threat",
            "voice hypothesis",
        ),
        _f("loyalty_shift", 0.235, 0, 1, "intent the loyal party gives up per loyalty act",
           "intent given up by loyalty", "per act", (0, 0.5)),
        _f("voice_shift", 0.24, 0, 1, "intent (and trust, capability) a successful voice moves the partner uphill",
           "intent moved by a successful voice", "per success", (0, 0.5)),
        _f("search_rate", 0.2, 0, 1, "probability per step an agentless SME searches in a target market",
           "partner search rate", "probability per month"),
    ),
    *_group(
        "shocks",  # MODEL.md §11.4
        _i("shock_step", 0, 0, 1_000_000, "step at which a shock replaces SMEs at once (0: no shock)",
           "shock at step", "month", (0, 1000)),
        _f("shock_share", 0.3, 0, 1, "share of SMEs the shock replaces",
           "share of SMEs replaced by the shock", "share"),
        _c("shock_intent", "mixed", ("domestic", "international", "mixed"),
           "intent of the entrants a shock brings (mixed: international with entry_p_international)",
           "intent of the shock's entrants"),
    ),
    *_group(
        "observation",  # MODEL.md §13.1, §13.4
        _f("side_band", 0.1, 0, 0.45, "a firm's side (explore/exploit, international/domestic) changes only when its "
           "intent crosses beyond 0.5 ± side_band (§13.1; 0: version 2)",
           "side band", "intent", (0, 0.2)),
        _m("horizons", (60, 120, 240), 1, 1_000_000,
           "months at which the summary reports the population's regime and the subsidiaries' states (§13.4)",
           "horizons"),
    ),
    *_group(
        "run",  # MODEL.md §8, §12.1, §13.3
        _i("max_steps", 800, 1, 1_000_000, "steps at most (one step is one month)",
           "run length", "months", (50, 2000)),
        _i("burn_in", 60, 0, 1_000_000, "steps before settlement may be detected",
           "burn-in", "months", (0, 500)),
        _i("settle_window", 60, 1, 1_000_000, "length of each of the two windows whose mean shares must agree",
           "settlement window", "months", (10, 200)),
        _f("settle_tolerance", 0.03, 0, 1, "least tolerance on the change of window-mean shares between two windows",
           "settlement tolerance", "share", (0, 0.2)),
        _f("settle_z", 3.0, 0, 10, "tolerance in standard errors of a share, z·√(m(1−m)/N), when larger (§12.1)",
           "settlement tolerance in standard errors", "z", (0, 4)),
        _f("regime_z", 1.5, 0, 10,
           "standard errors (at least settle_tolerance) the leading share must lie from dominance to settle (§12.1)",
           "regime margin in standard errors", "z", (0, 4)),
        _f("dominance", 0.5, 0, 1, "share a quadrant needs to be the settled quadrant (else mixed)",
           "dominance threshold", "share"),
        _i("coexist_windows", 5, 2, 1000,
           "consecutive stationary windows, no subsidiary changing side, that name a coexistence (§13.3)",
           "windows that confirm coexistence", "windows", (2, 6)),
        _f("coexist_share", 0.3, 0, 0.5,
           "least share of the contracts each of Q1 and Q3 holds in a coexistence (§13.3)",
           "least share of Q1 and of Q3 in a coexistence", "share"),
        _b("stop_on_settle", True,
           "stop the run once its long-run regime is resolved (§13.3), and past the last horizon",
           "stop when resolved"),
    ),
]
PARAMS: dict[str, Param] = {p.name: p for p in _TABLE}
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in _TABLE))


def defaults() -> dict[str, Any]:
    """All parameters at their defaults (a fresh dict)."""
    return {name: p.default for name, p in PARAMS.items()}


def validate(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the full parameter set: defaults updated by ``overrides``, each checked.

    Raises :class:`ParameterError` (a ``ValueError``) naming the parameter, the value and the valid
    range for an unknown name, a wrong type or an out-of-range value, and for violated relations
    between parameters.
    """
    if overrides is not None and not isinstance(overrides, dict):
        raise ParameterError("params", overrides, "a dict of parameter names and values",
                             f"parameters must be a dict of names and values, got {type(overrides).__name__}")
    params = defaults()
    for name, value in (overrides or {}).items():
        if name not in PARAMS:
            raise unknown(name)
        params[name] = PARAMS[name].check(value)
    if params["contracts_per_sme"] > params["n_markets"]:
        raise ParameterError("contracts_per_sme", params["contracts_per_sme"],
                             f"integer in [1, n_markets={params['n_markets']}]")
    if params["comm_min"] > params["comm_max"]:
        raise ParameterError("comm_min", params["comm_min"], f"number in [0, comm_max={params['comm_max']:g}]")
    return params


def unknown(name: Any) -> ParameterError:
    """The error for a name that is not a parameter: the closest names of the table, never all sixty."""
    close = difflib.get_close_matches(str(name)[:100], list(PARAMS), n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else "not a name of the table"
    return ParameterError(str(name), None, "a name of the table",
                          f"unknown parameter {short(name)}: {hint} (`python -m sim --params` lists them all)")


# What one run costs, for size caps and time estimates (the CLI, the experiment runner): the Mesa reference
# step at defaults takes about 3 µs per contract-step on the project's 2-core machine (docs/PERFORMANCE.md);
# estimates quote it rounded up, so they err on the long side.
SECONDS_PER_CONTRACT_STEP = 5e-6
# the compiled engine (sim.engine): 0.2–1.0 µs per contract-step measured under load (docs/PERFORMANCE.md)
SECONDS_PER_CONTRACT_STEP_COMPILED = 1e-6
MAX_AGENTS = 2_000_000  # subsidiaries × niches (the free-slot index) plus SME-market slots: memory, not time


def run_size(params: dict[str, Any]) -> tuple[int, int]:
    """(agents, contract-steps) of one run at most: the partner indexes' slots (subsidiaries × niches, plus SMEs
    × target markets) and the active contracts × ``max_steps``, an upper bound (a run may stop earlier)."""
    subs = params["n_mnes"] * params["n_markets"]
    slots = params["n_smes"] * params["contracts_per_sme"]
    return subs * params["n_niches"] + slots, min(slots, subs * params["n_niches"]) * params["max_steps"]


def check_size(params: dict[str, Any], max_seconds: float | None = None,
               per_contract_step: float = SECONDS_PER_CONTRACT_STEP) -> float:
    """Refuse a run too large to build (:data:`MAX_AGENTS`) or, with ``max_seconds``, estimated to take longer;
    return the estimated seconds (an upper bound) otherwise. Raises :class:`ParameterError` naming the sizes.
    ``per_contract_step``: the cost of the engine that will run it (default the Mesa model's;
    :data:`SECONDS_PER_CONTRACT_STEP_COMPILED` for the compiled engine)."""
    agents, work = run_size(params)
    if agents > MAX_AGENTS:
        raise ParameterError("n_smes", params["n_smes"], f"a population of at most {MAX_AGENTS:,} slots",
                             f"population too large for one run: {agents:,} partner slots (n_mnes × n_markets × "
                             f"n_niches + n_smes × contracts_per_sme); valid: at most {MAX_AGENTS:,}")
    seconds = work * per_contract_step
    if max_seconds is not None and seconds > max_seconds:
        raise ParameterError("max_steps", params["max_steps"], f"a run estimated under {max_seconds:,.0f} s",
                             f"run estimated to take up to {_duration(seconds)} ({work:,} contract-steps: "
                             f"max_steps {params['max_steps']:,} × up to {work // params['max_steps']:,} contracts)"
                             f"; valid: under {_duration(max_seconds)} (raise the limit to run it anyway)")
    return seconds


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_value(name: str, text: str) -> Any:
    """Parse a command-line string into the parameter's type and check it."""
    if name not in PARAMS:
        raise unknown(name)
    p = PARAMS[name]
    raw: Any = text.strip()
    if p.kind == "bool":
        low = raw.lower()
        raw = True if low in _TRUE else False if low in _FALSE else raw
    elif p.kind in ("int", "float"):
        try:
            raw = float(raw)
        except ValueError:
            pass
    return p.check(raw)


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` (as given to ``--set``)."""
    if "=" not in text:
        raise ParameterError("--set", text, "name=value", f"--set expects name=value, got {short(text)}")
    name, _, value = text.partition("=")
    name = name.strip()
    return name, parse_value(name, value)


def markdown_table() -> str:
    """The parameter table as Markdown (docs/ODD.md §10 is this text, checked by a test)."""
    lines = ["| group | parameter | default | valid | meaning |", "|---|---|---|---|---|"]
    for p in PARAMS.values():
        default = str(p.default).lower() if p.kind == "bool" else p.default
        lines.append(f"| {p.group} | `{p.name}` | {default} | {p.valid} | {p.meaning} |")
    return "\n".join(lines)
