"""``python -m sim [--seed N] [--set name=value ...] [--json]``: run one model, print its summary."""

from __future__ import annotations

import argparse
import json
import sys
import time

from sim.params import PARAMS, check_size, defaults, markdown_table, parse_assignment, short, validate

ESTIMATE_ABOVE = 20  # seconds: a run estimated to take longer says so on stderr before it starts


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid value {short(text)}; valid: a whole number ≥ 0")
    return value


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"invalid value {short(text)}; valid: a number of minutes > 0")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        sys.stderr.write(f"python -m sim: error: {message}\n")
        sys.exit(2)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m sim", description="Run one piggyback model and print its summary.")
    parser.add_argument("--seed", type=_seed, default=None, help="seed of the model's generator (a whole number ≥ 0)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="override a parameter (repeatable)"
    )
    parser.add_argument("--max-steps", type=int, default=None, help="step limit (default: the max_steps parameter)")
    parser.add_argument("--max-minutes", type=_minutes, default=60.0,
                        help="refuse a run estimated to take longer (default 60; the estimate is an upper bound)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--params", action="store_true", help="list the parameters and exit")
    parser.add_argument("--markdown", action="store_true", help="with --params: as a Markdown table")
    args = parser.parse_args(argv)

    if args.params and args.markdown:
        print(markdown_table())
        return 0
    if args.params:
        for p in PARAMS.values():
            print(f"{p.name:24} {p.default!s:10} {p.valid:28} {p.meaning}")
        return 0
    overrides = {}
    try:
        for text in args.set:
            name, value = parse_assignment(text)
            overrides[name] = value
        if args.max_steps is not None:
            overrides["max_steps"] = args.max_steps
        estimate = check_size(validate(overrides), 60.0 * args.max_minutes)
        if estimate > ESTIMATE_ABOVE:
            sys.stderr.write(f"python -m sim: this run may take up to {estimate / 60:.0f} min; Ctrl-C stops it\n")
        from sim.model import PiggybackModel  # after validation: keeps errors fast

        t0 = time.perf_counter()
        model = PiggybackModel(rng=args.seed, **overrides)
        summary = model.run()
        elapsed = time.perf_counter() - t0
    except ValueError as exc:
        sys.stderr.write(f"python -m sim: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("python -m sim: interrupted\n")
        return 130
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    base = defaults()
    changed = {k: v for k, v in model.p.items() if v != base[k]}
    print(f"piggyback model, seed {args.seed}, {', '.join(f'{k}={v}' for k, v in changed.items()) or 'defaults'}")
    for key, value in summary.items():
        if key.startswith("path_") and key.count("_") == 2 and not value:
            continue  # omit zero path-by-action counts
        print(f"  {key:22} {value:.4f}" if isinstance(value, float) else f"  {key:22} {value}")
    print(f"  ({elapsed:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
