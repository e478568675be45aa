"""A changed rule is never silently ignored: the mirror map (:mod:`sim.steps.mirrors`) names every piece of
the Mesa model the compiled engine restates, with the engine functions that restate it; a change on either
side makes ``sim.model.run`` warn, naming it, and run the Mesa model, and fails here until the two agree again
and ``make identity`` has refreshed the hashes. Also: the engine's compiled code is cached where
:mod:`sim.engine.cache` says, by a digest of its sources."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from sim import model as sim_model
from sim.engine import cache
from sim.steps import mirrors


def test_the_engine_was_checked_against_the_reference_as_it_is():
    changed = mirrors.changed()
    assert not changed, (
        "; ".join(changed) + ": make sim/engine/ agree (tests/engine/test_engine.py compares the two step by step), "
        "then run `python tools/refresh_identity.py`"
    )
    assert mirrors.current() and sim_model.compiled_engine_usable()


def test_every_entry_names_reference_code_and_engine_functions_that_exist():
    for entry, where in mirrors.RESTATED.items():
        assert callable(mirrors.resolve(entry)), entry
        assert where, entry
        for target in where:
            fn = mirrors.restating(target)
            assert callable(fn), (entry, target)
            body = getattr(fn, "py_func", fn)  # a Numba dispatcher's Python function
            assert Path(inspect.getsourcefile(body)).name == target.split(":")[0], (entry, target)
    assert set(mirrors.recorded()) == {*mirrors.RESTATED, mirrors.ENGINE}


def test_every_rule_of_sim_rules_is_mapped():
    import sim.rules

    for name in sim.rules.__all__:
        obj = getattr(sim.rules, name)
        if callable(obj):
            assert f"{obj.__module__}:{obj.__qualname__}" in mirrors.RESTATED, name


def test_a_changed_rule_is_named_with_where_it_is_restated_and_the_mesa_model_runs(monkeypatch):
    record = {**mirrors.recorded(), "sim.rules.trust:trust_update": "0" * 64}  # as if the rule had been edited
    monkeypatch.setattr(mirrors, "recorded", lambda: record)
    assert mirrors.changed() == [
        "sim.rules.trust.trust_update changed; restated in sim/engine/contracts.py:trust_update"]
    mirrors.current.cache_clear()
    sim_model.compiled_engine_usable.cache_clear()
    import sim.engine

    monkeypatch.setattr(sim.engine, "run", lambda *a, **k: pytest.fail("the stale engine ran"))
    try:
        with pytest.warns(RuntimeWarning, match=r"sim\.rules\.trust\.trust_update changed; restated in "
                                                r"sim/engine/contracts\.py:trust_update"):
            got = sim_model.run({"max_steps": 30, "stop_on_settle": False}, 1)
        assert got["steps"] == 30
    finally:
        monkeypatch.undo()
        mirrors.current.cache_clear()
        sim_model.compiled_engine_usable.cache_clear()
    assert sim_model.compiled_engine_usable()


def test_an_edited_engine_is_not_used_before_it_is_checked(monkeypatch):
    record = {**mirrors.recorded(), mirrors.ENGINE: "0" * 64}
    monkeypatch.setattr(mirrors, "recorded", lambda: record)
    assert mirrors.changed() == ["the compiled engine (sim/engine/) changed since it was checked against the reference"]


def test_a_renamed_local_in_a_rule_changes_its_hash_but_a_docstring_or_comment_does_not():
    rule = 'def rule(x):\n    """One doc."""\n    y = x + 1  # why\n    return y\n'
    redocumented = 'def rule(x):\n    """Another doc."""\n    y = x + 1\n    return y\n'
    renamed = 'def rule(x):\n    """One doc."""\n    z = x + 1  # why\n    return z\n'
    h = mirrors.source_hash
    assert h(rule) == h(redocumented)
    assert h(rule) != h(renamed)
    assert h('"""A module."""\nX = 1\n') == h('"""Another."""\nX = 1  # one\n') != h('"""A module."""\nX = 2\n')


def test_compiled_code_is_cached_by_a_digest_of_the_engines_sources():
    where = cache.install()
    assert where is not None and where.name == cache.PREFIX + cache.source_digest()
    from sim.engine import schedule

    schedule.run.py_func  # noqa: B018  (a dispatcher with caching enabled)
    assert Path(schedule.run._cache._cache_path) == where
    code = ("import sim.engine, sim.engine.api as a; a.run({'max_steps': 5}, 1); "
            "from sim.engine import schedule as s; print(sum(s.run.stats.cache_hits.values()))")
    hits = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(hits) == 1  # a fresh process loads the compiled run instead of compiling it


def test_the_hash_of_an_f_string_is_the_same_on_every_interpreter():
    source = 'def f(x):\n    return f"a {x!r}; b: {\', \'.join(x)} {x:>{3}}"\n'
    code = f"from sim.steps.mirrors import source_hash; print(source_hash({source!r}))"
    pythons = [sys.executable, *[str(p) for p in Path(__file__).resolve().parents[2].glob(".venv*/bin/python")]]
    hashes = {subprocess.run([p, "-c", code], capture_output=True, text=True, check=True).stdout for p in pythons}
    assert len(hashes) == 1, hashes
    assert mirrors.source_hash(source) != mirrors.source_hash(source.replace("{x!r}", "{x!s}"))
