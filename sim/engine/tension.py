"""Tension and exit / voice / loyalty, compiled (MODEL.md §3 stage 5, §7.7, §11.2).

Restates ``sim.steps.reference.tension`` (``rules.frustration_step``) and the frustrated party's choice,
``_Party.respond_to_tension`` (``rules.loyalty_stock``, ``voice_probability``, the three utilities,
``choose_action``) with its effects: ``be_loyal``, ``voice_succeeds`` and ``exit`` of SMEs and
subsidiaries, ``Subsidiary.influence_share`` (``rules.influence_share``, ``rules.shared_shift``) and
``best_alternative_fit``. Contracts are visited in a random permutation of the book's order at the
stage's start; one that ended meanwhile is skipped, one signed meanwhile waits for the next step.
"""

from __future__ import annotations

import math

import numpy as np

from sim.engine import book, lists
from sim.engine.arith import logit_weights, permutation, py_max, py_min
from sim.engine.intents import effort_weight, update_sme_side, update_sub_side
from sim.engine.jit import jit
from sim.engine.layout import (
    A_EXIT,
    A_LOYALTY,
    A_VOICE,
    C_EXITS,
    C_LOYALTY_ACTS,
    C_VOICE_SUCCESSES,
    C_VOICES,
    CPS,
    E_EXIT,
    ECOSYSTEM,
    EXIT_COST,
    F_COSTS,
    FALSE,
    FRUSTRATION_DECAY,
    FRUSTRATION_THRESHOLD,
    H_LOYALTY,
    HQ_PRESSURE,
    INTERMEDIARY,
    LOYALTY_SHIFT,
    LOYALTY_WEIGHT,
    N_NICHES,
    NONE,
    RATIONALITY,
    TRUE,
    VOICE_BASE,
    VOICE_COST,
    VOICE_ECOSYSTEM,
    VOICE_GAIN,
    VOICE_H,
    VOICE_HYPOTHESIS,
    VOICE_INTERMEDIARY,
    VOICE_SHIFT,
    VOICE_SPANNING,
    VOICE_TRUST,
)

MATURITY_STEPS = 24  # sim.rules.evl.MATURITY_STEPS (checked by tests/engine)
BY_SME, BY_SUB = np.int64(0), np.int64(1)  # who chose an exit (layout.BY_WORDS)
THREE = np.int64(3)  # loyalty, exit, voice


@jit
def influence_share(S, P, sub, c):
    """§11.2 ``Subsidiary.influence_share``: contract ``c``'s effort weight over its subsidiary's portfolio
    (1 for a sole contract, equal shares if no weight is positive)."""
    U, links = S.subs, S.subs.contracts
    total = own = 0.0
    node = links.head[sub]
    while node >= 0:
        w = effort_weight(S, P, U.contract[node])
        total += w
        if U.contract[node] == c:
            own = w
        node = links.nxt[node]
    n = links.cnt[sub]
    if n <= 1:
        return 1.0
    if total <= 0.0:
        return 1.0 / n
    return own / total


@jit
def best_alternative_fit(S, Q, by_sme, c):
    """§7.7 ``best_alternative_fit``: the best fit 1 − |a − x| among the chooser's possible new partners in
    that market (free subsidiaries of the SME's niche, or SMEs of the niche seeking an agent there), not
    broken with; (False, 0.0) if there is none."""
    K, U, M = S.contracts, S.subs, S.smes
    nn = Q[N_NICHES]
    sme, sub = K.sme[c], K.sub[c]
    key = K.market[c] * nn + K.niche[c]
    found, best = False, 0.0
    links = S.index.free if by_sme else S.index.seeking
    node = links.head[key]
    while node >= 0:
        if by_sme:
            other = node // nn
            if not book.shunned(S, Q, sme, other):
                f = 1.0 - abs(M.ambition[sme] - U.exploration[other])
                best = py_max(best, f) if found else f
                found = True
        else:
            other = node // Q[CPS]
            if not book.shunned(S, Q, other, sub):
                f = 1.0 - abs(M.ambition[other] - U.exploration[sub])
                best = py_max(best, f) if found else f
                found = True
        node = links.nxt[node]
    return found, best


@jit
def voice_probability(S, P, Q, by_sme, c, loyalty, has_alternative):
    """§7.7 ``rules.voice_probability``: p_V = σ(voice_base + voice_trust·τ_partner + voice_spanning·b
    + voice_ecosystem·e + voice_intermediary·i + H), H = voice_h·ℓ ("loyalty") or voice_h·[an alternative
    exists] ("exit_threat")."""
    K = S.contracts
    partner_trust = K.trust_sub[c] if by_sme else K.trust_sme[c]
    spanning = S.smes.spanning[K.sme[c]] if by_sme else S.subs.spanning[K.sub[c]]
    if Q[VOICE_HYPOTHESIS] == H_LOYALTY:
        h = P[VOICE_H] * loyalty
    else:
        h = P[VOICE_H] * (1.0 if has_alternative else 0.0)
    z = (P[VOICE_BASE] + P[VOICE_TRUST] * partner_trust + P[VOICE_SPANNING] * spanning
         + P[VOICE_ECOSYSTEM] * P[ECOSYSTEM] + P[VOICE_INTERMEDIARY] * P[INTERMEDIARY] + h)
    return 1.0 / (1.0 + math.exp(-z))


@jit
def respond(S, P, Q, rng, by_sme, c, frustration, step):
    """§7.7 ``_Party.respond_to_tension``: the frustrated party (the SME if ``by_sme``) chooses loyalty, exit
    or voice by logit over U_L = loyalty_weight·ℓ, U_E = best alternative fit − exit_cost,
    U_V = p_V·voice_gain − voice_cost; returns its new frustration and whether the contract went on."""
    K, U, M, R, T = S.contracts, S.subs, S.smes, S.rec, S.tmp
    sme, sub = K.sme[c], K.sub[c]
    own_trust = K.trust_sme[c] if by_sme else K.trust_sub[c]
    loyalty = own_trust * py_min(1.0, K.age[c] / MATURITY_STEPS)
    has_alternative, best_fit = best_alternative_fit(S, Q, by_sme, c)
    p_voice = voice_probability(S, P, Q, by_sme, c, loyalty, has_alternative)
    T.fits[0] = P[LOYALTY_WEIGHT] * loyalty
    T.fits[1] = (best_fit if has_alternative else 0.0) - P[EXIT_COST]
    T.fits[2] = p_voice * P[VOICE_GAIN] - P[VOICE_COST]
    logit_weights(T.fits, THREE, P[RATIONALITY], T.probs)
    draw = rng.random()
    if draw < T.probs[0]:
        action = A_LOYALTY
    elif draw < T.probs[0] + T.probs[1]:
        action = A_EXIT
    else:
        action = A_VOICE
    if by_sme:
        M.last_action[sme], M.last_action_step[sme] = action, step
    else:
        U.last_action[sub], U.last_action_step[sub] = action, step
    if action == A_LOYALTY:
        R.C[C_LOYALTY_ACTS] += 1
        if by_sme:  # path A: the SME gives up its own ambition, unweighted
            M.ambition[sme] = py_max(0.0, M.ambition[sme] - P[LOYALTY_SHIFT])
            update_sme_side(S, P, sme)
            M.moved_by[sme], M.moved_step[sme] = A_LOYALTY, step
        else:  # path B: pushed by HQ pressure, by the contract's share of the portfolio (§11.2)
            shift = P[LOYALTY_SHIFT] * (1.0 + P[HQ_PRESSURE])
            U.exploration[sub] = py_max(0.0, U.exploration[sub] - shift * influence_share(S, P, sub, c))
            update_sub_side(S, P, sub, step)
            U.moved_by[sub], U.moved_step[sub] = A_LOYALTY, step
        return 0.5 * frustration, True
    if action == A_VOICE:
        R.C[C_VOICES] += 1
        R.F[F_COSTS] += P[VOICE_COST]
        if rng.random() < p_voice:
            R.C[C_VOICE_SUCCESSES] += 1
            voice_succeeds(S, P, by_sme, c, step)
            return 0.5 * frustration, True
        return frustration + 1.0, True
    R.C[C_EXITS] += 1
    R.F[F_COSTS] += P[EXIT_COST]
    book.record(S, Q, step, E_EXIT, c, NONE, NONE, NONE, BY_SME if by_sme else BY_SUB)
    leave(S, P, Q, rng, by_sme, c, step)
    return 0.0, False


@jit
def voice_succeeds(S, P, by_sme, c, step):
    """§7.7 a successful voice moves the partner uphill: path C (the SME's voice) raises the subsidiary's x by
    voice_shift times the contract's influence share (§11.2); path D (the subsidiary's) raises the SME's
    trust in it, capability and ambition by voice_shift, each capped at 1."""
    K, U, M = S.contracts, S.subs, S.smes
    shift = P[VOICE_SHIFT]
    if by_sme:
        sub = K.sub[c]
        U.exploration[sub] = py_min(1.0, U.exploration[sub] + shift * influence_share(S, P, sub, c))
        update_sub_side(S, P, sub, step)
        U.moved_by[sub], U.moved_step[sub] = A_VOICE, step
    else:
        sme = K.sme[c]
        K.trust_sme[c] = py_min(1.0, K.trust_sme[c] + shift)
        M.capability[sme] = py_min(1.0, M.capability[sme] + shift)
        M.ambition[sme] = py_min(1.0, M.ambition[sme] + shift)
        update_sme_side(S, P, sme)
        M.moved_by[sme], M.moved_step[sme] = A_VOICE, step


@jit
def leave(S, P, Q, rng, by_sme, c, step):
    """§7.7 ``exit``: the parties break with each other, the contract ends, the subsidiary's niche opens for
    refilling, the chooser remembers the quadrant it left (for a path by exit, §8) and searches at once."""
    K, U, M = S.contracts, S.subs, S.smes
    nn = Q[N_NICHES]
    sme, sub, niche, j, quadrant = K.sme[c], K.sub[c], K.niche[c], K.target[c], K.quadrant[c]
    node = sub * nn + niche
    book.shun(S, Q, sme, sub)
    if by_sme:
        open_niche(S, sub, node)
        book.end(S, Q, c)
        M.pending[sme * Q[CPS] + j] = quadrant
        book.sme_search(S, P, Q, rng, sme, j, step)
    else:
        book.end(S, Q, c)
        open_niche(S, sub, node)
        U.pending[node] = quadrant
        book.sub_search(S, P, Q, rng, sub, niche, step)


@jit
def open_niche(S, sub, node):
    """``sub.open_niches[niche] = None``: appended if not already open (an open niche keeps its place)."""
    if not S.subs.is_open[node]:
        S.subs.is_open[node] = True
        lists.append(S.subs.open, sub, node)


@jit
def tension_stage(S, P, Q, rng, step):
    """§7.7 ``reference.tension`` over the active contracts in random order: in Q2 the SME's frustration grows
    by 2·(a − 0.5), in Q4 the subsidiary's by 2·(x − 0.5), the other side's (and both, elsewhere) decays by
    frustration_decay; past frustration_threshold the frustrated party chooses (:func:`respond`)."""
    K, U, M, T = S.contracts, S.subs, S.smes, S.tmp
    n = book.compact(S)
    for i in range(n):
        T.snap_slot[i], T.snap_uid[i] = K.order_slot[i], K.order_uid[i]
    keep = 1.0 - P[FRUSTRATION_DECAY]
    threshold = P[FRUSTRATION_THRESHOLD]
    for i in permutation(rng, n):
        c = T.snap_slot[i]
        if not (K.active[c] and K.uid[c] == T.snap_uid[i]):
            continue
        sme, sub = K.sme[c], K.sub[c]
        q = book.quadrant_of(U.explores[sub], M.international[sme])
        if q == 2:
            f = K.frustration_sme[c] + 2.0 * abs(M.ambition[sme] - 0.5)
            K.frustration_sme[c] = f
            K.frustration_sub[c] = K.frustration_sub[c] * keep
            if f > threshold:
                f, going = respond(S, P, Q, rng, TRUE, c, f, step)
                if going:
                    K.frustration_sme[c] = f
        elif q == 4:
            f = K.frustration_sub[c] + 2.0 * abs(U.exploration[sub] - 0.5)
            K.frustration_sub[c] = f
            K.frustration_sme[c] = K.frustration_sme[c] * keep
            if f > threshold:
                f, going = respond(S, P, Q, rng, FALSE, c, f, step)
                if going:
                    K.frustration_sub[c] = f
        else:
            K.frustration_sme[c] = K.frustration_sme[c] * keep
            K.frustration_sub[c] = K.frustration_sub[c] * keep
