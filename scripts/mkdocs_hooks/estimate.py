"""The "Estimate your run" page: its form, outputs and sources table are built from scripts/estimate.json.

docs/estimate.md places `<!-- estimate:NAME -->` markers; this hook replaces each with static HTML (labelled
inputs with their defaults, outputs with the formula each uses, the presets' sources), so the page is readable,
searchable and laid out before any script runs. It embeds the inputs part of the JSON (an attribute of the page's wrapper) for the page's JS
(docs/assets/estimate.js) and loads that script and its stylesheet on this page only; Material's instant navigation re-runs it.
It runs after print-site has copied the page, so the printable site gets the prose without the calculators.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

DATA_FILE = Path(__file__).resolve().parent.parent / "estimate.json"
PAGE = "estimate.md"
MARKER = re.compile(r"<!--\s*estimate:(\w+)\s*-->")
e = html.escape
TITLES = {"compute": "Training compute", "memory": "Training memory", "inference": "Inference capacity"}


def _field(key: str, data: dict) -> str:
    if key in data["choices"]:
        c = data["choices"][key]
        options = "".join(f'<option value="{e(k)}"{" selected" if k == c["default"] else ""}>{e(o["label"])}</option>'
                          for k, o in c["options"].items())
        return (f'<div class="elm-est-field"><label for="est-{key}">{e(c["label"])}</label>'
                f'<select id="est-{key}" name="{key}">{options}</select></div>')
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
    rows = "".join(f'<tr><th scope="row">{e(label)}</th><td><output data-out="{key}" data-format="{fmt}">—</output></td>'
                   f'<td><code>{e(formula)}</code></td></tr>' for key, label, fmt, formula in data["outputs"][name])
    extra = ""
    if name == "memory":
        segs = "".join(f'<span class="elm-est-seg elm-est-seg-{k}"></span>'
                       for k in ("weights", "grads", "optimizer", "activations"))
        legend = "".join(f'<li><span class="elm-est-swatch elm-est-seg-{k}"></span>{label}</li>' for k, label in
                         (("weights", "weights"), ("grads", "gradients"), ("optimizer", "optimizer state"),
                          ("activations", "activations")))
        extra = (f'<div id="est-bar" class="elm-est-bar" aria-hidden="true">{segs}<span class="elm-est-cap"></span></div>'
                 f'<ul class="elm-est-legend" aria-hidden="true">{legend}<li><span class="elm-est-swatch elm-est-cap-swatch">'
                 f'</span>device memory</li></ul><p id="est-bar-summary" class="elm-est-summary"></p>')
    if name == "inference":
        extra = '<p id="est-inference-verdict" class="elm-est-summary"></p>'
    return (f'<div id="est-{name}-results" class="elm-est-results" aria-live="polite">'
            f'<p class="elm-est-blocked"></p><div class="elm-est-table" tabindex="0" role="region" '
            f'aria-label="{TITLES[name]}: results and formulas"><table><thead><tr><th scope="col">Output</th><th scope="col">Value</th>'
            f'<th scope="col">Formula</th></tr></thead><tbody>{rows}</tbody></table></div>{extra}</div>')


def _presets(data: dict) -> str:
    def select(kind: str, label: str, items: dict) -> str:
        opts = '<option value="">custom (your own values)</option>' + "".join(
            f'<option value="{e(k)}">{e(x["label"])}</option>' for k, x in items.items())
        return (f'<div class="elm-est-field"><label for="est-preset-{kind}">{label}</label>'
                f'<select id="est-preset-{kind}">{opts}</select></div>')
    return ('<div class="elm-est-fields">' + select("model", "Model preset", data["models"]) +
            select("device", "Accelerator preset", data["devices"]) + "</div>")


def _sources(data: dict) -> str:
    rows = []
    for kind, items in (("Model", data["models"]), ("Accelerator", data["devices"])):
        for x in items.values():
            vals = ", ".join(f'{data["fields"][k]["label"]} = {v if v != "" else "(enter yours)"}'
                             + (f' {data["fields"][k]["unit"]}' if data["fields"][k]["unit"] and v != "" else "")
                             for k, v in x["values"].items() if k in data["fields"])
            refs = "; ".join(f'<a href="{e(s["url"])}">{e(s["text"])}</a>' for s in x["sources"])
            rows.append(f'<tr><td>{e(kind)}: {e(x["label"])}</td><td>{e(vals)}</td><td>{refs}</td></tr>')
    c = data["constants"]["nf4_bits"]
    rows.append(f'<tr><td>Constant: QLoRA base weights</td><td>{c["value"]} bits per parameter</td>'
                f'<td><a href="{e(c["url"])}">{e(c["source"])}: {e(c["what"])}</a></td></tr>')
    return ('<div class="elm-est-table" tabindex="0" role="region" aria-label="Presets and their sources"><table>'
            '<thead><tr><th scope="col">Preset</th><th scope="col">Values</th><th scope="col">Source</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


@event_priority(-50)  # after print-site has taken its copy of the page
def on_page_content(html_content, page, config, files):
    if page.file.src_uri != PAGE:
        return html_content
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))

    def repl(m):
        name = m.group(1)
        if name == "presets":
            return _presets(data)
        if name == "sources":
            return _sources(data)
        if name in data["sections"]:
            return _fields(name, data) + (_results(name, data) if name in data["outputs"] else "")
        raise ValueError(f"docs/{PAGE}: unknown marker estimate:{name}")

    content = MARKER.sub(repl, html_content)
    # What the JS reads, no more (labels of choices, hints and sources are already in the HTML).
    page_data = {"fields": {k: {x: f[x] for x in ("label", "unit", "min", "max", "int", "default")}
                            for k, f in data["fields"].items()},
                 "choices": {k: {"default": c["default"],
                                 "options": {o: {x: y for x, y in opt.items() if x != "label"}
                                             for o, opt in c["options"].items()}}
                             for k, c in data["choices"].items()},
                 "constants": {k: {"value": c["value"]} for k, c in data["constants"].items()}}
    page_data["models"] = {k: {"values": x["values"]} for k, x in data["models"].items()}
    page_data["devices"] = {k: {"values": x["values"]} for k, x in data["devices"].items()}
    script = get_relative_url("assets/estimate.js", page.file.url)
    # In an attribute, not a <script type="application/json">: instant navigation re-creates the page's scripts
    # without their type, which would run the JSON as JS.
    blob = e(json.dumps(page_data, ensure_ascii=False, separators=(",", ":")), quote=True)
    css = get_relative_url("assets/estimate.css", page.file.url)
    return (f'<link rel="stylesheet" href="{css}"><div id="elm-estimate" data-estimate="{blob}">{content}</div>'
            f'<script src="{script}" defer></script>')
