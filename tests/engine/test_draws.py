"""The facts about NumPy's generator the engine's draws rely on: the reference's draws in blocks are the same
stream as single draws (``random(n)``, ``integers(k, size=n)``: the engine draws them one by one), Numba's
generator methods are NumPy's, and ``rng.choice(n, k, replace=False)`` is Floyd's algorithm or a tail
shuffle with bounded integers (:func:`sim.engine.population.choice`, :func:`sim.population.draw_markets`)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim.engine.population import choice
from sim.population import draw_markets


def _interleaved(block: bool, seed: int):
    """Uniforms, normals and integers, with permutations and bounded integers (which keep half a 64-bit word
    between calls) in between, drawn one by one or in blocks."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(300):
        k = i % 6
        out.append(rng.permutation(i % 9).tolist())
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


@njit(cache=True)
def _compiled_draws(rng, n):
    out = np.empty(7 * n)
    for i in range(n):
        out[7 * i] = rng.random()
        out[7 * i + 1] = rng.standard_normal()
        out[7 * i + 2] = rng.integers(0, 1 + i % 9)
        out[7 * i + 3] = rng.poisson(0.5 + i % 4)
        out[7 * i + 4] = rng.beta(2.0, 1.0 + i % 3)
        p = rng.permutation(i % 7)
        out[7 * i + 5] = p[0] if len(p) else -1.0
        out[7 * i + 6] = rng.integers(0, 1)  # a range of one: no draw
    return out


@pytest.mark.parametrize("seed", [3, 2**33 + 1])
def test_numbas_generator_methods_are_numpys_and_leave_the_same_state(seed):
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    got = _compiled_draws(a, 400).tolist()
    want = [float(x) for x in _numpy_draws_in_compiled_order(b, 400)]
    assert got == want
    assert a.bit_generator.state == b.bit_generator.state


def _numpy_draws_in_compiled_order(rng, n):
    out = []
    for i in range(n):
        out += [rng.random(), rng.standard_normal(), rng.integers(0, 1 + i % 9), rng.poisson(0.5 + i % 4),
                rng.beta(2.0, 1.0 + i % 3)]
        p = rng.permutation(i % 7)
        out += [p[0] if len(p) else -1.0, rng.integers(0, 1)]
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 12, 10_000])
def test_draw_markets_is_choice_without_replacement(n):
    a, b = np.random.default_rng(n), np.random.default_rng(n)
    for k in range(1, min(n, 5) + 1):
        for _ in range(30):
            assert draw_markets(b, n, k) == [int(m) for m in a.choice(n, k, replace=False)]
            assert a.integers(3) == b.integers(3)  # a 32-bit half word left alike
    assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize(("n", "k"), [(1, 1), (7, 3), (60, 18), (10_000, 3_000), (10_001, 200), (10_001, 201),
                                      (50_000, 15_000), (20_000, 20_000)])
def test_the_engines_choice_is_numpys(n, k):
    """Both of NumPy's methods: Floyd's (n ≤ 10,000, or k ≤ n // 50) and the tail shuffle (beyond)."""
    a, b = np.random.default_rng(k), np.random.default_rng(k)
    marks = np.zeros(n + 1, np.bool_)
    for _ in range(3):
        assert choice(b, n, k, marks).tolist() == a.choice(n, k, replace=False).tolist()
        assert a.integers(5) == b.integers(5)
    assert a.bit_generator.state == b.bit_generator.state
    assert not marks.any()


@pytest.mark.parametrize("seed", [0, 5, 2**40 + 1])
def test_the_engines_permutation_is_numpys(seed):
    from sim.engine.arith import permutation

    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    for n in [*range(70), 255, 256, 257, 1000, 65_537]:
        assert permutation(a, n).tolist() == b.permutation(n).tolist()
        assert a.integers(7) == b.integers(7)  # a 32-bit half word left alike
    assert a.bit_generator.state == b.bit_generator.state


@pytest.mark.parametrize("lam", [0.0, 0.5, 2.0, 9.99, 10.0, 12.5, 30.0, 100.0])
def test_the_engines_poisson_is_numpys(lam):
    """Numba's ``Generator.poisson`` is not (from lam = 10, it truncates where NumPy floors): the engine's is."""
    from sim.engine.arith import poisson

    a, b = np.random.default_rng(7), np.random.default_rng(7)
    assert [poisson(a, lam) for _ in range(30_000)] == [b.poisson(lam) for _ in range(30_000)]
    assert a.bit_generator.state == b.bit_generator.state
