"""PiggybackModel: the population, the MODEL.md §3 schedule, observation and the run summary."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from sim import fast, population, rules
from sim.agents import SME, Headquarters, Intermediary, Subsidiary
from sim.contracts import Contract, ContractBook, quadrant_of
from sim.observe import (
    PATH_KEYS,
    PATH_NAMES,
    SUMMARY_KEYS,
    EventLog,
    RegimeObserver,
    ShockWatch,
    exit_path,
    path_of,
)
from sim.params import validate

# Per-agent reporters (opt-in, ``collect_agents=True``): by agent type, so that each type reports only
# what it has (Mesa 3.5's string reporters raise on agents that lack the attribute).
AGENT_REPORTERS = {
    SME: {
        "ambition": "ambition",
        "voluntarism": "voluntarism",
        "capability": "capability",
        "founder": "founder",
        "agents": lambda sme: len(sme.contracts),
        "knowledge": lambda sme: sum(sme.knowledge.values()) / len(sme.knowledge),
    },
    Subsidiary: {
        "exploration": "exploration",
        "lof": "lof",
        "market": "market",
        "principals": lambda sub: len(sub.contracts),
    },
}


class PiggybackModel(mesa.Model):
    """Partnerships between MNE subsidiaries and exporting SMEs (Bueno Merino & Grandval 2012;
    Prashantham & Birkinshaw 2020), as specified in MODEL.md.

    Args:
        rng: seed (int or ``numpy.random.SeedSequence``) or generator; all randomness
            comes from ``self.rng``.
        seed: accepted for ``mesa.batch_run`` on Mesa 3.3 only; use ``rng``.
        collect_steps: keep one DataCollector row per step (False: the summary only, as in
            :func:`run`; collecting is ~15 % of a default run's time).
        record_events: keep the contract-level event log (:class:`sim.observe.EventLog`) in ``events``.
        collect_agents: the DataCollector also keeps a row per SME and per subsidiary each step
            (:data:`AGENT_REPORTERS`; ``datacollector.get_agenttype_vars_dataframe(SME)``).
        reference: step by :meth:`step`'s own stages, in which agents call the rules of
            :mod:`sim.rules` (the readable reference), instead of :func:`sim.fast.step`, which
            inlines them (the default: about 2× faster, the same results bit for bit). Forced
            on, with a warning, if what ``sim.fast`` restates has changed since it was checked.
        **params: overrides of the parameter table :data:`sim.params.PARAMS`; unknown
            names and invalid values raise ``ValueError``.
    """

    def __init__(self, rng=None, seed=None, collect_steps: bool = True, record_events: bool = False,
                 reference: bool = False, collect_agents: bool = False, **params: Any) -> None:
        if seed is not None and rng is None:
            rng = seed
        super().__init__(rng=rng)
        self.p = p = validate(params)
        self.seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        self.max_steps = p["max_steps"]
        self.collect_steps = collect_steps
        self.reference = reference or not fast.current()
        self.book = ContractBook()
        self.events: EventLog | None = EventLog() if record_events else None

        # §8 counters and observations (every SUMMARY_KEYS entry is an attribute)
        self.exits = self.voices = self.voice_successes = self.loyalty_acts = 0
        self.departures = self.entrants = self.sub_renewals = 0  # §11.1, apart from exit/voice/loyalty
        for name in PATH_NAMES:
            setattr(self, f"path_{name}", 0)
            setattr(self, f"founders_path_{name}", 0)
        for key in PATH_KEYS:
            setattr(self, key, 0)
        self.costs = 0.0  # voice and exit costs paid
        self.settled = False
        self.settle_step = None
        self.quadrant = "unsettled"  # the regime at settlement (§12.1)
        self.final_quadrant = "mixed"  # the regime now: the last window's mean shares
        self.stable_at_end = False
        self.observer = RegimeObserver(
            p["burn_in"], p["settle_window"], p["settle_tolerance"], p["settle_z"], p["dominance"], p["max_steps"],
            p["regime_z"],
        )
        self.shock_watch: ShockWatch | None = None

        self._build_population()
        self._observe(record=False)
        # One row per step, after the step (not at initialisation): Mesa 3.3's batch_run
        # reads row `steps - 1` as the final state, so an initial row would shift it by one.
        # The `steps` column is the step number on every Mesa version.
        self.datacollector = mesa.DataCollector(
            model_reporters={k: k for k in ("seed", *SUMMARY_KEYS)},
            agenttype_reporters=AGENT_REPORTERS if collect_agents else None,
        )

    # -- §5 initialisation ----------------------------------------------------------
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
                    exploration=population.draw_intent(rng, explores),
                    lof=p["lof0"],
                    boundary_spanning=population.beta_mean(rng, p["boundary_spanning"]),
                    capacity=p["capacity"],
                )
                hq.subsidiaries.append(sub)
                self.subsidiaries.append(sub)
                self.subs_by_market[m].append(sub)
                self.book.add_subsidiary(sub, p["n_niches"])
        self.subsidiary_by_id = {sub.unique_id: sub for sub in self.subsidiaries}

        self.smes: list[SME] = []
        for _ in range(p["n_smes"]):
            international = rng.random() < p["p_international"] if intl_side is None else intl_side
            sme = population.new_sme(self, bool(international))
            sme.founder = True
            self.smes.append(sme)
            for m in sme.targets:  # initial agent: a random subsidiary with the niche free
                free = list(self.book.free_subsidiaries(m, sme.niche).values())
                if free:
                    sub = free[int(rng.integers(len(free)))]
                    contract = self.book.sign(sme, sub, p["trust0"])
                    if self.events is not None:
                        self.events.record(0, "formed", contract)

    # -- contracts ------------------------------------------------------------------
    def sign(self, sme: SME, sub: Subsidiary) -> Contract:
        """§7.2: start a contract; a market's intermediary lends it trust (PB path D)."""
        p = self.p
        trust = rules.start_trust(p["trust0"], p["intermediary_trust"], self.intermediary_strength[sub.market])
        # a party that left a Q2/Q4 contract here: its new contract may count as a path by exit (§8)
        exit_origin = sme.pending_exit.pop(sub.market, 0) or sub.pending_exit.pop(sme.niche, 0)
        contract = self.book.sign(sme, sub, trust)
        contract.exit_origin = exit_origin
        if self.events is not None:
            self.events.record(self.steps, "formed", contract)
        return contract

    def shock(self, share: float, intent: str) -> int:
        """§11.4: replace ``share`` of the SMEs at once with entrants of ``intent`` ("domestic",
        "international", "mixed"); returns how many. Scheduled by ``shock_step``, or called between
        steps (the dashboard's shock button). Settlement is judged afresh after a shock, and the
        pre-shock regime is watched for its return."""
        obs, p = self.observer, self.p
        if obs.n:
            w = min(obs.window, obs.n)
            before = obs.mean(obs.n - w, obs.n)
            self.shock_watch = ShockWatch(
                obs.n, obs.regime, before[:4], before[4], p["settle_tolerance"], p["settle_z"]
            )
        replaced = population.shock(self, share, intent)
        obs.start = max(obs.start, obs.n)  # settlement windows must lie after the shock
        self.settled, self.settle_step, self.quadrant = False, None, "unsettled"
        return replaced

    def _shuffled(self, items: list) -> list:
        """Random order within a stage (§3), from the model's own generator on every Mesa version."""
        # tolist(): indexing with Python ints is ~2× faster than with numpy scalars
        return [items[i] for i in self.rng.permutation(len(items)).tolist()]

    # -- §3 schedule ----------------------------------------------------------------
    def step(self) -> None:
        """One month: the eight stages of MODEL.md §3 (unless ``reference``: :func:`sim.fast.step`)."""
        if not self.reference:
            fast.step(self)
            return
        p = self.p
        # 1. headquarters pressure (§7.6), then aligned contracts pull their agents (§11.3);
        #    the platform acts through detection (§7.1)
        for hq in self.headquarters:
            hq.apply_pressure()
        if p["alignment_pull"] > 0.0:
            for sub in self.subsidiaries:
                sub.align(p["alignment_pull"])
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
        # 7. population: departures and entries, mandate renewals (§11.1), a scheduled shock (§11.4);
        #    then matching (§7.2), in which entrants and abandoned agents search
        population.turnover(self)
        if self.steps == p["shock_step"]:
            self.shock(p["shock_share"], p["shock_intent"])
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
        elif self.settled and p["stop_on_settle"] and self.steps >= p["shock_step"]:
            self.running = False  # a scheduled shock is waited for: settlement is judged after it

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
    def _count_path(self, path: str, action: str, founder: bool) -> None:
        key = f"path_{path}"
        setattr(self, key, getattr(self, key) + 1)
        setattr(self, f"{key}_{action}", getattr(self, f"{key}_{action}") + 1)
        if founder:  # a dyad of the initial population: how the starting tension resolved
            setattr(self, f"founders_{key}", getattr(self, f"founders_{key}") + 1)

    def _observe(self, record: bool = True) -> None:
        counts = [0, 0, 0, 0, 0]
        trust = comm = effort = value = 0.0
        events = self.events if record else None
        for c in self.book.active.values():
            q = quadrant_of(c.sub.exploration, c.sme.ambition)
            if c.exit_origin or q != c.quadrant:
                self._count_change(c, q, events)
            c.quadrant = q
            counts[q] += 1
            trust += c.trust_mean
            comm += c.communication
            effort += c.effort
            value += c.value
        self._observed(counts, trust, comm, effort, value, record)

    def _count_change(self, c: Contract, q: int, events: EventLog | None) -> None:
        """§8 a contract entered quadrant ``q``: a path by exit, or a move of its own (path or not)."""
        if c.exit_origin:
            path = exit_path(c.exit_origin, q)
            if path:
                self._count_path(path, "exit", c.sme.founder)
                if events is not None:
                    c.quadrant = q
                    events.record(self.steps, "path_by_exit", c, from_quadrant=c.exit_origin, path=path,
                                  action="exit")
            c.exit_origin = 0
        elif q != c.quadrant:
            path = path_of(c.quadrant, q)
            # the SME moved if its side (international: Q2, Q3) changed, else the subsidiary did
            sme_moved = (q in (2, 3)) != (c.quadrant in (2, 3))
            action = (c.sme if sme_moved else c.sub).move_action()
            if path:
                self._count_path(path, action, c.sme.founder)
            if events is not None:
                before, c.quadrant = c.quadrant, q
                events.record(self.steps, "quadrant", c, from_quadrant=before, path=path, action=action)

    def _observed(self, counts: list[int], trust: float, comm: float, effort: float, value: float,
                  record: bool) -> None:
        """§8/§12.1 what the contract pass counted and summed, as observations, the regime and settlement."""
        n = len(self.book.active)
        self.contracts = n
        shares = [x / n for x in counts[1:]] if n else [0.0, 0.0, 0.0, 0.0]
        self.share_Q1, self.share_Q2, self.share_Q3, self.share_Q4 = shares
        self.mean_trust = trust / n if n else 0.0
        self.mean_communication = comm / n if n else 0.0
        self.mean_effort = effort / n if n else 0.0
        self.mean_lof = sum([s.lof for s in self.subsidiaries]) / len(self.subsidiaries)
        self.mean_exploration = sum([s.exploration for s in self.subsidiaries]) / len(self.subsidiaries)
        self.mean_ambition = sum([s.ambition for s in self.smes]) / len(self.smes)
        self.contracts_formed = self.book.formed
        self.contracts_ended = self.book.ended
        self.total_value = self.book.value_of_ended + value - self.costs
        if not record:
            return
        obs = self.observer
        obs.record(shares, n)
        self.final_quadrant = obs.regime
        self.stable_at_end = obs.stationary()
        if self.stable_at_end and not self.settled:
            self.settled = True
            self.settle_step = self.steps
            self.quadrant = obs.regime
        if self.shock_watch is not None:
            self.shock_watch.observe(obs.n, shares)

    # -- §12.1 derived observations (reporters) ---------------------------------------
    def _composition(self, k: int) -> float:
        return float(self.observer.window_mean()[k])

    composition_Q1 = property(lambda self: self._composition(0))
    composition_Q2 = property(lambda self: self._composition(1))
    composition_Q3 = property(lambda self: self._composition(2))
    composition_Q4 = property(lambda self: self._composition(3))
    occupancy_Q1 = property(lambda self: self.observer.occupancy_shares()["Q1"])
    occupancy_Q2 = property(lambda self: self.observer.occupancy_shares()["Q2"])
    occupancy_Q3 = property(lambda self: self.observer.occupancy_shares()["Q3"])
    occupancy_Q4 = property(lambda self: self.observer.occupancy_shares()["Q4"])
    occupancy_mixed = property(lambda self: self.observer.occupancy_shares()["mixed"])
    regime_switches = property(lambda self: self.observer.switches)
    shock_regime = property(lambda self: None if self.shock_watch is None else self.shock_watch.regime)
    shock_return_time = property(lambda self: None if self.shock_watch is None else self.shock_watch.return_time)

    @property
    def shock_returned(self) -> bool | None:
        """§11.4 did the pre-shock regime return (None: no shock yet)?"""
        return None if self.shock_watch is None else self.shock_watch.returned(self.final_quadrant)

    # -- running and reporting ------------------------------------------------------
    def run(self, max_steps: int | None = None) -> dict[str, Any]:
        """Run to settlement (with ``stop_on_settle``) or ``max_steps``; return the §8 summary."""
        if max_steps is not None:
            self.max_steps = validate({"max_steps": max_steps})["max_steps"]
            stopped = self.settled and self.p["stop_on_settle"] and self.steps >= self.p["shock_step"]
            self.running = self.steps < self.max_steps and not stopped
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
        assert len(self.smes) == self.p["n_smes"] and self.entrants == self.departures
        present = {s.unique_id for s in self.smes}
        assert all(c.sme.unique_id in present for c in self.book.active.values()), "a departed SME holds a contract"
        assert all(uid in present for d in self.book.seeking.values() for uid in d), "a departed SME still seeks"
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


TABLES = ("steps", "events")


def run(params: dict[str, Any] | None = None, seed: int | None = None, tables=()) -> dict[str, Any]:
    """Build a model with ``params`` and seed ``seed``, run it, return its summary.

    This is the whole contract the experiment runner relies on. ``tables`` may ask for extra
    row tables, returned under the summary's ``"tables"`` key: ``"steps"`` (one row per step: the
    quadrant shares and the number of contracts) and ``"events"`` (the contract event log,
    :data:`sim.observe.EVENT_COLUMNS`). Asking for them does not change the run.
    """
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; valid: {', '.join(TABLES)}")
    model = PiggybackModel(rng=seed, collect_steps=False, record_events="events" in tables, **(params or {}))
    summary = model.run()
    if tables:
        summary["tables"] = {}
        if "steps" in tables:
            rows = np.diff(model.observer.cum[: model.observer.n + 1], axis=0)
            summary["tables"]["steps"] = [
                {"step": k + 1, **{f"share_Q{i + 1}": round(r[i], 12) for i in range(4)},
                 "contracts": round(r[4])}
                for k, r in enumerate(rows.tolist())
            ]
        if "events" in tables:
            cols = model.events.columns
            summary["tables"]["events"] = [dict(zip(cols, row)) for row in zip(*cols.values())]
    return summary
