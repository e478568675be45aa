"""What the fast step restates, and whether it still restates it as it is.

:data:`RESTATED` maps each rule, agent method, book operation and reference stage that
:mod:`sim.steps.fast` restates (writes out again, inlined) or relies on (calls with its own block of
draws) to the functions of ``sim/steps/fast.py`` that do so. ``mirrors.json`` holds one hash per
entry: the entry's code (docstrings and comments aside) as it was when the two schedules were last
checked to agree. If an entry's code changes, the model warns, naming the entry and where it is
restated (``sim.rules.trust.trust_update changed; restated in sim/steps/fast.py:_contracts``), and
runs the reference step: correct, about half the speed. A changed rule is never silently ignored.

After an intended change: make ``sim/steps/fast.py`` agree, then refresh the hashes and the identity
record in one command, ``python tools/refresh_identity.py`` (``make identity``): it checks the two
schedules step by step first, and refuses to write anything if they disagree.

    python -m sim.steps.mirrors            # which entries changed (exit 1 if any)
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import inspect
import json
import sys
import textwrap
import warnings
from pathlib import Path

HASHES = Path(__file__).with_name("mirrors.json")
FAST = "sim/steps/fast.py"

# entry ("module:qualified name") -> the functions of sim/steps/fast.py that restate it or rely on it
RESTATED: dict[str, tuple[str, ...]] = {
    # the readable schedule's stages and the observer's contract pass
    "sim.steps.reference:step": ("step",),
    "sim.steps.reference:shuffled": ("_opportunities", "_tension", "_matching"),
    "sim.steps.reference:opportunities": ("_opportunities",),
    "sim.steps.reference:run_contracts": ("_contracts",),
    "sim.steps.reference:tension": ("_tension",),
    "sim.observe:observe": ("_observe",),
    # agents' methods
    "sim.agents:Headquarters.apply_pressure": ("_intents_and_effort",),
    "sim.agents:Subsidiary.share_q3": ("_intents_and_effort",),
    "sim.agents:Subsidiary.align": ("_intents_and_effort",),
    "sim.agents:Subsidiary.allocate_effort": ("_intents_and_effort",),
    "sim.agents:Subsidiary.detects": ("_opportunities",),
    "sim.agents:Subsidiary.attempt_sale": ("_opportunities",),
    "sim.agents:Subsidiary.update_lof": ("_liability_of_foreignness",),
    "sim.agents:Subsidiary.refill_open_niches": ("_matching",),
    "sim.agents:Subsidiary.search": ("_opportunities", "_matching"),
    "sim.agents:Subsidiary.update_side": ("_intents_and_effort",),
    "sim.agents:SME.learn": ("_contracts",),
    "sim.agents:SME.drift": ("_drift",),
    "sim.agents:SME.update_side": ("_drift",),
    "sim.agents:SME.seek_agents": ("_matching",),
    "sim.agents:SME.search": ("_matching",),
    "sim.agents:_Party.pick_partner": ("_matching",),
    # contracts and the partner indexes
    "sim.contracts:quadrant_of": ("_tension", "_observe"),
    "sim.contracts:Contract.trust_mean": ("_contracts", "_observe"),
    "sim.contracts:ContractBook.sign": ("_matching",),
    "sim.contracts:ContractBook.end": ("_matching",),
    "sim.contracts:ContractBook.add_sme": ("_matching",),
    "sim.contracts:ContractBook.remove_sme": ("_matching",),
    # the rules of MODEL.md §7
    "sim.rules.trust:communication": ("_contracts",),
    "sim.rules.trust:trust_update": ("_contracts",),
    "sim.rules.learning:knowledge_gain": ("_contracts",),
    "sim.rules.learning:dyad_value_mean": ("_contracts",),
    "sim.rules.effort:effort_weight": ("_intents_and_effort",),
    "sim.rules.effort:effort_shares": ("_intents_and_effort",),
    "sim.rules.intent:pressure_drift": ("_intents_and_effort",),
    "sim.rules.intent:alignment_drift": ("_intents_and_effort",),
    "sim.rules.intent:ambition_drift": ("_drift",),
    "sim.rules.intent:side": ("_intents_and_effort", "_drift"),
    "sim.rules.market:detection_probability": ("_opportunities",),
    "sim.rules.market:sale_probability": ("_opportunities",),
    "sim.rules.market:lof_update": ("_liability_of_foreignness",),
    "sim.rules.matching:search_probability": ("_opportunities", "_matching"),
    "sim.rules.evl:frustration_step": ("_tension",),
}


def resolve(entry: str):
    """The function an entry names (a property's getter for a property)."""
    module, _, qualname = entry.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj.fget if isinstance(obj, property) else obj


def code_hash(fn) -> str:
    """SHA-256 of a function's code, docstrings and comments aside (:func:`source_hash`)."""
    return source_hash(inspect.getsource(fn))


def source_hash(source: str) -> str:
    """SHA-256 of code given as text, docstrings and comments aside (the same on Python 3.11 and 3.12)."""
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.FunctionDef | ast.ClassDef) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.unparse(tree).encode()).hexdigest()


def hashes() -> dict[str, str]:
    """Every entry's hash now."""
    return {entry: code_hash(resolve(entry)) for entry in RESTATED}


def recorded() -> dict[str, str]:
    """The hashes of ``mirrors.json``: every entry as it was when the schedules were last checked."""
    return json.loads(HASHES.read_text())


def changed() -> list[str]:
    """One line per entry whose code differs from its record (or that has none), naming where it is
    restated; empty when the fast step restates everything as it is."""
    old, lines = recorded(), []
    for entry, now in hashes().items():
        if old.get(entry) != now:
            what = "changed" if entry in old else "has no recorded hash"
            where = ", ".join(f"{FAST}:{fn}" for fn in RESTATED[entry])
            lines.append(f"{entry.replace(':', '.')} {what}; restated in {where}")
    return lines


@functools.cache
def current() -> bool:
    """Does the fast step still restate the reference as it is? (Once per process; warns if not.)"""
    try:
        lines = changed()
    except (OSError, TypeError):  # no source to read (a frozen install): rely on the tests
        return True
    if lines:
        warnings.warn(
            "the fast step restates code that changed since the two schedules were last checked, so the model "
            "runs the reference step (the results of the changed code, about half the speed): "
            + "; ".join(lines)
            + ". Make sim/steps/fast.py agree, then run `python tools/refresh_identity.py`.",
            RuntimeWarning,
            stacklevel=3,
        )
        return False
    return True


def write() -> None:
    """Record every entry's hash now (``tools/refresh_identity.py`` calls this once the schedules agree)."""
    HASHES.write_text(json.dumps(hashes(), indent=1, sort_keys=True) + "\n")
    current.cache_clear()


if __name__ == "__main__":
    out = changed()
    print("\n".join(out) if out else f"the fast step restates all {len(RESTATED)} entries as they are")
    sys.exit(1 if out else 0)
