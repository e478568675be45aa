"""The parameter table: completeness against MODEL.md §10 and validation messages."""

import re
from pathlib import Path

import pytest

from sim.params import PARAMS, defaults, parse_assignment, parse_value, validate

MODEL_MD = Path(__file__).resolve().parents[2] / "shared" / "MODEL.md"


@pytest.mark.skipif(not MODEL_MD.exists(), reason="../shared/MODEL.md not beside the checkout")
def test_every_model_md_parameter_is_in_the_table_with_its_default():
    text = MODEL_MD.read_text()
    section = text.split("## 10. Parameters", 1)[1].split("\n## 11.", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "(default)" not in line]
    pairs = re.findall(r"([a-z_0-9]+) (−?[\w.\"]+)", " ".join(r.split("|")[2] for r in rows if r.count("|") > 2))
    assert len(pairs) > 60
    for name, value in pairs:
        assert name in PARAMS, name
        expected = value.strip('"').replace("−", "-")
        default = PARAMS[name].default
        if isinstance(default, bool):
            assert str(default) == expected, name
        elif isinstance(default, str):
            assert default == expected, name
        else:
            assert float(default) == float(expected), name


def test_defaults_validate_and_are_inside_their_ranges():
    params = validate({})
    assert params == defaults()
    for p in PARAMS.values():
        assert p.check(p.default) == p.default
        assert p.meaning


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("n_smes", -1, "integer in [1, 1000000]"),
        ("n_smes", 2.5, "integer"),
        ("trust0", 1.5, "number in [0, 1]"),
        ("trust0", "high", "number in [0, 1]"),
        ("trust0", float("nan"), "number in [0, 1]"),
        ("platform", "yes", "true or false"),
        ("initial_quadrant", "Q5", "one of mixed, Q1, Q2, Q3, Q4"),
        ("voice_hypothesis", "both", "one of loyalty, exit_threat"),
        ("n_mnes", True, "integer"),
    ],
)
def test_invalid_values_name_parameter_value_and_range(name, value, fragment):
    with pytest.raises(ValueError) as err:
        validate({name: value})
    message = str(err.value)
    assert repr(name) in message and repr(value) in message and fragment in message


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="unknown parameter 'trust_zero'"):
        validate({"trust_zero": 0.1})


def test_relations_between_parameters_are_checked():
    with pytest.raises(ValueError, match="contracts_per_sme"):
        validate({"contracts_per_sme": 5, "n_markets": 4})
    with pytest.raises(ValueError, match="comm_min"):
        validate({"comm_min": 0.9, "comm_max": 0.5})


def test_parse_value_converts_command_line_strings():
    assert parse_value("n_smes", "120") == 120
    assert parse_value("trust0", "0.25") == 0.25
    assert parse_value("platform", "true") is True
    assert parse_value("platform", "0") is False
    assert parse_value("initial_quadrant", "Q3") == "Q3"
    assert parse_assignment("ecosystem = 0.5") == ("ecosystem", 0.5)
    with pytest.raises(ValueError, match="name=value"):
        parse_assignment("ecosystem")
    with pytest.raises(ValueError, match="'n_smes'"):
        parse_value("n_smes", "many")
