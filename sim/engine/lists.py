"""Insertion-ordered dicts as arrays: doubly linked lists over a fixed set of nodes (MODEL.md §7.2).

The reference keeps its partner indexes and portfolios in Python dicts (:mod:`sim.contracts`), whose
iteration order is insertion order: a key deleted and set again goes to the end, a key set again while
present keeps its place. That order decides which candidate a uniform draw picks (§7.2) and the order of
floating-point sums (§7.3, §11.2), so the engine keeps it exactly: each dict is a list (``key``), each
possible entry a node, and :func:`append` / :func:`remove` are the dict's insertion and deletion, O(1).

A family of lists shares five arrays (:class:`sim.engine.state.Links`): ``head[key]`` and ``tail[key]``
(-1 when empty), ``nxt[node]`` and ``prv[node]``, and ``cnt[key]``, the dict's ``len``.
"""

from __future__ import annotations

from sim.engine.jit import jit


@jit
def append(links, key, node):
    """``d[node] = ...`` for a node not in the list ``key``: it goes to the end."""
    last = links.tail[key]
    links.prv[node] = last
    links.nxt[node] = -1
    if last < 0:
        links.head[key] = node
    else:
        links.nxt[last] = node
    links.tail[key] = node
    links.cnt[key] += 1


@jit
def remove(links, key, node):
    """``del d[node]`` for a node in the list ``key``."""
    before, after = links.prv[node], links.nxt[node]
    if before < 0:
        links.head[key] = after
    else:
        links.nxt[before] = after
    if after < 0:
        links.tail[key] = before
    else:
        links.prv[after] = before
    links.cnt[key] -= 1


@jit
def to_array(links, key, out):
    """``list(d)``: the nodes of list ``key`` in order, written into ``out``; returns how many."""
    n = 0
    node = links.head[key]
    while node >= 0:
        out[n] = node
        n += 1
        node = links.nxt[node]
    return n
