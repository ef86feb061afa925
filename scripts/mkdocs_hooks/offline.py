"""Notebook pages request nothing from another host: nbconvert's template adds a MathJax <script src=""> (empty
unless custom_mathjax_url is set) and, when a cell has mermaid, an import() of mermaid from a CDN. The notebooks
use neither (CONTRIBUTING.md, "Links"), so both loaders are removed."""

import sys
from pathlib import Path

from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).parent))
from _site import fragment, is_notebook  # noqa: E402


@event_priority(50)  # before print-site collects the page for the printable whole-site page
def on_page_content(html, page, config, files):
    if not is_notebook(page):
        return html
    root = fragment(html)
    for script in root.css("script"):
        if ("src" in script.attrs and not (script.attrs["src"] or "").strip()) or "mermaid" in script.text():
            script.decompose()
    return root.inner_html
