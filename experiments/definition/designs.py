"""Design generation: the parameter points an experiment visits (their seeds: :mod:`experiments.definition.seeds`).

``grid`` and ``oat`` are plain combinatorics, ``points`` a list (:mod:`experiments.definition.points`);
``lhs``, ``sobol`` and ``morris`` use SALib's
samplers (so that SALib's analysers can read the same sample matrix back). Every random
choice here is drawn from the experiment's root entropy, so a design is reproducible
from its definition alone.

Bounded: :func:`size` counts points and runs from the definition alone, before anything is
allocated, and :func:`check_size` stops a design above the cap (:data:`MAX_RUNS`, or ``--max-runs``).
Lazy: a grid's point ``j`` is decoded from ``j`` (mixed radix) when asked for, so a grid costs no
memory per point; sampled designs keep only SALib's sample matrix (8 bytes per parameter per point).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.definition import points as listed
from experiments.definition.config import ConfigError
from experiments.definition.experiment import Experiment
from experiments.definition.seeds import design_seed

MAX_RUNS = 2_000_000  # default cap on the runs of one experiment (about a day of the default model on 2 cores)


class DesignTooLarge(ConfigError):
    """The design has more runs than the cap; the message gives both."""


class Points(Sequence):
    """The points of a design, computed on demand (a ``Sequence`` of parameter dicts)."""

    def __init__(self, n: int, get) -> None:
        self._n, self._get = n, get

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self._get(i) for i in range(*j.indices(self._n))]
        if j < 0:
            j += self._n
        if not 0 <= j < self._n:
            raise IndexError(j)
        return self._get(j)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __repr__(self) -> str:
        return f"Points(n={self._n})"


@dataclass
class Design:
    """The points of an experiment (parameter overrides on top of its base), in a fixed order."""

    points: Sequence[dict[str, Any]]
    names: list[str]  # the design parameters, in definition order
    problem: dict[str, Any] | None = None  # SALib problem for lhs/sobol/morris
    X: np.ndarray | None = None  # SALib sample matrix (rows = points), before rounding of ints
    labels: dict[str, list] = field(default_factory=dict)  # points: label columns (not parameters), per point


def base_value(exp: Experiment, name: str) -> Any:
    return exp.base.get(name, exp.model_info.params[name].default)


def _oat_points(exp: Experiment) -> list[dict[str, Any]]:
    # the base point once, then each parameter alone at each of its values that differs from the base
    names = list(exp.parameters)
    points = [{n: base_value(exp, n) for n in names}]
    for n in names:
        for v in exp.parameters[n]:
            if v != base_value(exp, n):
                points.append({**points[0], n: v})
    return points


def n_points(exp: Experiment) -> int:
    """Number of design points, from the definition alone (nothing is generated)."""
    d = len(exp.parameters)
    crossed = math.prod(len(v) for v in exp.across.values())
    if exp.design == "grid":
        return math.prod(len(v) for v in exp.parameters.values())
    if exp.design == "points":
        return listed.size(exp.parameters, exp.labels)
    if exp.design == "oat":
        return crossed * (1 + sum(sum(v != base_value(exp, n) for v in vals) for n, vals in exp.parameters.items()))
    if exp.design == "lhs":
        return crossed * exp.samples
    if exp.design == "sobol":
        return exp.samples * ((2 * d + 2) if exp.calc_second_order else (d + 2))
    return exp.samples * (d + 1)  # morris


def size(exp: Experiment) -> tuple[int, int]:
    """(points, most runs): with adaptive replicates, runs counts every point at its cap."""
    pts = n_points(exp)
    reps = exp.adaptive.max_replicates if exp.adaptive else exp.replicates
    return pts, pts * reps


def check_size(exp: Experiment, max_runs: int = MAX_RUNS) -> tuple[int, int]:
    """Stop at once, naming the size and the cap, if the design would exceed ``max_runs`` runs."""
    pts, runs = size(exp)
    if runs > max_runs:
        reps = f"{exp.adaptive.max_replicates} (adaptive cap)" if exp.adaptive else str(exp.replicates)
        raise DesignTooLarge(
            f"{exp.source or exp.name}: the design has {pts:,} points × {reps} replicates = {runs:,} runs, above "
            f"the cap of {max_runs:,}; reduce it, or raise the cap with --max-runs N"
        )
    sp = exp.outputs.get("step_points")
    if sp is not None and any(j >= pts for j in sp):
        raise ConfigError(f"{exp.source or exp.name}: [outputs] step_points {sp} name points beyond the "
                          f"design's {pts} (0..{pts - 1})")
    return pts, runs


def make(exp: Experiment, max_runs: int = MAX_RUNS) -> Design:
    """Generate the design of a validated experiment (its ``entropy`` must be set); check its size first."""
    if exp.entropy is None:
        raise ValueError("experiment entropy must be set before generating a design")
    check_size(exp, max_runs)
    names = list(exp.parameters)
    if exp.design == "grid":
        values = [exp.parameters[n] for n in names]
        radices = [len(v) for v in values]
        total = math.prod(radices)

        def grid_point(j: int) -> dict[str, Any]:  # itertools.product order: the last name varies fastest
            out = {}
            for name, vals, base in zip(reversed(names), reversed(values), reversed(radices)):
                j, k = divmod(j, base)
                out[name] = vals[k]
            return {n: out[n] for n in names}

        return Design(Points(total, grid_point), names)
    if exp.design == "oat":
        pts = _oat_points(exp)
        return _across(exp, Design(Points(len(pts), pts.__getitem__), names))
    if exp.design == "points":
        return Design(Points(n_points(exp), lambda j: listed.point(exp.parameters, j)), names,
                      labels={k: list(v) for k, v in exp.labels.items()})

    problem = {"num_vars": len(names), "names": names, "bounds": [list(map(float, exp.parameters[n])) for n in names]}
    seed = design_seed(exp.entropy)
    if exp.design == "lhs":
        from SALib.sample import latin

        X = latin.sample(problem, exp.samples, seed=seed)
    elif exp.design == "sobol":
        from SALib.sample import sobol

        X = sobol.sample(problem, exp.samples, calc_second_order=exp.calc_second_order, seed=seed)
    else:  # morris
        from SALib.sample import morris

        X = morris.sample(problem, exp.samples, num_levels=exp.levels, seed=seed)
    table = exp.model_info.params

    def sampled_point(j: int) -> dict[str, Any]:
        return {n: _cast(table[n], x) for n, x in zip(names, X[j])}

    return _across(exp, Design(Points(len(X), sampled_point), names, problem, X))


def _across(exp: Experiment, design: Design) -> Design:
    """Every point of ``design`` at each combination of the ``across`` values (they vary fastest):
    point j is base point j // k at combination j % k. The SALib matrix keeps the base points."""
    if not exp.across:
        return design
    combos = [dict(zip(exp.across, c)) for c in itertools.product(*exp.across.values())]
    k, base = len(combos), design.points
    points = Points(len(base) * k, lambda j: {**base[j // k], **combos[j % k]})
    return Design(points, [*design.names, *exp.across], design.problem, design.X)


def _cast(p, x: float) -> Any:
    """Sampler output to the parameter's type (integers rounded), clipped to its valid range."""
    if p.kind == "int":
        return int(min(max(round(float(x)), p.low), p.high))
    return float(min(max(float(x), p.low), p.high))


def check_points(exp: Experiment, design: Design, limit: int = 100_000) -> None:
    """Validate design points against the model's cross-parameter rules (values are checked already).

    Up to ``limit`` points are checked here, before anything runs; a larger design's points are checked
    by the worker that runs them (a bad one is then a recorded failure, not a crash).
    """
    validate = exp.model_info.validate
    for j in itertools.islice(range(len(design.points)), limit):
        try:
            validate({**exp.base, **design.points[j]})
        except ValueError as exc:
            raise ConfigError(f"{exp.source or exp.name}: design point {j}: {exc}") from None
