"""PiggybackModel: the population, the MODEL.md §3 schedule, observation and the run summary."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim import rules
from sim.agents import SME, Headquarters, Intermediary, Subsidiary
from sim.contracts import Contract, ContractBook, quadrant_of
from sim.observe import (
    PATH_KEYS,
    PATH_NAMES,
    SUMMARY_KEYS,
    SettlementDetector,
    dominant_quadrant,
    exit_path,
    path_of,
)
from sim.params import validate

_BELOW_HALF = float(np.nextafter(0.5, 0.0))


class PiggybackModel(mesa.Model):
    """Partnerships between MNE subsidiaries and exporting SMEs (Bueno Merino & Grandval 2012;
    Prashantham & Birkinshaw 2020), as specified in MODEL.md.

    Args:
        rng: seed (int or ``numpy.random.SeedSequence``) or generator; all randomness
            comes from ``self.rng``.
        seed: accepted for ``mesa.batch_run`` on Mesa 3.3 only; use ``rng``.
        collect_steps: keep one DataCollector row per step (False: the summary only, as in
            :func:`run`; collecting is ~15 % of a default run's time).
        **params: overrides of the parameter table :data:`sim.params.PARAMS`; unknown
            names and invalid values raise ``ValueError``.
    """

    def __init__(self, rng=None, seed=None, collect_steps: bool = True, **params: Any) -> None:
        if seed is not None and rng is None:
            rng = seed
        super().__init__(rng=rng)
        self.p = p = validate(params)
        self.seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        self.max_steps = p["max_steps"]
        self.collect_steps = collect_steps
        self.book = ContractBook()

        # §8 counters and observations (every SUMMARY_KEYS entry is an attribute)
        self.exits = self.voices = self.voice_successes = self.loyalty_acts = 0
        for name in PATH_NAMES:
            setattr(self, f"path_{name}", 0)
        for key in PATH_KEYS:
            setattr(self, key, 0)
        self.costs = 0.0  # voice and exit costs paid
        self.settled = False
        self.settle_step = None
        self.quadrant = "unsettled"
        self.final_quadrant = "mixed"
        self.stable_at_end = False
        self.detector = SettlementDetector(p["burn_in"], p["settle_window"], p["settle_tolerance"], p["max_steps"])

        self._build_population()
        self._observe(record=False)
        # One row per step, after the step (not at initialisation): Mesa 3.3's batch_run
        # reads row `steps - 1` as the final state, so an initial row would shift it by one.
        # The `steps` column is the step number on every Mesa version.
        self.datacollector = mesa.DataCollector(model_reporters={k: k for k in ("seed", *SUMMARY_KEYS)})

    # -- §5 initialisation ----------------------------------------------------------
    def _intent(self, high: bool) -> float:
        """0.5 ± 0.5·Beta(2, 2) on the chosen side of 0.5 (§5)."""
        b = 0.5 * self.rng.beta(2.0, 2.0)
        return 0.5 + b if high else min(0.5 - b, _BELOW_HALF)

    def _beta_mean(self, mean: float) -> float:
        """Beta draw with the given mean and concentration 10 (§5); degenerate at 0 and 1."""
        if mean <= 0.0 or mean >= 1.0:
            return float(mean)
        return float(self.rng.beta(10.0 * mean, 10.0 * (1.0 - mean)))

    def _build_population(self) -> None:
        p, rng = self.p, self.rng
        start = p["initial_quadrant"]
        explore_side = {"Q1": False, "Q2": False, "Q3": True, "Q4": True}.get(start)
        intl_side = {"Q1": False, "Q2": True, "Q3": True, "Q4": False}.get(start)

        self.intermediary_strength = [p["intermediary"]] * p["n_markets"]
        self.intermediaries = (
            [Intermediary(self, m, p["intermediary"]) for m in range(p["n_markets"])] if p["intermediary"] > 0 else []
        )
        self.headquarters = [
            Headquarters(self, p["hq_pressure"], p["platform"], p["ecosystem"]) for _ in range(p["n_mnes"])
        ]
        self.subsidiaries: list[Subsidiary] = []
        self.subs_by_market: list[list[Subsidiary]] = [[] for _ in range(p["n_markets"])]
        for hq in self.headquarters:
            for m in range(p["n_markets"]):
                explores = rng.random() < p["p_explore"] if explore_side is None else explore_side
                sub = Subsidiary(
                    self,
                    hq,
                    m,
                    exploration=self._intent(explores),
                    lof=p["lof0"],
                    boundary_spanning=self._beta_mean(p["boundary_spanning"]),
                    capacity=p["capacity"],
                )
                hq.subsidiaries.append(sub)
                self.subsidiaries.append(sub)
                self.subs_by_market[m].append(sub)
                self.book.add_subsidiary(sub, p["n_niches"])

        self.smes: list[SME] = []
        for _ in range(p["n_smes"]):
            international = rng.random() < p["p_international"] if intl_side is None else intl_side
            sme = SME(
                self,
                niche=int(rng.integers(p["n_niches"])),
                ambition=self._intent(international),
                voluntarism=self._beta_mean(p["voluntarism"]),
                capability=self._beta_mean(p["capability"]),
                boundary_spanning=self._beta_mean(p["boundary_spanning"]),
                targets=[int(m) for m in rng.choice(p["n_markets"], p["contracts_per_sme"], replace=False)],
                knowledge0=p["knowledge0"],
            )
            self.smes.append(sme)
            self.book.add_sme(sme)
            for m in sme.targets:  # initial agent: a random subsidiary with the niche free
                free = list(self.book.free_subsidiaries(m, sme.niche).values())
                if free:
                    sub = free[int(rng.integers(len(free)))]
                    self.book.sign(sme, sub, p["trust0"])

    # -- contracts ------------------------------------------------------------------
    def sign(self, sme: SME, sub: Subsidiary) -> Contract:
        """§7.2: start a contract; a market's intermediary lends it trust (PB path D)."""
        p = self.p
        trust = rules.start_trust(p["trust0"], p["intermediary_trust"], self.intermediary_strength[sub.market])
        # a party that left a Q2/Q4 contract here: its new contract may count as a path by exit (§8)
        exit_origin = sme.pending_exit.pop(sub.market, 0) or sub.pending_exit.pop(sme.niche, 0)
        contract = self.book.sign(sme, sub, trust)
        contract.exit_origin = exit_origin
        return contract

    def _shuffled(self, items: list) -> list:
        """Random order within a stage (§3), from the model's own generator on every Mesa version."""
        # tolist(): indexing with Python ints is ~2× faster than with numpy scalars
        return [items[i] for i in self.rng.permutation(len(items)).tolist()]

    # -- §3 schedule ----------------------------------------------------------------
    def step(self) -> None:
        """One month: the eight stages of MODEL.md §3."""
        p = self.p
        # 1. headquarters pressure (§7.6); the platform acts through detection (§7.1)
        for hq in self.headquarters:
            hq.apply_pressure()
        # 2–3. opportunities, effort allocation, solution selling, LoF (§7.1, §7.3)
        for sub in self.subsidiaries:
            sub.allocate_effort()
        self._opportunities()
        for sub in self.subsidiaries:
            sub.update_lof()
        # 4. communication, trust, learning, value (§7.4, §7.5)
        self._run_contracts()
        # 5. tension and exit / voice / loyalty (§7.7)
        for contract in self._shuffled(list(self.book.active.values())):
            if contract.active:
                self._tension(contract)
        # 6. intent drift (§7.6)
        drift_rate = p["ambition_drift"]
        for sme in self.smes:
            sme.drift(drift_rate)
        # 7. matching (§7.2)
        for sme in self._shuffled(self.smes):
            if len(sme.contracts) < len(sme.targets):  # most SMEs have all their agents
                sme.seek_agents()
        for sub in self._shuffled(self.subsidiaries):
            sub.refill_open_niches()
        # 8. observation (§8)
        self._observe()
        if self.collect_steps:
            self.datacollector.collect(self)
        if self.steps >= self.max_steps:
            self.running = False
        elif self.settled and p["stop_on_settle"]:
            self.running = False

    def _opportunities(self) -> None:
        """§7.1: each market draws Poisson(opportunity_rate) requirements, one niche each."""
        p, rng = self.p, self.rng
        for m, subs in enumerate(self.subs_by_market):
            n = rng.poisson(p["opportunity_rate"])
            if n == 0:
                continue
            search_prob = rules.search_probability(p["search_rate"], self.intermediary_strength[m])
            for niche in rng.integers(p["n_niches"], size=n):
                niche = int(niche)
                for sub in self._shuffled(subs):
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

    def _run_contracts(self) -> None:
        """§7.4–7.5 for every active contract (parameters bound once: this is the hot loop)."""
        p, rng, step = self.p, self.rng, self.steps
        communication, trust_update, dyad_value_mean = rules.communication, rules.trust_update, rules.dyad_value_mean
        comm_min, comm_max = p["comm_min"], p["comm_max"]
        trust_args = (p["trust_gain"], p["success_gain"], p["frustration_erosion"], p["trust_decay"])
        values = (p["value_q1"], p["value_q3"], p["value_tension"])
        cv_q1, cv_other = p["value_cv_q1"], p["value_cv_q3"]
        comm_cost2 = 2.0 * p["comm_cost"]  # communication is a non-redeployable cost to each side
        learning_rate = p["learning_rate"]
        for c in self.book.active.values():
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

    def _tension(self, c: Contract) -> None:
        """§7.7: frustration of the thwarted party and, past the threshold, its choice."""
        p = self.p
        decay = p["frustration_decay"]
        q = quadrant_of(c.sub.exploration, c.sme.ambition)
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

    # -- §8 observation -------------------------------------------------------------
    def _count_path(self, path: str, action: str) -> None:
        key = f"path_{path}"
        setattr(self, key, getattr(self, key) + 1)
        key = f"{key}_{action}"
        setattr(self, key, getattr(self, key) + 1)

    def _observe(self, record: bool = True) -> None:
        counts = [0, 0, 0, 0, 0]
        trust = comm = effort = value = 0.0
        for c in self.book.active.values():
            q = quadrant_of(c.sub.exploration, c.sme.ambition)
            if c.exit_origin:
                path = exit_path(c.exit_origin, q)
                if path:
                    self._count_path(path, "exit")
                c.exit_origin = 0
            elif q != c.quadrant:
                path = path_of(c.quadrant, q)
                if path:
                    mover = c.sme if path in ("A", "D") else c.sub
                    self._count_path(path, mover.move_action())
            c.quadrant = q
            counts[q] += 1
            trust += c.trust_mean
            comm += c.communication
            effort += c.effort
            value += c.value
        n = len(self.book.active)
        self.contracts = n
        shares = [x / n for x in counts[1:]] if n else [0.0, 0.0, 0.0, 0.0]
        self.share_Q1, self.share_Q2, self.share_Q3, self.share_Q4 = shares
        self.mean_trust = trust / n if n else 0.0
        self.mean_communication = comm / n if n else 0.0
        self.mean_effort = effort / n if n else 0.0
        self.mean_lof = sum(s.lof for s in self.subsidiaries) / len(self.subsidiaries)
        self.mean_exploration = sum(s.exploration for s in self.subsidiaries) / len(self.subsidiaries)
        self.mean_ambition = sum(s.ambition for s in self.smes) / len(self.smes)
        self.contracts_formed = self.book.formed
        self.contracts_ended = self.book.ended
        self.total_value = self.book.value_of_ended + value - self.costs
        if not record:
            return
        self.detector.record(shares)
        self.stable_at_end = self.detector.stable()
        self.final_quadrant = dominant_quadrant(shares, self.p["dominance"])
        if self.stable_at_end and not self.settled:
            self.settled = True
            self.settle_step = self.steps
            self.quadrant = self.final_quadrant

    # -- running and reporting ------------------------------------------------------
    def run(self, max_steps: int | None = None) -> dict[str, Any]:
        """Run to settlement (with ``stop_on_settle``) or ``max_steps``; return the §8 summary."""
        if max_steps is not None:
            self.max_steps = validate({"max_steps": max_steps})["max_steps"]
            self.running = self.steps < self.max_steps and not (self.settled and self.p["stop_on_settle"])
        while self.running:
            self.step()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """The flat, JSON-serialisable §8 run summary."""
        out: dict[str, Any] = {"seed": self.seed}
        for key in SUMMARY_KEYS:
            value = getattr(self, key)
            out[key] = float(value) if isinstance(value, (float, np.floating)) else value
        return out

    def contract_snapshot(self) -> dict[str, list]:
        """Every active contract's state now, column-wise (for analysis and pattern tests)."""
        cols: dict[str, list] = {
            k: []
            for k in (
                "sub",
                "sme",
                "market",
                "niche",
                "quadrant",
                "age",
                "trust_sme",
                "trust_sub",
                "communication",
                "effort",
                "voluntarism",
            )
        }
        for c in self.book.active.values():
            row = (
                c.sub.unique_id,
                c.sme.unique_id,
                c.market,
                c.niche,
                c.label,
                c.age,
                c.trust_sme,
                c.trust_sub,
                c.communication,
                c.effort,
                c.sme.voluntarism,
            )
            for k, v in zip(cols, row):
                cols[k].append(v)
        return cols

    def check_invariants(self) -> None:
        """Assert every invariant of the state (exclusivity, bounds, counts); O(agents), for tests."""
        self.book.check()
        for c in self.book.active.values():
            for name in ("trust_sme", "trust_sub", "communication"):
                v = getattr(c, name)
                assert 0.0 <= v <= 1.0, f"{name}={v} out of [0, 1]"
            assert c.frustration_sme >= 0 and c.frustration_sub >= 0 and c.effort >= 0 and c.age >= 0
        for s in self.subsidiaries:
            assert 0.0 <= s.exploration <= 1.0 and 0.0 <= s.lof <= 1.0
        for s in self.smes:
            assert 0.0 <= s.ambition <= 1.0 and 0.0 <= s.capability <= 1.0
            assert all(0.0 <= k <= 1.0 for k in s.knowledge.values())
        shares = (self.share_Q1, self.share_Q2, self.share_Q3, self.share_Q4)
        assert all(0.0 <= x <= 1.0 for x in shares)
        if self.contracts:
            assert abs(sum(shares) - 1.0) < 1e-9
        for key in ("exits", "voices", "voice_successes", "loyalty_acts", "contracts_formed", "contracts_ended"):
            assert getattr(self, key) >= 0
        assert self.voice_successes <= self.voices
        assert self.contracts == self.contracts_formed - self.contracts_ended


def run(params: dict[str, Any] | None = None, seed: int | None = None) -> dict[str, Any]:
    """Build a model with ``params`` and seed ``seed``, run it, return its summary.

    This is the whole contract the experiment runner relies on.
    """
    return PiggybackModel(rng=seed, collect_steps=False, **(params or {})).run()
