"""Dashboard play speed: steps per second at the default population (target: at least 10).

    .venv/bin/python benchmarks/dashboard.py                 # in process, ~1 min
    .venv/bin/python benchmarks/dashboard.py --browser 20    # also 20 s of Play in headless Chromium
    .venv/bin/python benchmarks/dashboard.py --json          # also results/dashboard-<interpreter>-<date>.json

Section 1, in process. The page (``sim.dashboard.app.Page``) is rendered by Solara's test renderer and
its Step button clicked, as a user would, ``--steps`` times: each click is one model step,
a frame of every view whose picture changed, and Solara's re-render of the page (everything
the server does per step except sending the widgets' new values over the websocket). The
same steps are then broken down into the model step and each view's frame, and compared
within this one run with drawing every figure afresh on each step (a full matplotlib draw
of a new figure, as the dashboard did before commit 23dba64; it also paid ``bbox_inches="tight"``,
a second draw, so the ratio is a lower bound). Steps per second while playing are
1000 / max(play interval, ms per step).

Section 2 (``--browser SECONDS``) serves the dashboard with ``solara run``, opens it in
Debian's Chromium (``/usr/bin/chromium``), presses Play and counts the steps shown over the
given time: end to end, with the browser on the same 2 cores as the server (in a classroom
the browser runs on the students' machines).

Not a test: the machine is shared and noisy, so the script prints the load average beside
the figures. Set MPLBACKEND=Agg if no display.
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


def in_process(steps: int, afresh_steps: int) -> dict:
    import ipyvuetify as v
    import mesa

    import sim.dashboard.app as app

    _box, rc, session = app.render_headless()
    try:  # the defaults, run on past settlement
        session.controls.set({**session.controls.value, "stop_on_settle": False})
        session.reset()
        step = rc.find(v.Btn, children=["Step"]).widget
        page_ms = []
        for _ in range(steps):
            start = time.perf_counter()
            step.click()
            page_ms.append(1000 * (time.perf_counter() - start))
        model = session.model.value
        assert model.steps == steps, f"the model stopped at step {model.steps}"
    finally:
        rc.close()

    # the same steps, broken down: the model, then each view's frame when its picture changed
    model = app.DashboardModel(**app.model_kwargs({**app.ui.initial_controls(), "stop_on_settle": False}))
    painters = {name: (make(model), changed) for name, (make, changed) in app.VIEWS.items()}
    last = {name: None for name in painters}
    model_ms, view_ms = [], {name: [] for name in painters}
    for name, (painter, changed) in painters.items():
        painter.render(model)
        last[name] = changed(model)
    for _ in range(steps):
        start = time.perf_counter()
        model.step()
        model_ms.append(1000 * (time.perf_counter() - start))
        for name, (painter, changed) in painters.items():
            start = time.perf_counter()
            if changed(model) != last[name]:
                painter.render(model)
                last[name] = changed(model)
            view_ms[name].append(1000 * (time.perf_counter() - start))

    # every figure afresh, on the following steps
    afresh_ms = []
    for _ in range(afresh_steps):
        model.step()
        start = time.perf_counter()
        for make, _changed in app.VIEWS.values():
            make(model).render(model)
        afresh_ms.append(1000 * (time.perf_counter() - start))
    blit_ms = [sum(ms[i] for ms in view_ms.values()) for i in range(steps)]

    page = statistics.mean(page_ms)
    return {
        "mesa": mesa.__version__,
        "steps": steps,
        "page_ms_per_step_mean": page,
        "page_ms_per_step_median": statistics.median(page_ms),
        "steps_per_s_playing": 1000 / max(app.PLAY_INTERVAL, page),
        "steps_per_s_limit_no_interval": 1000 / page,
        "model_ms_per_step": statistics.mean(model_ms),
        "views_ms_per_step": {name: statistics.mean(ms) for name, ms in view_ms.items()},
        "drawing_ms_per_step": statistics.mean(blit_ms),
        "drawing_afresh_ms_per_step": statistics.mean(afresh_ms),
        "afresh_over_blitting": statistics.mean(afresh_ms) / statistics.mean(blit_ms),
        "play_interval_ms": app.PLAY_INTERVAL,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def in_browser(seconds: float) -> dict:
    from playwright.sync_api import expect, sync_playwright

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
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            status = page.locator(".piggyback-status")
            expect(status).to_have_text(re.compile(r"^Step 0 "), timeout=120_000)
            stop = page.locator(".control-stop_on_settle")  # run on past settlement, as in section 1
            stop.locator("[role=switch]").click(force=True)
            expect(stop.locator(".piggyback-value")).to_have_text("off")
            page.get_by_role("button", name="Reset", exact=True).click()
            expect(page.locator(".piggyback-running")).to_contain_text("stop at settlement off")

            def shown() -> int:
                return int(re.match(r"Step (\d+)", status.inner_text()).group(1))

            page.get_by_role("button", name="▶").click()
            time.sleep(2)  # past the start
            s0, t0 = shown(), time.perf_counter()
            time.sleep(seconds)
            s1, t1 = shown(), time.perf_counter()
            page.get_by_role("button", name="❚❚").click()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"seconds": t1 - t0, "steps_shown": s1 - s0, "steps_per_s_end_to_end": (s1 - s0) / (t1 - t0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150, help="steps of the default model")
    parser.add_argument("--afresh-steps", type=int, default=10, help="steps drawn afresh for the comparison")
    parser.add_argument("--browser", type=float, default=0, metavar="SECONDS", help="also play in Chromium")
    conventions.add_json_options(parser)
    args = parser.parse_args()
    json_path = conventions.json_target(args, "dashboard")
    out = {"machine": f"{platform.node()}, {os.cpu_count()} cores", "load_before": os.getloadavg()}
    out["in_process"] = r = in_process(args.steps, args.afresh_steps)
    print(f"Mesa {r['mesa']}, {args.steps} steps of the default model, load average {out['load_before'][0]:.2f}")
    print(f"  page (model + frames + Solara render), per step: {r['page_ms_per_step_mean']:.1f} ms mean, "
          f"{r['page_ms_per_step_median']:.1f} ms median")  # fmt: skip
    print(f"  model step: {r['model_ms_per_step']:.2f} ms; frames: {r['drawing_ms_per_step']:.1f} ms ("
          + ", ".join(f"{k} {v:.1f}" for k, v in r["views_ms_per_step"].items()) + ")")  # fmt: skip
    print(f"  every figure afresh instead: {r['drawing_afresh_ms_per_step']:.1f} ms "
          f"({r['afresh_over_blitting']:.1f}× the frames)")  # fmt: skip
    print(f"  playing at the default interval ({r['play_interval_ms']} ms): {r['steps_per_s_playing']:.1f} steps/s "
          f"(without interval: {r['steps_per_s_limit_no_interval']:.1f})")  # fmt: skip
    if args.browser:
        out["browser"] = b = in_browser(args.browser)
        print(f"  in Chromium, end to end: {b['steps_shown']} steps in {b['seconds']:.1f} s = "
              f"{b['steps_per_s_end_to_end']:.1f} steps/s")  # fmt: skip
    out["load_after"] = os.getloadavg()
    print(f"load average after: {out['load_after'][0]:.2f}")
    conventions.write(json_path, {**out, "measured": conventions.provenance()}, args.overwrite)


if __name__ == "__main__":
    main()
