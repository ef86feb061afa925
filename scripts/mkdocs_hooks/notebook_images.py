"""Plots in notebook pages become image files next to the page (cacheable, lighter HTML) instead of base64 in
the HTML, with an alt text naming the notebook and the section instead of nbconvert's "No description"."""

import base64
import hashlib
import sys
from pathlib import Path

from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).parent))
from _site import fragment, is_notebook, language  # noqa: E402

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
ALT = {"en": "Plot from the notebook “{title}”, section “{section}”",  # per page language
       "zh": "Notebook《{title}》中“{section}”一节的图"}


@event_priority(50)  # before print-site collects the page
def on_page_content(html, page, config, files):
    if not is_notebook(page):
        return html
    root = fragment(html)
    out_dir = (Path(config["site_dir"]) / page.file.dest_uri).parent
    title = section = None
    for n in root.css("h1, h2, h3, h4, img"):  # document order: each image knows the section it is in
        if n.tag != "img":
            section = n.text().replace("¶", "").strip()
            title = title or section
            continue
        kind, _, data = (n.attrs.get("src") or "").removeprefix("data:").partition(";base64,")
        if kind not in EXTENSIONS or n.attrs.get("alt") != "No description has been provided for this image":
            continue
        raw = base64.b64decode(data)
        name = f"fig-{hashlib.sha256(raw).hexdigest()[:12]}.{EXTENSIONS[kind]}"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / name).write_bytes(raw)
        alt = ALT.get(language(config), ALT["en"])
        n.attrs["alt"] = alt.format(title=title or page.file.name, section=section or title)
        n.attrs["loading"] = "lazy"
        n.attrs["src"] = name
    return root.inner_html
