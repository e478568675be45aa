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

Results are read only through :mod:`experiments.storage` (``load_runs``, ``load_steps``, ``load_events``); a
folder without its raw runs (as committed) falls back to its saved tables. Running, analysing and drawing
are :mod:`experiments.pipeline`'s, shared with the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import pipeline
from experiments.analysis.summary import frequency_columns
from experiments.definition import designs
from experiments.definition.experiment import DEFAULT_TARGET, Experiment, from_manifest
from experiments.storage.atomic import read_json
from experiments.storage.layout import MANIFEST, RUNS
from experiments.storage.readers import load_events, load_runs, load_steps

as_experiment = pipeline.experiment  # a name, a path, a dict or keywords -> a validated Experiment


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
        metrics the model declares (e.g. ``survival``). Empty when the raw runs are not here."""
        return pipeline.runs(self.directory, self.experiment)

    @property
    def summary(self) -> pd.DataFrame:
        """Everything per design point (``summary.csv``): the union of ``frequencies`` and ``metrics``."""
        return self.tables.get("summary", pd.DataFrame())

    @property
    def frequencies(self) -> pd.DataFrame:
        """Per point: the design parameters, ``n``, ``freq_<o>`` with ``_lo``/``_hi`` (95 % Wilson) for every
        category o of the model's headline outcome (Q1..Q4, mixed, unsettled), the dominant outcome, ``tie``
        and the step it was reached at."""
        s = self.summary
        return s[[c for c in ("point", *self.names, *self._frequency_columns) if c in s.columns]]

    @property
    def metrics(self) -> pd.DataFrame:
        """Per point: the design parameters, ``n`` and the mean of every other summary key, with 95 %
        ``<m>_lo``/``<m>_hi`` for the metrics listed in ``[outputs] metrics`` and the derived ones."""
        s = self.summary
        skip = set(self._frequency_columns) - {"n"}
        return s[[c for c in s.columns if c not in skip]]

    @property
    def _frequency_columns(self) -> tuple[str, ...]:
        return frequency_columns(self.experiment.model_info.headline)

    @property
    def timeseries(self) -> pd.DataFrame:
        """Per point and step: mean share of each quadrant with a 10–90 % band over the runs that kept step
        data (empty when none did)."""
        return self.tables.get("timeseries", pd.DataFrame())

    @property
    def steps(self) -> pd.DataFrame:
        """The raw step data (point, replicate, step, share_Q1..) of the runs that kept it."""
        return load_steps(self.directory)

    @property
    def events(self) -> pd.DataFrame:
        """The contract-level event log (``--events``): one row per event; empty, with the run's ids and the
        event columns the model declares, when the runs kept none."""
        frame = load_events(self.directory)
        if frame.empty:
            return pd.DataFrame(columns=["run_id", "point", "replicate", *self.experiment.model_info.event_columns])
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
            if (self.directory / RUNS).exists() or not load_runs(self.directory).empty:
                self._tables = pipeline.analyse(self.directory, self.experiment, self.design, write=False)
            else:
                self._tables = pipeline.load_tables(self.directory)
        return self._tables

    # -- what to do with it ---------------------------------------------------------------
    def plot(self, labels: dict[str, str] | None = None, formats: tuple[str, ...] | None = None) -> list[Path]:
        """Draw every figure into the results folder (``labels`` override ``[outputs] labels``); the files."""
        return pipeline.draw(self.directory, self.tables, self.experiment, self.names, labels=labels,
                             formats=formats, design=self.experiment.design)

    def discover(self, target: str = DEFAULT_TARGET, method: str = "tree", write: bool = True, **kw):
        """Scenario discovery on the runs (see :mod:`experiments.analysis.discover`); writes its table and
        figure."""
        return pipeline.discover(self.directory, self.experiment, target, method, names=self.names, write=write,
                                 **kw)[0]

    def report(self) -> Path:
        """Write ``report.html`` (description, figures, tables, manifest) into the results folder."""
        return pipeline.report(self.directory)

    def __repr__(self) -> str:
        done = self.manifest.get("runs", {}).get("done", "?")
        return (f"<Results {self.experiment.name!r}: {self.experiment.design} design over "
                f"{', '.join(self.names) or 'no parameters'}, {len(self.design.points)} points, {done} runs, "
                f"in {self.directory}>")


def load(path: str | Path) -> Results:
    """The results in a folder written by ``run`` (its ``manifest.json`` says how they were made)."""
    directory = Path(path)
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise ResultsError(f"{directory}: no {MANIFEST}; not a results folder (run the experiment first)")
    manifest = read_json(manifest_path)
    exp = from_manifest(manifest["experiment"])
    return Results(directory, manifest, exp, designs.make(exp))


def run_experiment(experiment: str | Path | dict | Experiment | None = None, *, out: str | Path | None = None,
                   overrides: dict | None = None, replicates: int | None = None, executor: str = "pool",
                   workers: int | None = None, scheduler: str | None = None, progress: bool = True,
                   fresh: bool = False, plots: bool = False, **definition: Any) -> Results:
    """Run (or resume) an experiment and return its :class:`Results`.

    ``experiment``: a shipped name, a TOML path, a dict, an :class:`~experiments.definition.experiment.Experiment`, or
    nothing and the definition as keyword arguments (``name=``, ``design=``, ``base=``, ``replicates=``,
    ``max_steps=``, ``outputs=``...). ``executor``: "pool" (local processes; in a script, call from under
    ``if __name__ == "__main__":``), "serial" (this process) or "dask". ``plots``: draw the figures too.
    The progress bar is a widget in Jupyter and text on a terminal.
    """
    exp = pipeline.experiment(experiment, overrides=overrides, replicates=replicates, **definition)
    prepared = pipeline.prepare(exp, out, fresh)
    ex = pipeline.executor(exp, executor, workers, scheduler)
    try:
        outcome, done = pipeline.run(prepared, ex, progress=progress, plots=False)
    finally:
        ex.close()
    res = load(outcome.directory)
    res._tables = done.get("tables")  # computed and saved after the runs, as `run` does
    if plots:
        res.plot()
    return res
