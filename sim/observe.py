"""MODEL.md §8 observation of the contracts: each step's pass over them (quadrants, path events and the
actions behind them, shares and means), handed to the regime observer (:mod:`sim.regime`), and the
optional contract event log. The reference schedule (:mod:`sim.steps.reference`) ends with this pass;
the compiled engine restates it (:mod:`sim.engine.observe`, :mod:`sim.engine.regime`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.contracts import Contract, quadrant_of
from sim.regime import dominant_quadrant, long_run_regime, state_shares
from sim.vocabulary import EVENT_COLUMNS, EXIT, PATHS, SUBSIDIARY_KEYS, TIMELINE_STEP

if TYPE_CHECKING:
    from sim.model import PiggybackModel


def path_of(before: int, after: int) -> str | None:
    """§8 path of a continuing contract moving between quadrants: A Q2→Q1, B Q4→Q1, C Q2→Q3, D Q4→Q3."""
    return PATHS.get((before, after))


def exit_path(origin: int, new_quadrant: int) -> str | None:
    """§8 path 'by exit': an exit from Q2/Q4 followed by the same party's new contract in Q1/Q3."""
    return PATHS.get((origin, new_quadrant))


def count_path(model: PiggybackModel, path: str, action: str, founder: bool) -> None:
    """§8 one path event, by the action behind it; a founder's (a dyad of the initial population: how the
    starting tension resolved) also counted apart."""
    key = f"path_{path}"
    setattr(model, key, getattr(model, key) + 1)
    setattr(model, f"{key}_{action}", getattr(model, f"{key}_{action}") + 1)
    if founder:
        setattr(model, f"founders_{key}", getattr(model, f"founders_{key}") + 1)


def observe(model: PiggybackModel, record: bool = True) -> None:
    """§8 the pass over the active contracts: quadrant changes (paths), counts and sums; then :func:`record`.
    ``record=False`` (at initialisation) classifies and sums without entering the share history."""
    counts = [0, 0, 0, 0, 0]
    by_sub = [[0, 0, 0, 0, 0] for _ in model.subsidiaries]
    trust = comm = effort = value = 0.0
    events = model.events if record else None
    for c in model.book.active.values():
        q = quadrant_of(c.sub.explores, c.sme.international)
        if c.exit_origin or q != c.quadrant:
            count_change(model, c, q, events)
        c.quadrant = q
        counts[q] += 1
        by_sub[c.sub.index][q] += 1
        trust += c.trust_mean
        comm += c.communication
        effort += c.effort
        value += c.value
    record_step(model, counts, trust, comm, effort, value, record, by_sub)


def count_change(model: PiggybackModel, c: Contract, q: int, events: EventLog | None) -> None:
    """§8 a contract entered quadrant ``q``: a path by exit, or a move of its own (path or not)."""
    if c.exit_origin:
        path = exit_path(c.exit_origin, q)
        if path:
            count_path(model, path, EXIT, c.sme.founder)
            if events is not None:
                c.quadrant = q
                events.record(model.steps, "path_by_exit", c, from_quadrant=c.exit_origin, path=path, action=EXIT)
        c.exit_origin = 0
    elif q != c.quadrant:
        path = path_of(c.quadrant, q)
        # the SME moved if its side (international: Q2, Q3) changed, else the subsidiary did
        sme_moved = (q in (2, 3)) != (c.quadrant in (2, 3))
        action = (c.sme if sme_moved else c.sub).move_action()
        if path:
            count_path(model, path, action, c.sme.founder)
        if events is not None:
            before, c.quadrant = c.quadrant, q
            events.record(model.steps, "quadrant", c, from_quadrant=before, path=path, action=action)


def record_step(model: PiggybackModel, counts: list[int], trust: float, comm: float, effort: float, value: float,
                record: bool, by_sub: list[list[int]]) -> None:
    """§8/§12.1 what the contract pass counted and summed (``by_sub``: contracts per subsidiary and quadrant),
    as the model's observations; then the regime and settlement (:class:`sim.regime.RegimeObserver`), a
    shock's return, the subsidiaries' states and the long-run regime (:func:`judge`)."""
    n = len(model.book.active)
    model.contracts = n
    shares = [x / n for x in counts[1:]] if n else [0.0, 0.0, 0.0, 0.0]
    model.share_Q1, model.share_Q2, model.share_Q3, model.share_Q4 = shares
    model.mean_trust = trust / n if n else 0.0
    model.mean_communication = comm / n if n else 0.0
    model.mean_effort = effort / n if n else 0.0
    model.mean_lof = sum([s.lof for s in model.subsidiaries]) / len(model.subsidiaries)
    model.mean_exploration = sum([s.exploration for s in model.subsidiaries]) / len(model.subsidiaries)
    model.mean_ambition = sum([s.ambition for s in model.smes]) / len(model.smes)
    model.contracts_formed = model.book.formed
    model.contracts_ended = model.book.ended
    model.total_value = model.book.value_of_ended + value - model.costs
    if not record:  # initialisation: the timeline's first row
        model.timeline.append((model.steps, dominant_quadrant(shares, model.p["dominance"]), "",
                               *dict.fromkeys(SUBSIDIARY_KEYS).values()))
        return
    obs = model.observer
    obs.record(shares, n)
    model.final_quadrant = obs.regime
    model.stable_at_end = obs.stationary()
    if model.stable_at_end and not model.settled:
        model.settled = True
        model.settle_step = model.steps
        model.quadrant = obs.regime
    if model.shock_watch is not None:
        model.shock_watch.observe(obs.n, shares)
    model.portfolios.record([row[1:] for row in by_sub])
    judge(model)


def judge(model: PiggybackModel) -> None:
    """§13.2–13.4 after a step: the subsidiaries' states, the long-run regime (resolved the first time the
    rule holds), the summary at a horizon, a timeline row every ``TIMELINE_STEP`` months."""
    p, step = model.p, model.steps
    side_steps = [s.side_step for s in model.subsidiaries]
    states = model.portfolios.states(step, side_steps)
    model.subs_now = state_shares(states)
    model.regime_now = long_run_regime(model.observer, states, side_steps, step, p["coexist_windows"],
                                       p["coexist_share"])
    if model.regime_now is not None and not model.resolved:
        model.resolved, model.regime, model.regime_step = True, model.regime_now, step
    if step in p["horizons"]:
        model.at_horizons[f"regime_{step}"] = model.observer.regime
        for key, share in zip(SUBSIDIARY_KEYS, model.subs_now.values()):
            model.at_horizons[f"{key}_{step}"] = share
    if step % TIMELINE_STEP == 0:
        model.timeline.append((step, model.observer.regime, model.regime if model.resolved else "",
                               *model.subs_now.values()))


class EventLog:
    """An optional contract-level log (``PiggybackModel(record_events=True)``): formation, every
    change of quadrant with its path and the action behind it, exits and departures, each with the
    step, the parties and the contract's trust and communication at that moment. Column-wise, so it
    becomes a DataFrame with ``pandas.DataFrame(log.columns)``."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {k: [] for k in EVENT_COLUMNS}

    def record(self, step: int, event: str, contract, **extra) -> None:
        row = {
            "step": step,
            "event": event,
            "contract": contract.uid,
            "sme": contract.sme.unique_id,
            "sub": contract.sub.unique_id,
            "market": contract.market,
            "niche": contract.niche,
            "quadrant": contract.quadrant,
            "trust_sme": contract.trust_sme,
            "trust_sub": contract.trust_sub,
            "communication": contract.communication,
            **extra,
        }
        for k, col in self.columns.items():
            col.append(row.get(k))

    def __len__(self) -> int:
        return len(self.columns["step"])
