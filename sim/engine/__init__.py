"""The compiled engine: MODEL.md §3's whole schedule over array state, compiled with Numba, giving
``sim.model.run``'s results bit for bit, much faster.

``sim.engine.run(params, seed, tables=())`` is ``sim.model.run`` by the engine (which ``sim.model.run``
uses by default, ``engine="compiled"``); :class:`sim.engine.api.Engine` steps a run month by month.
The readable specification stays the Mesa model (:class:`sim.model.PiggybackModel`, stepped by
:mod:`sim.steps.reference`, agents calling :mod:`sim.rules`); :mod:`sim.steps.mirrors` maps what of it
the engine restates, and :mod:`sim.steps.check` holds the two together step by step.

Modules, one concern each (every compiled function names the section it restates):

- :mod:`~sim.engine.layout` parameters, codes and counters as array positions; :mod:`~sim.engine.state`
  the state's arrays; :mod:`~sim.engine.results` the summary and tables; :mod:`~sim.engine.api` runs;
  :mod:`~sim.engine.cache` where compiled code is kept (never stale);
- compiled: :mod:`~sim.engine.arith` (CPython's ``sum``, ``min``, ``max``; the logit),
  :mod:`~sim.engine.lists` (insertion-ordered dicts), :mod:`~sim.engine.book` (contracts, partner
  search, event log), :mod:`~sim.engine.population` (§5, §11.1, §11.4), :mod:`~sim.engine.intents`
  (§7.3, §7.6, §11.3, §13.1), :mod:`~sim.engine.market` (§7.1), :mod:`~sim.engine.contracts` (§7.4–7.5),
  :mod:`~sim.engine.tension` (§7.7, §11.2), :mod:`~sim.engine.matching` (§7.2),
  :mod:`~sim.engine.observe` (§8), :mod:`~sim.engine.regime` (§12.1, §13.2–13.4),
  :mod:`~sim.engine.schedule` (§3).

Numba is a core dependency; if it cannot be imported, :func:`unavailable` says why and ``sim.model.run``
runs the Mesa model instead, with one warning.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def unavailable() -> str | None:
    """Why the compiled engine cannot run in this process (Numba missing or broken), or None."""
    try:
        import numba  # noqa: F401
    except Exception as exc:  # ImportError, or a Numba that fails on import (e.g. an unsupported NumPy)
        return f"numba cannot be imported ({type(exc).__name__}: {exc})"
    return None


def _install_cache() -> None:
    """Before any compiled module is imported (they are all in this package): where their code is cached."""
    if unavailable() is None:
        from sim.engine import cache

        cache.install()


_install_cache()


def run(params: dict[str, Any] | None = None, seed=None, tables=()) -> dict[str, Any]:
    """``sim.model.run`` by the compiled engine (raises ``RuntimeError`` if Numba is unavailable)."""
    why = unavailable()
    if why:
        raise RuntimeError(f"the compiled engine is unavailable: {why}")
    from sim.engine import api

    return api.run(params, seed, tables)
