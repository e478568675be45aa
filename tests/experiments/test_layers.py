"""The house of experiments/, read from the source: each layer imports only the layers below it, no two modules
import each other (directly or round a loop), and the code below the figures knows the model only through
its declarations (no outcome key, no copy of the model's vocabulary)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "experiments"
# bottom to top; a module may import its own layer and the layers below
LAYERS = ["definition", "storage", "analysis", "engine", "figures", "report", "pipeline", "api", "cli",
          "__init__", "__main__"]
MODEL_WORDS = {"quadrant", "final_quadrant", "settle_step", "mixed", "unsettled", "survival", "voice_success_rate",
               "regime", "regime_step", "final_regime", "resolved", "coexistence", "unresolved", "contested",
               "timeline", "confirmed", "subs_contested",
               "loyalty", "voice", "exit", "drift"}
MODELS = {"experiments.engine.trivial"}  # a model of its own (for tests and benchmarks), not the runner's code


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of experiments that ``name`` imports, anywhere in its source (function-level included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def _layer(name: str) -> int:
    parts = name.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS.index(key)


MODULES = _modules()
GRAPH = {name: _imports(name, path, set(MODULES)) for name, path in MODULES.items()}


def test_every_module_has_a_layer():
    assert all(len(name.split(".")) == 1 or name.split(".")[1] in LAYERS for name in MODULES), sorted(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_run_down_the_layers(name):
    up = [t for t in GRAPH[name] if _layer(t) > _layer(name)]
    assert not up, f"{name} imports a higher layer: {up}"


def test_no_import_circles():
    seen: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(GRAPH[node]):
            if seen.get(nxt) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for name in sorted(GRAPH):
        if name not in seen:
            visit(name, [name])


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("experiments.figures")
                                         and n not in MODELS))
def test_below_the_figures_the_model_is_known_only_by_its_declarations(name):
    """No summary key, outcome category list or action of the model as a literal: the engine, storage,
    definition and analysis code (and the faces) read them from what the model declares."""
    words = {node.value for node in ast.walk(ast.parse(MODULES[name].read_text()))
             if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not words & MODEL_WORDS, f"{name}: {sorted(words & MODEL_WORDS)}"
