"""The engine's state: the model of MODEL.md §2 as arrays, grouped in named tuples (Numba passes them to
compiled functions and caches functions that take them). Allocated here, in Python, once per run.

Indexing (``nn`` = n_niches, ``cps`` = contracts_per_sme, ``n_subs`` = n_mnes·n_markets):

- **subsidiaries** ``0 … n_subs − 1`` in creation order (§5: MNE by MNE, market by market), so subsidiary
  ``i`` belongs to headquarters ``i // n_markets`` and market ``i % n_markets``; its unique id is
  ``Q[UID_SUB0] + i``. Headquarters are all alike (``hq_pressure``, ``platform``, ``ecosystem``) and need
  no arrays.
- **SMEs** by their place in the model's list (``model.smes``): an entrant takes the place of the SME it
  replaces (§11.1), with a new unique id. Its target ``j`` (``0 … cps − 1``, in drawn order) is entry
  ``slot·cps + j`` of the per-target arrays (market, knowledge, contract, pending exit).
- **contracts** in slots ``0 … C − 1``, C the most that can be active at once (min(n_smes·cps,
  n_subs·nn)); a slot freed by an ending is reused. ``uid`` is the contract's id (1, 2, ... in order of
  signing), so the book's insertion order is uid order: ``order_slot``/``order_uid`` list the contracts in
  the order signed, ended ones dropped lazily (:func:`sim.engine.book.compact`).
- **lists** (:mod:`sim.engine.lists`): a subsidiary's contracts and open niches (key: subsidiary; node:
  ``sub·nn + niche``), free subsidiaries by market and niche (key ``market·nn + niche``; node
  ``sub·nn + niche``), SMEs seeking an agent by market and niche (same keys; node ``slot·cps + j``).
- **shunned partners** (§7.7: no re-signing after an exit) are symmetric in the reference (both parties
  add each other; a departing SME is forgotten by its former partners), so one list per SME of the
  subsidiaries it broke with suffices; an SME can only ever break with subsidiaries in its target markets,
  at most ``cps·n_mnes`` of them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.engine.layout import (
    BURN_IN,
    C_EVENTS_ON,
    C_FINAL_QUADRANT,
    C_LAST_QUADRANT_REGIME,
    C_N_FREE,
    C_OBS_START,
    C_QUADRANT,
    C_REGIME,
    C_REGIME_NOW,
    C_REGIME_STEP,
    C_RUNNING,
    C_SETTLE_STEP,
    C_WATCH_RETURN,
    COUNTERS,
    CPS,
    FIGURES,
    MAX_STEPS,
    N_EV_INTS,
    N_MARKETS,
    N_MNES,
    N_NICHES,
    N_SMES,
    R_MIXED,
    R_UNRESOLVED,
    R_UNSETTLED,
    SETTLE_WINDOW,
)


class Links(NamedTuple):
    """A family of insertion-ordered lists (:mod:`sim.engine.lists`)."""

    head: np.ndarray
    tail: np.ndarray
    nxt: np.ndarray
    prv: np.ndarray
    cnt: np.ndarray


class Contracts(NamedTuple):
    """§2 the piggyback agency contracts (``sim.contracts.Contract``), one slot each."""

    uid: np.ndarray
    sme: np.ndarray  # the SME's slot
    sub: np.ndarray
    market: np.ndarray
    niche: np.ndarray
    target: np.ndarray  # j: the contract's market is the SME's target j
    trust_sme: np.ndarray
    trust_sub: np.ndarray
    communication: np.ndarray
    effort: np.ndarray
    age: np.ndarray
    frustration_sme: np.ndarray
    frustration_sub: np.ndarray
    sales: np.ndarray
    value: np.ndarray
    quadrant: np.ndarray
    sale_step: np.ndarray
    exit_origin: np.ndarray
    active: np.ndarray
    free: np.ndarray  # stack of free slots (count: C[C_N_FREE])
    order_slot: np.ndarray  # the book's contracts in the order signed (count: C[C_N_ORDER]) ...
    order_uid: np.ndarray  # ... with their uids, so that a reused slot is not mistaken for the old contract


class Subsidiaries(NamedTuple):
    """§2 subsidiaries (``sim.agents.Subsidiary``)."""

    exploration: np.ndarray
    explores: np.ndarray  # the side (§13.1)
    side_step: np.ndarray
    lof: np.ndarray
    spanning: np.ndarray
    moved_by: np.ndarray  # action code of what last moved the intent (§8) ...
    moved_step: np.ndarray  # ... and when
    last_action: np.ndarray  # the latest own choice (-1: none) ...
    last_action_step: np.ndarray  # ... and when
    contract: np.ndarray  # [sub·nn + niche] -> contract slot, -1 if the niche is free
    pending: np.ndarray  # [sub·nn + niche] -> quadrant of a contract it exited there (0: none)
    contracts: Links  # its contracts in the order signed
    open: Links  # niches left open by an exit, to refill (§7.2)
    is_open: np.ndarray  # [sub·nn + niche]: in ``open``


class Smes(NamedTuple):
    """§2 SMEs (``sim.agents.SME``), by their place in the model's list."""

    uid: np.ndarray
    niche: np.ndarray
    ambition: np.ndarray
    international: np.ndarray  # the side (§13.1)
    voluntarism: np.ndarray
    capability: np.ndarray
    spanning: np.ndarray
    founder: np.ndarray
    moved_by: np.ndarray
    moved_step: np.ndarray
    last_action: np.ndarray
    last_action_step: np.ndarray
    targets: np.ndarray  # [slot·cps + j] -> market
    knowledge: np.ndarray  # [slot·cps + j]
    contract: np.ndarray  # [slot·cps + j] -> contract slot, -1 without an agent there
    pending: np.ndarray  # [slot·cps + j] -> quadrant of a contract it exited there (0: none)
    n_contracts: np.ndarray
    shunned: np.ndarray  # [slot·cps·n_mnes + i] -> subsidiary it broke with
    n_shunned: np.ndarray


class Index(NamedTuple):
    """§7.2 the partner indexes (``ContractBook.free_subs`` and ``seeking``)."""

    free: Links
    seeking: Links


class Observer(NamedTuple):
    """§12.1, §13.2 the share history and the subsidiaries' portfolios (``RegimeObserver``, ``Portfolios``)."""

    cum: np.ndarray  # row i: Σ of (shares, contracts) over the first i steps
    occupancy: np.ndarray  # steps after burn-in each regime (Q1–Q4, mixed) held
    ring: np.ndarray  # [row, sub, quadrant]: cumulative contract-months, a ring of window + 1 rows
    by_sub: np.ndarray  # [sub, quadrant 0–4]: this step's contracts (scratch)
    states: np.ndarray  # [sub]: locked in Q1–Q4 (0–3), contested, idle


class Record(NamedTuple):
    """What the run reports (§8, §11–13): counters, figures, paths, the event log, the timeline, horizons."""

    C: np.ndarray  # integer counters (layout.COUNTERS)
    F: np.ndarray  # float figures (layout.FIGURES)
    paths: np.ndarray  # [path A–D, action in PATH_ACTIONS order]
    founders: np.ndarray  # [path A–D]
    ev_int: np.ndarray  # [row, column] (layout.EV_*)
    ev_float: np.ndarray  # [row, (trust_sme, trust_sub, communication)]
    tl_int: np.ndarray  # [row, (month, regime, long-run regime or -1)]
    tl_subs: np.ndarray  # [row, subs_Q1 … subs_contested]
    tl_valid: np.ndarray  # [row]: the subsidiary shares exist
    hz_regime: np.ndarray  # [horizon]: window-mean regime there, -1 if not reached
    hz_subs: np.ndarray  # [horizon, state]
    hz_valid: np.ndarray  # [horizon]
    subs_now: np.ndarray  # the subsidiary states' shares now (valid: C[C_SUBS_VALID])


class Scratch(NamedTuple):
    """Working space reused by the stages (nothing here outlives a call)."""

    pool: np.ndarray
    fits: np.ndarray
    probs: np.ndarray
    floats: np.ndarray
    uniforms: np.ndarray
    snap_slot: np.ndarray
    snap_uid: np.ndarray
    nodes: np.ndarray
    marks: np.ndarray


class State(NamedTuple):
    contracts: Contracts
    subs: Subsidiaries
    smes: Smes
    index: Index
    obs: Observer
    rec: Record
    tmp: Scratch


def _links(n_keys: int, n_nodes: int) -> Links:
    return Links(np.full(n_keys, -1, np.int64), np.full(n_keys, -1, np.int64), np.full(n_nodes, -1, np.int64),
                 np.full(n_nodes, -1, np.int64), np.zeros(n_keys, np.int64))


def capacity(Q: np.ndarray) -> int:
    """The most contracts that can be active at once: each SME has at most cps, each subsidiary nn."""
    return int(min(Q[N_SMES] * Q[CPS], Q[N_MNES] * Q[N_MARKETS] * Q[N_NICHES]))


def events_capacity(Q: np.ndarray) -> int:
    """A first size for the event log (it doubles when full)."""
    return int(4 * capacity(Q) + 8 * Q[MAX_STEPS] + 256)


def allocate(Q: np.ndarray, H: np.ndarray, events: int) -> State:
    """Empty state for the parameters ``Q`` (sizes) and horizons ``H``; ``events``: the event log's rows
    (0: no log)."""
    n_mnes, n_markets, n_smes, nn, cps = (int(Q[k]) for k in (N_MNES, N_MARKETS, N_SMES, N_NICHES, CPS))
    n_subs = n_mnes * n_markets
    cap = capacity(Q)
    f8, i8 = np.float64, np.int64

    def ints(n, fill=0):
        return np.full(n, fill, i8)

    contracts = Contracts(
        ints(cap), ints(cap), ints(cap), ints(cap), ints(cap), ints(cap), np.zeros(cap), np.zeros(cap),
        np.zeros(cap), np.zeros(cap), ints(cap), np.zeros(cap), np.zeros(cap), ints(cap), np.zeros(cap),
        ints(cap), ints(cap, -1), ints(cap), np.zeros(cap, np.bool_), ints(cap), ints(2 * cap + 1),
        ints(2 * cap + 1))
    subs = Subsidiaries(
        np.zeros(n_subs), np.zeros(n_subs, np.bool_), ints(n_subs), np.zeros(n_subs), np.zeros(n_subs),
        ints(n_subs, 3), ints(n_subs, -1), ints(n_subs, -1), ints(n_subs, -1), ints(n_subs * nn, -1),
        ints(n_subs * nn), _links(n_subs, n_subs * nn), _links(n_subs, n_subs * nn),
        np.zeros(n_subs * nn, np.bool_))
    smes = Smes(
        ints(n_smes), ints(n_smes), np.zeros(n_smes), np.zeros(n_smes, np.bool_), np.zeros(n_smes),
        np.zeros(n_smes), np.zeros(n_smes), np.zeros(n_smes, np.bool_), ints(n_smes, 3), ints(n_smes, -1),
        ints(n_smes, -1), ints(n_smes, -1), ints(n_smes * cps), np.zeros(n_smes * cps), ints(n_smes * cps, -1),
        ints(n_smes * cps), ints(n_smes), ints(n_smes * cps * n_mnes), ints(n_smes))
    index = Index(_links(n_markets * nn, n_subs * nn), _links(n_markets * nn, n_smes * cps))
    window = int(Q[SETTLE_WINDOW])
    obs = Observer(np.zeros((int(Q[MAX_STEPS]) + 1, 5), f8), ints(5), np.zeros((window + 1, n_subs, 4), i8),
                   np.zeros((n_subs, 5), i8), ints(n_subs))
    C = ints(len(COUNTERS))
    C[C_RUNNING] = 1
    C[C_SETTLE_STEP] = C[C_REGIME_STEP] = C[C_REGIME_NOW] = C[C_LAST_QUADRANT_REGIME] = C[C_WATCH_RETURN] = -1
    C[C_QUADRANT], C[C_REGIME] = R_UNSETTLED, R_UNRESOLVED
    C[C_FINAL_QUADRANT] = R_MIXED
    C[C_N_FREE] = cap
    C[C_OBS_START] = Q[BURN_IN]  # settlement windows lie after burn-in (and after a shock)
    contracts.free[:] = np.arange(cap)[::-1]  # popped from the end: slot 0 first
    C[C_EVENTS_ON] = int(events > 0)
    rows = int(Q[MAX_STEPS]) // 12 + 1
    nh = len(H)
    rec = Record(C, np.zeros(len(FIGURES)), np.zeros((4, 4), i8), ints(4), np.zeros((max(events, 1), N_EV_INTS), i8),
                 np.zeros((max(events, 1), 3)), np.zeros((rows, 3), i8), np.zeros((rows, 5)),
                 np.zeros(rows, np.bool_), ints(nh, -1), np.zeros((nh, 5)), np.zeros(nh, np.bool_), np.zeros(5))
    big = max(n_smes, n_subs, n_mnes, nn, cps) + 1
    tmp = Scratch(ints(big), np.zeros(big), np.zeros(big), np.zeros(big), np.zeros(big), ints(cap + 1),
                  ints(cap + 1), ints(big), np.zeros(max(n_smes, n_markets) + 1, np.bool_))
    return State(contracts, subs, smes, index, obs, rec, tmp)

