"""What the compiled engine restates, and whether it still restates it as it is.

:data:`RESTATED` maps each rule, agent method, book operation, observer function and reference stage that
:mod:`sim.engine` restates (writes again, compiled) to the functions of ``sim/engine/`` that do so.
``mirrors.json`` holds one hash per entry (its code, docstrings and comments aside, as it was when the
engine and the Mesa reference were last checked to agree step by step) and one for the engine's own code
(``ENGINE``). If either side changes, ``sim.model.run`` warns, naming what changed and where it is
restated (``sim.rules.trust.trust_update changed; restated in sim/engine/contracts.py:contract_stage``),
and runs the Mesa model: the results of the code as it is, at the reference's speed. A changed rule is
never silently ignored, and an edited engine is never used before it has been checked.

After an intended change: make ``sim/engine/`` agree, then refresh the hashes and the identity record in
one command, ``python tools/refresh_identity.py`` (``make identity``): it compares the engine with the
reference step by step first, and refuses to write anything if they disagree.

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
ENGINE_DIR = Path(__file__).resolve().parents[1] / "engine"
ENGINE = "sim/engine"  # the key of the engine's own code in mirrors.json

# entry ("module:qualified name") -> the functions of sim/engine/ ("module file:name") that restate it
RESTATED: dict[str, tuple[str, ...]] = {
    # the readable schedule's stages
    "sim.steps.reference:step": ("schedule.py:step",),
    "sim.steps.reference:shuffled": ("market.py:opportunities", "tension.py:tension_stage", "matching.py:matching"),
    "sim.steps.reference:opportunities": ("market.py:opportunities",),
    "sim.steps.reference:run_contracts": ("contracts.py:contract_stage",),
    "sim.steps.reference:tension": ("tension.py:tension_stage",),
    # the model: initial state, population, signing, shocks, the run and its summary
    "sim.model:PiggybackModel.__init__": ("state.py:allocate", "schedule.py:init"),
    "sim.model:PiggybackModel._build_population": ("population.py:build",),
    "sim.model:PiggybackModel.sign": ("book.py:model_sign",),
    "sim.model:PiggybackModel.shock": ("population.py:shock",),
    "sim.model:PiggybackModel.step": ("schedule.py:step",),
    "sim.model:PiggybackModel.done": ("schedule.py:step",),
    "sim.model:PiggybackModel.run": ("schedule.py:run",),
    "sim.model:PiggybackModel.summary": ("results.py:summary",),
    "sim.model:PiggybackModel._composition": ("results.py:summary",),
    "sim.model:PiggybackModel.shock_returned": ("results.py:summary",),
    "sim.model:run": ("api.py:run", "results.py:steps_table", "results.py:events_table", "results.py:timeline_table"),
    "sim.population:draw_intent": ("population.py:draw_intent",),
    "sim.population:beta_mean": ("population.py:beta_mean",),
    "sim.population:draw_markets": ("population.py:draw_markets", "population.py:choice"),
    "sim.population:new_sme": ("population.py:new_sme",),
    "sim.population:depart": ("population.py:depart",),
    "sim.population:replace": ("population.py:replace",),
    "sim.population:turnover": ("population.py:turnover",),
    "sim.population:renew_mandate": ("population.py:renew_mandate",),
    "sim.population:shock": ("population.py:shock", "population.py:choice"),
    # agents' methods
    "sim.agents:Headquarters.apply_pressure": ("intents.py:apply_pressure",),
    "sim.agents:_Party.__init__": ("population.py:build", "population.py:new_sme"),
    "sim.agents:_Party.mark_moved": ("tension.py:respond", "tension.py:voice_succeeds"),
    "sim.agents:_Party.move_action": ("observe.py:count_change",),
    "sim.agents:_Party.pick_partner": ("book.py:sme_search", "book.py:sub_search"),
    "sim.agents:_Party.respond_to_tension": ("tension.py:respond",),
    "sim.agents:Subsidiary.__init__": ("population.py:build",),
    "sim.agents:Subsidiary.update_side": ("intents.py:update_sub_side",),
    "sim.agents:Subsidiary.influence_share": ("tension.py:influence_share",),
    "sim.agents:Subsidiary.align": ("intents.py:align",),
    "sim.agents:Subsidiary.share_q3": ("intents.py:apply_pressure",),
    "sim.agents:Subsidiary.allocate_effort": ("intents.py:allocate_effort",),
    "sim.agents:Subsidiary.detects": ("market.py:detects",),
    "sim.agents:Subsidiary.attempt_sale": ("market.py:attempt_sale",),
    "sim.agents:Subsidiary.update_lof": ("market.py:update_lof",),
    "sim.agents:Subsidiary.search": ("book.py:sub_search",),
    "sim.agents:Subsidiary.refill_open_niches": ("matching.py:refill_open_niches",),
    "sim.agents:Subsidiary.best_alternative_fit": ("tension.py:best_alternative_fit",),
    "sim.agents:Subsidiary.be_loyal": ("tension.py:respond",),
    "sim.agents:Subsidiary.voice_succeeds": ("tension.py:voice_succeeds",),
    "sim.agents:Subsidiary.exit": ("tension.py:leave",),
    "sim.agents:SME.__init__": ("population.py:new_sme",),
    "sim.agents:SME.update_side": ("intents.py:update_sme_side",),
    "sim.agents:SME.learn": ("contracts.py:contract_stage",),
    "sim.agents:SME.drift": ("intents.py:drift",),
    "sim.agents:SME.seek_agents": ("matching.py:matching",),
    "sim.agents:SME.search": ("book.py:sme_search",),
    "sim.agents:SME.best_alternative_fit": ("tension.py:best_alternative_fit",),
    "sim.agents:SME.be_loyal": ("tension.py:respond",),
    "sim.agents:SME.voice_succeeds": ("tension.py:voice_succeeds",),
    "sim.agents:SME.exit": ("tension.py:leave",),
    # contracts and the partner indexes
    "sim.contracts:quadrant_of": ("book.py:quadrant_of",),
    "sim.contracts:Contract.__init__": ("book.py:sign",),
    "sim.contracts:Contract.trust_mean": ("contracts.py:contract_stage", "observe.py:observe"),
    "sim.contracts:ContractBook.add_subsidiary": ("population.py:build",),
    "sim.contracts:ContractBook.add_sme": ("population.py:new_sme",),
    "sim.contracts:ContractBook.remove_sme": ("population.py:depart",),
    "sim.contracts:ContractBook.sign": ("book.py:sign",),
    "sim.contracts:ContractBook.end": ("book.py:end",),
    # the observer (MODEL.md §8, §12.1, §13)
    "sim.observe:observe": ("observe.py:observe",),
    "sim.observe:path_of": ("observe.py:path_of",),
    "sim.observe:exit_path": ("observe.py:path_of",),
    "sim.observe:count_path": ("observe.py:count_path",),
    "sim.observe:count_change": ("observe.py:count_change",),
    "sim.observe:record_step": ("observe.py:record_step",),
    "sim.observe:judge": ("regime.py:judge", "regime.py:timeline"),
    "sim.observe:EventLog.record": ("book.py:record", "results.py:events_table"),
    "sim.regime:dominant_quadrant": ("regime.py:dominant_quadrant",),
    "sim.regime:noise_tolerance": ("regime.py:noise_tolerance",),
    "sim.regime:windows_agree": ("regime.py:windows_agree",),
    "sim.regime:decidable": ("regime.py:decidable",),
    "sim.regime:RegimeObserver.__init__": ("state.py:allocate",),
    "sim.regime:RegimeObserver.record": ("regime.py:record",),
    "sim.regime:RegimeObserver.mean": ("regime.py:mean",),
    "sim.regime:RegimeObserver.window_mean": ("regime.py:window_mean", "results.py:window_mean"),
    "sim.regime:RegimeObserver.stationary": ("regime.py:stationary",),
    "sim.regime:RegimeObserver.occupancy_shares": ("results.py:summary",),
    "sim.regime:ShockWatch.__init__": ("population.py:shock",),
    "sim.regime:ShockWatch.observe": ("regime.py:watch",),
    "sim.regime:Portfolios.record": ("regime.py:portfolios",),
    "sim.regime:Portfolios.window_counts": ("regime.py:states",),
    "sim.regime:Portfolios.states": ("regime.py:states",),
    "sim.regime:state_shares": ("regime.py:states",),
    "sim.regime:long_run_regime": ("regime.py:long_run_regime",),
    # the rules of MODEL.md §7, §11
    "sim.rules.trust:communication": ("contracts.py:contract_stage",),
    "sim.rules.trust:trust_update": ("contracts.py:trust_update",),
    "sim.rules.learning:knowledge_gain": ("contracts.py:contract_stage",),
    "sim.rules.learning:dyad_value_mean": ("contracts.py:dyad_value_mean",),
    "sim.rules.effort:effort_weight": ("intents.py:effort_weight",),
    "sim.rules.effort:effort_shares": ("intents.py:allocate_effort",),
    "sim.rules.intent:pressure_drift": ("intents.py:apply_pressure",),
    "sim.rules.intent:alignment_drift": ("intents.py:align",),
    "sim.rules.intent:ambition_drift": ("intents.py:drift",),
    "sim.rules.intent:side": ("intents.py:side",),
    "sim.rules.market:detection_probability": ("market.py:detects",),
    "sim.rules.market:sale_probability": ("market.py:attempt_sale",),
    "sim.rules.market:lof_update": ("market.py:update_lof",),
    "sim.rules.matching:search_probability": ("market.py:search_probability",),
    "sim.rules.matching:fit": ("book.py:sme_search", "book.py:sub_search", "tension.py:best_alternative_fit"),
    "sim.rules.matching:logit_weights": ("arith.py:logit_weights",),
    "sim.rules.matching:start_trust": ("book.py:model_sign",),
    "sim.rules.evl:frustration_step": ("tension.py:tension_stage",),
    "sim.rules.evl:loyalty_stock": ("tension.py:respond",),
    "sim.rules.evl:loyalty_utility": ("tension.py:respond",),
    "sim.rules.evl:exit_utility": ("tension.py:respond",),
    "sim.rules.evl:voice_utility": ("tension.py:respond",),
    "sim.rules.evl:voice_probability": ("tension.py:voice_probability",),
    "sim.rules.evl:choose_action": ("tension.py:respond",),
    "sim.rules.influence:influence_share": ("tension.py:influence_share",),
    "sim.rules.influence:shared_shift": ("tension.py:respond", "tension.py:voice_succeeds"),
}


def restating(where: str):
    """The engine function a target names (``"contracts.py:contract_stage"``: a Numba dispatcher or a Python
    function or method of ``sim/engine/``)."""
    file, _, qualname = where.partition(":")
    obj = importlib.import_module("sim.engine." + file.removesuffix(".py"))
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


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


class _PlainFStrings(ast.NodeTransformer):
    """f-strings as calls (``f"a{x!r}"`` → ``__f__('a', __v__(x, 114, None))``): Python 3.12 unparses them with
    other quotes than 3.11 (PEP 701), and a hash must not depend on the interpreter."""

    def visit_JoinedStr(self, node):  # 3.12 ends a nested format spec with an empty constant, 3.11 does not
        values = [v for v in node.values if not (isinstance(v, ast.Constant) and v.value == "")]
        return ast.Call(ast.Name("__f__", ast.Load()), [self.visit(v) for v in values], [])

    def visit_FormattedValue(self, node):
        spec = self.visit(node.format_spec) if node.format_spec else ast.Constant(None)
        args = [self.visit(node.value), ast.Constant(node.conversion), spec]
        return ast.Call(ast.Name("__v__", ast.Load()), args, [])


def source_hash(source: str) -> str:
    """SHA-256 of code given as text, docstrings and comments aside (the same on Python 3.11 and 3.12)."""
    tree = _PlainFStrings().visit(ast.parse(textwrap.dedent(source)))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Module) and node.body and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)):
            node.body = node.body[1:]
        body = getattr(node, "body", None)
        if (isinstance(node, ast.FunctionDef | ast.ClassDef) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.unparse(tree).encode()).hexdigest()


def engine_hash() -> str:
    """SHA-256 over every ``sim/engine/*.py`` (each as :func:`source_hash`: docstrings and comments aside)."""
    h = hashlib.sha256()
    for path in sorted(ENGINE_DIR.glob("*.py")):
        h.update(f"{path.name}:{source_hash(path.read_text())}\n".encode())
    return h.hexdigest()


def hashes() -> dict[str, str]:
    """Every entry's hash now, and the engine's."""
    return {**{entry: code_hash(resolve(entry)) for entry in RESTATED}, ENGINE: engine_hash()}


def recorded() -> dict[str, str]:
    """The hashes of ``mirrors.json``: every entry and the engine as they were when last checked together."""
    return json.loads(HASHES.read_text())


def changed() -> list[str]:
    """One line per entry whose code differs from its record (or that has none), naming where it is
    restated, and one if the engine itself changed; empty when the engine restates everything as it is."""
    old, lines = recorded(), []
    for entry, now in hashes().items():
        if old.get(entry) == now:
            continue
        what = "changed" if entry in old else "has no recorded hash"
        if entry == ENGINE:
            lines.append(f"the compiled engine (sim/engine/) {what} since it was checked against the reference")
        else:
            where = ", ".join(f"{ENGINE}/{fn}" for fn in RESTATED[entry])
            lines.append(f"{entry.replace(':', '.')} {what}; restated in {where}")
    return lines


@functools.cache
def current() -> bool:
    """Does the compiled engine still restate the reference as it is, as it was checked? (Once per process;
    warns if not.)"""
    try:
        lines = changed()
    except (OSError, TypeError):  # no source to read (a frozen install): rely on the tests
        return True
    if lines:
        warnings.warn(
            "the compiled engine and the Mesa reference changed apart since they were last checked together, so "
            "sim.model.run runs the Mesa model (the results of the code as it is, at its speed): "
            + "; ".join(lines)
            + ". Make sim/engine/ agree, then run `python tools/refresh_identity.py`.",
            RuntimeWarning,
            stacklevel=3,
        )
        return False
    return True


def write() -> None:
    """Record every hash now (``tools/refresh_identity.py`` calls this once the engine and reference agree)."""
    HASHES.write_text(json.dumps(hashes(), indent=1, sort_keys=True) + "\n")
    current.cache_clear()


if __name__ == "__main__":
    out = changed()
    print("\n".join(out) if out else f"the compiled engine restates all {len(RESTATED)} entries as they are")
    sys.exit(1 if out else 0)
