"""The "Estimate your run" reference (scripts/estimate_reference.py): published figures, messages, presets.

The page's JS is checked against this reference in the browser (test_estimate_browser.py)."""

from __future__ import annotations

import gzip
import itertools
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


def params_from_shape(v: dict) -> tuple[int, int]:
    """(total, active) parameters of a Llama-style decoder (RMSNorm, no biases; PaLM: one norm per parallel block)
    from the preset's shape, counted matrix by matrix: what the preset's N must equal."""
    h, A, K, f = v["hidden"], v["heads"] * v["head_dim"], v["kv_heads"] * v["head_dim"], v["ffn"]
    m = ref.CHOICES["mlp"]["options"][v["mlp"]]["matrices"]
    E, k = v["experts"], v["top_k"]
    attention = h * A + 2 * h * K + A * h
    router = h * E if E > 1 else 0
    norms = h if v is ref.DATA["models"]["palm-540b"]["values"] else 2 * h
    embeddings = v["vocab"] * h * (1 if v["tied"] == "tied" else 2)
    total = v["layers"] * (attention + E * m * h * f + router + norms) + embeddings + h
    active = v["layers"] * (attention + k * m * h * f + router + norms) + embeddings + h
    return total, active


@pytest.mark.parametrize("model", ["llama2-7b", "llama2-70b", "llama3-8b", "llama3-70b", "mixtral-8x7b"])
def test_parameter_counts_follow_from_the_shape(model):
    v = ref.DATA["models"][model]["values"]
    total, active = params_from_shape(v)
    assert total == round(v["n_params"] * 1e9) and active == round(v["active"] * 1e9)


def test_palm_shape_gives_its_published_count_and_an_attention_narrower_than_the_model():
    """PaLM 540B, Table 1: 540.35B parameters; 48 heads of 256 span less than d_model (multi-query attention)."""
    v = ref.DATA["models"]["palm-540b"]["values"]
    total, _ = params_from_shape(v)
    assert 0 <= total / 1e9 - v["n_params"] < 0.01   # the paper prints 540.35 for 540.356...
    assert v["heads"] * v["head_dim"] < v["hidden"] and v["kv_heads"] == 1


def test_mixtral_published_rounding_and_expert_split():
    """Jiang et al. 2024: 47B parameters, 13B active. The calculator derives the expert weights from the total and
    active counts, (N − N_active) · E / (E − k); the shape gives them directly: L · E · 3 · h · f."""
    v, c = ref.DATA["models"]["mixtral-8x7b"]["values"], ref.cited_values()
    assert round(v["n_params"]) == c["mixtral_params_b"] and round(v["active"]) == c["mixtral_active_params_b"]
    raw = ref.defaults()
    raw.update({k: str(x) for k, x in v.items()})
    values, errors = ref.validate(raw)
    assert not errors
    S = ref.shape(values)
    assert S["experts"] == pytest.approx(v["layers"] * v["experts"] * 3 * v["hidden"] * v["ffn"], rel=1e-12)


def test_moe_memory_from_all_experts_compute_from_active_ones():
    v = ref.DATA["models"]["mixtral-8x7b"]["values"]
    out, errors = ref.run(**v, tokens=1000, weight_format="fp16", inf_devices=2, memory=80)
    assert not errors
    assert out["inference"]["weights"] == pytest.approx(2 * v["n_params"] * 1e9, rel=1e-12)        # all 8 experts
    assert out["compute"]["flops_dense"] == pytest.approx(6 * v["active"] * 1e9 * 1e12, rel=1e-12)   # 2 of 8
    dense, _ = ref.run(**{**v, "experts": 1}, tokens=1000)
    assert dense["compute"]["flops_dense"] / out["compute"]["flops_dense"] == pytest.approx(v["n_params"] / v["active"])
    # One request reads the weights of the experts its token picked (2 of 8 per layer), a full batch nearly all.
    S = ref.shape(ref.validate({**ref.defaults(), **{k: str(x) for k, x in v.items()}})[0])
    assert ref.expert_share(S, 1) == pytest.approx(2 / 8) and ref.expert_share(S, 256) > 0.999


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
    ("n_params", "1e9", "Parameters N (total): at most 100,000 billion; 1e9 is beyond any real run."),
    ("mfu", "0", "MFU: must be at least 0.01 %."),
    ("pp", "5", "Pipeline-parallel degree p: 5 does not divide the 32 layers."),
    ("tp", "3", "Tensor-parallel degree t: 3 does not divide both the 32 attention heads and the 32 key/value heads."),
    ("kv_heads", "5", "Key/value heads: 5 does not divide the 32 attention heads."),
    ("inf_devices", "64", "Serving devices (tensor-parallel): 64 must divide the 32 attention heads, and divide or be "
                          "a multiple of the 32 key/value heads."),
    ("prompt", "5000", "Prompt length: 5,000 is longer than the context of 4,096."),
    ("vocab", "1000000", "Vocabulary: 1,000,000 × hidden size 4,096 (twice when the LM head is separate) is more "
                         "than the N parameters."),
])
def test_bad_input_gets_a_message_and_blanks_only_what_depends_on_it(field, value, message):
    out, errors = ref.run(**{field: value})
    assert errors == {field: message}
    for name, needs in ref.NEEDS.items():
        assert (name in out) == (field not in needs), name
    for name, res in out.items():
        assert name == "blank" or all(math.isfinite(x) for x in res.values())


def test_moe_inputs_are_checked_against_each_other():
    moe = dict(experts=8, top_k=2, vocab=32000, hidden=4096, n_params=46.702792704)
    _, errors = ref.run(**moe, active=12.879925248)
    assert not errors
    _, errors = ref.run(**moe, active=1)   # below what 2 of 8 experts + the rest can be
    lo = (46.702792704e9 - (46.702792704e9 - 2 * 32000 * 4096) * 6 / 8) / 1e9
    assert errors == {"active": "Active parameters per token: with 8 experts of which 2 run per token, the active "
                                f"parameters lie between {ref.fmt(lo)} and 46.702793 billion."}
    _, errors = ref.run(experts=8, top_k=8)
    assert errors == {"top_k": "Experts per token k: 8 must be fewer than the 8 experts."}
    _, errors = ref.run(experts=1, top_k=4, active=0.5)   # a dense model ignores both
    assert not errors


def test_more_serving_devices_than_kv_heads_replicate_them():
    """vLLM (model_executor/models/llama.py): with fewer KV heads than tensor-parallel ranks each rank keeps one,
    so the cache per token grows with the devices instead of the configuration being rejected."""
    v = ref.DATA["models"]["llama3-70b"]["values"]
    out, errors = ref.run(**v, inf_devices=8, kv_format="fp16")
    assert not errors
    base = out["inference"]["kv_token"]
    out16, errors = ref.run(**v, inf_devices=16, kv_format="fp16")
    assert not errors and out16["inference"]["kv_token"] == 2 * base   # 16 copies of 1 head instead of 8 heads
    _, errors = ref.run(**v, inf_devices=12)
    assert set(errors) == {"inf_devices"}


def test_page_js_is_small():
    js = (ROOT / "docs" / "assets" / "estimate.js").read_bytes()
    data = (ROOT / "scripts" / "estimate.json").read_bytes()   # embedded (trimmed) in the page
    assert len(gzip.compress(js, 9)) + len(gzip.compress(data, 9)) <= 30_000


@pytest.mark.parametrize("field,value,message", [
    ("layers", "", "层数 L：请输入一个数。"),
    ("layers", "abc", "层数 L：“abc”不是数（请用数字和小数点，例如 1.5 或 2e3）。"),
    ("layers", "2.5", "层数 L：必须是整数，2.5 不是。"),
    ("n_params", "1e9", "参数量 N（总计）：最多 100,000 十亿；1e9 超出了任何真实训练的规模。"),
    ("prompt", "5000", "提示长度：5,000 比上下文长度 4,096 还长。"),
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


# ------------------------------------------------------------------ published figures

def test_chinchilla_compute():
    """Hoffmann et al. 2022: Chinchilla, 70B parameters on 1.4T tokens, used Gopher's budget, 5.76E+23 FLOPs (Table 3).
    6·N·D lands within 2.5 % of it; the paper counts FLOPs in more detail (its Appendix F)."""
    c = ref.cited_values()
    out, errors = ref.run(n_params=c["chinchilla_params_b"], active=c["chinchilla_params_b"],
                          tokens=c["chinchilla_tokens_t"] * 1000)
    assert not errors
    assert abs(out["compute"]["flops_dense"] / c["chinchilla_training_flops"] - 1) < 0.025


def test_palm_mfu_with_its_own_attention_count():
    """PaLM App. B: 238.3K tokens/s on 6144 TPU v4 chips of 275 TFLOP/s is 46.2 % MFU with 6N + 12·L·H·Q·T per
    token, H·Q = 48 × 256 (not the model width). At 46.2 % MFU the calculator's throughput must be the paper's."""
    c = ref.cited_values()
    palm = ref.DATA["models"]["palm-540b"]["values"]
    run = dict(palm, devices=c["palm_tpu_chips"], peak=c["tpu_v4_bf16_tflops"], mfu=c["palm_mfu_percent"])
    out, errors = ref.run(**run)
    assert not errors
    assert abs(out["compute"]["rate"] / (c["palm_tokens_per_sec_k"] * 1e3) - 1) < 0.001
    # With the model width in place of H·Q the attention term is 1.5× too big and the match is lost.
    wide, _ = ref.run(**dict(run, head_dim=palm["hidden"] // palm["heads"]))
    assert abs(wide["compute"]["rate"] / (c["palm_tokens_per_sec_k"] * 1e3) - 1) > 0.005


def test_llama2_70b_kv_cache_per_token():
    """80 layers × 8 KV heads × 128 × 2 (K and V) × 2 bytes = 327,680 B (GQA: 8 of the 64 heads)."""
    out, errors = ref.run(**ref.DATA["models"]["llama2-70b"]["values"], kv_format="fp16", inf_devices=8)
    assert not errors
    assert out["inference"]["kv_token"] == 320 * 1024


def test_qlora_base_of_llama2_7b():
    """Dettmers et al. 2023 §3: NF4 with double quantization, 4.127 bits per weight of the linear layers; the
    embeddings and LM head stay 16-bit (bitsandbytes replaces nn.Linear only; Transformers keeps lm_head). For
    Llama 2 7B that is 3.9 GB, not the 3.5 GB of 4.127 bits on every parameter."""
    v = ref.DATA["models"]["llama2-7b"]["values"]
    out, errors = ref.run(**v, finetune="qlora", precision="amp", tp=1, pp=1, zero=0, lora_targets="all")
    assert not errors
    m = out["memory"]
    frozen = m["weights"] - m["trainable"] * 2
    assert f"{frozen / 1e9:.2g}" == "3.9"
    assert frozen == pytest.approx(out["inference"]["weights_nf4"], rel=1e-12)   # the same base served in NF4
    assert frozen > v["n_params"] * 1e9 * 4.127 / 8 * 1.1                          # 10 % above the old count


def test_bert_preset_tokens_follow_appendix_a2():
    """Devlin et al. 2019, App. A.2: 1M steps of 256 sequences, 90 % at length 128 and 10 % at 512."""
    steps = ref.cited_values()["bert_pretrain_steps"]
    tokens = 0.9 * steps * 256 * 128 + 0.1 * steps * 256 * 512
    v = ref.DATA["models"]["bert-base"]["values"]
    assert v["tokens"] * 1e9 == pytest.approx(tokens, rel=1e-6) and v["seq"] == 128


def test_activation_models():
    """Korthikanti et al. 2022, Table 2, for Llama 2 7B at s = 4096: a fused kernel stores 34·s·b·h per layer;
    written out adds 5·a·s²·b; full recomputation keeps 2·s·b·h per layer plus one layer being recomputed."""
    v = ref.DATA["models"]["llama2-7b"]["values"]
    gb = {}
    for attention in ("fused", "eager"):
        for ckpt in ("none", "selective", "full"):
            out, errors = ref.run(**v, attention=attention, checkpointing=ckpt, tp=1, pp=1, micro_batch=1)
            assert not errors
            gb[attention, ckpt] = out["memory"]["activations"] / 1e9
    assert gb["fused", "none"] == gb["fused", "selective"] < gb["eager", "selective"] < gb["eager", "none"]
    assert f"{gb['fused', 'none']:.3g}" == "18.3" and f"{gb['eager', 'none']:.3g}" == "104"
    # full recomputation: more than the stored inputs alone (2·s·b·h·L = 1.07 GB), by one layer's internals
    assert f"{gb['fused', 'full']:.3g}" == "1.64" and f"{gb['eager', 'full']:.2g}" == "4.3"


# ------------------------------------------------------------------ physics over a grid of inputs

def physics_grid() -> list[dict[str, str]]:
    """Every model preset × weight format × KV format × serving devices × context × accelerator, plus training
    layouts: about 6,000 valid and invalid cases."""
    from test_estimate_browser import grid
    cases = grid()
    for model, fmt, kv, n, ctx, dev, ft in itertools.product(
            ref.DATA["models"], ref.CHOICES["weight_format"]["options"], ["fp16", "fp8"], [1, 2, 8, 16],
            [128, 4096, 131072], ["t4", "h100", "h200"], ["full", "qlora"]):
        raw = ref.defaults()
        raw.update({k: str(x) for k, x in ref.DATA["models"][model]["values"].items()})
        raw.update({k: str(x) for k, x in ref.DATA["devices"][dev]["values"].items()})
        raw.update(weight_format=fmt, kv_format=kv, inf_devices=str(n), context=str(ctx), prompt=str(min(ctx, 2048)),
                   finetune=ft, tp=str(min(n, 8)), devices=str(8 * min(n, 8)))
        cases.append(raw)
    return cases


def test_no_rate_above_a_roof_no_memory_below_the_parameters_everything_finite_or_explained():
    c_ok = 0
    texts = ref.DATA["text"]["en"]
    for raw in physics_grid():
        v, errors = ref.validate(raw)
        out = ref.estimate(v)
        for name, res in out.items():
            if name == "blank":
                assert all(f"blank_{why}" in texts and why in texts for r in res.values() for why in r.values())
                continue
            assert all(math.isfinite(x) and x >= 0 for x in res.values()), (name, res)
        for name, rows in ref.DATA["outputs"].items():   # every output row shown: a number, or blank with a reason
            if name in out:
                for key, *_ in rows:
                    assert key in out[name] or key in out.get("blank", {}).get(name, {}), (name, key)
        if "inference" in out:
            i, N, Na = out["inference"], v["n_params"] * 1e9, ref.shape(v)["active"]
            n = v["inf_devices"]
            peak, bw = n * v["peak"] * 1e12, n * v["bandwidth"] * 1e9
            for fmt, o in ref.CHOICES["weight_format"]["options"].items():   # no fewer bytes than the value bits
                assert i[f"weights_{fmt}"] >= N * min(o["bits"], 16) / 8 * (1 - 1e-12)
            if "decode_batch" in i:
                c_ok += 1
                for rate in (i["decode_single"], i["decode_batch"], i["prefill_rate"]):
                    assert rate <= peak / (2 * Na) * (1 + 1e-12)                     # compute roof
                assert i["decode_single"] <= bw / (i["kv_request"] + v["vocab"] * v["hidden"] * 2) * (1 + 1e-12)
                assert i["decode_batch"] <= bw / i["kv_request"] * (1 + 1e-12)      # bandwidth: the caches alone
                assert i["decode_batch"] <= min(i["decode_bandwidth_roof"], i["decode_compute_roof"]) * (1 + 1e-12)
                assert i["decode_batch_device"] * n == pytest.approx(i["decode_batch"])
                assert i["decode_single"] <= i["decode_batch"] * (1 + 1e-12)       # more requests never slower
                assert i["ttft"] >= v["prompt"] * 2 * Na / peak * (1 - 1e-12)
            else:
                assert "weights_too_big" in out["blank"]["inference"].values() or i["concurrent"] == 0
        if "memory" in out:
            m = out["memory"]
            prec = ref.CHOICES["precision"]["options"][v["precision"]]
            shards = v["tp"] * v["pp"] * (m["dp"] if int(v["zero"]) >= 3 else 1)
            base = {"full": prec["weight"], "lora": prec["frozen"], "qlora": 4 / 8}[v["finetune"]]
            assert m["weights"] * shards >= N * base * (1 - 1e-12)                 # the parameters' storage
            assert m["total"] >= m["weights"] + m["grads"] + m["optimizer"] + m["activations"] + m["logits"] - 1
        if "compute" in out:
            assert out["compute"]["rate"] <= out["compute"]["rate_roof"] * (1 + 1e-12)
    assert c_ok > 500
