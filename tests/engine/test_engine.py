"""The compiled engine against the Mesa reference, and the engine as ``sim.model.run`` uses it.

The reference (``PiggybackModel``, stepped by :mod:`sim.steps.reference`, agents calling :mod:`sim.rules`) is
the readable specification; :mod:`sim.engine` restates it compiled. Here both run the same seeds over random
valid parameter sets and must agree bit for bit after every step (:func:`sim.steps.check.first_difference`:
every contract, every agent's state and its order in the indexes, the summary, the generator's state; at
the end the event log and the timeline), and whole runs must give the same summary and tables. A rule
changed in :mod:`sim.rules` but not in the engine (or the other way round) fails here, and
``tests/engine/test_mirrors.py`` names it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest
from helpers import parameter_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
import sim.engine
from sim import model as sim_model
from sim.engine import api, layout, regime, state, tension
from sim.model import PiggybackModel
from sim.params import defaults
from sim.steps.check import engine_state, first_difference, mesa_state
from sim.vocabulary import PATHS, SUMMARY_KEYS, TIMELINE_STEP

SMALL = {  # kept small enough to step quickly
    "n_mnes": (1, 4),
    "n_markets": (1, 5),
    "n_smes": (1, 50),
    "n_niches": (1, 10),
    "contracts_per_sme": (1, 3),
    "max_steps": (1, 120),
    "burn_in": (0, 40),
    "settle_window": (1, 30),
    "shock_step": (0, 100),
    "coexist_windows": (2, 4),
}
ALL = ("steps", "events", "timeline")


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=repr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=parameter_sets(SMALL, explore_ui=True), seed=st.integers(0, 2**32 - 1))
def test_the_engine_is_the_reference_after_every_step(params, seed):
    assert first_difference(params, seed) is None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=parameter_sets(SMALL, explore_ui=True), seed=st.integers(0, 2**32 - 1))
def test_a_run_gives_the_reference_summary_and_tables(params, seed):
    got = sim.engine.run(params, seed, tables=ALL)
    want = sim_model.run(params, seed, tables=ALL, engine="mesa")
    assert canonical(got) == canonical(want)
    assert list(got) == list(want)  # the same keys in the same order


@pytest.mark.parametrize("params", [{}, {"contracts_per_sme": 1}, {"stop_on_settle": False, "max_steps": 300},
                                    {"initial_quadrant": "Q2", "frustration_threshold": 0.5, "intermediary": 1.0},
                                    {"shock_step": 60, "shock_share": 1.0, "shock_intent": "domestic"}])
def test_default_like_runs_agree_with_types_and_the_generators_last_state(params):
    for seed in (1, 2):
        ref = PiggybackModel(rng=seed, collect_steps=False, **params)
        want = ref.run()
        eng = api.Engine(params, seed)
        got = eng.run()
        assert canonical(got) == canonical(want)
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
        assert eng.rng.bit_generator.state == ref.rng.bit_generator.state


def test_a_larger_population_agrees_step_by_step():
    params = {**defaults(), "n_smes": 240, "n_markets": 16, "contracts_per_sme": 3, "max_steps": 60,
              "stop_on_settle": False, "sme_turnover": 0.02, "sub_turnover": 0.01, "shock_step": 30}
    assert first_difference(params, 5) is None


@pytest.mark.parametrize("rate", [10.0, 37.5])
def test_many_requirements_agree_step_by_step(rate):
    """Poisson draws from 10 on take NumPy's other algorithm (PTRS), which Numba's own Generator gets wrong."""
    params = {**defaults(), "opportunity_rate": rate, "search_rate": 0.9, "max_steps": 150, "stop_on_settle": False}
    assert first_difference(params, 11) is None


def test_the_comparison_can_fail():
    """first_difference's descriptions differ as soon as one side does (a guard against a check that
    always passes): the engine one step ahead, or another seed."""
    ref, eng = PiggybackModel(rng=3, collect_steps=False), api.Engine({}, 3)
    assert json.dumps(mesa_state(ref), default=repr) == json.dumps(engine_state(eng), default=repr)
    eng.step()
    assert json.dumps(mesa_state(ref), default=repr) != json.dumps(engine_state(eng), default=repr)
    ref.step()
    assert json.dumps(mesa_state(ref), default=repr) == json.dumps(engine_state(eng), default=repr)
    assert json.dumps(engine_state(api.Engine({}, 4)), default=repr) != json.dumps(
        engine_state(api.Engine({}, 3)), default=repr)


# -- the engine behind sim.model.run ----------------------------------------------------------------------
def test_sim_run_uses_the_compiled_engine_by_default(monkeypatch):
    calls = []
    monkeypatch.setattr(sim.engine, "run", lambda *a, **k: calls.append(a) or {"from": "engine"})
    assert sim.run({}, 1) == {"from": "engine"} and sim_model.run({}, 1, engine="compiled") == {"from": "engine"}
    assert sim_model.run({"max_steps": 3}, 1, engine="mesa")["steps"] == 3
    assert len(calls) == 2
    with pytest.raises(ValueError, match="engine 'fortran'; valid: compiled, mesa"):
        sim_model.run({}, 1, engine="fortran")


def test_without_numba_sim_run_warns_once_and_runs_the_mesa_model(monkeypatch):
    sim_model.compiled_engine_usable.cache_clear()
    monkeypatch.setattr(sim.engine, "unavailable", lambda: "numba cannot be imported (ImportError: no numba)")
    try:
        with pytest.warns(RuntimeWarning, match=r"compiled engine is unavailable \(numba cannot be imported"):
            got = sim_model.run({"max_steps": 20}, 7)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert sim_model.run({"max_steps": 20}, 7) == got  # one warning per process
        assert canonical(got) == canonical(sim_model.run({"max_steps": 20}, 7, engine="mesa"))
    finally:
        monkeypatch.undo()
        sim_model.compiled_engine_usable.cache_clear()
    assert sim_model.compiled_engine_usable()


def test_non_integer_seeds_give_mesas_generator_and_no_seed_in_the_summary():
    seed = np.random.SeedSequence(12345)
    got = sim.engine.run({"max_steps": 40}, seed)
    want = sim_model.run({"max_steps": 40}, seed, engine="mesa")
    assert got["seed"] is None and canonical(got) == canonical(want)
    assert sim.engine.run({"max_steps": 40}, np.int64(9)) == sim.engine.run({"max_steps": 40}, 9)


def test_a_full_event_log_grows(monkeypatch):
    want = sim.engine.run({"initial_quadrant": "Q4"}, 10, tables=("events",))
    monkeypatch.setattr(state, "events_capacity", lambda Q: 3)
    got = sim.engine.run({"initial_quadrant": "Q4"}, 10, tables=("events",))
    assert len(got["tables"]["events"]) > 100 and canonical(got) == canonical(want)
    eng = api.Engine({"initial_quadrant": "Q4"}, 10, events=1)
    eng.run()
    assert eng.tables(("events",))["events"] == want["tables"]["events"]


def test_unknown_tables_are_refused_as_by_the_model():
    with pytest.raises(ValueError, match=r"unknown table\(s\) \['nope'\]"):
        sim.engine.run({}, 1, tables=("nope",))


def test_the_cli_runs_either_engine_with_the_same_summary():
    out = {}
    for engine in ("compiled", "mesa"):
        proc = subprocess.run([sys.executable, "-m", "sim", "--seed", "3", "--set", "n_smes=20", "--max-steps", "50",
                               "--engine", engine, "--json"], capture_output=True, text=True, check=True)
        out[engine] = json.loads(proc.stdout)
    assert out["compiled"] == out["mesa"] and out["mesa"]["steps"] == 50


# -- what the engine hard-codes, checked against what it restates ----------------------------------------
def test_the_engines_constants_are_the_models():
    from sim.population import BELOW_HALF
    from sim.rules.evl import MATURITY_STEPS

    assert {k: layout.PATHS[k] for k in PATHS} == {k: "ABCD".index(v) for k, v in PATHS.items()}
    assert regime.TIMELINE_STEP == TIMELINE_STEP and tension.MATURITY_STEPS == MATURITY_STEPS
    from sim.engine import population

    assert population.BELOW_HALF == BELOW_HALF
    assert set(SUMMARY_KEYS) <= set(api.run({"max_steps": 2}, 1))
    assert layout.REGIME_WORDS[: 5] == ("Q1", "Q2", "Q3", "Q4", "mixed")


SPLIT, DOMINANT = [0.6, 0.05, 0.3, 0.05], [0.8, 0.15, 0.05, 0.0]


@pytest.mark.parametrize(("rows", "share", "side", "contested"), [
    ([SPLIT] * 4, 0.2, 0, False),  # a split after two windows: not yet resolved, never Q1 (Q1 holds half)
    ([SPLIT] * 6, 0.2, 0, False),  # after three: coexistence
    ([SPLIT] * 6, 0.35, 0, False),  # Q3 below coexist_share: not a split, so Q1
    ([SPLIT] * 6, 0.2, 5, False),  # a side changed within the last three windows: unresolved
    ([[0.6, 0.4, 0, 0]] * 2 + [SPLIT] * 4, 0.2, 0, False),  # windows that disagree: unresolved
    ([DOMINANT] * 4, 0.2, 0, False),  # Q1
    ([DOMINANT] * 4, 0.2, 0, True),  # ... unless a subsidiary is contested
])
def test_the_long_run_regime_is_the_references_on_a_split(rows, share, side, contested):
    """§13.3 with the coexistence precedence: the engine's ``long_run_regime`` and the reference's on the same
    synthetic share history (windows of 2 steps, 100 contracts a step), subsidiary states and side changes."""
    from sim.regime import CONTESTED, RegimeObserver, long_run_regime

    p = {**defaults(), "settle_window": 2, "settle_tolerance": 0.05, "settle_z": 0.0, "regime_z": 0.0,
         "dominance": 0.5, "burn_in": 0, "coexist_windows": 3, "coexist_share": share}
    e = api.Engine(p, 1)
    o = RegimeObserver(burn_in=0, window=2, tolerance=0.05, z=0.0, dominance=0.5, capacity=50, regime_z=0.0)
    for shares in rows:
        o.record(shares, 100)
    n = len(rows)
    e.state.obs.cum[: n + 1] = o.cum[: n + 1]
    e.state.rec.C[layout.C_OBS_N], e.state.rec.C[layout.C_OBS_START] = n, 0
    states = e.state.obs.states
    states[:] = [(0, 2)[i % 2] for i in range(len(states))]
    if contested:
        states[0] = CONTESTED
    sides = e.state.subs.side_step
    sides[:] = 0
    sides[0] = side
    want = long_run_regime(o, states.copy(), sides.tolist(), n, 3, share)
    got = regime.long_run_regime(e.ref, e.P, e.Q, n)
    assert (layout.REGIME_WORDS[got] if got >= 0 else None) == want


@pytest.mark.parametrize("seed", range(4))
def test_the_confirmation_model_gives_the_mesa_models_answer(seed):
    """``sim.confirmation:run`` by the compiled engine (one run to twice the horizon) against
    :func:`sim.patterns.confirm` (the Mesa model run on past its ``max_steps``): the same record."""
    from sim import confirmation
    from sim.patterns import confirm

    params = {"n_smes": 30, "max_steps": 120, "burn_in": 20, "settle_window": 20, "initial_quadrant": "Q1"}
    got = confirmation.run(params, seed)
    want = confirm(params, seed)
    assert (got["regime"], got["regime_step"], got["final_at_twice"]) == (
        want["regime"], want["regime_step"], want["final_at_twice"])
