"""Experiment definitions: TOML files in ``experiments/configs/``, parsed with stdlib ``tomllib``.

A definition names the experiment, fixes base parameter overrides, a design over some
parameters, replicates, ``max_steps`` and outputs. Everything is checked against the
model's parameter table (:mod:`sim.params`, or the named model's) here, before anything runs, so that a typo
costs one clear error line instead of a half-written results folder.

Schema (every key but ``name`` and ``[design]`` is optional)::

    name = "baseline"
    description = "..."
    model = "sim.model:run"    # any run(params, seed) -> dict (default: this project's model)
    replicates = 40            # per design point (the first round when adaptive)
    max_steps = 500            # sets the model's max_steps parameter
    entropy = 20260101         # root entropy of the seeds; drawn fresh and recorded if absent

    [base]                     # overrides applied to every run
    n_smes = 60

    [design]
    type = "grid"              # grid | oat | lhs | sobol | morris | points
    samples = 64               # lhs: points; sobol: N (power of 2); morris: trajectories
    levels = 4                 # morris grid levels
    target = "Q3"              # sobol/morris output: a category of the model's headline outcome, or a
                               # numeric summary key
    [design.parameters]        # grid/oat: lists of values; lhs/sobol/morris: [low, high]
    voice_cost = [0.05, 0.6, 2.0]
    # points: no [design.parameters]; instead [[design.points]] tables of parameter = value, each with an
    # optional label source = "..." (experiments/definition/points.py)

    [adaptive]                 # optional: add replicates until every outcome frequency's CI is narrow
    halfwidth = 0.10           # target 95 % Wilson half-width of every headline outcome frequency
    max_replicates = 200       # cap per point
    batch = 10                 # replicates added per round

    [outputs]                  # the runner's keys; the figures' keys (x, phase, labels, formats,
                               # hysteresis, ...) are each figure's own: experiments/figures/
    step_sample = 8            # replicates per point that also keep step data (time series)
    step_points = [0, 1, 2]    # which points keep step data (default: up to the first 6)
    metrics = ["mean_trust"]   # numeric summaries with intervals (and a figure against the swept parameter)
    events = false             # also keep each run's event log (models whose run() takes `tables`)
    format = "parquet"         # "parquet" (always written) or ["parquet", "csv"] for a runs.csv copy

The figures may ask the model for tables of every run (e.g. the ``timeline`` behind ``regime_time``): the
tables the model can make are kept (``Experiment.tables``; the figures' ``model_tables``).
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any, Protocol

from experiments.definition import models, points
from experiments.definition.errors import ExperimentError
from experiments.definition.experiment import DEFAULT_TARGET, Adaptive, Experiment

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
DESIGNS = ("grid", "oat", "lhs", "sobol", "morris", "points")
_TOP_KEYS = {"name", "description", "model", "replicates", "max_steps", "entropy", "base", "design", "adaptive",
             "outputs"}
_DESIGN_KEYS = {"type", "parameters", "samples", "levels", "target", "calc_second_order", "across", "points"}
_ADAPTIVE_KEYS = {"halfwidth", "max_replicates", "batch"}
_OUTPUT_KEYS = {"step_sample", "step_points", "metrics", "format", "events"}  # the runner's own
_FORMATS = ("parquet", "csv")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class ConfigError(ExperimentError):
    """A bad experiment definition; the message is one line, fit for the CLI."""


class OutputChecks(Protocol):
    """The ``[outputs]`` keys beyond the runner's own (the figures' keys), their check, and the tables of every
    run the figures need from the model."""

    keys: frozenset[str]

    def check(self, outputs: dict[str, Any], design: dict[str, list], model: models.ModelInfo) -> None:
        """Raise ``ValueError`` (one line, naming the key) on a bad value."""

    def tables(self, outputs: dict[str, Any]) -> tuple[str, ...]:
        """The model tables the figures need for every run (kept when the model can make them)."""


def is_name(text: str) -> bool:
    """An experiment name: letters, digits, '_' or '-' (never a path)."""
    return isinstance(text, str) and NAME_RE.fullmatch(text) is not None


def find(name_or_file: str) -> Path:
    """Resolve ``NAME`` (a file in configs/) or a path to a TOML file."""
    path = Path(name_or_file)
    if path.suffix == ".toml" or path.exists() or not is_name(name_or_file):
        if not path.is_file():
            raise ConfigError(f"no such experiment file: {name_or_file}")
        return path
    candidate = CONFIG_DIR / f"{name_or_file}.toml"
    if not candidate.is_file():
        known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.toml")))
        raise ConfigError(f"unknown experiment {name_or_file!r}; known: {known}")
    return candidate


def is_shipped(path: str | Path) -> bool:
    """Whether ``path`` is one of the shipped definitions in experiments/configs/."""
    try:
        return Path(path).resolve().parent == CONFIG_DIR.resolve() and Path(path).suffix == ".toml"
    except OSError:
        return False


def load(name_or_file: str, overrides: dict[str, Any] | None = None, replicates: int | None = None,
         assignments: list[str] | tuple[str, ...] = (), figures: OutputChecks | None = None) -> Experiment:
    """Read, parse and validate an experiment; ``overrides`` (values) and ``assignments`` (``--set``
    texts ``name=value``, parsed by the model's parameter types) join its base. ``figures``: the figures'
    ``[outputs]`` keys and their check (:func:`experiments.pipeline.experiment` passes the registry's); without
    it, ``[outputs]`` keys other than the runner's own pass unchecked."""
    path = find(name_or_file)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a byte-order mark (Windows editors) is no error
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: bad TOML: {exc}") from None
    return from_dict(raw, source=str(path), overrides=overrides, replicates=replicates, assignments=assignments,
                     figures=figures)


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_assignment(text: str, table: dict[str, Any]) -> tuple[str, Any]:
    """``name=value`` (as given to ``--set``) parsed and checked against a parameter table."""
    if not isinstance(text, str) or "=" not in text:
        raise ConfigError(f"--set expects name=value, got {text!r}")
    name, _, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if name not in table:
        raise ConfigError(f"--set {text}: unknown parameter {name!r}; see `python -m sim --params`")
    p = table[name]
    raw: Any = value
    if p.kind == "bool":
        raw = True if value.lower() in _TRUE else False if value.lower() in _FALSE else value
    elif p.kind in ("int", "float"):
        try:
            raw = float(value) if p.kind == "float" or not value.lstrip("+-").isdigit() else int(value)
        except ValueError:
            pass
    try:
        return name, check_value(p, raw)
    except ValueError as exc:
        raise ConfigError(f"--set {text}: {exc}") from None


def _need(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise ConfigError(f"{where}: {msg}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_value(p: Any, value: Any) -> Any:
    """``p.check(value)``, with every failure (overflow, NaN, wrong type) as one message naming the parameter."""
    try:
        return p.check(value)
    except (ValueError, ArithmeticError, TypeError) as exc:
        if isinstance(exc, ValueError) and repr(p.name) in str(exc):
            raise
        raise ValueError(f"parameter {p.name!r}: invalid value {value!r}; valid: {p.valid}") from None


def from_dict(
    raw: dict[str, Any],
    source: str = "",
    overrides: dict[str, Any] | None = None,
    replicates: int | None = None,
    assignments: list[str] | tuple[str, ...] = (),
    figures: OutputChecks | None = None,
) -> Experiment:
    """Validate a parsed definition against the model's parameter table; raise :class:`ConfigError`.
    ``figures``: as for :func:`load`."""
    where = source or "experiment"
    _need(isinstance(raw, dict), where, "an experiment definition must be a table")
    unknown = set(raw) - _TOP_KEYS
    _need(not unknown, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}")
    name = raw.get("name")
    _need(is_name(name), where, "'name' must be a word of 1-64 letters, digits, '_' or '-' (not starting with "
          f"'_' or '-'), got {name!r}")
    reps = raw.get("replicates", 10) if replicates is None else replicates
    _need(_is_int(reps) and reps >= 1, where, f"'replicates' must be an integer ≥ 1, got {reps!r}")
    entropy = raw.get("entropy")
    _need(entropy is None or (_is_int(entropy) and 0 <= entropy < 2**128), where,
          f"'entropy' must be an integer in [0, 2**128), got {entropy!r}")
    description = raw.get("description", "")
    _need(isinstance(description, str), where, f"'description' must be a string, got {description!r}")
    spec = raw.get("model", models.DEFAULT_MODEL)
    _need(isinstance(spec, str), where, f"'model' must be a string 'package.module:function', got {spec!r}")
    try:
        model = models.info(spec)
    except models.ModelError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    table = model.params

    base_raw = raw.get("base", {})
    _need(isinstance(base_raw, dict), where, f"[base] must be a table of parameter = value, got {base_raw!r}")
    base = dict(base_raw)
    if "max_steps" in raw:
        _need("max_steps" in table, where, f"'max_steps': the model {spec} has no parameter max_steps")
        base["max_steps"] = raw["max_steps"]
    base.update(overrides or {})
    base.update(parse_assignment(text, table) for text in assignments)
    try:
        for k, v in base.items():
            if k not in table:
                raise ValueError(f"unknown parameter {k!r}; see `python -m sim --params`")
            base[k] = check_value(table[k], v)
        model.validate(base)
    except ValueError as exc:
        raise ConfigError(f"{where} [base]: {exc}") from None

    d = raw.get("design")
    _need(isinstance(d, dict), where, "a [design] table is required")
    unknown = set(d) - _DESIGN_KEYS
    _need(not unknown, where, f"[design]: unknown key(s) {sorted(unknown)}; allowed: {sorted(_DESIGN_KEYS)}")
    kind = d.get("type")
    _need(kind in DESIGNS, where, f"[design] type must be one of {', '.join(DESIGNS)}, got {kind!r}")
    params = d.get("parameters", {})
    _need(isinstance(params, dict) and (params or kind in ("grid", "points")), where,
          "[design.parameters] must be a table listing at least one parameter")
    _need(kind != "points" or not params, where, "a points design lists its points in [[design.points]], not "
          "[design.parameters]")
    _need(kind == "points" or "points" not in d, where, f"[[design.points]] belong to a points design, not {kind}")
    checked: dict[str, list] = {}
    labels: dict[str, list] = {}
    if kind == "points":
        try:
            checked, labels = points.parse(d.get("points"), table, base, check_value)
        except ValueError as exc:
            raise ConfigError(f"{where} [[design.points]]: {exc}") from None
    for pname, pspec in params.items():
        pw = f"{where} [design.parameters] {pname}"
        if pname not in table:
            raise ConfigError(f"{pw}: unknown parameter {pname!r}; see `python -m sim --params`")
        p = table[pname]
        _need(isinstance(pspec, list) and len(pspec) > 0, pw, f"expects a non-empty list, got {pspec!r}")
        try:
            if kind in ("grid", "oat"):
                checked[pname] = [check_value(p, v) for v in pspec]
            else:
                _need(p.kind in ("float", "int"), pw, f"{kind} needs a numeric parameter, {pname} is {p.kind}")
                _need(len(pspec) == 2 and all(_is_num(v) for v in pspec) and pspec[0] < pspec[1], pw,
                      f"expects a range [low, high] of two numbers with low < high, got {pspec!r}")
                checked[pname] = [check_value(p, pspec[0]), check_value(p, pspec[1])]
        except ConfigError:
            raise
        except ValueError as exc:
            raise ConfigError(f"{pw}: {exc}") from None
    samples = d.get("samples", 0)
    if kind in ("lhs", "sobol", "morris"):
        _need(_is_int(samples) and samples >= 2, where, f"[design] {kind} needs samples: an integer ≥ 2, "
              f"got {samples!r}")
    else:
        _need(_is_int(samples) and samples >= 0, where, f"[design] samples must be an integer, got {samples!r}")
    if kind == "sobol":
        _need(samples & (samples - 1) == 0, where, f"[design] sobol samples must be a power of 2, got {samples}")
    levels = d.get("levels", 4)
    _need(_is_int(levels) and 2 <= levels <= 1000, where, f"[design] levels must be an integer in [2, 1000], "
          f"got {levels!r}")
    numeric, categories = numeric_keys(model), model.categories
    target = d.get("target", DEFAULT_TARGET if DEFAULT_TARGET in categories or not categories else categories[0])
    if "target" in d or categories:  # a model that declares no outcome has no default target
        _need(isinstance(target, str) and (target in categories or target in numeric), where,
              f"[design] target must be one of {', '.join(categories)} or a numeric summary key, got {target!r}")
    second = d.get("calc_second_order", False)
    _need(isinstance(second, bool), where, f"[design] calc_second_order must be true or false, got {second!r}")
    across_raw = d.get("across", {})
    _need(isinstance(across_raw, dict), where, f"[design] across must be a table of parameter = [values], "
          f"got {across_raw!r}")
    _need(not across_raw or kind in ("oat", "lhs"), where,
          f"[design] across crosses an oat or lhs design with values of other parameters; a {kind} design "
          f"cannot take it (a grid crosses its parameters already)")
    across: dict[str, list] = {}
    for pname, pspec in across_raw.items():
        pw = f"{where} [design.across] {pname}"
        if pname not in table:
            raise ConfigError(f"{pw}: unknown parameter {pname!r}; see `python -m sim --params`")
        _need(pname not in checked, pw, "is also a design parameter")
        _need(isinstance(pspec, list) and len(pspec) > 0, pw, f"expects a non-empty list, got {pspec!r}")
        try:
            across[pname] = [check_value(table[pname], v) for v in pspec]
        except ValueError as exc:
            raise ConfigError(f"{pw}: {exc}") from None

    adaptive = None
    if "adaptive" in raw:
        a = raw["adaptive"]
        _need(isinstance(a, dict) and not (set(a) - _ADAPTIVE_KEYS), where,
              f"[adaptive] must be a table with only {sorted(_ADAPTIVE_KEYS)}")
        hw = a.get("halfwidth", 0.1)
        cap = a.get("max_replicates", 100)
        batch = a.get("batch", 10)
        _need(_is_num(hw) and 0 < hw < 0.5, where, f"[adaptive] halfwidth must be a number in (0, 0.5), got {hw!r}")
        _need(_is_int(cap) and cap >= reps, where, f"[adaptive] max_replicates must be an integer ≥ replicates "
              f"({reps}), got {cap!r}")
        _need(_is_int(batch) and batch >= 1, where, f"[adaptive] batch must be an integer ≥ 1, got {batch!r}")
        _need(model.headline is not None, where,
              f"[adaptive] needs a model that declares an outcome (OUTCOMES); {spec} declares none")
        adaptive = Adaptive(float(hw), cap, batch)

    outputs_raw = raw.get("outputs", {})
    _need(isinstance(outputs_raw, dict), where, f"[outputs] must be a table, got {outputs_raw!r}")
    outputs = dict(outputs_raw)
    _check_outputs(outputs, checked, model, where, figures)

    return Experiment(
        name=name,
        description=description.strip(),
        source=source,
        base=base,
        design=kind,
        parameters=checked,
        replicates=reps,
        entropy=entropy,
        samples=samples,
        levels=levels,
        target=target,
        calc_second_order=second,
        across=across,
        adaptive=adaptive,
        outputs=outputs,
        model=spec,
        labels=labels,
        tables=tuple(t for t in (figures.tables(outputs) if figures is not None else ()) if model.can_make(t)),
    )


def _check_outputs(outputs: dict[str, Any], design_params: dict[str, list], model, where: str,
                   figures: OutputChecks | None) -> None:
    if figures is not None:
        allowed = _OUTPUT_KEYS | figures.keys
        unknown = set(outputs) - allowed
        _need(not unknown, where, f"[outputs]: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    fmt = outputs.get("format", "parquet")
    fmts = [fmt] if isinstance(fmt, str) else fmt
    _need(isinstance(fmts, list) and fmts and all(f in _FORMATS for f in fmts), where,
          f"[outputs] format must be 'parquet', 'csv' or a list of them, got {fmt!r} (Parquet is always written)")
    step_sample = outputs.get("step_sample", 0)
    _need(_is_int(step_sample) and step_sample >= 0, where,
          f"[outputs] step_sample must be an integer ≥ 0, got {step_sample!r}")
    if step_sample:
        _need(model.can_make("steps"), where, f"[outputs] step_sample: the model {model.spec} returns no step data")
    sp = outputs.get("step_points")
    _need(sp is None or (isinstance(sp, list) and all(_is_int(j) and j >= 0 for j in sp)), where,
          f"[outputs] step_points must be a list of point numbers (integers ≥ 0), got {sp!r}")
    events = outputs.get("events", False)
    _need(isinstance(events, bool), where, f"[outputs] events must be true or false, got {events!r}")
    if events:
        _need(model.can_make("events"), where, f"[outputs] events: the model {model.spec} returns no event log "
              "(its run() takes no 'tables' argument)")
    metrics = outputs.get("metrics", [])
    _need(isinstance(metrics, list) and all(isinstance(m, str) for m in metrics), where,
          f"[outputs] metrics must be a list of summary key names, got {metrics!r}")
    known = set(numeric_keys(model)) | set(model.derived_names)
    bad = [m for m in metrics if model.summary_keys and m not in known]
    _need(not bad, where, f"[outputs] metrics: unknown {bad}; known: {', '.join(sorted(known))}")
    if figures is not None:
        try:  # the figures' keys (x, labels, formats, phase, hysteresis, ...): experiments/figures/
            figures.check(outputs, design_params, model)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{where}: {exc}") from None


def numeric_keys(model: models.ModelInfo | None = None) -> tuple[str, ...]:
    """Numeric summary keys a sensitivity target or a metric may name (the model's SUMMARY_KEYS but its
    categorical outcomes)."""
    model = model or models.info()
    return tuple(k for k in model.summary_keys if k not in model.outcome_keys)


def all_configs() -> list[Path]:
    return sorted(CONFIG_DIR.glob("*.toml"))
