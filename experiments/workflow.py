"""The ``discover`` and ``report`` commands of ``python -m experiments`` (kept apart from ``cli.py``, which
holds the running commands): each reads a finished results folder and writes into it."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_discover_options(sp: argparse.ArgumentParser) -> None:
    from experiments.config import OUTCOMES

    sp.add_argument("--target", default="Q3", help=f"the regime to explain: one of {', '.join(OUTCOMES)} (default Q3)")
    sp.add_argument("--method", default="tree", help="tree (scikit-learn CART, default) or prim (EMA Workbench)")
    sp.add_argument("--max-depth", type=int, default=3, help="tree depth (default 3)")
    sp.add_argument("--threshold", type=float, default=0.8, help="prim: the density a box should reach (default 0.8)")


def cmd_discover(args, directory: Path) -> int:
    from experiments import api, discover

    if args.max_depth < 1:
        raise ValueError("--max-depth must be ≥ 1")
    if not 0 < args.threshold <= 1:
        raise ValueError("--threshold must be in (0, 1]")
    res = api.load(directory)
    found = discover.discover(res.runs, res.names, args.target, args.method, max_depth=args.max_depth,
                              threshold=args.threshold)
    files = discover.write(directory, found, labels=res.experiment.outputs.get("labels"),
                           formats=tuple(res.experiment.outputs.get("formats", ("png", "pdf"))))
    print(discover.text(found))
    for f in files:
        print(f)
    return 0


def cmd_report(args, directory: Path) -> int:
    from experiments import report

    print(report.write(directory))
    return 0
