"""Notebooks as pages. Notebooks live once, in notebooks/; they join the site as /notebooks/<name>/ (before
mkdocs-jupyter sees the file list, so it renders them), and each .ipynb is copied next to its page for download.
Under each notebook's title: Open in Colab / View source / Download, built from `repo_url` + `extra.repo_branch`
+ the notebook's path, and a provenance stamp from its metadata. Outputs and prompts stay out of the search index."""

import html
import json
import logging
import re
import shutil
import sys
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

sys.path.insert(0, str(Path(__file__).parent))
from _site import NOTEBOOK_DIR, ROOT, fragment, is_notebook, notebooks  # noqa: E402

log = logging.getLogger("mkdocs.hooks.notebook_pages")
# Material's search skips elements marked data-search-exclude: the index is downloaded by every reader who
# searches, and code + prose find the notebook; logs, tables and numbers only make it heavier.
NOT_SEARCHED = 'div[class="jp-OutputArea jp-Cell-outputArea"], div[class^="jp-InputPrompt"], div[class^="jp-OutputPrompt"]'


@event_priority(100)  # before mkdocs-jupyter wraps the notebook files
def on_files(files, config):
    for nb in notebooks():
        files.append(File(f"{NOTEBOOK_DIR}/{nb.name}", str(ROOT), config["site_dir"], config["use_directory_urls"]))
    return files


def provenance_stamp(meta: dict) -> str:
    prov = meta.get("provenance")
    if not prov:
        return "Not executed by <code>make notebooks</code> yet: outputs have no provenance."
    v, hw = prov.get("versions", {}), prov.get("hardware", {})
    parts = [f"Executed {prov.get('executed', '?')}", f"Python {v.get('python', '?')}"]
    parts += [f"{name} {v[key]}" for key, name in (("torch", "PyTorch"), ("tensorflow", "TensorFlow")) if v.get(key)]
    device = f"GPU {hw['gpu']}" if hw.get("gpu") else f"CPU {hw.get('cpu', '?')} ({hw.get('cores', '?')} cores)"
    parts += [device, f"{prov.get('seconds', '?')} s"]
    return " · ".join(html.escape(str(p)) for p in parts)


def notebook_header(page, config) -> str:
    src, links = page.file.src_uri, []  # notebooks/<name>.ipynb
    if m := re.match(r"https?://github\.com/([^/]+/[^/#?]+?)(?:\.git)?/?$", config.get("repo_url") or ""):
        blob = f"{m.group(1)}/blob/{config['extra'].get('repo_branch', 'main')}/{src}"
        links += [("Open in Colab", f"https://colab.research.google.com/github/{blob}", "elm-colab"),
                  ("View source on GitHub", f"https://github.com/{blob}", "elm-source")]
    links.append(("Download notebook", Path(src).name, "elm-download"))
    buttons = "".join(
        f'<a class="md-button{" md-button--primary" if i == 0 else ""} {cls}" href="{html.escape(url)}"'
        f'{" download" if cls == "elm-download" else ""}>{label}</a>'
        for i, (label, url, cls) in enumerate(links))
    meta = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8")).get("metadata", {})
    return (f'<div class="elm-notebook-header"><p class="elm-buttons">{buttons}</p>'
            f'<p class="elm-provenance">{provenance_stamp(meta)}</p></div>')


def align_toc(root, page) -> None:
    """mkdocs-jupyter builds the table of contents from the headings' text without their `code` spans, while
    nbconvert's heading ids keep it: the TOC links would miss. Point each TOC entry at its heading's real id."""
    def flat(entries):
        return [x for e in entries for x in (e, *flat(e.children))]
    items = flat(page.toc)
    levels = {item.level for item in items}
    heads = [h for h in root.css("h1[id], h2[id], h3[id], h4[id], h5[id], h6[id]") if int(h.tag[1]) in levels]
    if [int(h.tag[1]) for h in heads] != [item.level for item in items]:
        log.warning("%s: table of contents and headings disagree; TOC links may miss", page.file.src_uri)
        return
    for item, h in zip(items, heads):
        item.id = h.attrs["id"]
        item.title = html.escape(h.text().replace("¶", "").strip())  # keeps the `code` words the TOC dropped


@event_priority(50)  # before print-site collects the page for the printable whole-site page
def on_page_content(content, page, config, files):
    if not is_notebook(page):
        return content
    root = fragment(content)
    align_toc(root, page)
    for n in root.css(NOT_SEARCHED):
        n.attrs["data-search-exclude"] = ""
    if title := root.css_first("h1"):
        title.insert_after(fragment(notebook_header(page, config)).child)
    else:
        log.warning("%s has no '# Title': its buttons and provenance stamp have nowhere to go", page.file.src_uri)
    return root.inner_html


def on_post_build(config):
    for nb in notebooks():
        dest = Path(config["site_dir"]) / NOTEBOOK_DIR / nb.stem / nb.name  # next to notebooks/<name>/index.html
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dest)
