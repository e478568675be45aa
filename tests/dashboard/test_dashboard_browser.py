"""The dashboard in a real browser: ``solara run sim/dashboard/app.py`` on a free port, driven by headless Chromium.

Uses Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run`` with apt), never a
browser downloaded by Playwright. ``UPDATE_SCREENSHOT=1`` plays 120 steps (then, with the
version-2 model, gives a shock and plays 60 more) and saves the README's screenshot to
``docs/img/dashboard.png``; otherwise a few steps and a screenshot in pytest's tmp_path.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# without the background-networking flags Chromium's own connections are refused on a closed network
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
UPDATE = os.environ.get("UPDATE_SCREENSHOT") == "1"


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


@pytest.fixture
def dashboard(tmp_path):
    """The URL of a freshly started dashboard server; the server is always stopped afterwards."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing (Debian's chromium package; .ci/run installs it with apt)")
    pytest.importorskip("playwright.sync_api")
    import ipyvue

    vue2 = int(ipyvue.__version__.split(".")[0]) < 2
    assert vue2, "Mesa's SolaraViz renders blank with ipyvue 3: pin 'ipyvue<2' 'ipyvuetify<2' (mesa#3806)"
    # Solara's front end comes from a CDN; put it in Solara's cache from npm where the CDN is out of reach
    assets = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "solara_assets.py")], cwd=ROOT, capture_output=True, text=True
    )
    print(assets.stdout, assets.stderr)  # shown if the test fails: a blank page often means missing assets
    port = _free_port()
    log = tmp_path / "solara.log"
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


def _launch(p):
    return p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def _open(browser_or_context, url: str, errors: list[str]):
    """A page of the dashboard, its errors (uncaught or on the console) collected."""
    page = browser_or_context.new_page()
    page.set_viewport_size({"width": 1500, "height": 1100})
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.goto(url)
    return page


def _step_shown(page) -> int:
    return int(re.match(r"Step (\d+) ", page.locator(".piggyback-status").inner_text()).group(1))


def _play_until(page, step: int) -> None:
    from playwright.sync_api import expect

    if page.get_by_role("button", name="▶").count():
        page.get_by_role("button", name="▶").click()
    deadline = time.monotonic() + 300
    while _step_shown(page) < step and time.monotonic() < deadline:
        time.sleep(0.2)
    page.get_by_role("button", name="❚❚").click()
    expect(page.get_by_role("button", name="▶")).to_be_visible(timeout=30_000)


def test_controls_steps_shock_and_reset(dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    import sim.dashboard.app as app

    with sync_playwright() as p:
        browser = _launch(p)
        try:
            errors: list[str] = []
            page = _open(browser, dashboard, errors)
            status = page.locator(".piggyback-status")
            shares = page.locator("img.piggyback-shares")
            expect(status).to_have_text(re.compile(r"^Step 0 · "), timeout=90_000)
            expect(page).to_have_title(app.TITLE)
            expect(shares).to_be_visible(timeout=30_000)  # the initial state is drawn at step 0
            src = shares.get_attribute("src")

            # every control shows its value, unit and default; a change is marked and waits for Reset
            from sim.dashboard.controls import slider_step
            from sim.params import PARAMS

            vc = PARAMS["voice_cost"].default
            default_text, moved_text = f"{vc:g} utility", f"{vc + slider_step(PARAMS['voice_cost']):g} utility"
            voice = page.locator(".control-voice_cost")
            expect(voice.locator(".piggyback-label")).to_have_text("voice cost")
            expect(voice.locator(".piggyback-value")).to_have_text(default_text)
            expect(voice.locator(".piggyback-default")).to_have_text("default")
            expect(page.locator(".control-n_smes .piggyback-value")).to_have_text("60 firms")
            voice.locator("[role=slider]").press("ArrowRight")
            expect(voice.locator(".piggyback-value")).to_have_text(moved_text, timeout=30_000)
            expect(voice.locator(".piggyback-default")).to_have_text(f"default {default_text}")
            expect(page.locator(".piggyback-pending")).to_have_text("at Reset: voice cost")

            step = page.get_by_role("button", name="Step", exact=True)
            for i in range(1, 4):
                step.click()
                expect(status).to_have_text(re.compile(rf"^Step {i} · "), timeout=30_000)
            expect(shares).not_to_have_attribute("src", src, timeout=30_000)
            _play_until(page, 120 if UPDATE else 8)  # the pause is clicked while steps are drawn
            if app.HAS_SHOCK:
                shocked_at = _step_shown(page)
                page.get_by_role("button", name="Shock now").click()
                expect(page.locator(".piggyback-regime")).to_contain_text(f"shock at step {shocked_at}: ")
                page.get_by_role("button", name="▶").click()
                page.get_by_role("button", name="Shock now").click()  # a shock while playing
                _play_until(page, shocked_at + (60 if UPDATE else 10))
                expect(page.locator(".piggyback-regime")).to_contain_text("shock at step ")
            assert not errors, errors
            shot = ROOT / "docs" / "img" / "dashboard.png" if UPDATE else tmp_path / "dashboard.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))

            page.get_by_role("button", name="Reset", exact=True).click()
            expect(status).to_have_text(re.compile(r"^Step 0 · "), timeout=30_000)
            expect(page.locator(".piggyback-running")).to_have_text(f"seed 1 · voice cost {moved_text}")
            expect(page.locator(".piggyback-pending")).to_have_count(0)
            page.get_by_role("button", name="Reset to defaults").click()
            expect(voice.locator(".piggyback-value")).to_have_text(default_text, timeout=30_000)
            expect(page.locator(".piggyback-running")).to_have_text("seed 1 · every parameter at its default")
            assert not errors, errors
        finally:
            browser.close()


def test_two_sessions_are_independent(dashboard):
    """Two tabs of one browser (one cookie): each has its own model and controls."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = _launch(p)
        try:
            errors: list[str] = []
            context = browser.new_context()
            a, b = _open(context, dashboard, errors), _open(context, dashboard, errors)
            for page in (a, b):
                expect(page.locator(".piggyback-status")).to_have_text(re.compile(r"^Step 0 · "), timeout=90_000)
            for i in range(1, 4):
                a.get_by_role("button", name="Step", exact=True).click()
                expect(a.locator(".piggyback-status")).to_have_text(re.compile(rf"^Step {i} · "), timeout=30_000)
            b.locator(".control-n_smes [role=slider]").press("ArrowLeft")
            expect(b.locator(".control-n_smes .piggyback-value")).to_have_text("59 firms", timeout=30_000)
            b.get_by_role("button", name="Reset", exact=True).click()
            expect(b.locator(".piggyback-running")).to_have_text("seed 1 · SMEs 59 firms", timeout=30_000)

            b.reload()  # a reload is a new session too
            expect(b.locator(".piggyback-status")).to_have_text(re.compile(r"^Step 0 · "), timeout=90_000)
            expect(a.locator(".piggyback-status")).to_have_text(re.compile(r"^Step 3 · "))
            expect(a.locator(".control-n_smes .piggyback-value")).to_have_text("60 firms")
            expect(a.locator(".piggyback-running")).to_have_text("seed 1 · every parameter at its default")
            assert not errors, errors
        finally:
            browser.close()
