"""Every Chinese page as a reader meets it in headless Chromium: its visible text, the alt texts of its images and
its tooltips (title / aria-label / placeholder) hold no English UI words. English stays where it belongs: code,
outputs, API and product names, the titles of cited sources (external links, quotations, 《》), and the short list
below, each with its reason. The printable page (the whole site in one page) is read from its HTML."""

from __future__ import annotations

import re
import time

import pytest
from test_browser import CHROMIUM, browser, server  # noqa: F401  (fixtures, and the skip without Chromium)

# Never read: code and notebook code/outputs, the language switcher, cited sources (external links, quotations),
# and whatever is marked as English (lang="en": the glossary's English column and English aliases).
NOT_READ = ("script, style, noscript, template, code, pre, kbd, samp, .highlight, .jp-InputArea, .jp-OutputArea, "
            "a[href^='http'], a[hreflang], cite, q, blockquote, .md-select, .md-search-result, [lang='en']")
# The interface: everything outside the article, and inside it what the theme and the hooks put there (titles of
# admonitions, tabs and code blocks, buttons, the notebook header, table headers, figure captions).
UI = (".md-header, .md-tabs, .md-sidebar, .md-footer, .md-search, .md-banner, .admonition-title, summary, "
      ".filename, .md-button, .elm-notebook-header, th, figcaption, caption, .tabbed-labels, button, label, "
      ".md-content__button, .md-source-file")
READ = """([notRead, ui]) => {
    const out = {ui: [], prose: [], attrs: [], title: document.title};
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const el = walker.currentNode.parentElement, text = walker.currentNode.textContent.trim();
        if (!text || !el || el.closest(notRead)) continue;
        (el.closest(ui) ? out.ui : out.prose).push(text);
    }
    for (const el of document.querySelectorAll('[title], [aria-label], [alt], [placeholder]')) {
        if (el.closest(notRead)) continue;
        for (const a of ['title', 'aria-label', 'alt', 'placeholder']) {
            const v = el.getAttribute(a);
            if (v && v.trim()) out.attrs.push(`${a}="${v.trim()}"`);
        }
    }
    return out;
}"""
# A phrase: two or more Latin words in a row, one of them lower-case ("Switch to dark mode", "Download notebook",
# "Table of Contents"). Names in title case ("Hugging Face") and single words (PyTorch, MFU, kernel) are how
# Chinese technical text writes them. Interface text may hold no phrase; prose may hold short English terms
# (focal loss, LM head: jargon the chapters keep) but no sentence (PROSE_WORDS words or more).
PHRASE = re.compile(r"[A-Za-z][A-Za-z0-9_'’-]*(?:[ \t]+[A-Za-z][A-Za-z0-9_'’-]*)+")
PROSE_WORDS = 5
# Quotations, titles of works, English glosses in full-width brackets （fake quantization）, "X et al." citations.
QUOTED = re.compile(r"“[^”]*”|《[^》]*》|「[^」]*」|\"[^\"]*\"|（[^（）\u3400-\u9fff]*）|\b[A-Z][\w-]+ et al\b")
SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to", "via", "with"}
# Phrases that stay English on a Chinese page, and why.
ALLOWED = {
    "Dive into Deep Learning": "the English title of d2l.ai, named next to its Chinese edition",
    "Alice's Adventures in Wonderland": "the title of the public-domain text the generator is trained on",
    "Alice in Wonderland": "the same book, by its short title",
    "LM head": "the output layer's name in Chinese LLM writing (and in Transformers: lm_head)",
    "micro F1": "scikit-learn's average='micro' F1, named beside macro and weighted",
    "BF16 autocast": "torch.autocast with bfloat16: an API name, as the chapters write it",
}


def english_phrases(text: str, min_words: int = 2) -> list[str]:
    """The English phrases of at least `min_words` words in a text, less quotations, glosses, citations,
    single-letter variables (b FLOPs) and the titles of works (five or more words, each long one capitalised)."""
    text = QUOTED.sub(" ", text)
    out = []
    for m in PHRASE.finditer(text):
        phrase = m.group(0)
        words = [w for w in phrase.split() if len(w) > 1]
        title = len(words) >= 5 and all(w[0].isupper() or w.lower() in SMALL or len(w) <= 3 for w in words)
        if (len(words) >= min_words and any(w[0].islower() for w in words) and not title
                and phrase not in ALLOWED):
            out.append(phrase)
    return out


def zh_pages(site) -> list[str]:
    pages = sorted(p.relative_to(site).as_posix().removesuffix("index.html") for p in (site / "zh").rglob("index.html"))
    return [p for p in pages if not p.startswith("zh/print_page/")]


def test_chinese_pages_show_no_english_ui_words(server, browser):  # noqa: F811
    base, site = server
    pages = zh_pages(site)
    assert len(pages) > 30, pages
    start, problems = time.perf_counter(), []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(re.compile(r"\.(png|jpe?g|woff2?)(\?|$)"), lambda route: route.abort())  # alt texts suffice
    tab = context.new_page()
    try:
        for path in pages:
            tab.goto(f"{base}/{path}", wait_until="load")
            seen = tab.evaluate(READ, [NOT_READ, UI])
            for where, items, words in (("interface", seen["ui"], 2), ("attribute", seen["attrs"], 2),
                                        ("title", [seen["title"]], 2), ("prose", seen["prose"], PROSE_WORDS)):
                for item in items:
                    if found := english_phrases(item, words):
                        problems.append(f"/{path} {where}: {found[:3]} in {item[:100]!r}")
    finally:
        context.close()
    seconds = time.perf_counter() - start
    assert not problems, f"English UI words on Chinese pages ({len(problems)}):\n" + "\n".join(sorted(set(problems)))
    print(f"{len(pages)} Chinese pages read in {seconds:.1f} s")


def test_the_chinese_print_page_is_titled_in_chinese(server):
    from selectolax.lexbor import LexborHTMLParser

    base, site = server
    tree = LexborHTMLParser((site / "zh" / "print_page" / "index.html").read_text(encoding="utf-8"))
    title = tree.css_first("title").text()
    toc = tree.css_first("h1.print-page-toc-title")
    assert not english_phrases(title), f"the Chinese print page's title: {title!r}"
    assert toc is not None and not english_phrases(toc.text()), f"its table of contents: {toc and toc.text()!r}"
    english = LexborHTMLParser((site / "print_page" / "index.html").read_text(encoding="utf-8"))
    assert english.css_first("title").text() != title, "the English print page lost its own title"


@pytest.mark.parametrize("text, found", [
    ("切换到深色模式", []), ("Switch to dark mode", ["Switch to dark mode"]), ("下载 Notebook", []),
    ("Download notebook", ["Download notebook"]), ("目录", []), ("Table of Contents", ["Table of Contents"]),
    ("用 Hugging Face 的 Transformer Engine", []), ("见论文《Attention Is All You Need》", []),
    ("Plot from the notebook “x”", ["Plot from the notebook"]), ("批大小为 b 时约 b FLOPs", []),
    ("Training Deep Nets with Sublinear Memory Cost.", []), ("Open in Colab", ["Open in Colab"]),
])
def test_the_english_detector(text, found):
    assert english_phrases(text) == found
