"""Shared by several test modules: Hypothesis parameter sets (the experiment runner's helpers are in
``tests/experiments/support.py``)."""

from __future__ import annotations

from hypothesis import strategies as st

from sim.params import PARAMS


def parameter_sets(small: dict[str, tuple[int, int]], explore_ui: bool = False):
    """Any valid parameter set, with the integers of ``small`` kept in small ranges (to step quickly).

    ``explore_ui``: floats come from their UI range and its edges as well as from the whole valid range
    (where users and sweeps go), else from the valid range alone.
    """
    fields = {}
    for name, p in PARAMS.items():
        if name in small:
            fields[name] = st.integers(*small[name])
        elif p.kind == "float":
            valid = st.floats(p.low, p.high, allow_nan=False)
            if explore_ui:
                lo, hi = p.ui_range
                valid = st.one_of(st.floats(lo, hi, allow_nan=False), st.sampled_from([lo, hi]), valid)
            fields[name] = valid
        elif p.kind == "bool":
            fields[name] = st.booleans()
        elif p.kind == "choice":
            fields[name] = st.sampled_from(p.choices)
    return st.fixed_dictionaries(fields).map(_repair)


def _repair(params: dict) -> dict:
    """The two relations between parameters that single ranges cannot express."""
    params["contracts_per_sme"] = min(params["contracts_per_sme"], params["n_markets"])
    params["comm_min"] = min(params["comm_min"], params["comm_max"])
    return params
