"""The dashboard in a real browser: ``solara run sim/dashboard/app.py --production`` on a free port, driven by headless
Chromium: acting and being told why not (issue 20, item 2), one state on screen after a shock (item 3), keeping the
run (item 5: its table, a chart as PNG and SVG, a link that restores it, a reload that does too).

Uses Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run`` with apt), never a browser downloaded by
Playwright. ``UPDATE_SCREENSHOT=1`` also plays a run with a shock and saves the README's screenshots in
``docs/img/`` (1440×900, 1024×768 and a phone's 390×844).
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# without the background-networking flags Chromium's own connections are refused on a closed network
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
UPDATE = os.environ.get("UPDATE_SCREENSHOT") == "1"
WAIT = 30_000  # ms for an answer from the page (the machine is shared)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"solara exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"solara did not answer on {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """The URL of a dashboard server started for this module; always stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing (Debian's chromium package; .ci/run installs it with apt)")
    pytest.importorskip("playwright.sync_api")
    # Solara's front end and Vega come from a CDN; put them in Solara's cache from npm where the CDN is out of reach
    assets = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "solara_assets.py")], cwd=ROOT, capture_output=True, text=True
    )
    print(assets.stdout, assets.stderr)  # shown if the test fails: a blank page often means missing assets
    port = _free_port()
    log = tmp_path_factory.mktemp("solara") / "solara.log"
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # also when not installed
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": path}
    solara_bin = Path(sys.executable).with_name("solara")
    cmd = [str(solara_bin), "run", "sim/dashboard/app.py", "--host", "localhost", "--port", str(port), "--production"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://localhost:{port}/"
        _wait_until_up(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser_or_context, url: str, errors: list[str], size=(1440, 900)):
    """A page of the dashboard at ``url``, its errors (uncaught or on the console) collected."""
    from playwright.sync_api import expect

    page = browser_or_context.new_page()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.goto(url)
    expect(page.locator(".piggyback-status")).to_contain_text("Month ", timeout=120_000)
    expect(page.locator(".pb-chart-network canvas")).to_be_visible(timeout=60_000)  # Vega drew
    return page


def _month(page) -> int:
    return int(re.match(r"Month (\d+) ", page.locator(".piggyback-status").inner_text()).group(1))


def _play_until(page, month: int) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    start = _month(page)
    page.get_by_role("button", name="▶").click()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # ❚❚ may not be drawn yet, or gone already: the month decides
        now = _month(page)
        if now >= month or (now > start and not page.get_by_role("button", name="❚❚").count()):
            break
        time.sleep(0.2)
    try:  # at the run's end play stops by itself, and ❚❚ may turn into ▶ under the click
        page.get_by_role("button", name="❚❚").click(timeout=3000)
    except PlaywrightTimeout:
        pass
    expect(page.get_by_role("button", name="▶")).to_be_visible(timeout=WAIT)


def _download(page, locator) -> bytes:
    with page.expect_download(timeout=WAIT) as info:
        locator.click()
    return Path(info.value.path()).read_bytes()


def test_act_at_once_or_say_why_one_state_and_keep_the_run(dashboard, browser, tmp_path):
    from playwright.sync_api import expect

    from sim.dashboard.controls import show, slider_step
    from sim.params import PARAMS

    errors: list[str] = []
    page = _open(browser, dashboard + "?max_steps=60&n_markets=1", errors)
    status, pending = page.locator(".piggyback-status"), page.locator(".piggyback-pending")
    expect(status).to_contain_text("Month 0 of 60 ")

    # (2) a clamped control shows the value in use, and nothing waits for Reset because of it
    page.get_by_role("button", name="More parameters").click()
    expect(page.locator(".control-contracts_per_sme .piggyback-clamped")).to_contain_text("→ 1 markets in use")
    expect(pending).to_have_count(0)
    # (2) a change waits for Reset, and says so beside it, from what to what
    vc = PARAMS["voice_cost"]
    page.locator(".control-voice_cost [role=slider]").press("ArrowRight")
    moved = show(vc, round(vc.default + slider_step(vc), 6))
    expect(pending).to_contain_text(f"voice cost: {show(vc, vc.default)} → {moved}", timeout=WAIT)
    expect(page.locator(".pb-pending-bar")).to_contain_text("1 change wait for Reset")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(pending).to_have_count(0, timeout=WAIT)
    expect(page.locator(".piggyback-running")).to_contain_text(f"voice cost {moved}")

    # (2) a run at its length says so, refuses a shock with the reason, and can be extended
    _play_until(page, 60)
    expect(status).to_contain_text("Month 60 of 60 ")
    expect(page.locator(".piggyback-stopped")).to_contain_text("reached its length (60 months)")
    expect(page.get_by_role("button", name="▶")).to_be_disabled()
    expect(page.get_by_role("button", name="Shock now")).to_be_disabled()
    expect(page.locator(".piggyback-shock-refused")).to_contain_text("Extend the run first")
    page.get_by_role("button", name="Extend by 250").click()
    expect(page.get_by_role("button", name="Step", exact=True)).to_be_enabled(timeout=WAIT)
    page.get_by_role("button", name="Step", exact=True).click()
    expect(status).to_contain_text("Month 61 of 310 ", timeout=WAIT)
    # (2) a scheduled shock beyond the run length: the reason beside Reset, and Reset refused
    page.locator(".control-shock_step [role=slider]").press("End")
    expect(page.locator(".piggyback-refusal")).to_contain_text("beyond the run length (60 months)", timeout=WAIT)
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.locator(".piggyback-error")).to_contain_text("Not reset", timeout=WAIT)
    expect(status).to_contain_text("Month 61 of 310 ")
    page.locator(".control-shock_step [role=slider]").press("Home")
    expect(page.locator(".piggyback-refusal")).to_have_count(0, timeout=WAIT)

    # (3) after a shock every panel shows the same moment, and the lines agree in words
    page.get_by_role("button", name="Shock now").click()
    expect(status).to_contain_text("Month 61 of 310, after the shock · ", timeout=WAIT)
    contracts = re.search(r"· (\d+) contracts", status.inner_text()).group(1)
    expect(page.locator(".pb-chart-network .pb-vega-step")).to_have_text(f"month 61, after the shock · {contracts} "
                                                                         "contracts")
    for caption in page.locator(".pb-vega-step").all():  # a chart out of sight takes its rows when it comes into sight
        caption.scroll_into_view_if_needed()
        expect(caption).to_contain_text("month 61, after the shock")
    replaced = round(PARAMS["shock_share"].default * PARAMS["n_smes"].default)
    expect(page.locator(".piggyback-shock-text")).to_contain_text(f"Shock at month 61 (given with the button): "
                                                                  f"{replaced} of {PARAMS['n_smes'].default} SMEs")
    expect(page.locator(".piggyback-shock-text")).to_contain_text("Long-run regime after the shock: not resolved yet")
    expect(page.locator(".piggyback-regime")).to_contain_text("not resolved yet after the shock at month 61")
    expect(status).to_contain_text(f"({replaced} in shocks)")  # turnover counted, shocks apart

    # (5) the run's table, a chart as PNG and as SVG, a link that restores the run, and a reload that does too
    table = list(csv.DictReader(io.StringIO(_download(page, page.get_by_text("The run's table (CSV)")).decode())))
    assert [int(r["steps"]) for r in table] == list(range(62)) and table[-1]["shock_replaced"] == str(replaced)
    assert _download(page, page.locator(".pb-chart-shares .pb-save-png")).startswith(b"\x89PNG")
    assert b"<svg" in _download(page, page.locator(".pb-chart-network .pb-save-svg"))[:400]
    link = page.locator(".pb-link-url").input_value()
    assert "step=61" in link and "shock=61:" in link and "length=310" in link and "voice_cost=" in link
    assert page.url == link  # the address bar keeps it
    shown = status.inner_text()
    again = _open(browser, link, errors)
    expect(again.locator(".piggyback-status")).to_have_text(shown, timeout=WAIT)
    expect(again.locator(".piggyback-running")).to_have_text(page.locator(".piggyback-running").inner_text())
    expect(again.locator(".control-voice_cost .piggyback-value")).to_have_text(moved)
    page.reload()
    expect(page.locator(".piggyback-status")).to_have_text(shown, timeout=120_000)

    # the glossary is one click from a technical word
    page.locator(".piggyback-regime .pb-term").first.click()
    expect(page.locator("#g-regime")).to_be_in_viewport(timeout=WAIT)
    assert not errors, errors


def test_two_sessions_are_independent(dashboard, browser):
    """Two tabs of one browser (one cookie): each has its own model and controls; a reload keeps its own run."""
    from playwright.sync_api import expect

    errors: list[str] = []
    context = browser.new_context()
    a, b = _open(context, dashboard, errors), _open(context, dashboard, errors)
    for i in range(1, 4):
        a.get_by_role("button", name="Step", exact=True).click()
        expect(a.locator(".piggyback-status")).to_contain_text(f"Month {i} of", timeout=WAIT)
    b.locator(".control-n_smes [role=slider]").press("ArrowLeft")
    b.get_by_role("button", name="Reset", exact=True).click()
    expect(b.locator(".piggyback-running")).to_have_text("seed 1 · SMEs 59 firms", timeout=WAIT)
    b.reload()
    expect(b.locator(".piggyback-running")).to_have_text("seed 1 · SMEs 59 firms", timeout=120_000)
    expect(a.locator(".piggyback-status")).to_contain_text("Month 3 of")
    expect(a.locator(".piggyback-running")).to_have_text("seed 1 · every parameter at its default")
    assert not errors, errors


def test_the_replicates_button_shows_the_regimes_frequencies(dashboard, browser):
    """Issue 21, item 6: one click runs 100 replicates of the run on screen and shows the regimes' frequencies."""
    from playwright.sync_api import expect

    errors: list[str] = []
    page = _open(browser, dashboard + "?max_steps=300&n_smes=20", errors)
    page.get_by_role("button", name="Run 100 replicates of these settings").click()
    line = page.locator(".piggyback-replicates")
    expect(line).to_contain_text(re.compile(r"^100 runs in \d+\.\d s: "), timeout=120_000)
    chart = page.locator(".pb-chart-replicates")
    chart.scroll_into_view_if_needed()
    expect(chart.locator("canvas")).to_be_visible(timeout=WAIT)
    expect(chart.locator(".pb-vega-step")).to_contain_text("100 replicates")
    assert not errors, errors


@pytest.mark.skipif(not UPDATE, reason="UPDATE_SCREENSHOT=1 refreshes the README's screenshots")
def test_update_screenshots(dashboard, browser):
    from playwright.sync_api import expect

    errors: list[str] = []
    out = ROOT / "docs" / "img"
    page = _open(browser, dashboard, errors)
    page.screenshot(path=str(out / "dashboard-intro.png"))
    _play_until(page, 120)
    page.get_by_role("button", name="Shock now").click()
    _play_until(page, 200)
    page.get_by_role("button", name="Hide the introduction").click()
    expect(page.locator(".pb-intro")).to_have_count(0)
    page.mouse.move(1100, 700)  # a hover value on the shares
    page.screenshot(path=str(out / "dashboard.png"))
    link = page.locator(".pb-link-url").input_value()
    for size, name in (((1024, 768), "dashboard-1024.png"), ((390, 844), "dashboard-phone.png")):
        small = _open(browser, link, errors, size=size)
        small.get_by_role("button", name="Hide the introduction").click()
        small.locator(".pb-views").scroll_into_view_if_needed()
        small.screenshot(path=str(out / name))
    assert not errors, errors
