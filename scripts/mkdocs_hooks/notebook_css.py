"""nbconvert inlines all of JupyterLab's CSS (~600 KB) into every notebook page. It becomes one shared, cacheable
stylesheet, assets/notebook.css, trimmed with tinycss2 to the rules whose classes the built pages use and to the
custom properties (--jp-...) that something reads."""

import sys
from pathlib import Path

import tinycss2
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url
from selectolax.lexbor import LexborHTMLParser

sys.path.insert(0, str(Path(__file__).parent))
from _site import NOTEBOOK_DIR, fragment, is_notebook  # noqa: E402

NOTEBOOK_CSS = "assets/notebook.css"
GROUPING = {"media", "supports", "layer"}  # at-rules that hold rules: trimmed inside
_stylesheets: dict[str, None] = {}  # each notebook page's inlined CSS, once (they are all the same so far)


@event_priority(50)  # before print-site collects the page
def on_page_content(html, page, config, files):
    if not is_notebook(page):
        return html
    root = fragment(html)
    if styles := root.css("style"):
        _stylesheets.setdefault("\n".join(s.text() for s in styles))
        for s in styles:
            s.decompose()
    return f'<link rel="stylesheet" href="{get_relative_url(NOTEBOOK_CSS, page.file.url)}">\n{root.inner_html}'


@event_priority(-45)  # after print-site wrote print_page/index.html, before notebook_pages.py (-50) moves it, whose classes count too
def on_post_build(config):
    if not _stylesheets:
        return
    site = Path(config["site_dir"])
    pages = [*site.glob(f"{NOTEBOOK_DIR}/*/index.html"), *site.glob("print_page/index.html")]
    used = {c for p in pages for n in fragment(p.read_text(encoding="utf-8")).css("[class]")
            for c in n.attrs["class"].split()}
    rules = tinycss2.parse_stylesheet(next(iter(_stylesheets)), skip_comments=True, skip_whitespace=True)
    prune(rules, lambda selector: classes(selector) <= used, lambda declaration: True)
    site_css = "".join(p.read_text(encoding="utf-8") for p in (Path(config["docs_dir"]) / "assets").glob("*.css"))
    read_by_site = variables_read(tinycss2.parse_stylesheet(site_css))
    while True:  # a custom property that only a dropped one read is unread in turn
        read = variables_read(rules) | read_by_site
        if not prune(rules, lambda s: True, lambda d: not d.name.startswith("--") or d.name in read):
            break
    (site / NOTEBOOK_CSS).parent.mkdir(parents=True, exist_ok=True)
    (site / NOTEBOOK_CSS).write_text("\n".join(r.serialize() for r in rules), encoding="utf-8")
    if (printable := Path(config["site_dir"]) / "print_page" / "index.html").is_file():  # every notebook's <link>, each relative to
        tree = LexborHTMLParser(printable.read_text(encoding="utf-8"))  # its notebook's URL: one, relative to this
        links = tree.css(f'link[href$="{NOTEBOOK_CSS}"]')
        for extra in links[1:]:
            extra.decompose()
        if links:
            links[0].attrs["href"] = get_relative_url(NOTEBOOK_CSS, "print_page/")
        printable.write_text(tree.html, encoding="utf-8")


def classes(tokens) -> set[str]:
    """The class names a selector requires (not those under :not(), which a page may lack)."""
    out = set()
    for prev, tok in zip([None, *tokens], tokens):
        if tok.type == "ident" and prev is not None and prev.type == "literal" and prev.value == ".":
            out.add(tok.value)
        elif tok.type == "function" and tok.lower_name != "not":
            out |= classes(tok.arguments)
    return out


def variables_read(nodes) -> set[str]:
    """The --names read with var(--name) anywhere in these rules or tokens."""
    out = set()
    for n in nodes:
        if n.type == "function" and n.lower_name == "var":
            out |= {t.value for t in n.arguments if t.type == "ident" and t.value.startswith("--")}
        for child in (getattr(n, "prelude", None), getattr(n, "content", None), getattr(n, "arguments", None)):
            if isinstance(child, list):
                out |= variables_read(child)
    return out


def prune(rules: list, keep_selector, keep_declaration) -> int:
    """Drop, in place, the selectors and declarations not kept and the rules left empty, inside @media, @supports
    and @layer too; the number of selectors and declarations dropped."""
    dropped, kept = 0, []
    for rule in rules:
        if rule.type == "at-rule" and rule.lower_at_keyword in GROUPING and rule.content is not None:
            inner = tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True)
            dropped += prune(inner, keep_selector, keep_declaration)
            rule.content = tinycss2.parse_component_value_list("\n".join(r.serialize() for r in inner))
            if not inner:
                continue
        elif rule.type == "qualified-rule":
            selectors = [[]]  # split at the top-level commas (not those inside :is(...) or strings)
            for tok in rule.prelude:
                selectors.append([]) if tok.type == "literal" and tok.value == "," else selectors[-1].append(tok)
            decls = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            good = [tinycss2.serialize(s).strip() for s in selectors if keep_selector(s)]
            good_decls = [d for d in decls if d.type != "declaration" or keep_declaration(d)]
            dropped += len(selectors) - len(good) + len(decls) - len(good_decls)
            if not good or not good_decls:
                continue
            rule.prelude = tinycss2.parse_component_value_list(",".join(good))
            rule.content = tinycss2.parse_component_value_list(";".join(d.serialize() for d in good_decls))
        elif rule.type == "error":
            continue
        kept.append(rule)
    rules[:] = kept
    return dropped
