"""Put the browser assets the dashboard needs into Solara's CDN cache, from the npm registry.

Solara's server fetches its front end (Vuetify app, RequireJS, Font Awesome, the grid
layout) from a public CDN on first use and caches it in ``solara.server.settings.assets.
proxy_cache_dir``. Where that CDN is out of reach (CI, closed networks) the page stays
blank; the same files are the npm packages, which ``npm pack`` fetches. Run before
``solara run``: ``python tools/solara_assets.py``. Packages already cached are skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import ipyvue
import solara
from solara.server.settings import assets

SPEC = re.compile(r"((?:@[\w-]+/)?[\w.-]+)@(\d+\.\d+\.\d+[\w.-]*)/")
DASHBOARD = Path(__file__).resolve().parents[1] / "sim" / "dashboard"  # its Vue components load Vega from the CDN


def needed() -> list[str]:
    """The ``name@version`` packages the server page, the grid layout (read from Solara) and the dashboard's
    own Vue components load."""
    root = Path(solara.__file__).parent
    vue3 = ipyvue.__version__.startswith("3")
    texts = [
        (root / "server/templates/solara.html.j2").read_text(),
        (root / ("widgets/vue/gridlayout_v3.vue" if vue3 else "widgets/vue/gridlayout.vue")).read_text(),
        assets.fontawesome_path.lstrip("/"),
        *(vue.read_text() for vue in sorted(DASHBOARD.glob("*.vue"))),
    ]
    app = "@widgetti/solara-vuetify3-app" if vue3 else "@widgetti/solara-vuetify-app"
    specs = {f"{n}@{v}" for text in texts for n, v in SPEC.findall(text)}
    return sorted(s for s in specs if not s.startswith("@widgetti/solara-vuetify") or s.startswith(app + "@"))


def ensure(cache: Path | None = None) -> list[str]:
    """Unpack every needed package missing from the cache; return those fetched."""
    cache = Path(cache or assets.proxy_cache_dir)
    fetched = []
    for spec in needed():
        target = cache / spec
        if target.is_dir() and any(target.iterdir()):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                ["npm", "pack", spec, "--pack-destination", tmp, "--silent"],
                check=True, capture_output=True, text=True,
            ).stdout.split()[-1]  # fmt: skip
            staging = Path(tmp) / "unpacked"
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(staging, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            shutil.move(staging / "package", target)
        fetched.append(spec)
    return fetched


if __name__ == "__main__":
    if shutil.which("npm") is None:
        sys.exit("solara_assets: npm not found; Solara will fetch its assets from the CDN instead")
    for spec in ensure():
        print(f"solara_assets: cached {spec}")
