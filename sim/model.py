"""PiggybackModel: the population, the MODEL.md §3 schedule, observation and the run summary."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import mesa
import numpy as np

from sim import observe, population, rules
from sim.agents import SME, Headquarters, Intermediary, Subsidiary
from sim.contracts import Contract, ContractBook, quadrant_of
from sim.observe import EventLog
from sim.params import validate
from sim.regime import Portfolios, RegimeObserver, ShockWatch
from sim.steps import mirrors
from sim.steps import reference as reference_steps
from sim.vocabulary import (
    PATH_KEYS,
    PATH_NAMES,
    SUBSIDIARY_STATES,
    SUMMARY_KEYS,
    TIMELINE_COLUMNS,
    UNRESOLVED,
    horizon_keys,
)

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
        reference: accepted and ignored (kept for callers of earlier versions): the model always
            steps by :mod:`sim.steps.reference`, agents calling the rules of :mod:`sim.rules`. The
            fast path is the compiled engine of :func:`run` (:mod:`sim.engine`).
        **params: overrides of the parameter table :data:`sim.params.PARAMS`; unknown
            names and invalid values raise ``ValueError``.
    """

    def __init__(self, rng=None, seed=None, collect_steps: bool = True, record_events: bool = False,
                 reference: bool = True, collect_agents: bool = False, **params: Any) -> None:
        if seed is not None and rng is None:
            rng = seed
        super().__init__(rng=rng)
        self.p = p = validate(params)
        self.seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        self.max_steps = p["max_steps"]
        self.collect_steps = collect_steps
        self.reference = True
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
        # §13 the long-run regime (resolved once, judged afresh after a shock), the subsidiaries' states now,
        # the summary at each horizon and the timeline
        self.regime, self.resolved, self.regime_step = UNRESOLVED, False, None
        self.regime_now: str | None = None  # the §13.3 rule applied now (final_regime at the end)
        self.subs_now: dict[str, float | None] = dict.fromkeys(SUBSIDIARY_STATES)
        self.at_horizons: dict[str, Any] = dict.fromkeys(horizon_keys(p["horizons"]))
        self.last_horizon = max([h for h in p["horizons"] if h <= p["max_steps"]], default=0)
        self.timeline: list[tuple] = []

        self._build_population()
        self.portfolios = Portfolios(len(self.subsidiaries), p["settle_window"], p["dominance"])
        observe.observe(self, record=False)
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
                    explores=bool(explores),
                    lof=p["lof0"],
                    boundary_spanning=population.beta_mean(rng, p["boundary_spanning"]),
                    capacity=p["capacity"],
                )
                hq.subsidiaries.append(sub)
                sub.index = len(self.subsidiaries)  # its row in the portfolios' counts (§13.2)
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
        self.resolved, self.regime_step, self.regime = False, None, UNRESOLVED
        return replaced

    # -- §3 schedule ----------------------------------------------------------------
    def step(self) -> None:
        """One month: the eight stages of MODEL.md §3 (:func:`sim.steps.reference.step`); then the step's data
        row and whether to go on."""
        reference_steps.step(self)
        if self.collect_steps:
            self.datacollector.collect(self)
        self.running = self.steps < self.max_steps and not self.done()

    def done(self) -> bool:
        """§13.3: with ``stop_on_settle``, a run is done once resolved, past the last horizon it is asked
        for (§13.4) and past a scheduled shock (the long-run regime is judged afresh after it)."""
        p = self.p
        return self.resolved and p["stop_on_settle"] and self.steps >= max(p["shock_step"], self.last_horizon)

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

    final_regime = property(lambda self: self.regime_now or UNRESOLVED)
    subs_Q1 = property(lambda self: self.subs_now["Q1"])
    subs_Q2 = property(lambda self: self.subs_now["Q2"])
    subs_Q3 = property(lambda self: self.subs_now["Q3"])
    subs_Q4 = property(lambda self: self.subs_now["Q4"])
    subs_contested = property(lambda self: self.subs_now["contested"])

    @property
    def shock_returned(self) -> bool | None:
        """§11.4, §13.6 did the pre-shock regime return: is the long-run regime resolved after the shock the
        window-mean regime before it (None: no shock yet; False while unresolved)?"""
        return None if self.shock_watch is None else self.regime == self.shock_watch.regime

    # -- running and reporting ------------------------------------------------------
    def run(self, max_steps: int | None = None) -> dict[str, Any]:
        """Run until resolved (with ``stop_on_settle``, §13.3) or ``max_steps``; return the summary."""
        if max_steps is not None:
            self.max_steps = validate({"max_steps": max_steps})["max_steps"]
            self.running = self.steps < self.max_steps and not self.done()
        while self.running:
            self.step()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        """The flat, JSON-serialisable run summary (§8, §12.1, §13): :data:`sim.vocabulary.SUMMARY_KEYS`,
        then the horizon keys of ``horizons`` (None for a horizon the run did not reach)."""
        out: dict[str, Any] = {"seed": self.seed}
        for key in SUMMARY_KEYS:
            value = getattr(self, key)
            out[key] = float(value) if isinstance(value, (float, np.floating)) else value
        out.update(self.at_horizons)
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
        band = self.p["side_band"]
        for s in self.subsidiaries:
            assert 0.0 <= s.exploration <= 1.0 and 0.0 <= s.lof <= 1.0
            # §13.1: a side never lies beyond the band on the wrong side of 0.5
            assert (s.exploration >= 0.5 - band) if s.explores else (s.exploration < 0.5 + band), (s.exploration, band)
            assert 0 <= s.side_step <= self.steps
        for c in self.book.active.values():  # §13.1: one definition of a contract's quadrant
            assert c.quadrant == quadrant_of(c.sub.explores, c.sme.international) or c.exit_origin
        assert len(self.smes) == self.p["n_smes"] and self.entrants == self.departures
        present = {s.unique_id for s in self.smes}
        assert all(c.sme.unique_id in present for c in self.book.active.values()), "a departed SME holds a contract"
        assert all(uid in present for d in self.book.seeking.values() for uid in d), "a departed SME still seeks"
        for s in self.smes:
            assert 0.0 <= s.ambition <= 1.0 and 0.0 <= s.capability <= 1.0
            assert (s.ambition >= 0.5 - band) if s.international else (s.ambition < 0.5 + band), (s.ambition, band)
            assert all(0.0 <= k <= 1.0 for k in s.knowledge.values())
        shares = (self.share_Q1, self.share_Q2, self.share_Q3, self.share_Q4)
        assert all(0.0 <= x <= 1.0 for x in shares)
        if self.contracts:
            assert abs(sum(shares) - 1.0) < 1e-9
        for key in ("exits", "voices", "voice_successes", "loyalty_acts", "contracts_formed", "contracts_ended"):
            assert getattr(self, key) >= 0
        assert self.voice_successes <= self.voices
        assert self.contracts == self.contracts_formed - self.contracts_ended
        # §13.2–13.3: shares of subsidiary states, the long-run regime and its step
        shares = [v for v in self.subs_now.values() if v is not None]
        assert not shares or abs(sum(shares) - 1.0) < 1e-9
        assert self.resolved == (self.regime_step is not None) and (self.regime != UNRESOLVED) == self.resolved


TABLES = ("steps", "events", "timeline")
ENGINES = ("compiled", "mesa")
# modules the experiment runner's process pool imports once in its fork server: the compiled engine's
# machine code, loaded there, is then shared by every (recycled) worker
PRELOAD = ("sim.preload",)


@functools.cache
def compiled_engine_usable() -> bool:
    """Can :func:`run` use the compiled engine in this process? Not if the code it restates, or the engine,
    changed since the two were checked together (:func:`sim.steps.mirrors.current` warns, naming what), nor
    if Numba cannot be imported (one warning here). Once per process."""
    if not mirrors.current():
        return False
    from sim import engine as compiled

    why = compiled.unavailable()
    if why:
        warnings.warn(f"the compiled engine is unavailable ({why}), so sim.model.run runs the Mesa model",
                      RuntimeWarning, stacklevel=3)
        return False
    return True


def engine_used(engine: str = "compiled") -> dict[str, Any]:
    """Which engine :func:`run` with ``engine`` runs in this process, for manifests: ``{"engine": "compiled",
    "numba": version}`` or ``{"engine": "mesa", "mesa": version}``, the latter with ``"fallback"`` (why) when
    the compiled engine was asked for and could not be used. The experiment runner records it beside each
    session (:mod:`experiments.definition.models` looks for ``engine_used`` beside a model's ``run``)."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}; valid: {', '.join(ENGINES)}")
    if engine == "compiled" and compiled_engine_usable():
        import numba

        return {"engine": "compiled", "numba": numba.__version__}
    out: dict[str, Any] = {"engine": "mesa", "mesa": mesa.__version__}
    if engine == "compiled":
        from sim import engine as compiled

        out["fallback"] = compiled.unavailable() or "the mirror map reports a change (sim.steps.mirrors)"
    return out


def run(params: dict[str, Any] | None = None, seed: int | None = None, tables=(),
        engine: str = "compiled") -> dict[str, Any]:
    """Build a model with ``params`` and seed ``seed``, run it, return its summary.

    This is the whole contract the experiment runner relies on. ``tables`` may ask for extra
    row tables, returned under the summary's ``"tables"`` key: ``"steps"`` (one row per step: the
    quadrant shares and the number of contracts), ``"events"`` (the contract event log,
    :data:`sim.vocabulary.EVENT_COLUMNS`) and ``"timeline"`` (every ``TIMELINE_STEP`` months from 0: the
    window-mean regime, the long-run regime once resolved, the subsidiaries' states;
    :data:`sim.vocabulary.TIMELINE_COLUMNS`). Asking for them does not change the run.

    ``engine``: ``"compiled"`` (the default) runs :mod:`sim.engine`, the whole schedule compiled, which gives
    the Mesa model's results bit for bit, many times faster; ``"mesa"`` runs :class:`PiggybackModel`. The
    compiled engine is used only while it restates the model's code as it is (:mod:`sim.steps.mirrors`) and
    Numba can be imported; otherwise the Mesa model runs, with a warning saying why.
    """
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise ValueError(f"unknown table(s) {sorted(unknown)}; valid: {', '.join(TABLES)}")
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}; valid: {', '.join(ENGINES)}")
    if engine == "compiled" and compiled_engine_usable():
        from sim import engine as compiled

        return compiled.run(params, seed, tables)
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
        if "timeline" in tables:
            summary["tables"]["timeline"] = [dict(zip(TIMELINE_COLUMNS, row)) for row in model.timeline]
    return summary
