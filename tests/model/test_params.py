"""The parameter table: completeness against MODEL.md §10 and validation messages."""

import re
from pathlib import Path

import pytest

from sim.params import PARAMS, defaults, parse_assignment, parse_value, validate

MODEL_MD = Path(__file__).resolve().parents[3] / "shared" / "MODEL.md"


SPEC = MODEL_MD if MODEL_MD.exists() else Path(__file__).resolve().parents[2] / "docs" / "MODEL.md"
ODD = Path(__file__).resolve().parents[2] / "docs" / "ODD.md"


def _spec_defaults() -> dict[str, str]:
    """name -> default as written in the specification's tables (§10 and §12.3)."""
    text = SPEC.read_text()
    tables = [text.split("## 10. Parameters", 1)[1].split("\n## 11.", 1)[0],
              text.split("### 12.3 New parameters", 1)[1]]
    pairs = []
    for section in tables:
        rows = [line for line in section.splitlines() if line.startswith("| ") and "(default)" not in line]
        cells = " ".join(r.split("|")[2] for r in rows if r.count("|") > 2)
        pairs += re.findall(r"([a-z_0-9]+) (−?[\d.]+|\"\w+\"|True|False)", cells)
    # prose in the §12.3 table ("as chosen in 12.1") is not a parameter
    return {name: value.strip('"').replace("−", "-") for name, value in pairs if name != "in"}


def _same(default, written: str) -> bool:
    if isinstance(default, bool):
        return str(default) == written
    if isinstance(default, str):
        return default == written
    return float(default) == float(written)


def test_every_specified_parameter_is_in_the_table():
    spec = _spec_defaults()
    assert len(spec) > 65
    assert not set(spec) - set(PARAMS), sorted(set(spec) - set(PARAMS))
    assert "alignment_pull" in PARAMS  # §12.3 names it without a default ("to calibrate")


def test_every_default_that_departs_from_the_specification_is_in_the_calibration_record():
    """MODEL.md: defaults may be recalibrated, every change recorded with its reason in the ODD's
    calibration section (a row `| `name` | spec | new | reason |` of its table of changed defaults)."""
    record = ODD.read_text().split("## 9. Calibration record", 1)[1].split("\n## 10.", 1)[0]
    for name, written in _spec_defaults().items():
        default = PARAMS[name].default
        if not _same(default, written):
            row = re.search(rf"^\| `{name}` \| ([^|]+) \| ([^|]+) \|", record, re.M)
            assert row, f"{name}: default {default} differs from the specification's {written}, not recorded"
            assert _same(default, row.group(2).strip()), (name, row.group(2), default)


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


def test_parameter_errors_name_the_parameter_value_and_range_and_are_value_errors():
    from sim.params import ParameterError, validate

    for bad, name in (({"n_smes": float("inf")}, "n_smes"), ({"trust0": float("nan")}, "trust0"),
                      ({"horizons": [60, 60]}, "horizons"), ({"x" * 5000: 1}, "x" * 5000)):
        with pytest.raises(ParameterError) as err:
            validate(bad)
        assert isinstance(err.value, ValueError) and err.value.name == name and len(str(err.value)) < 1200
    with pytest.raises(ParameterError, match="parameters must be a dict"):
        validate([("n_smes", 10)])
