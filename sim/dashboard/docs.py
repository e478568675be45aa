"""The project's documents, served by the dashboard itself (``?doc=README.md``, ``?doc=docs/ODD.md`` ...).

The page links to the README, the ODD description and the specification; the dashboard runs from a
copy of the project, often offline in a classroom, where a link to a web repository would lead
nowhere. The documents' links to each other lead to the dashboard's copy, their other links to files
of the project are shown as repository paths, and their PNG figures are inlined. Only Markdown files
of the project's root and ``docs/`` are served.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import solara

ROOT = Path(__file__).resolve().parents[2]
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+\.png)\)")
LINK = re.compile(r"(?<!!)\[([^\]]+)\]\((?!https?:|#|mailto:)([^)\s#]+)(#[^)\s]*)?\)")


def resolve(path: str) -> Path | None:
    """The Markdown file the path names, if it is one the dashboard serves."""
    target = (ROOT / path.strip("/")).resolve()
    allowed = target.suffix == ".md" and target.parent in (ROOT, ROOT / "docs")
    return target if allowed and target.is_file() else None


def _inline(match: re.Match, folder: Path) -> str:
    alt, src = match.group(1), match.group(2)
    image = (folder / src).resolve()
    if ROOT not in image.parents or not image.is_file():
        return f"*[figure: {alt} ({src}) is not in this copy of the project]*"
    data = base64.b64encode(image.read_bytes()).decode()
    return f"![{alt}](data:image/png;base64,{data})"


def _link(match: re.Match, folder: Path) -> str:
    text, src, anchor = match.group(1), match.group(2), match.group(3) or ""
    target = (folder / src).resolve()
    if ROOT not in target.parents:
        return text
    path = target.relative_to(ROOT).as_posix()
    if resolve(path) is not None:
        return f"[{text}](?doc={path}{anchor})"
    return f"{text} (`{path}` in the project)" if text.strip("`") != path else f"`{path}`"


def markdown(path: str) -> str | None:
    """The document's Markdown as the dashboard shows it (links and figures rewritten), or None."""
    target = resolve(path)
    if target is None:
        return None
    text = IMAGE.sub(lambda m: _inline(m, target.parent), target.read_text(encoding="utf-8"))
    return LINK.sub(lambda m: _link(m, target.parent), text)


@solara.component
def DocPage(path: str):
    text = solara.use_memo(lambda: markdown(path), [path])
    solara.Title(f"piggyback-abm: {path}")
    with solara.Column(style={"max-width": "900px", "margin": "0 auto", "padding": "16px"}):
        solara.HTML(tag="a", unsafe_innerHTML="← the dashboard", attributes={"href": "./"})
        if text is None:
            solara.Error(f"{path}: not a document of the project the dashboard serves.")
        else:
            solara.Markdown(text)
