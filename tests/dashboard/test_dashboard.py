"""The dashboard's parts without a page: controls, words (glossary, introduction, texts), the model as the dashboard
drives it, links, frames and charts. The page: test_dashboard_page.py; in a browser: test_dashboard_browser.py."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

pytest.importorskip("solara")
pytest.importorskip("altair")

import sim.dashboard.controls as ui
from sim.dashboard import charts, docs, glossary, intro, link, texts
from sim.dashboard import frame as frames
from sim.dashboard.panels import step_table
from sim.dashboard.session import MAX_BATCH, DashboardModel, Pace, why_not_reset, why_not_shock
from sim.model import PiggybackModel
from sim.palette import ACTION_COLOURS, QUADRANT_COLOURS
from sim.params import PARAMS
from sim.vocabulary import QUADRANTS, SUMMARY_KEYS


# -- controls ---------------------------------------------------------------------------------------------------
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
    assert ui.show(PARAMS["horizons"], (60, 120)) == "60, 120 months"
    assert ui.snap(PARAMS["voice_cost"], 0.6000000000000001) == 0.6
    assert ui.snap(PARAMS["n_smes"], 59.6) == 60


@pytest.mark.parametrize("name", list(PARAMS))
def test_a_control_line_carries_the_tables_meaning_unit_and_default(name):
    p = PARAMS[name]
    line = ui.head(p, p.default)
    assert f'title="{p.meaning}' in line.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
    assert ">default<" in line and "piggyback-changed" not in line
    if p.unit in glossary.UNITS:
        assert f'href="#g-{glossary.UNITS[p.unit]}"' in line  # the unit explained
    assert ("calibrated" in line) == (name in ui.calibrated())
    changed = {"bool": not p.default, "choice": (p.choices or ("",))[-1]}.get(p.kind, p.default)
    if p.kind in ("int", "float"):
        changed = p.ui_range[1] if p.ui_range[1] != p.default else p.ui_range[0]
    if changed != p.default and p.kind != "months":
        other = ui.head(p, changed, running=p.default)
        assert "piggyback-changed" in other and f"default {ui.show(p, p.default)}" in other and "at " in other


def test_every_unit_is_a_plain_word_or_in_the_glossary():
    units = {p.unit for p in PARAMS.values() if p.unit}
    assert units <= set(glossary.UNITS) | glossary.PLAIN_UNITS, units - set(glossary.UNITS) - glossary.PLAIN_UNITS


def test_calibrated_defaults_come_from_the_odd_record():
    marked = ui.calibrated()
    assert marked, "docs/ODD.md §9.1 names no recalibrated parameter"
    assert set(marked) <= set(PARAMS) and all(marked.values())
    section = ui.ODD.read_text(encoding="utf-8").split("### 9.1", 1)[1].split("\n### ", 1)[0]
    assert all(f"`{name}`" in section for name in marked)


def test_clamped_controls_show_and_use_the_value_in_use():
    controls = {**ui.initial_controls(), "n_markets": 1, "contracts_per_sme": 3}
    assert ui.in_use(controls) == {"contracts_per_sme": (1, "at most the host markets")}
    model = DashboardModel(rng=1, n_markets=1, contracts_per_sme=3)
    assert model.p["contracts_per_sme"] == 1
    clamp = ui.in_use(controls)["contracts_per_sme"]
    line = ui.head(PARAMS["contracts_per_sme"], 3, model.p["contracts_per_sme"], clamp)
    assert "→ 1 markets in use" in line and "at Reset" not in line  # nothing waits for Reset: it is in use
    assert [c[0] for c in ui.pending(controls, model)] == []  # so the reminder goes once Reset is pressed
    low = {**ui.initial_controls(), "comm_min": 0.8, "comm_max": 0.5}
    assert ui.in_use(low)["comm_min"][0] == 0.5 and why_not_reset(low) is None


def test_pending_lists_what_reset_will_change_from_and_to():
    model = DashboardModel(rng=1)
    controls = ui.initial_controls()
    assert ui.pending(controls, model) == []
    vc = PARAMS["voice_cost"]
    controls.update(voice_cost=vc.ui_range[1], seed="2")
    assert ui.pending(controls, model) == [(vc.label, ui.show(vc, vc.default), ui.show(vc, vc.ui_range[1])),
                                           ("seed", "1", "2")]
    controls["seed"] = ""
    assert ui.pending(controls, model)[-1] == ("seed", "1", "a new random one")
    controls.update(seed="1", shock_share=0.5)  # acts at once (the shock button), not at Reset
    assert [c[0] for c in ui.pending(controls, model)] == [vc.label]
    controls["shock_step"] = 100  # and at Reset, for a scheduled shock
    assert {c[0] for c in ui.pending(controls, model)} == {vc.label, PARAMS["shock_step"].label,
                                                           PARAMS["shock_share"].label}


def test_seed_box():
    assert ui.parse_seed(" 5 ") == 5 and ui.parse_seed("") is None and ui.parse_seed(None) is None
    for bad in ("five", "-3", "1.5", "1e3"):
        with pytest.raises(ValueError, match="seed: a whole number"):
            ui.parse_seed(bad)
    drawn = DashboardModel(rng="").seed  # random, but recorded: the run can be repeated
    assert DashboardModel(rng=str(drawn)).summary() == DashboardModel(rng=drawn).summary()


# -- words ------------------------------------------------------------------------------------------------------
def _terms(html: str) -> set[str]:
    return set(re.findall(r'href="#g-(\w+)"', html))


def test_the_issues_words_are_in_the_glossary():
    words = {"quadrant", "path", "drift", "window", "burn_in", "network", "lof", "log_odds", "z", "temperature",
             "utility", "exit", "voice", "loyalty", "locked", "contested", "regime", "resolved", "coexistence",
             "turnover", "calibrated"}
    assert words <= set(glossary.GLOSSARY)
    listed = set(re.findall(r'<dt id="g-(\w+)">', glossary.html()))
    assert listed == set(glossary.GLOSSARY)


def test_intro_explains_the_2x2_and_exit_voice_loyalty_drift_with_links():
    text = intro.text_html()
    for word in ("exit", "voice", "loyalty", "drift"):
        assert f'href="#g-{word}"' in text
    assert _terms(text) <= set(glossary.GLOSSARY)
    for path in intro.DOCS.values():
        assert f'href="?doc={path}"' in text and docs.resolve(path) is not None, path
    svg = intro.diagram_svg()
    assert svg.startswith("<svg") and all(q in svg for q in QUADRANTS)
    assert all(f"{p}: " in svg for p in "ABCD")


def test_the_2x2_is_drawn_as_the_experiments_path_figure():
    flows = pytest.importorskip("experiments.figures.paths")
    assert intro.QPOS == flows._QPOS and intro.S == flows._S and intro.PATH_ENDS == flows._PATH_ENDS


def test_documents_are_served_from_the_project_only():
    readme = docs.markdown("README.md")
    assert "data:image/png;base64," in readme or "not in this copy" in readme
    assert "](?doc=docs/ODD.md" in readme and "](docs/" not in readme  # links between documents stay here
    for bad in ("../etc/passwd", "pyproject.toml", "sim/model.py", "docs/../../README.md", "nothing.md"):
        assert docs.resolve(bad) is None, bad


# -- the model as the dashboard drives it -------------------------------------------------------------------------
def test_dashboard_model_runs_like_the_model():
    """The seed typed as text, the step-0 row and the shock log change nothing in the dynamics."""
    shown, plain = DashboardModel(rng="7"), PiggybackModel(rng=7)
    for _ in range(25):
        shown.step()
        plain.step()
    assert shown.summary() == plain.summary()
    assert shown.datacollector.model_vars["steps"] == list(range(26))
    assert PiggybackModel(rng=1).datacollector.model_vars.get("steps", []) == []  # sim.model is unchanged


def test_shocks_are_logged_given_or_scheduled():
    model = DashboardModel(rng=1, shock_step=3)
    for _ in range(4):
        model.step()
    model.give_shock(0.5, "domestic")
    assert [(s.step, s.given, s.intent) for s in model.shock_log] == [(3, False, PARAMS["shock_intent"].default),
                                                                        (4, True, "domestic")]
    assert model.shock_log[1].replaced == round(0.5 * len(model.smes))


def test_impossible_actions_are_refused_with_the_reason():
    model = DashboardModel(rng=1, max_steps=5)
    assert why_not_shock(model, 0.3) is None
    assert "replaces none" in why_not_shock(model, 0.001)
    model.run()
    assert model.steps == 5 and "reached its length" in why_not_shock(model, 0.3)
    controls = {**ui.initial_controls(), "shock_step": 600, "max_steps": 500}
    assert "beyond the run length" in why_not_reset(controls)
    assert "replace no SME" in why_not_reset({**controls, "shock_step": 100, "shock_share": 0.001})
    assert "seed" in why_not_reset({**ui.initial_controls(), "seed": "x"})
    assert why_not_reset(ui.initial_controls()) is None


def test_a_finished_run_is_extended_and_a_resolved_one_runs_on():
    model = DashboardModel(rng=1, max_steps=20)
    model.run()
    assert not model.running
    model.extend(30)
    assert model.running and model.max_steps == 50
    model.run()
    assert model.steps == 50
    resolved = DashboardModel(rng=2, initial_quadrant="Q1", max_steps=1000)
    resolved.run()
    assert resolved.resolved and resolved.steps < 1000 and not resolved.running
    resolved.extend(0)
    assert resolved.running
    resolved.step()
    assert resolved.running


def test_pace_keeps_the_speed_by_putting_several_steps_in_a_slow_frame():
    now = [0.0]
    pace = Pace(20, clock=lambda: now[0])
    assert pace.due() == 1
    assert pace.took(1) == pytest.approx(0.05)
    now[0] = 0.2  # a frame took 200 ms: three more steps are due besides the next
    assert pace.due() == 4
    pace.took(4)
    now[0] = 10.0  # a long stall: the debt is dropped, not caught up
    assert pace.due() == MAX_BATCH


# -- links ------------------------------------------------------------------------------------------------------
def test_a_link_restores_settings_seed_shocks_length_and_month():
    model = DashboardModel(rng=3, voice_cost=0.9, max_steps=40, horizons=(12, 24))
    for _ in range(10):
        model.step()
    model.give_shock(0.4, "international")
    model.run()
    model.extend(15)
    model.run()
    query = link.encode(model)
    assert query.startswith("seed=3&") and "voice_cost=0.9" in query and "shock=10:0.4:international" in query
    plan = link.decode("?" + query)
    again = DashboardModel(rng=plan.controls["seed"], **{k: v for k, v in plan.controls.items() if k != "seed"})
    link.replay(again, plan)
    assert again.steps == model.steps == 55 and again.summary() == model.summary()
    assert link.decode(link.encode(DashboardModel(rng=5))).controls == {"seed": "5"}


@pytest.mark.parametrize("bad", ["colour=red", "voice_cost=99", "shock=1:0.3:sideways", "step=-1", "n_smes=many"])
def test_a_bad_link_says_what_is_wrong(bad):
    with pytest.raises(ValueError):
        link.decode(bad)


# -- one state on screen ----------------------------------------------------------------------------------------
def test_a_frame_after_a_step_is_the_models_observation():
    model = DashboardModel(rng=1)
    memory = frames.Memory(model)
    for _ in range(12):
        model.step()
    f = frames.build(model, memory)
    assert f.step == 12 and f.contracts == model.contracts and not f.shock_now
    assert f.shares == pytest.approx({q: getattr(model, f"share_{q}") for q in QUADRANTS})
    assert len(f.charts["network"]["edges"]) == f.contracts
    assert [r["step"] for r in f.charts["shares"]["rows"]] == list(range(13))
    assert set(f.data) == set(charts.ORDER) and all(json.loads(f.data[n]) == f.charts[n] for n in charts.ORDER)


def test_after_a_shock_every_panel_shows_the_state_it_left():
    model = DashboardModel(rng=1)
    memory = frames.Memory(model)
    for _ in range(20):
        model.step()
    before = model.contracts
    model.give_shock(0.5, "international")
    f = frames.build(model, memory)
    assert f.shock_now and f.step == 20 and f.contracts == len(model.book.active) < before
    assert len(f.charts["network"]["edges"]) == f.contracts
    now = [b for b in f.charts["regime"]["bars"] if b["row"] == "contracts now"]
    assert sum(b["count"] for b in now) == f.contracts
    assert "Month 20 of" in texts.status(f) and "after the shock" in texts.status(f)
    assert f.regime_now is None and "not resolved yet after the shock at month 20" in texts.regime_line(f)
    assert f"{f.counts['shocked']} in shocks" in texts.status(f)


def test_turnover_is_counted_and_shown():
    model = DashboardModel(rng=1, sme_turnover=0.05)
    for _ in range(30):
        model.step()
    f = frames.build(model, frames.Memory(model))
    assert f.counts["departures"] == model.departures > 0 and f.counts["entrants"] == model.entrants
    assert f"{model.departures} SMEs left" in texts.status(f) and f"{model.entrants} entered" in texts.status(f)


def test_the_shock_line_and_the_regime_line_agree_in_words():
    model = DashboardModel(rng=2, initial_quadrant="Q1", max_steps=1200)
    memory = frames.Memory(model)
    model.run()
    f = frames.build(model, memory)
    assert f.resolved and f"resolved</a> at month {model.regime_step}" in texts.regime_line(f)
    assert "the rule holds now" in texts.regime_line(f) and texts.stopped(f).startswith("The run stopped")
    model.give_shock(0.3, "international")
    while model.running and not model.resolved:
        model.step()
    f = frames.build(model, memory)
    name = texts.regime_name(model.regime)
    assert name in texts.regime_line(f) and f"after the shock: {name}" in texts.shock_line(f)
    verdict = "the regime before the shock returned" if model.shock_returned else "not the regime before the shock"
    assert verdict in texts.shock_line(f)
    assert f"{model.regime_step - f.shock.step} months after the shock" in texts.regime_line(f)
    for html in (texts.status(f), texts.regime_line(f), texts.shock_line(f)):
        assert _terms(html) <= set(glossary.GLOSSARY)


def test_an_unresolved_run_at_its_length_says_so():
    model = DashboardModel(rng=1, max_steps=320, stop_on_settle=False)
    model.run()
    f = frames.build(model, frames.Memory(model))
    if not f.resolved:
        assert "unresolved" in texts.regime_line(f) and "Extend the run" in texts.regime_line(f)
    assert texts.stopped(f) == "The run has reached its length (320 months)."


# -- charts and what is kept ------------------------------------------------------------------------------------
def _named_data(spec) -> set[str]:
    return set(re.findall(r'"data": \{"name": "(\w+)"\}', json.dumps(spec)))


def test_every_chart_draws_the_datasets_its_frame_holds_in_the_palettes_colours():
    model = DashboardModel(rng=1)
    specs = charts.specs(model)
    f = frames.build(model, frames.Memory(model))
    assert list(specs) == list(charts.ORDER)
    for name, spec in specs.items():
        assert _named_data(spec) == set(f.charts[name]), name
        assert spec["config"]["axis"]["labelFontSize"] >= 12 and spec["width"] == "container"
    text = json.dumps(specs)
    assert all(c in text for c in QUADRANT_COLOURS.values()) and all(c in text for c in ACTION_COLOURS.values())
    assert '"orient": "bottom"' in text  # legends below the data
    assert all('"tooltip"' in json.dumps(s) for s in specs.values())  # hover values everywhere


def test_the_step_table_is_the_runs_datacollector():
    model = DashboardModel(rng=1)
    for _ in range(5):
        model.step()
    model.give_shock(0.3, "mixed")
    model.step()
    rows = list(csv.DictReader(io.StringIO(step_table(model).decode())))
    assert [int(r["steps"]) for r in rows] == list(range(7))
    assert set(SUMMARY_KEYS) <= set(rows[0]) and rows[5]["shock_replaced"] == str(model.shock_log[0].replaced)
    assert float(rows[-1]["share_Q1"]) == pytest.approx(model.share_Q1)
