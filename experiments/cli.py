"""``python -m experiments list | run NAME_OR_FILE [...] | run-all [...] | plot NAME | show NAME | discover NAME
| report NAME`` (the last two: :mod:`experiments.workflow`).

Bad input (unknown experiment, bad TOML, unknown parameter, out-of-range value, a results folder
from another definition) prints one line to stderr and exits 2, before anything is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from experiments import config, workflow
from experiments.config import ConfigError
from experiments.runner import RunnerError

PROG = "python -m experiments"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Parameter sweeps of the piggyback model: run, analyse, plot.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="the shipped experiments and the state of their results")

    def run_options(sp, single: bool) -> None:
        if single:
            sp.add_argument("experiment", help="a name in experiments/configs/ or a path to a TOML file")
            sp.add_argument("--replicates", type=int, help="replicates per point (first round if adaptive)")
            sp.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                            help="override a base parameter (repeatable)")
            sp.add_argument("--out", help="results folder (default results/<name>)")
        sp.add_argument("--workers", type=int, help="worker processes (default: all cores)")
        sp.add_argument("--executor", choices=("pool", "serial", "dask"), default="pool",
                        help="pool (default): local processes; serial: in this process; dask: a LocalCluster")
        sp.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument("--fresh", action="store_true",
                        help="discard earlier runs in the results folder and start over (default: resume)")
        sp.add_argument("--no-plots", action="store_true", help="write summary.csv but draw no figures")

    run_options(sub.add_parser("run", help="run (or resume) an experiment"), single=True)
    run_options(sub.add_parser("run-all", help="run every shipped experiment in turn (regenerates results/)"),
                single=False)
    for name, helptext in (("plot", "re-draw figures from saved results"), ("show", "print a saved summary"),
                           ("discover", "scenario discovery: parameter regions leading to a regime"),
                           ("report", "write report.html: description, figures, tables, manifest")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("experiment", help="experiment name (or results folder with --out)")
        sp.add_argument("--out", help="results folder (default results/<name>)")
    workflow.add_discover_options(sub.choices["discover"])
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return {"list": cmd_list, "run": cmd_run, "run-all": cmd_run_all, "plot": cmd_plot, "show": cmd_show,
                "discover": lambda a: workflow.cmd_discover(a, _saved(a)[2]),
                "report": lambda a: workflow.cmd_report(a, _saved(a)[2])}[args.command](args)
    except (UsageError, ConfigError, ValueError) as exc:
        return _fail(str(exc))
    except RunnerError as exc:  # a folder from another definition, an unreachable scheduler
        return _fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted; finished runs are saved: re-run the same command to resume\n")
        return 130


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message.splitlines()[0] if message else 'failed'}\n")
    return 2


# ---------------------------------------------------------------------------------------------------
def cmd_list(args) -> int:
    from experiments import store

    for path in config.all_configs():
        try:
            exp = config.load(str(path))
        except ConfigError as exc:
            print(f"{path.stem:24} (invalid: {exc})")
            continue
        n_params = ", ".join(exp.parameters) or "-"
        state = "not run"
        manifest = Path("results") / exp.name / store.MANIFEST
        if manifest.exists():
            m = store.read_json(manifest)
            state = f"{m.get('runs', {}).get('done', '?')} runs, {m.get('status', '?')}"
        print(f"{exp.name:24} {exp.design:6} over {n_params}; {exp.replicates} replicates  [{state}]")
        if exp.description:
            text = exp.description.splitlines()[0]
            print(f"{'':24} {text if len(text) <= 96 else text[:95] + '…'}")
    return 0


def _overrides(assignments: list[str]) -> dict:
    from sim.params import parse_assignment

    out = {}
    for text in assignments:
        name, value = parse_assignment(text)
        out[name] = value
    return out


def cmd_run(args) -> int:
    if args.replicates is not None and args.replicates < 1:
        raise UsageError("--replicates must be ≥ 1")
    exp = config.load(args.experiment, overrides=_overrides(args.set), replicates=args.replicates)
    code = _run_one(exp, args, args.out)
    shipped = [p.stem for p in config.all_configs()]
    if code == 0 and args.out is None and exp.name in shipped and (Path("results") / "INDEX.md").exists():
        write_index(Path("results"), shipped)  # keep the run facts of the shipped results current
    return code


def cmd_run_all(args) -> int:
    t0 = time.perf_counter()
    exps = [config.load(str(p)) for p in config.all_configs()]  # validate all before running any
    if not args.fresh:  # refuse before running anything if some folder is stale
        from experiments import runner

        for exp in exps:
            runner.prepare(exp)
    for exp in exps:
        code = _run_one(exp, args, None)
        if code:
            return code
    print(f"\nall {len(exps)} experiments done in {time.perf_counter() - t0:.0f} s")
    print(f"index: {write_index(Path('results'), [e.name for e in exps])}")
    return 0


def write_index(root: Path, names: list[str]) -> Path:
    """``results/INDEX.md``: what each shipped experiment ran, when, on which code, in how long."""
    from experiments import store

    lines = [
        "# Shipped results: run facts (generated by `python -m experiments run-all`; do not edit)",
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
        lines.append(f"| {name} | {exp['design']} | {len(m['design']['points'])} × {reps} | {m['runs']['done']} "
                     f"| {wall:.0f} | {cpu:.0f} | {m.get('finished')} | {commit} | {m.get('model_fingerprint')} |")
    lines += ["", f"Total wall time {total_wall:.0f} s; run s = model time summed over workers.", ""]
    if len(prints) > 1:
        lines += ["**Warning:** the model code changed between these experiments (several model fingerprints): "
                  "regenerate with `python -m experiments run-all --fresh`.", ""]
    out = root / "INDEX.md"
    store.atomic_write_text(out, "\n".join(lines))
    return out


def _run_one(exp, args, out) -> int:
    from experiments import runner

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be ≥ 1")
    try:
        prepared = runner.prepare(exp, out, args.fresh)  # validates every design point; writes nothing
        executor = runner.make_executor(args.executor, args.workers, args.scheduler)
    except runner.RunnerError as exc:
        return _fail(str(exc))
    exp, design, directory, _ = prepared
    n = len(design.points)
    where = f"{executor.name} executor, {executor.workers} worker{'s' if executor.workers > 1 else ''}"
    print(f"{exp.name}: {exp.design} design, {n} points × {exp.replicates} replicates"
          f"{' (adaptive)' if exp.adaptive else ''}, root entropy {exp.entropy}; {where} → {directory}/",
          flush=True)
    try:
        result = runner.run_experiment(exp, executor, prepared=prepared, progress=not args.quiet, fresh=args.fresh)
    except runner.RunnerError as exc:
        executor.close(cancel=True)
        return _fail(str(exc))
    executor.close()
    rate = result.ran / result.seconds if result.seconds > 0 else 0.0
    print(f"{result.ran} runs in {result.seconds:.1f} s ({rate:.1f} runs/s), {result.skipped} already done, "
          f"{result.failed} failed{' (see failures.csv; re-run to retry)' if result.failed else ''}")
    _report(exp, design, directory, plots=not args.no_plots)
    return 0


def _report(exp, design, directory: Path, plots: bool = True) -> None:
    from experiments import analysis

    tables = analysis.analyse(directory, exp, design)
    print(analysis.table(tables["summary"], design.names if len(design.points) <= 40 else []))
    print(f"summary: {directory / analysis.SUMMARY}")
    if plots:
        from experiments import plots as plotting

        files = plotting.draw_all(directory, tables, design.names, exp.outputs, exp.name)
        pngs = [str(p) for p in files if p.suffix == ".png"]
        if pngs:
            print("figures: " + "  ".join(pngs))


def _saved(args):
    """The experiment and design recorded in a results folder (or, failing that, its TOML)."""
    from experiments import designs, store

    directory = Path(args.out) if args.out else Path("results") / args.experiment
    manifest = directory / store.MANIFEST
    if manifest.exists():
        exp = config.from_manifest(store.read_json(manifest)["experiment"])
        try:  # presentation settings ([outputs]) may be edited after a run: take them from the TOML
            current = config.load(exp.source or args.experiment)
            if current.entropy is None:
                current.entropy = exp.entropy
            if current.design_key() == exp.design_key():
                exp.outputs = current.outputs
        except ConfigError:
            pass
    else:
        exp = config.load(args.experiment)
        if not (directory / "summary.csv").exists():
            raise UsageError(f"no saved results for {args.experiment!r} in {directory}; run it first")
        if exp.entropy is None:
            raise UsageError(f"{directory} has no manifest.json to say which seeds were used")
    return exp, designs.make(exp), directory


def cmd_plot(args) -> int:
    from experiments import analysis, store
    from experiments import plots as plotting

    exp, design, directory = _saved(args)
    if (directory / store.RUNS).exists():
        tables = analysis.analyse(directory, exp, design)  # the raw runs are here: recompute the tables
    else:
        tables = analysis.load_tables(directory)  # committed tables only
    files = plotting.draw_all(directory, tables, design.names, exp.outputs, exp.name)
    for p in files:
        print(p)
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
        print(f"{m['name']}: {m.get('description', '').splitlines()[0] if m.get('description') else ''}")
        print(f"  {m['runs']['done']} runs ({m['status']}), root entropy {m['root_entropy']}, "
              f"commit {str(git.get('commit'))[:10]}{' (dirty)' if git.get('dirty') else ''}, "
              f"{len(m.get('sessions', []))} session(s), {wall:.0f} s wall, finished {m.get('finished')}")
    if "summary" in tables:
        print(analysis.table(tables["summary"], design.names if len(design.points) <= 40 else []))
    if "sensitivity" in tables:
        print(tables["sensitivity"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    figs = sorted(p.name for p in directory.glob("*.png"))
    if figs:
        print("figures: " + ", ".join(figs))
    return 0


if __name__ == "__main__":
    sys.exit(main())

