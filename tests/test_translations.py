"""The Chinese edition: complete, fresh, code included once from the English pages, anchors shared."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import CHAPTERS, NOTEBOOKS, ROOT, ZH_CHAPTERS, glossary_avoid_rules
from mkdocs_hooks.translations import MARKER, code_blocks
from translations import chinese_notebook, notebook_problems, page_problems, zh_notebook_path

HEADING = re.compile(r"^#{1,6} .*?(?:\{#(?P<id>[\w-]+)\})?\s*$", re.M)
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$", re.M | re.S)
# A run of this many Latin-script words in Chinese prose is an untranslated sentence.
LATIN_RUN = re.compile(r"(?:\b[A-Za-z][A-Za-z'’-]*[,;:.]?\s+){9,}[A-Za-z]+")


def prose(text: str) -> str:
    """What a reader reads as prose: no front matter, code, inline code, links' targets, HTML tags, placeholders."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = FENCE.sub("", text)
    # Link text may be a source's title, which stays in its own language; the rest of the sentence may not.
    for pattern in (r"`[^`\n]+`", r"\[[^\]\n]*\]\([^)]*\)", r"<[^>]+>", r"\{\{[^}]*\}\}", r"https?://\S+",
                    r'"[^"\n]*"(?=\s*$)'):  # admonition titles keep quoted English titles of sources
        text = re.sub(pattern, " ", text, flags=re.M)
    return text


def test_every_page_and_notebook_is_translated_and_fresh():
    problems = page_problems() + [p for nb in NOTEBOOKS for p in notebook_problems(nb)]
    assert not problems, "run `python scripts/translations.py status`:\n" + "\n".join(problems)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_chinese_notebook_is_generated_from_the_english_one(nb):
    zh = zh_notebook_path(nb)
    assert zh.is_file(), f"{zh.name} missing: python scripts/translations.py notebooks"
    assert zh.read_text(encoding="utf-8") == nbformat.writes(chinese_notebook(nb)) + "\n", \
        f"{zh.name} is not what scripts/translations.py generates from {nb.name}: run it"
    en, ch = nbformat.read(nb, as_version=4), nbformat.read(zh, as_version=4)
    for a, b in zip(en.cells, ch.cells, strict=True):  # code and outputs exist once: the English run's
        if a.cell_type == "code":
            assert (a.source, a.outputs) == (b.source, b.outputs)
    for i, cell in enumerate(ch.cells, 1):
        if cell.cell_type == "markdown":
            m = LATIN_RUN.search(prose(cell.source))
            assert not m, f"{zh.name} cell {i}: untranslated English: {m.group(0)[:120]!r}"


@pytest.mark.parametrize("zh", ZH_CHAPTERS, ids=lambda p: p.name)
def test_chinese_page_includes_the_english_code_once(zh):
    text = zh.read_text(encoding="utf-8")
    english = zh.with_name(zh.name.replace(".zh.md", ".md")).read_text(encoding="utf-8")
    assert not FENCE.search(text), f"{zh.name} has a code fence of its own: write <!-- code N --> instead"
    used = [int(m["n"]) for m in MARKER.finditer(text)]
    assert used == list(range(1, len(code_blocks(english)) + 1)), \
        f"{zh.name} includes code blocks {used}; the English page has {len(code_blocks(english))}, to include in order"


@pytest.mark.parametrize("zh", ZH_CHAPTERS, ids=lambda p: p.name)
def test_chinese_page_keeps_the_english_anchors_and_is_chinese(zh):
    from markdown.extensions.toc import slugify
    text, english = zh.read_text(encoding="utf-8"), zh.with_name(zh.name.replace(".zh.md", ".md")).read_text(encoding="utf-8")

    def anchors(md: str) -> list[str]:
        md = FENCE.sub("", md)
        out = []
        for line in re.findall(r"^#{2,6} .*$", md, re.M):
            m = re.search(r"\{#([\w-]+)\}\s*$", line)
            out.append(m.group(1) if m else slugify(re.sub(r"[`*_]", "", line.lstrip("#").strip()), "-"))
        return out

    assert anchors(text) == anchors(english), \
        f"{zh.name}: headings must keep the English anchors, e.g. '## 中文标题 {{#english-slug}}'"
    m = LATIN_RUN.search(prose(text))
    assert not m, f"{zh.name}: untranslated English: {m.group(0)[:120]!r}"


def test_every_chapter_has_a_chinese_page():
    missing = [p.name for p in CHAPTERS if not p.with_name(p.stem + ".zh.md").is_file()]
    assert not missing, f"no Chinese translation of: {', '.join(missing)}"


def test_stale_translation_shows_a_notice_and_code_is_included():
    """The hook on a planted stale page: a visible notice linking the English page, code from the English page."""
    from types import SimpleNamespace

    from mkdocs_hooks import translations as hook

    en = ROOT / "docs" / "index.md"
    zh_text = "---\ntranslation_of: 0123\n---\n\n# 标题\n\n正文。\n\n=== \"PyTorch\"\n\n    <!-- code 1 -->\n"
    tmp = ROOT / "docs" / ".planted.zh.md"
    tmp.write_text(zh_text, encoding="utf-8")
    try:
        page = SimpleNamespace(file=SimpleNamespace(src_uri="index.zh.md", url="zh/", abs_src_path=str(tmp)))
        config = {"docs_dir": str(ROOT / "docs"), "theme": {"language": "zh"}}
        blocks = code_blocks(en.read_text(encoding="utf-8"))
        if not blocks:
            pytest.skip("docs/index.md has no code block to include")
        out = hook.on_page_markdown(zh_text.split("---\n", 2)[2], page, config, None)
    finally:
        tmp.unlink()
    assert "译文可能已过时" in out and 'href="../"' in out
    assert "    " + blocks[0].splitlines()[0] in out


def test_chinese_text_uses_the_glossary_terms():
    rules = glossary_avoid_rules()
    assert rules, "docs/glossary.yml marks no form as wrong: the check would be vacuous"
    texts = {p.name: prose(p.read_text(encoding="utf-8")) for p in ZH_CHAPTERS if p.name != "glossary.zh.md"}
    for nb in NOTEBOOKS:
        zh = zh_notebook_path(nb)
        if zh.is_file():
            texts[zh.name] = "\n".join(c.source for c in nbformat.read(zh, as_version=4).cells if c.cell_type == "markdown")
    found = [f"{name}: …{text[max(0, m.start() - 12):m.end() + 12]!r}… ({why}; the glossary says {good})"
             for name, text in texts.items() for rx, good, why in rules for m in rx.finditer(text)]
    assert not found, f"{len(found)} forms the glossary rejects:\n" + "\n".join(found)


def test_glossary_forms_are_consistent():
    """Every term has its site form; no alias is also rejected; no avoided pattern matches the site's own form."""
    import yaml

    problems = []
    for group in yaml.safe_load((ROOT / "docs" / "glossary.yml").read_text(encoding="utf-8")):
        for t in group["terms"]:
            if not (t.get("en") and t.get("zh")):
                problems.append(f"{t}: needs en and zh")
            if t.get("note") and set(t["note"]) != {"en", "zh"}:
                problems.append(f"{t['en']}: note needs an en and a zh half")
            for a in t.get("avoid", []):
                rx = re.compile(re.escape(a) if isinstance(a, str) else a["re"])
                problems += [f"{t['en']}: the avoided {rx.pattern!r} matches {form!r}"
                             for form in [t["zh"], *t.get("also", [])] if rx.search(form)]
    assert not problems, "\n".join(problems)
