"""MkDocs hooks: notebooks from notebooks/, their header, offline pages, the corrections index.

- Notebooks live once, in notebooks/; they are added to the site as notebooks/<name>/ (before mkdocs-jupyter
  sees the file list, so it renders them) and their .ipynb is copied next to the page for download.
- Each notebook page gets a header under its title: Open in Colab / View source / Download, built from
  `repo_url` + `extra.repo_branch` + the notebook's path, and a provenance stamp from its metadata.
- Notebook links to chapters are written `../docs/<chapter>.md` (right on GitHub and in Jupyter); they are
  rewritten here to the chapter's page.
- Nothing is requested from another host: nbconvert's MathJax and mermaid loaders are removed (the notebooks
  use neither), and its ~600 KB of inlined CSS becomes one shared, cacheable stylesheet.
- docs/corrections.md gets, in place of `<!-- corrections-list -->`, every "Fixed from the source: ..."
  admonition of every chapter, grouped by chapter, each linked to the section that explains it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import re
import shutil
from pathlib import Path

from markdown.extensions.toc import slugify
from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.elm")
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = "notebooks"
NOTEBOOK_CSS = "assets/notebook.css"
CORRECTIONS_MARKER = "<!-- corrections-list -->"
# "Fixed from the source: ..." (English) / "源材料更正：..." (Chinese)
FIX_TITLE = re.compile(r'^(?P<indent>\s*)(?:!!!|\?\?\?\+?)\s+\w+\s+"(?:Fixed from the source:|源材料更正：)\s*(?P<title>.+)"\s*$')
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{(?:#(?P<id>[\w-]+))?[^}]*\})?\s*#*\s*$")
CORRECTIONS_TEXT = {
    "en": ("{total} corrections in {chapters} chapters, generated from the chapters themselves.",
           "{n} correction(s) in [{title}]({src}):"),
    "zh": ("共 {total} 处更正，分布在 {chapters} 章，由各章内容自动生成。", "[{title}]({src})中的 {n} 处更正："),
}

_notebook_css: dict[str, str] = {}


# ---------------------------------------------------------------- notebooks as pages

def current_language(config) -> str:
    """'en' or 'zh': mkdocs-static-i18n builds the site once per language, each with its theme language."""
    return config["theme"]["language"]


@event_priority(-110)  # after mkdocs-static-i18n (-100), which re-creates every file as a plain File
def on_files(files, config):
    """Notebooks reach docs/ through the docs/notebooks symlink; make each one a page again (mkdocs-jupyter's
    NotebookFile), at the URL of its language: notebooks/<name>/ or zh/notebooks/<name>/."""
    lang = current_language(config)
    for file in [f for f in files if f.src_uri.endswith(".ipynb") and not isinstance(f, NotebookFile)]:
        page = NotebookFile(file, use_directory_urls=config["use_directory_urls"], site_dir=config["site_dir"])
        prefix, stem = ("" if lang == "en" else f"{lang}/"), Path(file.src_uri).name.split(".")[0]
        page.dest_path = f"{prefix}{NOTEBOOK_DIR}/{stem}/index.html"
        page.abs_dest_path = str(Path(config["site_dir"]) / page.dest_path)
        page.url = f"{prefix}{NOTEBOOK_DIR}/{stem}/"
        files.remove(file)
        files.append(page)
    return files


# Per-language UI text of the notebook header.
HEADER_TEXT = {
    "en": {"colab": "Open in Colab", "source": "View source on GitHub", "download": "Download notebook",
           "executed": "Executed", "cores": "cores", "never": "Not executed by <code>make notebooks</code> yet: "
           "outputs have no provenance."},
    "zh": {"colab": "在 Colab 中打开", "source": "在 GitHub 上查看源文件", "download": "下载笔记本",
           "executed": "执行于", "cores": "核", "never": "尚未由 <code>make notebooks</code> 执行：输出没有出处记录。"},
}


def github_parts(config) -> tuple[str, str] | None:
    """('owner/repo', branch) when repo_url is a GitHub repository, else None."""
    m = re.match(r"https?://github\.com/([^/]+/[^/#?]+?)(?:\.git)?/?$", config.get("repo_url") or "")
    return (m.group(1), config["extra"].get("repo_branch", "main")) if m else None


def provenance_stamp(meta: dict, lang: str = "en") -> str:
    t = HEADER_TEXT[lang]
    prov = meta.get("provenance")
    if not prov:
        return t["never"]
    v, hw = prov.get("versions", {}), prov.get("hardware", {})
    parts = [f"{t['executed']} {prov.get('executed', '?')}", f"Python {v.get('python', '?')}"]
    if v.get("torch"):
        parts.append(f"PyTorch {v['torch']}")
    if v.get("tensorflow"):
        parts.append(f"TensorFlow {v['tensorflow']}")
    device = f"GPU {hw['gpu']}" if hw.get("gpu") else f"CPU {hw.get('cpu', '?')} ({hw.get('cores', '?')} {t['cores']})"
    parts += [device, f"{prov.get('seconds', '?')} s"]
    return " · ".join(html.escape(str(p)) for p in parts)


def notebook_header(page, config) -> str:
    src = page.file.src_uri  # notebooks/<name>.ipynb, or notebooks/<name>.zh.ipynb
    name = Path(src).name
    t = HEADER_TEXT[current_language(config)]
    links = []
    gh = github_parts(config)
    if gh:
        repo, branch = gh
        links.append((t["colab"], f"https://colab.research.google.com/github/{repo}/blob/{branch}/{src}",
                      "elm-colab"))
        links.append((t["source"], f"https://github.com/{repo}/blob/{branch}/{src}", "elm-source"))
    links.append((t["download"], name, "elm-download"))
    buttons = "".join(
        f'<a class="md-button{" md-button--primary" if i == 0 else ""} {cls}" href="{html.escape(url)}"'
        f'{" download" if cls == "elm-download" else ""}>{label}</a>'
        for i, (label, url, cls) in enumerate(links))
    meta = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8")).get("metadata", {})
    return (f'<div class="elm-notebook-header"><p class="elm-buttons">{buttons}</p>'
            f'<p class="elm-provenance">{provenance_stamp(meta, current_language(config))}</p></div>')


def _rewrite_chapter_links(content: str, page, files) -> str:
    def repl(m):
        target, anchor = m.group(2), m.group(3) or ""
        f = files.get_file_from_path(target)
        if f is None:
            log.warning("%s links to ../docs/%s, which does not exist", page.file.src_uri, target)
            return m.group(0)
        return f'{m.group(1)}"{get_relative_url(f.url, page.url)}{anchor}"'
    return re.sub(r'(href=)"\.\./docs/([^"#]+\.md)(#[^"]*)?"', repl, content)


def _strip_external_loaders(content: str) -> str:
    # nbconvert's template adds a MathJax <script src=""> (empty unless custom_mathjax_url is set) and, when a
    # cell has mermaid, an import() of mermaid from a CDN. Our notebooks use neither (CONTRIBUTING.md).
    content = re.sub(r'<script[^>]*\ssrc="\s*"[^>]*>\s*</script>', "", content)
    return re.sub(r"<script[^>]*>(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>", "", content, flags=re.S)


def _extract_images(content: str, page, config) -> str:
    """Write base64 <img> outputs to files next to the page (cacheable, lighter HTML) with a useful alt text."""
    out_dir = Path(config["site_dir"]) / page.file.dest_uri
    out_dir = out_dir.parent
    headings = [(m.start(), re.sub(r"<[^>]+>", "", m.group(1)).replace("¶", "").strip())
                for m in re.finditer(r"<h[1-4][^>]*>(.*?)</h[1-4]>", content, flags=re.S)]
    title = headings[0][1] if headings else page.file.name

    def repl(m):
        kind, data = m.group(2), m.group(3)
        raw = base64.b64decode(data)
        ext = {"png": "png", "jpeg": "jpg", "svg+xml": "svg"}.get(kind, "bin")
        name = f"fig-{hashlib.sha256(raw).hexdigest()[:12]}.{ext}"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / name).write_bytes(raw)
        section = next((h for pos, h in reversed(headings) if pos < m.start()), title)
        alt = html.escape(f"Plot from the notebook “{title}”, section “{section}”", quote=True)
        return f'<img alt="{alt}" loading="lazy"{m.group(1) or ""} src="{name}"'

    content = re.sub(r'<img alt="No description has been provided for this image"(\s[^>]*?)?\s*src="data:image/'
                     r'(png|jpeg|svg\+xml);base64,([A-Za-z0-9+/=\s]+)"',
                     repl, content)
    return content


def _align_toc(content: str, page) -> None:
    """mkdocs-jupyter builds the table of contents from the headings' text without their `code` spans, while
    nbconvert's heading ids keep it: the TOC links would miss. Point each TOC entry at its heading's real id."""
    items, stack = [], list(reversed(list(page.toc)))
    while stack:
        item = stack.pop()
        items.append(item)
        stack.extend(reversed(item.children))
    levels = {item.level for item in items}
    heads = [(int(m.group(1)), m.group(2), m.group(3))
             for m in re.finditer(r'<h([1-6])\s+id="([^"]+)"[^>]*>(.*?)</h\1>', content, flags=re.S)]
    heads = [h for h in heads if h[0] in levels]
    if [h[0] for h in heads] != [item.level for item in items]:
        log.warning("%s: table of contents and headings disagree; TOC links may miss", page.file.src_uri)
        return
    for item, (_, hid, inner) in zip(items, heads):
        item.id = hid
        # keep the `code` words the TOC dropped ("The current route:" -> "The current torchao route:")
        item.title = html.escape(html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip())


def _english_heading_ids(content: str, page) -> str:
    """A Chinese notebook's headings get the English notebook's heading ids, in order: the slug of a Chinese
    heading is empty (ids "" break the TOC and collide), and shared anchors keep links and the language switch
    landing on the same section. Code cells are shared, so the headings correspond one to one."""
    src = page.file.src_uri
    if not src.endswith(".zh.ipynb"):
        return content
    english = ROOT / src.replace(".zh.ipynb", ".ipynb")
    if not english.is_file():
        return content
    cells = json.loads(english.read_text(encoding="utf-8"))["cells"]
    ids = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        text = re.sub(r"^(`{3,}|~{3,}).*?^\1\s*$", "", "".join(cell["source"]), flags=re.M | re.S)
        ids += [slugify(re.sub(r"[`*]", "", m.group(1)).strip(), "-")
                for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, flags=re.M)]
    heads = list(re.finditer(r'<h([1-6])\s+id="([^"]*)"(.*?)</h\1>', content, flags=re.S))
    if len(heads) != len(ids):
        log.warning("%s: %d headings, the English notebook has %d: heading ids not shared", src, len(heads), len(ids))
        return content
    seen: dict[str, int] = {}
    out, last = [], 0
    for m, hid in zip(heads, ids):
        n = seen.get(hid, 0)
        seen[hid] = n + 1
        hid = f"{hid}_{n}" if n else hid
        inner = m.group(3).replace(f'class="anchor-link" href="#{m.group(2)}"', f'class="anchor-link" href="#{hid}"')
        out += [content[last:m.start()], f'<h{m.group(1)} id="{hid}"{inner}</h{m.group(1)}>']
        last = m.end()
    return "".join(out) + content[last:]


def _rewrite_notebook_links(content: str) -> str:
    """`other.ipynb` (right on GitHub and in Jupyter) -> the other notebook's page `../other/`."""
    names = {nb.name for nb in (ROOT / NOTEBOOK_DIR).glob("*.ipynb")}
    return re.sub(r'href="([\w-]+\.ipynb)(#[^"]*)?"',
                  lambda m: f'href="../{m.group(1)[:-6]}/{m.group(2) or ""}"' if m.group(1) in names else m.group(0),
                  content)


def _extract_css(content: str, page) -> str:
    # Move the inlined <style> blocks into one stylesheet written once in on_post_build.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", content, flags=re.S)
    if styles:
        css = "\n".join(styles)
        _notebook_css.setdefault(hashlib.sha256(css.encode()).hexdigest(), css)
        content = re.sub(r"<style[^>]*>.*?</style>\s*", "", content, flags=re.S)
    href = get_relative_url(NOTEBOOK_CSS, page.file.url)
    return f'<link rel="stylesheet" href="{href}">\n' + content


@event_priority(50)  # before print-site collects the page for the printable whole-site page
def on_page_content(html_content, page, config, files):
    if not page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/") or not page.file.src_uri.endswith(".ipynb"):
        return html_content
    content = _strip_external_loaders(html_content)
    content = _extract_css(content, page)
    content = _extract_images(content, page, config)
    content = _rewrite_chapter_links(content, page, files)
    content = _rewrite_notebook_links(content)
    content = _english_heading_ids(content, page)
    _align_toc(content, page)
    # Wide code and output areas scroll sideways: keyboard users must be able to focus them (axe).
    content = re.sub(r'<div class="(highlight-ipynb[^"]*)"', r'<div tabindex="0" class="\1"', content)
    content = re.sub(r'(<div class="jp-RenderedText[^"]*"[^>]*>\s*|<div class="highlight">)<pre>', r'\1<pre tabindex="0">',
                     content)
    # Outputs (logs, tables, numbers) stay out of the search index: it is downloaded by every reader who
    # searches, and code + prose find the notebook. Material's search honours data-search-exclude.
    content = re.sub(r'<div class="(jp-OutputArea jp-Cell-outputArea|jp-InputPrompt[^"]*|jp-OutputPrompt[^"]*)"',
                     r'<div data-search-exclude class="\1"', content)
    header = notebook_header(page, config)
    content, n = re.subn(r"(</h1>)", r"\1" + header.replace("\\", "\\\\"), content, count=1)
    if n == 0:
        log.warning("%s has no '# Title' heading: its buttons and provenance stamp have nowhere to go",
                    page.file.src_uri)
    return content


_english_print_page: list[str] = []


def _place_print_page(site: Path, lang: str) -> Path:
    """print-site writes <site>/print_page/index.html in every language build (the Chinese build, nested in the
    English one's post-build, overwrites the English page): keep each language's at its own URL."""
    printable = site / "print_page" / "index.html"
    if lang == "en":
        _english_print_page[:] = [printable.read_text(encoding="utf-8")] if printable.is_file() else []
        return printable
    own = site / lang / "print_page" / "index.html"
    if printable.is_file() and _english_print_page:
        own.parent.mkdir(parents=True, exist_ok=True)
        # one level deeper now: every relative URL gains a "../"
        text = re.sub(r'(\s(?:href|src)=")(?!#|[a-z]+:|/)', r"\1../", printable.read_text(encoding="utf-8"))
        own.write_text(text, encoding="utf-8")
        printable.write_text(_english_print_page[0], encoding="utf-8")
    return own


@event_priority(-50)  # after print-site (0) has written print_page/index.html, before i18n (-100) builds zh
def on_post_build(config):
    site, lang = Path(config["site_dir"]), current_language(config)
    for english in sorted((ROOT / NOTEBOOK_DIR).glob("*.ipynb")):
        if "." in english.stem:
            continue
        translated = english.with_name(f"{english.stem}.{lang}.ipynb")
        nb = translated if lang != "en" and translated.is_file() else english
        # next to notebooks/<name>/index.html (zh/notebooks/<name>/ for Chinese)
        dest = site / ("" if lang == "en" else lang) / NOTEBOOK_DIR / english.stem / nb.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dest)
    printable = _place_print_page(site, lang)
    if printable.is_file():  # wide code blocks and tables scroll sideways there too: make them keyboard-focusable (axe)
        text = printable.read_text(encoding="utf-8")
        text = re.sub(r"<table(?![^>]*tabindex)", '<table tabindex="0"', text)
        printable.write_text(re.sub(r"<pre([^>]*)>(<span></span>)?<code(?![^>]*tabindex)",
                                                   r'<pre\1>\2<code tabindex="0"', text),
                             encoding="utf-8")
    if len(_notebook_css) > 1:
        log.info("notebook pages carry %d different inlined stylesheets; using the first", len(_notebook_css))
    if _notebook_css:
        pages = list((site / NOTEBOOK_DIR).glob("*/index.html")) + list(site.glob("print_page/index.html"))
        css = purge_css(next(iter(_notebook_css.values())), used_classes(pages))
        site_css = "".join(p.read_text(encoding="utf-8") for p in (Path(config["docs_dir"]) / "assets").glob("*.css"))
        css = prune_unused_variables(css, site_css)
        out = site / NOTEBOOK_CSS
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(css, encoding="utf-8")


# ---------------------------------------------------------------- corrections index

def collect_corrections(docs_dir: Path, nav_order: list[str], lang: str = "en") -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(chapter src path, chapter title, [(correction title, anchor)])] in nav order, from the pages in `lang`."""
    out = []
    for src in nav_order:
        path = docs_dir / src
        if lang != "en" and path.with_suffix(f".{lang}.md").is_file():
            path = path.with_suffix(f".{lang}.md")
        if not path.is_file() or src == "corrections.md":
            continue
        title, anchor, fixes, in_fence = src, "", [], False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
            if in_fence:
                continue
            h = HEADING.match(line)
            if h:
                text = re.sub(r"[`*_]", "", h.group(2))
                if len(h.group(1)) == 1:
                    title = text
                else:
                    anchor = h.group("id") or slugify(text, "-")
                continue
            m = FIX_TITLE.match(line)
            if m:
                fixes.append((m.group("title").strip(), anchor))
        if fixes:
            out.append((src, title, fixes))
    return out


def _nav_sources(nav) -> list[str]:
    out = []
    for item in nav or []:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            out += _nav_sources(value)
        elif isinstance(value, str) and value.endswith(".md"):
            out.append(value)
    return out


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri not in ("corrections.md", "corrections.zh.md") or CORRECTIONS_MARKER not in markdown:
        return markdown
    lang = current_language(config)
    intro, per_chapter = CORRECTIONS_TEXT[lang]
    groups = collect_corrections(Path(config["docs_dir"]), _nav_sources(config["nav"]), lang)
    lines = []
    for src, title, fixes in groups:
        lines += [f"### {title}", "", per_chapter.format(n=len(fixes), title=title, src=src), ""]
        lines += [f"- [{t}]({src}{'#' + a if a else ''})" for t, a in fixes]
        lines.append("")
    total = sum(len(f) for _, _, f in groups)
    lines.insert(0, intro.format(total=total, chapters=len(groups)) + "\n")
    return markdown.replace(CORRECTIONS_MARKER, "\n".join(lines))


# ---------------------------------------------------------------- trimming the notebook stylesheet

def _split_css(css: str) -> list[tuple[str, str | None]]:
    """Top-level CSS statements as (prelude, block body) pairs; body None for `@import ...;`-style statements."""
    out, i, n = [], 0, len(css)
    while i < n:
        j = i
        while j < n and css[j] not in "{;":
            if css[j] in "\"'":
                j = css.index(css[j], j + 1)
            j += 1
        if j >= n:
            break
        prelude = css[i:j].strip()
        if css[j] == ";":
            out.append((prelude, None))
            i = j + 1
            continue
        depth, k = 1, j + 1
        while k < n and depth:
            if css[k] in "\"'":
                k = css.index(css[k], k + 1)
            elif css[k] == "{":
                depth += 1
            elif css[k] == "}":
                depth -= 1
            k += 1
        out.append((prelude, css[j + 1:k - 1]))
        i = k
    return out


def purge_css(css: str, used_classes: set[str]) -> str:
    """Drop the rules whose every selector names a class that no notebook page uses (nbconvert ships all of
    JupyterLab's CSS, ~600 KB, for a page that uses a few dozen classes)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    kept = []
    for prelude, body in _split_css(css):
        if body is None:
            kept.append(prelude + ";")
        elif prelude.startswith(("@media", "@supports", "@layer")):
            inner = purge_css(body, used_classes)
            if inner.strip():
                kept.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):
            kept.append(f"{prelude}{{{body}}}")
        else:
            selectors = [s for s in _top_level_split(prelude, ",")
                         if set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", re.sub(r":not\([^)]*\)", "", s))) <= used_classes]
            if selectors:
                kept.append(f"{','.join(s.strip() for s in selectors)}{{{body.strip()}}}")
    return "\n".join(kept)


def _top_level_split(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and quotes (selectors like :is(.a, .b); url(data:...;base64,...))."""
    out, depth, start, quote = [], 0, 0, None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _declarations(body: str) -> list[str]:
    return [d.strip() for d in _top_level_split(body, ";") if d.strip()]


def prune_unused_variables(css: str, other_css: str = "") -> str:
    """Remove custom-property declarations (--jp-...) that nothing reads, repeating until nothing changes."""
    while True:
        used = set(re.findall(r"var\(\s*(--[\w-]+)", css + other_css))

        def keep(body):
            return ";".join(d for d in _declarations(body)
                            if not d.startswith("--") or d.split(":", 1)[0].strip() in used)

        def rewrite(text):
            parts = []
            for prelude, body in _split_css(text):
                if body is None:
                    parts.append(prelude + ";")
                elif prelude.startswith(("@media", "@supports", "@layer")):
                    parts.append(f"{prelude}{{{rewrite(body)}}}")
                elif prelude.startswith("@"):
                    parts.append(f"{prelude}{{{body}}}")
                else:
                    body = keep(body)
                    if body:
                        parts.append(f"{prelude}{{{body}}}")
            return "\n".join(parts)

        new = rewrite(css)
        if new == css:
            return css
        css = new


def used_classes(html_files) -> set[str]:
    classes = set()
    for f in html_files:
        for attr in re.findall(r'class="([^"]*)"', Path(f).read_text(encoding="utf-8")):
            classes.update(attr.split())
    return classes
