"""MkDocs hook for the Chinese edition (mkdocs-static-i18n builds /zh/ from docs/<slug>.zh.md).

- Code exists once: a Chinese page writes `<!-- code N -->` where the English page has its Nth fenced block;
  the block is inserted here, re-indented to the marker (so it can sit inside a tab or an admonition).
- A translation that no longer matches its English source (see scripts/translations.py) gets a visible notice
  linking the English page; an English page shown under /zh/ for want of a translation says so too.
- A Chinese notebook's headings get the English notebook's ids; each language keeps its own printable page.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml
from markdown.extensions.toc import slugify
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url
from selectolax.lexbor import LexborHTMLParser

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from translations import LANG, blob_id, front_matter  # noqa: E402
from mkdocs_hooks._site import fragment, is_notebook  # noqa: E402

log = logging.getLogger("mkdocs.hooks.translations")
MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- code (?P<n>\d+) -->[ \t]*$", re.M)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,}).*?\n.*?^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)


def code_blocks(markdown: str) -> list[str]:
    """Fenced blocks of a page, each de-indented to column 0."""
    out = []
    for m in FENCE.finditer(markdown):
        indent = len(m["indent"])
        out.append("\n".join(line[indent:] for line in m.group(0).splitlines()))
    return out


# The English page's words that a Chinese page includes with its code: fence titles (CONTRIBUTING: the source's
# broken code sits in a fence titled "From the source (broken)").
CODE_TITLES = {'title="From the source (broken)"': 'title="源材料原代码（有误）"'}
# The printable page's own words (mkdocs-print-site writes them in English in every language build).
PRINT_PAGE = {"title": "打印全站 / 保存为 PDF", "toc": "目录"}


def include_code(markdown: str, english: str, where: str) -> str:
    blocks = code_blocks(english)
    for en, zh in CODE_TITLES.items():  # only in a fence's opening line, never in the code
        blocks = [b.replace(en, zh, 1) if en in b.split("\n", 1)[0] else b for b in blocks]

    def repl(m: re.Match) -> str:
        n = int(m["n"])
        if not 1 <= n <= len(blocks):
            line = markdown.count("\n", 0, m.start()) + 1
            raise PluginError(f"{where}:{line}: <!-- code {n} -->, but the English page has {len(blocks)} code blocks")
        return "\n".join(m["indent"] + line if line else line for line in blocks[n - 1].splitlines())

    return MARKER.sub(repl, markdown)


@event_priority(-100)  # after print-site (0), which prepends its CSS and JS again each time i18n re-runs on_config for zh
def on_config(config):
    for key in ("extra_css", "extra_javascript"):  # so each /zh/ page loads them once, as the English pages do
        seen = set()
        config[key] = [x for x in config[key] if not (str(x) in seen or seen.add(str(x)))]
    return config


def _print_page_title(config) -> str:
    plugin = config["plugins"].get("print-site")
    return plugin.config.get("print_page_title") if plugin else "Print Site"


def _current_language(config) -> str:
    return config["theme"]["language"]  # mkdocs-static-i18n sets it per language build


def _english_url(page) -> str:
    """Relative URL of the English page from its Chinese one (zh/<slug>/ -> ../../<slug>/)."""
    url = page.file.url
    return "../" * url.count("/") + url[len(f"{LANG}/"):]


GLOSSARY_MARKER = "<!-- glossary -->"
GLOSSARY_HEAD = {"en": "| English | 中文 (this site) | Also said | Note |\n|---|---|---|---|",
                 "zh": "| 英文 | 本站用法 | 又称 | 说明 |\n|---|---|---|---|"}
GLOSSARY_WORDS = {"en": {"sep": ", ", "avoid": "Not: {}."}, "zh": {"sep": "、", "avoid": "避免：{}。"}}


def glossary_rows(term: dict, lang: str) -> str:
    """One row: the term, this site's Chinese form, the aliases practitioners use, and the note in `lang` only
    (each note and each avoided form's reason has an English and a Chinese half)."""
    words = GLOSSARY_WORDS[lang]
    notes = [term["note"][lang]] if term.get("note") else []
    notes += [words["avoid"].format(a["why"][lang]) for a in term.get("avoid", []) if isinstance(a, dict)]
    also = term.get("also", [])
    if lang != "en":  # English words on a Chinese page say so (screen readers switch voice; tests skip them)
        also = [f'<span lang="en">{a}</span>' if re.fullmatch(r"[\x00-\x7f]+", a) else a for a in also]
    en = term["en"] if lang == "en" else f'<span lang="en">{term["en"]}</span>'
    cells = [en, term["zh"], words["sep"].join(also), " ".join(notes)]
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def glossary_table(docs_dir: Path, lang: str) -> str:
    """docs/glossary.yml as one table per group (the same data on the English and the Chinese page)."""
    out = []
    for group in yaml.safe_load((docs_dir / "glossary.yml").read_text(encoding="utf-8")):
        title = group["group"].split(" / ")[0 if lang == "en" else -1]
        out += [f"## {title}", "", GLOSSARY_HEAD[lang]]
        out += [glossary_rows(t, lang) for t in group["terms"]]
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


def english_heading_ids(root, page) -> None:
    """A Chinese notebook's headings get the English notebook's heading ids, in order: the slug of a Chinese
    heading is empty (ids "" break the TOC and collide), and shared anchors keep links and the language switch
    landing on the same section. Code cells are shared, so the headings correspond one to one."""
    src = page.file.src_uri
    english = ROOT / src.replace(f".{LANG}.ipynb", ".ipynb")
    if not english.is_file():
        return
    ids = []
    for cell in json.loads(english.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "markdown":  # the Markdown headings, outside code fences
            text = re.sub(r"^(`{3,}|~{3,}).*?^\1\s*$", "", "".join(cell["source"]), flags=re.M | re.S)
            ids += [slugify(re.sub(r"[`*]", "", m.group(1)).strip(), "-")
                    for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, flags=re.M)]
    heads = root.css("h1[id], h2[id], h3[id], h4[id], h5[id], h6[id]")
    if len(heads) != len(ids):
        log.warning("%s: %d headings, the English notebook has %d: heading ids not shared", src, len(heads), len(ids))
        return
    seen: dict[str, int] = {}
    for h, hid in zip(heads, ids):
        seen[hid] = seen.get(hid, 0) + 1
        h.attrs["id"] = hid = f"{hid}_{seen[hid] - 1}" if seen[hid] > 1 else hid
        for a in h.css("a.anchor-link"):
            a.attrs["href"] = f"#{hid}"


@event_priority(60)  # before notebook_pages.py (50) points the table of contents at the headings' ids
def on_page_content(content, page, config, files):
    if not (is_notebook(page) and page.file.src_uri.endswith(f".{LANG}.ipynb")):
        return content
    root = fragment(content)
    english_heading_ids(root, page)
    return root.inner_html


_english_print_page: list[str] = []


def translate_print_page(tree, print_title: str) -> None:
    """The Chinese printable page in Chinese: its title (tab, heading, navigation) and its contents heading.
    Text nodes are collected first, then replaced (replacing while traversing crashes lexbor)."""
    words = {print_title: PRINT_PAGE["title"], "Table of Contents": PRINT_PAGE["toc"]}
    nodes = [n for n in tree.root.traverse(include_text=True)
             if n.tag == "-text" and any(en in (n.text_content or "") for en in words)]
    for n in nodes:
        text = n.text_content
        for en, zh in words.items():
            text = text.replace(en, zh)
        n.replace_with(text)


@event_priority(-50)  # after print-site (0) has written print_page/index.html, before i18n (-100) builds zh
def on_post_build(config):
    site, lang = Path(config["site_dir"]), _current_language(config)
    # print-site writes <site>/print_page/index.html in every language build (the Chinese build, nested in the
    # English one's post-build, overwrites the English page): keep each language's at its own URL.
    printable = site / "print_page" / "index.html"
    if lang == "en":
        _english_print_page[:] = [printable.read_text(encoding="utf-8")] if printable.is_file() else []
    elif printable.is_file() and _english_print_page:
        tree = LexborHTMLParser(printable.read_text(encoding="utf-8"))
        for n in tree.css("[href], [src]"):  # one level deeper now: every relative URL gains a "../"
            attr = "href" if "href" in n.attrs else "src"
            if not re.match(r"#|[a-z]+:|/", n.attrs[attr] or "#"):
                n.attrs[attr] = "../" + n.attrs[attr]
        translate_print_page(tree, _print_page_title(config))
        english = LexborHTMLParser(_english_print_page[0])
        for page, here in ((english, "en"), (tree, lang)):  # print-site renders the switcher of the last page
            for n in page.css("a[hreflang]"):
                there = n.attrs["hreflang"]
                n.attrs["href"] = ("./" if there == here else "../../print_page/" if there == "en"
                                   else f"../{there}/print_page/")
        _english_print_page[0] = english.html
        (site / lang / "print_page").mkdir(parents=True, exist_ok=True)
        (site / lang / "print_page" / "index.html").write_text(tree.html, encoding="utf-8")
        printable.write_text(_english_print_page[0], encoding="utf-8")
