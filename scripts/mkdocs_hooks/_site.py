"""What the hooks share: where the notebooks are, which pages are notebooks, and HTML fragments parsed with
selectolax (an HTML5 parser: the hooks edit nbconvert's HTML as a tree, never with regular expressions)."""

from pathlib import Path

from selectolax.lexbor import LexborHTMLParser, LexborNode

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = "notebooks"


def notebooks() -> list[Path]:
    return sorted((ROOT / NOTEBOOK_DIR).glob("*.ipynb"))


def is_notebook(page) -> bool:
    return page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/") and page.file.src_uri.endswith(".ipynb")


def fragment(html: str) -> LexborNode:
    """A page's content as an element whose inner_html is the edited content (a wrapper, so that a leading
    <style> or <script> stays in place instead of moving to <head>)."""
    return LexborHTMLParser(f'<div id="elm-fragment">{html}</div>').css_first("#elm-fragment")



def language(config) -> str:
    """'en' or 'zh': mkdocs-static-i18n builds the site once per language, each with its theme language."""
    return config["theme"]["language"]

