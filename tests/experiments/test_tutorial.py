"""docs/tutorial.ipynb runs from top to bottom (so it cannot rot): executed with nbclient in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_tutorial_notebook_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORIAL_OUT", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    out = tmp_path / "voice"
    for name in ("frequencies_ci.png", "frequencies_ci.pdf", "discovery_Q3_tree.csv", "report.html", "summary.csv"):
        assert (out / name).exists(), name
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream")
    assert "refused:" in text and "voice_cost" in text  # the bad sweep was refused with the parameter named
