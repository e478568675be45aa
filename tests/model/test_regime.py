"""Observation (MODEL.md §8, §11.4, §12.1): paths, the regime of mean shares, settlement within sampling
noise, occupancy, switches and a shock's return (:mod:`sim.observe`, :mod:`sim.regime`)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.observe import exit_path, path_of
from sim.regime import (
    CONTESTED,
    IDLE,
    Portfolios,
    RegimeObserver,
    ShockWatch,
    decidable,
    dominant_quadrant,
    long_run_regime,
    noise_tolerance,
    state_shares,
    windows_agree,
)
from sim.vocabulary import PATHS

unit = st.floats(0.0, 1.0)


# §8 ------------------------------------------------------------------------------------
def test_paths_are_loyalty_downhill_and_voice_uphill():
    assert PATHS == {(2, 1): "A", (4, 1): "B", (2, 3): "C", (4, 3): "D"}
    assert path_of(1, 2) is None and path_of(3, 4) is None and path_of(2, 4) is None
    assert exit_path(2, 3) == "C" and exit_path(4, 1) == "B" and exit_path(2, 2) is None


def test_dominant_quadrant():
    assert dominant_quadrant([0.6, 0.1, 0.2, 0.1], 0.5) == "Q1"
    assert dominant_quadrant([0.4, 0.1, 0.4, 0.1], 0.5) == "mixed"
    assert dominant_quadrant([0.0, 0.0, 0.0, 0.0], 0.5) == "mixed"


def test_noise_tolerance_is_the_larger_of_the_floor_and_z_standard_errors():
    assert noise_tolerance(0.5, 100, 0.05, 2.0) == pytest.approx(2.0 * 0.05)  # √(.25/100) = 0.05
    assert noise_tolerance(0.5, 10_000, 0.05, 2.0) == pytest.approx(0.05)  # large N: the floor
    assert noise_tolerance(1.0, 50, 0.05, 3.0) == pytest.approx(0.05)  # no variance at m = 1
    assert noise_tolerance(0.3, 0, 0.07, 2.0) == 0.07  # no contracts: the floor
    assert noise_tolerance(0.5, 100, 0.05, 0.0) == 0.05  # z = 0: the v1 band


@given(unit, st.integers(1, 10_000), unit, st.floats(0, 10))
def test_noise_tolerance_shrinks_with_more_contracts(m, n, tol, z):
    assert noise_tolerance(m, n, tol, z) >= noise_tolerance(m, 2 * n, tol, z) >= tol


def test_windows_agree_quadrant_by_quadrant():
    a = [0.8, 0.1, 0.1, 0.0]
    assert windows_agree(a, [0.78, 0.12, 0.1, 0.0], 50, 0.05, 0.0)
    assert not windows_agree(a, [0.7, 0.2, 0.1, 0.0], 50, 0.05, 0.0)
    assert windows_agree(a, [0.7, 0.2, 0.1, 0.0], 50, 0.05, 2.0)  # within 2 SE among 50 contracts


def test_decidable_regimes_lie_clear_of_the_dominance_threshold():
    assert decidable([0.9, 0.05, 0.05, 0.0], 100, 0.5, 0.05, 1.0)
    assert decidable([0.3, 0.1, 0.3, 0.3], 100, 0.5, 0.05, 1.0)  # clearly mixed
    assert not decidable([0.52, 0.0, 0.48, 0.0], 100, 0.5, 0.05, 1.0)
    assert not decidable([0.58, 0.0, 0.42, 0.0], 100, 0.5, 0.05, 2.0)  # 0.08 < 2·√(.58·.42/100)


def test_regime_observer_settles_only_after_burn_in_and_two_agreeing_windows():
    o = RegimeObserver(burn_in=5, window=3, tolerance=0.05, z=0.0, dominance=0.5, capacity=4, regime_z=0.0)
    for _ in range(10):
        o.record([1.0, 0.0, 0.0, 0.0], 40)
        assert not o.stationary()  # fewer than burn_in + 2 windows
    o.record([1.0, 0.0, 0.0, 0.0], 40)
    assert o.stationary() and o.regime == "Q1"  # history grew past its planned capacity
    for _ in range(3):
        o.record([0.4, 0.0, 0.6, 0.0], 40)
    assert o.regime == "Q3" and not o.stationary()  # the windows disagree
    for _ in range(3):
        o.record([0.4, 0.0, 0.6, 0.0], 40)
    assert o.stationary()
    assert list(o.window_mean()) == pytest.approx([0.4, 0.0, 0.6, 0.0])


def test_regime_observer_counts_occupancy_after_burn_in_and_switches_between_quadrants():
    o = RegimeObserver(burn_in=2, window=2, tolerance=0.05, z=0.0, dominance=0.5, capacity=20, regime_z=0.0)
    rows = [[0.9, 0, 0.1, 0]] * 6 + [[0.45, 0, 0.45, 0.1]] * 3 + [[0.9, 0, 0.1, 0]] * 3 + [[0.1, 0, 0.9, 0]] * 4
    for r in rows:
        o.record(r, 10)
    occ = o.occupancy_shares()
    assert o.occupied_steps == len(rows) - 2
    assert occ["Q1"] == pytest.approx(7 / 14) and occ["mixed"] == pytest.approx(3 / 14)
    assert occ["Q3"] == pytest.approx(4 / 14) and sum(occ.values()) == pytest.approx(1.0)
    assert o.switches == 1  # Q1 → mixed → Q1 is no switch; Q1 → Q3 is one
    empty = RegimeObserver(burn_in=5, window=2, tolerance=0.05, z=0.0, dominance=0.5, capacity=3, regime_z=0.0)
    assert empty.occupancy_shares()["Q1"] is None


def test_shock_watch_times_the_return_of_the_pre_shock_share():
    w = ShockWatch(step=10, regime="Q1", mean_shares=[0.9, 0.05, 0.05, 0.0], contracts=100, tolerance=0.05, z=0.0)
    assert w.quadrant == 0 and w.band == pytest.approx(0.05)
    w.observe(11, [0.6, 0.3, 0.1, 0.0])
    w.observe(12, [0.8, 0.2, 0.0, 0.0])
    assert w.return_time is None
    w.observe(14, [0.86, 0.1, 0.04, 0.0])
    assert w.return_time == 4
    w.observe(15, [0.2, 0.0, 0.8, 0.0])
    assert w.return_time == 4  # the first return is what counts


# -- §13.2 subsidiary portfolios --------------------------------------------------------------
@given(st.integers(1, 6), st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=1, max_size=30))
def test_portfolio_window_counts_are_the_sums_of_the_last_window(window, steps):
    """The ring of cumulative counts gives, at every step, the contract-months of the last min(window, t) steps."""
    p = Portfolios(n_subs=1, window=window, dominance=0.5)
    rows = [[q.count(k) for k in range(4)] for q in ([v for v in step] for step in steps)]
    for t, row in enumerate(rows, start=1):
        p.record([row])
        want = np.sum(rows[max(0, t - window):t], axis=0)
        assert p.window_counts()[0].tolist() == want.tolist()


def test_a_portfolio_is_locked_only_with_a_steady_side_and_a_dominant_quadrant():
    p = Portfolios(n_subs=4, window=3, dominance=0.5)
    for _ in range(3):  # sub 0 all Q1; sub 1 half Q1 half Q2; sub 2 mostly Q3; sub 3 no contract
        p.record([[2, 0, 0, 0], [1, 1, 0, 0], [0, 1, 3, 0], [0, 0, 0, 0]])
    # sub 0's side changed at step 1, inside the window: contested however aligned its contracts are
    assert p.states(3, [0, 0, 0, 0]).tolist() == [0, 0, 2, IDLE]  # 1 of 2 is "at least half": locked in Q1
    assert p.states(3, [1, 0, 0, 0]).tolist() == [CONTESTED, 0, 2, IDLE]
    assert p.states(4, [1, 0, 0, 0]).tolist()[0] == 0  # the change has left the window
    early = Portfolios(n_subs=1, window=3, dominance=0.5)
    early.record([[1, 0, 0, 0]])
    assert early.states(1, [0]).tolist() == [CONTESTED]  # a window not yet full locks nobody
    shares = state_shares(np.array([0, 0, 2, CONTESTED, IDLE]))
    assert shares == {"Q1": 0.5, "Q2": 0.0, "Q3": 0.25, "Q4": 0.0, "contested": 0.25}
    assert state_shares(np.array([IDLE, IDLE]))["Q1"] is None


# -- §13.3 the long-run regime -----------------------------------------------------------------
def _observer(rows, window=2, burn_in=0):
    o = RegimeObserver(burn_in=burn_in, window=window, tolerance=0.05, z=0.0, dominance=0.5, capacity=50,
                       regime_z=0.0)
    for shares in rows:
        o.record(shares, 100)
    return o


def test_a_quadrant_regime_needs_dominance_stationarity_and_no_contested_subsidiary():
    o = _observer([[0.8, 0.2, 0.0, 0.0]] * 4)
    locked = np.array([0, 0, 2])
    assert long_run_regime(o, locked, [0, 0, 0], 4, 3, 0.2) == "Q1"
    assert long_run_regime(o, np.array([0, CONTESTED, 2]), [0, 0, 0], 4, 3, 0.2) is None
    assert long_run_regime(_observer([[0.8, 0.2, 0, 0]] * 3), locked, [0, 0, 0], 3, 3, 0.2) is None  # 2 windows
    drifting = _observer([[0.6, 0.4, 0, 0]] * 2 + [[0.8, 0.2, 0, 0]] * 2)
    assert long_run_regime(drifting, locked, [0, 0, 0], 4, 3, 0.2) is None  # windows 0.6 and 0.8 disagree


def test_coexistence_is_a_stable_split_over_several_windows_without_a_side_change():
    split = [[0.45, 0.05, 0.45, 0.05]] * 6
    o = _observer(split)
    states = np.array([0, 2, CONTESTED])  # no quadrant dominates, so contested portfolios do not matter here
    assert long_run_regime(o, states, [0, 0, 0], 6, 3, 0.2) == "coexistence"
    assert long_run_regime(o, states, [0, 1, 0], 6, 3, 0.2) is None  # a side changed in the last 3 windows
    assert long_run_regime(o, states, [0, 0, 0], 6, 3, 0.5) is None  # Q1 and Q3 below coexist_share
    assert long_run_regime(_observer(split[:5]), states, [0, 0, 0], 5, 3, 0.2) is None  # 3 windows needed


def test_a_split_is_named_coexistence_never_the_quadrant_that_holds_half():
    """A stable 60/30 split of Q1 and Q3 portfolios: not Q1 after two windows, coexistence after three."""
    split = [[0.6, 0.05, 0.3, 0.05]] * 6
    locked = np.array([0, 0, 2])
    assert long_run_regime(_observer(split[:4]), locked, [0, 0, 0], 4, 3, 0.2) is None
    assert long_run_regime(_observer(split), locked, [0, 0, 0], 6, 3, 0.2) == "coexistence"
    assert long_run_regime(_observer(split), locked, [0, 0, 0], 6, 3, 0.35) == "Q1"  # Q3 below coexist_share
