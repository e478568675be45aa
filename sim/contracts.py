"""The piggyback agency contract and the partner indexes (MODEL.md §2, §7.2).

Mutual exclusivity: an SME has at most one agent per market, a subsidiary carries at
most one SME per niche (complementary, non-competing products); a subsidiary may carry
many SMEs of different niches (the plurality of principals, BG §4.3).

The indexes keep free slots by (market, niche) so that partner search costs the number
of candidates, never a scan of all agents. They are insertion-ordered dicts keyed by
``unique_id``: iteration order is deterministic, which sets of agents would not be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.agents import SME, Subsidiary


def quadrant_of(explores: bool, international: bool) -> int:
    """MODEL.md §8, §13.1 quadrant of a dyad, 1..4, from its parties' sides: the one definition of a
    contract's quadrant (tension, shares and paths all use it).

    Q1 exploit × domestic, Q2 exploit × international, Q3 explore × international,
    Q4 explore × domestic. A side follows its intent with a band (:func:`sim.rules.side`).
    """
    if explores:
        return 3 if international else 4
    return 2 if international else 1


class Contract:
    """A piggyback agency contract: ``sub`` is the SME's exclusive agent in ``market``."""

    __slots__ = (
        "uid",
        "sme",
        "sub",
        "market",
        "niche",
        "trust_sme",
        "trust_sub",
        "communication",
        "effort",
        "age",
        "frustration_sme",
        "frustration_sub",
        "sales",
        "value",
        "quadrant",
        "sale_step",
        "exit_origin",
        "active",
    )

    def __init__(self, uid: int, sme: SME, sub: Subsidiary, trust: float) -> None:
        self.uid = uid
        self.sme = sme
        self.sub = sub
        self.market = sub.market
        self.niche = sme.niche
        self.trust_sme = trust
        self.trust_sub = trust
        self.communication = 0.0
        self.effort = 0.0
        self.age = 0
        self.frustration_sme = 0.0
        self.frustration_sub = 0.0
        self.sales = 0
        self.value = 0.0
        self.quadrant = quadrant_of(sub.explores, sme.international)
        self.sale_step = -1
        # quadrant (2 or 4) of the contract whose exit led to this one, for path-by-exit
        self.exit_origin = 0
        self.active = True

    @property
    def trust_mean(self) -> float:
        """τ̄, the mean of both sides' trust."""
        return 0.5 * (self.trust_sme + self.trust_sub)

    @property
    def label(self) -> str:
        return f"Q{self.quadrant}"

    def __repr__(self) -> str:
        return (
            f"Contract(sme={self.sme.unique_id}, sub={self.sub.unique_id}, market={self.market}, "
            f"niche={self.niche}, Q{self.quadrant}, age={self.age})"
        )


class ContractBook:
    """All active contracts and the partner indexes; the only place contracts start and end."""

    def __init__(self) -> None:
        self.active: dict[int, Contract] = {}
        # (market, niche) -> {uid: Subsidiary} with that niche free
        self.free_subs: dict[tuple[int, int], dict[int, Subsidiary]] = {}
        # (market, niche) -> {uid: SME} targeting that market without an agent there
        self.seeking: dict[tuple[int, int], dict[int, SME]] = {}
        self._next_id = 0
        self.formed = 0
        self.ended = 0
        self.value_of_ended = 0.0  # cumulative value of contracts that have ended

    # -- registration ---------------------------------------------------------------
    def add_subsidiary(self, sub: Subsidiary, n_niches: int) -> None:
        for k in range(n_niches):
            self.free_subs.setdefault((sub.market, k), {})[sub.unique_id] = sub

    def add_sme(self, sme: SME) -> None:
        for m in sme.targets:
            self.seeking.setdefault((m, sme.niche), {})[sme.unique_id] = sme

    def remove_sme(self, sme: SME) -> None:
        """An SME leaves the population (§11.1): it no longer seeks agents. End its contracts first."""
        if sme.contracts:
            raise RuntimeError(f"SME {sme.unique_id} still has contracts; end them before it leaves")
        for m in sme.targets:
            self.seeking[(m, sme.niche)].pop(sme.unique_id, None)

    # -- queries --------------------------------------------------------------------
    def free_subsidiaries(self, market: int, niche: int) -> dict[int, Subsidiary]:
        return self.free_subs.get((market, niche), {})

    def seeking_smes(self, market: int, niche: int) -> dict[int, SME]:
        return self.seeking.get((market, niche), {})

    # -- life cycle -----------------------------------------------------------------
    def sign(self, sme: SME, sub: Subsidiary, trust: float) -> Contract:
        """Start a contract, enforcing mutual exclusivity."""
        market, niche = sub.market, sme.niche
        if market in sme.contracts:
            raise RuntimeError(f"exclusivity: SME {sme.unique_id} already has an agent in market {market}")
        if niche in sub.contracts:
            raise RuntimeError(f"exclusivity: subsidiary {sub.unique_id} already carries niche {niche}")
        if market not in sme.targets:
            raise RuntimeError(f"SME {sme.unique_id} does not target market {market}")
        self._next_id += 1
        contract = Contract(self._next_id, sme, sub, trust)
        self.active[contract.uid] = contract
        sme.contracts[market] = contract
        sub.contracts[niche] = contract
        del self.free_subs[(market, niche)][sub.unique_id]
        del self.seeking[(market, niche)][sme.unique_id]
        sub.open_niches.pop(niche, None)
        self.formed += 1
        return contract

    def end(self, contract: Contract) -> None:
        """End a contract: frees the subsidiary's niche and the SME's market slot."""
        sme, sub = contract.sme, contract.sub
        market, niche = contract.market, contract.niche
        contract.active = False
        self.value_of_ended += contract.value
        del self.active[contract.uid]
        del sme.contracts[market]
        del sub.contracts[niche]
        self.free_subs[(market, niche)][sub.unique_id] = sub
        self.seeking[(market, niche)][sme.unique_id] = sme
        self.ended += 1

    def check(self) -> None:
        """Verify exclusivity and index consistency (O(agents); for tests, not the hot path)."""
        seen_sme_market = set()
        seen_sub_niche = set()
        for c in self.active.values():
            assert c.active
            key_s = (c.sme.unique_id, c.market)
            key_u = (c.sub.unique_id, c.niche)
            assert key_s not in seen_sme_market, f"SME {key_s} has two agents in one market"
            assert key_u not in seen_sub_niche, f"subsidiary {key_u} carries two SMEs of one niche"
            seen_sme_market.add(key_s)
            seen_sub_niche.add(key_u)
            assert c.sme.contracts[c.market] is c and c.sub.contracts[c.niche] is c
            assert c.sub.unique_id not in self.free_subs[(c.market, c.niche)]
            assert c.sme.unique_id not in self.seeking[(c.market, c.niche)]
        for (m, k), subs in self.free_subs.items():
            for sub in subs.values():
                assert k not in sub.contracts and sub.market == m
        for (m, k), smes in self.seeking.items():
            for sme in smes.values():
                assert m not in sme.contracts and sme.niche == k and m in sme.targets
