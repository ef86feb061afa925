"""The practice page (docs/practice.md, docs/practice.zh.md): drills graded in the browser.

The drills are defined in scripts/drills.yml; scripts/drills_reference.py computes every numeric answer at build
time from the notebooks' recorded values, the cited constants and its reference formulas, and holds the grading
that the page's JS (docs/assets/practice.js) mirrors. The page places `<!-- drills:NAME -->` markers (record,
estimate, spot, interview); this hook replaces each with static HTML in the build's language: labelled inputs,
questions, worked solutions (hidden until the reader has answered), sources and links to the chapter sections
and notebooks. It embeds what the JS needs (answers, units, messages) in an attribute of the page's wrapper, and
loads the script and stylesheet on this page only. It runs after print-site has taken its copy of the page, so
the printable site gets the prose without the drills.

After the build it writes the same drills as an Anki deck next to the page (practice/elm-drills-<lang>.apkg, see
build_deck): the questions, answers and worked solutions come from the same Page methods, with absolute links.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import re
import sqlite3
import sys
import tempfile
import time
import zipfile
from contextlib import closing
from pathlib import Path

import genanki
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

    def __init__(self, lang: str, base: str = "../"):
        self.lang = lang
        self.base = base   # the site's root for this language: "../" on the page, an absolute URL in the deck
        self.data = ref.load()
        self.T = self.data["text"][lang]
        self.vals = ref.values()
        self.answers: dict[str, dict] = {}

    def t(self, key: str, **kw) -> str:
        return e(ref.tr(self.T[key], **kw))

    def chapter_link(self, chapter: str) -> str:
        slug, _, anchor = chapter.partition("#")
        return (f'<a href="{self.base}{slug}/{"#" + anchor if anchor else ""}">{e(chapter_title(slug, self.lang))}</a>')

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
                link = f'<a href="{self.base}notebooks/{s["notebook"]}/">{e(s["notebook"])}</a>'
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
                f'{self.chapter_link(d["chapter"])} · <a href="{self.base}corrections/">{e(chapter_title("corrections", self.lang))}'
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


# ---------------------------------------------------------------------------------------------- the Anki decks
DECK_FILE = "elm-drills-{lang}.apkg"   # next to the page: /practice/ and /zh/practice/
DECK_TEXT = {
    "en": {"deck": "Efficient Large Models: practice drills", "answer": "Answer", "after": "Previous question",
           "about": "Estimates, spot-the-error passages and mock interviews of {url}, built with the site."},
    "zh": {"deck": "大模型高效训练与推理：练习题", "answer": "答案", "after": "上一题",
           "about": "{url} 的估算题、找错题和模拟面试，随网站一起生成。"},
}
DECK_CSS = """.card { font-family: system-ui, sans-serif; font-size: 18px; line-height: 1.45; text-align: left;
  max-width: 40em; margin: 0 auto; }
.elm-context { font-size: 0.85em; opacity: 0.75; }
.elm-answer { font-size: 1.2em; }
.elm-drill-refs, .elm-drill-where { font-size: 0.85em; }
blockquote { margin: 0.5em 0; padding-left: 0.8em; border-left: 3px solid #888; }
"""


def stable_id(name: str) -> int:
    """An Anki deck or note-type id from a fixed name (not random): a rebuilt deck keeps its ids, so importing it
    again updates the deck instead of adding a second one. In [2^30, 2^31), the range genanki's docs suggest."""
    return (1 << 30) + int(hashlib.sha256(name.encode()).hexdigest(), 16) % (1 << 30)


def deck_model(lang: str) -> genanki.Model:
    # Bump the name's version if the fields change: Anki keeps a note type's fields under its id.
    T = DECK_TEXT[lang]
    return genanki.Model(
        stable_id(f"elm-drills-model-v1-{lang}"), f"{T['deck']} (v1)",
        fields=[{"name": n} for n in ("Question", "Answer", "Details", "Links", "Drill")],
        templates=[{"name": "Drill", "qfmt": "{{Question}}",
                    "afmt": f'{{{{FrontSide}}}}<hr id="answer"><p class="elm-answer"><strong>{T["answer"]}</strong>'
                            f'{"：" if lang == "zh" else ": "}{{{{Answer}}}}</p>{{{{Details}}}}{{{{Links}}}}'}],
        css=DECK_CSS)


def site_root(config) -> str:
    """The deployed site's root URL (links in a deck must be absolute): site_url, set by the deploy workflow, or
    the GitHub Pages address the workflow would use (.github/workflows/site.yml) when building locally."""
    if config.get("site_url"):
        return config["site_url"].rstrip("/") + "/"
    m = re.match(r"https://github\.com/([^/]+)/([^/]+?)/?$", config.get("repo_url") or "")
    return f"https://{m[1]}.github.io/{m[2]}/" if m else "./"


def deck_notes(lang: str, base: str) -> list[tuple[str, list[str], list[str]]]:
    """(drill id, [question, answer, details, links, id], tags) for every drill, in the page's order; base is the
    language's site root (an absolute URL)."""
    p = Page(lang, base)
    T, out = p.T, []
    colon = "：" if lang == "zh" else ": "

    def label(key: str) -> str:   # "Worked solution." / "解答过程："
        return f"<strong>{p.t(key)}</strong>" + ("：" if lang == "zh" else ". ")

    def numeric(d: dict, context: str = "") -> list[str]:
        answer, env, refs, _ = ref.evaluate(d, p.vals)
        L = d[lang]
        q = e(ref.fill(L["q"], env, answer, d["unit"], lang))
        work = e(ref.fill(L["work"], env, answer, d["unit"], lang))
        return [f"{context}<p>{q}</p>", e(ref.quantity(answer, d["unit"], lang)),
                f"<p>{label('solution')}{work}</p>", p.refs(d, refs)]

    for d in p.data["estimate"]:
        out.append((d["id"], numeric(d), ["estimate", d["chapter"].split("#")[0]]))
    for d in p.data["spot"]:
        L = d[lang]
        options = list(L["options"]) + [T["nothing_wrong"]]
        k = len(L["options"]) if d["answer"] == "none" else int(d["answer"])
        rendering = (f'<p class="elm-drill-where"><strong>{p.t("rendering")}</strong> {e(d["en"]["rendering"])}</p>'
                     if lang == "en" else "")
        front = (f'<blockquote lang="zh-Hans">{e(d["quote"].replace("** ", "").replace("**", ""))}</blockquote>'
                 f'<p class="elm-drill-where">{p.t("passage", seed=d["seed"], where=d["where"])}</p>{rendering}'
                 f'<p>{p.t("which_fault")}</p><ol type="A">{"".join(f"<li>{e(o)}</li>" for o in options)}</ol>')
        links = (f'<ul class="elm-drill-refs"><li>{p.t("correction")}{colon}{p.chapter_link(d["chapter"])} · '
                 f'<a href="{base}corrections/">{e(chapter_title("corrections", lang))}</a></li></ul>')
        out.append((d["id"], [front, f"{chr(65 + k)}. {e(options[k])}",
                              f'<p>{label("explanation")}{e(L["explain"])}</p>', links],
                     ["spot", d["chapter"].split("#")[0]]))
    for run in p.data["interview"]:
        R, steps = run[lang], run["steps"]
        for n, s in enumerate(steps, 1):
            chapter = s.get("chapter", run["chapter"])
            context = (f'<p class="elm-context"><strong>{e(R["title"])}</strong> · '
                       f'{p.t("step", n=n, total=len(steps))}<br>{e(R["intro"])}')
            if n > 1:   # a follow-up changes one thing of the previous question: show it
                prev = steps[n - 2]
                if "compute" in prev:
                    a, env, _, _ = ref.evaluate(prev, p.vals)
                    prev_q = ref.fill(prev[lang]["q"], env, a, prev["unit"], lang)
                else:
                    prev_q = prev[lang]["q"]
                context += f"<br>{e(DECK_TEXT[lang]['after'])}{colon}{e(prev_q)}"
            context += "</p>"
            if "compute" in s:
                fields = numeric(dict(s, chapter=chapter), context)
            else:
                items = "".join(f"<li>{e(x)}</li>" for x in s[lang]["rubric"])
                fields = [f"{context}<p>{e(s[lang]['q'])}</p>", p.t("rubric"), f"<ul>{items}</ul>",
                          f'<ul class="elm-drill-refs"><li>{p.t("computed_in")}{colon}{p.chapter_link(chapter)}</li></ul>']
            out.append((s["id"], fields, ["interview", chapter.split("#")[0]]))
    return [(i, fields + [i], tags) for i, fields, tags in out]


def build_deck(lang: str, path: Path, base: str) -> int:
    """Write one language's deck to path; returns the number of notes. Note GUIDs come from the drill ids, so
    importing a rebuilt deck updates the reader's notes (Anki matches notes by GUID) instead of duplicating them."""
    model = deck_model(lang)
    T = DECK_TEXT[lang]
    page = f'<a href="{e(base)}practice/">{e(base)}practice/</a>'
    deck = genanki.Deck(stable_id(f"elm-drills-deck-{lang}"), T["deck"], description=ref.tr(T["about"], url=page))
    notes = deck_notes(lang, base)
    for drill_id, fields, tags in notes:
        deck.add_note(genanki.Note(model=model, fields=fields, tags=tags, guid=genanki.guid_for("elm-drills", lang,
                                                                                               drill_id)))
    path.parent.mkdir(parents=True, exist_ok=True)
    # genanki's Package.write_to_file does this but leaves its SQLite file in the system's temp folder
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "collection.anki2"
        with closing(sqlite3.connect(db)) as conn:
            now = time.time()   # notes' modification time: Anki updates a note on import only if it is newer
            genanki.Package(deck).write_to_db(conn.cursor(), now, itertools.count(int(now * 1000)))
            conn.commit()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(db, "collection.anki2")
            z.writestr("media", "{}")
    return len(notes)


def on_post_build(config):
    lang = config["theme"]["language"]
    root = site_root(config) + ("" if lang == "en" else f"{lang}/")
    dest = Path(config["site_dir"]) / ("" if lang == "en" else lang) / "practice" / DECK_FILE.format(lang=lang)
    build_deck(lang, dest, root)
