"""Chinese pages without the stray spaces of soft line breaks.

A browser shows a line break of the Markdown source as a space. Between two Chinese characters, or next to
full-width punctuation, that space is wrong ("31.4、 16.6", "GiB， 权重", "优化器状态 （不含"). In the Chinese build
this hook removes such a newline (and the indentation after it) from the text of a page, outside pre, code, kbd,
script, style and textarea: where the character before it or after it is full-width punctuation, or both are CJK
characters. A break between Chinese and Latin letters or digits stays a space, as Chinese typesetting spaces them.
The characters on either side are read across inline elements ("中文\\n<a>链接</a>" joins too). Runs before
print-site takes its copy of the page (the printable page gets it too) and before search indexes it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from mkdocs.plugins import event_priority

sys.path.insert(0, str(Path(__file__).parent))
from _site import fragment, language

CJK = re.compile(r"[\u2e80-\u2fff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# CJK symbols and punctuation, full-width forms, the curly quotes, the dash and ellipsis Chinese text uses
WIDE = re.compile(r"[\u3000-\u303f\uff00-\uffef\u2018\u2019\u201c\u201d\u2014\u2026]")
BREAK = re.compile(r"\n[ \t]*")
SKIP = {"pre", "code", "kbd", "script", "style", "textarea"}
# Elements that start a block: the whitespace next to them shows nothing, and print-site finds a heading's id only
# where the heading starts a line (scripts/mkdocs_hooks/build_speed.py), so it stays.
BLOCK = {"address", "article", "aside", "blockquote", "details", "dialog", "dd", "div", "dl", "dt", "fieldset",
         "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
         "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
         "script", "style", "noscript", "svg", "input", "label", "select", "option", "output"}


def joins(before: str, after: str) -> bool:
    """Whether a line break between these two characters shows as a space that Chinese text does not have."""
    return bool(WIDE.match(before) or WIDE.match(after) or (CJK.match(before) and CJK.match(after)))


def _between_blocks(node) -> bool:
    """A whitespace-only text node next to a block element (or first or last in its parent): layout, not text."""
    if (node.text_content or "").strip():
        return False
    return any(x is None or x.tag in BLOCK for x in (node.prev, node.next))


def _skipped(node) -> bool:
    p = node.parent
    while p is not None:
        if p.tag in SKIP:
            return True
        p = p.parent
    return False


def _joined(contents: list[str], i: int, node) -> str:
    """Text node i with its breaks removed where joins() says so, reading the characters on either side across the
    neighbouring text nodes; a break at its start or end next to a block element (or its parent's edge) stays."""
    text = contents[i]
    keep_start = node.prev is None or node.prev.tag in BLOCK
    keep_end = node.next is None or node.next.tag in BLOCK

    def before(pos: int) -> str:
        if pos > 0:
            return text[pos - 1]
        j = i - 1
        while j >= 0 and not contents[j]:
            j -= 1
        return contents[j][-1] if j >= 0 else ""

    def after(pos: int) -> str:
        if pos < len(text):
            return text[pos]
        j = i + 1
        while j < len(contents) and not contents[j]:
            j += 1
        return contents[j][0] if j < len(contents) else ""

    def repl(m: re.Match) -> str:
        edge = (m.start() == 0 and keep_start) or (m.end() == len(text) and keep_end)
        return m.group(0) if edge or not joins(before(m.start()), after(m.end())) else ""

    return BREAK.sub(repl, text)


def join_lines(html: str) -> str:
    """The HTML with every soft line break that joins() removed from its text (see the module's docstring)."""
    if "\n" not in html or not (CJK.search(html) or WIDE.search(html)):
        return html
    root = fragment(html)
    texts = [n for n in root.traverse(include_text=True) if n.is_text_node]
    contents = [n.text_content or "" for n in texts]
    changed = False
    for i, node in enumerate(texts):
        if "\n" in contents[i] and not _between_blocks(node) and not _skipped(node):
            new = _joined(contents, i, node)
            if new != contents[i]:
                node.replace_with(new)
                contents[i] = new
                changed = True
    return root.inner_html if changed else html


@event_priority(60)   # before print-site (0) takes its copy and before the other hooks add their markup
def on_page_content(html, page, config, files):
    if language(config) != "zh":
        return html
    return join_lines(html)
