"""Read the built site as a reader would, in headless Chromium (Debian's; Playwright can't download its own here).

Pages load with no console errors, no failed requests and nothing from another host; axe-core finds no serious or
critical accessibility violations (light and dark); search finds notebook-only text; the palette toggle works and
notebook cells stay readable; linked content tabs follow the reader across pages. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import NOTEBOOKS, ROOT

CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "") if p and Path(p).exists()), None)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"

if CHROMIUM is None:
    pytest.skip("browser tests skipped: Debian's chromium is not installed (apt-get install chromium; .ci/run does it "
                "when run as root)", allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api", reason="browser tests skipped: playwright is not installed")


@pytest.fixture(scope="module")
def server(built_site):
    site = built_site[0]
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(site))
    with socket.socket() as s:  # a free port on loopback only
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", site
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


class Visit:
    """A page with its console errors, failed requests and off-host requests recorded."""

    def __init__(self, browser, base, color_scheme="light"):
        self.context = browser.new_context(color_scheme=color_scheme, viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors, self.failed, self.offhost = [], [], []
        host = urlparse(base).netloc
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))

        def route(r):
            if urlparse(r.request.url).netloc not in (host, "") and not r.request.url.startswith(("data:", "blob:")):
                self.offhost.append(r.request.url)
                return r.abort()
            return r.continue_()
        self.page.route("**/*", route)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.context.close()


def site_pages(site: Path) -> list[str]:
    """Every page the build wrote (the 404 page too), as paths under the site root, largest first."""
    files = sorted(site.rglob("*.html"), key=lambda p: (-p.stat().st_size, p))
    return [p.relative_to(site).as_posix().removesuffix("index.html") for p in files]


# Resolves once the DOM has not changed for 300 ms (at most 10 s): Material still edits the page after the network
# is idle (the search worker, slow under load, fills in the search box's "Type to start searching" when its index is
# built), and a node added while axe runs breaks axe's selector cache ("reading 'nthChild'").
SETTLED = """() => new Promise(done => {
    let timer = setTimeout(finish, 300);
    const watch = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(finish, 300); });
    const limit = setTimeout(finish, 10000);
    function finish() { watch.disconnect(); clearTimeout(limit); done(); }
    watch.observe(document, {childList: true, subtree: true, characterData: true});
})"""


def run_axe(page) -> list[dict]:
    page.evaluate(SETTLED)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
    return result


# The scheme is switched as a reader does, with the palette toggle. Transitions are turned off first (as Playwright's
# screenshots do): in a cell that content-visibility skips, a link's 125 ms colour transition does not advance until
# the cell is shown, so axe read the light link colour on the dark background (#4051b5 on #1e2129) where a reader,
# scrolling there, sees the dark one (#a8b8ff). SCHEME_APPLIED: the new scheme is set and nothing still animates.
TOGGLE = "form[data-md-component=palette] label:visible"
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"
SCHEME_APPLIED = """scheme => document.body.getAttribute('data-md-color-scheme') === scheme
    && document.getAnimations().length === 0"""
SCHEMES = {"light": "default", "dark": "slate"}
# The sweep in parts (every SHARDS-th page), so that pytest-xdist's worksteal spreads it over both workers: as two
# whole sweeps (one per scheme) of ~230 s each, both ran last on one worker while the other sat idle for 350 s.
SHARDS = 10


def light_only(path: str) -> bool:
    """The Chinese notebook pages are checked in light only: they are the English notebook's code and outputs with
    Chinese Markdown cells, and the same stylesheet colours the same elements on the English page, checked in both."""
    return path.startswith("zh/notebooks/")


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda i: f"part{i + 1}of{SHARDS}")
def test_every_page_loads_cleanly_and_passes_axe(server, browser, shard):
    """Every SHARDS-th built page, in one browser context per part, one tab reused for its pages: loaded (light),
    checked, switched to dark with the palette toggle, checked again, switched back. One load per page serves both
    schemes: the console, request and off-host checks do not depend on the colours. Some pages are checked in light
    only (light_only); the two print pages are loaded and checked for errors and requests, without axe."""
    base, site = server
    ARTIFACTS.mkdir(exist_ok=True)
    every = site_pages(site)
    assert len(every) > 10, every
    # Dealt out largest first: the two print pages (the whole site each, ~100 s under load) lead parts 1 and 2,
    # which start first (tests/conftest.py). Together the parts cover every page once.
    paths = every[shard::SHARDS]
    problems, report = [], {scheme: {} for scheme in SCHEMES}
    with Visit(browser, base, "light") as v:
        for path in paths:
            v.errors.clear(), v.failed.clear(), v.offhost.clear()
            v.page.goto(f"{base}/{path}", wait_until="networkidle")
            # ERR_ABORTED: the previous page's late fetches (sitemap, search index) cancelled by this navigation
            failed = [f for f in v.failed if "net::ERR_ABORTED" not in f]
            for label, items in (("console errors", v.errors), ("failed requests", failed),
                                 ("requests to other hosts", v.offhost)):
                if items:
                    problems.append(f"/{path} {label}: {items[:5]}")
            if "print_page" in path:  # the whole site on one page, every part of it checked below on its own page
                continue               # (axe on it took ~50 s per scheme; tests/test_site.py checks its ids and links)
            for scheme, attribute in SCHEMES.items():
                if scheme != "light" and light_only(path):
                    continue
                if scheme != "light":
                    v.page.add_style_tag(content=NO_TRANSITIONS)
                    v.page.eval_on_selector(TOGGLE, "label => label.click()")
                try:
                    v.page.wait_for_function(SCHEME_APPLIED, arg=attribute, timeout=10000)
                except playwright.Error:
                    problems.append(f"/{path}: the palette toggle did not switch to {scheme}")
                    break
                if not AXE.is_file():
                    continue
                try:
                    violations = run_axe(v.page)
                except playwright.Error as e:  # name the page; the other pages are still checked
                    problems.append(f"/{path} [{scheme}] axe failed: {str(e).splitlines()[0]}")
                    continue
                report[scheme][f"/{path}"] = violations
                problems += [f"/{path} [{scheme}] axe {x['impact']}: {x['id']} ({x['help']}) at {x['nodes']}"
                             for x in violations]
            else:  # back to light: Material remembers the choice for the next page
                if not light_only(path):
                    v.page.eval_on_selector(TOGGLE, "label => label.click()")
    (ARTIFACTS / f"axe-part{shard + 1}of{SHARDS}.json").write_text(json.dumps(report, indent=1))
    assert not problems, "\n".join(problems)
    if not AXE.is_file():
        pytest.skip("axe-core not installed (npm ci): accessibility not checked; pages loaded cleanly in both schemes")


def test_search_finds_text_that_only_a_notebook_has(server, browser):
    base, site = server
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    sep = re.compile(index["config"]["separator"])

    def words(docs):  # whole tokens as the search engine splits them (camelCase inside code is one long token)
        return {t for d in docs for t in (w.strip(".,:;()[]'\"`") for w in sep.split(re.sub(r"<[^>]+>", " ", d["text"].lower())))
                if re.fullmatch(r"[a-z]{8,}", t)}
    nb_docs = [d for d in index["docs"] if d["location"].startswith("notebooks/")]
    other = words(d for d in index["docs"] if not d["location"].startswith("notebooks/"))
    only_nb = sorted(words(nb_docs) - other)
    assert only_nb, "no notebook text is searchable"
    term = only_nb[len(only_nb) // 2]
    with Visit(browser, base) as v:
        v.page.goto(base + "/", wait_until="networkidle")
        v.page.keyboard.press("/")  # Material's search shortcut focuses the search box
        box = v.page.locator("input.md-search__input")
        box.press_sequentially(term, delay=50)
        v.page.wait_for_selector(".md-search-result__item", timeout=30000)
        hrefs = v.page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    assert any("/notebooks/" in h for h in hrefs), f"searching {term!r} found {hrefs[:5]}"


def _rgb(css: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", css)[:3])


def _luminance(rgb) -> float:
    c = [x / 255 for x in rgb]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _effective_background(page, selector: str) -> str:
    return page.evaluate("""sel => { let e = document.querySelector(sel);
        while (e) { const c = getComputedStyle(e).backgroundColor;
                    if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; e = e.parentElement; }
        return 'rgb(255, 255, 255)'; }""", selector)


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks")
def test_palette_toggle_and_readable_notebook_cells(server, browser):
    base, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    nb = NOTEBOOKS[0].stem
    with Visit(browser, base, "light") as v:
        v.page.goto(f"{base}/notebooks/{nb}/", wait_until="networkidle")
        schemes = []
        for _ in range(2):
            scheme = v.page.get_attribute("body", "data-md-color-scheme")
            schemes.append(scheme)
            v.page.screenshot(path=str(ARTIFACTS / f"notebook-{nb}-{scheme}.png"), full_page=False)
            for sel in (".jp-InputArea .highlight pre, .jp-InputArea pre", ".jp-OutputArea-output pre"):
                if v.page.query_selector(sel) is None:
                    continue
                fg = v.page.eval_on_selector(sel, "e => getComputedStyle(e).color")
                bg = _effective_background(v.page, sel)
                ratio = _contrast(_rgb(fg), _rgb(bg))
                assert ratio >= 4.5, f"{sel} in {scheme}: contrast {ratio:.1f} ({fg} on {bg})"
            v.page.click("form[data-md-component=palette] label:visible")
            v.page.wait_for_timeout(300)
    assert schemes == ["default", "slate"], schemes


@pytest.mark.parametrize("lang", ["", "zh/"], ids=["en", "zh"])
def test_linked_tabs_follow_the_reader(server, browser, lang):
    base, site = server
    tabbed = []
    for page in sorted((site / lang).glob("*/index.html")):
        text = page.read_text(encoding="utf-8")
        if 'class="tabbed-set' in text and ">TensorFlow</label>" in text:
            tabbed.append(lang + page.parent.name)
    if len(tabbed) < 2:
        pytest.fail(f"linked tabs need two chapters with PyTorch/TensorFlow tabs; found {tabbed}")
    with Visit(browser, base) as v:
        first = None
        for name in tabbed:  # the first page whose TensorFlow tab is visible (not inside a collapsed block)
            v.page.goto(f"{base}/{name}/", wait_until="networkidle")
            label = v.page.locator(".tabbed-labels > label").filter(has_text=re.compile(r"^\s*TensorFlow\s*$")) \
                .filter(visible=True)
            if label.count():
                label.first.click()
                # Material remembers the choice in localStorage; the next page restores it from there.
                v.page.wait_for_function("Object.entries(localStorage).some(([k, x]) => "
                                         "k.endsWith('__tabs') && x.includes('TensorFlow'))", timeout=10000)
                first = name
                break
        assert first, f"no page shows a visible TensorFlow tab: {tabbed}"
        second = next(n for n in tabbed if n != first)
        v.page.goto(f"{base}/{second}/", wait_until="networkidle")
        checked = v.page.evaluate("""() => [...document.querySelectorAll('.tabbed-set')].filter(s =>
            [...s.querySelectorAll('.tabbed-labels label')].some(l => l.textContent.trim() === 'TensorFlow'))
            .map(s => { const i = s.querySelector('input:checked');
                        return s.querySelector(`label[for="${i.id}"]`).textContent.trim(); })""")
    assert checked and all(c == "TensorFlow" for c in checked), f"{second}: tabs after choosing TensorFlow: {checked}"


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks")
def test_notebook_code_does_not_scroll_sideways_at_1280px(server, browser):
    """Code cells and text outputs fit a 1280-px screen (wider column, wrapped long lines: docs/assets/site.css)."""
    base, _ = server
    ARTIFACTS.mkdir(exist_ok=True)
    scrolling = {}
    with Visit(browser, base) as v:
        for nb in NOTEBOOKS:
            v.page.goto(f"{base}/notebooks/{nb.stem}/", wait_until="networkidle")
            n = v.page.evaluate("""() => [...document.querySelectorAll('.jp-InputArea pre, .jp-OutputArea pre')]
                .filter(e => e.scrollWidth > e.clientWidth + 1).length""")
            if n:
                scrolling[nb.stem] = n
        v.page.screenshot(path=str(ARTIFACTS / f"notebook-{NOTEBOOKS[-1].stem}-1280px.png"))
    assert not scrolling, f"code cells or outputs that scroll sideways at 1280 px: {scrolling}"


SIZED_BLOCKS = """() => [...document.querySelectorAll('pre[style^="contain-intrinsic-block-size"]')]
    .filter(p => p.offsetParent).map(p => {
        const em = parseFloat(p.style.containIntrinsicBlockSize.split(' ').pop());
        return [em * parseFloat(getComputedStyle(p).fontSize), p.getBoundingClientRect().height,
                p.closest('.admonition, details, .tabbed-block') !== null];
    })"""


def test_code_block_placeholders_are_never_shorter_than_the_block(server, browser, width=390):
    """A chapter's code block is rendered only near the screen; until then it is as tall as the placeholder the build
    sets from its line count (scripts/mkdocs_hooks/load_order.py). A placeholder shorter than the block lets an
    unrendered block's text overflow onto what follows, for a tool that measures it (axe did); a much taller one
    leaves a gap above the reader. Checked rendered, on the chapters with the most blocks, plain and in admonitions,
    on a phone: the most lines scroll sideways there, and up to 1600 px the root font size is the same (the
    placeholders are in em)."""
    base, site = server
    chapters = sorted((p for p in site.glob("*/index.html") if "contain-intrinsic-block-size" in p.read_text("utf-8")),
                      key=lambda p: -p.read_text("utf-8").count("contain-intrinsic-block-size"))[:4]
    assert chapters, "no chapter has a sized code block"
    short, loose, n = [], [], 0
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for chapter in chapters:
            page.goto(f"{base}/{chapter.parent.name}/", wait_until="networkidle")
            page.add_style_tag(content="pre { content-visibility: visible !important; }")
            for i, (placeholder, real, nested) in enumerate(page.evaluate(SIZED_BLOCKS)):
                n += 1
                if placeholder < real:
                    short.append(f"/{chapter.parent.name}/ block {i}: {placeholder:.0f} px < {real:.0f} px")
                if placeholder > real * 1.25 + 24:
                    loose.append(f"/{chapter.parent.name}/ block {i}: {placeholder:.0f} px for {real:.0f} px")
    finally:
        context.close()
    assert n > 20, f"only {n} sized blocks checked"
    assert not short, f"placeholders shorter than their block at {width} px: {short}"
    assert not loose, f"placeholders far taller than their block at {width} px: {loose}"


def _search(v, base: str, lang: str, term: str) -> tuple[list[str], list[str]]:
    """Result links for `term` typed into the search box of the language's home page, and the search indexes the
    page downloaded."""
    indexes = []
    v.page.on("request", lambda r: r.url.endswith("search_index.json") and indexes.append(urlparse(r.url).path))
    v.page.goto(f"{base}/{lang}", wait_until="networkidle")
    v.page.keyboard.press("/")
    box = v.page.locator("input.md-search__input")
    box.fill(term)  # Chinese is inserted as text, not typed key by key: a key press then starts the search
    box.press("End")
    v.page.wait_for_selector(".md-search-result__item", timeout=30000)
    return v.page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)"), indexes


@pytest.mark.parametrize("lang, term, page", [("zh/", "混合精度", "zh/mixed-precision/"), ("zh/", "量化", "zh/notebooks/quantization/"),
                                              ("zh/", "张量并行", "zh/notebooks/model_parallel/"),
                                              ("", "quantization", "notebooks/quantization/")])
def test_search_in_each_language_finds_its_pages_from_its_own_index(server, browser, lang, term, page):
    """A Chinese query on a Chinese page finds Chinese pages, notebook pages included; each language downloads only
    its own index (scripts/mkdocs_hooks/search_per_language.py)."""
    base, _ = server
    with Visit(browser, base) as v:
        hrefs, indexes = _search(v, base, lang, term)
    paths = [urlparse(h).path.lstrip("/") for h in hrefs]
    assert any(p.startswith(page) for p in paths), f"searching {term!r} on /{lang} found {paths[:8]}"
    assert all(p.startswith("zh/") == (lang == "zh/") for p in paths), f"other-language results: {paths[:8]}"
    assert indexes == [f"/{lang}search/search_index.json"], indexes


def test_language_switch_lands_on_the_same_page_and_back(server, browser):
    """From every kind of page (home, chapter, notebook, calculators, corrections, glossary, print page), the
    switcher goes to the same page in Chinese, and from there back."""
    base, site = server
    paths = ["", "training/", "notebooks/amp/", "estimate/", "corrections/", "glossary/", "print_page/"]
    with Visit(browser, base) as v:
        for path in paths:
            assert (site / path / "index.html").is_file(), path
            trail = []
            for hreflang in ("zh", "en"):
                v.page.goto(f"{base}/{path if hreflang == 'zh' else 'zh/' + path}", wait_until="domcontentloaded")
                with v.page.expect_navigation(wait_until="domcontentloaded"):
                    v.page.eval_on_selector(f"a.md-select__link[hreflang={hreflang}]", "a => a.click()")
                trail.append(urlparse(v.page.url).path)
                assert v.page.get_attribute("html", "lang") == ("zh" if hreflang == "zh" else "en"), v.page.url
            assert trail == [f"/zh/{path}", f"/{path}"], f"/{path}: switched to {trail}"
