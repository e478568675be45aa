"""The "Run 100 replicates of these settings" button's computation (issue 21, item 6): seeds spawned from the
session's seed, counts of the long-run regime that add up and equal those of :func:`sim.run` on those seeds."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np

from sim.dashboard import charts
from sim.dashboard.replicates import run_replicates, summary_line
from sim.dashboard.session import DashboardModel
from sim.model import run
from sim.palette import OUTCOME_COLOURS
from sim.patterns import wilson
from sim.vocabulary import LONG_RUN_REGIMES, UNRESOLVED

N = 20
SMALL = {"n_smes": 20, "max_steps": 300}


def _params(seed: int = 11) -> tuple[dict, int]:
    model = DashboardModel(rng=str(seed), **SMALL)  # the dict the session builds its model from, and its seed
    return dict(model.p), model.seed


def test_replicates_are_runs_on_the_spawned_seeds_with_their_frequencies():
    params, seed = _params()
    result = run_replicates(params, seed, n=N)
    spawned = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(N)]
    assert list(result.seeds) == spawned
    assert tuple(result.counts) == LONG_RUN_REGIMES and sum(result.counts.values()) == N == result.n
    direct = [run(params, s) for s in spawned]
    expected = Counter(r["regime"] for r in direct)
    assert result.counts == {r: expected.get(r, 0) for r in LONG_RUN_REGIMES}
    for r, k in result.counts.items():
        assert result.intervals[r] == tuple(float(x) for x in wilson(k, N))
        assert result.intervals[r][0] <= k / N <= result.intervals[r][1]
    named = [d["regime_step"] for d in direct if d["regime"] != UNRESOLVED]
    assert result.median_month == (float(np.median(named)) if named else None)
    # the same settings and seed: the same runs; another session seed: other seeds, other runs
    again = run_replicates(params, seed, n=N)
    assert again.seeds == result.seeds and again.counts == result.counts
    other = run_replicates(params, seed + 1, n=N)
    assert set(other.seeds).isdisjoint(result.seeds)
    assert [run(params, s)["regime_step"] for s in other.seeds[:5]] != [d["regime_step"] for d in direct[:5]]


def test_the_line_and_the_chart_name_every_regime_reached():
    params, seed = _params()
    result = run_replicates(params, seed, n=N)
    line = summary_line(result)
    assert line.startswith(f"{N} runs in ")
    for r, k in result.counts.items():
        assert (f"{r} {100 * k / N:.0f} %" in line) == bool(k)
    spec = charts.replicates()
    json.dumps(spec)
    colours = spec["layer"][0]["encoding"]["color"]["scale"]
    assert colours["domain"] == list(LONG_RUN_REGIMES)
    assert colours["range"] == [OUTCOME_COLOURS[r] for r in LONG_RUN_REGIMES]
    assert [row["regime"] for row in result.rows()] == list(LONG_RUN_REGIMES)
