"""The engine's state as Numba structures passed by reference (MODEL.md §2): each group of
:mod:`sim.engine.state` as a ``StructRef`` holding the same arrays.

Why: a compiled function that receives a tuple of a hundred arrays copies it and counts a reference to
each array at every call that is not inlined (a couple of microseconds each, and very large code); a
``StructRef`` is one pointer. :func:`attach` builds the structures from the named tuples of
:func:`sim.engine.state.allocate` (one call per run, cached like the rest): the arrays are shared, so
Python reads what the compiled code wrote through the named tuples.

The structures' field types are those of a small allocation made here at import, so they always match
what :func:`~sim.engine.state.allocate` makes.
"""

from __future__ import annotations

import numpy as np
from numba import typeof, types
from numba.experimental import structref

from sim.engine import state
from sim.engine.jit import jit


class _Struct(types.StructRef):
    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(t)) for name, t in fields)


@structref.register
class LinksType(_Struct):
    """:class:`sim.engine.state.Links`."""


@structref.register
class ContractsType(_Struct):
    """:class:`sim.engine.state.Contracts`."""


@structref.register
class SubsidiariesType(_Struct):
    """:class:`sim.engine.state.Subsidiaries`."""


@structref.register
class SmesType(_Struct):
    """:class:`sim.engine.state.Smes`."""


@structref.register
class IndexType(_Struct):
    """:class:`sim.engine.state.Index`."""


@structref.register
class ObserverType(_Struct):
    """:class:`sim.engine.state.Observer`."""


@structref.register
class RecordType(_Struct):
    """:class:`sim.engine.state.Record`."""


@structref.register
class ScratchType(_Struct):
    """:class:`sim.engine.state.Scratch`."""


@structref.register
class StateType(_Struct):
    """:class:`sim.engine.state.State`."""


class StateRef(structref.StructRefProxy):
    """The state as Python holds it between compiled calls (opaque: read the named tuples instead)."""


structref.define_boxing(StateType, StateRef)


def _fields(proto, nested: dict) -> list:
    return [(f, nested[f] if f in nested else typeof(getattr(proto, f))) for f in proto._fields]


def _types():
    from sim.engine.layout import N_QPARAMS

    q = np.ones(N_QPARAMS, np.int64)
    proto = state.allocate(q, np.ones(1, np.int64), 1)
    links = LinksType(_fields(proto.subs.contracts, {}))
    groups = {
        "contracts": ContractsType(_fields(proto.contracts, {})),
        "subs": SubsidiariesType(_fields(proto.subs, {"contracts": links, "open": links})),
        "smes": SmesType(_fields(proto.smes, {})),
        "index": IndexType(_fields(proto.index, {"free": links, "seeking": links})),
        "obs": ObserverType(_fields(proto.obs, {})),
        "rec": RecordType(_fields(proto.rec, {})),
        "tmp": ScratchType(_fields(proto.tmp, {})),
    }
    return links, groups, StateType(_fields(proto, groups))


LINKS, _GROUPS, STATE = _types()
CONTRACTS, SUBSIDIARIES, SMES, INDEX, OBSERVER, RECORD, SCRATCH = _GROUPS.values()


def attach(ns: state.State) -> StateRef:
    """The structures over the arrays of ``ns`` (shared, not copied)."""
    return _state(ns)


@jit
def events(S):
    """The event log's arrays as the compiled code holds them now (a full log is replaced by a larger one)."""
    return S.rec.ev_int, S.rec.ev_float


@jit
def _links(t):
    s = structref.new(LINKS)
    s.head = t.head
    s.tail = t.tail
    s.nxt = t.nxt
    s.prv = t.prv
    s.cnt = t.cnt
    return s


@jit
def _contracts(t):
    s = structref.new(CONTRACTS)
    s.uid = t.uid
    s.sme = t.sme
    s.sub = t.sub
    s.market = t.market
    s.niche = t.niche
    s.target = t.target
    s.trust_sme = t.trust_sme
    s.trust_sub = t.trust_sub
    s.communication = t.communication
    s.effort = t.effort
    s.age = t.age
    s.frustration_sme = t.frustration_sme
    s.frustration_sub = t.frustration_sub
    s.sales = t.sales
    s.value = t.value
    s.quadrant = t.quadrant
    s.sale_step = t.sale_step
    s.exit_origin = t.exit_origin
    s.active = t.active
    s.free = t.free
    s.order_slot = t.order_slot
    s.order_uid = t.order_uid
    return s


@jit
def _subsidiaries(t):
    s = structref.new(SUBSIDIARIES)
    s.exploration = t.exploration
    s.explores = t.explores
    s.side_step = t.side_step
    s.lof = t.lof
    s.spanning = t.spanning
    s.moved_by = t.moved_by
    s.moved_step = t.moved_step
    s.last_action = t.last_action
    s.last_action_step = t.last_action_step
    s.contract = t.contract
    s.pending = t.pending
    s.contracts = _links(t.contracts)
    s.open = _links(t.open)
    s.is_open = t.is_open
    return s


@jit
def _smes(t):
    s = structref.new(SMES)
    s.uid = t.uid
    s.niche = t.niche
    s.ambition = t.ambition
    s.international = t.international
    s.voluntarism = t.voluntarism
    s.capability = t.capability
    s.spanning = t.spanning
    s.founder = t.founder
    s.moved_by = t.moved_by
    s.moved_step = t.moved_step
    s.last_action = t.last_action
    s.last_action_step = t.last_action_step
    s.targets = t.targets
    s.knowledge = t.knowledge
    s.contract = t.contract
    s.pending = t.pending
    s.n_contracts = t.n_contracts
    s.shunned = t.shunned
    s.n_shunned = t.n_shunned
    return s


@jit
def _index(t):
    s = structref.new(INDEX)
    s.free = _links(t.free)
    s.seeking = _links(t.seeking)
    return s


@jit
def _observer(t):
    s = structref.new(OBSERVER)
    s.cum = t.cum
    s.occupancy = t.occupancy
    s.ring = t.ring
    s.by_sub = t.by_sub
    s.states = t.states
    return s


@jit
def _record(t):
    s = structref.new(RECORD)
    s.C = t.C
    s.F = t.F
    s.paths = t.paths
    s.founders = t.founders
    s.ev_int = t.ev_int
    s.ev_float = t.ev_float
    s.tl_int = t.tl_int
    s.tl_subs = t.tl_subs
    s.tl_valid = t.tl_valid
    s.hz_regime = t.hz_regime
    s.hz_subs = t.hz_subs
    s.hz_valid = t.hz_valid
    s.subs_now = t.subs_now
    return s


@jit
def _scratch(t):
    s = structref.new(SCRATCH)
    s.pool = t.pool
    s.fits = t.fits
    s.probs = t.probs
    s.floats = t.floats
    s.uniforms = t.uniforms
    s.snap_slot = t.snap_slot
    s.snap_uid = t.snap_uid
    s.nodes = t.nodes
    s.marks = t.marks
    return s


@jit
def _state(t):
    s = structref.new(STATE)
    s.contracts = _contracts(t.contracts)
    s.subs = _subsidiaries(t.subs)
    s.smes = _smes(t.smes)
    s.index = _index(t.index)
    s.obs = _observer(t.obs)
    s.rec = _record(t.rec)
    s.tmp = _scratch(t.tmp)
    return s


