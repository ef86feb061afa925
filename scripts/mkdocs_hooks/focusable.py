"""Regions that scroll sideways (tables, wide code and outputs) must be reachable by keyboard (axe:
scrollable-region-focusable): they get tabindex="0" on every page and in the printable whole-site page."""

import sys
from pathlib import Path

from mkdocs.plugins import event_priority
from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).parent))
from _site import fragment, is_notebook  # noqa: E402

SCROLLERS = "table"  # Material wraps each table in a scrolling div: the table inside takes the focus
NOTEBOOK_SCROLLERS = 'table, div[class^="highlight-ipynb"], div[class^="jp-RenderedText"] > pre, div.highlight > pre'
PRINT_SCROLLERS = "table, pre > code"


def _focusable(nodes) -> None:
    for n in nodes:
        if "tabindex" not in n.attrs:
            n.attrs["tabindex"] = "0"


@event_priority(50)  # before print-site collects the page
def on_page_content(html, page, config, files):
    root = fragment(html)
    _focusable(root.css(NOTEBOOK_SCROLLERS if is_notebook(page) else SCROLLERS))
    return root.inner_html


@event_priority(-45)  # after print-site wrote print_page/index.html, before translations.py (-50) moves it
def on_post_build(config):
    if (printable := Path(config["site_dir"]) / "print_page" / "index.html").is_file():
        tree = LexborHTMLParser(printable.read_text(encoding="utf-8"))
        _focusable(tree.css(PRINT_SCROLLERS))
        printable.write_text(tree.html, encoding="utf-8")
