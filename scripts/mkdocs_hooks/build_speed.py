"""Two plugins we use do avoidable work on every page; this hook removes it without changing a byte of output
(tests/test_build.py compares). nbconvert creates a new Jinja environment per notebook and compiles the same
templates each time (half its time): they share one in-memory bytecode cache. print-site makes heading ids
unique with one str.replace over the whole page per id (quadratic on long notebook pages): one regex pass does
the same edit."""

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
    """print-site's urls.update_anchor_ids, each match edited where it stands."""
    def prefix(m):
        return m.group().replace(m.group(2), f"{page_key}-{m.group(2)}") if m.group(1) in PREFIXED else m.group()
    return ANCHOR.sub(prefix, page_html)


_update_anchor_ids, urls.update_anchor_ids = urls.update_anchor_ids, update_anchor_ids
