"""Experiment runner: parameter sweeps with replicates, quadrant frequencies, plots.

Knows the model only through ``sim.run(params, seed) -> summary dict`` and the
parameter table ``sim.params``.
"""
