"""The "Estimate your run" page, English and Chinese, in headless Chromium: the page's JS against the Python
reference on a grid of cases, the published figures and captions through the form, messages for bad input, the
URL round trip, navigation, keyboard use, and axe with no violation of any impact, light and dark."""

from __future__ import annotations

import itertools
import json
import math
import re

import pytest
from test_browser import AXE, SETTLED, Visit, browser, server  # noqa: F401  (fixtures)

import estimate_reference as ref

# Each language's page and the captions and message prefix it must show (the other messages come from ref).
LANGS = {
    "en": {"page": "estimate/", "device_hours": "device-hours", "rate": "tokens/s",
           "fits": ("Fits: ", "Does not fit: "), "blocked": "No result until these inputs are fixed: "},
    "zh": {"page": "zh/estimate/", "device_hours": "设备·小时", "rate": "词元/秒",
           "fits": ("放得下：", "放不下："), "blocked": "请先修正以下输入："},
}
HAN = re.compile(r"[\u4e00-\u9fff]")


def grid() -> list[dict[str, str]]:
    """Presets × recipes × sharding × parallel layouts × fine-tuning × attention kernels × adapted modules, plus
    bad inputs and inputs that leave outputs blank."""
    cases = []
    layouts = [(1, 1, 64), (2, 2, 64), (4, 1, 8), (8, 4, 1024)]
    for i, (model, precision, optimizer, zero, ckpt, finetune, layout, device, attention, targets) in enumerate(
            itertools.product(ref.DATA["models"], ["fp32", "amp", "bf16"], list(ref.CHOICES["optimizer"]["options"]),
                              "0123", ["none", "selective", "full"], ["full", "lora", "qlora"], layouts,
                              ["a100-80", "h200", "t4"], ["fused", "eager"], ["qv", "attn", "all"])):
        if i % 1201:   # a deterministic sample of the 248,832 combinations
            continue
        tp, pp, devices = layout
        raw = ref.defaults()
        raw.update({k: str(x) for k, x in ref.DATA["models"][model]["values"].items()})
        raw.update({k: str(x) for k, x in ref.DATA["devices"][device]["values"].items()})
        formats = list(ref.CHOICES["weight_format"]["options"])
        raw.update(precision=precision, optimizer=optimizer, zero=zero, checkpointing=ckpt, finetune=finetune,
                   attention=attention, lora_targets=targets, tp=str(tp), pp=str(pp), devices=str(devices),
                   inf_devices=str(tp), lora_rank=str(4 << (i % 4)), micro_batch=str(1 + i % 3),
                   context=str(512 * (1 + i % 8)), prompt=str(64 * (1 + i % 8)), kv_format=["fp16", "fp8"][i % 2],
                   weight_format=formats[i % len(formats)], group=str([32, 64, 128][i % 3]), usable=str(80 + i % 21))
        cases.append(raw)
    bad = [{"layers": "-1"}, {"hidden": "4096.5"}, {"n_params": "abc"}, {"tokens": ""}, {"mfu": "150"},
           {"peak": "1e99"}, {"heads": "6"}, {"kv_heads": "5"}, {"tp": "3"}, {"pp": "3"}, {"devices": "100", "tp": "8"},
           {"lora_rank": "5000"}, {"usable": "0.5"}, {"context": "1e12"}, {"price": "-1"}, {"inf_devices": "64"},
           {"zero": "9"}, {"memory": "0"}, {"n_params": "0x10"}, {"seq": "Infinity"}, {"group": "0"},
           {"experts": "8", "top_k": "8"}, {"experts": "8", "top_k": "2", "active": "1"}, {"prompt": "5000"},
           {"vocab": "1000000"}, {"head_dim": "0"}, {"kv_heads": "8", "inf_devices": "16"},
           {"kv_heads": "8", "inf_devices": "3"}, {"memory": "10"}, {"context": "1000000"},
           {"experts": "8", "top_k": "2", "active": "2", "weight_format": "int4", "inf_devices": "2"}]
    for b in bad:
        raw = ref.defaults()
        raw.update(b)
        cases.append(raw)
    return cases


def python_side(raw, lang="en"):
    values, errors = ref.validate(raw, lang)
    return {"out": ref.estimate(values), "errors": errors}


def close(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0)
    return a == b


def sitemap(base: str, site) -> str:
    locs = "".join(f"<url><loc>{base}/{p.parent.relative_to(site).as_posix()}/</loc></url>".replace("/./", "/")
                   for p in sorted(site.glob("**/index.html")))
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'


def visit(browser, server, scheme="light") -> Visit:
    """A Visit whose site has a sitemap listing its pages, as a deployed site (with a site_url) has. Without a
    site_url MkDocs writes an empty sitemap, Material then navigates with full reloads, and its language selector
    asks for <page>/sitemap.xml and zh/<page>/sitemap.xml, which 404 (a site-wide matter, not this page's)."""
    base, site = server
    v = Visit(browser, base, scheme)
    body = sitemap(base, site)
    v.page.route("**/sitemap.xml", lambda r: r.fulfill(status=200, content_type="application/xml", body=body))
    return v


def fill(page, values: dict[str, str]):
    for k, x in values.items():
        el = page.locator(f"#est-{k}")
        if el.evaluate("e => e.tagName") == "SELECT":
            el.select_option(str(x))
        else:
            el.fill(str(x))


def out(page, name: str, calculator: str = "") -> float | None:
    """An output's number (None when blank); `calculator` picks compute, memory or inference where two share a name."""
    where = f"#est-{calculator}-results" if calculator else '[id$="-results"]'
    value = page.get_attribute(f'{where} [data-out="{name}"]', "data-value")
    return None if value is None else float(value)


@pytest.mark.parametrize("lang", LANGS)
def test_page_js_agrees_with_the_python_reference(server, browser, lang):
    base, _ = server
    cases = grid()
    with visit(browser, server) as v:
        v.page.goto(f"{base}/{LANGS[lang]['page']}", wait_until="networkidle")
        assert v.page.get_attribute("html", "lang") == lang
        js = v.page.evaluate("""cases => cases.map(raw => { const c = window.elmEstimate.validate(raw);
            return {out: window.elmEstimate.estimate(c.values), errors: c.errors}; })""", cases)
        assert not v.errors, v.errors
    assert len(js) == len(cases) > 150
    expected = [python_side(raw, lang) for raw in cases]
    mismatches = [(raw, got, want) for raw, got, want in zip(cases, js, expected) if not close(want, got)]
    assert not mismatches, json.dumps(mismatches[0], indent=1, ensure_ascii=False)[:3000]
    if lang == "zh":   # the messages compared are Chinese ones
        assert any(HAN.search(m) for e in expected for m in e["errors"].values())


@pytest.mark.parametrize("lang", LANGS)
def test_published_figures_and_captions_through_the_form(server, browser, lang):
    base, _ = server
    data, text = ref.localized(ref.DATA, lang), LANGS[lang]
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/{text['page']}", wait_until="networkidle")
        assert page.text_content('label[for="est-layers"]').strip() == data["fields"]["layers"]["label"]
        assert page.text_content('label[for="est-precision"]').strip() == data["choices"]["precision"]["label"]
        page.select_option("#est-preset-model", "gpt3")
        assert f"{out(page, 'flops_dense'):.2e}" == "3.14e+23"
        assert "10²³ FLOPs" in page.text_content('[data-out="flops_dense"]')
        assert text["device_hours"] in page.text_content('[data-out="device_hours"]')
        fill(page, {"n_params": "7.5", "devices": "64", "tp": "1", "pp": "1", "precision": "amp",
                    "optimizer": "adamw", "finetune": "full"})
        gb = []
        for stage in "0123":
            fill(page, {"zero": stage})
            gb.append((out(page, "weights") + out(page, "grads") + out(page, "optimizer")) / 1e9)
        assert [f"{x:.3g}" for x in gb[:3]] == ["120", "31.4", "16.6"] and f"{gb[3]:.2g}" == "1.9"
        assert page.text_content("#est-bar-summary").startswith(text["fits"])
        page.select_option("#est-preset-model", "llama2-7b")
        fill(page, {"kv_format": "fp16", "context": "4096", "memory": "80", "usable": "100", "weight_format": "fp16",
                    "inf_devices": "1"})
        # 80 GiB (an "80 GB" H100's HBM), all of it usable: (80 · 2³⁰ − 2 · N) / 2 GiB per 4,096-token request
        assert out(page, "kv_token") == 524288
        assert out(page, "concurrent") == math.floor((80 * 2**30 - 2 * 6_738_415_616) / 2**31)
        assert "512 KiB" in page.text_content('[data-out="kv_token"]')
        assert text["rate"] in page.text_content('[data-out="decode_single"]')
        # QLoRA's frozen base of Llama 2 7B: NF4 linear layers, 16-bit embeddings and LM head, 3.9 GB
        assert f"{out(page, 'weights_nf4') / 1e9:.2g}" == "3.9"
        fill(page, {"finetune": "qlora", "tp": "1", "pp": "1", "zero": "0", "devices": "1"})
        assert f"{(out(page, 'weights', 'memory') - 2 * out(page, 'trainable')) / 1e9:.2g}" == "3.9"
        # Llama 2 70B: 8 KV heads of 128 over 80 layers, 320 KiB per token in FP16
        page.select_option("#est-preset-model", "llama2-70b")
        fill(page, {"inf_devices": "8"})
        assert out(page, "kv_token") == 327680 and "320 KiB" in page.text_content('[data-out="kv_token"]')
        # its FP16 weights do not fit one 80 GB device: the rates are blank, with the reason, never a number
        fill(page, {"inf_devices": "1"})
        assert out(page, "decode_single") is None
        assert page.text_content('[data-out="decode_single"]') == data["text"]["blank_weights_too_big"]
        assert page.text_content("#est-inference-verdict") == data["text"]["weights_too_big"]
        # Chinchilla: 6·N·D within 2.5 % of Gopher's budget, 5.76E+23 FLOPs
        c = ref.cited_values()
        fill(page, {"n_params": str(c["chinchilla_params_b"]), "tokens": str(c["chinchilla_tokens_t"] * 1000)})
        assert abs(out(page, "flops_dense") / c["chinchilla_training_flops"] - 1) < 0.025
        # PaLM 540B: at its 46.2 % MFU on 6144 TPU v4 chips, its 238.3K tokens/s (App. B, H·Q = 48 × 256)
        page.select_option("#est-preset-model", "palm-540b")
        fill(page, {"devices": str(c["palm_tpu_chips"]), "peak": str(c["tpu_v4_bf16_tflops"]),
                    "mfu": str(c["palm_mfu_percent"])})
        assert abs(out(page, "rate") / (c["palm_tokens_per_sec_k"] * 1e3) - 1) < 0.001
        # Mixtral 8x7B: memory holds all 8 experts, compute runs 2 of them
        page.select_option("#est-preset-model", "mixtral-8x7b")
        fill(page, {"weight_format": "fp16", "inf_devices": "2", "tokens": "1000"})
        mix = ref.DATA["models"]["mixtral-8x7b"]["values"]
        assert out(page, "weights_fp16") == pytest.approx(2 * mix["n_params"] * 1e9, rel=1e-12)
        emb_in = mix["vocab"] * mix["hidden"]   # untied: the input embedding is a lookup, in no matrix product
        assert out(page, "flops_dense") == pytest.approx(6 * (mix["active"] * 1e9 - emb_in) * 1e12, rel=1e-12)
        assert page.text_content("#est-inference-verdict")   # memory- or compute-bound, said in words
        assert not v.errors, v.errors


@pytest.mark.parametrize("lang", LANGS)
def test_bad_input_shows_its_message_and_keeps_the_rest(server, browser, lang):
    base, _ = server
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/{LANGS[lang]['page']}", wait_until="networkidle")
        page.select_option("#est-preset-model", "llama2-70b")
        before = {k: page.input_value(f"#est-{k}") for k in ref.FIELDS}
        for field, value in [("layers", "-4"), ("layers", "eighty"), ("pp", "3"), ("tp", "24"), ("n_params", "")]:
            page.click(f"#est-{field}")                   # by keyboard: select all, type
            page.keyboard.press("Control+a")
            page.keyboard.press("Backspace")
            page.keyboard.type(value)
            raw = {**before, **{k: page.input_value(f"#est-{k}") for k in ref.CHOICES}, field: value}
            expected = ref.validate(raw, lang)[1][field]
            if lang == "zh":   # a Chinese message, not the English one
                assert HAN.search(expected) and expected != ref.validate(raw)[1][field]
            msg = page.locator(f"#est-{field}-error")
            assert msg.is_visible() and msg.text_content() == expected
            assert page.get_attribute(f"#est-{field}", "aria-invalid") == "true"
            described = page.get_attribute(f"#est-{field}", "aria-describedby")
            assert f"est-{field}-error" in described.split()
            text = page.text_content("#elm-estimate")
            assert "NaN" not in text and "Infinity" not in text
            for name, needs in ref.NEEDS.items():   # only the calculators that use the field lose their results
                blocked = page.text_content(f"#est-{name}-results .elm-est-blocked")
                assert (field in needs) == bool(blocked), (field, name, blocked)
                assert not blocked or blocked.startswith(LANGS[lang]["blocked"])
            assert {k: page.input_value(f"#est-{k}") for k in ref.FIELDS if k != field} == \
                {k: x for k, x in before.items() if k != field}
            page.fill(f"#est-{field}", before[field])
            assert not page.locator(f"#est-{field}-error").is_visible()
        assert not v.errors, v.errors


def test_url_round_trips_the_state(server, browser):
    base, _ = server
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/{LANGS['en']['page']}", wait_until="networkidle")
        page.select_option("#est-preset-device", "h200")
        fill(page, {"n_params": "13", "zero": "3", "checkpointing": "selective", "mfu": "not a number"})
        state = {k: page.input_value(f"#est-{k}") for k in list(ref.FIELDS) + list(ref.CHOICES)}
        results = page.text_content("#elm-estimate")
        url = page.url
    assert "mfu=not+a+number" in url or "mfu=not%20a%20number" in url
    with visit(browser, server) as v:
        v.page.goto(url, wait_until="networkidle")
        assert {k: v.page.input_value(f"#est-{k}") for k in state} == state
        assert v.page.text_content("#elm-estimate") == results   # the bad value keeps its message too
        assert v.page.input_value("#est-preset-device") == "h200"


def test_works_after_navigation(server, browser):
    """Reached by the nav link, back, forward, away and back. With Material's instant navigation on, the page
    is not reloaded and the script must run again on the swapped-in content (checked when mkdocs.yml enables it;
    it is off while the language switcher needs full loads)."""
    base, site = server
    instant = '"navigation.instant"' in (site / "index.html").read_text(encoding="utf-8")
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/", wait_until="networkidle")
        page.evaluate("window.elmSamePage = true")          # survives instant navigation, not a reload
        page.click('nav.md-nav--primary a[href$="estimate/"]')
        page.wait_for_function("document.querySelector('[data-out=\"flops\"]')?.hasAttribute('data-value')")
        assert page.evaluate("window.elmSamePage === true") == instant
        fill(page, {"tokens": "1000"})
        n_matmul = 6.738415616e9 - 32_000 * 4096   # Llama 2 7B (the default) without its input embedding
        assert out(page, "flops_dense") == pytest.approx(6 * n_matmul * 1e12, rel=1e-12)
        page.go_back()
        page.wait_for_load_state("networkidle")
        page.go_forward()
        page.wait_for_function("document.querySelector('[data-out=\"flops\"]')?.hasAttribute('data-value')")
        page.click('nav.md-nav--primary a[href$="large-models/"]')      # away and back: the script runs again
        page.wait_for_url("**/large-models/")
        page.click('nav.md-nav--primary a[href$="estimate/"]')
        page.wait_for_function("document.querySelector('[data-out=\"flops\"]')?.hasAttribute('data-value')")
        fill(page, {"tokens": "3000"})
        assert out(page, "flops_dense") == pytest.approx(6 * n_matmul * 3e12, rel=1e-12)
        assert page.evaluate("window.elmSamePage === true") == instant
        assert not v.errors and not v.offhost, (v.errors, v.offhost)   # back/forward abort requests: not failures


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", LANGS)
def test_axe_finds_nothing_and_nothing_comes_from_another_host(server, browser, lang, scheme):
    if not AXE.is_file():
        pytest.skip("axe-core not installed (npm ci)")
    base, _ = server
    with visit(browser, server, scheme) as v:
        v.page.goto(f"{base}/{LANGS[lang]['page']}", wait_until="networkidle")
        fill(v.page, {"layers": "-1", "memory": "1"})   # an error and a "does not fit" state must pass too
        v.page.evaluate(SETTLED)
        v.page.add_script_tag(path=str(AXE))
        violations = v.page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(x => ({id: x.id, impact: x.impact, nodes: x.nodes.slice(0, 3).map(n => n.target.join(' '))}))""")
        assert not violations, violations
        assert not v.errors and not v.offhost and not v.failed, (v.errors, v.offhost, v.failed)


def example_links(site, lang: str, page: str) -> dict[str, set[str]]:
    """{chapter: hrefs} of the built chapters' links to `page` ("estimate" or "planner") that carry inputs."""
    prefix = "zh/" if lang == "zh" else ""
    links = {}
    for slug in ("large-models", "training-memory", "parallel-training", "inference", "roofline"):
        html = (site / prefix / slug / "index.html").read_text(encoding="utf-8")
        links[slug] = {h.replace("&amp;", "&") for h in re.findall(rf'href="(\.\./{page}/\?[^"]*)"', html)}
    return links


@pytest.mark.parametrize("lang", LANGS)
def test_chapter_examples_open_with_their_inputs_and_the_reference_numbers(server, browser, lang):
    """Every link of a built chapter that carries inputs to this page is a defined worked example's
    (scripts/planner_examples.py); followed, it opens the page with exactly the example's inputs, no field in error,
    and every output of the example's calculator equal to the Python reference's, which is what the chapter inserts."""
    import planner_examples as ex
    base, site = server
    by_query = {ex.computed(n)["query"]: n for n, (kind, _) in ex.definitions().items() if kind == "estimate"}
    links = example_links(site, lang, "estimate")
    followed = set()
    with visit(browser, server) as v:
        page = v.page
        for slug, hrefs in links.items():
            for href in sorted(hrefs):
                query, _, anchor = href.split("?", 1)[1].partition("#")
                assert query in by_query, f"{slug}: {href} is no defined example"
                name = by_query[query]
                c = ex.computed(name)
                assert anchor == c["anchor"]
                followed.add(name)
                page.goto(f"{base}/{'zh/' if lang == 'zh' else ''}{slug}/{href}", wait_until="networkidle")
                assert page.url.split("?")[0] == f"{base}/{LANGS[lang]['page']}"
                assert {k: page.input_value(f"#est-{k}") for k in c["raw"]} == c["raw"], name
                assert page.locator(".elm-est-error:visible").count() == 0, name
                calc = ex.definitions()[name][1]["calculator"]
                want = ref.estimate(ref.validate(c["raw"], lang)[0])[calc]
                assert want and all(c["outputs"][k] == x for k, x in want.items())   # what the chapter inserts
                shown = page.eval_on_selector_all(f"#est-{calc}-results [data-out]",
                                                  "els => els.map(e => e.getAttribute('data-out'))")
                assert shown and set(shown) <= set(want)
                for k in shown:
                    assert out(page, k, calc) == pytest.approx(want[k], rel=1e-12), (name, k)
        assert not v.errors and not v.offhost, (v.errors, v.offhost)
    assert followed == set(by_query.values()), "an example no built chapter links"


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_value_in_the_url_shows_its_message(server, browser, lang):
    """A bad number and a choice that is no option, from the URL: each shows its field's message (never silently
    dropped), the calculators that read them say what blocks them, the URL keeps them while the reader changes
    something else, and picking an option clears the choice's message."""
    base, _ = server
    bad = {"layers": "-1", "zero": "9", "mfu": "abc"}
    raw = {**ref.defaults(), **bad}
    expected = ref.validate(raw, lang)[1]
    assert set(expected) == set(bad)
    with visit(browser, server) as v:
        page = v.page
        page.goto(f"{base}/{LANGS[lang]['page']}?layers=-1&zero=9&mfu=abc", wait_until="networkidle")
        for k in bad:
            msg = page.locator(f"#est-{k}-error")
            assert msg.is_visible() and msg.text_content() == expected[k], k
            assert page.get_attribute(f"#est-{k}", "aria-invalid") == "true"
            assert f"est-{k}-error" in page.get_attribute(f"#est-{k}", "aria-describedby").split()
        label = ref.localized(ref.DATA, lang)["choices"]["zero"]["label"]
        assert label in page.text_content("#est-memory-results .elm-est-blocked")
        fill(page, {"devices": "128"})
        assert "zero=9" in page.evaluate("location.href") and "devices=128" in page.evaluate("location.href")
        assert page.locator("#est-zero-error").is_visible()
        fill(page, {"zero": "3"})
        assert not page.locator("#est-zero-error").is_visible() and "zero=3" in page.evaluate("location.href")
        assert page.get_attribute("#est-zero", "aria-invalid") is None
        assert not v.errors and not v.offhost, (v.errors, v.offhost)
