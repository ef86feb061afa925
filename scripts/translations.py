"""Chinese edition bookkeeping: which English version each translation translates, and the Chinese notebooks.

    python scripts/translations.py status            # stale or missing translations; exit 1 if any
    python scripts/translations.py notebooks         # (re)generate notebooks/<name>.zh.ipynb from the English ones
    python scripts/translations.py diff docs/x.zh.md # what changed in the English page since it was translated
    python scripts/translations.py stamp docs/x.zh.md  # after updating a translation: record the current English
    python scripts/translations.py skeleton notebooks/x.ipynb  # the notebook's cells to translate, in YAML

A chapter translation `docs/<slug>.zh.md` starts with front matter `translation_of: <git blob id>` of the English
`docs/<slug>.md` it translates (the id `git hash-object` prints, so `git show <id>` recovers that English text).
Notebook prose lives in `notebooks/translations/zh/<name>.yml`: for every Markdown cell id of the English notebook,
`en` (the blob id of that cell's English source) and `zh` (the translation). Code and outputs exist once: the
Chinese notebook is the English one with its Markdown cells replaced, and is committed (Colab opens it).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS, NOTEBOOKS = ROOT / "docs", ROOT / "notebooks"
LANG = "zh"
NB_TRANSLATIONS = NOTEBOOKS / "translations" / LANG


def blob_id(text: str) -> str:
    """git's blob id of the text (what `git hash-object` prints for a file with this content)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def front_matter(text: str) -> dict:
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    return yaml.safe_load(text[4:end]) or {} if end > 0 else {}


def english_of(zh_page: Path) -> Path:
    return zh_page.with_name(zh_page.name.replace(f".{LANG}.md", ".md"))


def english_pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if not p.name.endswith(f".{LANG}.md"))


def english_notebooks() -> list[Path]:
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.endswith(f".{LANG}.ipynb"))


def page_problems() -> list[str]:
    out = []
    for en in english_pages():
        zh = en.with_name(f"{en.stem}.{LANG}.md")
        if not zh.is_file():
            out.append(f"missing: {zh.relative_to(ROOT)} (translation of {en.relative_to(ROOT)})")
            continue
        recorded = front_matter(zh.read_text(encoding="utf-8")).get("translation_of")
        if recorded != blob_id(en.read_text(encoding="utf-8")):
            out.append(f"stale: {zh.relative_to(ROOT)} translates {recorded} but {en.relative_to(ROOT)} is now "
                       f"{blob_id(en.read_text(encoding='utf-8'))} (python scripts/translations.py diff {zh.relative_to(ROOT)})")
    return out


def load_cells(name: str) -> dict:
    path = NB_TRANSLATIONS / f"{name}.yml"
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cells", {}) if path.is_file() else {}


def notebook_problems(nb_path: Path) -> list[str]:
    nb, cells = nbformat.read(nb_path, as_version=4), load_cells(nb_path.stem)
    out = []
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "markdown":
            continue
        entry = cells.get(cell.id)
        if entry is None:
            out.append(f"missing: {nb_path.name} cell {i} (id {cell.id}) has no Chinese text in "
                       f"notebooks/translations/{LANG}/{nb_path.stem}.yml")
        elif entry.get("en") != blob_id(cell.source):
            out.append(f"stale: {nb_path.name} cell {i} (id {cell.id}) changed since it was translated")
    return out


def chinese_notebook(nb_path: Path):
    """The English notebook with its Markdown cells in Chinese (code, outputs, provenance unchanged)."""
    nb, cells = nbformat.read(nb_path, as_version=4), load_cells(nb_path.stem)
    zh = copy.deepcopy(nb)
    for cell in zh.cells:
        if cell.cell_type == "markdown" and cell.id in cells:
            cell.source = cells[cell.id]["zh"].rstrip("\n")
    zh.metadata["language"] = LANG
    zh.metadata["translation_of"] = blob_id(nb_path.read_text(encoding="utf-8"))
    return zh


def zh_notebook_path(nb_path: Path) -> Path:
    return nb_path.with_name(f"{nb_path.stem}.{LANG}.ipynb")


def cmd_notebooks() -> int:
    for en in english_notebooks():
        if not (NB_TRANSLATIONS / f"{en.stem}.yml").is_file():
            print(f"skip {en.name}: no notebooks/translations/{LANG}/{en.stem}.yml")
            continue
        out = zh_notebook_path(en)
        text = nbformat.writes(chinese_notebook(en)) + "\n"
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            out.write_text(text, encoding="utf-8")
            print(f"wrote {out.relative_to(ROOT)}")
    return 0


class _Literal(str):
    pass


yaml.SafeDumper.add_representer(_Literal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|"))


def cmd_skeleton(nb_path: Path) -> int:
    """Write notebooks/translations/zh/<name>.yml with every Markdown cell: kept where fresh, else the English
    text to translate in place (the tests reject Latin-script prose left in it)."""
    nb, cells = nbformat.read(nb_path, as_version=4), load_cells(nb_path.stem)
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            old = cells.get(cell.id)
            fresh = old and old.get("en") == blob_id(cell.source)
            out[cell.id] = {"en": blob_id(cell.source), "zh": _Literal((old["zh"] if fresh else cell.source) + "\n")}
    path = NB_TRANSLATIONS / f"{nb_path.stem}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Chinese Markdown cells of notebooks/{nb_path.name}, keyed by cell id. `en`: blob id of the English\n"
              "# cell translated (scripts/translations.py); `zh`: the translation.\n")
    path.write_text(header + yaml.safe_dump({"cells": out}, allow_unicode=True, sort_keys=False, width=120),
                    encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


def cmd_status() -> int:
    problems = page_problems() + [p for nb in english_notebooks() for p in notebook_problems(nb)]
    for nb in english_notebooks():
        zh = zh_notebook_path(nb)
        if zh.is_file() and zh.read_text(encoding="utf-8") != nbformat.writes(chinese_notebook(nb)) + "\n":
            problems.append(f"stale: {zh.relative_to(ROOT)} (python scripts/translations.py notebooks)")
    print("\n".join(problems) or "every translation is fresh")
    return 1 if problems else 0


def cmd_diff(zh_page: Path) -> int:
    recorded = front_matter(zh_page.read_text(encoding="utf-8")).get("translation_of", "")
    en = english_of(zh_page)
    old = subprocess.run(["git", "cat-file", "blob", recorded], cwd=ROOT, capture_output=True, text=True)
    if old.returncode:
        print(f"{recorded!r} is not in this repository's history", file=sys.stderr)
        return 1
    tmp = ROOT / ".translated-english.md"
    tmp.write_text(old.stdout, encoding="utf-8")
    try:
        return subprocess.run(["git", "diff", "--no-index", "--", str(tmp), str(en)], cwd=ROOT).returncode and 0
    finally:
        tmp.unlink()


def cmd_stamp(zh_page: Path) -> int:
    text = zh_page.read_text(encoding="utf-8")
    new = f"translation_of: {blob_id(english_of(zh_page).read_text(encoding='utf-8'))}"
    meta = front_matter(text)
    if "translation_of" in meta:
        text = text.replace(f"translation_of: {meta['translation_of']}", new, 1)
    elif text.startswith("---\n"):  # keep the page's own front matter (e.g. `hide: [toc]`)
        text = f"---\n{new}\n" + text[4:]
    else:
        text = f"---\n{new}\n---\n\n" + text
    zh_page.write_text(text, encoding="utf-8")
    print(f"{zh_page}: {new}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["status", "notebooks", "diff", "stamp", "skeleton"])
    ap.add_argument("path", nargs="?", type=Path, help=f"docs/<slug>.{LANG}.md (diff, stamp) or notebooks/<name>.ipynb (skeleton)")
    args = ap.parse_args(argv)
    if args.command in ("status", "notebooks"):
        return cmd_status() if args.command == "status" else cmd_notebooks()
    if not args.path:
        ap.error(f"{args.command} needs a path")
    return {"diff": cmd_diff, "stamp": cmd_stamp, "skeleton": cmd_skeleton}[args.command](args.path.resolve())


if __name__ == "__main__":
    sys.exit(main())
