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
from experiments.definition.errors import ExperimentError
from experiments.definition.experiment import DEFAULT_TARGET, Experiment
from experiments.storage import folders, trust
from experiments.storage.errors import RunnerError
from experiments.storage.layout import EVENTS, JOURNAL, MANIFEST, RUNS, STEPS
from experiments.storage.readers import load_events, load_runs, load_steps, shipped_raw

as_experiment = pipeline.experiment  # a name, a path, a dict or keywords -> a validated Experiment


class ResultsError(ExperimentError):
    """A folder that holds no results, or not the raw runs asked for (one line, fit for the CLI)."""


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
        metrics the model declares (e.g. ``survival``). :class:`ResultsError` when the folder holds its tables
        but not its raw runs (the shipped results of a large experiment, a copy without them)."""
        self._need_raw("runs")
        frame = pipeline.runs(self.directory, self.experiment)
        trust.check_runs(self.directory, self.experiment, self.design, frame)
        return frame

    def _need_raw(self, what: str, table: str = RUNS) -> None:
        """Raise unless the folder holds ``table``: its whole raw store (the journal), or that compacted table
        (shipped results carry ``runs.parquet`` alone when it is small, never step data or event logs)."""
        d = self.directory
        if (d / JOURNAL).exists() or (d / JOURNAL).is_symlink() or (d / table).exists() \
                or (table == RUNS and shipped_raw(d)):
            return
        done = self.manifest.get("runs", {}).get("done", "?")
        name = self.experiment.name
        source = f"the shipped definition `python -m experiments run {name} --out DIR`" if folders.is_shipped(d) \
            else f"`python -m experiments run {self.experiment.source or name} --out {d}`"
        raise ResultsError(f"{d} holds the tables and figures of {done} runs but not their raw {what} (raw runs "
                           f"are not shipped, or were not copied): .summary, .frequencies, .metrics and .timeseries "
                           f"are here; regenerate the raw {what} with {source}", "path", str(d))

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
        self._need_raw("step data", STEPS)
        return load_steps(self.directory)

    @property
    def events(self) -> pd.DataFrame:
        """The contract-level event log (``--events``): one row per event; empty, with the run's ids and the
        event columns the model declares, when the runs kept none."""
        self._need_raw("event log", EVENTS)
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
                self._tables = pipeline.analyse(self.directory, self.experiment, self.design, write=False,
                                                verify=True)
            else:
                self._tables = pipeline.load_tables(self.directory)
        return self._tables

    # -- what to do with it ---------------------------------------------------------------
    def _writes(self, shipped: bool) -> None:
        if folders.is_shipped(self.directory) and not shipped:
            raise RunnerError(f"{self.directory} is the repository's shipped results: its tracked files are written "
                              "only on purpose (pass shipped=True, or `python -m experiments plot NAME --shipped`); "
                              "to draw elsewhere, copy the folder first", "shipped", shipped)

    def plot(self, labels: dict[str, str] | None = None, formats: tuple[str, ...] | None = None,
             shipped: bool = False) -> list[Path]:
        """Draw every figure into the results folder (``labels`` override ``[outputs] labels``); the files. The
        repository's shipped results are drawn only with ``shipped=True``."""
        self._writes(shipped)
        return pipeline.draw(self.directory, self.tables, self.experiment, self.names, labels=labels,
                             formats=formats, design=self.experiment.design)

    def discover(self, target: str = DEFAULT_TARGET, method: str = "tree", write: bool = True, **kw):
        """Scenario discovery on the runs (see :mod:`experiments.analysis.discover`); writes its table and
        figure (``write=False`` in the shipped results)."""
        if write:
            self._writes(False)
        self._need_raw("runs")
        return pipeline.discover(self.directory, self.experiment, target, method, names=self.names, write=write,
                                 **kw)[0]

    def report(self, shipped: bool = False) -> Path:
        """Write ``report.html`` (description, figures, tables, manifest) into the results folder (the shipped
        results only with ``shipped=True``)."""
        self._writes(shipped)
        return pipeline.report(self.directory)

    def __repr__(self) -> str:
        done = self.manifest.get("runs", {}).get("done", "?")
        return (f"<Results {self.experiment.name!r}: {self.experiment.design} design over "
                f"{', '.join(self.names) or 'no parameters'}, {len(self.design.points)} points, {done} runs, "
                f"in {self.directory}>")


def load(path: str | Path) -> Results:
    """The results in a folder written by ``run`` (its ``manifest.json`` says how they were made). The folder is
    untrusted input: its manifest is checked against its own key and the journal's before use, and the runs
    against the manifest when they are read (:class:`~experiments.storage.errors.StoreError` otherwise)."""
    if not isinstance(path, (str, Path)) or (isinstance(path, str) and not path.strip()):
        raise ResultsError(f"load() takes a results folder (str or pathlib.Path), got {folders.untrusted_short(path)}",
                           "path", path)
    directory = Path(path)
    folders.settle(directory)  # a --fresh swap a kill interrupted is finished before anything is read
    if not (directory / MANIFEST).exists() and not (directory / MANIFEST).is_symlink():
        what = "does not exist" if not directory.exists() else "holds no manifest.json"
        raise ResultsError(f"{directory}: {what}; not a results folder (run the experiment first)", "path", str(path))
    exp, manifest = pipeline.saved(directory)
    return Results(directory, manifest, exp, designs.make(exp, max_runs=10**12))


def run_experiment(experiment: str | Path | dict | Experiment | None = None, *, out: str | Path | None = None,
                   overrides: dict | None = None, replicates: int | None = None, executor: str = "pool",
                   workers: int | None = None, scheduler: str | None = None, progress: bool = True,
                   fresh: bool = False, plots: bool = False, run_timeout: float | None = None,
                   **definition: Any) -> Results:
    """Run (or resume) an experiment and return its :class:`Results`.

    ``experiment``: a shipped name, a TOML path, a dict, an :class:`~experiments.definition.experiment.Experiment`, or
    nothing and the definition as keyword arguments (``name=``, ``design=``, ``base=``, ``replicates=``,
    ``max_steps=``, ``outputs=``...). ``executor``: "pool" (local processes; in a script, call from under
    ``if __name__ == "__main__":``), "serial" (this process) or "dask". ``plots``: draw the figures too.
    ``run_timeout``: seconds after which a run is stopped and recorded as failed (pool and serial executors).
    The progress bar is a widget in Jupyter and text on a terminal.
    """
    exp = pipeline.experiment(experiment, overrides=overrides, replicates=replicates, **definition)
    prepared = pipeline.prepare(exp, out, fresh)
    ex = pipeline.executor(exp, executor, workers, scheduler, run_timeout)
    try:
        outcome, done = pipeline.run(prepared, ex, progress=progress, plots=False)
    finally:
        ex.close()
    res = load(outcome.directory)
    res._tables = done.get("tables")  # computed and saved after the runs, as `run` does
    if plots:
        res.plot()
    return res
