"""Python's arithmetic as the engine copies it (:mod:`sim.engine.arith`): builtin ``sum()`` of floats on this
interpreter (left to right on 3.11, Neumaier-compensated on 3.12), ``min`` and ``max`` of two numbers."""

from __future__ import annotations

import math
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import arith

FLOATS = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.floats(0, 1), st.sampled_from([0.0, -0.0, 1e-300, 1e300]),
                   st.floats(allow_nan=False, allow_infinity=True))


@settings(max_examples=500, deadline=None)
@given(st.lists(FLOATS, max_size=40))
def test_py_sum_is_builtin_sum_bit_for_bit(values):
    got, want = arith.sum_like_python(values), float(sum(values))
    assert (math.isnan(got) and math.isnan(want)) or (got == want and math.copysign(1, got) == math.copysign(1, want))


def test_py_sum_is_the_compensated_sum_on_312_and_the_naive_one_before():
    values = [1e16, 1.0, -1e16]  # 0.0 adding left to right, 1.0 with Neumaier's compensation
    assert sum(values) == (1.0 if sys.version_info >= (3, 12) else 0.0)
    assert arith.sum_like_python(values) == sum(values)


@given(st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_py_min_and_py_max_return_what_python_returns(a, b):
    for fn, py in ((arith.py_min, min), (arith.py_max, max)):
        got, want = fn(a, b), py(a, b)
        assert got == want and math.copysign(1, got) == math.copysign(1, want)
    assert math.copysign(1, arith.py_max(0.0, -0.0)) == 1.0 and math.copysign(1, arith.py_min(-0.0, 0.0)) == -1.0


@given(st.lists(st.floats(-50, 50), min_size=1, max_size=12), st.floats(0, 100), st.floats(0, 1, exclude_max=True))
def test_logit_weights_and_the_walk_are_the_rules(utilities, rationality, draw):
    from sim.rules import logit_weights

    want = logit_weights(utilities, rationality)
    out = np.zeros(len(utilities))
    arith.logit_weights(np.array(utilities), len(utilities), rationality, out)
    assert out.tolist() == want
    acc, pick = 0.0, len(want) - 1
    for i, p in enumerate(want):
        acc += p
        if draw < acc:
            pick = i
            break
    assert arith.choose(out, len(want), draw) == pick
