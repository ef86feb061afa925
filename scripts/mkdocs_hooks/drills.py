"""The practice page (docs/practice.md, docs/practice.zh.md): drills graded in the browser.

The drills are defined in scripts/drills.yml; scripts/drills_reference.py computes every numeric answer at build
time from the notebooks' recorded values, the cited constants and its reference formulas, and holds the grading
that the page's JS (docs/assets/practice.js) mirrors. The page places `<!-- drills:NAME -->` markers (record,
estimate, spot, interview); this hook replaces each with static HTML in the build's language: labelled inputs,
questions, worked solutions (hidden until the reader has answered), sources and links to the chapter sections
and notebooks. It embeds what the JS needs (answers, units, messages) in an attribute of the page's wrapper, and
loads the script and stylesheet on this page only. It runs after print-site has taken its copy of the page, so
the printable site gets the prose without the drills.
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
import drills_reference as ref  # noqa: E402

PAGES = ("practice.md", "practice.zh.md")
MARKER = re.compile(r"<!--\s*drills:(\w+)\s*-->")
ROOT = Path(__file__).resolve().parents[2]
e = html.escape


def chapter_title(slug: str, lang: str) -> str:
    """The H1 of docs/<slug>.md (or .zh.md), without markup."""
    path = ROOT / "docs" / (f"{slug}.zh.md" if lang == "zh" else f"{slug}.md")
    if not path.is_file():   # a chapter not translated yet: its English title
        path = ROOT / "docs" / f"{slug}.md"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return re.sub(r"[`*_]", "", line[2:]).strip()
    return slug


def provenance(nb: str) -> dict:
    meta = json.loads((ROOT / "notebooks" / f"{nb}.ipynb").read_text(encoding="utf-8"))["metadata"]
    p = meta.get("provenance", {})
    hw = p.get("hardware", {})
    return {"date": p.get("executed", "?"), "hw": hw.get("gpu") or hw.get("cpu") or "?"}


class Page:
    """One language's rendering of the drills."""

    def __init__(self, lang: str):
        self.lang = lang
        self.data = ref.load()
        self.T = self.data["text"][lang]
        self.vals = ref.values()
        self.answers: dict[str, dict] = {}

    def t(self, key: str, **kw) -> str:
        return e(ref.tr(self.T[key], **kw))

    def chapter_link(self, chapter: str) -> str:
        slug, _, anchor = chapter.partition("#")
        return (f'<a href="../{slug}/{"#" + anchor if anchor else ""}">{e(chapter_title(slug, self.lang))}</a>')

    def refs(self, drill: dict, refs) -> str:
        parts = []
        registry = ref.load_cited()["constants"]
        for s in ref.sources(refs):
            if s["kind"] == "cited":
                # where in the source, in the page's language (the English `where` only if no `where_zh` exists)
                where = (registry[s["key"]].get("where_zh") if self.lang == "zh" else None) or s["where"]
                paren = "（{}）" if self.lang == "zh" else " ({})"
                parts.append(f'<a href="{e(s["url"])}">{e(s[self.lang])}</a>' + paren.format(e(where)))
            else:
                p = provenance(s["notebook"])
                link = f'<a href="../notebooks/{s["notebook"]}/">{e(s["notebook"])}</a>'
                parts.append(ref.tr(self.T["recorded_by"], nb=link, date=e(p["date"]), hw=e(p["hw"])))
        colon, sep = ("：", "；") if self.lang == "zh" else (": ", "; ")   # Chinese punctuation on the Chinese page
        out = ""
        if parts:
            out += f'<li>{self.t("formula_sources")}{colon}{sep.join(parts)}</li>'
        out += f'<li>{self.t("computed_in")}{colon}{self.chapter_link(drill["chapter"])}</li>'
        return f'<ul class="elm-drill-refs">{out}</ul>'

    # ------------------------------------------------------------------ numeric
    def numeric(self, d: dict, section: str) -> str:
        answer, env, refs, _ = ref.evaluate(d, self.vals)
        L = d[self.lang]
        unit = d["unit"]
        label = ref.DISPLAY[unit][2 if self.lang == "en" else 3]
        kind_label = {"x": "×" if self.lang == "en" else "倍", "%": "%", "plain": "", "count": ""}.get(unit, label)
        q = e(ref.fill(L["q"], env, answer, unit, self.lang))
        work = e(ref.fill(L["work"], env, answer, unit, self.lang))
        self.answers[d["id"]] = {"kind": "estimate", "unit": unit, "answer": answer, "chapter": d["chapter"],
                                 "section": section}
        i = e(d["id"])
        unit_hint = f' <span class="elm-drill-unit">({self.t("in_unit", unit=kind_label)})</span>' if kind_label else ""
        return (f'<div class="elm-drill" id="drill-{i}" data-drill="{i}" data-kind="estimate">'
                f'<p class="elm-drill-q" id="q-{i}">{q}</p>'
                f'<form class="elm-drill-form" novalidate><label for="in-{i}">{self.t("your_estimate")}{unit_hint}'
                f'</label><span class="elm-drill-row"><input id="in-{i}" type="text" autocomplete="off" '
                f'spellcheck="false" aria-describedby="q-{i} fb-{i}"><button type="submit" class="md-button">'
                f'{self.t("check")}</button></span></form>'
                f'<p class="elm-drill-feedback" id="fb-{i}" role="status" aria-live="polite"></p>'
                f'<div class="elm-drill-solution" id="sol-{i}" hidden><p><strong>{self.t("solution")}.</strong> '
                f'{work}</p>{self.refs(d, refs)}</div></div>')

    def estimates(self) -> str:
        groups: dict[str, list[dict]] = {}
        for d in self.data["estimate"]:
            groups.setdefault(d["chapter"].split("#")[0], []).append(d)
        out = []
        for slug, drills in groups.items():
            title = e(chapter_title(slug, self.lang))
            body = "".join(self.numeric(d, "estimate") for d in drills)
            out.append(f'<section class="elm-drill-group" aria-labelledby="est-{slug}"><h3 id="est-{slug}">'
                       f'{title}</h3>{body}</section>')
        return "".join(out)

    # ------------------------------------------------------------------ spot the error
    def spot(self, d: dict) -> str:
        L = d[self.lang]
        i = e(d["id"])
        options = [(str(k), o) for k, o in enumerate(L["options"])] + [("none", self.T["nothing_wrong"])]
        radios = "".join(f'<label class="elm-choice"><input type="radio" name="ch-{i}" value="{v}"> {e(o)}</label>'
                         for v, o in options)
        rendering = (f'<p class="elm-drill-rendering"><strong>{self.t("rendering")}</strong> {e(d["en"]["rendering"])}'
                     f'</p>' if self.lang == "en" else "")
        self.answers[d["id"]] = {"kind": "spot", "answer": str(d["answer"]), "chapter": d["chapter"],
                                 "section": "spot", "options": len(options)}
        return (f'<div class="elm-drill elm-spot" id="drill-{i}" data-drill="{i}" data-kind="spot">'
                f'<blockquote lang="zh-Hans"><p>{e(d["quote"].replace("** ", "").replace("**", ""))}</p></blockquote>'
                f'<p class="elm-drill-where">{self.t("passage", seed=d["seed"], where=d["where"])}</p>{rendering}'
                f'<form class="elm-drill-form" novalidate><fieldset><legend>{self.t("which_fault")}</legend>{radios}'
                f'</fieldset><button type="submit" class="md-button">{self.t("check")}</button></form>'
                f'<p class="elm-drill-feedback" id="fb-{i}" role="status" aria-live="polite"></p>'
                f'<div class="elm-drill-solution" id="sol-{i}" hidden><p><strong>{self.t("explanation")}.</strong> '
                f'{e(L["explain"])}</p><ul class="elm-drill-refs"><li>{self.t("correction")}: '
                f'{self.chapter_link(d["chapter"])} · <a href="../corrections/">{e(chapter_title("corrections", self.lang))}'
                f'</a></li></ul></div></div>')

    def spots(self) -> str:
        return "".join(self.spot(d) for d in self.data["spot"])

    # ------------------------------------------------------------------ interviews
    def open_step(self, d: dict, chapter: str) -> str:
        L = d[self.lang]
        i = e(d["id"])
        self.answers[d["id"]] = {"kind": "open", "chapter": chapter, "section": "interview"}
        items = "".join(f"<li>{e(x)}</li>" for x in L["rubric"])
        buttons = "".join(f'<button type="button" class="md-button" data-self="{k}" aria-pressed="false">{self.t("self_" + k)}</button>'
                          for k in ("got", "partly", "missed"))
        return (f'<div class="elm-drill elm-open" id="drill-{i}" data-drill="{i}" data-kind="open">'
                f'<p class="elm-drill-q" id="q-{i}">{e(L["q"])}</p>'
                f'<button type="button" class="md-button elm-reveal" aria-expanded="false" aria-controls="sol-{i}">'
                f'{self.t("show_rubric")}</button>'
                f'<div class="elm-drill-solution" id="sol-{i}" hidden><p>{self.t("rubric")}</p><ul>{items}</ul>'
                f'<div class="elm-self" role="group" aria-label="{self.t("grade_yourself")}">'
                f'<span>{self.t("grade_yourself")}:</span> {buttons}</div>'
                f'<ul class="elm-drill-refs"><li>{self.t("computed_in")}: {self.chapter_link(chapter)}</li></ul></div>'
                f'<p class="elm-drill-feedback" id="fb-{i}" role="status" aria-live="polite"></p></div>')

    def interviews(self) -> str:
        out = []
        for run in self.data["interview"]:
            L = run[self.lang]
            steps = []
            for n, s in enumerate(run["steps"], 1):
                chapter = s.get("chapter", run["chapter"])
                step = (self.numeric(dict(s, chapter=chapter), "interview") if "compute" in s
                        else self.open_step(s, chapter))
                steps.append(f'<li><p class="elm-step-n">{self.t("step", n=n, total=len(run["steps"]))}</p>{step}</li>')
            out.append(f'<section class="elm-run" id="run-{e(run["id"])}" aria-labelledby="run-{e(run["id"])}-t">'
                       f'<h3 id="run-{e(run["id"])}-t">{e(L["title"])}</h3><p>{e(L["intro"])}</p>'
                       f'<ol class="elm-run-steps">{"".join(steps)}</ol></section>')
        return "".join(out)

    # ------------------------------------------------------------------ the record
    def record(self) -> str:
        return (f'<div id="elm-record" class="elm-record">'
                f'<h3 id="record-scores">{self.t("record_scores")}</h3><p id="rec-score">{self.t("nothing_yet")}</p>'
                f'<h3 id="record-calibration">{self.t("record_calibration")}</h3><p id="rec-calib">{self.t("calib_none")}</p>'
                f'<h3 id="record-revise">{self.t("record_revise")}</h3><div id="rec-revise"><p>{self.t("revise_none")}</p></div>'
                f'<p><button type="button" id="rec-clear" class="md-button">{self.t("clear")}</button></p>'
                f'<p class="elm-record-note">{self.t("storage_note")}</p>'
                f'<p id="rec-status" role="status" aria-live="polite"></p></div>')

    def js_data(self) -> dict:
        chapters = {}
        for a in self.answers.values():
            slug = a["chapter"].split("#")[0]
            chapters[slug] = {"title": chapter_title(slug, self.lang), "url": f"../{slug}/"}
        return {**ref.page_data(self.lang), "drills": self.answers, "chapters": chapters}


@event_priority(-50)  # after print-site has taken its copy of the page
def on_page_content(html_content, page, config, files):
    if page.file.src_uri not in PAGES:
        return html_content
    lang = config["theme"]["language"]
    if lang not in ref.LANGUAGES:
        raise ValueError(f"scripts/drills.yml has no strings for the language {lang!r}")
    p = Page(lang)
    parts = {"estimate": p.estimates, "spot": p.spots, "interview": p.interviews, "record": p.record}
    rendered = {}

    def repl(m):
        name = m.group(1)
        if name not in parts:
            raise ValueError(f"docs/{page.file.src_uri}: unknown marker drills:{name}")
        return rendered[name]

    for name in ("estimate", "spot", "interview", "record"):   # the record last: it needs nothing, the JS data all
        rendered[name] = parts[name]()
    content = MARKER.sub(repl, html_content)
    blob = e(json.dumps(p.js_data(), ensure_ascii=False, separators=(",", ":")), quote=True)
    css = get_relative_url("assets/practice.css", page.file.url)
    script = get_relative_url("assets/practice.js", page.file.url)
    return (f'<link rel="stylesheet" href="{css}"><div id="elm-practice" data-practice="{blob}">{content}</div>'
            f'<script src="{script}" defer></script>')
