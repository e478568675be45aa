"""The dashboard (sim/app.py) without a browser: controls, figures, and the page driven by Solara's test renderer."""

from __future__ import annotations

import io
import time

import pytest

solara = pytest.importorskip("solara")
pytest.importorskip("mesa.visualization")

import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402
from mesa.visualization.utils import force_update  # noqa: E402

import sim.app as app  # noqa: E402
from sim.model import PiggybackModel  # noqa: E402
from sim.params import PARAMS  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_front_end_is_vue2():
    assert app.VUE2, "Mesa's SolaraViz renders blank with ipyvue 3: pin 'ipyvue<2' 'ipyvuetify<2' (mesa#3806)"


def test_controls_are_read_from_the_parameter_table():
    for name in app.CONTROLS:
        p, control = PARAMS[name], app.model_params[name]
        assert control["value"] == p.default
        if p.kind == "choice":
            assert control["type"] == "Select" and control["values"] == list(p.choices)
        elif p.kind == "bool":
            assert control["type"] == "Checkbox"
        else:
            assert control["type"] == ("SliderInt" if p.kind == "int" else "SliderFloat")
            assert control["min"] == p.low
            assert control["max"] == min(p.high, app.UI_MAX.get(name, p.high))
            assert p.low <= control["value"] <= control["max"]
    assert app.model_params["n_smes"]["max"] <= 300  # what a browser can draw


def test_dashboard_model_runs_like_the_model():
    """The seed typed as text changes nothing in the dynamics; parties record their last choice."""
    shown, plain = app.DashboardModel(rng="7"), PiggybackModel(rng=7)
    for _ in range(25):
        shown.step()
        plain.step()
    assert shown.summary() == plain.summary()
    acted = [(p.last_action, p.last_action_step) for p in (*shown.subsidiaries, *shown.smes) if p.last_action]
    assert acted, "25 steps of the default model should see some exit, voice or loyalty"
    assert {a for a, _ in acted} <= {"exit", "voice", "loyalty"}
    assert all(1 <= step <= 25 for _, step in acted)


def test_contracts_per_sme_is_clamped_to_markets():
    model = app.DashboardModel(rng=1, n_markets=2, contracts_per_sme=4)
    assert model.p["contracts_per_sme"] == 2


def test_reset_on_mesa_35_passes_a_scenario():
    model = app.DashboardModel(rng=1, scenario=object(), n_smes=10, platform=True)
    assert model.p["n_smes"] == 10
    assert "n_smes 10 · " in app.running_with(model) and "platform True" in app.running_with(model)


def test_seed_box():
    assert app.DashboardModel(rng=" 5 ").seed == 5
    assert app.DashboardModel(rng="").seed is None
    with pytest.raises(ValueError, match="seed"):
        app.DashboardModel(rng="five")


def test_figures_render_and_change_with_steps():
    model = app.DashboardModel(rng=1)
    pos = app.layout(model)
    assert set(pos) == {a.unique_id for a in (*model.subsidiaries, *model.smes)}
    before = (_png(app.network_figure(model)), _png(app.paths_figure(model)))
    for _ in range(30):
        model.step()
    assert app.layout(model) is pos  # computed once per model
    after = (_png(app.network_figure(model)), _png(app.paths_figure(model)))
    assert before[0] != after[0] and before[1] != after[1]
    assert app.status(model).startswith("Step 30 ")


def test_series_are_drawn_against_the_step():
    model = app.DashboardModel(rng=1)
    assert all(len(line.get_xdata()) == 0 for line in app.series_figure(model, app.SHARES, "").axes[0].lines)
    for _ in range(5):
        model.step()
    ax = app.series_figure(model, app.SHARES, "shares").axes[0]
    assert [list(line.get_xdata()) for line in ax.lines] == [[1, 2, 3, 4, 5]] * 4
    assert list(ax.lines[0].get_ydata())[-1] == model.share_Q1
    ax = app.series_figure(model, app.MEANS, "means").axes[0]
    assert list(ax.lines[0].get_ydata())[-1] == model.mean_trust


def test_network_draws_fast_at_default_and_capped_population():
    for params in ({}, {"n_smes": app.UI_MAX["n_smes"], "n_mnes": app.UI_MAX["n_mnes"]}):
        model = app.DashboardModel(rng=2, **params)
        for _ in range(5):
            model.step()
        start = time.perf_counter()
        _png(app.network_figure(model))
        assert time.perf_counter() - start < 1.5, params


def _texts(rc, cls):
    return [w.children[0] for w in rc.find(v.Html, class_=cls).widgets]


def test_page_renders_and_redraws_after_steps():
    """Render the whole SolaraViz page (its sidebar needs a browser), step, see the views redraw."""
    _box, rc = solara.render(app.page, handle_error=False)
    try:
        status = _texts(rc, "piggyback-status")
        assert status == [app.status(app.model)]
        shares = rc.find(v.Html, class_="piggyback-shares").find(ipywidgets.Image)
        shares.assert_single()
        png = shares.widget.value
        assert len(rc.find(ipywidgets.Image)) == 4  # network, shares, means, paths
        for _ in range(3):
            app.model.step()
        force_update()  # what Mesa's Step button does after stepping
        assert _texts(rc, "piggyback-status") == [app.status(app.model)] != status
        assert rc.find(v.Html, class_="piggyback-shares").find(ipywidgets.Image).widget.value != png
    finally:
        rc.close()
