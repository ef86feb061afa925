"""Figures in chapters: `<!-- figure: <id> -->` on a line of its own becomes the figure `<id>` of scripts/figures.py,
an inline SVG with its caption in the page's language (English and Chinese pages use the same marker).

Why at build time, from code: each figure is drawn from the registry of cited constants and the notebooks' recorded
values as they are at this build, so a figure cannot go stale when a notebook is re-executed or a constant is
corrected, and no number is typed into a drawing (tests/test_figures.py holds scripts/figures.py to that). An unknown
id fails the build, naming the page. The page gets docs/assets/figures.css (theme colours for light and dark) and,
when it has an interactive figure, docs/assets/figures.js (its inputs redraw it; the static SVG stays the fallback).
Runs before print-site takes its copy of the page, so the printable site has the figures too.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url
from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import figures  # noqa: E402

MARKER = re.compile(r"<!--\s*figure:\s*([\w-]+)\s*-->")


@event_priority(50)   # before print-site copies the page
def on_page_content(html, page, config, files):
    ids = MARKER.findall(html)
    if not ids:
        return html
    lang = config["theme"]["language"]
    values, text = figures.all_values(), figures.load_text()
    unknown = [i for i in ids if i not in figures.FIGURES]
    if unknown:
        raise PluginError(f"docs/{page.file.src_uri}: unknown figure id(s) {', '.join(unknown)} "
                          f"(known: {', '.join(figures.FIGURES)})")
    out = MARKER.sub(lambda m: figures.render(m.group(1), lang, values, text), html)
    # remove a <p> that Markdown may have wrapped around a marker
    out = re.sub(r"<p>\s*(<figure class=\"elm-fig\".*?</figure>)\s*</p>", r"\1", out, flags=re.S)
    css = get_relative_url("assets/figures.css", page.file.url)
    head = f'<link rel="stylesheet" href="{css}">'
    if any(figures.FIGURES[i].interactive for i in ids):
        js = get_relative_url("assets/figures.js", page.file.url)
        out += f'<script src="{js}" defer></script>'
    return head + "\n" + out   # own line: print-site prefixes the ids of headings that start a line (build_speed.py)


@event_priority(-45)  # after print-site wrote print_page/index.html, before translations.py (-50) moves the Chinese one
def on_post_build(config):
    """The printable page holds every chapter's figures, each page's <link>/<script> relative to that page's URL: keep
    one of each, relative to print_page/ (as notebook_css.py does for the notebook stylesheet)."""
    printable = Path(config["site_dir"]) / "print_page" / "index.html"
    if not printable.is_file():
        return
    tree = LexborHTMLParser(printable.read_text(encoding="utf-8"))
    for selector, attr, asset in (('link[href$="assets/figures.css"]', "href", "assets/figures.css"),
                                  ('script[src$="assets/figures.js"]', "src", "assets/figures.js")):
        nodes = tree.css(selector)
        for extra in nodes[1:]:
            extra.decompose()
        if nodes:
            nodes[0].attrs[attr] = get_relative_url(asset, "print_page/")
    printable.write_text(tree.html, encoding="utf-8")
