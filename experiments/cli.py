"""``python -m experiments list | run NAME_OR_FILE [...] | run-all [...] | plot NAME | show NAME | repair NAME
| discover NAME | report NAME``: the command-line face of :mod:`experiments.pipeline` (the Python face is
:mod:`experiments.api`).

Where results go: ``runs/<name>/`` under the current directory by default (git-ignored), ``--out DIR``
for any other folder, ``--shipped`` for the repository's ``results/<name>/`` (shipped definitions only).

Bad input (unknown experiment, bad TOML, unknown parameter, out-of-range value, a too large design, a
results folder from another definition, a busy or damaged folder) prints one line to stderr and exits 2,
before anything is written. Ctrl-C or SIGTERM exits 130 with every finished run saved.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from experiments import pipeline
from experiments.definition import config
from experiments.definition.config import ConfigError
from experiments.definition.experiment import DEFAULT_TARGET
from experiments.storage.atomic import read_json
from experiments.storage.errors import RunnerError, StoreError
from experiments.storage.journal import data_files
from experiments.storage.layout import JOURNAL, MANIFEST, PARTS, RUNS_CSV

PROG = "python -m experiments"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _positive(label: str, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{label} must be an integer, got {text!r}") from None
        if not 1 <= value <= high:
            raise argparse.ArgumentTypeError(f"{label} must be in [1, {high:,}], got {value}")
        return value

    return parse


def _seconds(text: str) -> float:
    """``--run-timeout``: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--run-timeout must be a number of seconds, got {text[:40]!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"--run-timeout must be a number of seconds > 0, got {text[:40]!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    from experiments.definition import designs
    from experiments.engine import executors

    p = _Parser(prog=PROG, description="Parameter sweeps of the piggyback model: run, analyse, plot.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="the shipped experiments and the state of their results")

    def where(sp, writes: bool) -> None:
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--out", help="results folder (default: runs/<name> under the current directory)")
        g.add_argument("--shipped", action="store_true",
                       help="the repository's shipped results/<name>/" + (" (shipped definitions only)" if writes
                                                                            else ""))

    def run_options(sp, single: bool) -> None:
        if single:
            sp.add_argument("experiment", help="a name in experiments/configs/ or a path to a TOML file")
            sp.add_argument("--replicates", type=_positive("--replicates", 10**9),
                            help="replicates per point (first round if adaptive)")
            sp.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                            help="override a base parameter (repeatable)")
            sp.add_argument("--events", action="store_true",
                            help="also keep each run's event log (models whose run() takes `tables`)")
            where(sp, writes=True)
        else:
            sp.add_argument("--shipped", action="store_true", help="write the repository's results/ (what "
                            "`make experiments` does); default: runs/<name>/")
        sp.add_argument("--workers", type=_positive("--workers", executors.MAX_WORKERS),
                        help="worker processes (default: all cores)")
        sp.add_argument("--executor", choices=("pool", "serial", "dask"), default="pool",
                        help="pool (default): local processes; serial: in this process; dask: a LocalCluster")
        sp.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument("--run-timeout", type=_seconds, metavar="SECONDS",
                        help="stop a run still going after SECONDS and record it as failed (pool and serial)")
        sp.add_argument("--fresh", action="store_true",
                        help="start over; the old results stay in place until the new ones are complete "
                             "(default: resume)")
        sp.add_argument("--no-plots", action="store_true", help="write the tables but draw no figures")
        sp.add_argument("--max-runs", type=_positive("--max-runs", 10**12), default=designs.MAX_RUNS,
                        help=f"refuse a design of more runs than this (default {designs.MAX_RUNS:,})")
        sp.add_argument("--chunk", type=_positive("--chunk", 100_000),
                        help="runs per task (default: sized to about a second of work)")

    run_options(sub.add_parser("run", help="run (or resume) an experiment"), single=True)
    run_options(sub.add_parser("run-all", help="run every shipped experiment in turn"), single=False)
    for name, helptext in (("plot", "re-draw figures from saved results"), ("show", "print a saved summary"),
                           ("repair", "set a damaged results folder's damaged files aside"),
                           ("discover", "scenario discovery: parameter regions leading to a regime"),
                           ("report", "write report.html: description, figures, tables, manifest")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("experiment", nargs="?", help="experiment name (optional with --out)")
        where(sp, writes=name != "show")
    d = sub.choices["discover"]
    d.add_argument("--target", default=DEFAULT_TARGET,
                   help=f"the regime to explain: a category of the model's outcome (default {DEFAULT_TARGET})")
    d.add_argument("--method", default="tree", help="tree (scikit-learn CART, default) or prim (EMA Workbench)")
    d.add_argument("--max-depth", type=int, default=3, help="tree depth (default 3)")
    d.add_argument("--threshold", type=float, default=0.8, help="prim: the density a box should reach (default 0.8)")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"list": cmd_list, "run": cmd_run, "run-all": cmd_run_all, "plot": cmd_plot, "show": cmd_show,
                    "repair": cmd_repair, "discover": cmd_discover, "report": cmd_report}
        return commands[args.command](args)
    except (UsageError, ConfigError, RunnerError, StoreError, ValueError) as exc:
        return _fail(str(exc))
    except OSError as exc:  # a full disk, a folder that vanished: what and where, not a traceback
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        return _fail(f"{exc.strerror or exc}{where}")
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted; finished runs are saved: re-run the same command to resume\n")
        return 130


def _fail(message: str) -> int:
    lines = message.splitlines()
    sys.stderr.write(f"{PROG}: error: {lines[0] if lines else 'failed'}\n")
    return 2


def say(text: str = "") -> None:
    """Print, surviving a closed pipe (``... | head -1``): the work goes on, the output goes nowhere."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


# ---------------------------------------------------------------------------------------------------
def cmd_list(args) -> int:
    from experiments.storage import folders

    for path in config.all_configs():
        try:
            exp = pipeline.experiment(path)
        except ConfigError as exc:
            say(f"{path.stem:24} (invalid: {exc})")
            continue
        n_params = ", ".join(exp.parameters) or "-"
        states = []
        for label, root in (("runs", folders.USER_ROOT), ("shipped", folders.SHIPPED_ROOT)):
            manifest = root / exp.name / MANIFEST
            try:
                m = read_json(manifest)
                states.append(f"{label}: {m.get('runs', {}).get('done', '?')} runs, {m.get('status', '?')}")
            except (OSError, ValueError, AttributeError):
                pass
        say(f"{exp.name:24} {exp.design:6} over {n_params}; {exp.replicates} replicates  "
            f"[{'; '.join(states) or 'not run'}]")
        if exp.description:
            text = exp.description.splitlines()[0]
            say(f"{'':24} {text if len(text) <= 96 else text[:95] + '…'}")
    return 0


def cmd_run(args) -> int:
    if args.shipped and (args.set or args.replicates is not None):
        raise UsageError("--shipped regenerates a shipped experiment as defined: drop --set/--replicates "
                         "(results then go to runs/<name>/) or edit its TOML")
    exp = pipeline.experiment(args.experiment, replicates=args.replicates, assignments=args.set)
    if args.events:
        if not exp.model_info.can_make("events"):
            raise UsageError(f"--events: the model {exp.model} returns no event log (its run() takes no "
                             "'tables' argument)")
        exp.outputs["events"] = True
    p = pipeline.plan(exp, args.out, args.fresh, args.shipped, args.max_runs)
    code = _run_one(p, args)
    if code == 0 and args.shipped:
        pipeline.index(Path("results"), [c.stem for c in config.all_configs()])
    return code


def cmd_run_all(args) -> int:
    from experiments.storage import provenance

    t0 = time.perf_counter()
    git = provenance.git_commit()  # once, before anything is written: the code that made every result
    exps = pipeline.shipped()
    plans = [pipeline.prepare(e, None, args.fresh, shipped=args.shipped, max_runs=args.max_runs, git=git)
             for e in exps]  # validate all, and refuse a stale folder, before running any
    for p in plans:
        code = _run_one(p, args)
        if code:
            return code
    say(f"\nall {len(exps)} experiments done in {time.perf_counter() - t0:.0f} s")
    if args.shipped:
        say(f"index: {pipeline.index(Path('results'), [e.name for e in exps])}")
    return 0


def _run_one(p, args) -> int:
    exp = p.exp
    executor = pipeline.executor(exp, args.executor, args.workers, args.scheduler, args.run_timeout)

    def figures_failed(exc: Exception) -> None:  # the results are complete and saved: not data loss
        sys.stderr.write(f"{PROG}: warning: figures not drawn ({type(exc).__name__}: {exc}); the results are "
                         f"saved: `{PROG} plot` re-draws them\n")

    where = f"{executor.name} executor, {executor.workers} worker{'s' if executor.workers > 1 else ''}"
    say(f"{exp.name}: {exp.design} design, {p.points} points × {exp.replicates} replicates"
        f"{' (adaptive)' if exp.adaptive else ''}; {where} → {p.directory}/")
    try:
        result, done = pipeline.run(p, executor, progress=not args.quiet, chunk=args.chunk, plots=not args.no_plots,
                                    on_figure_error=figures_failed)
    finally:
        executor.close()
    rate = result.ran / result.seconds if result.seconds > 0 else 0.0
    failed = " (see failures.parquet; re-run to retry)" if result.failed else ""
    say(f"{result.ran} runs in {result.seconds:.1f} s ({rate:.1f} runs/s, {result.chunks} chunks), "
        f"{result.skipped} already done, {result.failed} failed{failed}; root entropy {exp.entropy}")
    _print_run(exp, p.directory, done)
    if result.unresolved:  # every run was tried, some failed: the sweep is not complete, say so and exit 1
        first = f" (the first: {result.first_failure.split(' | ')[0]})" if result.first_failure else ""
        sys.stderr.write(f"{PROG}: error: {result.unresolved} run(s) failed{first}; the others "
                         f"are saved in {p.directory}: fix the cause and re-run the same command to retry them\n")
        return 1
    return 0


def _print_run(exp, directory: Path, done: dict) -> None:
    from experiments.analysis import summary

    if "tables" not in done:
        return
    design = done["design"]
    say(summary.table(done["tables"]["summary"], design.names if len(design.points) <= 40 else [],
                      model=exp.model_info))
    say(f"summary: {directory / summary.FILE}")
    pngs = [Path(f).name for f in done["figures"] if Path(f).suffix == ".png"]
    if pngs:
        say("figures: " + "  ".join(str(directory / f) for f in pngs))


def _directory(args) -> Path:
    from experiments.storage import folders

    if args.out:
        return folders.check_out(args.out, writes=args.command != "show", shipped=getattr(args, "shipped", False))
    if not args.experiment:
        raise UsageError("name an experiment, or a folder with --out DIR")
    path = folders.named(args.experiment, args.shipped)
    if args.command == "show" and not args.shipped and not path.exists():
        shipped = folders.named(args.experiment, True)
        if shipped.exists():
            return shipped  # show is read-only: fall back to the shipped results
    return path


def _saved(args):
    """The experiment and design recorded in a results folder (or, failing that, its TOML)."""
    from experiments.definition import designs
    from experiments.storage import folders

    directory = _directory(args)
    folders.settle(directory)  # a --fresh swap a kill interrupted is finished before the folder is judged
    manifest = directory / MANIFEST
    if manifest.exists() or manifest.is_symlink():
        exp = pipeline.saved(directory)[0]  # checked against its own key, the journal and the runs
        try:  # presentation settings ([outputs]) may be edited after a run: take them from the TOML
            current = pipeline.experiment(exp.source or args.experiment) if exp.source or args.experiment else None
            if current is not None and current.entropy is None:
                current.entropy = exp.entropy
            if current is not None and current.design_key() == exp.design_key():
                exp.outputs = current.outputs
        except ConfigError:
            pass
    else:
        raw = (directory / JOURNAL).exists() or (directory / PARTS).exists() or bool(data_files(directory))
        if raw or (directory.is_dir() and not args.experiment and folders.state(directory) == "ours"):
            raise UsageError(f"{directory} holds results but no {MANIFEST} to say how they were made; re-run the "
                             f"definition that made them into it (`{PROG} run NAME_OR_TOML --out {directory}`: "
                             "finished runs are kept and the manifest is written anew)")
        if not directory.is_dir() or not args.experiment:
            raise UsageError(f"no saved results in {directory}; run the experiment first")
        exp = pipeline.experiment(args.experiment)
        if not (directory / "summary.csv").exists():
            raise UsageError(f"no saved results for {args.experiment!r} in {directory}; run it first")
        if exp.entropy is None:
            raise UsageError(f"{directory} has no manifest.json to say which seeds were used")
    return exp, designs.make(exp, max_runs=10**12), directory


def cmd_plot(args) -> int:
    from experiments.storage import folders

    exp, design, directory = _saved(args)
    with folders.Folder(directory):  # not while a runner writes this folder
        if (directory / JOURNAL).exists() or (directory / RUNS_CSV).exists():
            tables = pipeline.analyse(directory, exp, design, verify=True)  # the raw runs are here: recompute
        else:
            tables = pipeline.load_tables(directory)  # committed tables only
        files = pipeline.draw(directory, tables, exp, design.names)
    for p in files:
        say(str(p))
    return 0


def cmd_show(args) -> int:
    from experiments.analysis import summary

    exp, design, directory = _saved(args)
    tables = pipeline.load_tables(directory)
    manifest = directory / MANIFEST
    if manifest.exists():
        m = read_json(manifest)
        git = m.get("git", {})
        wall = sum(s.get("wall_seconds", 0) for s in m.get("sessions", []))
        say(f"{m['name']}: {m.get('description', '').splitlines()[0] if m.get('description') else ''}  [{directory}]")
        runs = m.get("runs", {})
        failed = f", {runs['failed_unresolved']} failed" if runs.get("failed_unresolved") else ""
        say(f"  {runs.get('done')} of {runs.get('planned', '?')} runs{failed} ({m['status']}), "
            f"root entropy {m['root_entropy']}, "
            f"commit {str(git.get('commit'))[:10]}{' (dirty)' if git.get('dirty') else ''}, "
            f"{len(m.get('sessions', []))} session(s), {wall:.0f} s wall, finished {m.get('finished')}")
    if "summary" in tables:
        say(summary.table(tables["summary"], design.names if len(design.points) <= 40 else [], model=exp.model_info))
    if "sensitivity" in tables:
        say(tables["sensitivity"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    figs = sorted(p.name for p in directory.glob("*.png"))
    if figs:
        say("figures: " + ", ".join(figs))
    return 0


def cmd_repair(args) -> int:
    from experiments.storage import folders
    from experiments.storage.repair import repair

    directory = _directory(args)
    folders.settle(directory)  # an interrupted --fresh swap is finished first: then the folder is judged
    if not (directory / JOURNAL).exists() and not list((directory / PARTS).glob("*")) \
            and not data_files(directory):
        raise UsageError(f"{directory} holds no results to repair")

    with folders.Folder(directory):
        done = repair(directory)
    if not done["moved"]:
        say(f"{directory}: every file verifies; nothing to repair")
        return 0
    say(f"{directory}: set {len(done['moved'])} damaged file(s) aside in {done['aside']} ({done['dropped']} journal "
        f"record(s), {done['runs_lost']} run(s)); {done['kept']} record(s) verify and are kept")
    say("re-run the experiment (the same `run` command) to run the set-aside runs again")
    return 0


def cmd_discover(args) -> int:
    from experiments import api
    from experiments.analysis import discover

    directory = _saved(args)[2]
    if args.max_depth < 1:
        raise ValueError("--max-depth must be ≥ 1")
    if not 0 < args.threshold <= 1:
        raise ValueError("--threshold must be in (0, 1]")
    res = api.load(directory)
    found, files = pipeline.discover(directory, res.experiment, args.target, args.method, names=res.names,
                                     max_depth=args.max_depth, threshold=args.threshold)
    print(discover.text(found))
    for f in files:
        print(f)
    return 0


def cmd_report(args) -> int:
    print(pipeline.report(_saved(args)[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
