"""Experiment definitions: designs (grid, one at a time, sampled, crossed), validation against the parameter
table, the shipped definitions, and the seeding rule."""

from __future__ import annotations

import numpy as np
import pytest
from support import TINY_BASE

from experiments import pipeline
from experiments.definition import config, designs
from experiments.definition.experiment import Experiment
from experiments.definition.seeds import run_seed
from sim.params import PARAMS


def _exp(design: str, parameters: dict, **kw) -> Experiment:
    raw = {"name": "d", "entropy": 7, "base": dict(TINY_BASE),
           "design": {"type": design, "parameters": parameters, **kw}}
    return pipeline.experiment(raw)


def test_grid_is_the_full_factorial_in_definition_order():
    d = designs.make(_exp("grid", {"voice_cost": [0.1, 1.0, 2.0], "platform": [False, True]}))
    assert len(d.points) == 6
    assert d.points[0] == {"voice_cost": 0.1, "platform": False}
    assert d.points[1] == {"voice_cost": 0.1, "platform": True}
    assert {(p["voice_cost"], p["platform"]) for p in d.points} == {
        (v, b) for v in (0.1, 1.0, 2.0) for b in (False, True)
    }


def test_oat_varies_one_parameter_at_a_time_around_the_base():
    vc = PARAMS["voice_cost"].default
    exp = _exp("oat", {"voice_cost": [0.05, vc, 2.0], "n_mnes": [1, 3, 5]})
    d = designs.make(exp)
    base = d.points[0]
    assert base == {"voice_cost": vc, "n_mnes": 3}  # the defaults: each base value appears once
    assert len(d.points) == 1 + 2 + 2
    for p in d.points[1:]:
        assert sum(p[k] != base[k] for k in base) == 1


def test_across_runs_every_point_of_an_oat_or_lhs_design_at_each_listed_value():
    starts = ["Q1", "Q2", "Q3"]
    oat = designs.make(_exp("oat", {"n_mnes": [1, 3, 5]}, across={"initial_quadrant": starts}))
    assert oat.names == ["n_mnes", "initial_quadrant"] and len(oat.points) == 3 * 3
    assert [p["initial_quadrant"] for p in oat.points[:3]] == starts  # the across values vary fastest
    assert [p["n_mnes"] for p in oat.points[::3]] == [3, 1, 5]
    lhs = designs.make(_exp("lhs", {"ecosystem": [0.0, 1.0]}, samples=4, across={"initial_quadrant": starts}))
    assert len(lhs.points) == 12 and len({p["ecosystem"] for p in lhs.points}) == 4
    crossed = _exp("lhs", {"ecosystem": [0.0, 1.0]}, samples=4, across={"initial_quadrant": starts})
    assert designs.n_points(crossed) == 12
    with pytest.raises(config.ConfigError, match="across"):
        _exp("grid", {"ecosystem": [0.0, 1.0]}, across={"initial_quadrant": starts})
    with pytest.raises(config.ConfigError, match="initial_quadrant"):
        _exp("oat", {"n_mnes": [1, 3]}, across={"initial_quadrant": ["Q9"]})


@pytest.mark.parametrize("kind, samples, expected", [("lhs", 12, 12), ("sobol", 8, 8 * (3 + 2)), ("morris", 4, 4 * 4)])
def test_sampled_designs_stay_in_range_and_are_reproducible(kind, samples, expected):
    params = {"voice_cost": [0.05, 2.0], "ecosystem": [0.0, 1.0], "n_mnes": [1, 6]}
    d1 = designs.make(_exp(kind, params, samples=samples))
    d2 = designs.make(_exp(kind, params, samples=samples))
    assert len(d1.points) == expected and d1.points == d2.points
    for p in d1.points:
        assert 0.05 <= p["voice_cost"] <= 2.0 and 0.0 <= p["ecosystem"] <= 1.0
        assert isinstance(p["n_mnes"], int) and 1 <= p["n_mnes"] <= 6
    if kind == "lhs":  # one sample in each of the n strata of every dimension
        strata = np.floor((np.array([p["ecosystem"] for p in d1.points])) * samples).astype(int)
        assert sorted(strata) == list(range(samples))


@pytest.mark.parametrize(
    "parameters, message",
    [
        ({"no_such_param": [1, 2]}, "unknown parameter"),
        ({"voice_cost": [0.1, 99.0]}, "voice_cost"),
        ({"initial_quadrant": ["Q5"]}, "initial_quadrant"),
    ],
)
def test_design_parameters_are_validated_against_the_table(parameters, message):
    with pytest.raises(config.ConfigError, match=message):
        _exp("grid", parameters)


def test_ranges_need_numeric_parameters_and_low_below_high():
    with pytest.raises(config.ConfigError, match="numeric"):
        _exp("lhs", {"platform": [0, 1]}, samples=4)
    with pytest.raises(config.ConfigError, match="low < high"):
        _exp("lhs", {"ecosystem": [1.0, 0.0]}, samples=4)
    with pytest.raises(config.ConfigError, match="power of 2"):
        _exp("sobol", {"ecosystem": [0.0, 1.0]}, samples=6)


def test_shipped_experiments_are_valid():
    import tomllib

    for path in config.all_configs():
        exp = pipeline.experiment(str(path))
        assert exp.entropy is not None, f"{path.name}: shipped experiments fix their root entropy"
        designs.make(exp)
        raw = tomllib.loads(path.read_text())
        restated = {k: v for k, v in {**raw.get("base", {}), **({"max_steps": raw["max_steps"]} if "max_steps" in raw
                                                                  else {})}.items()
                    if k in exp.model_info.params and v == exp.model_info.params[k].default}
        assert not restated, f"{path.name} restates defaults {restated}: let the model's defaults apply"
        # the figures' model tables: the timeline of every run wherever the model can make one
        assert exp.tables == (("timeline",) if exp.model_info.can_make("timeline") else ()), path.name


# ------------------------------------------------------------------------------------------- points
def _points(points: list, **kw) -> Experiment:
    return pipeline.experiment({"name": "pts", "entropy": 7, "base": {"n_smes": 30, **kw.pop("base", {})},
                                "design": {"type": "points", "points": points, **kw}})


def test_a_points_design_lists_its_points_with_labels_that_are_not_parameters():
    exp = _points([{"source": "starts", "initial_quadrant": "Q1"},
                   {"source": "evl", "voice_cost": 2.0, "exit_cost": 0.5},
                   {"initial_quadrant": "Q3", "n_smes": 60}])
    d = designs.make(exp)
    assert d.names == ["initial_quadrant", "voice_cost", "exit_cost", "n_smes"] and len(d.points) == 3
    vc, ec, q = (PARAMS[n].default for n in ("voice_cost", "exit_cost", "initial_quadrant"))
    # a parameter a point does not name takes its base value: [base], else the model's default
    assert d.points[0] == {"initial_quadrant": "Q1", "voice_cost": vc, "exit_cost": ec, "n_smes": 30}
    assert d.points[1] == {"initial_quadrant": q, "voice_cost": 2.0, "exit_cost": 0.5, "n_smes": 30}
    assert d.points[2]["n_smes"] == 60 and designs.n_points(exp) == 3
    assert d.labels == {"source": ["starts", "evl", ""]} and "source" not in d.points[0]
    # the points are the definition (a new point is a new run set); the labels are not
    again = _points([{"source": "other", "initial_quadrant": "Q1"},
                     {"source": "x", "voice_cost": 2.0, "exit_cost": 0.5}, {"initial_quadrant": "Q3", "n_smes": 60}])
    moved = _points([{"initial_quadrant": "Q2"}, {"voice_cost": 2.0, "exit_cost": 0.5},
                     {"initial_quadrant": "Q3", "n_smes": 60}])
    assert again.design_key() == exp.design_key() != moved.design_key()
    from experiments.definition.experiment import from_manifest

    back = from_manifest(exp.to_dict())
    assert back.labels == exp.labels and designs.make(back).points == d.points


@pytest.mark.parametrize("points, extra, message", [
    ([], {}, "non-empty list"),
    ([{"no_such": 1}], {}, "point 0: unknown parameter 'no_such'"),
    ([{"voice_cost": 0.1}, {"voice_cost": 99.0}], {}, "point 1: .*voice_cost"),
    ([{"source": 3, "voice_cost": 0.1}], {}, "source must be a string"),
    ([{"voice_cost": 0.1}], {"parameters": {"voice_cost": [0.1]}}, r"not \[design.parameters\]"),
    ([{"contracts_per_sme": 5, "n_markets": 2}], {}, "design point 0: .*contracts_per_sme"),
])
def test_a_points_design_is_validated_like_any_other(points, extra, message):
    with pytest.raises(config.ConfigError, match=message):
        exp = _points(points, **extra)
        pipeline.plan(exp, "/nonexistent/never-written")


def test_points_belong_to_a_points_design_and_the_target_defaults_to_the_models_outcome():
    with pytest.raises(config.ConfigError, match="belong to a points design"):
        _exp("grid", {"voice_cost": [0.1]}, points=[{"voice_cost": 0.1}])
    conf = pipeline.experiment({"name": "c", "model": "sim.confirmation:run", "entropy": 1,
                                "design": {"type": "points", "points": [{"initial_quadrant": "Q1"}]}})
    assert conf.target == "agree" and conf.tables == ()  # its run() makes no tables
    assert pipeline.experiment({"name": "g", "design": {"type": "grid", "parameters": {"voice_cost": [0.1]}},
                                "outputs": {"regime_time": False}}).tables == ()


# ------------------------------------------------------------------------------------------- seeding
def test_run_seeds_depend_only_on_entropy_point_and_replicate():
    seeds = {run_seed(42, j, r) for j in range(20) for r in range(20)}
    assert len(seeds) == 400
    assert run_seed(42, 3, 5) == run_seed(42, 3, 5) != run_seed(43, 3, 5)
    assert all(0 <= s < 2**63 for s in seeds)
