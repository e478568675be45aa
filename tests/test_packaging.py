"""What a user installs and cites: licence, citation file, package metadata."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# The CFF 1.2.0 schema (citation-file-format/citation-file-format, tag 1.2.0, CC-BY-4.0), kept here so
# that the test needs no network.
SCHEMA = ROOT / "tests" / "data" / "cff-1.2.0-schema.json"


def _cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_citation_cff_is_valid_cff_1_2_0():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(_cff()), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_check_can_fail():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {k: v for k, v in _cff().items() if k != "authors"}
    with pytest.raises(jsonschema.ValidationError, match="authors"):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft7Validator)


def test_citation_cites_the_software_and_both_papers():
    cff = _cff()
    assert cff["type"] == "software" and cff["version"] == _pyproject()["project"]["version"]
    assert cff["license"] == _pyproject()["project"]["license"] == "MIT"
    refs = {(r["authors"][0]["family-names"], r["year"]): r for r in cff["references"]}
    bg, pb = refs[("Bueno Merino", 2012)], refs[("Prashantham", 2020)]
    assert bg["journal"] == "International Business Research" and (bg["volume"], bg["issue"]) == (5, "6")
    assert (bg["start"], bg["end"]) == (53, 61) and "liability of foreignness" in bg["title"]
    assert pb["journal"] == "Journal of International Business Studies" and (pb["volume"], pb["issue"]) == (51, "7")
    assert (pb["start"], pb["end"]) == (1161, 1175) and "integrative framework" in pb["title"]


def test_licence_is_mit_by_the_authors():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the piggyback-abm authors" in text


def test_core_dependencies_cover_every_interpreter():
    """A no-extras install must import: Mesa 3.5 imports networkx at `import mesa`."""
    project = _pyproject()["project"]
    core = " ".join(project["dependencies"])
    assert "networkx" in core and "scikit-learn" in core
    extras = project["optional-dependencies"]
    assert {"viz", "dask", "discover", "notebook", "dev"} <= set(extras)
    assert all(f"[{e}" in extras["dev"][0] or f",{e}" in extras["dev"][0] for e in ("dask", "viz", "discover"))
