"""Python's and NumPy's own arithmetic where the reference relies on it, compiled: builtin ``sum()`` of floats,
``min`` and ``max`` of two numbers, the multinomial logit (MODEL.md §7.2, §7.7), and the two draws Numba
does not give as NumPy does, or gives slowly: ``rng.permutation`` (the random order within a stage, §3) and
``rng.poisson`` (requirements, §7.1).

The engine must give the reference's floats bit for bit, so it copies how CPython computes them, not what
they mean:

- ``sum(list_of_floats)`` starts from the integer 0, so the first float is added to 0.0, then Python 3.11
  adds left to right, while Python ≥ 3.12 (CPython's ``builtin_sum_impl``) keeps a Neumaier compensation
  ``c`` beside the running sum and adds it at the end, only if it is nonzero and finite. :data:`py_sum` is
  the one of this interpreter, chosen at import (the compiled cache is kept per interpreter too).
- ``max(a, b)`` returns ``b`` only if ``b > a`` (the first of equals), ``min(a, b)`` returns ``b`` only if
  ``b < a``: what matters for ``-0.0`` and for ties.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from sim.engine.jit import jit


@jit
def py_max(a, b):
    """Python's ``max(a, b)`` of two numbers: ``b`` only if it is greater, else ``a``."""
    return b if b > a else a


@jit
def py_min(a, b):
    """Python's ``min(a, b)`` of two numbers: ``b`` only if it is smaller, else ``a``."""
    return b if b < a else a


@jit
def _sum_left_to_right(xs, n):
    """CPython ≤ 3.11 ``sum()`` of the first ``n`` floats of ``xs``: 0 + x0 + x1 + ... in order."""
    total = 0.0
    for i in range(n):
        total += xs[i]
    return total


@jit
def _sum_neumaier(xs, n):
    """CPython ≥ 3.12 ``sum()`` of the first ``n`` floats of ``xs`` (``builtin_sum_impl``): the start 0 plus
    the first float, then Neumaier's compensated summation; the compensation is added at the end only if it
    is nonzero and finite (so the sign of a zero and an overflowed sum are kept)."""
    if n == 0:
        return 0.0
    f = 0.0 + xs[0]
    c = 0.0
    for i in range(1, n):
        x = xs[i]
        t = f + x
        if abs(f) >= abs(x):
            c += (f - t) + x
        else:
            c += (x - t) + f
        f = t
    if c != 0.0 and math.isfinite(c):
        f += c
    return f


py_sum = _sum_neumaier if sys.version_info >= (3, 12) else _sum_left_to_right


@jit
def logit_weights(utilities, n, rationality, out):
    """§7.2/§7.7 ``sim.rules.logit_weights``: P(k) ∝ exp(β·(U_k − max U)) for the first ``n`` utilities,
    written into ``out`` (the normalising sum by :data:`py_sum`, as the rule's builtin ``sum``)."""
    top = utilities[0]
    for i in range(1, n):
        top = py_max(top, utilities[i])
    for i in range(n):
        out[i] = math.exp(rationality * (utilities[i] - top))
    total = py_sum(out, n)
    for i in range(n):
        out[i] = out[i] / total


@jit
def choose(probs, n, draw):
    """§7.2 ``_Party.pick_partner``'s walk along cumulative probabilities: the first index whose running sum
    exceeds ``draw``, else the last."""
    acc = 0.0
    for i in range(n):
        acc += probs[i]
        if draw < acc:
            return i
    return n - 1


@jit
def permutation(rng, n):
    """``rng.permutation(n)`` as NumPy's ``Generator`` draws it (``arange(n)`` shuffled in place by
    ``_shuffle_raw``): for i = n − 1 … 1, swap with j = ``random_interval(i)``, the first of the generator's
    32-bit words masked to the smallest all-ones mask ≥ i that is ≤ i. The 32-bit words are
    ``integers(0, 2**32, dtype=uint32)``, which NumPy and Numba both return as the generator's next 32-bit
    word (:func:`tests.engine.test_draws` checks values and the generator's state). Numba's own
    ``permutation`` draws the same, through a general n-dimensional shuffle that takes most of the engine's
    compile time."""
    out = np.arange(n)
    for i in range(n - 1, 0, -1):
        mask = i
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        j = np.int64(rng.integers(0, 4294967296, dtype=np.uint32)) & mask
        while j > i:
            j = np.int64(rng.integers(0, 4294967296, dtype=np.uint32)) & mask
        out[i], out[j] = out[j], out[i]
    return out


@jit
def loggam(x):
    """NumPy's ``random_loggam``: log Γ(x) by Stirling's series with a shift below 7 (``distributions.c``)."""
    if x == 1.0 or x == 2.0:
        return 0.0
    n = np.int64(7 - x) if x < 7.0 else np.int64(0)
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    gl0 = _LOGGAM_A[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += _LOGGAM_A[k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * math.log(x0) - x0
    if x < 7.0:
        for _ in range(n):
            gl -= math.log(x0 - 1.0)
            x0 -= 1.0
    return gl


_LOGGAM_A = np.array([8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04, -5.952380952380952e-04,
                      8.417508417508418e-04, -1.917526917526918e-03, 6.410256410256410e-03, -2.955065359477124e-02,
                      1.796443723688307e-01, -1.39243221690590e+00])


@jit
def poisson(rng, lam):
    """``rng.poisson(lam)`` as NumPy's ``random_poisson`` draws it (§7.1's requirements): the multiplication
    method below 10, PTRS (Hörmann's transformed rejection) from 10, from the generator's doubles.

    Numba's own ``Generator.poisson`` is not NumPy's from lam = 10 on: its PTRS truncates
    ``(2a/us + b)·U + lam + 0.43`` toward zero where NumPy takes the floor, so when that is in (−1, 0) NumPy
    rejects and draws again while Numba may accept 0 (first seen after ~20,000 draws at lam = 10; every
    later draw then differs). ``tests/engine/test_draws.py`` holds this one to NumPy's."""
    if lam >= 10:
        slam = math.sqrt(lam)
        loglam = math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            U = rng.random() - 0.5
            V = rng.random()
            us = 0.5 - abs(U)
            k = np.int64(math.floor((2 * a / us + b) * U + lam + 0.43))
            if us >= 0.07 and V <= vr:
                return k
            if k < 0 or (us < 0.013 and V > us):
                continue
            if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
                    -lam + k * loglam - loggam(float(k + 1))):
                return k
    if lam == 0:
        return np.int64(0)
    enlam = math.exp(-lam)
    x = np.int64(0)
    prod = 1.0
    while True:
        prod *= rng.random()
        if prod > enlam:
            x += 1
        else:
            return x


def sum_like_python(values) -> float:
    """:data:`py_sum` of a sequence, for tests that compare it with builtin ``sum``."""
    xs = np.asarray(values, dtype=np.float64)
    return float(py_sum(xs, len(xs)))
