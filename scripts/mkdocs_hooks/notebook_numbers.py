"""MkDocs hook: chapters insert notebook values by name (`{{ notebook.name:.2f }}`); see notebook_values.py.

Read fresh for every page, so `make serve` picks up a re-executed notebook; an unknown name aborts the
(strict or not) build with the chapter, the line and the name."""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_values import UnknownValue, load_all, substitute  # noqa: E402


def on_page_markdown(markdown, page, config, files):
    if not page.file.src_uri.endswith(".md"):
        return markdown
    try:
        return substitute(markdown, load_all(ROOT / "notebooks"), f"docs/{page.file.src_uri}")
    except UnknownValue as err:
        raise PluginError(f"unknown notebook value(s):\n{err}") from None
