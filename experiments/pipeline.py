"""The one sequence both faces run (:mod:`experiments.cli`, :mod:`experiments.api`): a definition, its figure
keys checked (:func:`experiment`) → where its results go, checked before anything is written (:func:`plan`,
:func:`prepare`) → the runs (:func:`run` on an :func:`executor`: the engine's loop) → the tables (:func:`analyse`:
the summary, time series and sensitivity indices, and each figure's own table) → the figures (:func:`draw`)
→ the report and the index of the shipped results (:func:`report`, :func:`index`); and, on a finished
folder, scenario discovery (:func:`discover`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import report as reports
from experiments.analysis import discover as discovery
from experiments.analysis import sensitivity, summary, timeseries
from experiments.analysis.runs import with_derived
from experiments.definition import config, designs
from experiments.definition.experiment import Experiment
from experiments.definition.seeds import design_seed
from experiments.engine import executors, runner
from experiments.engine.preflight import Plan, plan, prepare
from experiments.figures import discovery as discovery_figure
from experiments.figures import registry
from experiments.storage import folders, trust
from experiments.storage.atomic import atomic_write_frame
from experiments.storage.readers import load_runs, load_steps, load_table

__all__ = ["analyse", "discover", "draw", "executor", "experiment", "finish", "index", "load_tables", "plan",
           "prepare", "report", "run", "runs", "saved", "shipped", "table_files"]
CORE_TABLES = {"summary": summary.FILE, "timeseries": timeseries.FILE, "sensitivity": sensitivity.FILE}


def experiment(source: str | Path | dict | Experiment | None = None, *, overrides: dict | None = None,
               replicates: int | None = None, assignments: list[str] | tuple[str, ...] = (),
               **definition: Any) -> Experiment:
    """An experiment from a shipped name, a TOML path, a dict or keyword arguments (the TOML's keys), validated
    as a TOML file is (:func:`experiments.definition.config.from_dict`), the figures' ``[outputs]`` keys
    included; ``assignments``: ``--set`` texts ``name=value``."""
    if overrides is not None and not isinstance(overrides, dict):
        raise config.ConfigError(f"overrides must be a dict of parameter = value, got "
                                 f"{type(overrides).__name__} {overrides!r}", "overrides", overrides)
    if isinstance(source, Experiment):
        if overrides or replicates or definition or assignments:
            raise config.ConfigError("pass overrides, replicates or definition keys with a name, a path or a dict, "
                                     "not with an Experiment", "experiment", source)
        return source
    kw = {"overrides": overrides, "replicates": replicates, "assignments": assignments, "figures": registry.OUTPUTS}
    if source is None:
        return config.from_dict(definition, **kw)
    if definition:
        raise config.ConfigError(f"definition keys {sorted(definition)} given with an experiment "
                                 f"{source!r}: pass one or the other", "experiment", source)
    if isinstance(source, dict):
        return config.from_dict(source, **kw)
    return config.load(str(source), **kw)


def shipped() -> list[Experiment]:
    """Every shipped experiment (``experiments/configs/*.toml``)."""
    return [experiment(p) for p in config.all_configs()]


# -- after the runs: tables, figures -------------------------------------------------------------------
def table_files() -> dict[str, str]:
    """Every table an experiment may save, by name: the analysis's, then the figures'."""
    return {**CORE_TABLES, **registry.table_files()}


def analyse(directory: Path, exp: Experiment, design: designs.Design, write: bool = True,
            verify: bool = False) -> dict[str, pd.DataFrame]:
    """Compute (and save) every table of an experiment's results folder; ``verify``: first check the runs against
    the manifest's definition (a folder read, not one just written: :func:`experiments.storage.trust.check_runs`)."""
    directory = Path(directory)
    runs = load_runs(directory)
    if verify:
        trust.check_runs(directory, exp, design, runs)
    model = exp.model_info
    out: dict[str, pd.DataFrame] = {}
    metrics = [*exp.outputs.get("metrics", []), *registry.metrics(exp.outputs)]
    out["summary"] = summary.summarise(runs, design.names, design.points, metrics, model, labels=design.labels)
    steps = load_steps(directory)
    if not steps.empty:
        out["timeseries"] = timeseries.timeseries(steps)
    if exp.design in ("sobol", "morris") and not out["summary"].empty:
        out["sensitivity"] = sensitivity.sensitivity(exp.design, design.problem, design.X, out["summary"], exp.target,
                                                     exp.levels, design_seed(exp.entropy), exp.calc_second_order)
    data = {t: load_table(directory, t, columns) for t, columns in registry.model_tables(exp.outputs).items()}
    out.update(registry.tables(runs, out["summary"], design.names, exp.outputs, data, model))
    if write:
        for key, name in table_files().items():
            if key in out and not out[key].empty:
                frame = out[key].round(5) if key == "timeseries" else out[key]
                atomic_write_frame(directory / name, frame)
    return out


def load_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """The saved tables (what ``plot`` draws from when the raw runs are not on this machine)."""
    directory = Path(directory)
    out = {}
    for key, name in table_files().items():
        if (directory / name).exists():
            out[key] = pd.read_csv(directory / name)
    if "summary" in out and "tie" in out["summary"]:
        out["summary"]["tie"] = out["summary"]["tie"].astype(object).fillna("")  # "no tie" is an empty CSV cell
    return out


def draw(directory: Path, tables: dict[str, pd.DataFrame], exp: Experiment, names: list[str], *,
         labels: dict[str, str] | None = None, formats: tuple[str, ...] | None = None,
         design: str | None = None) -> list[Path]:
    """Every figure the tables allow (:func:`experiments.figures.draw_all`); ``design``: the design type, when
    the caller passes it (else the figures guess from the summary whether the design was sampled; a list of
    points is always known as one)."""
    if design is None and exp.design == "points":
        design = exp.design
    return registry.draw_all(directory, tables, names, exp.outputs, design=design, labels=labels, formats=formats,
                             model=exp.model_info)


def finish(exp: Experiment, design: designs.Design, directory: Path, plots: bool = True,
           on_figure_error: Callable[[Exception], None] | None = None) -> dict[str, Any]:
    """What follows the runs: the tables, saved, and (``plots``) the figures. A figure that raises is handed to
    ``on_figure_error`` when given (the results are complete and saved), else raised. Returns the tables, the
    figure files and the design."""
    tables = analyse(directory, exp, design)
    files: list[Path] = []
    if plots:
        try:
            files = draw(directory, tables, exp, design.names)
        except Exception as exc:
            if on_figure_error is None:
                raise
            on_figure_error(exc)
    return {"tables": tables, "figures": files, "design": design}


# -- the runs ------------------------------------------------------------------------------------------
def executor(exp: Experiment, kind: str = "pool", workers: int | None = None, scheduler: str | None = None,
             run_timeout: float | None = None):
    """Where the runs go: ``pool`` (local processes, the model preloaded), ``serial`` (this process) or ``dask``
    (a LocalCluster, or the running cluster at ``scheduler``); ``run_timeout``: seconds after which a run is stopped
    and recorded as failed (pool and serial). Close it when done."""
    return executors.make_executor(kind, workers, scheduler, preload=(exp.model.partition(":")[0],),
                                   run_timeout=run_timeout)


def run(p: Plan, executor, *, progress: bool = True, chunk: int | None = None, plots: bool = True,
        on_figure_error: Callable[[Exception], None] | None = None) -> tuple[runner.Outcome, dict[str, Any]]:
    """Run (or resume) a planned experiment, then write its tables and (``plots``) figures into the finished
    folder, before a ``--fresh`` swap; returns what happened and ``{"tables": ..., "figures": ...}`` (empty
    when the runs did not complete)."""
    done: dict[str, Any] = {}

    def after(folder: Path) -> None:
        done.update(finish(p.exp, designs.make(p.exp, p.max_runs), folder, plots, on_figure_error))

    result = runner.run_experiment(p, executor, progress=progress, report=after, chunk=chunk)
    return result, done


# -- reports ---------------------------------------------------------------------------------------------
def report(directory: Path) -> Path:
    """Write ``report.html`` into a results folder (description, figures, tables, manifest)."""
    return reports.write(directory, load_tables(directory))


def index(root: Path, names: list[str]) -> Path:
    """``results/INDEX.md``: the run facts of the shipped experiments."""
    return reports.index(root, names)


# -- on a finished folder --------------------------------------------------------------------------------
def saved(directory: Path) -> tuple[Experiment, dict]:
    """The experiment a results folder's manifest records and the manifest, read as untrusted input: a regular
    file, well formed, its definition matching its own key and the keys its runs were committed under
    (:mod:`experiments.storage.trust`); :class:`~experiments.storage.errors.StoreError` otherwise (one line)."""
    directory = Path(directory)
    folders.settle(directory)  # a --fresh swap a kill interrupted is finished before anything is read
    m = trust.read_manifest(directory)
    if m is None:
        raise trust.StoreError(f"{directory}: no manifest.json; not a results folder (run the experiment first)")
    return trust.experiment_of(directory, m), m


def runs(directory: Path, exp: Experiment) -> pd.DataFrame:
    """The runs of a folder with the model's derived metrics (empty when the raw runs are not here)."""
    frame = load_runs(directory)
    return with_derived(frame, exp.model_info) if not frame.empty else frame


def discover(directory: Path, exp: Experiment, target: str, method: str = "tree", *, names: list[str] | None = None,
             write: bool = True, **kw) -> tuple[discovery.Discovery, list[Path]]:
    """Scenario discovery on a folder's runs (:mod:`experiments.analysis.discover`); with ``write``, its table
    and figure go into the folder. Returns the discovery and the files written."""
    names = list(designs.make(exp).names) if names is None else names
    found = discovery.discover(runs(directory, exp), names, target, method, model=exp.model_info, **kw)
    files = discovery_figure.write(directory, found, labels=exp.outputs.get("labels"),
                                   formats=tuple(exp.outputs.get("formats", ("png", "pdf")))) if write else []
    return found, files
