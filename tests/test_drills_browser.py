"""The practice page, English and Chinese, in headless Chromium: the page's grading against the Python reference on
every drill, answering right and wrong through the form, the record in localStorage (survives a reload, clears),
keyboard-only use, a 390 px screen, and axe."""

from __future__ import annotations

import math

import pytest
from test_browser import AXE, SETTLED, Visit, browser, server  # noqa: F401  (fixtures)

import drills_reference as ref

PAGES = {"en": "practice/", "zh": "zh/practice/"}
NUMERIC = ref.numeric_drills()
VALUES = ref.values()
ANSWERS = {d["id"]: ref.evaluate(d, VALUES)[0] for d in NUMERIC}
UNIT_OF = {d["id"]: d["unit"] for d in NUMERIC}
BAD = ["", "abc", "-2", "0", "3 furlongs", "1e999", "２ ｈ"]
OTHER_KIND = {"bytes": "2 h", "time": "5 GB", "flops": "40%", "flop_rate": "3 h", "bandwidth": "7 days",
              "token_rate": "12 GB", "intensity": "3 s", "ratio": "8 GiB", "count": "2 h"}


def cases() -> list[tuple[str, str, float]]:
    """(text, unit, answer) for every numeric drill: the answer as shown, the answer as a bare number in the base
    unit (a hint where the display unit is prefixed), off by several factors, a unit of another kind, and bad
    entries; then the spellings the parser reads (superscript exponents, powers, ~, a lone magnitude, bits) and
    refuses ("Mb")."""
    out = []
    for d in NUMERIC:
        unit, answer = d["unit"], ANSWERS[d["id"]]
        shown = answer / ref.DISPLAY[unit][1]
        out += [(f"{shown:.6g}", unit, answer), (f"{answer:.6g}", unit, answer), (f"{shown * 1.05:.4g}", unit, answer),
                (f"{shown * 1.6:.3g}", unit, answer), (f"{shown / 3.5:.3g}", unit, answer),
                (f"{shown * 40:.3g}", unit, answer), (OTHER_KIND[ref.DISPLAY[unit][0]], unit, answer)]
        out += [(b, unit, answer) for b in BAD[:3]]
    out += [("512 KiB", "KiB", 524288.0), ("0.5 MiB", "KiB", 524288.0), ("7B", "params", 7e9), ("3 亿", "params", 3e8),
            ("2.5 小时", "h", 9000.0), ("3 × 10^23", "FLOPs", 3.14e23), ("314 zflop", "FLOPs", 3.14e23),
            ("3 × 10²³", "FLOPs", 3.14e23), ("3.14 × 10²³ FLOPs", "FLOPs", 3.14e23), ("7·10⁹", "params", 6.74e9),
            ("6·10⁻⁸", "s", 5.96e-8), ("2^19 bytes", "KiB", 524288.0), ("10^23", "FLOPs", 3.14e23),
            ("~40%", "%", 0.39), ("≈ 0.5 MiB", "KiB", 524288.0), ("about 230 hours", "h", 828000.0),
            ("约 9.6 天", "days", 829440.0), ("±0.87%", "%", 0.00866), ("512k", "KiB", 524288.0),
            ("112 G", "GB", 112e9), ("1400亿", "GFLOPs", 1.38e11), ("4 Mbit", "MB", 5e5), ("25 Gbit/s", "GB/s", 3e9),
            ("0.5 Mb", "KiB", 524288.0), ("25 Gb/s", "GB/s", 3e9), ("524288", "KiB", 524288.0),
            ("0.39", "%", 0.39), ("0.87", "%", 0.00866), ("9000", "h", 9000.0), ("1e-5", "KiB", 524288.0),
            ("5e6", "GB", 1e9), ("3000", "h", 9000.0)]
    return out + [(b, "h", 3600.0) for b in BAD]


def goto(browser, server, lang, **kw) -> Visit:
    base, _ = server
    v = Visit(browser, base, **kw)
    v.page.goto(f"{base}/{PAGES[lang]}", wait_until="load")
    v.page.wait_for_function("window.elmPractice !== undefined")
    return v


@pytest.mark.parametrize("lang", PAGES)
def test_page_grades_every_drill_as_the_python_reference(server, browser, lang):
    cs = cases()
    ratios = [[], [2.0, 2.0], [0.25, 1.0], [1.1, 1 / 1.1, 4.0, 0.25], [0.3, 0.5, 3.0]]
    with goto(browser, server, lang) as v:
        page = v.page
        assert page.get_attribute("html", "lang") == lang
        embedded = page.evaluate("Object.fromEntries(Object.entries(window.elmPractice.drills)"
                                 ".filter(([k, d]) => d.kind === 'estimate').map(([k, d]) => [k, [d.unit, d.answer]]))")
        js = page.evaluate("cs => cs.map(([t, u, a]) => window.elmPractice.grade(t, u, a))", cs)
        calib = page.evaluate("rs => rs.map(r => window.elmPractice.calibration(r))", ratios)
        assert not v.errors, v.errors
    assert embedded == {k: [UNIT_OF[k], ANSWERS[k]] for k in ANSWERS}   # the answers the page holds: the reference's
    mismatches = []
    for (text, unit, answer), got in zip(cs, js):
        want = ref.grade(text, unit, answer, lang)
        same = want.keys() == got.keys() and all(
            math.isclose(want[k], got[k], rel_tol=1e-12) if k == "ratio" else want[k] == got[k] for k in want)
        if not same:
            mismatches.append((text, unit, want, got))
    assert not mismatches, mismatches[:3]
    assert sum("error" in g for g in js) >= len(NUMERIC) * 4       # bad entries got messages, never grades
    for rs, got in zip(ratios, calib):
        want = ref.calibration(rs, lang)
        assert got["message"] == want["message"] and got.get("bias") == want.get("bias")


def estimate_drill(page, drill_id: str, text: str):
    page.fill(f"#in-{drill_id}", text)
    page.click(f"#drill-{drill_id} button[type=submit]")
    return page.text_content(f"#fb-{drill_id}")


@pytest.mark.parametrize("lang", PAGES)
def test_answer_right_and_wrong_and_the_record_survives_reload_and_clears(server, browser, lang):
    T = ref.load()["text"][lang]
    kv = "kv-llama2-7b"
    spot = next(d for d in ref.load()["spot"] if d["answer"] != "none")
    wrong = (spot["answer"] + 1) % len(spot["en"]["options"])
    with goto(browser, server, lang) as v:
        page = v.page
        assert page.is_hidden(f"#sol-{kv}")
        msg = estimate_drill(page, kv, "2 h")                         # a unit of another kind: a message, no grade
        assert msg == ref.grade("2 h", "KiB", ANSWERS[kv], lang)["error"]
        assert page.get_attribute(f"#in-{kv}", "aria-invalid") == "true" and page.is_hidden(f"#sol-{kv}")
        assert page.text_content("#rec-score") == T["nothing_yet"]
        assert estimate_drill(page, kv, "5 MB") == ref.grade("5 MB", "KiB", ANSWERS[kv], lang)["message"]   # wrong
        assert page.is_visible(f"#sol-{kv}") and page.get_attribute(f"#in-{kv}", "aria-invalid") is None
        assert "512 KiB" in page.text_content(f"#sol-{kv}")
        assert estimate_drill(page, kv, "512 KiB") == T["band_close"]
        page.check(f'#drill-{spot["id"]} input[value="{wrong}"]')
        page.click(f'#drill-{spot["id"]} button[type=submit]')
        assert page.text_content(f'#fb-{spot["id"]}') == T["wrong"] and page.is_visible(f'#sol-{spot["id"]}')
        page.check(f'#drill-{spot["id"]} input[value="{spot["answer"]}"]')
        page.click(f'#drill-{spot["id"]} button[type=submit]')
        assert page.text_content(f'#fb-{spot["id"]}') == T["right"]
        score = ref.tr(T["score"], points=1, max=6, n=2)       # first attempts: 5 MB is 10× off (1), the wrong pick (0)
        assert page.text_content("#rec-score") == score
        assert page.text_content("#rec-calib") == ref.calibration([5e6 / ANSWERS[kv]], lang)["message"]
        revise = page.text_content("#rec-revise")
        assert revise.endswith(ref.tr(T["drill_count"], n=1))
        page.reload(wait_until="load")                               # the record survives a reload
        page.wait_for_function("window.elmPractice !== undefined")
        assert page.text_content("#rec-score") == score
        other = "zh" if lang == "en" else "en"                       # and is shared with the other language's page
        page.goto(f"{server[0]}/{PAGES[other]}", wait_until="load")
        page.wait_for_function("window.elmPractice !== undefined")
        assert page.text_content("#rec-score") == ref.tr(ref.load()["text"][other]["score"], points=1, max=6, n=2)
        page.click("#rec-clear")
        assert page.text_content("#rec-score") == ref.load()["text"][other]["nothing_yet"]
        assert page.text_content("#rec-status") == ref.load()["text"][other]["cleared"]
        assert page.evaluate("window.localStorage.getItem('elm-practice-v1')") is None
        page.reload(wait_until="load")
        page.wait_for_function("window.elmPractice !== undefined")
        assert page.text_content("#rec-score") == ref.load()["text"][other]["nothing_yet"]
        assert not v.errors and not v.offhost, (v.errors, v.offhost)


def test_keyboard_only_at_390px(server, browser):
    """Tab into a drill from its heading, type, Enter; arrow keys pick a passage's fault; Enter opens a rubric and
    grades oneself. At 390 px nothing scrolls sideways."""
    T = ref.load()["text"]["en"]
    base, _ = server
    spot = ref.load()["spot"][0]
    run = ref.load()["interview"][0]
    open_id = next(s["id"] for s in run["steps"] if "compute" not in s)
    with Visit(browser, base) as v:
        page = v.page
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{base}/{PAGES['en']}#drill-{NUMERIC[0]['id']}", wait_until="load")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == f"in-{NUMERIC[0]['id']}"
        page.keyboard.type("3e23")
        page.keyboard.press("Enter")
        assert page.text_content(f"#fb-{NUMERIC[0]['id']}") == ref.grade("3e23", NUMERIC[0]["unit"],
                                                                          ANSWERS[NUMERIC[0]["id"]])["message"]
        page.goto(f"{base}/{PAGES['en']}#drill-{spot['id']}", wait_until="load")
        page.keyboard.press("Tab")                                   # the first option of the radio group
        assert page.evaluate("document.activeElement.type") == "radio"
        page.keyboard.press("Space")                                 # checks it; the arrows move the choice
        for _ in range(spot["answer"]):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")                                   # the Check button
        page.keyboard.press("Enter")
        assert page.text_content(f"#fb-{spot['id']}") == T["right"]
        page.goto(f"{base}/{PAGES['en']}#drill-{open_id}", wait_until="load")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"
        page.keyboard.press("Enter")
        assert page.is_visible(f"#sol-{open_id}")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")                                 # "Covered it"
        assert page.text_content(f"#fb-{open_id}") == ref.tr(T["self_recorded"], level=T["self_got"])
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert not v.errors, v.errors


@pytest.mark.parametrize("lang", PAGES)
def test_axe_finds_nothing_with_feedback_shown(server, browser, lang):
    if not AXE.is_file():
        pytest.skip("axe-core not installed (npm ci)")
    with goto(browser, server, lang, color_scheme="dark" if lang == "zh" else "light") as v:
        page = v.page
        kv = "kv-llama2-7b"
        estimate_drill(page, kv, "abc")
        estimate_drill(page, NUMERIC[0]["id"], "1")
        page.evaluate(SETTLED)
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(x => ({id: x.id, impact: x.impact, nodes: x.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        assert not violations, violations
        page.evaluate("window.localStorage.clear()")
