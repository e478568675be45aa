"""Write the design points of the confirmation experiment (MODEL.md §13.3) from the shipped experiments.

    .venv/bin/python tools/confirmation_points.py            # rewrite the points of configs/confirmation.toml
    .venv/bin/python tools/confirmation_points.py --check    # exit 1 if the committed points are not this output
    .venv/bin/python tools/confirmation_points.py --print    # the points on stdout, the file untouched

The points: every start at defaults (``source = "starts"``: Q1..Q4 and mixed), then, for every other shipped
experiment of the default model (in name order), a sample of its design points, each written as the overrides
a run of that experiment gets (its ``[base]`` and the point), less the values that are the model's defaults (so
that a recalibration moves these points as it moves the experiments' own) and less ``stop_on_settle`` (the
confirmation runs every seed on without stopping). Grid and one-at-a-time designs give up to :data:`PER_GRID`
points, first those that cover the extremes of each swept parameter (its lowest and highest value, or its first
and last listed choice; chosen greedily, the point covering most extremes not yet covered, ties broken by a seeded
shuffle), then seeded random ones; sampled designs (lhs, sobol, morris) :data:`PER_SAMPLED` seeded random points.
A point already listed (e.g. a baseline point, which is a start) is not listed again. Deterministic: the same
shipped definitions give the same bytes (seed :data:`SEED` and each experiment's name).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from experiments import pipeline  # noqa: E402
from experiments.definition import config, designs, models  # noqa: E402

NAME = "confirmation"
TOML = config.CONFIG_DIR / f"{NAME}.toml"
MARKER = "# -- the points: written by `python tools/confirmation_points.py` from the shipped experiments; do not edit"
STARTS = ("Q1", "Q2", "Q3", "Q4", "mixed")
PER_GRID = 5
PER_SAMPLED = 4
SEED = 20261210
DROP = ("stop_on_settle",)  # the confirmation runs every seed on to twice max_steps whatever the experiment said


def _extremes(exp, points: list[dict]) -> list[set]:
    """For each point, the extremes of the swept parameters it holds: (name, "low"/"high")."""
    out = []
    for p in points:
        held = set()
        for name, values in exp.parameters.items():
            if name not in p:
                continue
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            lo, hi = (min(values), max(values)) if numeric else (values[0], values[-1])
            held |= {(name, "low")} if p[name] == lo else set()
            held |= {(name, "high")} if p[name] == hi and hi != lo else set()
        out.append(held)
    return out


def _order(exp, points: list[dict], rng: np.random.Generator) -> list[int]:
    """The design's point indices in the order they are offered: extremes first (greedy cover), then the rest,
    shuffled; a sampled design's only shuffled."""
    shuffled = [int(j) for j in rng.permutation(len(points))]
    if exp.design in ("lhs", "sobol", "morris"):
        return shuffled
    held = _extremes(exp, points)
    rank = {j: k for k, j in enumerate(shuffled)}
    todo = set().union(*held) if held else set()
    first: list[int] = []
    while todo:
        j = min(shuffled, key=lambda i: (-len(held[i] & todo), rank[i]))
        if not held[j] & todo:
            break
        first.append(j)
        todo -= held[j]
    return first + [j for j in shuffled if j not in first]


def sample(exp) -> list[dict[str, Any]]:
    """The candidate points of one shipped experiment, in the order they are offered (full override dicts)."""
    design = designs.make(exp)
    params = exp.model_info.params
    base = {k: v for k, v in exp.base.items() if k not in DROP}
    points = [dict(design.points[j]) for j in range(len(design.points))]
    rng = np.random.default_rng([SEED, zlib.crc32(exp.name.encode())])
    return [{k: v for k, v in {**base, **points[j]}.items() if v != params[k].default}
            for j in _order(exp, points, rng)]


def points(counts: Counter | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(source, overrides) of every point of the confirmation experiment; ``counts`` gets the points per source,
    zero for an experiment whose points are all listed already."""
    out = [("starts", {"initial_quadrant": q}) for q in STARTS]
    seen = [p for _, p in out]
    counts = Counter() if counts is None else counts
    counts["starts"] = len(out)
    for path in config.all_configs():
        if path.stem == NAME:
            continue
        exp = pipeline.experiment(str(path))
        if exp.model != models.DEFAULT_MODEL:
            continue
        cap = PER_SAMPLED if exp.design in ("lhs", "sobol", "morris") else PER_GRID
        taken = 0
        for p in sample(exp):
            if taken == cap:
                break
            if any(_same(p, q) for q in seen):
                continue
            out.append((exp.name, p))
            seen.append(p)
            taken += 1
        counts[exp.name] = taken
    return out


def _same(a: dict, b: dict) -> bool:
    """The same run set: every override equal, a missing one at its default."""
    params = models.info().params
    return all(a.get(k, params[k].default) == b.get(k, params[k].default) for k in {*a, *b})


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    return json.dumps(str(v))


def text() -> str:
    """The TOML text of the points (what follows :data:`MARKER`)."""
    counts: Counter = Counter()
    listed = points(counts)
    per = ", ".join(f"{s} {k}" + ("" if k else " (its points are listed already)") for s, k in counts.items())
    lines = [MARKER, f"# {len(listed)} points: {per}", ""]
    for source, p in listed:
        lines += ["[[design.points]]", f"source = {_value(source)}", *(f"{k} = {_value(v)}" for k, v in p.items()), ""]
    return "\n".join(lines)


def written(path: Path = TOML) -> tuple[str, str]:
    """(the head of the TOML file, its points as committed)."""
    body = path.read_text()
    head, sep, tail = body.partition(MARKER)
    if not sep:
        raise SystemExit(f"{path}: no line {MARKER!r} to write the points after")
    return head, sep + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the committed points are not the tool's output")
    ap.add_argument("--print", action="store_true", help="print the points; write nothing")
    args = ap.parse_args(argv)
    new = text()
    if args.print:
        print(new, end="")
        return 0
    head, old = written()
    if args.check:
        if old != new:
            print(f"{TOML}: the points are stale; run `python tools/confirmation_points.py`", file=sys.stderr)
            return 1
        return 0
    TOML.write_text(head + new)
    print(new.splitlines()[1].lstrip("# "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
