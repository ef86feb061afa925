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
from mkdocs_jupyter.plugin import NotebookFile

sys.path.insert(0, str(Path(__file__).parent))
from _site import NOTEBOOK_DIR, ROOT, fragment, is_notebook, language, notebooks  # noqa: E402

log = logging.getLogger("mkdocs.hooks.notebook_pages")
# Material's search skips elements marked data-search-exclude: the index is downloaded by every reader who
# searches, and code + prose find the notebook; logs, tables and numbers only make it heavier.
HEADER_TEXT = {  # the header's words, per language
    "en": {"colab": "Open in Colab", "source": "View source on GitHub", "download": "Download notebook",
           "executed": "Executed", "cores": "cores", "never": "Not executed by <code>make notebooks</code> yet: "
           "outputs have no provenance."},
    "zh": {"colab": "在 Colab 中打开", "source": "在 GitHub 上查看源文件", "download": "下载 Notebook",
           "executed": "执行于", "cores": "核", "never": "尚未由 <code>make notebooks</code> 执行：输出没有出处记录。"},
}
NOT_SEARCHED = 'div[class="jp-OutputArea jp-Cell-outputArea"], div[class^="jp-InputPrompt"], div[class^="jp-OutputPrompt"]'


@event_priority(-110)  # after mkdocs-static-i18n (-100), which re-creates every file as a plain File
def on_files(files, config):
    """Notebooks reach docs/ through the docs/notebooks symlink; make each one a page again (mkdocs-jupyter's
    NotebookFile), at the URL of its language: notebooks/<name>/ or zh/notebooks/<name>/."""
    prefix = "" if language(config) == "en" else f"{language(config)}/"
    for file in [f for f in files if f.src_uri.endswith(".ipynb") and not isinstance(f, NotebookFile)]:
        page = NotebookFile(file, use_directory_urls=config["use_directory_urls"], site_dir=config["site_dir"])
        page.url = f"{prefix}{NOTEBOOK_DIR}/{Path(file.src_uri).name.split('.')[0]}/"
        page.dest_path = f"{page.url}index.html"
        page.abs_dest_path = str(Path(config["site_dir"]) / page.dest_path)
        files.remove(file)
        files.append(page)
    return files


def provenance_stamp(meta: dict, lang: str = "en") -> str:
    t, prov = HEADER_TEXT[lang], meta.get("provenance")
    if not prov:
        return t["never"]
    v, hw = prov.get("versions", {}), prov.get("hardware", {})
    parts = [f"{t['executed']} {prov.get('executed', '?')}", f"Python {v.get('python', '?')}"]
    parts += [f"{name} {v[key]}" for key, name in (("torch", "PyTorch"), ("tensorflow", "TensorFlow")) if v.get(key)]
    device = f"GPU {hw['gpu']}" if hw.get("gpu") else f"CPU {hw.get('cpu', '?')} ({hw.get('cores', '?')} {t['cores']})"
    parts += [device, f"{prov.get('seconds', '?')} s"]
    return " · ".join(html.escape(str(p)) for p in parts)


def notebook_header(page, config) -> str:
    src, links, t = page.file.src_uri, [], HEADER_TEXT[language(config)]  # src: notebooks/<name>[.zh].ipynb
    if m := re.match(r"https?://github\.com/([^/]+/[^/#?]+?)(?:\.git)?/?$", config.get("repo_url") or ""):
        blob = f"{m.group(1)}/blob/{config['extra'].get('repo_branch', 'main')}/{src}"
        links += [(t["colab"], f"https://colab.research.google.com/github/{blob}", "elm-colab"),
                  (t["source"], f"https://github.com/{blob}", "elm-source")]
    links.append((t["download"], Path(src).name, "elm-download"))
    buttons = "".join(
        f'<a class="md-button{" md-button--primary" if i == 0 else ""} {cls}" href="{html.escape(url)}"'
        f'{" download" if cls == "elm-download" else ""}>{label}</a>'
        for i, (label, url, cls) in enumerate(links))
    meta = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8")).get("metadata", {})
    return (f'<div class="elm-notebook-header"><p class="elm-buttons">{buttons}</p>'
            f'<p class="elm-provenance">{provenance_stamp(meta, language(config))}</p></div>')


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


@event_priority(-50)  # after print-site (0) has written print_page/index.html, before i18n (-100) builds zh
def on_post_build(config):
    site, lang = Path(config["site_dir"]), language(config)
    for english in [nb for nb in notebooks() if "." not in nb.stem]:
        translated = english.with_name(f"{english.stem}.{lang}.ipynb")
        nb = translated if lang != "en" and translated.is_file() else english
        dest = site / ("" if lang == "en" else lang) / NOTEBOOK_DIR / english.stem / nb.name  # next to its page
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(nb, dest)
