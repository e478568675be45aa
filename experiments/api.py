"""The Python API: run an experiment, or load a finished one, and get its data as pandas DataFrames.

::

    import experiments

    res = experiments.run_experiment(                     # a sweep defined in Python, checked like a TOML
        name="voice", replicates=10, max_steps=200, base={"n_smes": 30},
        design={"type": "grid", "parameters": {"voice_cost": [0.1, 0.6, 1.2]}},
        outputs={"x": "voice_cost"}, out="/tmp/voice")
    res.frequencies          # per point: P(regime) with 95 % Wilson intervals (freq_Q3, freq_Q3_lo, freq_Q3_hi, ...)
    res.metrics              # per point: mean of every summary key; 95 % intervals for the listed metrics
    res.runs                 # one row per run: ids, seed, parameters, the model's summary
    res.timeseries, res.events, res.sensitivity, res.manifest
    res.plot(); res.discover("Q3"); res.report()

    res = experiments.load("/tmp/voice")                  # the same object from a finished results folder

Results are read only through :mod:`experiments.store` (``load_runs``, ``load_steps``, ``load_events``); a
folder without its raw runs (as committed) falls back to its saved tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import analysis, config, designs, store
from experiments.config import OUTCOMES, Experiment

# Columns of the contract-level event log (``--events``); the store's own list wins when it has one.
EVENT_COLUMNS = ("run_id", "point", "replicate", "step", "event", "contract", "subsidiary", "sme",
                 "quadrant_before", "quadrant_after", "path", "action", "trust", "communication")
_FREQ_COLUMNS = ("n", *(f"freq_{o}{s}" for o in OUTCOMES for s in ("", "_lo", "_hi")), "dominant", "dominant_freq",
                 "tie", "settle_step_mean", "settle_step_sd")


class ResultsError(ValueError):
    """A folder that holds no results (one line, fit for the CLI)."""


@dataclass
class Results:
    """A finished (or partly finished) experiment's data. Tables are computed on first access and cached."""

    directory: Path
    manifest: dict[str, Any]
    experiment: Experiment
    design: designs.Design
    _tables: dict[str, pd.DataFrame] | None = field(default=None, repr=False)

    # -- the data ---------------------------------------------------------------------
    @property
    def runs(self) -> pd.DataFrame:
        """One row per run: run_id, point, replicate, seed, parameters, every summary key and the derived
        metrics (``survival``, ``voice_success_rate``). Empty when the raw runs are not here."""
        runs = store.load_runs(self.directory)
        return analysis.with_derived(runs) if not runs.empty else runs

    @property
    def summary(self) -> pd.DataFrame:
        """Everything per design point (``summary.csv``): the union of ``frequencies`` and ``metrics``."""
        return self.tables.get("summary", pd.DataFrame())

    @property
    def frequencies(self) -> pd.DataFrame:
        """Per point: the design parameters, ``n``, ``freq_<o>`` with ``_lo``/``_hi`` (95 % Wilson) for every
        outcome (Q1..Q4, mixed, unsettled), the dominant outcome, ``tie`` and the settlement step."""
        s = self.summary
        return s[[c for c in ("point", *self.names, *_FREQ_COLUMNS) if c in s.columns]]

    @property
    def metrics(self) -> pd.DataFrame:
        """Per point: the design parameters, ``n`` and the mean of every other summary key, with 95 %
        ``<m>_lo``/``<m>_hi`` for the metrics listed in ``[outputs] metrics`` and the derived ones."""
        s = self.summary
        skip = set(_FREQ_COLUMNS) - {"n"}
        return s[[c for c in s.columns if c not in skip]]

    @property
    def timeseries(self) -> pd.DataFrame:
        """Per point and step: mean share of each quadrant with a 10–90 % band over the runs that kept step
        data (empty when none did)."""
        return self.tables.get("timeseries", pd.DataFrame())

    @property
    def steps(self) -> pd.DataFrame:
        """The raw step data (point, replicate, step, share_Q1..) of the runs that kept it."""
        return store.load_steps(self.directory)

    @property
    def events(self) -> pd.DataFrame:
        """The contract-level event log (``--events``): one row per event; empty, with the documented columns,
        when the runs kept none."""
        loader = getattr(store, "load_events", None)
        frame = loader(self.directory) if loader is not None else None
        if frame is None or frame.empty:
            return pd.DataFrame(columns=list(getattr(store, "EVENT_COLUMNS", EVENT_COLUMNS)))
        return frame

    @property
    def sensitivity(self) -> pd.DataFrame:
        return self.tables.get("sensitivity", pd.DataFrame())

    @property
    def names(self) -> list[str]:
        """The design parameters."""
        return list(self.design.names)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        if self._tables is None:
            if (self.directory / store.RUNS).exists() or not store.load_runs(self.directory).empty:
                self._tables = analysis.analyse(self.directory, self.experiment, self.design, write=False)
            else:
                self._tables = analysis.load_tables(self.directory)
        return self._tables

    # -- what to do with it ---------------------------------------------------------------
    def plot(self, labels: dict[str, str] | None = None, formats: tuple[str, ...] | None = None) -> list[Path]:
        """Draw every figure into the results folder (``labels`` override ``[outputs] labels``); the files."""
        from experiments import plots

        return plots.draw_all(self.directory, self.tables, self.names, self.experiment.outputs,
                              design=self.experiment.design, labels=labels, formats=formats)

    def discover(self, target: str = "Q3", method: str = "tree", write: bool = True, **kw):
        """Scenario discovery on the runs (see :mod:`experiments.discover`); writes its table and figure."""
        from experiments import discover

        found = discover.discover(self.runs, self.names, target, method, **kw)
        if write:
            discover.write(self.directory, found, labels=self.experiment.outputs.get("labels"),
                           formats=tuple(self.experiment.outputs.get("formats", ("png", "pdf"))))
        return found

    def report(self) -> Path:
        """Write ``report.html`` (description, figures, tables, manifest) into the results folder."""
        from experiments import report

        return report.write(self.directory)

    def __repr__(self) -> str:
        done = self.manifest.get("runs", {}).get("done", "?")
        return (f"<Results {self.experiment.name!r}: {self.experiment.design} design over "
                f"{', '.join(self.names) or 'no parameters'}, {len(self.design.points)} points, {done} runs, "
                f"in {self.directory}>")


def load(path: str | Path) -> Results:
    """The results in a folder written by ``run`` (its ``manifest.json`` says how they were made)."""
    directory = Path(path)
    manifest_path = directory / store.MANIFEST
    if not manifest_path.exists():
        raise ResultsError(f"{directory}: no {store.MANIFEST}; not a results folder (run the experiment first)")
    manifest = store.read_json(manifest_path)
    exp = config.from_manifest(manifest["experiment"])
    return Results(directory, manifest, exp, designs.make(exp))


def as_experiment(experiment: str | Path | dict | Experiment | None = None, *, overrides: dict | None = None,
                  replicates: int | None = None, **definition: Any) -> Experiment:
    """An experiment from a shipped name, a TOML path, a dict or keyword arguments (the TOML's keys), validated
    exactly as a TOML file is (:func:`experiments.config.from_dict`)."""
    if isinstance(experiment, Experiment):
        if overrides or replicates or definition:
            raise TypeError("pass overrides, replicates or definition keys with a name, a path or a dict")
        return experiment
    if experiment is None:
        return config.from_dict(definition, overrides=overrides, replicates=replicates)
    if definition:
        raise TypeError(f"definition keys {sorted(definition)} given with an experiment {experiment!r}")
    if isinstance(experiment, dict):
        return config.from_dict(experiment, overrides=overrides, replicates=replicates)
    return config.load(str(experiment), overrides=overrides, replicates=replicates)


def run_experiment(experiment: str | Path | dict | Experiment | None = None, *, out: str | Path | None = None,
                   overrides: dict | None = None, replicates: int | None = None, executor: str = "pool",
                   workers: int | None = None, scheduler: str | None = None, progress: bool = True,
                   fresh: bool = False, plots: bool = False, **definition: Any) -> Results:
    """Run (or resume) an experiment and return its :class:`Results`.

    ``experiment``: a shipped name, a TOML path, a dict, an :class:`~experiments.config.Experiment`, or
    nothing and the definition as keyword arguments (``name=``, ``design=``, ``base=``, ``replicates=``,
    ``max_steps=``, ``outputs=``...). ``executor``: "pool" (local processes; in a script, call from under
    ``if __name__ == "__main__":``), "serial" (this process) or "dask". ``plots``: draw the figures too.
    The progress bar is a widget in Jupyter and text on a terminal.
    """
    from experiments import runner

    exp = as_experiment(experiment, overrides=overrides, replicates=replicates, **definition)
    prepared = runner.prepare(exp, out, fresh)
    ex = runner.make_executor(executor, workers, scheduler)
    try:
        outcome = runner.run_experiment(exp, ex, prepared=prepared, progress=progress, fresh=fresh)
    finally:
        ex.close()
    res = load(outcome.directory)
    res._tables = analysis.analyse(res.directory, res.experiment, res.design)  # and save the tables, as `run` does
    if plots:
        res.plot()
    return res
