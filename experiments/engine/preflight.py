"""Before anything runs: an experiment and where its results go (a :class:`Plan`), checked against the results
folder it would write; and, under the folder's lock, what to do with that folder (start, resume, or
write a ``--fresh`` set beside the old one)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from experiments.definition import config, designs
from experiments.definition.experiment import Experiment
from experiments.storage import folders, provenance
from experiments.storage.atomic import read_json
from experiments.storage.errors import RunnerError, StoreError
from experiments.storage.layout import JOURNAL, MANIFEST, RUNS_CSV

MAX_RUNS = designs.MAX_RUNS


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


def plan(exp: Experiment, out: str | Path | None = None, fresh: bool = False, shipped: bool = False,
         max_runs: int = MAX_RUNS, git: dict | None = None) -> Plan:
    """Check everything that can be checked before touching the results folder; write nothing.

    Raises :class:`config.ConfigError` (a bad or too large design) or :class:`RunnerError`.
    """
    if shipped and out is not None:
        raise RunnerError("--shipped and --out name two different places: use one")
    if shipped and not config.is_shipped(exp.source):
        raise RunnerError(f"--shipped writes results/{exp.name}/ only for the shipped definition "
                          f"experiments/configs/{exp.name}.toml, not {exp.source or 'a definition built in code'}")
    directory = folders.check_out(out) if out is not None else folders.named(exp.name, shipped)
    if folders.state(directory) == "foreign":  # refused before even a lock file is created in it
        check_existing(Plan(exp, directory, 0, max_runs, {}), directory)
    points, _ = designs.check_size(exp, max_runs)
    if exp.entropy is not None or exp.design in ("grid", "oat", "points"):
        probe = exp if exp.entropy is not None else with_entropy(exp, 0)  # grid/oat/points ignore entropy
        designs.check_points(probe, designs.make(probe, max_runs))
    return Plan(exp, directory, points, max_runs, git if git is not None else provenance.git_commit(), fresh, shipped)


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
def read_manifest(directory: Path) -> dict | None:
    path = directory / MANIFEST
    if not path.exists():
        return None
    try:
        m = read_json(path)
        if not isinstance(m, dict):
            raise ValueError
        return m
    except (OSError, ValueError):
        raise RunnerError(f"{path} is unreadable; pass --fresh to start over (the folder's results are kept "
                          "until the new ones are complete), or --out DIR") from None


def check_existing(p: Plan, directory: Path) -> dict:
    """The manifest of an existing results folder, if its runs may be resumed by this definition."""
    exp = p.exp
    state = folders.state(directory)
    if state == "foreign":
        names = ", ".join(folders.entries(directory)[:3])
        raise RunnerError(f"{directory} is not an experiment results folder (it holds {names}, ...); "
                          "pass --out with a new or empty folder")
    old = read_manifest(directory)
    if old is None:
        raise RunnerError(f"{directory} holds results but no manifest.json to say how they were made; pass --fresh "
                          "to start over (they are kept until the new results are complete), or --out DIR")
    if (directory / RUNS_CSV).exists() and not (directory / JOURNAL).exists():
        raise RunnerError(f"{directory} holds runs in the older CSV format; pass --fresh to run it again in the "
                          "current format (the old results are kept until then), or --out DIR")
    entropy = exp.entropy if exp.entropy is not None else old.get("root_entropy")
    probe = with_entropy(exp, entropy) if isinstance(entropy, int) else exp
    if old.get("design_key") != probe.design_key() or old.get("name") != exp.name:
        raise RunnerError(
            f"{directory} holds results of a different definition of {old.get('name', '?')!r} (model, parameters, "
            "design or entropy differ); pass --fresh to start over (the old results are kept until the new ones "
            "are complete), or --out DIR")
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
