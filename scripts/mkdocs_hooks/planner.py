"""The "Plan your run" page: its form, ranking, breakdown and published-runs tables are built from
scripts/planner.json (numbers resolved from scripts/cited_constants.yml by planner_reference.load()).

docs/planner.md places `<!-- planner:NAME -->` markers; this hook replaces each with static HTML (labelled inputs
with their defaults and hints, the breakdown rows with the formula each uses, the published runs with the
planner's numbers computed here by the Python reference, the presets' sources), so the page is readable and
searchable before any script runs. It embeds what the JS needs (an attribute of the page's wrapper) and loads
docs/assets/planner.js and planner.css on this page only. Both languages (planner.md, planner.zh.md) take their
strings from the JSON (planner_reference.localized). Runs after print-site has copied the page.

In every chapter it also inserts the worked examples of scripts/estimate.json and scripts/planner.json
(`{{ example.<name>.<output> }}`, `{{ example.<name>.url }}`: scripts/planner_examples.py), after
notebook_numbers.py has checked what the author typed, and puts each example link's query back into its href once
print-site has its copy (on_post_page); in the printable page each example link becomes the deployed page's
absolute URL with its inputs (with a site_url), or is followed by its inputs as text (on_post_build).
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import planner_examples  # noqa: E402
import planner_reference as ref  # noqa: E402

PAGES = ("planner.md", "planner.zh.md")
EXAMPLE = re.compile(r"\{\{\s*example\.")
MARKER = re.compile(r"<!--\s*planner:(\w+)\s*-->")
e = html.escape


def _field(key: str, data: dict) -> str:
    if key in data["choices"]:
        c = data["choices"][key]
        options = "".join(f'<option value="{e(k)}"{" selected" if k == c["default"] else ""}>{e(o["label"])}</option>'
                          for k, o in c["options"].items())
        return (f'<div class="elm-plan-field"><label for="plan-{key}">{e(c["label"])}</label>'
                f'<select id="plan-{key}" name="{key}" aria-describedby="plan-{key}-error">{options}</select>'
                f'<span class="elm-plan-error" id="plan-{key}-error" hidden></span></div>')
    f = data["fields"][key]
    unit = f' <span class="elm-plan-unit">({e(f["unit"])})</span>' if f["unit"] else ""
    hint = f'<span class="elm-plan-hint" id="plan-{key}-hint">{e(f["hint"])}</span>' if f.get("hint") else ""
    described = " ".join(x for x in (f"plan-{key}-hint" if hint else "", f"plan-{key}-error") if x)
    return (f'<div class="elm-plan-field"><label for="plan-{key}">{e(f["label"])}{unit}</label>'
            f'<input id="plan-{key}" name="{key}" type="text" inputmode="decimal" autocomplete="off" spellcheck="false" '
            f'value="{e(str(f["default"]))}" aria-describedby="{described}">{hint}'
            f'<span class="elm-plan-error" id="plan-{key}-error" hidden></span></div>')


def _fields(name: str, data: dict) -> str:
    return '<div class="elm-plan-fields">' + "".join(_field(k, data) for k in data["sections"][name]) + "</div>"


def _presets(data: dict) -> str:
    T = data["text"]

    def select(kind: str, label: str, items: dict) -> str:
        opts = f'<option value="">{e(T["custom"])}</option>' + "".join(
            f'<option value="{e(k)}">{e(x["label"])}</option>' for k, x in items.items())
        return (f'<div class="elm-plan-field"><label for="plan-preset-{kind}">{e(label)}</label>'
                f'<select id="plan-preset-{kind}">{opts}</select></div>')
    return ('<div class="elm-plan-fields elm-plan-presets">' + select("run", T["run_preset"], data["runs"]) +
            select("model", T["model_preset"], data["models"]) +
            select("accelerator", T["accelerator_preset"], data["accelerators"]) + "</div>")


def _table(label: str, head: list[str], body: str, body_id: str = "") -> str:
    cols = "".join(f'<th scope="col">{e(x)}</th>' for x in head)
    bid = f' id="{body_id}"' if body_id else ""
    return (f'<div class="elm-plan-table" tabindex="0" role="region" aria-label="{e(label)}"><table>'
            f'<thead><tr>{cols}</tr></thead><tbody{bid}>{body}</tbody></table></div>')


def _results(data: dict) -> str:
    T = data["text"]
    ranking = _table(T["rank_label"], [T["col_rank"], T["col_layout"], T["col_step"], T["col_mfu"], T["col_memory"],
                                       T["col_why"], T["col_inspect"]], "", "plan-rank-body")
    rows = "".join(f'<tr><th scope="row">{e(label)}</th><td><output data-out="{key}" data-format="{fm}">—</output></td>'
                   f'<td>{e(formula)}</td></tr>' for key, label, fm, formula in data["outputs"])
    detail = _table(T["detail_label"], [T["col_term"], T["col_value"], T["col_formula"]], rows)
    return (f'<div id="plan-results" class="elm-plan-results" aria-live="polite">'
            f'<p class="elm-plan-blocked"></p><p id="plan-summary"></p>{ranking}</div>'
            f'<div id="plan-detail" class="elm-plan-results"><p id="plan-detail-caption" tabindex="-1" '
            f'aria-live="polite"></p>{detail}</div>')


def _published(data: dict) -> str:
    T = data["text"]
    rows = []
    for rid, r in data["runs"].items():
        c = ref.published(rid)
        metric = r["published"]["metric"]
        show = (lambda x: ref.tr(T["tflops"], a=f"{x:.0f}")) if metric == "tflops_hw" else \
            (lambda x: ref.tr(T["mfu_pct"], a=f"{100 * x:.0f}"))
        got = "—"
        if c["shown"]:
            got = show(c["lo"]) if f"{c['lo']:.3g}" == f"{c['hi']:.3g}" else \
                ref.tr(T["range"], lo=show(c["lo"]), hi=show(c["hi"]))
            got += " " + ref.tr(T["ratio"], lo=f"{c['ratio_lo']:.2f}", hi=f"{c['ratio_hi']:.2f}") \
                if f"{c['ratio_lo']:.2f}" != f"{c['ratio_hi']:.2f}" else " " + ref.tr(T["ratio1"], a=f"{c['ratio_lo']:.2f}")
        lay = c["shown"]["layout"] if c["shown"] else {}
        layout = ref.tr(T["layout_fmt"], t=lay.get("tp"), p=lay.get("pp"), d=int(c["shown"]["d"]) if c["shown"] else "",
                        v=f' v={lay["vp"]}' if lay.get("vp", 1) > 1 else "", e="", z=lay.get("zero"),
                        b=lay.get("micro_batch"), rc=T["rc_" + lay["recompute"]]) if lay else ""
        if c["shown"]:
            need = min(x["total"] for x in c["tried"])
            memory = ref.tr(T["fits_in"], a=f"{c['shown']['total'] / 1e9:.1f}", b=f"{c['shown']['capacity'] / 1e9:.0f}") \
                if c["fits"] else ref.tr(T["no_fit"], a=f"{need / 1e9:.1f}", b=f"{c['shown']['capacity'] / 1e9:.0f}")
        else:
            memory = ""
        refs = T["source_sep"].join(f'<a href="{e(s["url"])}">{e(s["text"])}</a>' for s in r["sources"])
        rows.append(f'<tr data-run="{e(rid)}" data-predicted="{c["predicted"]!r}" data-lo="{c["lo"]!r}" '
                    f'data-hi="{c["hi"]!r}" data-fits="{str(c["fits"]).lower()}"><td>{e(r["label"])}<br>{refs}</td>'
                    f'<td>{e(show(r["published"]["value"]))}</td><td>{e(got)}<br><small>{e(layout)}</small>'
                    f'<br><small>{e(memory)}</small></td><td>{e(r["assumed"])}</td></tr>')
    return _table(T["published_label"], [T["col_run"], T["col_published"], T["col_planner"], T["col_assumed"]],
                  "".join(rows))


def _sources(data: dict) -> str:
    T = data["text"]
    rows = []
    for kind, items in ((T["kind_model"], data["models"]), (T["kind_accelerator"], data["accelerators"])):
        for x in items.values():
            vals = T["value_sep"].join(
                f'{(data["fields"].get(k) or data["choices"][k])["label"]} = '
                f'{data["choices"][k]["options"][val]["label"] if k in data["choices"] else val}'
                + (f' {data["fields"][k]["unit"]}' if k in data["fields"] and data["fields"][k]["unit"] else "")
                for k, val in x["values"].items())
            refs = T["source_sep"].join(f'<a href="{e(s["url"])}">{e(s["text"])}</a>' for s in x["sources"])
            rows.append(f'<tr><td>{e(kind)}{e(T["kind_sep"])}{e(x["label"])}</td><td>{e(vals)}</td><td>{refs}</td></tr>')
    return _table(T["sources_label"], [T["col_preset"], T["col_values"], T["col_source"]], "".join(rows))


@event_priority(-10)  # after notebook_numbers.py: its typed-constant check reads what the author typed
def on_page_markdown(markdown, page, config, files):
    """`{{ example.<name>.<output> }}` and `{{ example.<name>.url }}` in any chapter: the worked examples defined in
    scripts/estimate.json and scripts/planner.json, computed by the Python references (scripts/planner_examples.py);
    an unknown example or output aborts the build with the chapter and the line."""
    src = page.file.src_uri
    if not src.endswith(".md") or not EXAMPLE.search(markdown):
        return markdown
    try:
        return planner_examples.substitute(markdown, f"docs/{src}", str(Path(src).parent).strip("."))
    except planner_examples.UnknownExample as err:
        raise PluginError(f"unknown worked example(s) or output(s):\n{err}") from None


def on_post_page(output, page, config):
    """The worked examples' links get their query back (planner_examples.link_targets): after print-site has
    taken its copy of the page, whose links become anchors of the print page."""
    if planner_examples.QUERY_ATTR not in output:
        return output
    return planner_examples.restore_queries(output)


@event_priority(-45)  # after print-site wrote print_page/index.html, before translations.py (-50) moves the Chinese one
def on_post_build(config):
    """The printable site's example links: the deployed page's absolute URL with the inputs when mkdocs.yml has a
    site_url, else the inputs written after the link (planner_examples.print_copy)."""
    printable = Path(config["site_dir"]) / "print_page" / "index.html"
    if printable.is_file():
        text = printable.read_text(encoding="utf-8")
        new = planner_examples.print_copy(text, config.get("site_url"), config["theme"]["language"])
        if new != text:
            printable.write_text(new, encoding="utf-8")


@event_priority(-50)  # after print-site has taken its copy of the page
def on_page_content(html_content, page, config, files):
    if page.file.src_uri not in PAGES:
        return html_content
    lang = config["theme"]["language"]
    if lang not in ref.LANGUAGES:
        raise ValueError(f"scripts/planner.json has no strings for the language {lang!r}")
    data = ref.localized(ref.DATA, lang)

    def repl(m):
        name = m.group(1)
        if name == "presets":
            return _presets(data)
        if name == "results":
            return _results(data)
        if name == "published":
            return _published(data)
        if name == "sources":
            return _sources(data)
        if name in data["sections"]:
            return _fields(name, data)
        raise ValueError(f"docs/{page.file.src_uri}: unknown marker planner:{name}")

    content = MARKER.sub(repl, html_content)
    page_data = {"fields": {k: {x: f[x] for x in ("label", "unit", "min", "max", "int", "default", "optional") if x in f}
                            for k, f in data["fields"].items()},
                 "choices": {k: {"default": c["default"], "label": c["label"],
                                 "options": {o: {x: y for x, y in opt.items() if x != "label"}
                                             for o, opt in c["options"].items()}}
                             for k, c in data["choices"].items()},
                 "text": data["text"],
                 "models": {k: {"values": x["values"]} for k, x in data["models"].items()},
                 "accelerators": {k: {"values": x["values"]} for k, x in data["accelerators"].items()},
                 "runs": {k: {"values": x["values"], "model": x["model"], "accelerator": x["accelerator"],
                              "shown": (ref.published(k)["shown"] or {}).get("layout")}
                          for k, x in data["runs"].items()}}
    blob = e(json.dumps(page_data, ensure_ascii=False, separators=(",", ":")), quote=True)
    script = get_relative_url("assets/planner.js", page.file.url)
    css = get_relative_url("assets/planner.css", page.file.url)
    return (f'<link rel="stylesheet" href="{css}"><div id="elm-planner" data-planner="{blob}">{content}</div>'
            f'<script src="{script}" defer></script>')
