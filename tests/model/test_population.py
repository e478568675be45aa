"""Version 2 of the model (MODEL.md §11–12): turnover, shared influence, alignment, shocks, regimes."""

import numpy as np
import pytest

from sim import population
from sim.model import PiggybackModel, run

CLOSED = {"sme_turnover": 0.0, "sub_turnover": 0.0}


def _sme_ids(model):
    return [s.unique_id for s in model.smes]


def test_turnover_rates_zero_are_version_1s_closed_population(monkeypatch):
    """With both rates 0 the population stage draws nothing and nobody arrives or leaves: the run is
    the run of a model without that stage (version 1's process), seed for seed."""
    closed = PiggybackModel(rng=5, stop_on_settle=False, max_steps=200, **CLOSED)
    ids = _sme_ids(closed)
    closed.run()
    assert closed.departures == closed.entrants == closed.sub_renewals == 0
    assert _sme_ids(closed) == ids and all(s.founder for s in closed.smes)
    monkeypatch.setattr(population, "turnover", lambda model: None)
    without = PiggybackModel(rng=5, stop_on_settle=False, max_steps=200, **CLOSED).run()
    assert closed.summary() == without


def test_smes_leave_and_entrants_take_their_place():
    m = PiggybackModel(rng=3, stop_on_settle=False, max_steps=300, sme_turnover=0.02, n_smes=50)
    founders = set(_sme_ids(m))
    while m.running:
        m.step()
        m.check_invariants()
    expected = 0.02 * 50 * 300
    assert abs(m.departures - expected) < 4 * np.sqrt(expected)  # binomial, 4 SD
    assert m.entrants == m.departures and len(m.smes) == 50
    assert len(founders & set(_sme_ids(m))) == sum(s.founder for s in m.smes) < 50
    assert m.exits == m.summary()["exits"]  # departures are not exits ...
    s = m.summary()
    assert s["contracts_ended"] > s["exits"]  # ... though they end contracts


def test_a_departure_ends_contracts_without_an_exit_and_opens_the_agents_niches():
    m = PiggybackModel(rng=8, **CLOSED)
    sme = next(s for s in m.smes if s.contracts)
    contract = next(iter(sme.contracts.values()))
    sub, niche = contract.sub, contract.niche
    ended, exits, held = m.book.ended, m.exits, len(sme.contracts)
    population.depart(m, sme)
    assert m.book.ended == ended + held and m.exits == exits and m.departures == 1
    assert not contract.active and niche in sub.open_niches and niche not in sub.contracts
    assert sme not in m.agents and all(sme.unique_id not in d for d in m.book.seeking.values())


def test_an_exit_then_a_departure_starts_no_path_by_exit():
    m = PiggybackModel(rng=4, initial_quadrant="Q2", **CLOSED)
    sme = next(s for s in m.smes if s.contracts)
    contract = next(iter(sme.contracts.values()))
    sub = contract.sub
    sme.shunned.add(sub.unique_id)
    m.book.end(contract)
    sme.pending_exit[contract.market] = 2  # as SME.exit leaves it, before a new agent is found
    population.replace(m, m.smes.index(sme), international=True)
    assert all(not s.pending_exit for s in m.smes if not s.founder)
    assert sme.unique_id not in sub.shunned  # partners forget a firm that left


def test_entrants_are_international_with_entry_p_international():
    for p, lo, hi in ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.5, 0.35, 0.65)):
        m = PiggybackModel(rng=2, initial_quadrant="Q1", sme_turnover=0.05, entry_p_international=p, max_steps=60,
                           stop_on_settle=False)
        ambition_at_entry = []
        while m.running:
            before = set(_sme_ids(m))
            m.step()
            ambition_at_entry += [s.ambition for s in m.smes if s.unique_id not in before]
        share = np.mean([a >= 0.5 for a in ambition_at_entry])
        assert len(ambition_at_entry) > 50 and lo <= share <= hi, (p, share)


def test_mandate_renewal_redraws_subsidiary_intent_and_keeps_contracts():
    m = PiggybackModel(rng=6, initial_quadrant="Q1", sub_turnover=1.0, sme_turnover=0.0, p_explore=1.0)
    contracts = {s.unique_id: dict(s.contracts) for s in m.subsidiaries}
    population.turnover(m)
    assert m.sub_renewals == len(m.subsidiaries)
    assert all(s.exploration >= 0.5 for s in m.subsidiaries)  # redrawn with p_explore = 1
    assert {s.unique_id: dict(s.contracts) for s in m.subsidiaries} == contracts


def test_one_voice_moves_a_subsidiary_only_by_its_share_of_the_portfolio():
    m = PiggybackModel(rng=9, initial_quadrant="Q2", **CLOSED)
    sub = max(m.subsidiaries, key=lambda s: len(s.contracts))
    assert len(sub.contracts) >= 3
    for c in sub.contracts.values():  # make the weights unequal: one partner trusted and voluntarist
        c.trust_sub, c.communication, c.sme.voluntarism = 0.1, 0.2, 0.1
    loud = next(iter(sub.contracts.values()))
    loud.trust_sub, loud.communication, loud.sme.voluntarism = 0.9, 0.9, 0.9
    share = sub.influence_share(loud)
    assert 1 / len(sub.contracts) < share < 1.0
    x = sub.exploration
    loud.sme.voice_succeeds(loud)
    assert sub.exploration == pytest.approx(x + m.p["voice_shift"] * share)
    lonely = next(s for s in m.subsidiaries if len(s.contracts) == 1) if any(
        len(s.contracts) == 1 for s in m.subsidiaries) else None
    if lonely is not None:
        assert lonely.influence_share(next(iter(lonely.contracts.values()))) == 1.0


def test_aligned_portfolios_pull_their_agent():
    m = PiggybackModel(rng=1, initial_quadrant="Q3", **CLOSED, alignment_pull=0.05)
    for sub in m.subsidiaries:
        sub.allocate_effort()
    before = [s.exploration for s in m.subsidiaries]
    for sub in m.subsidiaries:
        sub.align(0.05)
    assert all(s.exploration > b for s, b in zip(m.subsidiaries, before) if s.contracts)
    assert all(s.exploration <= 1.0 for s in m.subsidiaries)


@pytest.mark.parametrize("intent", ["domestic", "international"])
def test_a_shock_replaces_a_share_of_smes_with_entrants_of_one_intent(intent):
    m = PiggybackModel(rng=12, initial_quadrant="Q1", **CLOSED)
    m.run(max_steps=120)
    ids = set(_sme_ids(m))
    k = m.shock(0.3, intent)
    assert k == round(0.3 * len(m.smes)) and m.departures == m.entrants == k
    new = [s for s in m.smes if s.unique_id not in ids]
    assert len(new) == k and all((s.ambition >= 0.5) == (intent == "international") for s in new)
    assert m.shock_regime == "Q1" and not m.settled and m.shock_returned is False
    with pytest.raises(ValueError, match="shock intent"):
        m.shock(0.1, "sideways")


def test_a_scheduled_shock_is_watched_and_settlement_waits_for_it():
    params = {"initial_quadrant": "Q1", "shock_step": 200, "shock_intent": "international", "max_steps": 500}
    s = run({**params, "stop_on_settle": False}, 3)
    assert s["shock_regime"] == "Q1" and s["departures"] >= 18
    assert s["shock_returned"] in (True, False)
    if s["shock_returned"]:
        assert 0 < s["shock_return_time"] <= 300
    stopped = run(params, 3)
    assert stopped["steps"] >= 200 + 2 * 50 and (stopped["settle_step"] is None or stopped["settle_step"] >= 300)
    assert run({"initial_quadrant": "Q1", "max_steps": 300}, 3)["shock_regime"] is None  # no shock: no watch


def test_regime_observations_are_consistent():
    s = run({"stop_on_settle": False, "max_steps": 400}, 17)
    comp = [s[f"composition_Q{i}"] for i in range(1, 5)]
    occ = [s[f"occupancy_{q}"] for q in ("Q1", "Q2", "Q3", "Q4", "mixed")]
    assert sum(comp) == pytest.approx(1.0) and sum(occ) == pytest.approx(1.0)
    assert s["final_quadrant"] in ("Q1", "Q2", "Q3", "Q4", "mixed") and s["regime_switches"] >= 0
    top = max(range(4), key=lambda i: comp[i])
    assert (s["final_quadrant"] == f"Q{top + 1}") == (comp[top] >= 0.5)
    assert sum(s[f"founders_path_{p}"] for p in "ABCD") <= sum(s[f"path_{p}"] for p in "ABCD")


def test_the_event_log_records_formation_paths_exits_and_departures():
    import pandas as pd

    from sim.vocabulary import EVENT_COLUMNS

    m = PiggybackModel(rng=3, record_events=True, stop_on_settle=False, max_steps=300)
    m.run()
    ev = pd.DataFrame(m.events.columns)
    assert tuple(ev.columns) == EVENT_COLUMNS
    counts = ev["event"].value_counts()
    assert counts["formed"] == m.contracts_formed
    assert counts["exit"] == m.exits
    assert 0 < counts["departure"] <= m.departures * m.p["contracts_per_sme"]  # one per contract ended
    paths = ev.dropna(subset=["path"])
    for p in "ABCD":
        assert (paths["path"] == p).sum() == m.summary()[f"path_{p}"]
        for a in ("loyalty", "voice", "exit", "drift"):
            assert ((paths["path"] == p) & (paths["action"] == a)).sum() == m.summary()[f"path_{p}_{a}"]
    assert ev["trust_sme"].between(0, 1).all() and (ev["step"].diff().fillna(0) >= 0).all()
    assert PiggybackModel(rng=3).events is None  # off by default: no cost


def test_agent_reporters_are_collected_on_request():
    from sim.agents import SME, Subsidiary

    m = PiggybackModel(rng=2, collect_agents=True, max_steps=12, stop_on_settle=False)
    m.run()
    smes = m.datacollector.get_agenttype_vars_dataframe(SME)
    subs = m.datacollector.get_agenttype_vars_dataframe(Subsidiary)
    assert {"ambition", "voluntarism", "capability", "founder", "agents", "knowledge"} <= set(smes.columns)
    assert {"exploration", "lof", "market", "principals"} <= set(subs.columns)
    assert len(subs) == 12 * len(m.subsidiaries) and len(smes) >= 12 * m.p["n_smes"] - 1
    assert smes["ambition"].between(0, 1).all() and subs["principals"].sum() > 0
    plain = PiggybackModel(rng=2, max_steps=12, stop_on_settle=False)
    plain.run()
    assert plain.summary() == m.summary()  # collecting changes nothing
