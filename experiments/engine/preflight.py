"""Before anything runs: an experiment and where its results go (a :class:`Plan`), checked against the results
folder it would write, its size and its estimated time; and, under the folder's lock, what to do with that folder
(start, resume, or write a ``--fresh`` set beside the old one)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from experiments.definition import config, designs
from experiments.definition.experiment import Experiment
from experiments.storage import folders, provenance, trust
from experiments.storage.errors import RunnerError, StoreError
from experiments.storage.journal import keys_of, read_journal
from experiments.storage.layout import JOURNAL, RUNS_CSV

MAX_RUNS = designs.MAX_RUNS
MAX_HOURS = 24.0  # default cap on a sweep's estimated time (an upper bound, on the workers it will have)
ESTIMATE_POINTS = 1_000  # design points whose run size is estimated (evenly spread; the rest extrapolated)


@dataclass
class Plan:
    """A validated experiment and where it goes; made before anything is written."""

    exp: Experiment
    directory: Path
    points: int
    max_runs: int
    git: dict[str, Any]
    fresh: bool = False
    shipped: bool = False
    estimate: float | None = None  # seconds of model time for every run, at most (None: the model gives no size)
    max_hours: float = MAX_HOURS


def plan(exp: Experiment, out: str | Path | None = None, fresh: bool = False, shipped: bool = False,
         max_runs: int = MAX_RUNS, git: dict | None = None, max_hours: float = MAX_HOURS,
         workers: int | None = None) -> Plan:
    """Check everything that can be checked before touching the results folder; write nothing (but finish a
    ``--fresh`` swap that a kill interrupted).

    Raises :class:`config.ConfigError` (a bad, too large or too long design) or :class:`RunnerError`.
    """
    if shipped and out is not None:
        raise RunnerError("--shipped and --out name two different places: use one")
    if shipped and not config.is_shipped(exp.source):
        raise RunnerError(f"--shipped writes results/{exp.name}/ only for the shipped definition "
                          f"experiments/configs/{exp.name}.toml, not {exp.source or 'a definition built in code'}")
    if isinstance(max_hours, bool) or not isinstance(max_hours, (int, float)) or not 0 < max_hours < float("inf"):
        raise RunnerError(f"--max-hours must be a number of hours > 0, got {max_hours!r}", "max_hours", max_hours)
    directory = folders.check_out(out) if out is not None else folders.named(exp.name, shipped)
    folders.settle(directory)  # a --fresh swap a kill interrupted is finished before the folder is judged
    if folders.state(directory) == "foreign":  # refused before even a lock file is created in it
        check_existing(Plan(exp, directory, 0, max_runs, {}), directory)
    points, _ = designs.check_size(exp, max_runs)
    if exp.entropy is not None or exp.design in ("grid", "oat", "points"):
        probe = exp if exp.entropy is not None else with_entropy(exp, 0)  # grid/oat/points ignore entropy
        designs.check_points(probe, designs.make(probe, max_runs))
    seconds = estimate(exp, max_runs, max_hours, workers)
    return Plan(exp, directory, points, max_runs, git if git is not None else provenance.git_commit(), fresh, shipped,
                seconds, float(max_hours))


def estimate(exp: Experiment, max_runs: int = MAX_RUNS, max_hours: float = MAX_HOURS,
             workers: int | None = None) -> float | None:
    """Seconds of model time the sweep needs at most, from the model's own size estimate (``check_size``, e.g.
    :func:`sim.params.check_size`: ``max_steps`` × the contracts of a run), or None for a model without one (the
    runner then measures). A run too large to build, or a sweep above ``max_hours`` on ``workers``, is refused."""
    size = exp.model_info.check_size
    if size is None:
        return None
    probe = exp if exp.entropy is not None else with_entropy(exp, 0)
    design = designs.make(probe, max_runs)
    n = len(design.points)
    total = 0.0
    picks = np.unique(np.linspace(0, n - 1, min(n, ESTIMATE_POINTS)).astype(np.int64)) if n else []
    for j in picks:
        try:
            total += float(size(exp.model_info.validate({**exp.base, **design.points[int(j)]})))
        except ValueError as exc:
            raise config.ConfigError(f"{exp.source or exp.name}: design point {int(j)}: {exc}") from None
    reps = exp.adaptive.max_replicates if exp.adaptive else exp.replicates
    seconds = total / max(1, len(picks)) * n * reps
    workers = workers or os.cpu_count() or 1
    if seconds / workers > max_hours * 3600:
        per = seconds / max(1, n * reps)
        raise config.ConfigError(
            f"{exp.source or exp.name}: estimated to take up to {seconds / workers / 3600:,.1f} h on {workers} "
            f"worker(s) ({n * reps:,} runs of up to {per:,.3g} s each: an upper bound, from max_steps and the "
            f"population), above the cap of {max_hours:g} h; lower max_steps or the design, or pass --max-hours H")
    return seconds


def prepare(exp: Experiment, out: str | Path | None = None, fresh: bool = False, **kw) -> Plan:
    """:func:`plan` plus an advisory, read-only check of the folder (the binding check is repeated under
    the writer's lock by :func:`experiments.engine.runner.run_experiment`)."""
    p = plan(exp, out, fresh, **kw)
    if not fresh and folders.state(p.directory) != "empty":
        check_existing(p, p.directory)
    return p


def with_entropy(exp: Experiment, entropy: int) -> Experiment:
    return replace(exp, entropy=entropy)


# -- deciding, under the lock, what to do with the folder ---------------------------------------------
def _fresh_or_out(directory: Path) -> str:
    return ("pass --fresh to start over (the folder's results are kept until the new ones are complete), or "
            "--out DIR")


def check_existing(p: Plan, directory: Path) -> dict | None:
    """The manifest of an existing results folder, if its runs may be resumed by this definition (None when the
    folder's runs are this definition's, by the key the journal keeps, but its manifest is missing or damaged:
    the run rewrites it)."""
    exp = p.exp
    state = folders.state(directory)
    if state == "foreign":
        names = ", ".join(folders.entries(directory)[:3])
        raise RunnerError(f"{directory} is not an experiment results folder (it holds {names}, ...); "
                          "pass --out with a new or empty folder")
    try:
        old, broken = trust.read_manifest(directory), None
    except StoreError as exc:
        old, broken = None, str(exc)
    try:
        journal_keys = keys_of(read_journal(directory)[0])
    except StoreError:
        journal_keys = set()  # damage: reported when the store is opened
    entropy = exp.entropy if exp.entropy is not None else (old or {}).get("root_entropy")
    probe = with_entropy(exp, entropy) if isinstance(entropy, int) else None
    if old is None:
        if probe is not None and journal_keys == {probe.design_key()}:
            return None  # this definition's runs: resumed, and the manifest written anew
        if broken:
            raise RunnerError(f"{broken.split('; ')[0]}; re-run the definition that made it, or "
                              f"{_fresh_or_out(directory)}")
        raise RunnerError(f"{directory} holds results but no manifest.json to say how they were made; re-run the "
                          f"definition that made them, or {_fresh_or_out(directory)}")
    if (directory / RUNS_CSV).exists() and not (directory / JOURNAL).exists():
        raise RunnerError(f"{directory} holds runs in the older CSV format; pass --fresh to run it again in the "
                          "current format (the old results are kept until then), or --out DIR")
    key = probe.design_key() if probe is not None else exp.design_key() if exp.entropy is not None else None
    same = old.get("design_key") == key and old.get("name") == exp.name
    if journal_keys:
        same = journal_keys == {key} and old.get("name") in (exp.name, None)
    if not same:
        raise RunnerError(
            f"{directory} holds results of a different definition of {str(old.get('name', '?'))[:64]!r} (model, "
            "parameters, design or entropy differ); pass --fresh to start over (the old results are kept until the "
            "new ones are complete), or --out DIR")
    if old.get("model_fingerprint") not in (None, provenance.model_fingerprint(exp.model)):
        raise RunnerError(f"{directory} holds results of a different version of the model code; pass --fresh to "
                          "start over (the old results are kept until the new ones are complete), or --out DIR")
    return old


def decide(p: Plan, folder: folders.Folder) -> tuple[Path, dict | None]:
    """(the folder to write, the manifest to resume from); called with the lock held."""
    if folders.state(p.directory) == "empty":
        return p.directory, None
    if not p.fresh:
        return p.directory, check_existing(p, p.directory)
    if folders.state(p.directory) == "foreign":
        check_existing(p, p.directory)  # raises: --fresh never replaces what is not ours
    staging = folder.staging
    if folders.state(staging) != "empty":  # an earlier --fresh was interrupted: resume it if it is this one
        try:
            return staging, check_existing(p, staging)
        except (RunnerError, StoreError):
            folder.clear_staging()
    return staging, None
