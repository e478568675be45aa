"""The contract book and partner search, compiled (MODEL.md §2, §7.2): signing and ending contracts, the
partner indexes, the logit choice of a partner, and the event log's rows.

Restates ``sim.contracts.ContractBook`` (``sign``, ``end``, ``add_sme``, ``remove_sme``),
``PiggybackModel.sign``, ``_Party.pick_partner``, ``SME.search``, ``Subsidiary.search`` and
``EventLog.record``, with the book's dicts as the insertion-ordered lists of :mod:`sim.engine.lists`.
"""

from __future__ import annotations

import numpy as np

from sim.engine import lists
from sim.engine.arith import choose, logit_weights, py_min
from sim.engine.jit import jit
from sim.engine.layout import (
    C_ACTIVE,
    C_ENDED,
    C_EVENTS_ON,
    C_FORMED,
    C_N_EVENTS,
    C_N_FREE,
    C_N_ORDER,
    C_NEXT_CONTRACT,
    CPS,
    E_FORMED,
    EV_ACTION,
    EV_BY,
    EV_CONTRACT,
    EV_EVENT,
    EV_FROM,
    EV_MARKET,
    EV_NICHE,
    EV_PATH,
    EV_QUADRANT,
    EV_SME,
    EV_STEP,
    EV_SUB,
    F_VALUE_ENDED,
    INTERMEDIARY,
    INTERMEDIARY_TRUST,
    N_MARKETS,
    N_MNES,
    N_NICHES,
    NONE,
    RATIONALITY,
    TRUST0,
    UID_SUB0,
)


@jit
def quadrant_of(explores, international):
    """§8, §13.1 ``sim.contracts.quadrant_of``: Q1 exploit × domestic, Q2 exploit × international,
    Q3 explore × international, Q4 explore × domestic, from the parties' sides."""
    if explores:
        return 3 if international else 4
    return 2 if international else 1


@jit
def record(S, Q, step, event, c, from_quadrant, path, action, by):
    """§8 ``EventLog.record``: one row of the contract event log (-1 for an empty column); a full log doubles
    its room (the structure's arrays are replaced: Python reads them through :func:`sim.engine.structs.events`)."""
    R, K = S.rec, S.contracts
    C = R.C
    if C[C_EVENTS_ON] == 0:
        return
    row = C[C_N_EVENTS]
    if row >= R.ev_int.shape[0]:
        ev_int = np.empty((2 * row + 1, R.ev_int.shape[1]), np.int64)
        ev_float = np.empty((2 * row + 1, 3))
        for i in range(row):
            for k in range(ev_int.shape[1]):
                ev_int[i, k] = R.ev_int[i, k]
            for k in range(3):
                ev_float[i, k] = R.ev_float[i, k]
        R.ev_int = ev_int
        R.ev_float = ev_float
    e = R.ev_int[row]
    e[EV_STEP], e[EV_EVENT], e[EV_CONTRACT] = step, event, K.uid[c]
    e[EV_SME], e[EV_SUB] = S.smes.uid[K.sme[c]], Q[UID_SUB0] + K.sub[c]
    e[EV_MARKET], e[EV_NICHE], e[EV_QUADRANT] = K.market[c], K.niche[c], K.quadrant[c]
    e[EV_FROM], e[EV_PATH], e[EV_ACTION], e[EV_BY] = from_quadrant, path, action, by
    f = R.ev_float[row]
    f[0], f[1], f[2] = K.trust_sme[c], K.trust_sub[c], K.communication[c]
    C[C_N_EVENTS] = row + 1


@jit
def compact(S):
    """The book's active contracts in the order signed (``book.active``): drop the ended ones from
    ``order_slot``/``order_uid``; returns how many remain."""
    K, C = S.contracts, S.rec.C
    n = 0
    for i in range(C[C_N_ORDER]):
        c, uid = K.order_slot[i], K.order_uid[i]
        if K.active[c] and K.uid[c] == uid:
            K.order_slot[n], K.order_uid[n] = c, uid
            n += 1
    C[C_N_ORDER] = n
    return n


@jit
def sign(S, Q, sme, j, sub, trust):
    """§7.2 ``ContractBook.sign``: a contract between the SME in slot ``sme`` (in its target ``j``) and
    ``sub``, with trust ``trust`` on both sides; it leaves both partner indexes. Returns its slot."""
    K, U, M, C = S.contracts, S.subs, S.smes, S.rec.C
    nn, cps = Q[N_NICHES], Q[CPS]
    market, niche = sub % Q[N_MARKETS], M.niche[sme]
    C[C_NEXT_CONTRACT] += 1
    C[C_N_FREE] -= 1
    c = K.free[C[C_N_FREE]]
    K.uid[c], K.sme[c], K.sub[c], K.market[c], K.niche[c], K.target[c] = C[C_NEXT_CONTRACT], sme, sub, market, niche, j
    K.trust_sme[c] = trust
    K.trust_sub[c] = trust
    K.communication[c] = K.effort[c] = 0.0
    K.age[c] = K.sales[c] = 0
    K.frustration_sme[c] = K.frustration_sub[c] = K.value[c] = 0.0
    K.quadrant[c] = quadrant_of(U.explores[sub], M.international[sme])
    K.sale_step[c] = -1
    K.exit_origin[c] = 0
    K.active[c] = True
    if C[C_N_ORDER] == K.order_slot.shape[0]:
        compact(S)
    K.order_slot[C[C_N_ORDER]], K.order_uid[C[C_N_ORDER]] = c, K.uid[c]
    C[C_N_ORDER] += 1
    C[C_ACTIVE] += 1
    M.contract[sme * cps + j] = c
    M.n_contracts[sme] += 1
    node = sub * nn + niche
    U.contract[node] = c
    lists.append(U.contracts, sub, node)
    lists.remove(S.index.free, market * nn + niche, node)
    lists.remove(S.index.seeking, market * nn + niche, sme * cps + j)
    if U.is_open[node]:
        U.is_open[node] = False
        lists.remove(U.open, sub, node)
    C[C_FORMED] += 1
    return c


@jit
def end(S, Q, c):
    """§7.2 ``ContractBook.end``: the contract ends; the subsidiary's niche and the SME's market slot go
    back to the ends of the partner indexes. The slot keeps its figures until it is reused."""
    K, U, M, R = S.contracts, S.subs, S.smes, S.rec
    nn, cps = Q[N_NICHES], Q[CPS]
    sme, sub, j = K.sme[c], K.sub[c], K.target[c]
    key, node = K.market[c] * nn + K.niche[c], sub * nn + K.niche[c]
    K.active[c] = False
    R.F[F_VALUE_ENDED] += K.value[c]
    R.C[C_ACTIVE] -= 1
    M.contract[sme * cps + j] = -1
    M.n_contracts[sme] -= 1
    U.contract[node] = -1
    lists.remove(U.contracts, sub, node)
    lists.append(S.index.free, key, node)
    lists.append(S.index.seeking, key, sme * cps + j)
    K.free[R.C[C_N_FREE]] = c
    R.C[C_N_FREE] += 1
    R.C[C_ENDED] += 1


@jit
def shunned(S, Q, sme, sub):
    """§7.7 have the SME in slot ``sme`` and ``sub`` broken with each other (``shunned``, both ways)?"""
    M = S.smes
    base = sme * Q[CPS] * Q[N_MNES]
    for i in range(M.n_shunned[sme]):
        if M.shunned[base + i] == sub:
            return True
    return False


@jit
def shun(S, Q, sme, sub):
    """§7.7 an exit: the two parties will not sign again (each adds the other to ``shunned``)."""
    if not shunned(S, Q, sme, sub):
        M = S.smes
        M.shunned[sme * Q[CPS] * Q[N_MNES] + M.n_shunned[sme]] = sub
        M.n_shunned[sme] += 1


@jit
def model_sign(S, P, Q, sme, j, sub, step):
    """§7.2 ``PiggybackModel.sign``: a new contract starts with trust0 + intermediary_trust·i (clipped to 1);
    a party that left a contract here passes on the exit's quadrant for a path by exit (§8): the SME's
    pending exit, or else the subsidiary's (Python's ``or``: the subsidiary's is kept if the SME had one)."""
    M, U = S.smes, S.subs
    trust = py_min(1.0, P[TRUST0] + P[INTERMEDIARY_TRUST] * P[INTERMEDIARY])
    at = sme * Q[CPS] + j
    origin = M.pending[at]
    M.pending[at] = 0
    if origin == 0:
        node = sub * Q[N_NICHES] + M.niche[sme]
        origin = U.pending[node]
        U.pending[node] = 0
    c = sign(S, Q, sme, j, sub, trust)
    S.contracts.exit_origin[c] = origin
    record(S, Q, step, E_FORMED, c, NONE, NONE, NONE, NONE)
    return c


@jit
def sme_search(S, P, Q, rng, sme, j, step):
    """§7.2 ``SME.search``: among the subsidiaries of its target market ``j`` with its niche free, not broken
    with, pick one by logit on fit 1 − |a − x| (no draw for one candidate) and sign; returns the contract
    slot or -1."""
    T, M, U = S.tmp, S.smes, S.subs
    nn = Q[N_NICHES]
    market = M.targets[sme * Q[CPS] + j]
    links = S.index.free
    n = 0
    node = links.head[market * nn + M.niche[sme]]
    while node >= 0:
        sub = node // nn
        if not shunned(S, Q, sme, sub):
            T.pool[n] = sub
            n += 1
        node = links.nxt[node]
    if n == 0:
        return -1
    pick = 0
    if n > 1:
        a = M.ambition[sme]
        for i in range(n):
            T.fits[i] = 1.0 - abs(a - U.exploration[T.pool[i]])
        logit_weights(T.fits, n, P[RATIONALITY], T.probs)
        pick = choose(T.probs, n, rng.random())
    return model_sign(S, P, Q, sme, j, T.pool[pick], step)


@jit
def sub_search(S, P, Q, rng, sub, niche, step):
    """§7.2 ``Subsidiary.search``: among the SMEs of ``niche`` that target its market and lack an agent
    there, not broken with, pick one by logit on fit 1 − |x − a| and sign; returns the slot or -1."""
    T, M = S.tmp, S.smes
    cps = Q[CPS]
    links = S.index.seeking
    n = 0
    node = links.head[(sub % Q[N_MARKETS]) * Q[N_NICHES] + niche]
    while node >= 0:
        if not shunned(S, Q, node // cps, sub):
            T.pool[n] = node
            n += 1
        node = links.nxt[node]
    if n == 0:
        return -1
    pick = 0
    if n > 1:
        x = S.subs.exploration[sub]
        for i in range(n):
            T.fits[i] = 1.0 - abs(x - M.ambition[T.pool[i] // cps])
        logit_weights(T.fits, n, P[RATIONALITY], T.probs)
        pick = choose(T.probs, n, rng.random())
    node = T.pool[pick]
    return model_sign(S, P, Q, node // cps, node % cps, sub, step)
