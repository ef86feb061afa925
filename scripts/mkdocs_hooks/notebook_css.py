"""nbconvert inlines all of JupyterLab's CSS (~600 KB) into every notebook page. It becomes one shared, cacheable
stylesheet, assets/notebook.css, trimmed by PurgeCSS (npm, package.json) to the rules whose selectors the built notebook
and print pages of both languages use and to the custom properties (--jp-...) that something reads, docs/assets/*.css
included. Without node or node_modules (a pip-only build) it is shipped untrimmed."""

import logging
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url
from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).parent))
from _site import NOTEBOOK_DIR, fragment, is_notebook  # noqa: E402

log = logging.getLogger("mkdocs.hooks.notebook_css")
NOTEBOOK_CSS = "assets/notebook.css"
# Pygments tokens drawn in the cell's own colour: names (.n: nbconvert's CSS has no rule; the build fails if one comes)
# and whitespace (.w). Unwrapped to plain text.
UNSTYLED = ".highlight-ipynb span.n, .highlight-ipynb span.w"
_stylesheets: dict[str, None] = {}  # each notebook page's inlined CSS, once (they are all the same so far)


@event_priority(50)  # before print-site collects the page
def on_page_content(html, page, config, files):
    if not is_notebook(page):
        return html
    root = fragment(html)
    if styles := root.css("style"):
        css = "\n".join(s.text() for s in styles)
        if css.rstrip().endswith("']"):  # mkdocs-jupyter prints pygments' CSS as a Python list repr: not CSS (PostCSS
            css = css[:css.rindex("['")]  # stops at it; tinycss2 dropped it as an error), so it goes, as before
        _stylesheets.setdefault(css)
        if re.search(r"\.highlight-ipynb \.n\s*[{,]", css):
            log.warning("nbconvert's CSS now colours .highlight-ipynb .n: stop unwrapping those spans (UNSTYLED)")
        for s in styles:
            s.decompose()
    for span in root.css(UNSTYLED):  # a quarter of a notebook page's elements, for nothing a reader sees
        span.unwrap()
    return f'<link rel="stylesheet" href="{get_relative_url(NOTEBOOK_CSS, page.file.url)}">\n{root.inner_html}'


def _another_build_follows(config) -> bool:
    """True in a language build that mkdocs-static-i18n follows with another one into the same site (the English
    build, whose post-build runs the Chinese one): only the last build's PurgeCSS run counts."""
    i18n = config.plugins.get("i18n")
    if i18n is None or not getattr(i18n, "current_language", None):
        return False
    order = [locale for locale in i18n.build_languages if locale != i18n.default_language]
    return bool(order) and i18n.current_language != order[-1]


@event_priority(-45)  # after print-site wrote print_page/index.html (whose classes count too), before translations.py (-50) moves it
def on_post_build(config):
    if not _stylesheets:
        return
    site, root = Path(config["site_dir"]), Path(config["config_file_path"]).parent
    out = site / NOTEBOOK_CSS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(next(iter(_stylesheets)), encoding="utf-8")
    purgecss = root / "node_modules" / ".bin" / "purgecss"
    if _another_build_follows(config):  # its own on_post_build writes the stylesheet anew and trims it (~2 s each)
        log.debug("%s: PurgeCSS runs in the last language build", NOTEBOOK_CSS)
    elif not (purgecss.is_file() and shutil.which("node")):  # INFO, not WARNING: --strict builds must pass without node
        log.info("%s is untrimmed (%d bytes): PurgeCSS needs node and `npm ci` (make build runs it)", NOTEBOOK_CSS, out.stat().st_size)
    else:  # the zh build (nested in the English post-build) runs last, when both languages' pages exist
        pages = [str(site / d / "index.html") for d in (f"{NOTEBOOK_DIR}/*", f"*/{NOTEBOOK_DIR}/*", "print_page", "*/print_page")]
        with tempfile.TemporaryDirectory() as tmp:  # docs/assets/*.css go in first, only so the variables they read count
            subprocess.run([purgecss, "--variables", "--output", tmp, "--content", *pages,
                            "--css", *map(str, sorted((root / config["docs_dir"] / "assets").glob("*.css"))), str(out)], check=True)
            shutil.copyfile(Path(tmp) / out.name, out)
    if (printable := Path(config["site_dir"]) / "print_page" / "index.html").is_file():  # every notebook's <link>, each relative to
        tree = LexborHTMLParser(printable.read_text(encoding="utf-8"))  # its notebook's URL: one, relative to this
        links = tree.css(f'link[href$="{NOTEBOOK_CSS}"]')
        for extra in links[1:]:
            extra.decompose()
        if links:
            links[0].attrs["href"] = get_relative_url(NOTEBOOK_CSS, "print_page/")
        printable.write_text(tree.html, encoding="utf-8")
