"""MkDocs hook for the Chinese edition (mkdocs-static-i18n builds /zh/ from docs/<slug>.zh.md).

- Code exists once: a Chinese page writes `<!-- code N -->` where the English page has its Nth fenced block;
  the block is inserted here, re-indented to the marker (so it can sit inside a tab or an admonition).
- A translation that no longer matches its English source (see scripts/translations.py) gets a visible notice
  linking the English page; an English page shown under /zh/ for want of a translation says so too.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse
import sys
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from translations import LANG, blob_id, front_matter  # noqa: E402

MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- code (?P<n>\d+) -->[ \t]*$", re.M)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}).*?\n.*?^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)


def code_blocks(markdown: str) -> list[str]:
    """Fenced blocks of a page, each de-indented to column 0."""
    out = []
    for m in FENCE.finditer(markdown):
        indent = len(m["indent"])
        out.append("\n".join(line[indent:] for line in m.group(0).splitlines()))
    return out


def include_code(markdown: str, english: str, where: str) -> str:
    blocks = code_blocks(english)

    def repl(m: re.Match) -> str:
        n = int(m["n"])
        if not 1 <= n <= len(blocks):
            line = markdown.count("\n", 0, m.start()) + 1
            raise PluginError(f"{where}:{line}: <!-- code {n} -->, but the English page has {len(blocks)} code blocks")
        return "\n".join(m["indent"] + line if line else line for line in blocks[n - 1].splitlines())

    return MARKER.sub(repl, markdown)


def _current_language(config) -> str:
    return config["theme"]["language"]  # mkdocs-static-i18n sets it per language build


def _english_url(page) -> str:
    """Relative URL of the English page from its Chinese one (zh/<slug>/ -> ../../<slug>/)."""
    url = page.file.url
    return "../" * url.count("/") + url[len(f"{LANG}/"):]


GLOSSARY_MARKER = "<!-- glossary -->"
GLOSSARY_HEAD = {"en": "| English | 中文 | Note |\n|---|---|---|", "zh": "| English | 中文 | 说明 |\n|---|---|---|"}


def glossary_table(docs_dir: Path, lang: str) -> str:
    """docs/glossary.yml as one table per group (the same data on the English and the Chinese page)."""
    out = []
    for group in yaml.safe_load((docs_dir / "glossary.yml").read_text(encoding="utf-8")):
        title = group["group"].split(" / ")[0 if lang == "en" else -1]
        out += [f"## {title}", "", GLOSSARY_HEAD[lang]]
        out += [f"| {t['en']} | {t['zh']} | {t.get('seed', '')} |" for t in group["terms"]]
        out.append("")
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    if GLOSSARY_MARKER in markdown:
        markdown = markdown.replace(GLOSSARY_MARKER, glossary_table(Path(config["docs_dir"]), _current_language(config)))
    if src.endswith(f".{LANG}.md"):
        en_path = Path(config["docs_dir"]) / src.replace(f".{LANG}.md", ".md")
        english = en_path.read_text(encoding="utf-8")
        markdown = include_code(markdown, english, f"docs/{src}")
        recorded = front_matter(Path(page.file.abs_src_path).read_text(encoding="utf-8")).get("translation_of")
        if recorded != blob_id(english):
            notice = (f'!!! warning "译文可能已过时"\n    英文原文在本译文之后有改动，请以'
                      f'<a href="{_english_url(page)}">英文版</a>为准。\n\n')
            markdown = _after_title(markdown, notice)
    elif _current_language(config) == LANG and src.endswith(".md"):
        markdown = _after_title(markdown, '!!! note "本页尚未翻译"\n    以下为英文原文。\n\n')
    return markdown


def _after_title(markdown: str, block: str) -> str:
    m = re.search(r"^# .*\n", markdown, re.M)
    return markdown[: m.end()] + "\n" + block + markdown[m.end():] if m else block + markdown


def on_post_page(output, page, config):
    """The language switcher's links to a home page are absolute ("/", "/zh/"): make them relative, so the site
    works under a sub-path (GitHub Pages project sites)."""
    root = urlparse(config.get("site_url") or "/").path or "/"

    def rel(m: re.Match) -> str:
        target = m["href"]
        if target.startswith(root):  # site_url's path: /<repo>/zh/ -> zh/
            target = target[len(root):]
        href = get_relative_url(target.lstrip("/") or ".", page.file.url)
        return f'{m["pre"]}href="{href if href.endswith("/") else href + "/"}"'

    output = re.sub(r'(?P<pre><a )href="(?P<href>/[^"]*)"(?= hreflang=)', rel, output)
    # Material fetches sitemap.xml next to every <link rel="alternate"> target, expecting a language root; these
    # point at pages (404s, console errors). hreflang stays in sitemap.xml and on the language switcher's links.
    output = re.sub(r'<link rel="alternate" href="[^"]*" hreflang="[^"]*">\s*', "", output)
    if page.file.src_uri.endswith(f".{LANG}.ipynb"):  # the plugin misses a translated notebook's English page
        english = get_relative_url(page.file.url[len(f"{LANG}/"):], page.file.url)
        output = re.sub(r'href="[^"]*"(?= hreflang="en")', f'href="{english}"', output)
    return output


def on_post_template(output_content, template_name, config):
    """404.html is a template, not a page: strip its head alternate links too (see on_post_page)."""
    return re.sub(r'<link rel="alternate" href="[^"]*" hreflang="[^"]*">\s*', "", output_content)
