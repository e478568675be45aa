"""Matching, compiled (MODEL.md §3 stage 7, §7.2): SMEs without an agent in a target market search, then
subsidiaries refill the niches an exit or a departure left open.

Restates the matching passes of ``sim.steps.reference.step`` with ``SME.seek_agents`` and
``Subsidiary.refill_open_niches`` (``rules.search_probability``): the SMEs in a random permutation of the
model's list, each missing agent one uniform (a search may draw one more), then the subsidiaries in a
random permutation, each open niche one uniform, in the order the niches were opened.
"""

from __future__ import annotations

from sim.engine import book, lists
from sim.engine.arith import permutation
from sim.engine.jit import jit
from sim.engine.layout import CPS, N_MARKETS, N_MNES, N_NICHES, N_SMES
from sim.engine.market import search_probability


@jit
def matching(S, P, Q, rng, step):
    """§7.2 stage 7: ``SME.seek_agents`` for every SME lacking an agent, then
    ``Subsidiary.refill_open_niches`` for every subsidiary, each pass in random order."""
    M, cps = S.smes, Q[CPS]
    prob = search_probability(P)
    for sme in permutation(rng, Q[N_SMES]):
        if M.n_contracts[sme] < cps:
            for j in range(cps):
                if M.contract[sme * cps + j] >= 0:
                    continue
                if rng.random() < prob:
                    book.sme_search(S, P, Q, rng, sme, j, step)
    for sub in permutation(rng, Q[N_MNES] * Q[N_MARKETS]):
        refill_open_niches(S, P, Q, rng, sub, prob, step)


@jit
def refill_open_niches(S, P, Q, rng, sub, prob, step):
    """§7.2 ``Subsidiary.refill_open_niches``: each niche open at the start, in order: dropped if filled
    meanwhile, else searched with probability ``prob``."""
    U, nodes = S.subs, S.tmp.nodes
    if U.open.cnt[sub] == 0:
        return
    nn = Q[N_NICHES]
    for i in range(lists.to_array(U.open, sub, nodes)):
        node = nodes[i]
        if U.contract[node] >= 0:
            if U.is_open[node]:
                U.is_open[node] = False
                lists.remove(U.open, sub, node)
        elif rng.random() < prob:
            book.sub_search(S, P, Q, rng, sub, node % nn, step)
