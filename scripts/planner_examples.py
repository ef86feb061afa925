"""Worked examples of the chapters, computed by the calculators' and the planner's Python references.

A chapter's worked example that "Estimate your run" (docs/estimate.md) or "Plan your run" (docs/planner.md) can
reproduce is defined once, under "examples" in scripts/estimate.json or scripts/planner.json: a preset (model,
device / accelerator, or a published run) plus the inputs that differ from it. From that one definition:

- `{{ example.<name>.<output>:spec }}` in a chapter inserts an output of the Python reference for those inputs
  (estimate_reference.estimate / planner_reference.plan or inspect), formatted like any inserted value
  (notebook_values.render: Python's format specs plus `sci`), or with `.3sig` / `,.3sig` rounded to that many
  significant figures (65,825 → 65,800, as the pages show their numbers);
- `{{ example.<name>.url }}` inserts the link that opens the page with those inputs in its query string: every
  input that differs from the page's default (what the page's own writeUrl writes) plus every input the example's
  presets and values set, even where it equals today's default, so the link keeps its meaning if a default (the
  page's model, device or a field) changes. The page's JS reads it and validates it like typed input. The number is
  the Python reference's and the page computes its own from the same inputs in JS: tests/test_estimate_browser.py
  and tests/test_planner_browser.py open every example's URL and compare the two.

Outputs of an estimate example: those of its calculator ("calculator": compute, memory or inference) by name, every
calculator's as `<calculator>_<name>`, and conversions for a reader: `<x>_days` and `<x>_hours` for durations,
`<x>_gb` (10⁹ bytes) and `<x>_gib` (2³⁰) for bytes (memory's `state`, weights + gradients + optimizer state, is an
output row of the page). Outputs of a planner example: the typed layout's breakdown if the example gives every
layout field, else the top-ranked layout's, with the same conversions, plus `fit` and `tried` (layouts); an example
of a published run also gives `published` (the paper's figure of the run's metric) and `percent_above_published`
(100 × (the example's metric ÷ the paper's − 1)). Every numeric input is an output too, as `input_<key>` (what the number
assumes, e.g. the planner's efficiency). An example whose inputs do not validate, or an output the reference does
not give for them, is an error naming both.
The build hook (scripts/mkdocs_hooks/planner.py) substitutes both placeholders; tests/test_planner_examples.py
checks every example and every chapter's use of them, and the browser opens every example's URL. In the printable
site (mkdocs-print-site), whose links become anchors of the print page, the hook makes each example link the
site's absolute URL with its query when mkdocs.yml has a site_url, else writes the inputs after the link
(print_copy()).
"""

from __future__ import annotations

import math
import re
from functools import cache
from urllib.parse import urlencode

import estimate_reference as est
import planner_reference as plan

PLACEHOLDER = re.compile(r"\{\{\s*example\.(?P<name>[A-Za-z_]\w*)\.(?P<out>[A-Za-z_]\w*)\s*(?::(?P<spec>[^}]*?))?\s*\}\}")
PAGES = {"estimate": "estimate.md", "planner": "planner.md"}
SIG = re.compile(r"^(?P<comma>,)?\.(?P<digits>[1-9])sig$")


def significant(x: float, digits: int, comma: bool = False) -> str:
    """x rounded to `digits` significant figures, written out in full without trailing zeros, as the pages' JS
    writes its outputs (Number(x.toPrecision(3))): 65825.4 → 65,800 (3, comma), 0.0123456 → 0.0123, 1.9 → 1.9."""
    if not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x):
        raise ValueError(f"format 'sig' needs a finite number, not {x!r}")
    if x == 0:
        return "0"
    exp = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - exp)
    text = format(round(x, digits - 1 - exp), f"{',' if comma else ''}.{decimals}f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class UnknownExample(LookupError):
    pass


def definitions() -> dict[str, tuple[str, dict]]:
    """{name: (kind, definition)} of every example of both pages (a name is unique across them)."""
    out: dict[str, tuple[str, dict]] = {}
    for kind, data in (("estimate", est.DATA), ("planner", plan.DATA)):
        for name, d in data.get("examples", {}).items():
            if name.startswith("_"):
                continue
            if name in out:
                raise ValueError(f"example {name!r} is defined in both scripts/estimate.json and scripts/planner.json")
            out[name] = (kind, d)
    return out


def sources(kind: str, d: dict) -> list[dict]:
    """What sets an example's inputs, in order: its presets' values (model, device / accelerator, run), its own."""
    if kind == "estimate":
        return [est.DATA["models"][d["model"]]["values"] if "model" in d else {},
                est.DATA["devices"][d["device"]]["values"] if "device" in d else {}, d.get("values", {})]
    run = plan.DATA["runs"][d["run"]] if "run" in d else None
    model = d.get("model", run and run["model"])
    acc = d.get("accelerator", run and run["accelerator"])
    return [plan.DATA["models"][model]["values"] if model else {},
            plan.DATA["accelerators"][acc]["values"] if acc else {},
            run["values"] if run else {}, d.get("values", {})]


def raw_inputs(kind: str, d: dict) -> dict[str, str]:
    """The page's inputs for an example, as the reader would type them: defaults, the presets, then its values."""
    raw = (est if kind == "estimate" else plan).defaults()
    for src in sources(kind, d):
        for k, x in src.items():
            if k not in raw:
                raise KeyError(f"example input {k!r} is not an input of scripts/{kind}.json")
            raw[k] = str(x)
    return raw


def query(kind: str, raw: dict[str, str], named=()) -> str:
    """The query string for these inputs: every input that differs from the page's default (what the page's
    writeUrl writes) and every input the example's presets and values set (so the link keeps its meaning if a
    default changes), in the page's order of inputs."""
    default = (est if kind == "estimate" else plan).defaults()
    return urlencode([(k, x) for k, x in raw.items() if x != default[k] or k in named])


def _conversions(values: dict, formats: dict[str, str]) -> dict:
    out = dict(values)
    for k, x in values.items():
        f = formats.get(k)
        if f == "seconds":
            out[f"{k}_days"], out[f"{k}_hours"] = x / 86400, x / 3600
        elif f == "bytes":
            out[f"{k}_gb"], out[f"{k}_gib"] = x / 1e9, x / 2**30
    return out


@cache
def computed(name: str) -> dict:
    """{"kind", "raw", "query", "anchor", "outputs"} of one example, from the Python reference."""
    defs = definitions()
    if name not in defs:
        raise UnknownExample(f"no example {name!r} in scripts/estimate.json or scripts/planner.json "
                             f"(defined: {', '.join(sorted(defs))})")
    kind, d = defs[name]
    raw = raw_inputs(kind, d)
    named = {k for src in sources(kind, d) for k in src}
    if kind == "estimate":
        values, errors = est.validate(raw)
        if errors:
            raise ValueError(f"example {name!r}: its inputs do not validate: {errors}")
        res = est.estimate(values)
        calc = d["calculator"]
        formats = {row[0]: row[2] for rows in est.DATA["outputs"].values() for row in rows}
        outputs = {}
        for c, vals in res.items():
            if c != "blank":
                outputs.update({f"{c}_{k}": x for k, x in _conversions(vals, formats).items()})
        outputs.update(_conversions(dict(res.get(calc, {})), formats))
    else:
        values, errors = plan.validate(raw)
        if errors:
            raise ValueError(f"example {name!r}: its inputs do not validate: {errors}")
        formats = {row[0]: row[2] for row in plan.DATA["outputs"]}
        p = plan.plan(values)
        typed = plan.inspect(values)
        chosen = typed if typed is not None else (p["top"][0] if p and p["top"] else {})
        numbers = {k: x for k, x in chosen.items() if isinstance(x, (int, float)) and not isinstance(x, bool)}
        outputs = {**_conversions(numbers, formats), "fit": p["fit"] if p else 0, "tried": p["tried"] if p else 0}
        if "run" in d:   # the paper's figure of the run's metric, and how far the example's is above it
            pub = plan.DATA["runs"][d["run"]]["published"]
            if pub["metric"] in outputs:
                outputs["published"] = pub["value"]
                outputs["percent_above_published"] = 100 * (outputs[pub["metric"]] / pub["value"] - 1)
    for k, x in raw.items():   # the inputs too, so a chapter can state what the number assumes
        if est.NUMBER.match(x):
            outputs[f"input_{k}"] = float(x)
    return {"name": name, "kind": kind, "raw": raw, "query": query(kind, raw, named), "anchor": d.get("anchor", ""),
            "outputs": outputs}


def url(name: str, page_dir: str = "") -> str:
    """The link from a chapter (in docs/<page_dir>) to the page with the example's inputs."""
    c = computed(name)
    up = "../" * len([p for p in page_dir.split("/") if p])
    return (f"{up}{PAGES[c['kind']]}" + (f"?{c['query']}" if c["query"] else "")
            + (f"#{c['anchor']}" if c["anchor"] else ""))


LINK = re.compile(r"\]\(\{\{\s*example\.(?P<name>[A-Za-z_]\w*)\.url\s*\}\}\)")
QUERY_ATTR = "data-elm-query"
# The start of the tag the Markdown link below becomes: attr_list writes its attribute before the href (either
# order is read). The query stays HTML-escaped, as an href needs it.
QUERY_LINK = re.compile(r'<a (?:' + QUERY_ATTR + r'="(?P<q1>[^"]*)" href="(?P<h1>[^"#]*)(?P<f1>#[^"]*)?"|href="(?P<h2>[^"#]*)'
                        r'(?P<f2>#[^"]*)?" ' + QUERY_ATTR + r'="(?P<q2>[^"]*)")')


def link_targets(text: str, page_dir: str = "") -> str:
    """Each Markdown link to `{{ example.<name>.url }}` written as the page without its query plus the query in an
    attribute: `](estimate.md#anchor){ data-elm-query="a=1&b=2" }`. The printable site (mkdocs-print-site) turns a
    link to another page into an anchor of the print page and cannot read a query; restore_queries() puts the query
    back into the href of the site's page once print-site has taken its copy (on_post_page)."""
    def repl(m: re.Match) -> str:
        target = url(m["name"], page_dir)
        path, _, frag = target.partition("#")
        path, _, q = path.partition("?")
        attr = f'{{ {QUERY_ATTR}="{q}" }}' if q else ""
        return f"]({path}{'#' + frag if frag else ''}){attr}"
    return LINK.sub(repl, text)


def restore_queries(page_html: str) -> str:
    """The query of every example link back in its href (see link_targets), the attribute dropped."""
    def repl(m: re.Match) -> str:
        i = "1" if m["q1"] is not None else "2"
        return f'<a href="{m["h" + i]}?{m["q" + i]}{m["f" + i] or ""}"'
    return QUERY_LINK.sub(repl, page_html)


PRINT_INPUTS = {"en": " (inputs: {list})", "zh": "（输入：{list}）"}


def described(name: str, lang: str = "en") -> str:
    """An example's inputs in words: its presets by name, then the values it sets itself (key = value)."""
    kind, d = definitions()[name]
    ref = est if kind == "estimate" else plan
    data = ref.localized(ref.DATA, lang)
    presets = [data[group][d[key]]["label"] for key, group in (("run", "runs"), ("model", "models"),
               ("device", "devices"), ("accelerator", "accelerators")) if key in d]
    raw = computed(name)["raw"]
    return ("，" if lang == "zh" else ", ").join(presets + [f"{k} = {raw[k]}" for k in d.get("values", {})])


def print_copy(page_html: str, site_url: str | None, lang: str = "en") -> str:
    """The printable site's example links (print-site made each an anchor of the print page; the query is still in
    its attribute): with a site_url, the deployed page's absolute URL with the query and the anchor; without one,
    the link stays inside the print page and the inputs follow it as text. The attribute is dropped."""
    if QUERY_ATTR not in page_html:
        return page_html
    from selectolax.lexbor import LexborHTMLParser

    by_query = {c["query"]: c for c in (computed(n) for n in definitions())}
    tree = LexborHTMLParser(page_html)
    for a in tree.css(f"a[{QUERY_ATTR}]"):
        q = a.attrs[QUERY_ATTR]
        del a.attrs[QUERY_ATTR]
        c = by_query.get(q)
        if c is None:
            raise UnknownExample(f"the print page has an example link with a query no example gives: {q!r}")
        if site_url:
            page = PAGES[c["kind"]].removesuffix(".md") + "/"
            a.attrs["href"] = (site_url.rstrip("/") + "/" + ("" if lang == "en" else f"{lang}/") + page + "?" + q
                               + (f"#{c['anchor']}" if c["anchor"] else ""))
        else:
            a.insert_after(PRINT_INPUTS.get(lang, PRINT_INPUTS["en"]).format(list=described(c["name"], lang)))
    return tree.html


def substitute(text: str, where: str, page_dir: str = "") -> str:
    """Every `{{ example.<name>.<output>[:spec] }}` replaced; UnknownExample listing each bad one as where:line."""
    from notebook_values import render

    errors = []
    try:
        text = link_targets(text, page_dir)
    except LookupError as err:
        errors.append(f"{where}: {err}")

    def repl(m: re.Match) -> str:
        name, out, spec = m["name"], m["out"], m["spec"]
        line = text.count("\n", 0, m.start()) + 1
        try:
            if out == "url":
                if spec:
                    raise ValueError("a url takes no format")
                return url(name, page_dir)
            outputs = computed(name)["outputs"]
            if out not in outputs:
                raise UnknownExample(f"example {name!r} has no output {out!r} (it has: {', '.join(sorted(outputs))})")
            if spec and (sig := SIG.match(spec)):
                return significant(outputs[out], int(sig["digits"]), bool(sig["comma"]))
            return render(outputs[out], spec)
        except (LookupError, ValueError, TypeError) as err:
            errors.append(f"{where}:{line}: {m.group(0)}: {err}")
            return m.group(0)

    result = PLACEHOLDER.sub(repl, text)
    for m in re.finditer(r"\{\{\s*example\.[^}]*\}\}", result):   # one the pattern does not read: a typo
        if not PLACEHOLDER.fullmatch(m.group(0)):
            errors.append(f"{where}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}: write "
                          "{{ example.<name>.<output>[:format] }} or {{ example.<name>.url }}")
    if errors:
        raise UnknownExample("\n".join(errors))
    return result
