"""Experiment runner: parameter sweeps with replicates, quadrant frequencies, figures, scenario discovery.

Knows the model only through ``sim.run(params, seed) -> summary dict`` and the parameter table
``sim.params``. From Python::

    import experiments
    res = experiments.run_experiment("baseline", replicates=5, out="/tmp/baseline")   # or a dict, or keywords
    res = experiments.load("/tmp/baseline")
    res.frequencies, res.metrics, res.runs, res.timeseries, res.events   # pandas DataFrames

See :mod:`experiments.api`.
"""

from __future__ import annotations

__all__ = ["Results", "discover", "load", "run_experiment"]


def __getattr__(name: str):
    # lazy, so that `python -m experiments` and `import experiments.config` stay light
    if name in ("Results", "load", "run_experiment"):
        from experiments import api

        return getattr(api, name)
    if name == "discover":
        import importlib

        return importlib.import_module("experiments.discover")
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
