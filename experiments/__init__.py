"""Experiment runner: parameter sweeps with replicates, quadrant frequencies, figures, scenario discovery.

Knows the model only through ``run(params, seed) -> summary dict`` (``sim.model:run`` by default), its
parameter table and the outcomes it declares. From Python::

    import experiments
    res = experiments.run_experiment("baseline", replicates=5, out="/tmp/baseline")   # or a dict, or keywords
    res = experiments.load("/tmp/baseline")
    res.frequencies, res.metrics, res.runs, res.timeseries, res.events   # pandas DataFrames

See :mod:`experiments.api`. The layers, top to bottom, each importing only those below it: ``cli`` and
``api`` (the two faces), ``pipeline`` (the sequence they share), ``report``, ``figures``, ``engine`` (the run
loop), ``analysis`` (tables from runs), ``storage`` (the results on disk), ``definition`` (what an
experiment is); ``experiments/README.md`` draws them.
"""

from __future__ import annotations

__all__ = ["Results", "discover", "load", "run_experiment"]


def __getattr__(name: str):
    # lazy, so that `python -m experiments` and `import experiments.definition` stay light
    if name in ("Results", "load", "run_experiment"):
        from experiments import api

        return getattr(api, name)
    if name == "discover":
        import importlib

        return importlib.import_module("experiments.analysis.discover")
    raise AttributeError(f"module 'experiments' has no attribute {name!r}")
