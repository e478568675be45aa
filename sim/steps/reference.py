"""The readable monthly schedule (MODEL.md §3): agents act in the eight stages and call the pure rules of
:mod:`sim.rules`. ``PiggybackModel`` steps by it; the compiled engine (:mod:`sim.engine`) restates it (the
same draws and floats, much faster), and ``tests/engine/test_engine.py`` holds the two together after every
step (:mod:`sim.steps.check`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim import observe, population, rules
from sim.contracts import Contract, quadrant_of

if TYPE_CHECKING:
    from sim.model import PiggybackModel


def shuffled(rng, items: list) -> list:
    """Random order within a stage (§3), from the model's own generator on every Mesa version."""
    # tolist(): indexing with Python ints is ~2× faster than with numpy scalars
    return [items[i] for i in rng.permutation(len(items)).tolist()]


def step(model: PiggybackModel) -> None:
    """One month: the eight stages of MODEL.md §3."""
    p = model.p
    # 1. headquarters pressure (§7.6), then aligned contracts pull their agents (§11.3), then their sides
    #    (§13.1); the platform acts through detection (§7.1)
    for hq in model.headquarters:
        hq.apply_pressure()
    if p["alignment_pull"] > 0.0:
        for sub in model.subsidiaries:
            sub.align(p["alignment_pull"])
    for sub in model.subsidiaries:  # a side moves only beyond the band (§13.1)
        sub.update_side()
    # 2–3. opportunities, effort allocation, solution selling, LoF (§7.1, §7.3)
    for sub in model.subsidiaries:
        sub.allocate_effort()
    opportunities(model)
    for sub in model.subsidiaries:
        sub.update_lof()
    # 4. communication, trust, learning, value (§7.4, §7.5)
    run_contracts(model)
    # 5. tension and exit / voice / loyalty (§7.7)
    for contract in shuffled(model.rng, list(model.book.active.values())):
        if contract.active:
            tension(model, contract)
    # 6. intent drift (§7.6)
    drift_rate = p["ambition_drift"]
    for sme in model.smes:
        sme.drift(drift_rate)
    # 7. population: departures and entries, mandate renewals (§11.1), a scheduled shock (§11.4);
    #    then matching (§7.2), in which entrants and abandoned agents search
    population.turnover(model)
    if model.steps == p["shock_step"]:
        model.shock(p["shock_share"], p["shock_intent"])
    for sme in shuffled(model.rng, model.smes):
        if len(sme.contracts) < len(sme.targets):  # most SMEs have all their agents
            sme.seek_agents()
    for sub in shuffled(model.rng, model.subsidiaries):
        sub.refill_open_niches()
    # 8. observation (§8)
    observe.observe(model)


def opportunities(model: PiggybackModel) -> None:
    """§7.1: each market draws Poisson(opportunity_rate) requirements, one niche each."""
    p, rng = model.p, model.rng
    for m, subs in enumerate(model.subs_by_market):
        n = rng.poisson(p["opportunity_rate"])
        if n == 0:
            continue
        search_prob = rules.search_probability(p["search_rate"], model.intermediary_strength[m])
        for niche in rng.integers(p["n_niches"], size=n):
            niche = int(niche)
            for sub in shuffled(rng, subs):
                if not sub.detects():
                    continue
                contract = sub.contracts.get(niche)
                if contract is not None:
                    sub.attempt_sale(contract)
                    break
                # no partner for the niche: the requirement is lost to this subsidiary,
                # which may look for one (the first-mover advantage of a broad portfolio)
                if rng.random() < search_prob:
                    sub.search(niche)


def run_contracts(model: PiggybackModel) -> None:
    """§7.4–7.5 for every active contract (parameters bound once: this is the hot loop)."""
    p, rng, step = model.p, model.rng, model.steps
    communication, trust_update, dyad_value_mean = rules.communication, rules.trust_update, rules.dyad_value_mean
    comm_min, comm_max = p["comm_min"], p["comm_max"]
    trust_args = (p["trust_gain"], p["success_gain"], p["frustration_erosion"], p["trust_decay"])
    values = (p["value_q1"], p["value_q3"], p["value_tension"])
    cv_q1, cv_other = p["value_cv_q1"], p["value_cv_q3"]
    comm_cost2 = 2.0 * p["comm_cost"]  # communication is a non-redeployable cost to each side
    learning_rate = p["learning_rate"]
    for c in model.book.active.values():
        sme = c.sme
        comm = communication(c.trust_mean, sme.voluntarism, comm_min, comm_max)
        c.communication = comm
        sale = c.sale_step == step
        c.trust_sme = trust_update(c.trust_sme, comm, sale, c.frustration_sme, *trust_args)
        c.trust_sub = trust_update(c.trust_sub, comm, sale, c.frustration_sub, *trust_args)
        sme.learn(c, learning_rate)
        mean = dyad_value_mean(c.quadrant, *values)
        cv = cv_q1 if c.quadrant == 1 else cv_other
        noise = cv * mean * rng.standard_normal() if cv > 0 and mean > 0 else 0.0
        c.value += mean + noise - comm_cost2 * comm
        c.age += 1


def tension(model: PiggybackModel, c: Contract) -> None:
    """§7.7: frustration of the thwarted party and, past the threshold, its choice."""
    p = model.p
    decay = p["frustration_decay"]
    q = quadrant_of(c.sub.explores, c.sme.international)
    if q == 2:  # exploit × international: SME entrepreneurship underused
        c.frustration_sme = rules.frustration_step(c.frustration_sme, c.sme.ambition, True, decay)
        c.frustration_sub *= 1.0 - decay
        if c.frustration_sme > p["frustration_threshold"]:
            c.frustration_sme = c.sme.respond_to_tension(c, c.frustration_sme)
    elif q == 4:  # explore × domestic: MNE entrepreneurship underused
        c.frustration_sub = rules.frustration_step(c.frustration_sub, c.sub.exploration, True, decay)
        c.frustration_sme *= 1.0 - decay
        if c.frustration_sub > p["frustration_threshold"]:
            c.frustration_sub = c.sub.respond_to_tension(c, c.frustration_sub)
    else:
        c.frustration_sme *= 1.0 - decay
        c.frustration_sub *= 1.0 - decay
