"""Fixtures shared by the runner's tests."""

from __future__ import annotations

import pytest

from experiments.figures import base


@pytest.fixture
def captured(monkeypatch):
    """The figures the plot functions would save (the Figure objects, to inspect), keyed by file stem."""
    figs: dict = {}

    def fake_save(fig, directory, stem, formats=base.FORMATS):
        figs[stem] = fig
        return [directory / f"{stem}.{ext}" for ext in formats]

    monkeypatch.setattr(base, "save", fake_save)
    return figs
