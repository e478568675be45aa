"""The fast step (:mod:`sim.fast`) against the reference step, in which agents call :mod:`sim.rules`.

The reference mode (``PiggybackModel(reference=True)``) is the readable specification: every
equation of MODEL.md §7 is a function of :mod:`sim.rules`, called by an agent. The fast step
inlines the hot ones. Here both run the same seeds over random valid parameter sets, and must
agree bit for bit after every step: every contract's state, every agent's intent, the summary,
the event log and the generator's state. A rule changed in :mod:`sim.rules` but not in the fast
step (or the other way round) fails here.

Also here: the facts about NumPy's generator the fast step relies on to draw in blocks.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import parameter_sets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import fast
from sim.model import PiggybackModel
from sim.population import draw_markets

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
}


def _state(model: PiggybackModel) -> str:
    """Everything the model holds that the dynamics touch, as text (floats by repr)."""
    contracts = [
        (c.uid, c.sme.unique_id, c.sub.unique_id, c.trust_sme, c.trust_sub, c.communication, c.effort, c.age,
         c.frustration_sme, c.frustration_sub, c.sales, c.value, c.quadrant, c.sale_step, c.exit_origin)
        for c in model.book.active.values()
    ]
    subs = [(s.unique_id, s.exploration, s.lof, sorted(s.open_niches), sorted(s.shunned), s.moved_by, s.moved_step,
             s.last_action, s.last_action_step) for s in model.subsidiaries]
    smes = [(s.unique_id, s.ambition, s.capability, sorted(s.knowledge.items()), sorted(s.shunned), s.moved_by,
             s.moved_step, s.last_action, s.last_action_step) for s in model.smes]
    bits = model.rng.bit_generator.state
    return json.dumps([contracts, subs, smes, model.summary(), bits["state"], bits["has_uint32"], bits["uinteger"]],
                      default=repr)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=parameter_sets(SMALL, explore_ui=True),
    seed=st.integers(0, 2**32 - 1),
    button=st.one_of(st.none(), st.integers(1, 60)),
)
def test_fast_step_is_the_reference_step_bit_for_bit(params, seed, button):
    ref = PiggybackModel(rng=seed, reference=True, record_events=True, **params)
    new = PiggybackModel(rng=seed, record_events=True, **params)
    assert not new.reference
    while ref.running:
        if ref.steps == button:  # the dashboard's shock button, between steps
            assert ref.shock(0.5, "mixed") == new.shock(0.5, "mixed")
        ref.step()
        new.step()
        assert _state(new) == _state(ref), f"differs after step {ref.steps}"
    assert not new.running
    assert json.dumps(new.events.columns, default=repr) == json.dumps(ref.events.columns, default=repr)
    rows = (m.datacollector.get_model_vars_dataframe().to_json() for m in (ref, new))
    assert next(rows) == next(rows)


@pytest.mark.parametrize("params", [{}, {"contracts_per_sme": 2}, {"value_cv_q1": 0.0, "value_q3": 0.0},
                                    {"initial_quadrant": "Q2", "frustration_threshold": 0.5, "intermediary": 1.0}])
def test_fast_and_reference_runs_give_the_same_summary(params):
    for seed in (1, 2):
        ref = PiggybackModel(rng=seed, collect_steps=False, reference=True, **params).run()
        new = PiggybackModel(rng=seed, collect_steps=False, **params).run()
        assert json.dumps(new, default=repr) == json.dumps(ref, default=repr)


# -- what the block draws rely on ------------------------------------------------------------------
def _interleaved(block: bool, seed: int):
    """Uniforms, normals and integers, with shuffles and bounded integers (which keep half a 64-bit word
    between calls) in between, drawn one by one or in blocks."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(300):
        k = i % 6
        order = list(range(i % 9))
        rng.shuffle(order)
        out.append(order)
        if block:
            out.append(rng.random(k).tolist())
            out.append(rng.standard_normal(k).tolist())
            out.append(rng.integers(8, size=k).tolist())
        else:
            out.append([rng.random() for _ in range(k)])
            out.append([rng.standard_normal() for _ in range(k)])
            out.append([int(rng.integers(8)) for _ in range(k)])
    return out, rng.bit_generator.state


@pytest.mark.parametrize("seed", [0, 1, 2**40 + 7])
def test_blocks_of_draws_are_the_same_stream_as_single_draws(seed):
    assert _interleaved(True, seed) == _interleaved(False, seed)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 12, 55, 60, 257])
def test_shuffling_a_copy_is_indexing_by_a_permutation(n):
    items = [object() for _ in range(n)]
    a, b = np.random.default_rng(n), np.random.default_rng(n)
    for _ in range(50):
        by_permutation = [items[i] for i in a.permutation(n).tolist()]
        copy = items[:]
        b.shuffle(copy)
        assert copy == by_permutation
        assert a.random() == b.random()  # and the same draws taken: the streams continue alike
    assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 12, 10_001])
def test_draw_markets_is_choice_without_replacement(n):
    a, b = np.random.default_rng(n), np.random.default_rng(n)
    for k in range(1, min(n, 5) + 1):
        for _ in range(30):
            assert draw_markets(b, n, k) == [int(m) for m in a.choice(n, k, replace=False)]
            assert a.integers(3) == b.integers(3)  # a 32-bit half word left alike
    assert a.bit_generator.state == b.bit_generator.state


def test_a_block_larger_than_what_is_taken_is_an_error():
    uniform = fast.Uniforms(np.random.default_rng(1), 3)
    uniform()
    with pytest.raises(RuntimeError, match="drew 3 uniforms in a block but took 1"):
        uniform.check()
    for _ in range(5):  # past the block it draws one by one
        uniform()
    uniform.check()


# -- a changed rule is never silently ignored ------------------------------------------------------
def test_the_fast_step_was_checked_against_the_reference_as_it_is():
    assert fast.fingerprint() == fast.FINGERPRINT, (
        "a rule or reference stage that sim/fast.py restates has changed (sim.fast.mirrored()): make sim/fast.py "
        "agree (the tests in this file compare the two step by step), then set "
        f"sim.fast.FINGERPRINT = {fast.fingerprint()!r}"
    )
    assert fast.current() and not PiggybackModel(rng=1).reference


def test_a_changed_rule_makes_the_model_run_the_reference_step(monkeypatch):
    monkeypatch.setattr(fast, "FINGERPRINT", "0" * 64)  # as if a rule had been edited since
    fast.current.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="runs the reference step instead"):
            model = PiggybackModel(rng=1, stop_on_settle=False, max_steps=30)
        assert model.reference
        model.run()
        assert model.steps == 30
    finally:
        monkeypatch.undo()
        fast.current.cache_clear()
    assert not PiggybackModel(rng=1).reference
