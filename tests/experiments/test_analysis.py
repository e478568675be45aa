"""The analyses on their own: the Wilson interval."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.analysis.stats import wilson


def test_wilson_interval_matches_known_values():
    lo, hi = wilson(np.array([0, 5, 10]), 10)
    assert lo[0] == 0 and hi[0] == pytest.approx(0.2775, abs=1e-4)
    assert (lo[1], hi[1]) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert hi[2] == pytest.approx(1) and lo[2] == pytest.approx(0.7225, abs=1e-4)

