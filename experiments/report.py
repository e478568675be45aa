"""The reports over results folders: ``report.html``, one page per experiment with its description, how it was
run (the manifest's facts), every figure in the folder with its caption (from the figure's module), the
per-point tables and the full manifest; and ``results/INDEX.md``, the run facts of the shipped experiments.
Figures are linked (the report sits beside them), so the page is small and always shows the current figures.
Deterministic: the same folder gives the same bytes (no time of writing)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from experiments.analysis import summary as summary_table
from experiments.definition import models
from experiments.figures import discovery, registry
from experiments.storage.atomic import atomic_write_text, read_json
from experiments.storage.layout import MANIFEST

REPORT = "report.html"
INDEX = "INDEX.md"
_CSS = """body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.15rem .4rem;
text-align:right}th{background:#f3f3f3}figure{margin:1.5rem 0}img{max-width:100%}figcaption{font-size:.9rem;
color:#444}.warn{color:#b00000}pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;font-size:.75rem}
dt{font-weight:bold}dd{margin:0 0 .3rem 1rem}"""


def _table(df: pd.DataFrame, max_rows: int = 60) -> str:
    shown = df.head(max_rows)
    out = shown.to_html(index=False, float_format=lambda v: f"{v:.3g}", na_rep="", border=0)
    if len(df) > max_rows:
        out += f"<p>… {len(df) - max_rows} more rows in the CSV file.</p>"
    return out


def _facts(m: dict) -> str:
    git = m.get("git", {})
    dirty = git.get("dirty")
    runs = m.get("runs", {})
    exp = m.get("experiment", {})
    rows = [
        ("design", f"{exp.get('design')} over {', '.join(m.get('design', {}).get('names', [])) or '—'}: "
                   f"{len(m.get('design', {}).get('points', []))} points × {exp.get('replicates')} replicates"),
        ("runs", f"{runs.get('done')} done ({m.get('status')}), "
                 f"{runs.get('failed_unresolved', 0)} unresolved failures"),
        ("seeds", f"root entropy {m.get('root_entropy')}; {m.get('seeding', '')}"),
        ("code", f"commit {git.get('commit')}" + (" <span class='warn'>(uncommitted changes)</span>" if dirty
                                                  else " (clean)" if dirty is False else "")),
        ("model", f"{m.get('model')} (fingerprint {m.get('model_fingerprint')})"),
        ("engine", ", ".join(f"{k} {v}" for k, v in (m.get("engine") or {"engine": "not recorded"}).items())),
        ("software", ", ".join(f"{k} {v}" for k, v in m.get("versions", {}).items() if k != "platform")),
        ("finished", str(m.get("finished"))),
    ]
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v if k == 'code' else html.escape(str(v))}</dd>" for k, v in rows) \
        + "</dl>"


def _figures(directory: Path) -> str:
    captions = registry.captions()
    parts = []
    for png in sorted(directory.glob("*.png")):
        stem = png.stem
        key = stem.split("_p")[0] if "_p" in stem and stem.rsplit("_p", 1)[-1].isdigit() else stem
        caption = captions.get(key, discovery.CAPTION if key.startswith("discovery_") else "")
        pdf = png.with_suffix(".pdf")
        link = f" (<a href='{html.escape(pdf.name)}'>PDF</a>)" if pdf.exists() else ""
        parts.append(f"<figure><img src='{html.escape(png.name)}' alt='{html.escape(stem)}'>"
                     f"<figcaption><b>{html.escape(stem)}</b>: {html.escape(caption)}{link}</figcaption></figure>")
    return "".join(parts) or "<p>No figures yet: <code>python -m experiments plot NAME</code>.</p>"


def write(directory: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write ``<directory>/report.html`` atomically from the folder's manifest, figures and ``tables`` (the
    saved tables, by name); returns its path."""
    directory = Path(directory)
    if not (directory / MANIFEST).exists():
        raise ValueError(f"{directory}: no {MANIFEST}; not a results folder (run the experiment first)")
    m = read_json(directory / MANIFEST)
    outcome = models.info(m.get("model") or models.DEFAULT_MODEL).headline
    name = html.escape(str(m.get("name", directory.name)))
    body = [f"<h1>{name}</h1>", f"<p>{html.escape(m.get('description', ''))}</p>", "<h2>How it was run</h2>",
            _facts(m), "<h2>Figures</h2>", _figures(directory)]
    summary = tables.get("summary")
    if summary is not None and not summary.empty:
        names = list(m.get("design", {}).get("names", []))
        cols = ["point", *[n for n in names if n in summary], "n"]
        for o in outcome.categories if outcome is not None else ():
            cols += [f"freq_{o}", f"freq_{o}_lo", f"freq_{o}_hi"]
        step = [f"{outcome.step_key}_mean"] if outcome is not None and outcome.step_key else []
        cols += [c for c in ("dominant", "tie", *step) if c in summary]
        body += ["<h2>Regime frequencies per point (95 % Wilson intervals)</h2>",
                 _table(summary[[c for c in cols if c in summary]]),
                 f"<p>All per-point columns: <a href='{summary_table.FILE}'>{summary_table.FILE}</a>.</p>"]
    for key, title in (("sensitivity", "Sensitivity indices"), *registry.table_titles().items()):
        if key in tables and not tables[key].empty:
            body += [f"<h2>{title}</h2>", _table(tables[key])]
    for csv in sorted(directory.glob("discovery_*.csv")):
        if not csv.stem.endswith("_trajectory"):
            body += [f"<h2>Scenario discovery: {html.escape(csv.stem)}</h2>", _table(pd.read_csv(csv))]
    body += ["<h2>Manifest</h2>", "<details><summary>manifest.json</summary><pre>"
             + html.escape(json.dumps(m, indent=1)) + "</pre></details>"]
    page = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{name}</title>"
            f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    out = directory / REPORT
    atomic_write_text(out, page)
    return out


def index(root: Path, names: list[str]) -> Path:
    """``results/INDEX.md``: what each shipped experiment ran, when, on which code, in how long."""
    lines = [
        "# Shipped results: run facts (generated by `python -m experiments run-all --shipped`; do not edit)",
        "",
        "| experiment | design | points × replicates | runs | wall s | run s | finished (UTC) | commit | model |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    total_wall = 0.0
    prints: dict[str, set] = {}  # model reference -> its fingerprints (different models differ by design)
    for name in names:
        path = root / name / MANIFEST
        if not path.exists():
            continue
        m = read_json(path)
        wall = sum(s.get("wall_seconds", 0) for s in m["sessions"])
        cpu = sum(s.get("run_seconds", 0) for s in m["sessions"])
        total_wall += wall
        prints.setdefault(str(m.get("model")), set()).add(m.get("model_fingerprint"))
        git = m.get("git", {})
        commit = str(git.get("commit"))[:10] + (" (dirty)" if git.get("dirty") else "")
        exp = m["experiment"]
        reps = f"{exp['replicates']}" + (f"–{exp['adaptive']['max_replicates']}" if exp.get("adaptive") else "")
        n_points = m["design"].get("n_points", len(m["design"].get("points", [])))
        lines.append(f"| {name} | {exp['design']} | {n_points} × {reps} | {m['runs']['done']} "
                     f"| {wall:.0f} | {cpu:.0f} | {m.get('finished')} | {commit} | {m.get('model_fingerprint')} |")
    lines += ["", f"Total wall time {total_wall:.0f} s; run s = model time summed over workers.", ""]
    if any(len(fp) > 1 for fp in prints.values()):
        lines += ["**Warning:** the model code changed between these experiments (several model fingerprints): "
                  "regenerate with `python -m experiments run-all --shipped --fresh`.", ""]
    out = root / INDEX
    atomic_write_text(out, "\n".join(lines))
    return out
