"""The chapters' worked examples (scripts/planner_examples.py): each is defined once in scripts/estimate.json or
scripts/planner.json, computed by the Python reference, inserted into the chapters with `{{ example.<name>.<output> }}`
and linked with `{{ example.<name>.url }}`. Here: every example validates and gives the figures its chapter's own
arithmetic asserts; every placeholder in the chapters resolves, in both languages alike; every link from a chapter
to a calculator or the planner that carries inputs comes from an example; a bad value in a URL gets its field's
message. The browser opens every example's URL: tests/test_estimate_browser.py, tests/test_planner_browser.py."""

from __future__ import annotations

import math
import re
from urllib.parse import parse_qsl, urlsplit

import estimate_reference as est
import planner_examples as ex
import planner_reference as plan
import pytest
from conftest import ROOT
from notebook_values import cited_values

DOCS = ROOT / "docs"
CHAPTERS = ["large-models", "training-memory", "parallel-training", "inference", "roofline"]
ANY_EXAMPLE = re.compile(r"\{\{\s*example\.[^}]*\}\}")
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
OPEN_TEXT = {"en": "Open this example in the", "zh": "打开这个例子"}


def pages():
    return sorted(DOCS.glob("*.md"))


@pytest.mark.parametrize("name", sorted(ex.definitions()))
def test_every_example_validates_and_gives_finite_outputs(name):
    c = ex.computed(name)
    assert c["outputs"], name
    bad = {k: x for k, x in c["outputs"].items() if not math.isfinite(x)}
    assert not bad, (name, bad)
    ref = est if c["kind"] == "estimate" else plan
    for lang in ("en", "zh"):
        assert ref.validate(c["raw"], lang)[1] == {}


@pytest.mark.parametrize("name", sorted(ex.definitions()))
def test_the_url_carries_exactly_the_example_inputs(name):
    """The page starts from its defaults and applies the query: that must give the example's inputs, no more."""
    c = ex.computed(name)
    ref = est if c["kind"] == "estimate" else plan
    target = urlsplit(ex.url(name))
    assert target.path == ex.PAGES[c["kind"]] and target.fragment == c["anchor"]
    pairs = parse_qsl(target.query, keep_blank_values=True)
    assert len(pairs) == len(dict(pairs)), "a key twice"
    assert {**ref.defaults(), **dict(pairs)} == c["raw"]
    assert set(dict(pairs)) <= set(ref.defaults())
    assert ex.url(name, "sub").startswith("../" + ex.PAGES[c["kind"]])


def test_examples_give_the_figures_their_chapters_assert():
    """The reference code against the hand arithmetic of the chapters' blocks and the papers they cite."""
    cited = cited_values()
    zero = [ex.computed(f"zero_paper_stage{s}")["outputs"]["state_gb"] for s in range(4)]
    assert [round(x, 1) for x in zero] == [cited[k] for k in ("zero_baseline_gb", "zero_stage1_gb", "zero_stage2_gb",
                                                                "zero_stage3_gb")]   # ZeRO paper, Figure 1
    kv7 = ex.computed("llama2_7b_kv_h100")["outputs"]
    assert kv7["kv_token"] == 2**19 and kv7["kv_request"] == 2 * 2**30          # inference.md: 0.5 MiB, 2 GiB
    assert kv7["concurrent"] == int((0.9 * 80 * 2**30 - 6_738_415_616 * 2) // 2**31)   # inference.md's vLLM budget
    assert ex.computed("llama2_70b_kv_8_h100")["outputs"]["kv_token"] == 2 * 80 * 8 * 128 * 2
    lora = ex.computed("llama2_7b_lora_qv")["outputs"]
    assert lora["trainable"] == 32 * 2 * 16 * (4096 + 4096)                        # training-memory.md's count
    assert lora["state"] == pytest.approx(6_738_415_616 * 2 + lora["trainable"] * 16, rel=1e-12)
    assert lora["state"] == lora["weights"] + lora["grads"] + lora["optimizer"]            # the page's row
    assert lora["grads"] == 2 * lora["trainable"] and lora["optimizer"] == 12 * lora["trainable"]  # the 2 + 2 + 12 split
    r8 = ex.computed("llama2_7b_lora_qv_r8")
    assert r8["outputs"]["trainable"] * 2 == lora["trainable"] and r8["outputs"]["input_lora_rank"] == 8
    run = ex.computed("llama2_7b_256_h100")["outputs"]
    n, d = 6_738_415_616, 2e12
    n_matmul = n - 32_000 * 4096                  # large-models.md: the input embedding is a lookup (6.61e9)
    assert run["flops"] == pytest.approx((6 * n_matmul + 12 * 32 * 4096 * 4096) * d, rel=1e-12)   # PaLM's count
    assert run["seconds"] == pytest.approx(run["flops"] / (256 * 989e12 * 0.4), rel=1e-12)
    # parallel-training.md: the planner against Narayanan et al.'s measurement, v = 1, 2, 4
    rates = [ex.computed(n)["outputs"] for n in ("megatron_gpt3", "megatron_gpt3_v2", "megatron_gpt3_v4")]
    assert [r["input_vp"] for r in rates] == [1, 2, 4]
    assert all(r["published"] == cited["megatron_gpt3_tflops"] for r in rates)
    assert rates[0]["tflops_hw"] < rates[1]["tflops_hw"] < rates[2]["tflops_hw"]     # "x–y % above": v = 1 to 4
    assert [r["percent_above_published"] for r in rates] == pytest.approx(
        [100 * (r["tflops_hw"] / cited["megatron_gpt3_tflops"] - 1) for r in rates], rel=1e-12)
    assert rates[0]["percent_above_published"] > 0                                    # "above the measurement"


@pytest.mark.parametrize("x,digits,comma,text", [(65825.4, 3, True, "65,800"), (0.0123456, 3, False, "0.0123"),
                                                 (149.85, 3, False, "150"), (9999.6, 3, True, "10,000"),
                                                 (12.34, 2, False, "12"), (1.9, 3, False, "1.9")])
def test_significant_figures_format(x, digits, comma, text):
    assert ex.significant(x, digits, comma) == text
    spec = ("," if comma else "") + f".{digits}sig"
    assert ex.SIG.match(spec)


def test_example_links_in_the_print_copy_keep_their_inputs():
    """print-site makes each example link an anchor of the print page: with a site_url it becomes the deployed
    page's URL with the query, without one the inputs follow the link as text."""
    import html

    import markdown

    md = ex.substitute("[a]({{ example.zero_paper_stage3.url }})", "x.md")
    page = markdown.markdown(md, extensions=["attr_list"])
    c = ex.computed("zero_paper_stage3")
    deployed = ex.print_copy(page, "https://example.org/elm/", "zh")
    assert ex.QUERY_ATTR not in deployed
    assert html.unescape(re.search(r'href="([^"]*)"', deployed)[1]) == \
        f"https://example.org/elm/zh/estimate/?{c['query']}#{c['anchor']}"
    local = ex.print_copy(page, None, "en")
    assert ex.QUERY_ATTR not in local and "(inputs: Llama 2 7B, n_params = 7.5," in html.unescape(local)
    assert "zero = 3" in local


def test_every_example_placeholder_in_the_docs_resolves():
    used = set()
    for page in pages():
        text = page.read_text(encoding="utf-8")
        ex.substitute(text, f"docs/{page.name}")   # raises, naming file and line, on an unknown name or output
        used |= {m["name"] for m in ex.PLACEHOLDER.finditer(text)}
    unused = set(ex.definitions()) - used
    assert not unused, f"examples no chapter uses: {sorted(unused)}"


@pytest.mark.parametrize("slug", CHAPTERS)
def test_english_and_chinese_use_the_same_examples(slug):
    def uses(path):
        return sorted(m.group(0).replace(" ", "") for m in ANY_EXAMPLE.finditer(path.read_text(encoding="utf-8")))
    assert uses(DOCS / f"{slug}.md") == uses(DOCS / f"{slug}.zh.md")


def test_every_link_that_carries_inputs_is_an_example():
    """A chapter never types a calculator or planner URL with inputs: such a link is `{{ example.<name>.url }}`, and
    every "Open this example" link is one."""
    for page in pages():
        if page.stem.split(".")[0] in ("estimate", "planner"):
            continue
        for line_no, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            for m in LINK.finditer(line):
                target = m["target"]
                if re.match(r"(\.\./)*(estimate|planner)(\.md|/)\?", target):
                    pytest.fail(f"docs/{page.name}:{line_no}: typed link with inputs {target}: use an example")
            for text in OPEN_TEXT.values():
                if text in line and "{{ example." not in line:
                    pytest.fail(f"docs/{page.name}:{line_no}: '{text}' without an example's url")


@pytest.mark.parametrize("slug", ["large-models", "training-memory", "parallel-training", "inference"])
def test_the_chapters_link_their_examples(slug):
    for suffix in (".md", ".zh.md"):
        text = (DOCS / f"{slug}{suffix}").read_text(encoding="utf-8")
        urls = re.findall(r"\]\(\{\{\s*example\.(\w+)\.url\s*\}\}\)", text)
        values = {m["name"] for m in ex.PLACEHOLDER.finditer(text) if m["out"] != "url"}
        assert urls and values <= set(urls), (slug + suffix, values - set(urls))


@pytest.mark.parametrize("ref,key,lang", [(est, "zero", "en"), (est, "tied", "zh"), (plan, "mlp", "en"),
                                          (plan, "recompute", "zh")])
def test_a_choice_that_is_no_option_gets_its_message(ref, key, lang):
    """Only a URL can carry one (a <select> holds only its options): it is an error, not silently the default."""
    raw = {**ref.defaults(), key: "nine"}
    values, errors = ref.validate(raw, lang)
    label = ref.localized(ref.DATA, lang)["choices"][key]["label"]
    assert key not in values and errors == {key: ref.tr(ref.DATA["text"][lang]["not_choice"], label=label, text="nine")}
    assert ref.validate({k: x for k, x in ref.defaults().items() if k != key})[1] == {}   # absent: the default


def test_example_links_carry_their_query_on_the_site_and_not_in_the_print_copy():
    """print-site turns a link to another page into an anchor of the print page and cannot read a query: the
    Markdown holds the query in an attribute, and the page gets it back in its href (on_post_page)."""
    import html

    import markdown

    md = ex.substitute("[a]({{ example.zero_paper_stage3.url }}) and [b]({{ example.megatron_gpt3.url }})", "x.md")
    assert "?" not in "".join(re.findall(r"\]\(([^)]*)\)", md))
    page = markdown.markdown(md, extensions=["attr_list"])
    assert ex.QUERY_ATTR in page
    restored = ex.restore_queries(page)
    assert ex.QUERY_ATTR not in restored
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', restored)]
    assert hrefs == [ex.url("zero_paper_stage3"), ex.url("megatron_gpt3")]
