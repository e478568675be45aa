"""MODEL.md §9, §12.2 and §13.6: the fifteen patterns, each asserted on runs of the model, on the long-run
regime (§13.3: one P(Qk) everywhere), with the settlement confirmation (§13.3) and the clock (§13.5).

Every scenario of :func:`sim.patterns.scenarios` runs its replicates (50; 100 where a pattern compares two
close probabilities) as an experiment would, to resolution or ``max_steps``, on the held-out test seeds
(:data:`sim.patterns.TEST_ENTROPY`; the defaults were calibrated on another block), once per session, in
parallel over the cores. The five starts at defaults also run without stopping to twice ``max_steps``
(:func:`sim.patterns.confirm`) for the confirmation and the clock.

How a false pass is kept unlikely: a frequency bound is asserted on the point estimate from 50 runs
(standard error at most 0.07); where a pattern names a difference of probabilities the test also requires
disjoint 95 % Wilson intervals, or states the margin it needs. The figures each test sees are printed by
``tools/pattern_report.py`` and recorded in docs/ODD.md §9.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from scipy.stats import spearmanr

from sim import patterns as P
from sim.vocabulary import UNRESOLVED

pytestmark = pytest.mark.slow

SEEDS = P.seeds(P.TEST_ENTROPY, 2 * P.REPLICATES)
SCENARIOS = P.scenarios()
TRACED = 50  # runs whose every contract-step feeds patterns 5 and 6 (MODEL.md §9: 50 replicates)


def _run(job):
    name, seed = job
    return name, P.run(SCENARIOS[name][0], seed)


def _confirm(job):
    q, seed = job
    return q, P.confirm(P.start(q), seed)


def _pool():
    return ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1)),
                               mp_context=multiprocessing.get_context("spawn"))


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict]]:
    jobs = [(name, seed) for name, (_, reps) in SCENARIOS.items() for seed in SEEDS[:reps]]
    out: dict[str, list[dict]] = {}
    with _pool() as pool:
        for name, summary in pool.map(_run, jobs, chunksize=8):
            out.setdefault(name, []).append(summary)
    return out


@pytest.fixture(scope="module")
def confirmed() -> dict[str, list[dict]]:
    jobs = [(q, seed) for q in P.STARTS for seed in SEEDS[:P.REPLICATES]]
    out: dict[str, list[dict]] = {}
    with _pool() as pool:
        for q, rec in pool.map(_confirm, jobs, chunksize=4):
            out.setdefault(q, []).append(rec)
    return out


@pytest.fixture(scope="module")
def traces() -> list[np.ndarray]:
    with _pool() as pool:
        parts = list(pool.map(P.traced, SEEDS[:TRACED]))
    return [np.concatenate([p[i] for p in parts]) for i in range(5)]


# Patterns the calibrated defaults do not meet on the held-out test seeds (docs/ODD.md §9.2 gives the
# figures and why). Strict: each of these tests fails the suite the day the pattern starts to hold, so the
# record cannot go stale; the assertions are the specification's, unweakened.
def _not_met(why):
    return pytest.mark.xfail(strict=True, reason=f"not met at the calibrated defaults (docs/ODD.md §9.2): {why}")


NOT_MET = {
    "8": _not_met("the mixed start sits near a balance of Q1 and Q3: P(Q1) 0.52 vs P(Q3) 0.44 of 100 runs on the "
                  "test seeds (0.55 vs 0.43 on the calibration seeds), Q1 ahead but not significantly"),
    "12": _not_met("P(Q3 | mixed) is 0.44 on the test seeds (0.43 on the calibration seeds), above the 0.4 the "
                   "pattern allows"),
    "14": _not_met("both equilibria persist at every ecosystem level within max_steps (Q1 at ecosystem 1 "
                   "cascades to Q3 only after 400-700 months), so no range where the start does not matter"),
}


def _freq(runs, name, regime):
    return P.freq(runs[name], regime)


# -- patterns 1–8 (MODEL.md §9), with turnover at its default -----------------------------------
@pytest.mark.parametrize("quadrant", ["Q1", "Q3"])
def test_1_equilibria_persist(runs, quadrant):
    assert _freq(runs, f"start_{quadrant}", quadrant) >= 0.9, P.counts(runs[f"start_{quadrant}"])


@pytest.mark.parametrize("quadrant", ["Q2", "Q4"])
def test_2_tensions_do_not_persist(runs, quadrant):
    rs = runs[f"start_{quadrant}"]
    assert sum(r[f"share_{quadrant}"] < 0.25 for r in rs) / len(rs) >= 0.9
    assert _freq(runs, f"start_{quadrant}", quadrant) == 0.0  # never the long-run regime


@pytest.mark.parametrize(("start", "path"), [("Q2", "A"), ("Q4", "B")])
def test_3_loyalty_leads_downhill_to_Q1(runs, start, path):
    rs = runs[f"loyalty_{start}"]
    assert P.freq(rs, "Q1") > 0.5, P.counts(rs)
    assert P.founders_top_path(rs) == path


@pytest.mark.parametrize(("start", "path"), [("Q2", "C"), ("Q4", "D")])
def test_4_voice_leads_uphill_to_Q3(runs, start, path):
    rs = runs[f"voice_{start}"]
    assert P.freq(rs, "Q3") > 0.5, P.counts(rs)
    assert P.founders_top_path(rs) == path
    assert sum(r[f"path_{path}_voice"] for r in rs) > sum(r[f"path_{path}_loyalty"] for r in rs)


def test_5_trust_rises_and_communication_falls_with_contract_age(traces):
    age, trust, comm, _, _ = traces
    assert len(age) > 10_000
    assert spearmanr(age, trust).statistic > 0
    assert spearmanr(age, comm).statistic < 0


def test_6_voluntarism_draws_effort_within_a_subsidiary(traces):
    _, _, _, effort_dev, vol_dev = traces
    assert len(effort_dev) > 10_000
    assert spearmanr(effort_dev, vol_dev).statistic > 0


def test_7_portfolios_and_platform_lower_lof(runs):
    lof = {n: np.mean([r["mean_lof"] for r in runs[name]])
           for n, name in ((20, "mixed_n_smes_20"), (60, "start_mixed"), (180, "mixed_n_smes_180"))}
    assert lof[20] > lof[60] > lof[180], lof  # fuller portfolios, lower LoF
    off = [r["mean_lof"] for r in runs["start_mixed"][: P.REPLICATES]]
    on = [r["mean_lof"] for r in runs["mixed_platform"]]
    assert all(x < 0.6 for x in off)  # below lof0 once portfolios form
    assert sum(a < b for a, b in zip(on, off)) / len(on) >= 0.9  # paired by seed


@NOT_MET["8"]
def test_8_mixed_start_Q1_most_frequent(runs):
    """§13.6: P(Q1) > P(Q3) from a mixed start, significant on 100 runs (disjoint 95 % Wilson intervals)."""
    rs = runs["start_mixed"]
    n = len(rs)
    assert n >= 100
    k1, k3 = P.counts(rs)["Q1"], P.counts(rs)["Q3"]
    assert P.wilson(k1, n)[0] > P.wilson(k3, n)[1], P.counts(rs)


def test_8_Q3_occurs_and_the_phase_boundary_moves_with_ecosystem_and_voice_cost(runs):
    rs = runs["start_mixed"]
    assert P.counts(rs)["Q3"] > 0
    eco = [P.freq(rs, "Q3"), _freq(runs, "mixed_ecosystem_0.5", "Q3"), _freq(runs, "mixed_ecosystem_1.0", "Q3")]
    assert P.non_decreasing(eco, 0.0) and eco[0] < eco[-1], eco
    vc = [_freq(runs, "mixed_voice_cost_0.1", "Q3"), P.freq(rs, "Q3"), _freq(runs, "mixed_voice_cost_1.2", "Q3")]
    assert P.non_decreasing(vc[::-1], 0.0) and vc[0] > vc[-1], vc


# -- patterns 9–15 (MODEL.md §12.2, restated in §13.6) ------------------------------------------
@pytest.mark.parametrize("quadrant", ["Q1", "Q3"])
@pytest.mark.parametrize("suffix", ["", "_n30", "_n120"])
def test_9_equilibria_persist_under_turnover(runs, quadrant, suffix):
    rs = runs[f"start_{quadrant}{suffix}"]
    assert all(r["departures"] > 0 for r in rs)  # the population did turn over
    assert P.freq(rs, quadrant) >= 0.85, P.counts(rs)


def test_10_tensions_resolve_both_ways(runs):
    q2 = _freq(runs, "start_Q2", "Q3")
    q4 = _freq(runs, "start_Q4", "Q1")
    assert 0.15 <= q2 <= 0.85, P.counts(runs["start_Q2"])
    assert 0.5 <= q4 <= 0.95, P.counts(runs["start_Q4"])


@pytest.mark.parametrize("mechanism", list(P.MECHANISMS))
def test_11_mechanisms_are_graded_not_switches(runs, mechanism):
    """§13.6: over the range of each mechanism no step of a tenth of the range changes the probability it
    acts on by more than 0.4; ecosystem, spanning and intermediaries raise P(Q3) by at least 0.3 and
    pressure P(Q1) by at least 0.2 (non-decreasing within two standard errors of a difference, 0.2);
    voice cost lowers P(Q3)."""
    start, outcome, _, levels = P.MECHANISMS[mechanism]
    p = [_freq(runs, f"{start}_{mechanism}_{v}", outcome) for v in levels]
    table = dict(zip(levels, p))
    assert P.largest_step(p) <= 0.4, table
    if mechanism == "voice_cost":
        assert p[0] > p[-1] and P.non_decreasing(p[::-1], 0.2), table
    else:
        assert p[-1] - p[0] >= (0.2 if mechanism == "hq_pressure" else 0.3), table
        assert P.non_decreasing(p, 0.2), table


@NOT_MET["12"]
def test_12_mixed_start_at_defaults(runs):
    rs = runs["start_mixed"]
    q1, q3 = P.freq(rs, "Q1"), P.freq(rs, "Q3")
    assert q1 > q3 and 0.1 <= q3 <= 0.4, P.counts(rs)


def test_13_voice_hypotheses_are_distinguishable(runs):
    """With eight MNEs every agent has rivals in its market, so an SME's exit threat is credible: voice
    from an exit threat then carries further than voice from loyalty (the documented case of the voice
    experiment)."""
    k = {h: P.counts(runs[f"Q2_hypothesis_{h}"])["Q3"] for h in ("loyalty", "exit_threat")}
    n = len(runs["Q2_hypothesis_loyalty"])
    lo_l, hi_l = P.wilson(k["loyalty"], n)
    lo_e, hi_e = P.wilson(k["exit_threat"], n)
    assert abs(k["loyalty"] - k["exit_threat"]) / n >= 0.1, k
    assert hi_e < lo_l or hi_l < lo_e, k  # disjoint 95 % intervals


@NOT_MET["14"]
def test_14_history_matters_where_two_equilibria_coexist(runs):
    q1 = [_freq(runs, f"hysteresis_Q1_{e}", "Q3") for e in P.HYSTERESIS]
    q3 = [_freq(runs, f"hysteresis_Q3_{e}", "Q3") for e in P.HYSTERESIS]
    gap = [b - a for a, b in zip(q1, q3)]
    assert max(gap) >= 0.3, gap  # a bistable range: the long-run regime depends on the start ...
    assert min(abs(g) for g in gap) < 0.3, gap  # ... and a range where it does not


@pytest.mark.parametrize("quadrant", ["Q1", "Q3"])
def test_15_the_regime_returns_after_a_shock(runs, quadrant):
    """§13.6: a run whose regime has not returned by the end counts as not returned, and the return-time
    bound can fail: runs go on to resolution (or max_steps, hundreds of months past the bound)."""
    rs = runs[f"shock_{quadrant}"]
    shocked = [r for r in rs if r["shock_regime"] == quadrant]
    assert len(shocked) >= 0.9 * len(rs)
    returned = [r for r in shocked if r["shock_returned"]]
    assert len(returned) > len(shocked) / 2
    # a share that never came back within noise of its pre-shock mean counts as never (censored at the end)
    times = [r["shock_return_time"] if r["shock_return_time"] is not None else np.inf for r in shocked]
    assert np.percentile(times, 90) <= RETURN_P90, sorted(times)  # 90 % back within RETURN_P90 months


RETURN_P90 = 60  # months: the dominant share back within noise of its pre-shock mean, 90 % of shocked runs


# -- §13.3 confirmation and §13.5 clock -----------------------------------------------------------
@pytest.mark.parametrize("start", P.STARTS)
def test_the_long_run_regime_is_resolved_and_confirmed(confirmed, start):
    """§13.3: at defaults, at most 5 % of runs unresolved, and the regime at resolution is the final regime of
    the same seed run twice as long in at least 95 % of the resolved runs."""
    recs = confirmed[start]
    resolved = [r for r in recs if r["regime"] != UNRESOLVED]
    assert len(resolved) >= 0.95 * len(recs), sum(r["regime"] == UNRESOLVED for r in recs)
    agree = sum(r["regime"] == r["final_at_twice"] for r in resolved)
    assert agree >= 0.95 * len(resolved), [(r["regime"], r["final_at_twice"]) for r in resolved]


def test_the_clock(confirmed):
    """§13.5: founding tensions resolve with a median of at most 36 months (Kaplan–Meier, departures and the
    run's end censored), and a mixed start reaches its long-run regime with a median of at most 300."""
    founding = [t for q in ("Q2", "Q4", "mixed") for r in confirmed[q] for t in r["founding"]]
    median = P.km_quantile(founding, 0.5)
    assert median is not None and median <= 36, median
    steps = [r["regime_step"] for r in confirmed["mixed"]]
    assert all(s is not None for s in steps[: int(0.5 * len(steps))]) and np.median(
        [s if s is not None else np.inf for s in steps]) <= 300, steps
