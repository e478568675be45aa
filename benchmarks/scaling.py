"""Per-step cost against population size, and the saving from stopping at settlement.

    python benchmarks/scaling.py [--sizes 60 600 6000] [--steps 30] [--rounds 5]

Scaling: a model with ``n_smes`` SMEs and ``n_markets = n_smes / 15`` markets (60 SMEs in 4
markets as in the defaults; 3 MNEs, so 3 subsidiaries per market), without per-step DataCollector
rows (as ``sim.model.run`` runs it in a sweep), is built, stepped ``--warmup`` steps, then timed
over ``--steps`` steps. The sizes are timed in interleaved rounds and the per-step time of a size
is the best (minimum) over rounds: on a shared machine noise only ever adds time, so the minimum
estimates the cost of the work (the median is printed too). Contracts are the mean number of
active contracts over the timed steps. The exponent b of time ∝ contracts^b is the least-squares
slope of log time on log contracts over all sizes, and also between the two largest (where fixed
per-step costs matter least). Target: b ≤ 1.05.

Early stopping: the same seeds with the defaults (stop at settlement) and with
``stop_on_settle=False`` (to ``max_steps`` = 500), alternating, through ``sim.model.run``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.model import PiggybackModel, run  # noqa: E402


def scaled(n_smes: int) -> dict:
    return {"n_smes": n_smes, "n_markets": max(1, n_smes // 15), "stop_on_settle": False, "max_steps": 100_000}


def time_steps(n_smes: int, warmup: int, steps: int, seed: int) -> tuple[float, float]:
    """Seconds per step and mean active contracts over ``steps`` steps after ``warmup``."""
    # as in a sweep (sim.model.run): no per-step DataCollector row, a fixed cost that would flatter the exponent
    model = PiggybackModel(rng=seed, collect_steps=False, **scaled(n_smes))
    for _ in range(warmup):
        model.step()
    contracts = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        model.step()
        contracts += model.contracts  # an attribute set by the step: costs nothing to read
    return (time.perf_counter() - t0) / steps, contracts / steps


def time_steps_in_turn(n_smes: int, k: int, warmup: int, steps: int, seed: int) -> float:
    """Seconds per contract-step for ``k`` models of ``n_smes`` SMEs stepped in turn: the work per
    contract of one such model with k times its working set (a control for cache effects)."""
    models = [PiggybackModel(rng=seed + 7919 * i, collect_steps=False, **scaled(n_smes)) for i in range(k)]
    for m in models:
        for _ in range(warmup):
            m.step()
    contracts = 0
    t0 = time.perf_counter()
    for _ in range(steps):
        for m in models:
            m.step()
            contracts += m.contracts
    return (time.perf_counter() - t0) / contracts


def calls_per_step(n_smes: int, warmup: int, steps: int, seed: int = 1000) -> tuple[float, float]:
    """Python function calls per step (cProfile's exact count: the work, free of timing noise and of
    the memory hierarchy) and mean active contracts, over ``steps`` steps after ``warmup``."""
    import cProfile
    import pstats

    model = PiggybackModel(rng=seed, collect_steps=False, **scaled(n_smes))
    for _ in range(warmup):
        model.step()
    prof = cProfile.Profile()
    contracts = 0
    for _ in range(steps):
        prof.enable()
        model.step()
        prof.disable()
        contracts += model.contracts
    return pstats.Stats(prof).total_calls / steps, contracts / steps


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def scaling(sizes: list[int], warmup: int = 10, steps: int = 30, rounds: int = 5, control: bool = True) -> dict:
    per_step: dict[int, list[float]] = {n: [] for n in sizes}
    contracts: dict[int, float] = {}
    a, b = sizes[-2:]
    k = b // a if control and len(sizes) > 1 else 0
    in_turn: list[float] = []
    for rnd in range(rounds):  # interleaved: a noisy neighbour slows every size alike
        for n in sizes:
            dt, c = time_steps(n, warmup, steps, seed=1000 + rnd)
            per_step[n].append(dt)
            contracts[n] = c
    # after the main rounds, not between them: its freed models would leave a fragmented heap to the
    # next round's models (the largest then ran measurably slower)
    for rnd in range(rounds if k > 1 else 0):
        in_turn.append(time_steps_in_turn(a, k, warmup, steps, seed=1000 + rnd))
    calls = {n: calls_per_step(n, warmup, min(steps, 10)) for n in sizes}
    best = {n: min(v) for n, v in per_step.items()}
    xs, ys = [contracts[n] for n in sizes], [best[n] for n in sizes]
    return {"sizes": sizes, "ms_per_step": {n: 1e3 * best[n] for n in sizes},
            "ms_per_step_median": {n: 1e3 * statistics.median(v) for n, v in per_step.items()},
            "ms_per_step_samples": {n: [1e3 * x for x in v] for n, v in per_step.items()},
            "contracts": contracts, "exponent_all": slope(xs, ys), "exponent_top2": slope(xs[-2:], ys[-2:]),
            "calls_per_step": {n: c for n, (c, _) in calls.items()},
            "calls_exponent": slope([c for _, c in calls.values()], [c for c, _ in calls.values()]),
            "warmup": warmup, "steps": steps, "rounds": rounds,
            "control": {"models": k, "n_smes": a, "us_per_contract": 1e6 * min(in_turn)} if in_turn else None}


def report_scaling(r: dict) -> None:
    print(f"  per-step time, best of {r['rounds']} interleaved rounds of {r['steps']} steps "
          f"after {r['warmup']} warm-up steps (stop_on_settle=False, n_markets = n_smes/15):")
    base = r["sizes"][0]
    for n in r["sizes"]:
        print(f"    {n:>6} SMEs: {r['contracts'][n]:8.0f} contracts, {r['ms_per_step'][n]:8.2f} ms/step "
              f"(median {r['ms_per_step_median'][n]:.2f}), "
              f"{r['ms_per_step'][n] / r['ms_per_step'][base]:7.1f}× the {base}-SME step, "
              f"{1e3 * r['ms_per_step'][n] / r['contracts'][n]:6.1f} µs per contract")
    a, b = r["sizes"][-2:]
    print("  work per step (Python function calls, exact, cProfile): "
          + ", ".join(f"{n} SMEs {r['calls_per_step'][n]:,.0f} ({r['calls_per_step'][n] / r['contracts'][n]:.1f} "
                      "per contract)" for n in r["sizes"])
          + f"; exponent of calls against contracts {r['calls_exponent']:.3f}")
    ctl = r.get("control")
    if ctl:
        print(f"  cache control: {ctl['models']} models of {ctl['n_smes']} SMEs stepped in turn (the work per contract "
              f"of one, {ctl['models']}× its working set): {ctl['us_per_contract']:.1f} µs per contract")
    print(f"  fitted exponent of time against contracts: {r['exponent_all']:.3f} over all sizes, "
          f"{r['exponent_top2']:.3f} from {a} to {b} SMEs (target ≤ 1.05)")


def early_stopping(seeds: int = 20) -> dict:
    settle: list[float] = []
    full: list[float] = []
    steps_settle: list[int] = []
    for seed in range(1, seeds + 1):  # alternate, so that load affects both alike
        t0 = time.perf_counter()
        s = run({}, seed)
        settle.append(time.perf_counter() - t0)
        steps_settle.append(s["steps"])
        t0 = time.perf_counter()
        f = run({"stop_on_settle": False}, seed)
        full.append(time.perf_counter() - t0)
    return {"seeds": seeds, "ms_settle": 1e3 * statistics.median(settle), "ms_full": 1e3 * statistics.median(full),
            "total_ratio": sum(full) / sum(settle), "mean_steps_settle": statistics.fmean(steps_settle),
            "steps_full": f["steps"]}


def report_early(r: dict) -> None:
    print(f"  {r['seeds']} default runs (seeds 1..{r['seeds']}), run to settlement: median {r['ms_settle']:.0f} ms, "
          f"mean {r['mean_steps_settle']:.0f} steps; same seeds with stop_on_settle=False "
          f"({r['steps_full']} steps): median {r['ms_full']:.0f} ms")
    print(f"  early stopping saves a factor {r['total_ratio']:.2f} (total time without / with)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 600, 6000])
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args(argv)
    report_scaling(scaling(args.sizes, args.warmup, args.steps, args.rounds))
    report_early(early_stopping(args.seeds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
