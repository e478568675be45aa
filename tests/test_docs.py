"""Documentation kept in step with the code."""

from pathlib import Path

from sim.params import PARAMS, markdown_table

ROOT = Path(__file__).resolve().parents[1]


def test_odd_parameter_table_is_the_code_table():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    assert markdown_table() in odd, "docs/ODD.md §10 is stale: paste `python -m sim --params --markdown`"


def test_odd_names_every_rule_function():
    odd = (ROOT / "docs" / "ODD.md").read_text()
    import sim.rules as rules

    for name in rules.__all__:
        if name != "ACTIONS":
            assert f"`{name}`" in odd, name
    assert all(f"`{p}`" in odd for p in PARAMS)


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme


def test_the_specification_copy_is_current():
    """docs/MODEL.md is the specification the ODD cites; where the steering copy is beside the checkout
    (CI, development), the repository's copy must be the same text."""
    shared = ROOT.parent / "shared" / "MODEL.md"
    ours = ROOT / "docs" / "MODEL.md"
    assert ours.exists()
    if shared.exists():
        assert ours.read_text() == shared.read_text(), "docs/MODEL.md is stale: copy ../shared/MODEL.md"


def test_data_doc_names_every_summary_key_and_event_column():
    from experiments.figures.labels import markdown_outputs
    from sim.vocabulary import EVENT_COLUMNS, SUMMARY_KEYS

    data = (ROOT / "docs" / "DATA.md").read_text()
    assert markdown_outputs(SUMMARY_KEYS) in data, "docs/DATA.md's summary-key table is stale"
    assert all(f"| `{c}` |" in data for c in EVENT_COLUMNS)
