"""Unit tests of each MODEL.md §7 submodel: direction and bounds of every equation."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import rules

unit = st.floats(0.0, 1.0)


# §7.1 ------------------------------------------------------------------------------
def test_detection_falls_with_lof_and_rises_with_platform():
    assert rules.detection_probability(0.0, 0.6, False, 0.3) == pytest.approx(0.6)
    assert rules.detection_probability(0.5, 0.6, False, 0.3) == pytest.approx(0.3)
    assert rules.detection_probability(0.5, 0.6, True, 0.3) == pytest.approx(0.3 + 0.3 * 0.7)
    assert rules.detection_probability(1.0, 0.6, False, 0.3) == 0.0


@given(unit, unit, st.booleans(), unit)
def test_detection_is_a_probability(lof, base, platform, boost):
    assert 0.0 <= rules.detection_probability(lof, base, platform, boost) <= 1.0


def test_sale_probability_rises_with_effort_and_falls_with_lof():
    assert rules.sale_probability(0.0, 0.0) == pytest.approx(0.5)
    assert rules.sale_probability(0.0, 1.0) == pytest.approx(1.0)
    assert rules.sale_probability(0.4, 0.5) < rules.sale_probability(0.2, 0.5)
    assert rules.sale_probability(0.0, 3.0) == pytest.approx(1.0)  # effort capped


def test_lof_falls_with_portfolio_and_platform_and_recovers_otherwise():
    args = dict(lof0=0.6, lof_recovery=0.01, lof_portfolio=0.05, lof_platform=0.02)
    empty = rules.lof_update(0.3, coverage=0.0, platform=False, **args)
    full = rules.lof_update(0.3, coverage=1.0, platform=False, **args)
    platform = rules.lof_update(0.3, coverage=1.0, platform=True, **args)
    assert empty > 0.3  # creeps back toward lof0
    assert full < empty and platform < full
    assert rules.lof_update(0.3, 0.6, 0.5, False, 0.01, 0.05, 0.02) == pytest.approx(0.3 + 0.003 - 0.0075)


@given(unit, unit, unit, st.booleans(), unit, unit, unit)
def test_lof_stays_in_unit_interval(lof, lof0, coverage, platform, r, p, q):
    assert 0.0 <= rules.lof_update(lof, lof0, coverage, platform, r, p, q) <= 1.0


# §7.2 ------------------------------------------------------------------------------
def test_search_probability_raised_by_intermediary():
    assert rules.search_probability(0.2, 0.0) == pytest.approx(0.2)
    assert rules.search_probability(0.2, 1.0) == pytest.approx(0.6)
    assert rules.search_probability(1.0, 1.0) == pytest.approx(1.0)


def test_fit_prefers_aligned_intents():
    assert rules.fit(0.9, 0.9) == 1.0
    assert rules.fit(0.9, 0.8) > rules.fit(0.9, 0.2)
    assert rules.fit(0.0, 1.0) == 0.0


def test_logit_weights_are_probabilities_ordered_by_utility_and_never_overflow():
    p = rules.logit_weights([0.1, 0.5, 0.3], 4.0)
    assert sum(p) == pytest.approx(1.0) and p[1] > p[2] > p[0]
    assert rules.logit_weights([0.0, 0.0], 4.0) == pytest.approx([0.5, 0.5])
    assert rules.logit_weights([1000.0, 0.0], 100.0) == pytest.approx([1.0, 0.0])
    assert rules.logit_weights([0.2, 0.9], 0.0) == pytest.approx([0.5, 0.5])  # β = 0: random


def test_start_trust_lent_by_intermediary_and_clipped():
    assert rules.start_trust(0.3, 0.2, 0.0) == pytest.approx(0.3)
    assert rules.start_trust(0.3, 0.2, 1.0) == pytest.approx(0.5)
    assert rules.start_trust(0.95, 0.2, 1.0) == 1.0


# §7.3 ------------------------------------------------------------------------------
def test_effort_weight_rises_with_trust_voluntarism_and_communication():
    base = rules.effort_weight(0.5, 0.5, 0.5, 0.1, 1.0)
    assert rules.effort_weight(0.8, 0.5, 0.5, 0.1, 1.0) > base
    assert rules.effort_weight(0.5, 0.9, 0.5, 0.1, 1.0) > base
    assert rules.effort_weight(0.5, 0.5, 0.9, 0.1, 1.0) > base
    assert rules.effort_weight(0.0, 0.0, 0.0, 0.1, 1.0) == pytest.approx(0.1)


def test_effort_shares_divide_capacity_and_dilute_with_more_principals():
    shares = rules.effort_shares([1.0, 3.0], 1.0)
    assert shares == pytest.approx([0.25, 0.75])
    assert sum(rules.effort_shares([1.0] * 5, 2.0)) == pytest.approx(2.0)
    assert rules.effort_shares([1.0] * 5, 1.0)[0] < rules.effort_shares([1.0] * 2, 1.0)[0]
    assert rules.effort_shares([0.0, 0.0], 1.0) == [0.5, 0.5]
    assert rules.effort_shares([], 1.0) == []


# §7.4 ------------------------------------------------------------------------------
def test_communication_declines_as_trust_matures_and_voluntarism_keeps_it_up():
    assert rules.communication(0.0, 1.0, 0.1, 1.0) == pytest.approx(1.0)
    assert rules.communication(1.0, 1.0, 0.1, 1.0) == pytest.approx(0.1)
    assert rules.communication(0.6, 0.5, 0.1, 1.0) < rules.communication(0.3, 0.5, 0.1, 1.0)
    assert rules.communication(0.3, 0.9, 0.1, 1.0) > rules.communication(0.3, 0.1, 0.1, 1.0)


@given(unit, unit, unit)
def test_communication_within_bounds(trust, vol, lo):
    c = rules.communication(trust, vol, lo * 0.5, 1.0)
    assert lo * 0.5 - 1e-12 <= c <= 1.0 + 1e-12


TRUST = dict(trust_gain=0.08, success_gain=0.05, frustration_erosion=0.05, trust_decay=0.005)


def test_trust_builds_with_communication_and_success_and_erodes_with_frustration():
    calm = rules.trust_update(0.3, 0.5, False, 0.0, **TRUST)
    assert calm > 0.3
    assert rules.trust_update(0.3, 0.9, False, 0.0, **TRUST) > calm
    assert rules.trust_update(0.3, 0.5, True, 0.0, **TRUST) > calm
    assert rules.trust_update(0.3, 0.5, False, 1.0, **TRUST) < calm
    # frustration enters capped at 1
    assert rules.trust_update(0.3, 0.5, False, 5.0, **TRUST) == rules.trust_update(0.3, 0.5, False, 1.0, **TRUST)
    assert rules.trust_update(0.8, 0.0, False, 0.0, **TRUST) < 0.8  # neglect


@given(unit, unit, st.booleans(), st.floats(0, 50), unit, unit, unit, unit)
def test_trust_stays_in_unit_interval(trust, comm, sale, f, g, s, e, d):
    assert 0.0 <= rules.trust_update(trust, comm, sale, f, g, s, e, d) <= 1.0


# §7.5 ------------------------------------------------------------------------------
def test_learning_rises_with_each_factor_and_saturates():
    base = rules.knowledge_gain(0.2, 0.5, 0.5, 0.5, 0.5, 0.05)
    assert base == pytest.approx(0.05 * 0.5 * 0.5 * 0.5 * 0.5 * 0.8)
    for i in range(1, 5):
        args = [0.2, 0.5, 0.5, 0.5, 0.5, 0.05]
        args[i] = 0.9
        assert rules.knowledge_gain(*args) > base
    assert rules.knowledge_gain(1.0, 1, 1, 1, 1, 1.0) == 0.0


@given(unit, st.floats(0, 5), unit, unit, unit, unit)
def test_knowledge_stays_in_unit_interval(k, effort, c, t, cap, rate):
    assert 0.0 <= k + rules.knowledge_gain(k, effort, c, t, cap, rate) <= 1.0


def test_value_by_quadrant():
    assert [rules.dyad_value_mean(q, 1.0, 2.0, 0.5) for q in (1, 2, 3, 4)] == [1.0, 0.5, 2.0, 0.5]


# §7.6 ------------------------------------------------------------------------------
def test_ambition_only_rises_with_knowledge():
    assert rules.ambition_drift(0.3, 0.5, 0.01) == pytest.approx(0.002)
    assert rules.ambition_drift(0.6, 0.5, 0.01) == 0.0


def test_pressure_lowers_exploration_unless_sheltered_or_paying():
    assert rules.pressure_drift(0.5, 0.0, 0.02, 0.0) == pytest.approx(-0.01)
    assert rules.pressure_drift(0.5, 1.0, 0.02, 0.0) == 0.0  # full ecosystem strategy
    assert rules.pressure_drift(0.5, 0.0, 0.02, 1.0) == 0.0  # all contracts in Q3
    assert rules.pressure_drift(1.0, 0.0, 0.02, 0.0) < rules.pressure_drift(0.5, 0.0, 0.02, 0.0)


# §7.7 ------------------------------------------------------------------------------
def test_frustration_accumulates_from_own_intent_and_decays_otherwise():
    assert rules.frustration_step(1.0, 0.8, True, 0.1) == pytest.approx(1.6)
    assert rules.frustration_step(1.0, 0.51, True, 0.1) == pytest.approx(1.02)
    assert rules.frustration_step(1.0, 0.8, False, 0.1) == pytest.approx(0.9)


@given(st.floats(0.5, 1.0))
def test_frustration_increment_in_zero_one(intent):
    assert 0.0 <= rules.frustration_step(0.0, intent, True, 0.1) <= 1.0


def test_loyalty_grows_with_trust_and_maturity():
    assert rules.loyalty_stock(0.8, 0) == 0.0
    assert rules.loyalty_stock(0.8, 12) == pytest.approx(0.4)
    assert rules.loyalty_stock(0.8, 48) == pytest.approx(0.8)
    assert rules.loyalty_utility(0.5, 2.0) == pytest.approx(1.0)


def test_exit_utility_uses_best_alternative():
    assert rules.exit_utility(None, 0.5) == pytest.approx(-0.5)
    assert rules.exit_utility(0.9, 0.5) == pytest.approx(0.4)


VOICE = dict(
    voice_base=-1.0, voice_trust=1.0, voice_spanning=1.0, voice_ecosystem=1.5, voice_intermediary=1.5, voice_h=1.0
)


def _pv(**kw):
    args = dict(
        trust_partner=0.5,
        spanning=0.3,
        ecosystem=0.0,
        intermediary=0.0,
        loyalty=0.5,
        has_alternative=False,
        hypothesis="loyalty",
    )
    args.update(kw)
    return rules.voice_probability(**args, **VOICE)


def test_voice_probability_rises_with_each_lever():
    base = _pv()
    assert base == pytest.approx(1 / (1 + math.exp(-(-1 + 0.5 + 0.3 + 0.5))))
    for lever in ("trust_partner", "spanning", "ecosystem", "intermediary", "loyalty"):
        assert _pv(**{lever: 0.9}) > base, lever


def test_voice_hypotheses_loyalty_vs_exit_threat():
    # loyalty hypothesis: H grows with loyalty, ignores outside options
    assert _pv(loyalty=0.9, has_alternative=False) > _pv(loyalty=0.1, has_alternative=True)
    # exit-threat hypothesis: H is a credible threat of exit, ignores loyalty
    threat = dict(hypothesis="exit_threat")
    assert _pv(has_alternative=True, **threat) > _pv(has_alternative=False, **threat)
    assert _pv(loyalty=0.9, **threat) == _pv(loyalty=0.1, **threat)
    with pytest.raises(ValueError, match="voice_hypothesis"):
        _pv(hypothesis="neither")


def test_voice_utility():
    assert rules.voice_utility(0.5, 1.5, 0.6) == pytest.approx(0.15)


def test_choice_follows_logit_and_the_draw():
    # overwhelming utility for one option at high rationality picks it whatever the draw
    for draw in (0.001, 0.5, 0.999):
        assert rules.choose_action(5.0, 0.0, 0.0, 20.0, draw) == "loyalty"
        assert rules.choose_action(0.0, 5.0, 0.0, 20.0, draw) == "exit"
        assert rules.choose_action(0.0, 0.0, 5.0, 20.0, draw) == "voice"
    # equal utilities: thirds
    assert [rules.choose_action(0, 0, 0, 4.0, d) for d in (0.1, 0.5, 0.9)] == ["loyalty", "exit", "voice"]


# §11 ----------------------------------------------------------------------------------
def test_alignment_pulls_toward_the_aligned_quadrant():
    assert rules.alignment_drift(0.5, 0.0, 1.0, 0.1) == pytest.approx(0.05)  # Q3 portfolio: up
    assert rules.alignment_drift(0.5, 1.0, 0.0, 0.1) == pytest.approx(-0.05)  # Q1 portfolio: down
    assert rules.alignment_drift(0.7, 0.0, 0.0, 0.1) == 0.0  # contracts in tension add nothing
    assert rules.alignment_drift(0.5, 0.5, 0.5, 0.1) == 0.0  # balanced


@given(unit, unit, unit, unit)
def test_alignment_keeps_exploration_in_the_unit_interval(x, w1, w3, rate):
    w1, w3 = w1 / 2, w3 / 2  # shares of one portfolio: w1 + w3 ≤ 1
    assert -1e-12 <= x + rules.alignment_drift(x, w1, w3, rate) <= 1.0 + 1e-12


def test_influence_is_shared_across_the_portfolio():
    assert rules.influence_share(0.3, 0.3, 1) == 1.0  # one contract: the full shift
    assert rules.influence_share(1.0, 4.0, 3) == pytest.approx(0.25)
    assert rules.influence_share(0.0, 0.0, 4) == pytest.approx(0.25)  # no weights yet: equal shares
    assert rules.shared_shift(0.2, 0.25) == pytest.approx(0.05)


@given(intent=unit, band=st.floats(0.0, 0.45), high=st.booleans())
def test_a_side_changes_only_beyond_the_band(intent, band, high):
    side = rules.side(intent, high, band)
    if 0.5 - band <= intent < 0.5 + band:
        assert side == (high or intent >= 0.5 + band)  # inside the band: as it was
    else:
        assert side == (intent >= 0.5)  # beyond it: the side of 0.5 the intent is on
    assert rules.side(intent, high, 0.0) == (intent >= 0.5)  # band 0: version 2's side
