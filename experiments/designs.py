"""Design generation: the list of parameter points an experiment visits, and the run seeds.

``grid`` and ``oat`` are plain combinatorics; ``lhs``, ``sobol`` and ``morris`` use SALib's
samplers (so that SALib's analysers can read the same sample matrix back). Every random
choice here is drawn from the experiment's root entropy, so a design is reproducible
from its definition alone.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.config import Experiment
from sim.params import PARAMS

# spawn_key of the design sampler's seed: one element long, so it can never equal a run's (point, replicate)
_DESIGN_SPAWN_KEY = (0x5A11B,)


@dataclass
class Design:
    """The points of an experiment (parameter overrides on top of its base), in a fixed order."""

    points: list[dict[str, Any]]
    names: list[str]  # the design parameters, in definition order
    problem: dict[str, Any] | None = None  # SALib problem for lhs/sobol/morris
    X: np.ndarray | None = None  # SALib sample matrix (rows = points), before rounding of ints


def run_seed(entropy: int, point: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` at design point ``point``: a child of ``SeedSequence(entropy)``.

    Derived from (point, replicate) alone, never from submission order, so a run has the same seed
    whatever the executor, the number of workers or the order in which runs complete or resume.
    63 bits: fits a signed 64-bit CSV column everywhere.
    """
    ss = np.random.SeedSequence(entropy=entropy, spawn_key=(point, replicate))
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def design_seed(entropy: int) -> int:
    return int(np.random.SeedSequence(entropy=entropy, spawn_key=_DESIGN_SPAWN_KEY).generate_state(1)[0])


def base_value(exp: Experiment, name: str) -> Any:
    return exp.base.get(name, PARAMS[name].default)


def make(exp: Experiment) -> Design:
    """Generate the design of a validated experiment (its ``entropy`` must be set)."""
    if exp.entropy is None:
        raise ValueError("experiment entropy must be set before generating a design")
    names = list(exp.parameters)
    if exp.design == "grid":
        combos = itertools.product(*(exp.parameters[n] for n in names))
        return Design([dict(zip(names, c)) for c in combos], names)
    if exp.design == "oat":
        # the base point once, then each parameter alone at each of its values that differs from the base
        points = [{n: base_value(exp, n) for n in names}]
        for n in names:
            for v in exp.parameters[n]:
                if v != base_value(exp, n):
                    points.append({**points[0], n: v})
        return Design(points, names)

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
    points = [{n: _cast(n, x) for n, x in zip(names, row)} for row in X]
    return Design(points, names, problem, X)


def _cast(name: str, x: float) -> Any:
    """Sampler output to the parameter's type (integers rounded), clipped to its valid range."""
    p = PARAMS[name]
    if p.kind == "int":
        return int(min(max(round(float(x)), p.low), p.high))
    return float(min(max(float(x), p.low), p.high))
