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
from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.elm")
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = "notebooks"
NOTEBOOK_CSS = "assets/notebook.css"
CORRECTIONS_MARKER = "<!-- corrections-list -->"
FIX_TITLE = re.compile(r'^(?P<indent>\s*)(?:!!!|\?\?\?\+?)\s+\w+\s+"Fixed from the source:\s*(?P<title>.+)"\s*$')
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{[^}]*\})?\s*#*\s*$")

_notebook_css: dict[str, str] = {}


# ---------------------------------------------------------------- notebooks as pages

@event_priority(100)  # before mkdocs-jupyter wraps the notebook files
def on_files(files, config):
    for nb in sorted((ROOT / NOTEBOOK_DIR).glob("*.ipynb")):
        files.append(File(f"{NOTEBOOK_DIR}/{nb.name}", str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files


def github_parts(config) -> tuple[str, str] | None:
    """('owner/repo', branch) when repo_url is a GitHub repository, else None."""
    m = re.match(r"https?://github\.com/([^/]+/[^/#?]+?)(?:\.git)?/?$", config.get("repo_url") or "")
    return (m.group(1), config["extra"].get("repo_branch", "main")) if m else None


def provenance_stamp(meta: dict) -> str:
    prov = meta.get("provenance")
    if not prov:
        return "Not executed by <code>make notebooks</code> yet: outputs have no provenance."
    v, hw = prov.get("versions", {}), prov.get("hardware", {})
    parts = [f"Executed {prov.get('executed', '?')}", f"Python {v.get('python', '?')}"]
    if v.get("torch"):
        parts.append(f"PyTorch {v['torch']}")
    if v.get("tensorflow"):
        parts.append(f"TensorFlow {v['tensorflow']}")
    device = f"GPU {hw['gpu']}" if hw.get("gpu") else f"CPU {hw.get('cpu', '?')} ({hw.get('cores', '?')} cores)"
    parts += [device, f"{prov.get('seconds', '?')} s"]
    return " · ".join(html.escape(str(p)) for p in parts)


def notebook_header(page, config) -> str:
    src = page.file.src_uri  # notebooks/<name>.ipynb
    name = Path(src).name
    links = []
    gh = github_parts(config)
    if gh:
        repo, branch = gh
        links.append(("Open in Colab", f"https://colab.research.google.com/github/{repo}/blob/{branch}/{src}",
                      "elm-colab"))
        links.append(("View source on GitHub", f"https://github.com/{repo}/blob/{branch}/{src}", "elm-source"))
    links.append(("Download notebook", name, "elm-download"))
    buttons = "".join(
        f'<a class="md-button{" md-button--primary" if i == 0 else ""} {cls}" href="{html.escape(url)}"'
        f'{" download" if cls == "elm-download" else ""}>{label}</a>'
        for i, (label, url, cls) in enumerate(links))
    meta = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8")).get("metadata", {})
    return (f'<div class="elm-notebook-header"><p class="elm-buttons">{buttons}</p>'
            f'<p class="elm-provenance">{provenance_stamp(meta)}</p></div>')


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


def _extract_css(content: str, page) -> str:
    # Move the inlined <style> blocks into one stylesheet written once in on_post_build.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", content, flags=re.S)
    if styles:
        css = "\n".join(styles)
        _notebook_css.setdefault(hashlib.sha256(css.encode()).hexdigest(), css)
        content = re.sub(r"<style[^>]*>.*?</style>\s*", "", content, flags=re.S)
    href = get_relative_url(NOTEBOOK_CSS, page.file.url)
    return f'<link rel="stylesheet" href="{href}">\n' + content


def on_page_content(html_content, page, config, files):
    if not page.file.src_uri.startswith(f"{NOTEBOOK_DIR}/") or not page.file.src_uri.endswith(".ipynb"):
        return html_content
    content = _strip_external_loaders(html_content)
    content = _extract_css(content, page)
    content = _extract_images(content, page, config)
    content = _rewrite_chapter_links(content, page, files)
    # Wide code and output areas scroll sideways: keyboard users must be able to focus them (axe).
    content = re.sub(r'<div class="(highlight-ipynb[^"]*)"', r'<div tabindex="0" class="\1"', content)
    content = re.sub(r'(<div class="jp-RenderedText[^"]*"[^>]*>\s*|<div class="highlight">)<pre>', r'\1<pre tabindex="0">',
                     content)
    header = notebook_header(page, config)
    content, n = re.subn(r"(</h1>)", r"\1" + header.replace("\\", "\\\\"), content, count=1)
    if n == 0:
        log.warning("%s has no '# Title' heading: its buttons and provenance stamp have nowhere to go",
                    page.file.src_uri)
    return content


def on_post_build(config):
    site = Path(config["site_dir"])
    for nb in sorted((ROOT / NOTEBOOK_DIR).glob("*.ipynb")):
        dest = site / NOTEBOOK_DIR / nb.stem / nb.name  # next to notebooks/<name>/index.html
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dest)
    if len(_notebook_css) > 1:
        log.info("notebook pages carry %d different inlined stylesheets; using the first", len(_notebook_css))
    if _notebook_css:
        out = site / NOTEBOOK_CSS
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(next(iter(_notebook_css.values())), encoding="utf-8")


# ---------------------------------------------------------------- corrections index

def collect_corrections(docs_dir: Path, nav_order: list[str]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """[(chapter src path, chapter title, [(correction title, anchor)])] in nav order."""
    out = []
    for src in nav_order:
        path = docs_dir / src
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
                    anchor = slugify(text, "-")
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
    if page.file.src_uri != "corrections.md" or CORRECTIONS_MARKER not in markdown:
        return markdown
    groups = collect_corrections(Path(config["docs_dir"]), _nav_sources(config["nav"]))
    lines = []
    for src, title, fixes in groups:
        lines += [f"### {title}", "", f"{len(fixes)} correction(s) in [{title}]({src}):", ""]
        lines += [f"- [{t}]({src}{'#' + a if a else ''})" for t, a in fixes]
        lines.append("")
    total = sum(len(f) for _, _, f in groups)
    lines.insert(0, f"{total} corrections in {len(groups)} chapters, generated from the chapters themselves.\n")
    return markdown.replace(CORRECTIONS_MARKER, "\n".join(lines))
