"""The "Estimate your run" page: its form, outputs and sources table are built from scripts/estimate.json, whose
preset numbers point at scripts/cited_constants.yml (resolved by estimate_reference.load()).

docs/estimate.md places `<!-- estimate:NAME -->` markers; this hook replaces each with static HTML (labelled
inputs with their defaults, outputs with the formula each uses, the presets' sources), so the page is readable,
searchable and laid out before any script runs. It embeds the inputs part of the JSON (an attribute of the page's wrapper) for the page's JS
(docs/assets/estimate.js) and loads that script and its stylesheet on this page only; Material's instant navigation re-runs it.
The page exists in each language of the site (estimate.md, estimate.zh.md); the strings come from the JSON in the
build's language (estimate_reference.localized), and the embedded part carries that language's messages for the JS.
It runs after print-site has copied the page, so the printable site gets the prose without the calculators.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from estimate_reference import LANGUAGES, load, localized, tr  # noqa: E402

DATA_FILE = Path(__file__).resolve().parent.parent / "estimate.json"
PAGES = ("estimate.md", "estimate.zh.md")
MARKER = re.compile(r"<!--\s*estimate:(\w+)\s*-->")
e = html.escape
# The messages and captions the JS writes (the rest of "text" is in the HTML already).
JS_TEXT = {"empty", "not_number", "not_choice", "not_whole", "too_small", "too_large", "invalid", "kv_heads", "split", "serve_split",
           "pp", "devices", "lora_rank", "top_k", "vocab", "active", "prompt", "blocked", "list_sep", "years", "days",
           "hours", "seconds", "device_hours", "rate", "fits", "no_fit", "weights_too_big", "no_request",
           "blank_weights_too_big", "blank_no_request", "bound_memory", "bound_compute"}
SEGMENTS = ("weights", "grads", "optimizer", "activations", "logits")   # the memory bar, in this order


def _field(key: str, data: dict) -> str:
    if key in data["choices"]:
        c = data["choices"][key]
        options = "".join(f'<option value="{e(k)}"{" selected" if k == c["default"] else ""}>{e(o["label"])}</option>'
                          for k, o in c["options"].items())
        return (f'<div class="elm-est-field"><label for="est-{key}">{e(c["label"])}</label>'
                f'<select id="est-{key}" name="{key}" aria-describedby="est-{key}-error">{options}</select>'
                f'<span class="elm-est-error" id="est-{key}-error" hidden></span></div>')
    f = data["fields"][key]
    unit = f' <span class="elm-est-unit">({e(f["unit"])})</span>' if f["unit"] else ""
    hint = f'<span class="elm-est-hint" id="est-{key}-hint">{e(f["hint"])}</span>' if f.get("hint") else ""
    described = " ".join(x for x in (f"est-{key}-hint" if hint else "", f"est-{key}-error") if x)
    return (f'<div class="elm-est-field"><label for="est-{key}">{e(f["label"])}{unit}</label>'
            f'<input id="est-{key}" name="{key}" type="text" inputmode="decimal" autocomplete="off" spellcheck="false" '
            f'value="{e(str(f["default"]))}" aria-describedby="{described}">{hint}'
            f'<span class="elm-est-error" id="est-{key}-error" hidden></span></div>')


def _fields(name: str, data: dict) -> str:
    return '<div class="elm-est-fields">' + "".join(_field(k, data) for k in data["sections"][name]["fields"]) + "</div>"


def _results(name: str, data: dict) -> str:
    T = data["text"]
    rows = "".join(f'<tr><th scope="row">{e(label)}</th><td><output data-out="{key}" data-format="{fmt}">—</output></td>'
                   f'<td><code>{e(formula)}</code></td></tr>' for key, label, fmt, formula in data["outputs"][name])
    extra = ""
    if name == "memory":
        segs = "".join(f'<span class="elm-est-seg elm-est-seg-{k}"></span>' for k in SEGMENTS)
        legend = "".join(f'<li><span class="elm-est-swatch elm-est-seg-{k}"></span>{e(T["seg_" + k])}</li>'
                         for k in SEGMENTS)
        extra = (f'<div id="est-bar" class="elm-est-bar" aria-hidden="true">{segs}<span class="elm-est-cap"></span></div>'
                 f'<ul class="elm-est-legend" aria-hidden="true">{legend}<li><span class="elm-est-swatch elm-est-cap-swatch">'
                 f'</span>{e(T["device_memory"])}</li></ul><p id="est-bar-summary" class="elm-est-summary"></p>')
    if name == "inference":
        extra = '<p id="est-inference-verdict" class="elm-est-summary"></p>'
    return (f'<div id="est-{name}-results" class="elm-est-results" aria-live="polite">'
            f'<p class="elm-est-blocked"></p><div class="elm-est-table" tabindex="0" role="region" '
            f'aria-label="{e(tr(T["results_label"], title=T["title_" + name]))}"><table><thead><tr>'
            f'<th scope="col">{e(T["col_output"])}</th><th scope="col">{e(T["col_value"])}</th>'
            f'<th scope="col">{e(T["col_formula"])}</th></tr></thead><tbody>{rows}</tbody></table></div>{extra}</div>')


def _presets(data: dict) -> str:
    T = data["text"]

    def select(kind: str, label: str, items: dict) -> str:
        opts = f'<option value="">{e(T["custom"])}</option>' + "".join(
            f'<option value="{e(k)}">{e(x["label"])}</option>' for k, x in items.items())
        return (f'<div class="elm-est-field"><label for="est-preset-{kind}">{label}</label>'
                f'<select id="est-preset-{kind}">{opts}</select></div>')
    return ('<div class="elm-est-fields">' + select("model", e(T["model_preset"]), data["models"]) +
            select("device", e(T["device_preset"]), data["devices"]) + "</div>")


def _sources(data: dict) -> str:
    T = data["text"]
    rows = []
    for kind, items in ((T["kind_model"], data["models"]), (T["kind_device"], data["devices"])):
        for x in items.values():
            vals = T["value_sep"].join(f'{data["fields"][k]["label"]} = {v if v != "" else T["enter_yours"]}'
                             + (f' {data["fields"][k]["unit"]}' if data["fields"][k]["unit"] and v != "" else "")
                             for k, v in x["values"].items() if k in data["fields"])
            refs = T["source_sep"].join(f'<a href="{e(s["url"])}">{e(s["text"])}</a>' for s in x["sources"])
            rows.append(f'<tr><td>{e(kind)}{e(T["kind_sep"])}{e(x["label"])}</td><td>{e(vals)}</td><td>{refs}</td></tr>')
    c = data["constants"]["nf4_bits"]
    rows.append(f'<tr><td>{e(T["constant_nf4"])}</td><td>{e(tr(T["bits_per_param"], a=c["value"]))}</td>'
                f'<td><a href="{e(c["url"])}">{e(c["source"])}{e(T["kind_sep"])}{e(c["what"])}</a></td></tr>')
    return (f'<div class="elm-est-table" tabindex="0" role="region" aria-label="{e(T["sources_label"])}"><table>'
            f'<thead><tr><th scope="col">{e(T["col_preset"])}</th><th scope="col">{e(T["col_values"])}</th>'
            f'<th scope="col">{e(T["col_source"])}</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


@event_priority(-50)  # after print-site has taken its copy of the page
def on_page_content(html_content, page, config, files):
    if page.file.src_uri not in PAGES:
        return html_content
    lang = config["theme"]["language"]   # mkdocs-static-i18n sets it per language build
    if lang not in LANGUAGES:
        raise ValueError(f"scripts/estimate.json has no strings for the language {lang!r}")
    data = localized(load(DATA_FILE), lang)   # with the cited constants resolved

    def repl(m):
        name = m.group(1)
        if name == "presets":
            return _presets(data)
        if name == "sources":
            return _sources(data)
        if name in data["sections"]:
            return _fields(name, data) + (_results(name, data) if name in data["outputs"] else "")
        raise ValueError(f"docs/{page.file.src_uri}: unknown marker estimate:{name}")

    content = MARKER.sub(repl, html_content)
    # What the JS reads, no more (labels of choices, hints and sources are already in the HTML).
    page_data = {"fields": {k: {x: f[x] for x in ("label", "unit", "min", "max", "int", "default")}
                            for k, f in data["fields"].items()},
                 "choices": {k: {"default": c["default"], "label": c["label"],
                                 "options": {o: {x: y for x, y in opt.items() if x != "label"}
                                             for o, opt in c["options"].items()}}
                             for k, c in data["choices"].items()},
                 "constants": {k: {"value": c["value"]} for k, c in data["constants"].items()},
                 "text": {k: x for k, x in data["text"].items() if k in JS_TEXT}}
    page_data["models"] = {k: {"values": x["values"]} for k, x in data["models"].items()}
    page_data["devices"] = {k: {"values": x["values"]} for k, x in data["devices"].items()}
    script = get_relative_url("assets/estimate.js", page.file.url)
    # In an attribute, not a <script type="application/json">: instant navigation re-creates the page's scripts
    # without their type, which would run the JSON as JS.
    blob = e(json.dumps(page_data, ensure_ascii=False, separators=(",", ":")), quote=True)
    css = get_relative_url("assets/estimate.css", page.file.url)
    return (f'<link rel="stylesheet" href="{css}"><div id="elm-estimate" data-estimate="{blob}">{content}</div>'
            f'<script src="{script}" defer></script>')
