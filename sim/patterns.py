"""MODEL.md §9, §12.2 and §13.6: the scenarios behind the fifteen patterns, their seeds, and how a run is
measured for them. ``tests/patterns/`` asserts the patterns on these runs; ``tools/pattern_report.py``
prints the figures each test sees (docs/ODD.md §9), on the same seeds or on another block.

Seeds come in two blocks (§13.6, held-out seeds): the defaults were calibrated on
:data:`CALIBRATION_ENTROPY`'s seeds, and the tests run on :data:`TEST_ENTROPY`'s, which the calibration
never saw. Every run's outcome is its long-run regime (§13.3): one P(Qk) everywhere.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

from sim.model import PiggybackModel
from sim.vocabulary import PATH_NAMES, UNRESOLVED

REPLICATES = 50
TEST_ENTROPY = 20261130  # the seeds the pattern tests run on
CALIBRATION_ENTROPY = 20261203  # the seeds the defaults were calibrated on (never the tests')
Z95 = 1.959963984540054

LOYALTY_WORLD = {"voice_cost": 2.0, "exit_cost": 2.0}
VOICE_WORLD = {"voice_cost": 0.05, "ecosystem": 1.0, "boundary_spanning": 0.7, "intermediary": 1.0}
# pattern 11: each mechanism over its range in steps of a tenth (§13.6), from the start where it acts
MECHANISMS: dict[str, tuple[str, str, dict, tuple[float, ...]]] = {
    # name: (start, outcome it raises or lowers, fixed parameters, levels)
    "ecosystem": ("Q2", "Q3", {}, tuple(round(0.1 * k, 1) for k in range(11))),
    "boundary_spanning": ("Q2", "Q3", {}, tuple(round(0.1 + 0.08 * k, 2) for k in range(11))),
    "intermediary": ("Q4", "Q3", {}, tuple(round(0.1 * k, 1) for k in range(11))),
    "hq_pressure": ("Q4", "Q1", {"intermediary": 0.5}, tuple(round(0.1 * k, 1) for k in range(11))),
    "voice_cost": ("Q2", "Q3", {}, tuple(round(0.2 * k, 1) for k in range(11))),
}
HYSTERESIS = (0.0, 0.25, 0.5, 0.75, 1.0)  # ecosystem, from a Q1 and from a Q3 start (pattern 14)
STARTS = ("Q1", "Q2", "Q3", "Q4", "mixed")


def seeds(entropy: int = TEST_ENTROPY, n: int = 2 * REPLICATES) -> list[int]:
    """Replicate seeds: the first word of each of ``n`` children of ``SeedSequence(entropy)``."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(entropy).spawn(n)]


def start(q: str) -> dict:
    return {} if q == "mixed" else {"initial_quadrant": q}


def scenarios() -> dict[str, tuple[dict, int]]:
    """name -> (parameters, replicates)."""
    s: dict[str, tuple[dict, int]] = {}
    for q in STARTS:  # patterns 1, 2, 10, 12 and the clock; the mixed start at 100 runs (pattern 8)
        s[f"start_{q}"] = (start(q), 2 * REPLICATES if q == "mixed" else REPLICATES)
    for q in ("Q2", "Q4"):  # patterns 3 and 4
        s[f"loyalty_{q}"] = ({"initial_quadrant": q, **LOYALTY_WORLD}, REPLICATES)
        s[f"voice_{q}"] = ({"initial_quadrant": q, **VOICE_WORLD}, REPLICATES)
    for e in (0.5, 1.0):  # pattern 8: the phase boundary
        s[f"mixed_ecosystem_{e}"] = ({"ecosystem": e}, REPLICATES)
    for v in (0.1, 1.2):
        s[f"mixed_voice_cost_{v}"] = ({"voice_cost": v}, REPLICATES)
    for n in (20, 180):  # pattern 7
        s[f"mixed_n_smes_{n}"] = ({"n_smes": n}, REPLICATES)
    s["mixed_platform"] = ({"platform": True}, REPLICATES)
    for q in ("Q1", "Q3"):  # pattern 9: populations halved and doubled
        for n in (30, 120):
            s[f"start_{q}_n{n}"] = ({"initial_quadrant": q, "n_smes": n}, REPLICATES)
    for name, (q, _, fixed, levels) in MECHANISMS.items():  # pattern 11
        for v in levels:
            s[f"{q}_{name}_{v}"] = ({"initial_quadrant": q, **fixed, name: v}, REPLICATES)
    for h in ("loyalty", "exit_threat"):  # pattern 13: the documented case, 100 runs each
        s[f"Q2_hypothesis_{h}"] = ({"initial_quadrant": "Q2", "voice_hypothesis": h, "n_mnes": 1}, 2 * REPLICATES)
    for q in ("Q1", "Q3"):  # patterns 14 and 15
        for e in HYSTERESIS:
            s[f"hysteresis_{q}_{e}"] = ({"initial_quadrant": q, "ecosystem": e}, REPLICATES)
        opposite = "international" if q == "Q1" else "domestic"
        s[f"shock_{q}"] = ({"initial_quadrant": q, "shock_step": 200, "shock_intent": opposite}, REPLICATES)
    return s


def run(params: dict, seed: int) -> dict:
    """One run as an experiment runs it (to resolution, or ``max_steps``): its summary."""
    return PiggybackModel(rng=seed, collect_steps=False, **params).run()


def confirm(params: dict, seed: int) -> dict:
    """§13.3 confirmation and §13.5 clock on one run: the long-run regime it resolves within ``max_steps``
    (``regime``, ``regime_step``: what a run with ``stop_on_settle`` reports), the final regime of the same
    seed run twice as long without stopping (``final_at_twice``: the same trajectory, so one run serves
    both), and how long each founding tension took to resolve (``founding``: (months, resolved) pairs)."""
    model = PiggybackModel(rng=seed, collect_steps=False, record_events=True, **{**params, "stop_on_settle": False})
    horizon = model.max_steps
    model.run(max_steps=2 * horizon)
    resolved = model.regime_step is not None and model.regime_step <= horizon
    return {"regime": model.regime if resolved else UNRESOLVED, "regime_step": model.regime_step if resolved else None,
            "final_at_twice": model.final_regime, "founding": founding_tensions(model.events.columns, model.steps)}




def founding_tensions(events: dict[str, list], end: int) -> list[tuple[int, bool]]:
    """§13.5 (a): for each contract of the initial population that started in a tension (Q2 or Q4), the months
    to its resolution, its first path event or its end by exit, and whether it resolved (False: censored, by
    its SME's departure or the end of the run, at that month)."""
    start: dict[int, int] = {}
    out: dict[int, tuple[int, bool]] = {}
    for step, kind, uid, q, path in zip(events["step"], events["event"], events["contract"], events["quadrant"],
                                        events["path"]):
        if kind == "formed" and step == 0 and q in (2, 4):
            start[uid] = q
        elif uid in start and uid not in out:
            if (kind == "quadrant" and path) or kind == "exit":
                out[uid] = (step, True)
            elif kind == "departure":
                out[uid] = (step, False)
    return [out.get(uid, (end, False)) for uid in start]


def km_quantile(times: list[tuple[int, bool]], q: float) -> float | None:
    """The ``q`` quantile of a time to an event from right-censored observations (Kaplan–Meier): the first
    time at which the estimated share of events reaches ``q``; None if it never does."""
    survival, at_risk = 1.0, len(times)
    for t, done in sorted(times, key=lambda x: (x[0], not x[1])):
        if done:
            survival *= 1.0 - 1.0 / at_risk
            if 1.0 - survival >= q - 1e-12:
                return float(t)
        at_risk -= 1
    return None


def traced(seed: int, params: dict | None = None) -> list[np.ndarray]:
    """A run stepped by hand, keeping per contract-step data for patterns 5 and 6: each contract's age,
    trust and communication; effort and voluntarism as deviations from their subsidiary's means at
    that step."""
    model = PiggybackModel(rng=seed, collect_steps=False, **{"stop_on_settle": False, **(params or {})})
    age, trust, comm, effort_dev, vol_dev = [], [], [], [], []
    while model.running:
        model.step()
        by_sub: dict[int, list] = {}
        for c in model.book.active.values():
            age.append(c.age)
            trust.append(c.trust_mean)
            comm.append(c.communication)
            by_sub.setdefault(c.sub.unique_id, []).append((c.effort, c.sme.voluntarism))
        for rows in by_sub.values():
            if len(rows) > 1:
                e, v = np.array(rows).T
                effort_dev.extend(e - e.mean())
                vol_dev.extend(v - v.mean())
    return [np.asarray(x) for x in (age, trust, comm, effort_dev, vol_dev)]


# -- measures -------------------------------------------------------------------------------------
def freq(runs: list[dict], regime: str) -> float:
    """P(regime): the share of runs whose long-run regime (§13.3) is ``regime``."""
    return sum(r["regime"] == regime for r in runs) / len(runs)


def counts(runs: list[dict]) -> Counter:
    return Counter(r["regime"] for r in runs)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of k successes in n."""
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n * n)) / (1 + z**2 / n)
    return centre - half, centre + half


def founders_top_path(runs: list[dict]) -> str:
    """The most frequent path among the dyads of the initial population: how the starting tension resolved
    (entrants' dyads add paths of their own as the regime absorbs them)."""
    totals = {p: sum(r[f"founders_path_{p}"] for r in runs) for p in PATH_NAMES}
    return max(totals, key=totals.get)


def largest_step(values: list[float]) -> float:
    """The largest change between neighbouring levels (pattern 11: no switch)."""
    return max(abs(b - a) for a, b in itertools.pairwise(values))


def non_decreasing(values: list[float], slack: float) -> bool:
    """Non-decreasing within sampling error: no level falls below the one before by more than ``slack``."""
    return all(b >= a - slack for a, b in itertools.pairwise(values))
