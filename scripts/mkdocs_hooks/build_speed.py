"""Two plugins we use do avoidable work on every page; this hook removes it without changing a byte of output
(tests/test_site.py compares). nbconvert creates a new Jinja environment per notebook and compiles the same
templates each time: they share one in-memory bytecode cache. print-site makes heading ids unique with one
str.replace over the whole page per id, after a regex that backtracks over every long line: one pass over the
lines that have an id does the same edit. Together they take ~10 s off the build."""

import re

import jinja2
from mkdocs_print_site_plugin import urls
from nbconvert.exporters.templateexporter import TemplateExporter


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

ANCHOR = re.compile(r"<([^\s]+).*?id=\"([^\"]*?)\".*?>", flags=re.IGNORECASE)  # print-site's own pattern
PREFIXED = {"h1", "h2", "h3", "h4", "h5", "h6", "sup", "li"}  # the tags whose ids print-site prefixes


def update_anchor_ids(page_html: str, page_key: str) -> str:
    """print-site's urls.update_anchor_ids, each match edited where it stands. A match lies within one line unless
    an id holds a newline, so only lines with an id are searched (the pattern is slow on long lines)."""
    def prefix(m):
        return m.group().replace(m.group(2), f"{page_key}-{m.group(2)}") if m.group(1) in PREFIXED else m.group()
    if re.search(r'id="[^"]*\n', page_html, flags=re.IGNORECASE):
        return ANCHOR.sub(prefix, page_html)
    return "\n".join(ANCHOR.sub(prefix, line) if 'id="' in line.lower() else line for line in page_html.split("\n"))


_update_anchor_ids, urls.update_anchor_ids = urls.update_anchor_ids, update_anchor_ids
