"""Experiment definitions: TOML files in ``experiments/configs/``, parsed with stdlib ``tomllib``.

A definition names the experiment, fixes base parameter overrides, a design over some
parameters, replicates, ``max_steps`` and outputs. Everything is checked against the
model's parameter table (:mod:`sim.params`) here, before anything runs, so that a typo
costs one clear error line instead of a half-written results folder.

Schema (every key but ``name`` and ``[design]`` is optional)::

    name = "baseline"
    description = "..."
    replicates = 40            # per design point (the first round when adaptive)
    max_steps = 500            # sets the model's max_steps parameter
    entropy = 20260101         # root entropy of the seeds; drawn fresh and recorded if absent

    [base]                     # overrides applied to every run
    n_smes = 60

    [design]
    type = "grid"              # grid | oat | lhs | sobol | morris
    samples = 64               # lhs: points; sobol: N (power of 2); morris: trajectories
    levels = 4                 # morris grid levels
    target = "Q3"              # sobol/morris output: a quadrant outcome or a numeric summary key
    [design.parameters]        # grid/oat: lists of values; lhs/sobol/morris: [low, high]
    voice_cost = [0.05, 0.6, 2.0]

    [adaptive]                 # optional: add replicates until every quadrant CI is narrow
    halfwidth = 0.10           # target 95 % Wilson half-width of every outcome frequency
    max_replicates = 200       # cap per point
    batch = 10                 # replicates added per round

    [outputs]
    step_sample = 8            # replicates per point that also keep step data (time series)
    step_points = [0, 1, 2]    # which points keep step data (default: up to the first 6)
    metrics = ["mean_trust"]   # numeric summaries to plot against the swept parameter
    phase = ["ecosystem", "hq_pressure"]   # the two axes of the phase map
    x = "voice_cost"           # the parameter on the x axis of frequency plots
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments import outputs as figure_outputs
from sim.params import PARAMS, validate

CONFIG_DIR = Path(__file__).resolve().parent / "configs"
DESIGNS = ("grid", "oat", "lhs", "sobol", "morris")
_TOP_KEYS = {"name", "description", "replicates", "max_steps", "entropy", "base", "design", "adaptive", "outputs"}
_DESIGN_KEYS = {"type", "parameters", "samples", "levels", "target", "calc_second_order"}
_ADAPTIVE_KEYS = {"halfwidth", "max_replicates", "batch"}
_OUTPUT_KEYS = {"step_sample", "step_points", "metrics", "phase", "x", "format", *figure_outputs.FIGURE_KEYS}
OUTCOMES = ("Q1", "Q2", "Q3", "Q4", "mixed", "unsettled")


class ConfigError(ValueError):
    """A bad experiment definition; the message is one line, fit for the CLI."""


@dataclass
class Adaptive:
    halfwidth: float
    max_replicates: int
    batch: int


@dataclass
class Experiment:
    """A validated experiment definition."""

    name: str
    description: str
    source: str  # the file it came from ("" when built in code)
    base: dict[str, Any]
    design: str
    parameters: dict[str, list]  # grid/oat: values; lhs/sobol/morris: [low, high]
    replicates: int = 10
    entropy: int | None = None
    samples: int = 0
    levels: int = 4
    target: str = "Q3"
    calc_second_order: bool = False
    adaptive: Adaptive | None = None
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the manifest."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "adaptive"}
        d["adaptive"] = None if self.adaptive is None else vars(self.adaptive)
        return d

    def design_key(self) -> str:
        """Hash of what fixes the run set (full parameters, design, entropy): a resumed run must match it.

        The full parameter set, defaults included, so that recalibrated defaults invalidate old runs.
        Replicates and the adaptive target are left out on purpose: raising them extends an
        experiment without invalidating the runs already done.
        """
        d = {
            "all_parameters": validate(self.base),
            "design": self.design,
            "parameters": self.parameters,
            "samples": self.samples,
            "levels": self.levels,
            "calc_second_order": self.calc_second_order,
            "entropy": self.entropy,
        }
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def find(name_or_file: str) -> Path:
    """Resolve ``NAME`` (a file in configs/) or a path to a TOML file."""
    path = Path(name_or_file)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(f"no such experiment file: {name_or_file}")
        return path
    candidate = CONFIG_DIR / f"{name_or_file}.toml"
    if not candidate.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.toml")))
        raise ConfigError(f"unknown experiment {name_or_file!r}; known: {known}")
    return candidate


def load(name_or_file: str, overrides: dict[str, Any] | None = None, replicates: int | None = None) -> Experiment:
    """Read, parse and validate an experiment; ``overrides`` (from ``--set``) join its base."""
    path = find(name_or_file)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: bad TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return from_dict(raw, source=str(path), overrides=overrides, replicates=replicates)


def _need(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{where}: {msg}")


def _param_error(where: str, exc: ValueError) -> ConfigError:
    return ConfigError(f"{where}: {exc}")


def from_dict(
    raw: dict[str, Any],
    source: str = "",
    overrides: dict[str, Any] | None = None,
    replicates: int | None = None,
) -> Experiment:
    """Validate a parsed definition against the parameter table; raise :class:`ConfigError`."""
    where = source or "experiment"
    unknown = set(raw) - _TOP_KEYS
    _need(not unknown, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    name = raw.get("name")
    _need(isinstance(name, str) and name.replace("_", "").replace("-", "").isalnum(), where,
          "'name' must be a word of letters, digits, '_' or '-'")
    reps = raw.get("replicates", 10) if replicates is None else replicates
    _need(isinstance(reps, int) and not isinstance(reps, bool) and reps >= 1, where,
          f"'replicates' must be an integer ≥ 1, got {reps!r}")
    entropy = raw.get("entropy")
    _need(entropy is None or (isinstance(entropy, int) and entropy >= 0), where,
          "'entropy' must be a non-negative integer")

    base = dict(raw.get("base", {}))
    _need(isinstance(raw.get("base", {}), dict), where, "[base] must be a table of parameter = value")
    if "max_steps" in raw:
        base["max_steps"] = raw["max_steps"]
    base.update(overrides or {})
    try:
        base = {k: PARAMS[k].check(v) if k in PARAMS else v for k, v in base.items()}
        validate(base)
    except ValueError as exc:
        raise _param_error(f"{where} [base]", exc) from None

    d = raw.get("design")
    _need(isinstance(d, dict), where, "a [design] table is required")
    unknown = set(d) - _DESIGN_KEYS
    _need(not unknown, where, f"[design]: unknown key(s) {sorted(unknown)}; allowed: {sorted(_DESIGN_KEYS)}")
    kind = d.get("type")
    _need(kind in DESIGNS, where, f"[design] type must be one of {', '.join(DESIGNS)}, got {kind!r}")
    params = d.get("parameters", {})
    _need(isinstance(params, dict) and (params or kind == "grid"), where,
          "[design.parameters] must list at least one parameter")
    checked: dict[str, list] = {}
    for pname, spec in params.items():
        pw = f"{where} [design.parameters] {pname}"
        if pname not in PARAMS:
            raise ConfigError(f"{pw}: unknown parameter {pname!r}; see `python -m sim --params`")
        p = PARAMS[pname]
        _need(isinstance(spec, list) and spec, pw, "expects a non-empty list")
        try:
            if kind in ("grid", "oat"):
                checked[pname] = [p.check(v) for v in spec]
            else:
                _need(p.kind in ("float", "int"), pw, f"{kind} needs a numeric parameter, {pname} is {p.kind}")
                _need(len(spec) == 2 and spec[0] < spec[1], pw, "expects a range [low, high] with low < high")
                checked[pname] = [p.check(spec[0]), p.check(spec[1])]
        except ValueError as exc:
            if isinstance(exc, ConfigError):
                raise
            raise _param_error(pw, exc) from None
    samples = d.get("samples", 0)
    if kind in ("lhs", "sobol", "morris"):
        _need(isinstance(samples, int) and samples >= 2, where, f"[design] {kind} needs samples ≥ 2")
    if kind == "sobol":
        _need(samples & (samples - 1) == 0, where, f"[design] sobol samples must be a power of 2, got {samples}")
    levels = d.get("levels", 4)
    _need(isinstance(levels, int) and levels >= 2, where, "[design] levels must be an integer ≥ 2")
    target = d.get("target", "Q3")
    _need(target in OUTCOMES or target in _numeric_keys(), where,
          f"[design] target must be one of {', '.join(OUTCOMES)} or a numeric summary key, got {target!r}")

    adaptive = None
    if "adaptive" in raw:
        a = raw["adaptive"]
        _need(isinstance(a, dict) and not (set(a) - _ADAPTIVE_KEYS), where,
              f"[adaptive] allows only {sorted(_ADAPTIVE_KEYS)}")
        hw = a.get("halfwidth", 0.1)
        cap = a.get("max_replicates", 100)
        batch = a.get("batch", 10)
        _need(isinstance(hw, (int, float)) and 0 < hw < 0.5, where, "[adaptive] halfwidth must be in (0, 0.5)")
        _need(isinstance(cap, int) and cap >= reps, where, "[adaptive] max_replicates must be ≥ replicates")
        _need(isinstance(batch, int) and batch >= 1, where, "[adaptive] batch must be ≥ 1")
        adaptive = Adaptive(float(hw), cap, batch)

    outputs = dict(raw.get("outputs", {}))
    unknown = set(outputs) - _OUTPUT_KEYS
    _need(not unknown, where, f"[outputs]: unknown key(s) {sorted(unknown)}; allowed: {sorted(_OUTPUT_KEYS)}")
    _need(outputs.get("format", "csv") == "csv", where, "[outputs] format: only 'csv' is supported")
    for key in ("phase", "x"):
        names = outputs.get(key, [])
        for pname in [names] if isinstance(names, str) else names:
            _need(pname in checked, where, f"[outputs] {key}: {pname!r} is not a design parameter")
    step_sample = outputs.get("step_sample", 0)
    _need(isinstance(step_sample, int) and step_sample >= 0, where, "[outputs] step_sample must be an integer ≥ 0")
    try:  # the figure keys (labels, formats, hysteresis, shocks, turnover): experiments/outputs.py
        figure_outputs.check(outputs, checked)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None

    return Experiment(
        name=name,
        description=str(raw.get("description", "")).strip(),
        source=source,
        base=base,
        design=kind,
        parameters=checked,
        replicates=reps,
        entropy=entropy,
        samples=samples,
        levels=levels,
        target=target,
        calc_second_order=bool(d.get("calc_second_order", False)),
        adaptive=adaptive,
        outputs=outputs,
    )


def _numeric_keys() -> tuple[str, ...]:
    """Numeric summary keys a sensitivity target may name (from the model's observation module if present)."""
    try:
        from sim.observe import SUMMARY_KEYS  # the documented list of summary keys
    except ImportError:  # pragma: no cover - another model with the same run() contract
        return ()
    return tuple(k for k in SUMMARY_KEYS if k not in ("quadrant", "final_quadrant"))


def all_configs() -> list[Path]:
    return sorted(CONFIG_DIR.glob("*.toml"))





def from_manifest(d: dict[str, Any]) -> Experiment:
    """The experiment as recorded in a results manifest (for ``plot`` and ``show`` without the TOML)."""
    d = dict(d)
    adaptive = d.pop("adaptive", None)
    fields = {k: v for k, v in d.items() if k in Experiment.__dataclass_fields__}
    return Experiment(**fields, adaptive=None if adaptive is None else Adaptive(**adaptive))
