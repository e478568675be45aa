"""How a benchmark result file is named, and how it is written.

``benchmarks/results/<measure>-<interpreter>-<date>.json``, e.g.
``speedup-mesa3.3-py3.11-2026-11-30.json``: the measure (``speedup``, ``runner``, ``driver``, ...),
the interpreter (``py3.11``, preceded by the Mesa version, ``mesa3.3-``, when the measurement runs
the Mesa model), and the day it was measured (UTC). A second file of the same measure, interpreter
and day gets ``-2``, ``-3``, ...: a script never overwrites a result file unless told to
(``--overwrite``). Which file is current for each measure is in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def interpreter(with_mesa: bool = True) -> str:
    """``mesa3.3-py3.11`` (or ``py3.11``): what the file name says about where it was measured."""
    py = "py{}.{}".format(*sys.version_info[:2])
    if not with_mesa:
        return py
    import mesa

    return "mesa{}-{}".format(".".join(mesa.__version__.split(".")[:2]), py)


def today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def proposed(measure: str, with_mesa: bool = True) -> Path:
    """The first free ``benchmarks/results/<measure>-<interpreter>-<today>[-N].json``."""
    stem = f"{measure}-{interpreter(with_mesa)}-{today()}"
    path, n = RESULTS / f"{stem}.json", 1
    while path.exists():
        n += 1
        path = RESULTS / f"{stem}-{n}.json"
    return path


def add_json_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--json", nargs="?", const="", default=None, metavar="FILE",
                    help="write the figures as JSON: to FILE, or without FILE to "
                         "benchmarks/results/<measure>-<interpreter>-<date>.json (never over an existing file)")
    ap.add_argument("--overwrite", action="store_true", help="let --json FILE replace an existing file")


def json_target(args: argparse.Namespace, measure: str, with_mesa: bool = True) -> Path | None:
    """Where ``--json`` writes, decided before anything is measured (a refusal costs nothing then);
    ``None`` without ``--json``, after saying what the file would be called."""
    if args.json is None:
        print(f"(figures not written; --json writes {proposed(measure, with_mesa).relative_to(ROOT)})")
        return None
    if args.json == "":
        return proposed(measure, with_mesa)
    path = Path(args.json)
    if path.exists() and not args.overwrite:
        raise SystemExit(f"{path} exists: give another name, --json without FILE for a new one, or --overwrite")
    return path


def provenance() -> dict:
    """When, on which tree and interpreter the figures were measured (written into the JSON)."""
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    now = datetime.datetime.now(datetime.UTC)
    out = {"date": now.date().isoformat(), "time_utc": now.strftime("%H:%M"), "commit": commit or None,
           "python": sys.version.split()[0]}
    try:
        import mesa

        out["mesa"] = mesa.__version__
    except ImportError:
        pass
    return out


def write(path: Path | None, data: dict, overwrite: bool = False) -> None:
    """Write ``data`` to ``path``; if a file of that name appeared meanwhile (and ``overwrite`` was not
    given), to the next free ``-N`` name beside it instead: figures are never lost, no file replaced."""
    import json

    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, default=str) + "\n"
    stem, n = path.stem, 1
    while True:
        try:
            with open(path, "w" if overwrite else "x") as f:
                f.write(text)
            break
        except FileExistsError:
            n += 1
            path = path.with_name(f"{stem}-{n}.json")
    print(f"figures written to {path}")
