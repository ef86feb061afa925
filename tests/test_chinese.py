"""The Chinese edition reads as one text: one title per page (navigation, H1 and the links that name the page, in
both languages), the site's fixed terms (docs/glossary.yml) told apart from their other senses, one summary
heading in every Chinese notebook. What a reader sees in the browser is checked in test_chinese_browser.py."""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml
from conftest import NOTEBOOKS, ROOT, glossary_avoid_rules
from test_translations import FENCE
from translations import zh_notebook_path

DOCS = ROOT / "docs"
# A link to a page, with or without an #anchor: `[Title](page.md)`, `[Title](page.md#section)`.
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]+)\]\((?P<target>[^)\s#]+\.(?:md|ipynb))(?P<anchor>#[^)\s]*)?\)")


class _Loader(yaml.SafeLoader):
    """mkdocs.yml with its !ENV tags read as null (only the nav and the i18n settings are needed here)."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
CONFIG = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)
I18N = next(p["i18n"] for p in CONFIG["plugins"] if isinstance(p, dict) and "i18n" in p)
ZH = next(lang for lang in I18N["languages"] if lang["locale"] == "zh")
NAV_ZH: dict[str, str] = ZH["nav_translations"]


def nav_entries(nav=None) -> list[tuple[str, str | None]]:
    """(label, file) for every nav entry, sections as (label, None)."""
    out = []
    for item in nav if nav is not None else CONFIG["nav"]:
        for label, value in item.items():
            if isinstance(value, list):
                out += [(label, None), *nav_entries(value)]
            else:
                out.append((label, value))
    return out


def h1(path) -> str:
    text = FENCE.sub("", re.sub(r"\A---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), flags=re.S))
    m = re.search(r"^# (.+?)\s*(?:\{[^}]*\})?\s*$", text, re.M)
    return m.group(1).strip() if m else ""


PAGES = [(label, src) for label, src in nav_entries() if src and src.endswith(".md")]
# A title's lead ends at one of these: "What makes a model large?" is the lead of "What makes a model large, and
# what does it cost to train?", "估算你的训练与推理" of "估算你的训练与推理：计算量、显存与推理服务容量".
LEAD_END = "?？,，:："


def titles(src: str, lang: str) -> tuple[str, str]:
    """(navigation title, H1) of a page in a language."""
    label = next(lab for lab, s in PAGES if s == src)
    if lang == "en":
        return label, h1(DOCS / src)
    return NAV_ZH.get(label, ""), h1(DOCS / src.replace(".md", ".zh.md"))


def _norm(title: str) -> str:
    return title.strip().rstrip("?？").casefold()


def names_of(src: str, lang: str) -> set[str]:
    nav, heading = titles(src, lang)
    return {_norm(nav), _norm(heading)}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("src", [s for _, s in PAGES if s != "index.md"])
def test_the_navigation_shows_the_pages_title(src, lang):
    """One title per page: the navigation shows the H1, or the H1's lead when the H1 adds a subtitle or a second
    question after it."""
    nav, heading = titles(src, lang)
    assert nav and heading, f"{src} ({lang}): navigation title {nav!r}, H1 {heading!r}"
    lead = nav.rstrip("?？")
    assert heading == nav or (heading.startswith(lead) and heading[len(lead):][:1] in LEAD_END), \
        f"{src} ({lang}): the navigation says {nav!r}, the page's H1 {heading!r}; make one the other's lead"


def test_the_home_page_is_titled_with_the_site_name():
    assert h1(DOCS / "index.md") == CONFIG["site_name"]
    assert h1(DOCS / "index.zh.md") == ZH["site_name"]


def test_every_navigation_label_has_its_chinese_title():
    labels = [label for label, _ in nav_entries()] + [CONFIG["plugins"][-1]["print-site"]["print_page_title"]]
    missing = [label for label in labels if label not in NAV_ZH]
    assert not missing, f"mkdocs.yml: nav_translations lacks {missing}"
    unused = sorted(set(NAV_ZH) - set(labels))
    assert not unused, f"mkdocs.yml: nav_translations has entries for no navigation label: {unused}"


# Names a page had before it got its one title, or other titles it was given: a link with one of these texts
# names the page by a retired name. (English lower-case mentions such as "see [parallel training](…)" are topic
# words, not titles, and stay allowed; a capitalised one reads as the title.)
RETIRED = {
    "en": {"Mixed precision", "Parallel training", "Making models smaller", "Serving inference cheaply",
           "Measuring a model's cost", "Evaluating a model", "Searching hyper-parameters", "Glossary (English ↔ 中文)"},
    "zh": {"什么让模型变“大”？", "什么让模型变“大”，训练它要花多少？", "训练内存都去哪儿了？", "训练内存都去哪儿了",
           "训练内存", "训练内存一章", "训练内存都去哪儿了，又该怎样削减？", "更正索引", "屋顶线模型与 MFU", "屋顶线模型",
           "计算受限还是内存受限？", "让模型变小", "低成本推理服务", "衡量模型的成本", "评估模型", "超参数如何搜索？",
           "训练怎样分摊到多个设备上？", "怎样让模型更小、运行更便宜？", "怎样低成本地提供推理服务？", "估算你的运行",
           "术语表（英 ↔ 中）", "术语表：英文术语对应哪个中文术语？", "高效大模型"},
}


def _link_sources(lang: str) -> dict[str, str]:
    """name -> Markdown of every page and notebook in the language (notebook links point at ../docs/<page>.md)."""
    out = {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))
           if p.name.endswith(".zh.md") == (lang == "zh")}
    for nb in NOTEBOOKS:
        path = zh_notebook_path(nb) if lang == "zh" else nb
        if path.is_file():
            out[path.name] = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                                       if c.cell_type == "markdown")
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_links_name_a_page_by_its_title(lang):
    """A link whose text is a title (a question, or a retired title) names its page by the page's one title."""
    pages = {src for _, src in PAGES}
    problems, checked = [], 0
    for name, text in _link_sources(lang).items():
        for m in LINK.finditer(FENCE.sub("", text)):
            src = m["target"].removeprefix("../docs/")
            if src not in pages:
                continue
            link = m["text"].strip()
            if not (link.endswith(("?", "？")) or link in RETIRED[lang]):
                continue
            checked += 1
            if _norm(link) not in names_of(src, lang):
                nav, heading = titles(src, lang)
                problems.append(f"{name}: [{link}]({m['target']}{m['anchor'] or ''}) — the page is titled {nav!r} "
                                f"(H1 {heading!r})")
    assert checked, f"no link names a page by its title in {lang}: the check found nothing to check"
    assert not problems, "link texts that name a page by another title:\n" + "\n".join(problems)


def test_chinese_titles_say_显存_for_gpu_memory():
    """Chapter titles about the memory of a training run (on accelerators) say 显存, as the glossary does."""
    found = [f"{src}: {t}" for _, src in PAGES for t in titles(src, "zh") if "训练内存" in t]
    assert not found, "titles that call training (GPU) memory 内存:\n" + "\n".join(found)


# Sentences that each rule must tell apart: (rule's site form, text, should the rule reject it?).
SENSES = [
    ("源材料", "种子 `002_19395722f3be9e7d.txt` §24 说", True),
    ("源材料", "种子 002 §4 把混合精度说成", True),
    ("源材料", "五份种子文件", True),
    ("源材料", "而种子传入的是概率", True),
    ("源材料", "在五个随机种子上重复", False),
    ("源材料", "从种子相同的生成器出发", False),
    ("源材料", "3 个种子只有 2 个", False),
    ("源材料", "在种子 0 上两者", False),
    ("源材料", "换一个训练种子", False),
    ("源材料", "接着按种子逐层填值", False),
    ("计算量（C）", "**算力**（C）：训练过程执行的浮点运算次数", True),
    ("计算量（C）", "训练算力 C 约为 6·N·D", True),
    ("计算量（C）", "H100 的 BF16 峰值算力", False),
    ("计算量（C）", "训练计算量（C）", False),
    ("显存", "vLLM 默认使用 GPU 内存的 90 %", True),
    ("显存", "GPU 的内存吃紧时", True),
    ("显存", "主机内存与 GPU 显存", False),
    ("显存", "CPU 内存", False),
    ("rank / world size", "每个设备（PyTorch 称之为**进程序号（rank）**）", True),
    ("rank / world size", "每个进程用 rank 编号", False),
]


@pytest.mark.parametrize("form, text, rejected", SENSES, ids=[f"{t[0]}-{i}" for i, t in enumerate(SENSES)])
def test_the_glossary_rules_tell_the_senses_apart(form, text, rejected):
    """The really-wrong forms (算力 for C, 种子 for the source, 内存 for GPU memory, 进程序号 for a device) are
    context rules: the same word in its right sense (随机种子, 峰值算力, CPU 内存) must pass."""
    rules = [rx for rx, good, _ in glossary_avoid_rules() if good == form]
    assert rules, f"docs/glossary.yml has no rule for {form}"
    hit = any(rx.search(text) for rx in rules)
    assert hit == rejected, f"{text!r}: {'not rejected' if rejected else 'rejected'} by the rule for {form}"


SUMMARY = "要点回顾"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_chinese_notebook_has_one_summary_heading(nb):
    """The English "## What to remember" is 要点回顾 in every Chinese notebook, once."""
    zh = zh_notebook_path(nb)
    if not zh.is_file():
        pytest.fail(f"{zh.name} missing: python scripts/translations.py notebooks")
    heads = [m.group(1).strip() for c in nbformat.read(zh, as_version=4).cells if c.cell_type == "markdown"
             for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", FENCE.sub("", c.source), re.M)]
    summaries = [h for h in heads if SUMMARY in h]
    assert summaries == [SUMMARY], f"{zh.name}: summary headings {summaries} (want one '## {SUMMARY}'); " \
                                   f"other headings: {[h for h in heads if '要记住' in h]}"


def test_chinese_ui_strings_of_the_hooks_are_chinese():
    """The words the hooks put on Chinese pages (buttons, alt text, fence titles, print page, corrections list)."""
    from mkdocs_hooks.corrections import TEXT
    from mkdocs_hooks.notebook_images import ALT
    from mkdocs_hooks.notebook_pages import HEADER_TEXT
    from mkdocs_hooks.translations import CODE_TITLES, PRINT_PAGE

    strings = [*HEADER_TEXT["zh"].values(), ALT["zh"], *CODE_TITLES.values(), *PRINT_PAGE.values(), *TEXT["zh"]]
    # Names that stay Latin in Chinese text: products, formats and the `make` target; nothing else.
    allowed = {"Colab", "GitHub", "Notebook", "PDF", "make", "notebooks", "code", "title", "src", "n",
               "total", "chapters"}
    english = [s for s in strings for w in re.findall(r"[A-Za-z]+", re.sub(r"<[^>]+>|\{[^}]*\}", "", s))
               if w not in allowed]
    assert not english, f"English words in Chinese UI strings: {english}"


# A soft line break of the Markdown source shows as a space; inside Chinese text the build removes it
# (scripts/mkdocs_hooks/cjk_breaks.py). The cases: (source HTML, what the page gets).
SOFT_BREAKS = [
    ("<p>31.4、\n16.6 和\n1.9 GB</p>", "<p>31.4、16.6 和\n1.9 GB</p>"),            # after full-width punctuation
    ("<p>显存 80 GiB，\n  权重</p>", "<p>显存 80 GiB，权重</p>"),                      # and the indentation after it
    ("<p>优化器状态\n（不含激活值）</p>", "<p>优化器状态（不含激活值）</p>"),          # before it
    ("<p>计算\n<a href=\"x\">规划器</a>\n<em>算出</em></p>", "<p>计算<a href=\"x\">规划器</a><em>算出</em></p>"),
    ("<p>在 8\n块 GPU 上用\nGPU 训练</p>", "<p>在 8\n块 GPU 上用\nGPU 训练</p>"),  # Latin and Chinese: a space
    ("<p>代码\n<code>x\ny</code></p><pre><code>中文\n中文</code></pre>",
     "<p>代码\n<code>x\ny</code></p><pre><code>中文\n中文</code></pre>"),             # code untouched
    ("<p>中文</p>\n<h2 id=\"a\">标题</h2>\n<p>中文\n<span>中文</span>\n</p>",
     "<p>中文</p>\n<h2 id=\"a\">标题</h2>\n<p>中文<span>中文</span>\n</p>"),  # between blocks: layout, kept
]


@pytest.mark.parametrize("source,shown", SOFT_BREAKS)
def test_soft_line_breaks_inside_chinese_text_are_removed(source, shown):
    from mkdocs_hooks.cjk_breaks import join_lines

    assert join_lines(source) == shown


def test_chinese_pages_show_no_space_for_a_line_break_inside_chinese_text(built_site):
    """No text node of a Chinese page's article (code aside) keeps a line break between two Chinese characters or
    next to full-width punctuation, where the browser would show a space."""
    from mkdocs_hooks.cjk_breaks import BREAK, SKIP, joins
    from selectolax.lexbor import LexborHTMLParser

    site, _, _ = built_site
    bad = []
    for page in sorted((site / "zh").rglob("index.html")):
        article = LexborHTMLParser(page.read_text(encoding="utf-8")).css_first("article")
        if article is None:
            continue
        for node in article.traverse(include_text=True):
            text = node.text_content or ""
            if not node.is_text_node or "\n" not in text:
                continue
            parent, skipped = node.parent, False
            while parent is not None and not skipped:
                skipped, parent = parent.tag in SKIP, parent.parent
            if skipped:
                continue
            bad += [f"{page.relative_to(site)}: …{text[max(0, m.start() - 10):m.end() + 10]!r}…"
                    for m in BREAK.finditer(text)
                    if 0 < m.start() and m.end() < len(text) and joins(text[m.start() - 1], text[m.end()])]
    assert not bad, "\n".join(bad[:20])
