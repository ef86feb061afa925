"""The "Estimate your run" reference (scripts/estimate_reference.py): published figures, messages, presets.

The page's JS is checked against this reference in the browser (test_estimate_browser.py)."""

from __future__ import annotations

import gzip
import json
import math
import re

import pytest
from conftest import ROOT

import estimate_reference as ref


def sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits - 1}e}")


def test_gpt3_training_flops():
    # Brown et al. 2020, Table D.1: 174.6B parameters, 300B tokens, 3.14E+23 FLOPs (6·N·D, no attention term).
    out, errors = ref.run(n_params=174.6, tokens=300)
    assert not errors
    assert sig(out["compute"]["flops_dense"], 3) == 3.14e23


@pytest.mark.parametrize("stage,published", [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_figure_1(stage, published):
    # Rajbhandari et al. 2019, Figure 1: 7.5B parameters, 64 GPUs, mixed precision Adam (K = 12).
    out, errors = ref.run(n_params=7.5, devices=64, tp=1, pp=1, precision="amp", optimizer="adamw", zero=stage,
                          finetune="full")
    assert not errors
    m = out["memory"]
    states_gb = (m["weights"] + m["grads"] + m["optimizer"]) / 1e9
    digits = len(str(published).replace(".", ""))   # to the figures the paper prints (1.9: two)
    assert sig(states_gb, digits) == published


def test_llama2_7b_kv_cache_and_chapter_capacity():
    out, errors = ref.run(**ref.DATA["models"]["llama2-7b"]["values"], kv_format="fp16", context=4096,
                          memory=80, usable=100, inf_devices=1, weight_format="fp16")
    assert not errors
    inf = out["inference"]
    assert inf["kv_token"] == 512 * 1024                     # 512 KiB per token in FP16
    assert inf["kv_request"] == 2 * 2**30                    # 2 GiB per 4,096-token request
    assert inf["concurrent"] == 30                           # docs/inference.md: room for 30 full contexts


def test_llama2_70b_parameter_count_follows_from_its_shape():
    v = ref.DATA["models"]["llama2-70b"]["values"]
    h, kv = v["hidden"], v["kv_heads"] * v["hidden"] // v["heads"]
    per_layer = 2 * h * h + 2 * h * kv + 3 * h * v["ffn"] + 2 * h
    assert v["layers"] * per_layer + 2 * v["vocab"] * h + h == round(v["n_params"] * 1e9)


def test_presets_are_valid_inputs():
    for kind in ("models", "devices"):
        for name, preset in ref.DATA[kind].items():
            raw = ref.defaults()
            raw.update({k: str(x) for k, x in preset["values"].items()})
            _, errors = ref.validate(raw)
            blank = {k for k, x in preset["values"].items() if x == ""}   # the CPU: enter your own
            assert set(errors) == blank, (name, errors)
            assert preset["sources"] and all(s["url"].startswith("https://") for s in preset["sources"])


@pytest.mark.parametrize("field,value,message", [
    ("layers", "", "Layers L: enter a number."),
    ("layers", "abc", "Layers L: “abc” is not a number (use digits, a decimal point, e.g. 1.5 or 2e3)."),
    ("layers", "-3", "Layers L: must be at least 1."),
    ("layers", "2.5", "Layers L: must be a whole number, not 2.5."),
    ("n_params", "1e9", "Parameters N: at most 100,000 billion; 1e9 is beyond any real run."),
    ("mfu", "0", "MFU: must be at least 0.01 %."),
    ("pp", "5", "Pipeline-parallel degree p: 5 does not divide the 32 layers."),
    ("tp", "3", "Tensor-parallel degree t: 3 does not divide both the 32 attention heads and the 32 key/value heads."),
    ("heads", "7", "Attention heads a: 7 heads do not divide the hidden size 4,096."),
])
def test_bad_input_gets_a_message_and_blanks_only_what_depends_on_it(field, value, message):
    out, errors = ref.run(**{field: value})
    assert errors == {field: message}
    for name, needs in ref.NEEDS.items():
        assert (name in out) == (field not in needs), name
    for res in out.values():
        assert all(math.isfinite(x) for x in res.values())


def test_page_js_is_small():
    js = (ROOT / "docs" / "assets" / "estimate.js").read_bytes()
    data = (ROOT / "scripts" / "estimate.json").read_bytes()   # embedded (trimmed) in the page
    assert len(gzip.compress(js, 9)) + len(gzip.compress(data, 9)) <= 30_000


@pytest.mark.parametrize("field,value,message", [
    ("layers", "", "层数 L：请输入一个数。"),
    ("layers", "abc", "层数 L：“abc”不是数（请用数字和小数点，例如 1.5 或 2e3）。"),
    ("layers", "2.5", "层数 L：必须是整数，2.5 不是。"),
    ("n_params", "1e9", "参数量 N：最多 100,000 十亿；1e9 超出了任何真实训练的规模。"),
    ("mfu", "0", "MFU：不能小于 0.01 %。"),
    ("pp", "5", "流水线并行度 p：5 不能整除层数 32。"),
    ("tp", "3", "张量并行度 t：3 不能同时整除注意力头数 32 和键/值头数 32。"),
    ("devices", "100", "设备数：100 不是 t × p = 8 的倍数。"),
])
def test_chinese_messages(field, value, message):
    raw = ref.defaults()
    raw[field] = value
    if field == "devices":
        raw.update(tp="8")   # 100 is no multiple of t × p = 8
    values, errors = ref.validate(raw, "zh")
    assert errors == {field: message}
    assert set(ref.validate(raw)[1]) == set(errors)           # the same fields fail in either language


def test_every_string_has_its_chinese():
    en, zh = ref.localized(ref.DATA, "en"), ref.localized(ref.DATA, "zh")
    assert en["text"].keys() == zh["text"].keys()
    assert '"zh"' not in json.dumps(en) + json.dumps(zh)   # the overlays are applied, not passed on
    changed = []

    def walk(a, b, path):   # same structure; every English string that has words differs in Chinese
        assert type(a) is type(b), path
        if isinstance(a, dict):
            assert a.keys() == b.keys(), path
            for k in a:
                walk(a[k], b[k], f"{path}.{k}")
        elif isinstance(a, list):
            assert len(a) == len(b), path
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(a, str) and re.search(r"[a-z]{3,} [a-z]{2,}", a) and path.split(".")[-1] not in ("url", "_doc"):
            changed.append((path, a == b))
    walk({k: x for k, x in en.items() if k != "text"}, {k: x for k, x in zh.items() if k != "text"}, "")
    untranslated = [p for p, same in changed if same]
    assert changed and not untranslated, untranslated
    assert all(re.search(r"[\u4e00-\u9fff]", x) for k, x in zh["text"].items()
               if re.search(r"[a-z]{3,} [a-z]{2,}", en["text"][k]))


def test_presets_read_the_cited_constants():
    """The presets hold no copies: estimate.json points at scripts/cited_constants.yml and load() resolves it."""
    raw = json.loads((ROOT / "scripts" / "estimate.json").read_text(encoding="utf-8"))
    cited = ref.cited_values()
    for kind in ("models", "devices"):
        for name, preset in raw[kind].items():
            for field, x in preset["values"].items():
                if isinstance(x, dict):
                    assert ref.DATA[kind][name]["values"][field] == pytest.approx(cited[x["cited"]] * x.get("times", 1))
    assert ref.DATA["devices"]["h100"]["values"]["bandwidth"] == 3350              # 3.35 TB/s in GB/s, an int
    with pytest.raises(KeyError, match="no_such_key"):
        ref.resolve({"cited": "no_such_key"}, cited)


def test_attention_term_is_palms():
    """PaLM, Appendix B: training FLOPs per token 6·N + 12·L·H·Q·T; with GPT-3's 96 heads of 128 (Table 2.1)."""
    out, errors = ref.run(**ref.DATA["models"]["gpt3"]["values"])
    assert not errors
    D = ref.DATA["models"]["gpt3"]["values"]["tokens"] * 1e9
    L, H, Q, T = 96, 96, 128, 2048
    assert out["compute"]["flops_attention"] == pytest.approx(12 * L * H * Q * T * D, rel=1e-12)
    assert out["compute"]["flops"] == pytest.approx((6 * 174.6e9 + 12 * L * H * Q * T) * D, rel=1e-12)
