"""The built site: strict build, notebook pages with outputs and headers, nothing off-host, links resolve."""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import NOTEBOOKS, ROOT, nb_id

PAGE_BUDGET = 1.5 * 1024 * 1024  # bytes: the page's HTML plus every local resource it loads


class _Loader(yaml.SafeLoader):
    pass


def _env(loader, node):
    """MkDocs' `!ENV [NAME, default]`: the variable when set, else the default (as the build sees it)."""
    *names, default = loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else [None]
    return next((os.environ[n] for n in names if n in os.environ), default)


_Loader.add_constructor("!ENV", _env)
_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # other tags (python/name: ...) unused here
CONFIG = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)


def pages(site: Path):
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


@functools.cache  # each page parsed once per worker, not once per test (~13 s for the whole site); never mutated
def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_strict_build_passes_quickly(built_site):
    site, seconds, log = built_site
    print(f"\nmkdocs build --strict: {seconds:.1f} s")
    assert (site / "index.html").is_file()
    # The tests build while notebooks run on both cores; idle, the goal is 25 s (`make bench` times it).
    assert seconds < 60, f"strict build took {seconds:.0f} s"


def resources(page: Path, s: BeautifulSoup) -> list[str]:
    """Every URL the page loads by itself (not links a reader clicks)."""
    urls = [t.get("src") for t in s.find_all(["script", "img", "iframe", "audio", "video", "source", "embed"])]
    urls += [t.get("href") for t in s.find_all("link") if set(t.get("rel", [])) & {"stylesheet", "preconnect", "preload",
                                                                                    "icon", "modulepreload", "manifest"}]
    urls += re.findall(r"""import\(\s*["']([^"']+)["']""", str(s))
    for style in s.find_all("style"):
        urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", style.get_text())
    return [u for u in urls if u]


def test_no_page_requests_another_host(built_site):
    site, _, _ = built_site
    offenders = []
    for page in pages(site):
        for url in resources(page, soup(page)):
            if urlparse(url).scheme in ("http", "https") or url.startswith("//"):
                offenders.append(f"{page.relative_to(site)}: {url}")
    for css in site.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?((?:https?:)?//[^'\")]+)", css.read_text(encoding="utf-8")):
            offenders.append(f"{css.relative_to(site)}: {url}")
        offenders += [f"{css.relative_to(site)}: @import {u}" for u in
                      re.findall(r"@import\s+(?:url\()?['\"]?(https?://[^'\")]+)", css.read_text(encoding="utf-8"))]
    assert not offenders, "pages load resources from other hosts:\n" + "\n".join(offenders[:30])


def test_every_table_column_has_a_header(built_site):
    """A cell under an empty <th> has no header for a screen reader to announce with it (axe's td-has-header, which
    Lighthouse runs and axe's default run in tests/test_browser.py does not)."""
    site, _, _ = built_site
    empty = [f"{page.relative_to(site)}: table {i}, headers {[th.get_text(strip=True) for th in t.find_all('th')]}"
             for page in pages(site) for i, t in enumerate(soup(page).find_all("table"), 1)
             if any(not th.get_text(strip=True) for th in t.find_all("th"))]
    assert not empty, "tables with an empty header cell:\n" + "\n".join(empty[:20])


def _target(site: Path, page: Path, href: str) -> tuple[Path, str]:
    parsed = urlparse(href)
    path = unquote(parsed.path)
    target = (page.parent / path).resolve() if path else page
    if target.is_dir() or path.endswith("/"):
        target = target / "index.html"
    return target, parsed.fragment


def test_internal_links_and_anchors_resolve(built_site):
    site, _, _ = built_site
    ids_cache: dict[Path, set[str]] = {}
    broken, external = [], set()
    for page in pages(site):
        s = soup(page)
        for a in s.find_all("a", href=True):
            href = a["href"]
            if urlparse(href).scheme in ("http", "https", "mailto") or href.startswith("//"):
                external.add(href)
                continue
            target, frag = _target(site, page, href)
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
                continue
            if frag and target.suffix == ".html":
                if target not in ids_cache:
                    ids_cache[target] = {t.get("id") for t in soup(target).find_all(id=True)} | \
                                        {t.get("name") for t in soup(target).find_all(attrs={"name": True})}
                if frag not in ids_cache[target]:
                    broken.append(f"{page.relative_to(site)} -> {href} (no such anchor)")
    print(f"\n{len(external)} external links (listed, not fetched: no internet here)")
    assert not broken, "broken internal links:\n" + "\n".join(broken[:40])


def test_every_page_within_weight_budget(built_site):
    site, _, _ = built_site
    heavy, printable = [], {site / "print_page" / "index.html", site / "zh" / "print_page" / "index.html"}
    for page in pages(site):
        total = page.stat().st_size
        for url in set(resources(page, soup(page))):
            local = (page.parent / unquote(urlparse(url).path)).resolve()
            if local.is_file():
                total += local.stat().st_size
        if page in printable:  # the whole site on one page, images not lazy: a download, not a reading page
            print(f"\n{page.relative_to(site)} (the whole site, for printing): {total / 1e6:.2f} MB")
            continue
        if total > PAGE_BUDGET:
            heavy.append(f"{page.relative_to(site)}: {total / 1e6:.2f} MB")
    assert not heavy, "pages over 1.5 MB (HTML + local resources, uncompressed):\n" + "\n".join(heavy)


def expected_colab(name: str) -> str | None:
    m = re.match(r"https?://github\.com/([^/]+/[^/]+?)(?:\.git)?/?$", CONFIG["repo_url"])
    branch = CONFIG.get("extra", {}).get("repo_branch", "main")
    return f"https://colab.research.google.com/github/{m.group(1)}/blob/{branch}/notebooks/{name}" if m else None


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=nb_id)
def test_notebook_page(built_site, nb):
    site, _, _ = built_site
    page = site / "notebooks" / nb.stem / "index.html"
    assert page.is_file(), f"{nb.name} has no page in the site"
    s = soup(page)
    outputs = s.select(".jp-OutputArea-output")
    assert outputs, f"{nb.name}: page shows no outputs"
    for img in s.find_all("img"):
        src = img.get("src", "")
        if src.startswith("fig-"):
            assert (page.parent / src).is_file(), f"{nb.name}: image {src} missing"
            assert img.get("alt") and "No description" not in img["alt"]
    header = s.select_one(".elm-notebook-header")
    assert header, f"{nb.name}: no header with buttons under the title"
    colab = header.select_one("a.elm-colab")
    if expected_colab(nb.name):
        assert colab and colab["href"] == expected_colab(nb.name)
        # the Chinese page opens the Chinese notebook in Colab (the link is static HTML: no browser needed)
        zh = soup(site / "zh" / "notebooks" / nb.stem / "index.html").select_one(".elm-notebook-header a.elm-colab")
        assert zh and zh["href"] == expected_colab(f"{nb.stem}.zh.ipynb"), zh
    download = header.select_one("a.elm-download")
    assert download and (page.parent / download["href"]).read_bytes() == nb.read_bytes()
    stamp = header.select_one(".elm-provenance").get_text()
    assert stamp.startswith("Executed ") and "Python" in stamp, stamp
    assert not s.find_all("style"), f"{nb.name}: nbconvert's inline CSS should be the shared stylesheet"


def test_search_index_has_notebook_content(built_site):
    site, _, _ = built_site
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb.stem}/" in locations, f"{nb.name} is not searchable"


def test_corrections_index_lists_every_fix(built_site):
    site, _, _ = built_site
    fixes = sum(len(re.findall(r'^\s*!!!\s+\w+\s+"Fixed from the source:', p.read_text(encoding="utf-8"), re.M))
                for p in (ROOT / "docs").glob("*.md"))
    page = site / "corrections" / "index.html"
    if not (ROOT / "docs" / "corrections.md").exists():
        pytest.fail("docs/corrections.md is missing")
    listed = [a for a in soup(page).select("article li a") if "#" in a.get("href", "") or a.get("href", "").endswith("/")]
    assert fixes > 0 and len(listed) >= fixes, f"{fixes} corrections in the chapters, {len(listed)} listed"


def _nav_titles(section: str) -> list[str]:
    entries = next(e[section] for e in CONFIG["nav"] if isinstance(e, dict) and section in e)
    return [next(iter(e)) for e in entries]


def test_nav_shows_the_short_notebook_titles_and_no_title_twice(built_site):
    site, _, _ = built_site
    chapters, notebooks = _nav_titles("Chapters"), _nav_titles("Notebooks")
    assert not set(chapters) & set(notebooks), f"titles under both Chapters and Notebooks: {set(chapters) & set(notebooks)}"
    nav = soup(site / "index.html").select("nav.md-nav--primary a.md-nav__link")
    shown = {a.get_text(" ", strip=True) for a in nav}
    assert set(notebooks) <= shown, f"the nav shows other titles than mkdocs.yml's: {set(notebooks) - shown}"


def test_build_speed_patches_change_nothing(built_site):
    """scripts/mkdocs_hooks/build_speed.py replaces print-site's anchor rewrite and gives nbconvert a shared
    template bytecode cache: both must give byte-identical output to what they replace, on the site's own pages."""
    import sys
    sys.path.insert(0, str(ROOT / "scripts" / "mkdocs_hooks"))
    import build_speed
    from nbconvert import HTMLExporter

    site, footnotes = built_site[0], '<li id="fn:1">x</li><sup id="fnref:1">1</sup><h2 id="a">A</h2><h2 id="a">A</h2>'
    for sample in (footnotes, footnotes + '<h3 id="two\nlines">B</h3>'):  # the second: an id with a newline
        assert build_speed.update_anchor_ids(sample, "key") == build_speed._update_anchor_ids(sample, "key")
    for page in [p for p in pages(site) if p.relative_to(site).parts[0] not in ("zh", "print_page")]:  # its inputs
        html = page.read_text(encoding="utf-8")
        assert build_speed.update_anchor_ids(html, "key") == build_speed._update_anchor_ids(html, "key"), page
    notebook = str(min(NOTEBOOKS, key=lambda p: p.stat().st_size))
    cached = [HTMLExporter().from_filename(notebook)[0] for _ in range(2)]
    assert build_speed._cache.store, "nbconvert's templates never went through the shared bytecode cache"
    build_speed.TemplateExporter._create_environment = build_speed._create_environment  # the original
    try:
        assert cached == [HTMLExporter().from_filename(notebook)[0]] * 2
    finally:
        build_speed.TemplateExporter._create_environment = build_speed._cached_environment
    # The selectolax stand-in for nbconvert's BeautifulSoup pass: the same elements, attributes and text as
    # BeautifulSoup writes, up to the number of line breaks between two tags (the page's hooks re-parse and
    # re-write it), on the smallest and the largest notebook (plots, tables, long outputs).
    import re

    import nbconvert.exporters.html as nbhtml
    from _site import fragment

    def read(html):
        return re.sub(r">\s*\n\s*<", ">\n<", fragment(html).inner_html.strip())
    for notebook in (min(NOTEBOOKS, key=lambda p: p.stat().st_size), max(NOTEBOOKS, key=lambda p: p.stat().st_size)):
        fast = HTMLExporter().from_filename(str(notebook))[0]
        nbhtml.BeautifulSoup = build_speed.BeautifulSoup
        try:
            slow = HTMLExporter().from_filename(str(notebook))[0]
        finally:
            nbhtml.BeautifulSoup = build_speed.LexborSoup
        assert read(fast) == read(slow), notebook.name
