"""The dashboard in a real browser: ``solara run sim/app.py`` on a free port, driven by headless Chromium.

Uses Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run`` with apt), never a
browser downloaded by Playwright. ``UPDATE_SCREENSHOT=1`` runs 30 steps and saves the
README's screenshot to ``docs/img/dashboard.png``; otherwise 3 steps and a screenshot in
pytest's tmp_path.
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

ROOT = Path(__file__).resolve().parents[1]
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
    cmd = [str(solara_bin), "run", "sim/app.py", "--host", "localhost", "--port", str(port), "--production"]
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


def test_step_redraws_the_shares_and_reset_restarts(dashboard, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    n_steps = 30 if UPDATE else 3
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(dashboard)
            status = page.locator(".piggyback-status")
            shares = page.locator(".piggyback-shares img")
            expect(status).to_have_text(re.compile(r"^Step 0 · "), timeout=90_000)
            expect(shares).to_be_visible(timeout=30_000)
            src, png = shares.get_attribute("src"), shares.screenshot()

            step = page.get_by_role("button", name="Step", exact=True)
            for i in range(1, n_steps + 1):
                step.click()
                expect(status).to_have_text(re.compile(rf"^Step {i} · "), timeout=30_000)

            expect(shares).not_to_have_attribute("src", src, timeout=30_000)
            assert shares.screenshot() != png, "the share plot looks the same after stepping"
            assert not errors, errors
            shot = ROOT / "docs" / "img" / "dashboard.png" if UPDATE else tmp_path / "dashboard.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))

            page.get_by_role("button", name="Reset").click()  # Mesa 3.5's Reset passes a scenario
            expect(status).to_have_text(re.compile(r"^Step 0 · "), timeout=30_000)
            assert not errors, errors
        finally:
            browser.close()
