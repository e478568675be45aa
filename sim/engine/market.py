"""Opportunities, solution selling and liability of foreignness, compiled (MODEL.md §3 stages 2–3, §7.1).

Restates ``sim.steps.reference.opportunities`` with ``Subsidiary.detects``/``attempt_sale``/``search``
(``rules.detection_probability``, ``rules.sale_probability``, ``rules.search_probability``) and
``Subsidiary.update_lof`` (``rules.lof_update``), with the same draws: per market a Poisson count, then
all its requirements' niches, then per requirement a permutation of the market's subsidiaries and their
detection, sale and search uniforms.
"""

from __future__ import annotations

import numpy as np

from sim.engine import book
from sim.engine.arith import permutation, poisson, py_max, py_min
from sim.engine.jit import jit
from sim.engine.layout import (
    DETECT_BASE,
    INTERMEDIARY,
    LOF0,
    LOF_PLATFORM,
    LOF_PORTFOLIO,
    LOF_RECOVERY,
    N_MARKETS,
    N_MNES,
    N_NICHES,
    OPPORTUNITY_RATE,
    PLATFORM,
    PLATFORM_BOOST,
    SALE_VALUE,
    SEARCH_RATE,
)


@jit
def search_probability(P):
    """§7.2 ``rules.search_probability``: search_rate + (1 − search_rate)·i/2 with a broker of strength i
    (every market's intermediary has the same strength)."""
    return P[SEARCH_RATE] + (1.0 - P[SEARCH_RATE]) * P[INTERMEDIARY] / 2.0


@jit
def detects(S, P, Q, rng, sub):
    """§7.1 ``Subsidiary.detects``: p = detect_base·(1 − L), raised by platform_boost·(1 − p) with a
    platform; one uniform."""
    p = P[DETECT_BASE] * (1.0 - S.subs.lof[sub])
    if Q[PLATFORM]:
        p += P[PLATFORM_BOOST] * (1.0 - p)
    return rng.random() < p


@jit
def attempt_sale(S, P, rng, sub, c, step):
    """§7.1 ``Subsidiary.attempt_sale``: success with (1 − L)·(0.5 + 0.5·min(effort, 1)) adds sale_value."""
    K = S.contracts
    if rng.random() < (1.0 - S.subs.lof[sub]) * (0.5 + 0.5 * py_min(K.effort[c], 1.0)):
        K.sales[c] += 1
        K.value[c] += P[SALE_VALUE]
        K.sale_step[c] = step


@jit
def opportunities(S, P, Q, rng, step):
    """§7.1 ``reference.opportunities``: each market draws Poisson(opportunity_rate) requirements and their
    niches; the market's subsidiaries meet each in random order, and the first to detect it sells with its
    partner of that niche or, without one, may search for one (the requirement is lost either way)."""
    n_markets, n_mnes, nn = Q[N_MARKETS], Q[N_MNES], Q[N_NICHES]
    search_prob = search_probability(P)
    for m in range(n_markets):
        n = poisson(rng, P[OPPORTUNITY_RATE])
        if n == 0:
            continue
        niches = np.empty(n, np.int64)
        for i in range(n):
            niches[i] = rng.integers(0, nn)
        for i in range(n):
            niche = niches[i]
            for h in permutation(rng, n_mnes):
                sub = h * n_markets + m
                if not detects(S, P, Q, rng, sub):
                    continue
                c = S.subs.contract[sub * nn + niche]
                if c >= 0:
                    attempt_sale(S, P, rng, sub, c, step)
                    break
                if rng.random() < search_prob:
                    book.sub_search(S, P, Q, rng, sub, niche, step)


@jit
def update_lof(S, P, Q):
    """§7.1 ``Subsidiary.update_lof`` for every subsidiary: L + lof_recovery·(L0 − L) − lof_portfolio·
    (niches covered / n_niches)·L − lof_platform·[platform]·L, clipped to [0, 1]."""
    U = S.subs
    nn = Q[N_NICHES]
    for sub in range(Q[N_MNES] * Q[N_MARKETS]):
        lof = U.lof[sub]
        coverage = U.contracts.cnt[sub] / nn
        new = lof + P[LOF_RECOVERY] * (P[LOF0] - lof) - P[LOF_PORTFOLIO] * coverage * lof
        if Q[PLATFORM]:
            new -= P[LOF_PLATFORM] * lof
        U.lof[sub] = py_min(1.0, py_max(0.0, new))
