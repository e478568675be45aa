"""The four agent kinds of MODEL.md §2, as Mesa agents. Each calls the pure rules of §7.

Agents hold their own state and act in the stages the model schedules (§3); the
equations live in :mod:`sim.rules`, contracts and partner indexes in
:mod:`sim.contracts`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from sim import rules
from sim.contracts import Contract
from sim.vocabulary import DRIFT, LOYALTY, VOICE

if TYPE_CHECKING:
    from sim.model import PiggybackModel



class Headquarters(mesa.Agent):
    """One per MNE: pressure toward exploitation, the platform and the ecosystem strategy."""

    def __init__(self, model: PiggybackModel, pressure: float, platform: bool, ecosystem: float) -> None:
        super().__init__(model)
        self.pressure = pressure
        self.platform = platform
        self.ecosystem = ecosystem
        self.subsidiaries: list[Subsidiary] = []

    def apply_pressure(self) -> None:
        """§3 stage 1 / §7.6: pull exploring subsidiaries toward exploitation unless exploration pays."""
        p = self.model.p
        for sub in self.subsidiaries:
            if sub.explores:
                dx = rules.pressure_drift(self.pressure, self.ecosystem, p["pressure_rate"], sub.share_q3())
                sub.exploration = max(0.0, sub.exploration + dx)


class Intermediary(mesa.Agent):
    """A non-market broker in one market (PB: e.g. a trade association or STAC)."""

    def __init__(self, model: PiggybackModel, market: int, strength: float) -> None:
        super().__init__(model)
        self.market = market
        self.strength = strength


class _Party(mesa.Agent):
    """What SMEs and subsidiaries share: an intent, boundary spanning, and the §7.7 choice."""

    exploration: float
    ambition: float

    def __init__(self, model: PiggybackModel, boundary_spanning: float) -> None:
        super().__init__(model)
        self.boundary_spanning = boundary_spanning
        self.moved_by = DRIFT  # what last moved this party's intent ...
        self.moved_step = -1  # ... and when: path events are attributed to it (§8)
        self.shunned: set[int] = set()  # partners this party has broken with (no re-signing)
        self.last_action: str | None = None  # its latest exit / voice / loyalty choice ...
        self.last_action_step = -1  # ... and when (for observers such as the dashboard)

    def mark_moved(self, action: str) -> None:
        self.moved_by = action
        self.moved_step = self.model.steps

    def move_action(self) -> str:
        """The action behind this step's change of intent: loyalty, voice or drift."""
        return self.moved_by if self.moved_step == self.model.steps else DRIFT

    def pick_partner(self, candidates: dict, intent_of, own_intent: float):
        """§7.2: pick a candidate by logit on fit = 1 − |a − x|; None if there is none."""
        pool = [c for c in candidates.values() if c.unique_id not in self.shunned]
        if not pool:
            return None
        if len(pool) == 1:
            return pool[0]
        fits = [rules.fit(own_intent, intent_of(c)) for c in pool]
        probs = rules.logit_weights(fits, self.model.p["rationality"])
        draw = self.model.rng.random()
        acc = 0.0
        for cand, pr in zip(pool, probs):
            acc += pr
            if draw < acc:
                return cand
        return pool[-1]

    def respond_to_tension(self, contract: Contract, frustration: float) -> float:
        """§7.7: the thwarted party chooses loyalty, exit or voice; returns its new frustration."""
        model = self.model
        p = model.p
        is_sme = isinstance(self, SME)
        own_trust = contract.trust_sme if is_sme else contract.trust_sub
        partner_trust = contract.trust_sub if is_sme else contract.trust_sme
        loyalty = rules.loyalty_stock(own_trust, contract.age)
        best_fit = self.best_alternative_fit(contract)
        p_voice = rules.voice_probability(
            trust_partner=partner_trust,
            spanning=self.boundary_spanning,
            ecosystem=contract.sub.hq.ecosystem,
            intermediary=model.intermediary_strength[contract.market],
            loyalty=loyalty,
            has_alternative=best_fit is not None,
            hypothesis=p["voice_hypothesis"],
            voice_base=p["voice_base"],
            voice_trust=p["voice_trust"],
            voice_spanning=p["voice_spanning"],
            voice_ecosystem=p["voice_ecosystem"],
            voice_intermediary=p["voice_intermediary"],
            voice_h=p["voice_h"],
        )
        action = rules.choose_action(
            rules.loyalty_utility(loyalty, p["loyalty_weight"]),
            rules.exit_utility(best_fit, p["exit_cost"]),
            rules.voice_utility(p_voice, p["voice_gain"], p["voice_cost"]),
            p["rationality"],
            model.rng.random(),
        )
        self.last_action, self.last_action_step = action, model.steps
        if action == LOYALTY:
            model.loyalty_acts += 1
            self.be_loyal(contract)
            self.mark_moved(LOYALTY)
            return 0.5 * frustration
        if action == VOICE:
            model.voices += 1
            model.costs += p["voice_cost"]
            if model.rng.random() < p_voice:
                model.voice_successes += 1
                self.voice_succeeds(contract)
                return 0.5 * frustration
            return frustration + 1.0
        model.exits += 1
        model.costs += p["exit_cost"]
        if model.events is not None:
            model.events.record(model.steps, "exit", contract, by="sme" if is_sme else "sub")
        self.exit(contract)
        return 0.0

    # implemented by SME and Subsidiary
    def best_alternative_fit(self, contract: Contract) -> float | None: ...
    def be_loyal(self, contract: Contract) -> None: ...
    def voice_succeeds(self, contract: Contract) -> None: ...
    def exit(self, contract: Contract) -> None: ...


class Subsidiary(_Party):
    """An MNE's local subsidiary in one host market: the commercial agent of piggyback contracts."""

    def __init__(
        self,
        model: PiggybackModel,
        hq: Headquarters,
        market: int,
        exploration: float,
        explores: bool,
        lof: float,
        boundary_spanning: float,
        capacity: float,
    ) -> None:
        super().__init__(model, boundary_spanning)
        self.hq = hq
        self.market = market
        self.exploration = exploration
        self.explores = explores  # its side (§13.1): moves only when exploration crosses beyond the band
        self.side_step = 0  # the step its side last changed (§13.2)
        self.lof = lof
        self.capacity = capacity
        self.contracts: dict[int, Contract] = {}  # niche -> contract (one SME per niche)
        self.open_niches: dict[int, None] = {}  # niches left open by an exit, to refill (§7.2)
        self.pending_exit: dict[int, int] = {}  # niche -> quadrant of the contract it exited

    def update_side(self) -> None:
        """§13.1 the side follows exploration only beyond the band; the step of a change is kept (§13.2)."""
        explores = rules.side(self.exploration, self.explores, self.model.p["side_band"])
        if explores != self.explores:
            self.explores = explores
            self.side_step = self.model.steps

    def influence_share(self, contract: Contract) -> float:
        """§11.2 the share of this subsidiary's intent ``contract`` can move: its effort weight (§7.3,
        from current trust, voluntarism and communication) over the portfolio's."""
        p = self.model.p
        floor, pull = p["effort_floor"], p["voluntarism_pull"]
        total = own = 0.0
        for c in self.contracts.values():
            w = rules.effort_weight(c.trust_sub, c.sme.voluntarism, c.communication, floor, pull)
            total += w
            if c is contract:
                own = w
        return rules.influence_share(own, total, len(self.contracts))

    def align(self, rate: float) -> None:
        """§11.3 aligned contracts pull the intent that serves them: x moves toward 1 with the
        effort-weighted share of Q3 contracts and toward 0 with that of Q1 contracts."""
        total = w1 = w3 = 0.0
        for c in self.contracts.values():
            e = c.effort
            total += e
            if c.quadrant == 1:
                w1 += e
            elif c.quadrant == 3:
                w3 += e
        if total <= 0.0:  # no effort allocated yet (new contracts): weigh them equally
            qs = [c.quadrant for c in self.contracts.values()]
            total, w1, w3 = float(len(qs)), float(qs.count(1)), float(qs.count(3))
        if total > 0.0:
            self.exploration += rules.alignment_drift(self.exploration, w1 / total, w3 / total, rate)

    def share_q3(self) -> float:
        """Share of this subsidiary's contracts in Q3 (0 with none): what its exploration pays."""
        if not self.contracts:
            return 0.0
        return sum(c.quadrant == 3 for c in self.contracts.values()) / len(self.contracts)

    def allocate_effort(self) -> None:
        """§7.3: divide capacity across principals by trust, voluntarism and communication."""
        if not self.contracts:
            return
        p = self.model.p
        contracts = list(self.contracts.values())
        weights = [
            rules.effort_weight(
                c.trust_sub, c.sme.voluntarism, c.communication, p["effort_floor"], p["voluntarism_pull"]
            )
            for c in contracts
        ]
        for c, e in zip(contracts, rules.effort_shares(weights, self.capacity)):
            c.effort = e

    def detects(self) -> bool:
        """§7.1: does this subsidiary detect a client requirement this step?"""
        p = self.model.p
        prob = rules.detection_probability(self.lof, p["detect_base"], self.hq.platform, p["platform_boost"])
        return self.model.rng.random() < prob

    def attempt_sale(self, contract: Contract) -> None:
        """§7.1 solution selling with the partner of the requirement's niche."""
        model = self.model
        if model.rng.random() < rules.sale_probability(self.lof, contract.effort):
            contract.sales += 1
            contract.value += model.p["sale_value"]
            contract.sale_step = model.steps

    def update_lof(self) -> None:
        """§7.1: portfolio breadth and the platform lower LoF; it creeps back otherwise."""
        p = self.model.p
        self.lof = rules.lof_update(
            self.lof,
            p["lof0"],
            len(self.contracts) / p["n_niches"],
            self.hq.platform,
            p["lof_recovery"],
            p["lof_portfolio"],
            p["lof_platform"],
        )

    def search(self, niche: int) -> Contract | None:
        """§7.2: look for an SME of ``niche`` that targets this market and lacks an agent."""
        model = self.model
        sme = self.pick_partner(model.book.seeking_smes(self.market, niche), _ambition, self.exploration)
        if sme is None:
            return None
        return model.sign(sme, self)

    def refill_open_niches(self) -> None:
        """§7.2: niches left open by an exit are searched with probability search_rate (+broker)."""
        model = self.model
        if not self.open_niches:
            return
        prob = rules.search_probability(model.p["search_rate"], model.intermediary_strength[self.market])
        for niche in list(self.open_niches):
            if niche in self.contracts:
                del self.open_niches[niche]
            elif model.rng.random() < prob:
                self.search(niche)

    # -- §7.7 ------------------------------------------------------------------------
    def best_alternative_fit(self, contract: Contract) -> float | None:
        smes = self.model.book.seeking_smes(self.market, contract.niche)
        fits = [rules.fit(s.ambition, self.exploration) for s in smes.values() if s.unique_id not in self.shunned]
        return max(fits) if fits else None

    def be_loyal(self, contract: Contract) -> None:
        """Path B: the subsidiary gives up exploration, pushed further by HQ pressure; one contract
        moves the whole subsidiary only by its share of the portfolio (§11.2)."""
        shift = self.model.p["loyalty_shift"] * (1.0 + self.hq.pressure)
        self.exploration = max(0.0, self.exploration - rules.shared_shift(shift, self.influence_share(contract)))
        self.update_side()

    def voice_succeeds(self, contract: Contract) -> None:
        """Path D: confidence and capacity building raise the SME's trust, capability and ambition."""
        sme, shift = contract.sme, self.model.p["voice_shift"]
        contract.trust_sme = min(1.0, contract.trust_sme + shift)
        sme.capability = min(1.0, sme.capability + shift)
        sme.ambition = min(1.0, sme.ambition + shift)
        sme.update_side()
        sme.mark_moved(VOICE)

    def exit(self, contract: Contract) -> None:
        """Exit: end the contract and look at once for a better-fitting SME of that niche."""
        self.shunned.add(contract.sme.unique_id)
        contract.sme.shunned.add(self.unique_id)
        self.model.book.end(contract)
        self.open_niches[contract.niche] = None
        self.pending_exit[contract.niche] = contract.quadrant
        self.search(contract.niche)


class SME(_Party):
    """An exporting, innovative SME with a niche product, seeking agents in its target markets."""

    def __init__(
        self,
        model: PiggybackModel,
        niche: int,
        ambition: float,
        international: bool,
        voluntarism: float,
        capability: float,
        boundary_spanning: float,
        targets: list[int],
        knowledge0: float,
    ) -> None:
        super().__init__(model, boundary_spanning)
        self.niche = niche
        self.ambition = ambition
        self.international = international  # its side (§13.1): moves only when ambition crosses beyond the band
        self.voluntarism = voluntarism
        self.capability = capability
        self.targets = targets
        self.knowledge = {m: knowledge0 for m in targets}
        self.contracts: dict[int, Contract] = {}  # market -> contract (one agent per market)
        self.pending_exit: dict[int, int] = {}  # market -> quadrant of the contract it exited
        self.founder = False  # in the initial population (True) or an entrant (§11.1)

    def update_side(self) -> None:
        """§13.1 the side follows ambition only beyond the band."""
        self.international = rules.side(self.ambition, self.international, self.model.p["side_band"])

    def learn(self, contract: Contract, rate: float) -> None:
        """§7.5: foreign-market knowledge through the contract's information flow (rate: learning_rate,
        passed in by the model's contract loop, which binds parameters once per step)."""
        m = contract.market
        self.knowledge[m] += rules.knowledge_gain(
            self.knowledge[m],
            contract.effort,
            contract.communication,
            contract.trust_sme,
            self.capability,
            rate,
        )

    def drift(self, rate: float) -> None:
        """§7.6: ambition follows mean knowledge of the target markets, upward only (rate: ambition_drift)."""
        kbar = sum(self.knowledge.values()) / len(self.knowledge)
        self.ambition += rules.ambition_drift(self.ambition, kbar, rate)
        self.update_side()

    def seek_agents(self) -> None:
        """§7.2: in each target market without an agent, search with probability search_rate (+broker)."""
        model = self.model
        for m in self.targets:
            if m in self.contracts:
                continue
            prob = rules.search_probability(model.p["search_rate"], model.intermediary_strength[m])
            if model.rng.random() < prob:
                self.search(m)

    def search(self, market: int) -> Contract | None:
        model = self.model
        sub = self.pick_partner(model.book.free_subsidiaries(market, self.niche), _exploration, self.ambition)
        if sub is None:
            return None
        return model.sign(self, sub)

    # -- §7.7 ------------------------------------------------------------------------
    def best_alternative_fit(self, contract: Contract) -> float | None:
        subs = self.model.book.free_subsidiaries(contract.market, self.niche)
        fits = [rules.fit(self.ambition, s.exploration) for s in subs.values() if s.unique_id not in self.shunned]
        return max(fits) if fits else None

    def be_loyal(self, contract: Contract) -> None:
        """Path A: the SME gives up its international ambition (its own intent: unweighted)."""
        self.ambition = max(0.0, self.ambition - self.model.p["loyalty_shift"])
        self.update_side()

    def voice_succeeds(self, contract: Contract) -> None:
        """Path C: reaching other MNE units or HQ, the SME moves its agent toward exploration, by its
        contract's share of the agent's portfolio (§11.2: collective voice)."""
        sub = contract.sub
        shift = rules.shared_shift(self.model.p["voice_shift"], sub.influence_share(contract))
        sub.exploration = min(1.0, sub.exploration + shift)
        sub.update_side()
        sub.mark_moved(VOICE)

    def exit(self, contract: Contract) -> None:
        """Exit: end the contract and look at once for a better-fitting agent in that market."""
        origin = contract.quadrant
        self.shunned.add(contract.sub.unique_id)
        contract.sub.shunned.add(self.unique_id)
        contract.sub.open_niches[contract.niche] = None
        self.model.book.end(contract)
        self.pending_exit[contract.market] = origin
        self.search(contract.market)


def _ambition(sme: SME) -> float:
    return sme.ambition


def _exploration(sub: Subsidiary) -> float:
    return sub.exploration


__all__ = ["SME", "Headquarters", "Intermediary", "Subsidiary"]
