"""The Mesa reference and the compiled engine held together: run :mod:`sim.steps.reference` (agents calling
:mod:`sim.rules`) and :mod:`sim.engine` side by side on one seed and compare everything the dynamics touch
after every step (``tests/engine`` and ``tools/refresh_identity.py`` use it; the model never imports it).

:func:`mesa_state` and :func:`engine_state` describe a model and an engine in the same words: every active
contract in the book's order, every subsidiary's and SME's state (intents, sides, knowledge, shunned
partners, the order of their contracts and open niches, pending exits, last choices), the partner indexes
in their insertion order, the summary and the generator's state.
"""

from __future__ import annotations

import json

from sim.model import PiggybackModel
from sim.vocabulary import TIMELINE_COLUMNS


def mesa_state(model: PiggybackModel) -> list:
    """What the Mesa model holds that the dynamics touch (floats kept as floats, compared by ``repr``)."""
    book = model.book
    contracts = [
        (c.uid, c.sme.unique_id, c.sub.unique_id, c.trust_sme, c.trust_sub, c.communication, c.effort, c.age,
         c.frustration_sme, c.frustration_sub, c.sales, c.value, c.quadrant, c.sale_step, c.exit_origin)
        for c in book.active.values()
    ]
    subs = [(s.unique_id, s.exploration, s.explores, s.side_step, s.lof, [c.uid for c in s.contracts.values()],
             list(s.open_niches), sorted(s.pending_exit.items()), sorted(s.shunned), s.moved_by, s.moved_step,
             s.last_action, s.last_action_step) for s in model.subsidiaries]
    smes = [(s.unique_id, s.niche, s.targets, s.ambition, s.international, s.voluntarism, s.capability,
             s.boundary_spanning, s.founder, sorted(s.knowledge.items()), [c.uid for c in s.contracts.values()],
             sorted(s.pending_exit.items()), sorted(s.shunned), s.moved_by, s.moved_step, s.last_action,
             s.last_action_step) for s in model.smes]
    index = [sorted((k, [a.unique_id for a in d.values()]) for k, d in table.items() if d)
             for table in (book.free_subs, book.seeking)]
    bits = model.rng.bit_generator.state
    return [contracts, subs, smes, index, model.summary(), bits["state"], bits["has_uint32"], bits["uinteger"]]


def engine_state(engine) -> list:
    """:func:`mesa_state` of a :class:`sim.engine.api.Engine`, read from its arrays."""
    from sim.engine import layout as L

    S, Q = engine.state, engine.Q
    K, U, M = S.contracts, S.subs, S.smes
    nn, cps, n_mnes, n_markets = (int(Q[k]) for k in (L.N_NICHES, L.CPS, L.N_MNES, L.N_MARKETS))
    n_subs, uid0 = n_mnes * n_markets, int(Q[L.UID_SUB0])
    action = [None, *L.ACTION_WORDS]  # code -1 is no choice yet

    def walk(links, key):
        node, out = int(links.head[key]), []
        while node >= 0:
            out.append(node)
            node = int(links.nxt[node])
        return out

    n = int(S.rec.C[L.C_N_ORDER])
    live = [int(c) for c, uid in zip(K.order_slot[:n], K.order_uid[:n]) if K.active[c] and K.uid[c] == uid]
    contracts = [
        (int(K.uid[c]), int(M.uid[K.sme[c]]), uid0 + int(K.sub[c]), float(K.trust_sme[c]), float(K.trust_sub[c]),
         float(K.communication[c]), float(K.effort[c]), int(K.age[c]), float(K.frustration_sme[c]),
         float(K.frustration_sub[c]), int(K.sales[c]), float(K.value[c]), int(K.quadrant[c]), int(K.sale_step[c]),
         int(K.exit_origin[c]))
        for c in live
    ]
    shunned_by_sub: dict[int, list[int]] = {s: [] for s in range(n_subs)}
    for slot in range(len(M.uid)):
        for i in range(int(M.n_shunned[slot])):
            shunned_by_sub[int(M.shunned[slot * cps * n_mnes + i])].append(int(M.uid[slot]))
    subs = [(uid0 + s, float(U.exploration[s]), bool(U.explores[s]), int(U.side_step[s]), float(U.lof[s]),
             [int(K.uid[U.contract[node]]) for node in walk(U.contracts, s)],
             [node % nn for node in walk(U.open, s)],
             sorted((k, int(U.pending[s * nn + k])) for k in range(nn) if U.pending[s * nn + k]),
             sorted(shunned_by_sub[s]), L.ACTION_WORDS[U.moved_by[s]], int(U.moved_step[s]),
             action[U.last_action[s] + 1], int(U.last_action_step[s])) for s in range(n_subs)]
    smes = []
    for slot in range(len(M.uid)):
        at = range(slot * cps, (slot + 1) * cps)
        mine = sorted((int(K.uid[M.contract[j]]), int(M.targets[j])) for j in at if M.contract[j] >= 0)
        smes.append((int(M.uid[slot]), int(M.niche[slot]), [int(M.targets[j]) for j in at], float(M.ambition[slot]),
                     bool(M.international[slot]), float(M.voluntarism[slot]), float(M.capability[slot]),
                     float(M.spanning[slot]), bool(M.founder[slot]),
                     sorted((int(M.targets[j]), float(M.knowledge[j])) for j in at), [uid for uid, _ in mine],
                     sorted((int(M.targets[j]), int(M.pending[j])) for j in at if M.pending[j]),
                     sorted(uid0 + int(M.shunned[slot * cps * n_mnes + i]) for i in range(int(M.n_shunned[slot]))),
                     L.ACTION_WORDS[M.moved_by[slot]], int(M.moved_step[slot]), action[M.last_action[slot] + 1],
                     int(M.last_action_step[slot])))
    keys = [(m, k) for m in range(n_markets) for k in range(nn)]
    index = [sorted(((m, k), [uid0 + node // nn for node in walk(S.index.free, m * nn + k)]) for m, k in keys
                    if S.index.free.cnt[m * nn + k]),
             sorted(((m, k), [int(M.uid[node // cps]) for node in walk(S.index.seeking, m * nn + k)]) for m, k in keys
                    if S.index.seeking.cnt[m * nn + k])]
    bits = engine.rng.bit_generator.state
    return [contracts, subs, smes, index, engine.summary(), bits["state"], bits["has_uint32"], bits["uinteger"]]


def _text(state: list) -> str:
    return json.dumps(state, default=repr)


def first_difference(params: dict, seed: int) -> int | None:
    """Step the Mesa reference and the compiled engine from the same seed until the run ends; the first step
    after which they differ (in :func:`mesa_state`/:func:`engine_state`, then in the tables at the end),
    or None if they never do. Step 0 is the initialised population."""
    from sim.engine.api import Engine

    ref = PiggybackModel(rng=seed, record_events=True, collect_steps=False, **params)
    new = Engine(params, seed, events=True)
    if _text(engine_state(new)) != _text(mesa_state(ref)):
        return 0
    while ref.running:
        ref.step()
        new.step()
        if _text(engine_state(new)) != _text(mesa_state(ref)):
            return ref.steps
    if new.running:
        return ref.steps
    tables = new.tables()
    cols = ref.events.columns
    if _text(tables["events"]) != _text([dict(zip(cols, row)) for row in zip(*cols.values())]):
        return ref.steps
    if _text(tables["timeline"]) != _text([dict(zip(TIMELINE_COLUMNS, row)) for row in ref.timeline]):
        return ref.steps
    return None
