"""The dashboard (sim/dashboard/) without a browser: controls, figures, and pages in Solara's test renderer."""

from __future__ import annotations

import io
import re
import time
from types import SimpleNamespace

import pytest

solara = pytest.importorskip("solara")
pytest.importorskip("mesa.visualization")

import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402
from PIL import Image  # noqa: E402

import sim.dashboard.app as app  # noqa: E402
import sim.dashboard.controls as ui  # noqa: E402
import sim.dashboard.figures as figures  # noqa: E402
from sim.model import PiggybackModel  # noqa: E402
from sim.params import PARAMS  # noqa: E402


def test_front_end_is_vue2():
    assert app.VUE2, "Mesa's SolaraViz renders blank with ipyvue 3: pin 'ipyvue<2' 'ipyvuetify<2' (mesa#3806)"


# -- controls ---------------------------------------------------------------------------
def test_every_parameter_has_exactly_one_control():
    shown = ui.key_controls() + [n for names in ui.more_controls().values() for n in names]
    shown += [n for n in ui.SHOCK_CONTROLS if n in PARAMS]
    assert sorted(shown) == sorted(PARAMS)
    assert set(ui.initial_controls()) == {"seed", *PARAMS}


@pytest.mark.parametrize("name", [n for n, p in PARAMS.items() if p.kind in ("int", "float")])
def test_sliders_span_the_ui_range_with_the_default_on_their_grid(name):
    p = PARAMS[name]
    low, high = p.ui_range
    assert p.low <= low < high <= p.high
    assert low <= p.default <= high, f"{name}: default {p.default} outside its UI range {p.ui_range}"
    step = ui.slider_step(p)
    assert step == 1 if p.kind == "int" else 50 <= (high - low) / step <= 200
    positions = (p.default - low) / step
    assert positions == pytest.approx(round(positions), abs=1e-6)
    assert ui.snap(p, p.default) == p.default  # the default survives the rounding
    assert p.label, f"{name} has no label in the parameter table"


def test_values_are_shown_with_their_units():
    assert ui.show(PARAMS["voice_cost"], 0.6) == "0.6 utility"
    assert ui.show(PARAMS["n_smes"], 60) == "60 firms"
    assert ui.show(PARAMS["hq_pressure"], 0.5) == "0.5 (0–1)"
    assert ui.show(PARAMS["platform"], False) == "off"
    assert ui.show(PARAMS["voice_hypothesis"], "exit_threat") == "exit threat"
    assert PARAMS["voice_cost"].ui_range == (0.0, 2.0)  # where the interesting range is (MODEL.md §12.2)
    assert ui.snap(PARAMS["voice_cost"], 0.6000000000000001) == 0.6
    assert ui.snap(PARAMS["n_smes"], 59.6) == 60
    vc = PARAMS["voice_cost"].default
    head = ui.head(PARAMS["voice_cost"], vc)
    assert "voice cost" in head and f"{vc:g} utility" in head and ">default<" in head
    assert "piggyback-changed" in ui.head(PARAMS["voice_cost"], 1.2) and f"default {vc:g} utility" in ui.head(
        PARAMS["voice_cost"], 1.2
    )


def test_pending_lists_what_reset_will_change():
    model = app.DashboardModel(rng=1)
    controls = ui.initial_controls()
    assert ui.pending(controls, model) == []
    controls.update(voice_cost=1.2, seed="2")
    assert ui.pending(controls, model) == ["voice cost", "seed"]
    controls["seed"] = ""  # a new random seed: nothing to compare
    assert ui.pending(controls, model) == ["voice cost"]
    if all(n in PARAMS for n in ("shock_step", *ui.SHOCK_CONTROLS)):
        controls["shock_share"] = 0.5  # acts now, through the shock button
        assert ui.pending(controls, model) == ["voice cost"]
        controls["shock_step"] = 100  # and at Reset, for a scheduled shock
        expected = {"voice cost", PARAMS["shock_step"].label, PARAMS["shock_share"].label}
        assert set(ui.pending(controls, model)) == expected


def test_seed_box():
    assert ui.parse_seed(" 5 ") == 5 and ui.parse_seed("") is None and ui.parse_seed(None) is None
    for bad in ("five", "-3", "1.5", "1e3"):
        with pytest.raises(ValueError, match="seed: a whole number"):
            ui.parse_seed(bad)
    assert app.DashboardModel(rng=" 5 ").seed == 5
    drawn = app.DashboardModel(rng="").seed  # random, but recorded: the run can be repeated
    assert isinstance(drawn, int)
    assert app.DashboardModel(rng=str(drawn)).summary() == app.DashboardModel(rng=drawn).summary()


# -- the model as the dashboard drives it -------------------------------------------
def test_dashboard_model_runs_like_the_model():
    """The seed typed as text and the step-0 row change nothing in the dynamics."""
    shown, plain = app.DashboardModel(rng="7"), PiggybackModel(rng=7)
    for _ in range(25):
        shown.step()
        plain.step()
    assert shown.summary() == plain.summary()
    acted = [(p.last_action, p.last_action_step) for p in (*shown.subsidiaries, *shown.smes) if p.last_action]
    assert acted, "25 steps of the default model should see some exit, voice or loyalty"
    assert {a for a, _ in acted} <= {"exit", "voice", "loyalty"}
    assert all(1 <= step <= 25 for _, step in acted)


def test_plots_start_at_step_0():
    model = app.DashboardModel(rng=1)
    assert model.datacollector.model_vars["steps"] == [0]
    assert PiggybackModel(rng=1).datacollector.model_vars.get("steps", []) == []  # sim.model is unchanged
    painter = figures.SeriesPainter(figures.SHARES, "shares")
    painter.render(model)
    assert [list(line.get_xdata()) for line in painter.lines] == [[0]] * 4
    assert painter.lines[0].get_ydata()[0] == model.share_Q1
    for _ in range(5):
        model.step()
    painter.render(model)
    assert [list(line.get_xdata()) for line in painter.lines] == [[0, 1, 2, 3, 4, 5]] * 4
    assert list(painter.lines[0].get_ydata())[-1] == model.share_Q1


def test_contracts_per_sme_is_clamped_to_markets():
    assert app.DashboardModel(rng=1, n_markets=2, contracts_per_sme=4).p["contracts_per_sme"] == 2


# -- figures ----------------------------------------------------------------------------
def _pixels(png: bytes):
    return Image.open(io.BytesIO(png)).convert("RGB").tobytes()


@pytest.mark.parametrize("name", list(app.VIEWS))
def test_figures_render_change_with_steps_and_reuse_their_background(name):
    model = app.DashboardModel(rng=1, stop_on_settle=False)
    make, _changed = app.VIEWS[name]
    painter = make(model)
    first = painter.render(model)
    assert Image.open(io.BytesIO(first)).format == "PNG"
    background = painter._background
    for _ in range(20):
        model.step()
    assert _pixels(painter.render(model)) != _pixels(first), f"{name}: the picture did not change in 20 steps"
    if name != "paths":  # the paths' axis may grow with the counts
        assert painter._background is background, f"{name}: the static parts were redrawn"
    fresh = make(model)  # blitting draws what a fresh figure draws
    if name == "network":
        fresh.layout = painter.layout  # where entrants sit depends on the history (turnover)
    assert _pixels(painter.render(model)) == _pixels(fresh.render(model))


def test_time_axis_grows_in_nice_steps():
    assert [figures.horizon(s, 500) for s in (0, 49, 50, 51, 180, 260, 499, 500)] == [
        50, 50, 50, 100, 250, 500, 500, 500,
    ]  # fmt: skip
    assert figures.horizon(30, 20) == 30  # a run past max_steps is still drawn


def test_ring_layout_gives_entrants_places_in_their_market():
    def sme(uid, market, niche=0):
        return SimpleNamespace(unique_id=uid, targets=[market], niche=niche)

    subs = [[SimpleNamespace(unique_id=100 + m)] for m in range(2)]
    smes = [sme(1, 0), sme(2, 0), sme(3, 1)]
    layout = figures.RingLayout(SimpleNamespace(subs_by_market=subs, smes=smes))
    before = dict(layout.sme_xy)
    smes[0] = sme(4, 0)  # a leaver replaced in the same market: takes its place
    layout.sync(smes)
    assert layout.sme_xy[4] == before[1] and layout.sme_xy[2] == before[2] and 1 not in layout.sme_xy
    smes[1] = sme(5, 1)  # an entrant for the other market: joins that sector, leaves a gap here
    layout.sync(smes)
    assert layout.slots == [[4, None], [3, 5]] and layout.sme_xy[3] != before[3]
    assert set(layout.sme_xy) == {4, 3, 5}


# -- pages ------------------------------------------------------------------------------
def _classes(widget) -> set[str]:
    attributes = getattr(widget, "attributes", None) or {}
    text = " ".join(
        [getattr(widget, "class_", None) or "", attributes.get("class", ""), *getattr(widget, "_dom_classes", ())]
    )
    return set(text.split())


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", None) or ():
        if isinstance(child, ipywidgets.Widget):
            yield from _walk(child)


def find(root, cls: str, kind=ipywidgets.Widget) -> list:
    """Widgets under ``root`` with the CSS class ``cls`` (among others)."""
    return [w for w in _walk(root) if isinstance(w, kind) and cls in _classes(w)]


class Page:
    """A dashboard page in Solara's test renderer, with a handle on its session."""

    def __init__(self):
        self.box, self.rc, self.session = app.render_headless()

    @property
    def model(self):
        return self.session.model.value

    def texts(self, cls: str) -> list[str]:
        return [w.children[0] for w in find(self.box, cls, v.Html)]

    def click(self, label: str) -> None:
        self.rc.find(v.Btn, children=[label]).widget.click()

    def control(self, name: str):
        (control,) = find(self.box, f"control-{name}")
        return control

    def control_head(self, name: str) -> str:
        (head,) = find(self.control(name), "piggyback-control-head")
        return head.unsafe_innerHTML

    def set_control(self, name: str, value) -> None:
        (slider,) = [w for w in _walk(self.control(name)) if isinstance(w, v.Slider)]
        slider.v_model = value

    def image(self, name: str) -> bytes:
        (image,) = find(self.box, f"piggyback-{name}", ipywidgets.Image)
        return image.value


@pytest.fixture
def page():
    p = Page()
    yield p
    p.rc.close()


def test_page_shows_step_0_and_redraws_after_steps(page):
    assert page.texts("piggyback-status") == [app.status(page.model)]
    assert page.texts("piggyback-status")[0].startswith("Step 0 ")
    assert len(page.rc.find(ipywidgets.Image)) == len(app.VIEWS)
    shares = page.image("shares")
    for _ in range(3):
        page.click("Step")
    assert page.model.steps == 3
    assert page.texts("piggyback-status")[0].startswith("Step 3 ")
    assert page.image("shares") != shares


def test_a_redraw_without_change_draws_nothing(page, monkeypatch):
    """Drawing only what changed: a re-render with the model as it was repaints no figure."""
    drawn = []
    original = figures.Painter.render
    monkeypatch.setattr(figures.Painter, "render", lambda self, model: drawn.append(self) or original(self, model))
    page.session.redraw()
    assert drawn == []
    page.click("Step")
    assert {type(p).__name__ for p in drawn} >= {"NetworkPainter", "SeriesPainter"}


def test_two_sessions_are_independent():
    a, b = Page(), Page()
    try:
        assert a.model is not b.model
        for _ in range(3):
            a.click("Step")
        b.set_control("voice_cost", 1.2)
        assert (a.model.steps, b.model.steps) == (3, 0)
        vc = PARAMS["voice_cost"].default
        assert "1.2 utility" in b.control_head("voice_cost") and f"{vc:g} utility" in a.control_head("voice_cost")
        assert b.texts("piggyback-pending") == ["at Reset: voice cost"] and a.texts("piggyback-pending") == []
        b.click("Reset")
        assert b.model.p["voice_cost"] == 1.2 and a.model.p["voice_cost"] == vc
        assert a.texts("piggyback-status")[0].startswith("Step 3 ")
    finally:
        a.rc.close()
        b.rc.close()


def test_reset_to_defaults(page):
    page.set_control("n_smes", 40)
    page.click("Reset")
    assert page.model.p["n_smes"] == 40 and "voice cost" not in " ".join(page.texts("piggyback-pending"))
    assert "SMEs 40 firms" in page.texts("piggyback-running")[0]
    page.click("Step")
    page.click("Reset to defaults")
    assert page.model.p == PiggybackModel(rng=1).p and page.model.steps == 0
    assert page.texts("piggyback-running") == ["seed 1 · every parameter at its default"]
    assert "60 firms" in page.control_head("n_smes")


def test_a_bad_seed_is_reported_and_changes_nothing(page):
    page.rc.find(v.TextField, class_="piggyback-seed").widget.v_model = "abc"
    assert page.session.controls.value["seed"] == "abc"
    model = page.model
    page.click("Reset")
    assert page.model is model
    (error,) = find(page.box, "piggyback-error")
    assert "seed" in str([w.children for w in _walk(error)])


def _shown_step(page) -> int:
    return int(re.match(r"Step (\d+) ", page.texts("piggyback-status")[0]).group(1))


def test_play_runs_and_pause_stops(page):
    page.click("▶")
    deadline = time.monotonic() + 60
    while _shown_step(page) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    page.click("❚❚")
    time.sleep(0.5)  # a step under way when the pause came finishes
    shown = _shown_step(page)
    assert shown >= 3 and shown == page.model.steps
    time.sleep(0.5)
    assert page.model.steps == shown, "the model stepped on after the pause"


@pytest.mark.skipif(not app.HAS_SHOCK, reason="the version-2 model (PiggybackModel.shock) has not landed")
def test_shock_button_replaces_smes_and_restarts_a_settled_model(page):
    for _ in range(3):
        page.click("Step")
    model = page.model
    model.running = False  # as if stopped at settlement
    page.session.running.set(False)
    before = {s.unique_id for s in model.smes}
    page.click("Shock now")
    share = PARAMS["shock_share"].default
    replaced = len(before - {s.unique_id for s in model.smes})
    assert replaced == round(share * len(model.smes)) and model.shocks == [(3, replaced, "mixed")]
    assert model.running
    text = page.texts("piggyback-regime")[0]
    assert f"shock at step 3: {replaced} SMEs replaced by mixed entrants; regime before: " in text
    assert "back within noise after" in text or "not back yet" in text
    page.click("Step")
    assert model.steps == 4
