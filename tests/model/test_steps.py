"""The two schedules: the fast step (:mod:`sim.steps.fast`) against the reference step
(:mod:`sim.steps.reference`), in which agents call :mod:`sim.rules`; and the mirror map
(:mod:`sim.steps.mirrors`) that keeps them together.

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

from sim.model import PiggybackModel
from sim.population import draw_markets
from sim.steps import fast, mirrors
from sim.steps.check import first_difference

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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    params=parameter_sets(SMALL, explore_ui=True),
    seed=st.integers(0, 2**32 - 1),
    button=st.one_of(st.none(), st.integers(1, 60)),
)
def test_fast_step_is_the_reference_step_bit_for_bit(params, seed, button):
    assert first_difference(params, seed, shock_at=button) is None


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
    changed = mirrors.changed()
    assert not changed, (
        "; ".join(changed) + ": make sim/steps/fast.py agree (the tests in this file compare the two step by step), "
        "then run `python tools/refresh_identity.py`"
    )
    assert mirrors.current() and not PiggybackModel(rng=1).reference


def test_every_entry_names_functions_the_fast_step_has():
    for entry, where in mirrors.RESTATED.items():
        assert callable(mirrors.resolve(entry)), entry
        assert where and all(callable(getattr(fast, fn, None)) for fn in where), (entry, where)
    assert set(mirrors.recorded()) == set(mirrors.RESTATED)


def test_a_changed_rule_is_named_with_where_it_is_restated(monkeypatch):
    record = {**mirrors.recorded(), "sim.rules.trust:trust_update": "0" * 64}  # as if the rule had been edited
    monkeypatch.setattr(mirrors, "recorded", lambda: record)
    assert mirrors.changed() == [
        "sim.rules.trust.trust_update changed; restated in sim/steps/fast.py:_contracts"
    ]
    mirrors.current.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match=r"sim\.rules\.trust\.trust_update changed; restated in "
                                                r"sim/steps/fast\.py:_contracts"):
            model = PiggybackModel(rng=1, stop_on_settle=False, max_steps=30)
        assert model.reference
        model.run()
        assert model.steps == 30
    finally:
        monkeypatch.undo()
        mirrors.current.cache_clear()
    assert not PiggybackModel(rng=1).reference


def test_a_renamed_local_in_a_rule_changes_its_hash_but_a_docstring_or_comment_does_not():
    rule = 'def rule(x):\n    """One doc."""\n    y = x + 1  # why\n    return y\n'
    redocumented = 'def rule(x):\n    """Another doc."""\n    y = x + 1\n    return y\n'
    renamed = 'def rule(x):\n    """One doc."""\n    z = x + 1  # why\n    return z\n'
    h = mirrors.source_hash
    assert h(rule) == h(redocumented)
    assert h(rule) != h(renamed)
