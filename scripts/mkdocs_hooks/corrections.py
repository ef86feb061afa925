"""docs/corrections.md gets, in place of `<!-- corrections-list -->`, every "Fixed from the source: ..." admonition
of every chapter, grouped by chapter in nav order, each linked to the section that explains it. (It reads the
chapters' Markdown line by line: admonition titles and headings, outside code fences.)"""

import re
from pathlib import Path

from markdown.extensions.toc import slugify

MARKER = "<!-- corrections-list -->"
# "Fixed from the source: ..." (English) / "源材料更正：..." (Chinese)
FIX_TITLE = re.compile(r'^\s*(?:!!!|\?\?\?\+?)\s+\w+\s+"(?:Fixed from the source:|源材料更正：)\s*(?P<title>.+)"\s*$')
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*(?:\{(?:#(?P<id>[\w-]+))?[^}]*\})?\s*#*\s*$")
TEXT = {"en": ("{total} corrections in {chapters} chapters, generated from the chapters themselves.",
               "{n} correction(s) in [{title}]({src}):"),
        "zh": ("共 {total} 处更正，分布在 {chapters} 章，由各章内容自动生成。", "[{title}]({src})中的 {n} 处更正：")}
_chapters: list[str] = []  # the chapters in nav order


def collect_corrections(docs_dir: Path, nav_order: list[str], lang="en") -> list[tuple[str, str, list[tuple[str, str]]]]:
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
            if h := HEADING.match(line):
                text = re.sub(r"[`*_]", "", h.group(2))
                title, anchor = (text, anchor) if len(h.group(1)) == 1 else (title, h.group("id") or slugify(text, "-"))
            elif m := FIX_TITLE.match(line):
                fixes.append((m.group("title").strip(), anchor))
        if fixes:
            out.append((src, title, fixes))
    return out


def on_nav(nav, config, files):
    _chapters[:] = [re.sub(r"\.\w+\.md$", ".md", p.file.src_uri) for p in nav.pages if p.file.src_uri.endswith(".md")]


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri not in ("corrections.md", "corrections.zh.md") or MARKER not in markdown:
        return markdown
    intro, per_chapter = TEXT[config["theme"]["language"]]
    groups = collect_corrections(Path(config["docs_dir"]), _chapters, config["theme"]["language"])
    lines = [intro.format(total=sum(len(f) for _, _, f in groups), chapters=len(groups)) + "\n"]
    for src, title, fixes in groups:
        lines += [f"### {title}", "", per_chapter.format(n=len(fixes), title=title, src=src), ""]
        lines += [f"- [{t}]({src}{'#' + a if a else ''})" for t, a in fixes]
        lines.append("")
    return markdown.replace(MARKER, "\n".join(lines))
