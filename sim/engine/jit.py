"""How the engine's functions are compiled: ``@jit`` is Numba's ``njit`` with the two options they all share.

- ``cache=True``: machine code is kept between processes, in the directory :mod:`sim.engine.cache` names by
  a digest of the engine's sources (so it is never stale).
- ``error_model="numpy"``: a float division by zero gives inf or nan instead of raising. The engine never
  divides by zero where the reference would not (every division is guarded as the reference guards it,
  and ``tests/engine`` holds the two to the same bytes); without the raising paths the compiled code is
  smaller and compiles faster.
"""

from __future__ import annotations

from numba import njit


def jit(fn):
    """Compile ``fn`` as every engine function is compiled."""
    return njit(cache=True, error_model="numpy")(fn)
