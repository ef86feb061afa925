"""Plugins we use do avoidable work on every page; this hook removes it without changing a byte of output
(tests/test_site.py compares). Measured in CPU seconds of one strict build (en + zh) on the 2-core machine:

- nbconvert parses every notebook page with BeautifulSoup (html.parser, pure Python) only to add an alt text
  and two tabindex attributes, then serialises it again (~9 of ~34 s): the same edits are made on lexbor
  (selectolax, C), written the way BeautifulSoup writes them (LexborSoup below).
- nbconvert creates a new Jinja environment per notebook and compiles the same templates each time: they
  share one in-memory bytecode cache.
- nbconvert validates each notebook once per preprocessor: once is enough.
- nbconvert highlights every code cell with Pygments; a Chinese notebook has the English one's code: each
  distinct (source, language, formatter options) is highlighted once.
- print-site makes heading ids unique with one str.replace over the whole page per id, after a regex that
  backtracks over every long line: one pass over the lines that have an id does the same edit, and the regex
  is tried only where a match can start."""

import re

import jinja2
import nbconvert.exporters.html
from bs4 import BeautifulSoup
from bs4.builder import HTMLTreeBuilder
from mkdocs_jupyter import nbconvert2
from mkdocs_print_site_plugin import urls
from nbconvert.exporters.templateexporter import TemplateExporter
from selectolax.lexbor import LexborHTMLParser


class MemoryBytecodeCache(jinja2.BytecodeCache):
    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


_cache, _create_environment = MemoryBytecodeCache(), TemplateExporter._create_environment


def _cached_environment(self):
    environment = _create_environment(self)
    environment.bytecode_cache = _cache
    return environment


TemplateExporter._create_environment = _cached_environment


class LexborSoup:
    """The part of BeautifulSoup that HTMLExporter.from_notebook_node uses (select(), .attrs, str()), on lexbor.
    str() writes what BeautifulSoup (html.parser) would, up to what an HTML parser reads the same way (entity
    and quote choices, `<br/>`): attributes sorted by name, multi-valued ones (class ...) joined by single
    spaces, whitespace-only text outside pre/textarea as one newline or space, and the newline that starts a
    pre/textarea's text kept (an HTML parser drops it, html.parser does not). Every hook then parses the page
    with lexbor (scripts/mkdocs_hooks/_site.py), which reads both strings into the same tree. Markup that closes
    more elements than it opens would leave the wrapper: that page goes to BeautifulSoup itself."""

    SPACES = "\x20\x0a\x09\x0c\x0d"  # BeautifulSoup's ASCII_SPACES
    LIST_ATTRIBUTES = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
    KEEP_SPACE = ("pre", "textarea")

    def __new__(cls, markup: str, features=None):
        root = LexborHTMLParser(f'<div id="elm-soup">{markup}</div>').css_first("#elm-soup")
        if root.next is not None or root.prev is not None:
            return BeautifulSoup(markup, features=features)
        soup = super().__new__(cls)
        soup.root = root
        return soup

    def select(self, selector: str):
        return self.root.css(selector)

    def __str__(self) -> str:
        kept = {n.mem_id for p in self.root.css(", ".join(self.KEEP_SPACE)) for n in p.traverse(include_text=True)}
        for n in list(self.root.traverse(include_text=True)):  # a list: the loop replaces nodes
            if n.is_text_node:
                text = n.text_content
                if n.mem_id in kept:
                    if text.startswith("\n") and n.prev is None and n.parent.tag in self.KEEP_SPACE:
                        n.replace_with("\n" + text)
                elif text and not text.strip(self.SPACES) and text not in ("\n", " "):
                    n.replace_with("\n" if "\n" in text else " ")
            elif n.is_element_node and n.mem_id != self.root.mem_id and (attrs := n.attributes):
                multi = self.LIST_ATTRIBUTES["*"] | self.LIST_ATTRIBUTES.get(n.tag, set())
                new = {k: " ".join(v.split()) if k in multi and v else v for k, v in attrs.items()}
                order = sorted(new, key=str.lower)  # html.parser lower-cases names (svg's viewBox)
                if order != list(attrs) or new != attrs:
                    for k in attrs:
                        del n.attrs[k]
                    for k in order:
                        n.attrs[k] = "" if new[k] is None else new[k]
        return self.root.inner_html


nbconvert.exporters.html.BeautifulSoup = LexborSoup  # the name from_notebook_node looks up, nothing else

_highlighted: dict[tuple, str] = {}
_pygments_highlight = nbconvert2._pygments_highlight


def _memo_highlight(source, output_formatter, language="ipython", metadata=None, **lexer_options):
    """nbconvert's _pygments_highlight, once per distinct input (mkdocs-jupyter passes a fresh HtmlFormatter
    whose options are all the input it has; the cell metadata is read only for magics_language)."""
    try:
        key = (source, type(output_formatter), tuple(sorted(output_formatter.options.items())), language,
               (metadata or {}).get("magics_language"), tuple(sorted(lexer_options.items())))
        hash(key)
    except (AttributeError, TypeError):  # options that are not plain values: no memo
        return _pygments_highlight(source, output_formatter, language, metadata, **lexer_options)
    if key not in _highlighted:
        _highlighted[key] = _pygments_highlight(source, output_formatter, language, metadata, **lexer_options)
    return _highlighted[key]


nbconvert2._pygments_highlight = _memo_highlight

_get_nbconvert_app = nbconvert2.get_nbconvert_app


def _validate_once(*args, **kwargs):
    """nbconvert validates the notebook against its schema after each of its ~12 preprocessors, most of them
    disabled (they return it untouched); with optimistic_validation, once after the last one (~0.5 s)."""
    app = _get_nbconvert_app(*args, **kwargs)
    app.config.Exporter.optimistic_validation = True
    return app


nbconvert2.get_nbconvert_app = _validate_once

ANCHOR = re.compile(r"<([^\s]+).*?id=\"([^\"]*?)\".*?>", flags=re.IGNORECASE)  # print-site's own pattern
ID = re.compile(r"id=\"", flags=re.IGNORECASE)
PREFIXED = {"h1", "h2", "h3", "h4", "h5", "h6", "sup", "li"}  # the tags whose ids print-site prefixes


def _sub_line(prefix, line: str) -> str:
    """ANCHOR.sub(prefix, line), trying the pattern only at a '<' that has an id=" at least two characters
    after it (a match needs both): re.sub would also try every '<' after the last id, each try a scan to the
    end of the line and back, which made long lines quadratic."""
    last = -1
    for m in ID.finditer(line):
        last = m.start()
    out, done, at = [], 0, line.find("<")
    while 0 <= at <= last - 2:
        if m := ANCHOR.match(line, at):
            out += [line[done:at], prefix(m)]
            done = m.end()
            at = line.find("<", done)
        else:
            at = line.find("<", at + 1)
    return "".join(out) + line[done:] if out else line


def update_anchor_ids(page_html: str, page_key: str) -> str:
    """print-site's urls.update_anchor_ids, each match edited where it stands. A match lies within one line unless
    an id holds a newline, so only lines with an id are searched (the pattern is slow on long lines)."""
    def prefix(m):
        return m.group().replace(m.group(2), f"{page_key}-{m.group(2)}") if m.group(1) in PREFIXED else m.group()
    if re.search(r'id="[^"]*\n', page_html, flags=re.IGNORECASE):
        return ANCHOR.sub(prefix, page_html)
    return "\n".join(_sub_line(prefix, line) if 'id="' in line.lower() else line for line in page_html.split("\n"))


_update_anchor_ids, urls.update_anchor_ids = urls.update_anchor_ids, update_anchor_ids
