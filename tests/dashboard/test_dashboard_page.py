"""The dashboard's page in Solara's test renderer (no browser, no server): what it shows and what its buttons do."""

from __future__ import annotations

import json
import re
import time

import pytest

solara = pytest.importorskip("solara")

import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402

import sim.dashboard.app as app  # noqa: E402
from sim.dashboard import charts, texts  # noqa: E402
from sim.model import PiggybackModel  # noqa: E402
from sim.params import PARAMS  # noqa: E402


def test_front_end_is_vue2():
    assert app.VUE2, "Mesa's SolaraViz renders blank with ipyvue 3: pin 'ipyvue<2' 'ipyvuetify<2' (mesa#3806)"


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

    def __init__(self, query: str | None = None):
        self.box, self.rc, self.session = app.render_headless(query)

    @property
    def model(self):
        return self.session.model.value

    def html(self, cls: str) -> list[str]:
        """The HTML of the page's texts with the class ``cls`` (``solara.HTML`` widgets)."""
        return [w.unsafe_innerHTML for w in find(self.box, cls) if isinstance(getattr(w, "unsafe_innerHTML", None),
                                                                               str)]

    def text(self, cls: str) -> str:
        return " ".join(re.sub(r"<[^>]+>", "", h) for h in self.html(cls))

    def button(self, label: str):
        return self.rc.find(v.Btn, children=[label]).widget

    def click(self, label: str) -> None:
        self.button(label).click()

    def control(self, name: str):
        (control,) = find(self.box, f"control-{name}")
        return control

    def set_control(self, name: str, value) -> None:
        (slider,) = [w for w in _walk(self.control(name)) if isinstance(w, v.Slider)]
        slider.v_model = value

    def charts(self) -> dict[str, object]:
        views = [w for w in _walk(self.box) if "chart" in getattr(w, "keys", ()) and hasattr(w, "payload")]
        return {w.chart: w for w in views}

    def month(self) -> int:
        return int(re.match(r"Month (\d+) ", self.text("piggyback-status")).group(1))


@pytest.fixture
def page():
    p = Page()
    yield p
    p.rc.close()


def test_page_shows_month_0_and_every_chart_follows_the_steps(page):
    assert page.month() == 0 and set(page.charts()) == set(charts.ORDER)
    before = {name: view.payload for name, view in page.charts().items()}
    for _ in range(3):
        page.click("Step")
    assert page.model.steps == page.month() == 3
    views = page.charts()
    assert all(view.caption.startswith("month 3") for view in views.values())
    assert all(views[name].payload != before[name] for name in ("network", "shares", "means"))
    assert json.loads(views["shares"].payload)["rows"][-1]["step"] == 3


def test_the_introduction_and_the_glossary_are_on_the_page(page):
    html = " ".join(w.unsafe_innerHTML for w in _walk(page.box) if isinstance(getattr(w, "unsafe_innerHTML", None),
                                                                             str))
    assert "<svg" in html and 'id="pb-glossary"' in html
    linked = set(re.findall(r'href="#g-(\w+)"', html))
    defined = set(re.findall(r'<dt id="g-(\w+)">', html))
    assert linked and linked <= defined


def test_pending_changes_stand_beside_reset_and_go_after_it(page):
    page.set_control("voice_cost", PARAMS["voice_cost"].ui_range[1])
    assert "voice cost" in page.text("piggyback-pending") and "Reset will apply" in page.text("piggyback-pending")
    assert find(page.box, "pb-pending-bar")
    page.click("Reset")
    assert page.model.p["voice_cost"] == PARAMS["voice_cost"].ui_range[1]
    assert page.html("piggyback-pending") == [] and find(page.box, "pb-pending-bar") == []


def test_two_sessions_are_independent():
    a, b = Page(), Page()
    try:
        assert a.model is not b.model
        for _ in range(3):
            a.click("Step")
        b.set_control("voice_cost", 1.2)
        b.click("Reset")
        assert (a.model.steps, b.model.steps) == (3, 0)
        assert b.model.p["voice_cost"] == 1.2 and a.model.p["voice_cost"] == PARAMS["voice_cost"].default
    finally:
        a.rc.close()
        b.rc.close()


def test_reset_to_defaults(page):
    page.set_control("n_smes", 40)
    page.click("Reset")
    assert page.model.p["n_smes"] == 40
    page.click("Step")
    page.click("Reset to defaults")
    assert page.model.p == PiggybackModel(rng=1).p and page.model.steps == 0


def test_a_bad_seed_is_reported_and_changes_nothing(page):
    page.rc.find(v.TextField, class_="piggyback-seed").widget.v_model = "abc"
    model = page.model
    page.click("Reset")
    assert page.model is model
    (error,) = find(page.box, "piggyback-error")
    assert "seed" in str([w.children for w in _walk(error)])


def test_play_runs_and_pause_stops(page):
    page.click("▶")
    deadline = time.monotonic() + 60
    while page.month() < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    page.click("❚❚")
    time.sleep(0.5)  # a step under way when the pause came finishes
    shown = page.month()
    assert shown >= 3 and shown == page.model.steps
    time.sleep(0.5)
    assert page.model.steps == shown, "the model stepped on after the pause"


def test_a_shock_shows_at_once_in_every_panel(page):
    for _ in range(3):
        page.click("Step")
    page.click("Shock now")
    model, frame = page.model, page.session.frame.value
    assert model.shock_log[-1].step == 3 and frame.shock_now
    assert "Month 3 of" in page.text("piggyback-status") and "after the shock" in page.text("piggyback-status")
    assert f"{len(model.book.active)} contracts" in page.text("piggyback-status")
    assert all(view.caption.startswith("month 3, after the shock") for view in page.charts().values())
    assert len(json.loads(page.charts()["network"].payload)["edges"]) == len(model.book.active)
    assert "Shock at month 3 (given with the button)" in page.text("piggyback-shock-text")
    page.click("Step")
    assert model.steps == 4 and not page.session.frame.value.shock_now


def test_a_finished_run_says_so_refuses_a_shock_and_extends():
    p = Page("?max_steps=5")
    try:
        for _ in range(5):
            p.click("Step")
        assert p.button("Step").disabled and p.button("▶").disabled
        assert "reached its length (5 months)" in p.text("piggyback-stopped")
        assert p.button("Shock now").disabled and "Extend the run first" in p.text("piggyback-shock-refused")
        p.click("Extend by 250")
        assert p.model.max_steps == 255 and not p.button("Step").disabled
        p.click("Step")
        assert p.model.steps == 6 and p.month() == 6 and "of 255" in p.text("piggyback-status")
    finally:
        p.rc.close()


def test_a_scheduled_shock_beyond_the_run_is_refused_at_reset(page):
    page.set_control("max_steps", 100)
    page.session.controls.set({**page.session.controls.value, "shock_step": 150})
    assert "beyond the run length" in str([w.children for w in _walk(find(page.box, "piggyback-refusal")[0])])
    model = page.model
    page.click("Reset")
    assert page.model is model and "Not reset" in str(page.session.error.value)


def test_a_link_restores_the_run():
    first = Page("?seed=4&voice_cost=1.2&step=12&shock=6:0.5:domestic")
    try:
        model = first.model
        assert model.seed == 4 and model.p["voice_cost"] == 1.2 and model.steps == 12 and first.month() == 12
        assert [(s.step, s.intent, s.given) for s in model.shock_log] == [(6, "domestic", True)]
        assert first.session.controls.value["voice_cost"] == 1.2 and first.html("piggyback-pending") == []
        assert first.session.link() == "seed=4&voice_cost=1.2&shock=6:0.5:domestic&step=12"
        assert "Restored from the link" in str(first.session.notice.value)
    finally:
        first.rc.close()
    broken = Page("?voice_cost=lots")
    try:
        assert broken.model.steps == 0 and "could not be read" in str(broken.session.error.value)
    finally:
        broken.rc.close()


def test_texts_of_the_page_are_the_frames(page):
    frame = page.session.frame.value
    assert page.html("piggyback-status") == [texts.status(frame)]
    assert page.html("piggyback-regime") == [texts.regime_line(frame)]


def test_the_replicates_button_runs_the_settings_on_screen_in_a_thread():
    from sim.dashboard.replicates import REPLICATES

    page = Page("?max_steps=60&n_smes=20")
    try:
        label = f"Run {REPLICATES} replicates of these settings"
        page.set_control("voice_cost", PARAMS["voice_cost"].ui_range[1])  # waits for Reset: not in the settings
        assert "not in these settings" in page.text("piggyback-replicates-pending")
        page.click(label)
        deadline = time.monotonic() + 120
        while not page.html("piggyback-replicates") and time.monotonic() < deadline:
            time.sleep(0.05)
        line = page.text("piggyback-replicates")
        assert line.startswith(f"{REPLICATES} runs in "), line
        assert "replicates" in page.charts() and json.loads(page.charts()["replicates"].payload)["rows"]
        assert page.charts()["replicates"].caption == f"seed {page.model.seed} · {REPLICATES} replicates"
        page.click("Reset")  # the settings on screen change: the result says it is for earlier ones
        assert "For earlier settings" in page.text("piggyback-replicates-stale")
    finally:
        page.rc.close()
