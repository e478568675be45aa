"""``python -m experiments list | run NAME_OR_FILE [...] | run-all [...] | plot NAME | show NAME | repair NAME
| discover NAME | report NAME`` (the last two: :mod:`experiments.workflow`).

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

from experiments import config, workflow
from experiments.config import ConfigError
from experiments.executors import RunnerError
from experiments.store import StoreError

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


def _parser() -> argparse.ArgumentParser:
    from experiments import designs, executors

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
        sp.add_argument("experiment", nargs="?" if name == "repair" else None,
                        help="experiment name (with --out: optional for repair)")
        where(sp, writes=name != "show")
    workflow.add_discover_options(sub.choices["discover"])
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"list": cmd_list, "run": cmd_run, "run-all": cmd_run_all, "plot": cmd_plot, "show": cmd_show,
                    "repair": cmd_repair, "discover": lambda a: workflow.cmd_discover(a, _saved(a)[2]),
                    "report": lambda a: workflow.cmd_report(a, _saved(a)[2])}
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
    from experiments import folders, store

    for path in config.all_configs():
        try:
            exp = config.load(str(path))
        except ConfigError as exc:
            say(f"{path.stem:24} (invalid: {exc})")
            continue
        n_params = ", ".join(exp.parameters) or "-"
        states = []
        for label, root in (("runs", folders.USER_ROOT), ("shipped", folders.SHIPPED_ROOT)):
            manifest = root / exp.name / store.MANIFEST
            try:
                m = store.read_json(manifest)
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
    exp = config.load(args.experiment, replicates=args.replicates, assignments=args.set)
    if args.events:
        if not exp.model_info.can_make("events"):
            raise UsageError(f"--events: the model {exp.model} returns no event log (its run() takes no "
                             "'tables' argument)")
        exp.outputs["events"] = True
    from experiments import runner

    p = runner.plan(exp, args.out, args.fresh, args.shipped, args.max_runs)
    code = _run_one(p, args)
    if code == 0 and args.shipped:
        write_index(Path("results"), [c.stem for c in config.all_configs()])
    return code


def cmd_run_all(args) -> int:
    from experiments import provenance, runner

    t0 = time.perf_counter()
    git = provenance.git_commit()  # once, before anything is written: the code that made every result
    exps = [config.load(str(p)) for p in config.all_configs()]
    plans = [runner.prepare(e, None, args.fresh, shipped=args.shipped, max_runs=args.max_runs, git=git)
             for e in exps]  # validate all, and refuse a stale folder, before running any
    for p in plans:
        code = _run_one(p, args)
        if code:
            return code
    say(f"\nall {len(exps)} experiments done in {time.perf_counter() - t0:.0f} s")
    if args.shipped:
        say(f"index: {write_index(Path('results'), [e.name for e in exps])}")
    return 0


def write_index(root: Path, names: list[str]) -> Path:
    """``results/INDEX.md``: what each shipped experiment ran, when, on which code, in how long."""
    from experiments import store

    lines = [
        "# Shipped results: run facts (generated by `python -m experiments run-all --shipped`; do not edit)",
        "",
        "| experiment | design | points × replicates | runs | wall s | run s | finished (UTC) | commit | model |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total_wall = 0.0
    prints = set()
    for name in names:
        path = root / name / store.MANIFEST
        if not path.exists():
            continue
        m = store.read_json(path)
        wall = sum(s.get("wall_seconds", 0) for s in m["sessions"])
        cpu = sum(s.get("run_seconds", 0) for s in m["sessions"])
        total_wall += wall
        prints.add(m.get("model_fingerprint"))
        git = m.get("git", {})
        commit = str(git.get("commit"))[:10] + (" (dirty)" if git.get("dirty") else "")
        exp = m["experiment"]
        reps = f"{exp['replicates']}" + (f"–{exp['adaptive']['max_replicates']}" if exp.get("adaptive") else "")
        n_points = m["design"].get("n_points", len(m["design"].get("points", [])))
        lines.append(f"| {name} | {exp['design']} | {n_points} × {reps} | {m['runs']['done']} "
                     f"| {wall:.0f} | {cpu:.0f} | {m.get('finished')} | {commit} | {m.get('model_fingerprint')} |")
    lines += ["", f"Total wall time {total_wall:.0f} s; run s = model time summed over workers.", ""]
    if len(prints) > 1:
        lines += ["**Warning:** the model code changed between these experiments (several model fingerprints): "
                  "regenerate with `python -m experiments run-all --shipped --fresh`.", ""]
    out = root / "INDEX.md"
    store.atomic_write_text(out, "\n".join(lines))
    return out


def _run_one(p, args) -> int:
    from experiments import designs, runner

    exp = p.exp
    executor = runner.make_executor(args.executor, args.workers, args.scheduler,
                                    preload=(exp.model.partition(":")[0],))
    tables: dict = {}

    def report(folder: Path) -> None:  # tables and figures, written before a --fresh swap
        tables.update(_report(exp, designs.make(exp, p.max_runs), folder, plots=not args.no_plots))

    where = f"{executor.name} executor, {executor.workers} worker{'s' if executor.workers > 1 else ''}"
    say(f"{exp.name}: {exp.design} design, {p.points} points × {exp.replicates} replicates"
        f"{' (adaptive)' if exp.adaptive else ''}; {where} → {p.directory}/")
    try:
        result = runner.run_experiment(p, executor, progress=not args.quiet, report=report, chunk=args.chunk)
    finally:
        executor.close()
    rate = result.ran / result.seconds if result.seconds > 0 else 0.0
    failed = " (see failures.parquet; re-run to retry)" if result.failed else ""
    say(f"{result.ran} runs in {result.seconds:.1f} s ({rate:.1f} runs/s, {result.chunks} chunks), "
        f"{result.skipped} already done, {result.failed} failed{failed}; root entropy {exp.entropy}")
    _print_report(exp, p.directory, tables)
    return 0


def _report(exp, design, directory: Path, plots: bool = True) -> dict:
    from experiments import analysis

    tables = analysis.analyse(directory, exp, design)
    out = {"summary": tables["summary"], "names": design.names if len(design.points) <= 40 else [], "figures": []}
    if plots:
        from experiments import plots as plotting

        try:
            files = plotting.draw_all(directory, tables, design.names, exp.outputs, exp.name)
        except Exception as exc:  # the results are complete and saved: a figure that fails is not data loss
            sys.stderr.write(f"{PROG}: warning: figures not drawn ({type(exc).__name__}: {exc}); the results are "
                             f"saved: `{PROG} plot` re-draws them\n")
            files = []
        out["figures"] = [Path(f).name for f in files if Path(f).suffix == ".png"]
    return out


def _print_report(exp, directory: Path, tables: dict) -> None:
    from experiments import analysis

    if "summary" not in tables:
        return
    say(analysis.table(tables["summary"], tables["names"]))
    say(f"summary: {directory / analysis.SUMMARY}")
    if tables["figures"]:
        say("figures: " + "  ".join(str(directory / f) for f in tables["figures"]))


def _directory(args) -> Path:
    from experiments import folders

    if args.out:
        return folders.check_out(args.out)
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
    from experiments import designs, store

    directory = _directory(args)
    manifest = directory / store.MANIFEST
    if manifest.exists():
        try:
            exp = config.from_manifest(store.read_json(manifest)["experiment"])
        except (ValueError, KeyError, TypeError):
            raise UsageError(f"{manifest} is unreadable") from None
        try:  # presentation settings ([outputs]) may be edited after a run: take them from the TOML
            current = config.load(exp.source or args.experiment)
            if current.entropy is None:
                current.entropy = exp.entropy
            if current.design_key() == exp.design_key():
                exp.outputs = current.outputs
        except ConfigError:
            pass
    else:
        if not directory.is_dir() or not args.experiment:
            raise UsageError(f"no saved results in {directory}; run the experiment first")
        exp = config.load(args.experiment)
        if not (directory / "summary.csv").exists():
            raise UsageError(f"no saved results for {args.experiment!r} in {directory}; run it first")
        if exp.entropy is None:
            raise UsageError(f"{directory} has no manifest.json to say which seeds were used")
    return exp, designs.make(exp, max_runs=10**12), directory


def cmd_plot(args) -> int:
    from experiments import analysis, folders, store
    from experiments import plots as plotting

    exp, design, directory = _saved(args)
    with folders.Folder(directory):  # not while a runner writes this folder
        if (directory / store.JOURNAL).exists() or (directory / store.RUNS_CSV).exists():
            tables = analysis.analyse(directory, exp, design)  # the raw runs are here: recompute the tables
        else:
            tables = analysis.load_tables(directory)  # committed tables only
        files = plotting.draw_all(directory, tables, design.names, exp.outputs, exp.name)
    for p in files:
        say(str(p))
    return 0


def cmd_show(args) -> int:
    from experiments import analysis, store

    _, design, directory = _saved(args)
    tables = analysis.load_tables(directory)
    manifest = directory / store.MANIFEST
    if manifest.exists():
        m = store.read_json(manifest)
        git = m.get("git", {})
        wall = sum(s.get("wall_seconds", 0) for s in m.get("sessions", []))
        say(f"{m['name']}: {m.get('description', '').splitlines()[0] if m.get('description') else ''}  [{directory}]")
        say(f"  {m['runs']['done']} runs ({m['status']}), root entropy {m['root_entropy']}, "
            f"commit {str(git.get('commit'))[:10]}{' (dirty)' if git.get('dirty') else ''}, "
            f"{len(m.get('sessions', []))} session(s), {wall:.0f} s wall, finished {m.get('finished')}")
    if "summary" in tables:
        say(analysis.table(tables["summary"], design.names if len(design.points) <= 40 else []))
    if "sensitivity" in tables:
        say(tables["sensitivity"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    figs = sorted(p.name for p in directory.glob("*.png"))
    if figs:
        say("figures: " + ", ".join(figs))
    return 0


def cmd_repair(args) -> int:
    from experiments import folders, store

    directory = _directory(args)
    if not (directory / store.JOURNAL).exists() and not list((directory / store.PARTS).glob("*")) \
            and not any((directory / store.final_name(t)).exists() for t in store.TABLES):
        raise UsageError(f"{directory} holds no results to repair")
    from experiments.repair import repair

    with folders.Folder(directory):
        done = repair(directory)
    if not done["moved"]:
        say(f"{directory}: every file verifies; nothing to repair")
        return 0
    say(f"{directory}: set {len(done['moved'])} damaged file(s) aside in {done['aside']} ({done['dropped']} journal "
        f"record(s), {done['runs_lost']} run(s)); {done['kept']} record(s) verify and are kept")
    say("re-run the experiment (the same `run` command) to run the set-aside runs again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
