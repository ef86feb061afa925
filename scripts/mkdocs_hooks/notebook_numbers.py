"""MkDocs hook: chapters insert notebook values by name (`{{ notebook.name:.2f }}`) and cited constants by key
(`{{ cited.<key>:, }}`, from scripts/cited_constants.yml); see notebook_values.py.

Read fresh for every page, so `make serve` picks up a re-executed notebook; an unknown name aborts the
(strict or not) build with the chapter, the line and the name. A chapter that types a registered constant
(one of the forms its entry lists under `typed`) outside code instead of inserting it aborts the build too,
with the chapter, the line and the key to use, unless the chapter is still listed under `typed_pending` in the
registry (then the hits are only logged, at info level).
docs/constants.md and docs/constants.zh.md get, in place of `<!-- cited-constants -->`, the table of every
constant with its source, in the page's language.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_values import CITED, FENCE, UnknownValue, all_values, load_cited, substitute  # noqa: E402
from notebook_values import typed_constants  # noqa: E402

log = logging.getLogger("mkdocs.hooks.notebook_numbers")
MARKER = "<!-- cited-constants -->"
PAGE = {"en": ("| key | value | unit | what | source |\n|---|---|---|---|---|\n",
               " (secondary source only{note})", "; checked against: "),
        "zh": ("| 键 | 数值 | 单位 | 含义 | 来源 |\n|---|---|---|---|---|\n", "（仅有二手来源{note}）", "；核对所用副本：")}


def constants_table(lang: str) -> str:
    """The registry as a Markdown table in the page's language: key (as a chapter writes it), value, unit, what,
    and the source with its table or section (plus the copy it was checked against, if any). A Chinese page
    shows the Chinese fields (`zh`, `unit_zh`, `where_zh`, `note_zh`), the English one only where none exists."""
    head, secondary, via = PAGE[lang]

    def tr(c: dict, field: str) -> str:
        zh = c.get("zh" if field == "what" else f"{field}_zh") if lang == "zh" else None
        return zh or c.get(field, "")

    rows = []
    for key, c in load_cited()["constants"].items():
        value = f"{c['value']:,}" if isinstance(c["value"], int) else f"{c['value']:g}"
        src = f"[{tr(c, 'where')}]({c['source']})"
        if c.get("checked_via"):
            src += f"{via}[{c['checked_via'].split('/')[2]}]({c['checked_via']})"
        if c.get("secondary"):
            note = tr(c, "note")
            src += secondary.format(note=(": " if lang == "en" else "：") + note if note else "")
        cells = [f"`{{{{ {CITED}.{key} }}}}`", value, tr(c, "unit"), tr(c, "what"), src]
        rows.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
    return head + "\n".join(rows) + "\n"


def typed_hits(markdown: str, where: str, constants: dict) -> list[str]:
    """typed_constants() on the chapter with every line blanked that cannot hold a typed form: one that holds no
    form's longest word (a form's pattern matches its words as typed) and is not a code fence (those keep the
    fence state). Same hits, same line numbers; the 136 forms' patterns, each tried on every line, took ~2 s of
    the build."""
    words = {max(str(form).split(), key=len) for entry in constants.values() for form in entry.get("typed", [])
             if str(form).split()}
    any_word = re.compile("|".join(re.escape(w) for w in sorted(words)) or "(?!)")
    kept = "\n".join(line if FENCE.match(line) or any_word.search(line) else "" for line in markdown.splitlines())
    return typed_constants(kept, where, constants)


def on_page_markdown(markdown, page, config, files):
    src = page.file.src_uri
    if not src.endswith(".md"):
        return markdown
    where = f"docs/{src}"
    registry = load_cited()
    hits = typed_hits(markdown, where, registry["constants"])
    if hits and where in registry["typed_pending"]:
        log.info("typed cited constants (pending conversion):\n%s", "\n".join(hits))
    elif hits:
        raise PluginError("typed cited constant(s): insert them from scripts/cited_constants.yml instead\n"
                          + "\n".join(hits))
    try:
        markdown = substitute(markdown, all_values(ROOT), where)
    except UnknownValue as err:
        raise PluginError(f"unknown notebook value(s) or cited constant(s):\n{err}") from None
    if MARKER in markdown:   # after the substitution: the table shows each placeholder as a chapter writes it
        markdown = markdown.replace(MARKER, constants_table("zh" if src.endswith(".zh.md") else "en"))
    return markdown
