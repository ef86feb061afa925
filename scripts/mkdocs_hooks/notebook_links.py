"""Links inside notebooks are written for GitHub and Jupyter (`../docs/<chapter>.md`, `<other>.ipynb`); on the
site they become the chapter's and the other notebook's pages."""

import logging
import sys
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).parent))
from _site import fragment, is_notebook, notebooks  # noqa: E402

log = logging.getLogger("mkdocs.hooks.notebook_links")


@event_priority(50)  # before print-site collects the page
def on_page_content(html, page, config, files):
    if not is_notebook(page):
        return html
    root, names = fragment(html), {nb.name for nb in notebooks()}
    for a in root.css("a[href]:not([download])"):  # not the Download button: it is the .ipynb itself
        href = a.attrs["href"]
        path, anchor = urlsplit(href).path, "#" + urlsplit(href).fragment if "#" in href else ""
        if path.startswith("../docs/") and path.endswith(".md"):
            target = files.get_file_from_path(path[len("../docs/"):])
            if target is None:
                log.warning("%s links to %s, which does not exist", page.file.src_uri, path)
            else:
                a.attrs["href"] = get_relative_url(target.url, page.url) + anchor
        elif "/" not in path and path in names:
            a.attrs["href"] = f"../{path[:-len('.ipynb')]}/{anchor}"
    return root.inner_html
