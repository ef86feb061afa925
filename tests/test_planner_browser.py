"""The "Plan your run" page, English and Chinese, in headless Chromium: the page's JS against the Python reference
on a grid of cases (validation messages, the ranked layouts, the inspected layout), the published runs through the
form, the URL round trip, keyboard use and what a screen reader is told. Short: one page load per test."""

from __future__ import annotations

import json
import math
import re

import pytest
from test_browser import browser, server  # noqa: F401  (fixtures)
from test_estimate_browser import visit

import planner_reference as ref

PAGES = {"en": "planner/", "zh": "zh/planner/"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def grid() -> list[dict[str, str]]:
    """Presets × clusters × batches, a typed layout on some, plus bad inputs."""
    cases = []
    clusters = [(8, 4), (8, 32), (4, 16), (8, 192)]
    batches = [(2048, 512), (4096, 256), (8192, 1024)]
    i = 0
    for model in ref.DATA["models"]:
        for acc in ref.DATA["accelerators"]:
            for (g, nodes), (s, seqs) in zip(clusters, batches * 2):
                i += 1
                raw = ref.defaults()
                raw.update({k: str(x) for k, x in ref.DATA["models"][model]["values"].items()})
                raw.update({k: str(x) for k, x in ref.DATA["accelerators"][acc]["values"].items()})
                raw.update(gpus_per_node=str(g), nodes=str(nodes), seq=str(s), global_batch=str(s * seqs),
                           efficiency=str(40 + i % 30), usable=str(85 + i % 15),
                           grad_dtype=["fp32", "bf16"][i % 2], reduce_dtype=["fp32", "bf16"][(i // 2) % 2],
                           lat_network=str([14, 0, 30][i % 3]))
                if i % 3 == 0:
                    raw.update(tp="4", pp="2", vp=str(1 + i % 2), ep="1", micro_batch="1", zero=str(i % 3),
                               recompute=["none", "selective", "full"][i % 3])
                cases.append(raw)
    for bad in [{"layers": "-1"}, {"hidden": "12288.5"}, {"n_params": "abc"}, {"global_batch": ""},
                {"efficiency": "150"}, {"heads": "7"}, {"kv_heads": "5"}, {"seq": "1000"}, {"top_k": "3"},
                {"n_params": "0.1"}, {"tp": "3", "pp": "1", "vp": "1", "ep": "1", "micro_batch": "1"},
                {"tp": "8", "pp": "12", "vp": "1", "ep": "1", "micro_batch": "64"}, {"nodes": "1e9"},
                {"lat_network": "-1"}, {"tp": "1", "pp": "1", "vp": "1", "ep": "1", "micro_batch": "8",
                                        "zero": "0", "recompute": "none"}]:
        raw = ref.defaults()
        raw.update(bad)
        cases.append(raw)
    return cases


def python_side(raw, lang):
    values, errors = ref.validate(raw, lang)
    return json.loads(json.dumps({"errors": errors, "plan": ref.plan(values), "inspect": ref.inspect(values)}))


def close(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize("lang", PAGES)
def test_page_js_agrees_with_the_python_reference(server, browser, lang):
    base, _ = server
    cases = grid()
    with visit(browser, server) as v:
        v.page.goto(f"{base}/{PAGES[lang]}", wait_until="networkidle")
        assert v.page.get_attribute("html", "lang") == lang
        js = v.page.evaluate("""cases => cases.map(raw => { const c = window.elmPlanner.validate(raw);
            return JSON.parse(JSON.stringify({errors: c.errors, plan: window.elmPlanner.plan(c.values),
                                              inspect: window.elmPlanner.inspect(c.values)})); })""", cases)
        assert not v.errors, v.errors
    expected = [python_side(raw, lang) for raw in cases]
    assert len(js) == len(cases) > 60
    assert sum(1 for e in expected if e["plan"] and e["plan"]["fit"]) > 30      # most cases have a ranking
    mismatches = [(raw, got, want) for raw, got, want in zip(cases, js, expected) if not close(want, got)]
    assert not mismatches, json.dumps(mismatches[0], ensure_ascii=False)[:3000]
    if lang == "zh":
        assert any(HAN.search(m) for e in expected for m in e["errors"].values())


@pytest.mark.parametrize("lang", PAGES)
def test_published_runs_through_the_form_and_keyboard(server, browser, lang):
    """Choosing a published run fills the paper's layout; the breakdown then shows the number the build put in
    the published-runs table. The ranked rows' Inspect buttons work from the keyboard and move focus to the
    caption that says which layout is shown."""
    base, _ = server
    data = ref.localized(ref.DATA, lang)
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/{PAGES[lang]}", wait_until="networkidle")
        assert page.text_content('label[for="plan-layers"]').strip() == data["fields"]["layers"]["label"]
        for rid, run in ref.DATA["runs"].items():
            page.select_option("#plan-preset-run", rid)
            c = ref.published(rid)
            metric = run["published"]["metric"]
            shown = float(page.get_attribute(f'#plan-detail [data-out="{metric}"]', "data-value"))
            assert shown == pytest.approx(c["predicted"], rel=1e-9)
            static = float(page.get_attribute(f'tr[data-run="{rid}"]', "data-predicted"))
            assert static == pytest.approx(shown, rel=1e-9)
            for k, x in c["best"]["layout"].items():
                assert page.input_value(f"#plan-{k}") == str(x)
        # keyboard: clear the typed layout, then Tab to the second row's Inspect button and press Enter
        for k in ("tp", "pp", "vp", "ep", "micro_batch"):
            page.fill(f"#plan-{k}", "")
        page.focus('#plan-rank-body tr[data-rank="1"] button')
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == \
            ref.tr(data["text"]["inspect_label"], a=2)
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "plan-detail-caption"
        second = json.loads(page.get_attribute('#plan-rank-body tr[data-rank="2"]', "data-layout"))
        assert page.input_value("#plan-tp") == str(second["tp"]) and page.input_value("#plan-pp") == str(second["pp"])
        caption = page.text_content("#plan-detail-caption")
        assert caption and (HAN.search(caption) if lang == "zh" else "typed above" in caption)
        # a bad value: its message, aria-invalid, described-by, and the ranking says what blocks it
        page.click("#plan-layers")
        page.keyboard.press("Control+a")
        page.keyboard.type("-4")
        msg = page.locator("#plan-layers-error")
        raw = {k: page.input_value(f"#plan-{k}") for k in list(ref.FIELDS) + list(ref.CHOICES)}
        assert msg.is_visible() and msg.text_content() == ref.validate(raw, lang)[1]["layers"]
        assert page.get_attribute("#plan-layers", "aria-invalid") == "true"
        assert "plan-layers-error" in page.get_attribute("#plan-layers", "aria-describedby").split()
        assert data["fields"]["layers"]["label"] in page.text_content(".elm-plan-blocked")
        assert page.get_attribute("#plan-results", "aria-live") == "polite"
        assert "NaN" not in page.text_content("#elm-planner")
        assert not v.errors and not v.offhost, (v.errors, v.offhost)


def test_url_carries_the_inputs(server, browser):
    base, _ = server
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/{PAGES['en']}", wait_until="networkidle")
        page.select_option("#plan-preset-run", "llama3-16k")
        page.fill("#plan-efficiency", "55")
        state = {k: page.input_value(f"#plan-{k}") for k in list(ref.FIELDS) + list(ref.CHOICES)}
        results = page.text_content("#plan-results") + page.text_content("#plan-detail")
        url = page.url
    assert "efficiency=55" in url and "nodes=2048" in url
    with visit(browser, server) as v:
        v.page.goto(url, wait_until="networkidle")
        assert {k: v.page.input_value(f"#plan-{k}") for k in state} == state
        assert v.page.text_content("#plan-results") + v.page.text_content("#plan-detail") == results
        assert v.page.input_value("#plan-preset-model") == "llama3-405b"


@pytest.mark.parametrize("lang", PAGES)
def test_chapter_examples_and_a_bad_url_value(server, browser, lang):
    """Every link of a built chapter that carries inputs to the planner is a defined worked example's and opens it
    with the reference's numbers (none is defined yet: then there is no such link); a bad number and a choice that
    is no option in the URL each show their field's message, and the ranking says what blocks it."""
    import planner_examples as ex
    from test_estimate_browser import example_links
    base, site = server
    by_query = {ex.computed(n)["query"]: n for n, (kind, _) in ex.definitions().items() if kind == "planner"}
    with visit(browser, server) as v:
        page = v.page
        for slug, hrefs in example_links(site, lang, "planner").items():
            for href in sorted(hrefs):
                query = href.split("?", 1)[1].partition("#")[0]
                assert query in by_query, f"{slug}: {href} is no defined example"
                c = ex.computed(by_query[query])
                page.goto(f"{base}/{'zh/' if lang == 'zh' else ''}{slug}/{href}", wait_until="networkidle")
                assert {k: page.input_value(f"#plan-{k}") for k in c["raw"]} == c["raw"]
                for k in ("step", "mfu", "total"):
                    got = float(page.get_attribute(f'#plan-detail [data-out="{k}"]', "data-value"))
                    assert got == pytest.approx(c["outputs"][k], rel=1e-9), k
        bad = {"nodes": "many", "mlp": "relu"}
        expected = ref.validate({**ref.defaults(), **bad}, lang)[1]
        assert set(expected) == set(bad)
        page.goto(f"{base}/{PAGES[lang]}?nodes=many&mlp=relu", wait_until="networkidle")
        for k in bad:
            msg = page.locator(f"#plan-{k}-error")
            assert msg.is_visible() and msg.text_content() == expected[k], k
            assert page.get_attribute(f"#plan-{k}", "aria-invalid") == "true"
        blocked = page.text_content(".elm-plan-blocked")
        data = ref.localized(ref.DATA, lang)
        assert data["choices"]["mlp"]["label"] in blocked and data["fields"]["nodes"]["label"] in blocked
        page.fill("#plan-nodes", "4")
        assert "mlp=relu" in page.evaluate("location.href") and page.locator("#plan-mlp-error").is_visible()
        page.select_option("#plan-mlp", "swiglu")
        assert not page.locator("#plan-mlp-error").is_visible() and "mlp=swiglu" in page.evaluate("location.href")
        assert not v.errors and not v.offhost, (v.errors, v.offhost)
