"""Dashboard play speed: steps per second at the default population, in process and in headless Chromium.

    .venv/bin/python benchmarks/dashboard.py                  # in process, ~30 s
    .venv/bin/python benchmarks/dashboard.py --browser 20     # also 20 s of Play in Chromium: one session, then two
    .venv/bin/python benchmarks/dashboard.py --json           # also benchmarks/results/dashboard-<where>-<date>.json

Targets (issue 20): at least 15 steps per second in headless Chromium for one session and 8 for each of
two sessions at once, at the default population and the default speed (20 months per second).

Section 1, in process. The page (``sim.dashboard.app.render_headless``) is rendered by Solara's test
renderer and its Step button clicked, as a user would, ``--steps`` times: each click is one model
step, one frame (``sim.dashboard.frame.build``: every chart's rows, as JSON) and Solara's re-render
of the views (everything the server does per step except sending the widgets' new values over the
websocket). The same steps are then broken down into the model step and the frame. The steps per
second this allows, 1000 / (ms per click), is the in-process figure the browser's are set beside.

Section 2 (``--browser SECONDS``) serves the dashboard with ``solara run --production``, opens it in
Debian's Chromium (``/usr/bin/chromium``), once with one page and once with two pages at once (two
browser contexts: two sessions), presses Play on each (run on past the resolution, ``?stop_on_settle=
false&max_steps=2000``), and counts over the given time the months shown on each page (steps per
second), the status line's updates (frames per second; a frame may hold several steps when drawing
is slower than the speed) and, after the pause, the months the server had stepped (so that a page
lagging behind its server would show). End to end, with the browser on the same cores as the server
(in a classroom the browser runs on the students' machines).

Not a test: the machine is shared and noisy, so the script prints the load average beside the figures,
and the ratios that hold within one run (Chromium against in process; each of two sessions against one).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import conventions  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
QUERY = "?stop_on_settle=false&max_steps=2000"  # run on past the resolution, long enough for any measurement
COUNT_FRAMES = """() => { window.pbFrames = 0; new MutationObserver(() => window.pbFrames++).observe(
    document.querySelector('.piggyback-status'), {subtree: true, childList: true, characterData: true}); }"""


def in_process(steps: int) -> dict:
    import ipyvuetify as v
    import mesa

    from sim.dashboard import app, frame, link, session

    _box, rc, sess = app.render_headless(QUERY)
    try:
        step = rc.find(v.Btn, children=["Step"]).widget
        page_ms = []
        for _ in range(steps):
            start = time.perf_counter()
            step.click()
            page_ms.append(1000 * (time.perf_counter() - start))
        assert sess.model.value.steps == steps, f"the model stopped at step {sess.model.value.steps}"
        payload = sum(len(text) for text in sess.frame.value.data.values())
    finally:
        rc.close()

    # the same steps, broken down: the model, then the frame
    plan = link.decode(QUERY)
    model = session.DashboardModel(**plan.controls)
    memory = frame.Memory(model)
    model_ms, frame_ms = [], []
    for _ in range(steps):
        start = time.perf_counter()
        model.step()
        model_ms.append(1000 * (time.perf_counter() - start))
        start = time.perf_counter()
        frame.build(model, memory)
        frame_ms.append(1000 * (time.perf_counter() - start))
    page = statistics.mean(page_ms)
    return {
        "mesa": mesa.__version__,
        "steps": steps,
        "page_ms_per_step_mean": page,
        "page_ms_per_step_median": statistics.median(page_ms),
        "model_ms_per_step": statistics.mean(model_ms),
        "frame_ms_per_step": statistics.mean(frame_ms),
        "render_ms_per_step": page - statistics.mean(model_ms) - statistics.mean(frame_ms),
        "frame_json_kb_at_end": payload / 1000,
        "steps_per_s_limit": 1000 / page,
        "speed_set": session.SPEED,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _month(page) -> int:
    return int(re.match(r"Month (\d+) ", page.locator(".piggyback-status").inner_text()).group(1))


def play(browser, url: str, sessions: int, seconds: float) -> list[dict]:
    """``sessions`` pages playing at once for ``seconds``: steps and frames shown per second, and the server's."""
    from playwright.sync_api import expect

    pages = []
    for _ in range(sessions):
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.goto(url + QUERY)
        pages.append(page)
    for page in pages:
        expect(page.locator(".piggyback-status")).to_contain_text("Month 0 ", timeout=120_000)
        expect(page.locator(".pb-chart-network canvas")).to_be_visible(timeout=120_000)
    for page in pages:
        page.get_by_role("button", name="▶").click()
    time.sleep(3)  # past the start
    for page in pages:
        page.evaluate(COUNT_FRAMES)
    m0, t0 = [_month(p) for p in pages], time.perf_counter()
    time.sleep(seconds)
    m1, t1 = [_month(p) for p in pages], time.perf_counter()
    frames = [p.evaluate("window.pbFrames") for p in pages]
    for page in pages:
        page.get_by_role("button", name="❚❚").click()
    paused = time.perf_counter()
    time.sleep(3)  # the last frame arrives
    m2 = [_month(p) for p in pages]
    for page in pages:
        page.context.close()
    return [{"seconds": t1 - t0, "steps_shown": b - a, "steps_per_s": (b - a) / (t1 - t0),
             "frames_per_s": f / (t1 - t0), "server_steps_per_s": (c - a) / (paused - t0)}
            for a, b, c, f in zip(m0, m1, m2, frames)]


def in_browser(seconds: float) -> dict:
    from playwright.sync_api import sync_playwright

    subprocess.run([sys.executable, str(ROOT / "tools" / "solara_assets.py")], cwd=ROOT, capture_output=True)
    port = _free_port()
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    solara_bin = Path(sys.executable).with_name("solara")
    cmd = [str(solara_bin), "run", "sim/dashboard/app.py", "--host", "localhost", "--port", str(port), "--production"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}/"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                out = {"load_one": os.getloadavg()[0], "one": play(browser, url, 1, seconds)}
                out["load_two"] = os.getloadavg()[0]
                out["two"] = play(browser, url, 2, seconds)
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150, help="steps of the default model, in process")
    parser.add_argument("--browser", type=float, default=0, metavar="SECONDS", help="also play in Chromium")
    conventions.add_json_options(parser)
    args = parser.parse_args()
    json_path = conventions.json_target(args, "dashboard")
    out = {"machine": f"{platform.node()}, {os.cpu_count()} cores", "load_before": os.getloadavg()}
    out["in_process"] = r = in_process(args.steps)
    print(f"Mesa {r['mesa']}, {args.steps} steps of the default model, load average {out['load_before'][0]:.2f}")
    print(f"  in process, per Step click: {r['page_ms_per_step_mean']:.1f} ms mean, "
          f"{r['page_ms_per_step_median']:.1f} ms median (model {r['model_ms_per_step']:.2f} ms, frame "
          f"{r['frame_ms_per_step']:.1f} ms, Solara's render of the views {r['render_ms_per_step']:.1f} ms; "
          f"{r['frame_json_kb_at_end']:.0f} kB of chart rows at the end)")  # fmt: skip
    print(f"  in process: at most {r['steps_per_s_limit']:.1f} steps/s, one frame a step "
          f"(the page plays at {r['speed_set']} months per second by default)")  # fmt: skip
    if args.browser:
        out["browser"] = b = in_browser(args.browser)
        one, two = b["one"][0], b["two"]
        print(f"  in Chromium, one session (load {b['load_one']:.1f}): {one['steps_per_s']:.1f} steps/s shown, "
              f"{one['frames_per_s']:.1f} frames/s, server {one['server_steps_per_s']:.1f} steps/s "
              f"(target ≥ 15)")  # fmt: skip
        print(f"  in Chromium, two sessions at once (load {b['load_two']:.1f}): "
              + ", ".join(f"{s['steps_per_s']:.1f}" for s in two) + " steps/s shown, "
              + ", ".join(f"{s['frames_per_s']:.1f}" for s in two) + " frames/s (target ≥ 8 each)")  # fmt: skip
        b["ratios"] = {
            "one_session_over_in_process_limit": one["steps_per_s"] / r["steps_per_s_limit"],
            "one_session_over_speed_set": one["steps_per_s"] / r["speed_set"],
            "two_sessions_each_over_one": [s["steps_per_s"] / one["steps_per_s"] for s in two],
        }
        print("  ratios: Chromium one session / in-process limit {:.2f}; / speed set {:.2f}; each of two / one "
              "{}".format(b["ratios"]["one_session_over_in_process_limit"], b["ratios"]["one_session_over_speed_set"],
                          ", ".join(f"{x:.2f}" for x in b["ratios"]["two_sessions_each_over_one"])))
    out["load_after"] = os.getloadavg()
    print(f"load average after: {out['load_after'][0]:.2f}")
    conventions.write(json_path, {**out, "measured": conventions.provenance()}, args.overwrite)


if __name__ == "__main__":
    main()
