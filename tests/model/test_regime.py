"""Observation (MODEL.md §8, §11.4, §12.1): paths, the regime of mean shares, settlement within sampling
noise, occupancy, switches and a shock's return (:mod:`sim.observe`, :mod:`sim.regime`)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.observe import exit_path, path_of
from sim.regime import RegimeObserver, ShockWatch, decidable, dominant_quadrant, noise_tolerance, windows_agree
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
    assert w.return_time is None and not w.returned("Q1")
    w.observe(14, [0.86, 0.1, 0.04, 0.0])
    assert w.return_time == 4 and w.returned("Q1") and not w.returned("Q3")
    w.observe(15, [0.2, 0.0, 0.8, 0.0])
    assert w.return_time == 4  # the first return is what counts
