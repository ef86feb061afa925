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


def test_weight_flops_leave_out_an_untied_input_embedding_only():
    """Kaplan et al. 2020 §2.1 count the weights in matrix products: an untied input embedding is a row lookup and is
    left out; the LM head is a product and stays in. Tying the embedding to the head changes nothing then (one
    V·h matrix, in the head's product), which is how GPT-3's published figure counts it (test_gpt3_training_flops)."""
    v = ref.DATA["models"]["llama2-7b"]["values"]
    untied, errors = ref.run(**v)
    assert not errors
    V, h, N = v["vocab"], v["hidden"], v["n_params"] * 1e9
    D = v["tokens"] * 1e9
    matmul = v["layers"] * (4 * h * h + 3 * h * v["ffn"]) + V * h        # the chapter's N_llama (large-models.md)
    assert untied["compute"]["flops_dense"] == pytest.approx(6 * (N - V * h) * D, rel=1e-12)
    assert untied["compute"]["flops_dense"] / (6 * D) == pytest.approx(matmul, rel=1e-4)   # norms aside (0.004 %)
    per_token = 6 * (N - V * h) + 12 * v["layers"] * v["seq"] * v["heads"] * v["head_dim"]
    c = untied["compute"]
    peak = float(ref.defaults()["devices"]) * float(ref.defaults()["peak"]) * 1e12
    assert c["rate_roof"] == pytest.approx(peak / per_token, rel=1e-12)   # the roof per token counts the same N
    tied, errors = ref.run(**{**v, "tied": "tied", "n_params": (N - V * h) / 1e9, "active": (N - V * h) / 1e9})
    assert not errors and tied["compute"]["flops_dense"] == pytest.approx(c["flops_dense"], rel=1e-12)


def test_memory_shows_the_training_state_zero_counts():
    out, errors = ref.run(n_params=7.5, devices=64, tp=1, pp=1, precision="amp", optimizer="adamw", zero=1,
                          finetune="full")
    assert not errors
    m = out["memory"]
    assert m["state"] == m["weights"] + m["grads"] + m["optimizer"] < m["total"]
    assert "state" in [row[0] for row in ref.DATA["outputs"]["memory"]]   # a row of the page, so a link shows it


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


@pytest.mark.parametrize("usable", [100, 90])
def test_llama2_7b_kv_cache_and_capacity_on_an_h100(usable):
    """An "80 GB" H100 is 80 GiB of HBM3; CUDA reports 81,559 MiB of it, and vLLM sizes its cache from
    gpu_memory_utilization × that total (vLLM v1 worker, determine_available_memory). The page's count from the
    datasheet's GiB must be the count from the bytes CUDA reports (or above it: an upper bound), never below."""
    c = ref.cited_values()
    out, errors = ref.run(**ref.DATA["models"]["llama2-7b"]["values"], **ref.DATA["devices"]["h100"]["values"],
                          kv_format="fp16", context=4096, usable=usable, inf_devices=1, weight_format="fp16")
    assert not errors
    inf = out["inference"]
    assert inf["kv_token"] == 512 * 1024                     # 512 KiB per token in FP16
    assert inf["kv_request"] == 2 * 2**30                    # 2 GiB per 4,096-token request
    cuda_total = c["h100_sxm_cuda_memory_mib"] * 2**20      # what torch.cuda.mem_get_info() reports
    budget = cuda_total * usable / 100                       # vLLM: total × gpu_memory_utilization
    assert cuda_total <= inf["usable"] * 100 / usable < cuda_total * 1.005   # the nominal GiB: at most 0.5 % above
    by_hand = math.floor((budget - 2 * 6_738_415_616) // (2 * 32 * 32 * 128 * 2 * 4096))
    assert inf["concurrent"] == by_hand == {100: 33, 90: 29}[usable]
    assert inf["concurrent"] > math.floor((usable / 100 * 80e9 - 2 * 6_738_415_616) / 2**31)   # decimal GB: too few


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
    emb_in = v["vocab"] * v["hidden"]   # untied: the input embedding is a lookup, in no matrix product
    assert out["compute"]["flops_dense"] == pytest.approx(6 * (v["active"] * 1e9 - emb_in) * 1e12, rel=1e-12)  # 2 of 8
    dense, _ = ref.run(**{**v, "experts": 1}, tokens=1000)
    assert dense["compute"]["flops_dense"] / out["compute"]["flops_dense"] == pytest.approx(
        (v["n_params"] * 1e9 - emb_in) / (v["active"] * 1e9 - emb_in))
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
    ("tp", "3", "Tensor-parallel degree t: 3 must divide the 32 attention heads, and divide or be a multiple of the "
                "32 key/value heads."),
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
    ("layers", "", "层数 L：请输入数值。"),
    ("layers", "abc", "层数 L：“abc”不是有效的数值（请用数字和小数点，例如 1.5 或 2e3）。"),
    ("layers", "2.5", "层数 L：须为整数，2.5 不是整数。"),
    ("n_params", "1e9", "参数量 N（总计）：最多 100,000 十亿；1e9 超出了任何真实训练的规模。"),
    ("prompt", "5000", "提示词长度：5,000 比上下文长度 4,096 还长。"),
    ("mfu", "0", "MFU：不能小于 0.01 %。"),
    ("pp", "5", "流水线并行度 p：5 不能整除层数 32。"),
    ("tp", "3", "张量并行度 t：3 必须整除注意力头数 32，并且整除键/值头数 32 或是它的倍数。"),
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
    # With the model width in place of H·Q the attention term is 1.5× too big: the throughput moves by 0.6 %,
    # more than the rounding of the printed 46.2 % allows (0.05 / 46.2 = 0.11 %).
    wide, _ = ref.run(**dict(run, head_dim=palm["hidden"] // palm["heads"]))
    assert abs(wide["compute"]["rate"] / (c["palm_tokens_per_sec_k"] * 1e3) - 1) > 2 * 0.05 / c["palm_mfu_percent"]


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


def per_token_layer_bytes_by_hand(v: dict) -> int:
    """Bytes one layer saves per token in 16-bit, counted tensor by tensor for the presets' shapes (no code shared
    with the reference): the norm output that enters Q/K/V, Q, K, V, the attention output, the two norms' inputs,
    then the MLP: GPT's plain one saves its input, the GeLU's input and output and two 1-byte dropout masks;
    SwiGLU saves its input, gate, SiLU, up and product; an MoE's input goes to k experts, each saving its copy of
    the token, the SwiGLU internals and its output for the routing weight."""
    h, f, d = v["hidden"], v["ffn"], v["head_dim"]
    q, kv = v["heads"] * d, v["kv_heads"] * d
    attention = 2 * h + 2 * q + 2 * kv + 2 * kv + 2 * q
    norms = 2 * h + 2 * h
    if v["mlp"] == "plain":
        mlp = 2 * h + 2 * f + 2 * f + 1 * h + 1 * h
    elif v["experts"] == 1:
        mlp = 2 * h + 2 * f + 2 * f + 2 * f + 2 * f
    else:
        mlp = 2 * h + v["top_k"] * (2 * h + 2 * f + 2 * f + 2 * f + 2 * f + 2 * h)
    return attention + norms + mlp


def test_activations_gpt3_are_korthikantis_34_and_split_over_t():
    """Korthikanti et al. 2022, §4.1 / Table 2: a GPT layer (4h GeLU MLP, dropout) stores 34·s·b·h bytes, and
    34·s·b·h / t with tensor and sequence parallelism."""
    v = ref.DATA["models"]["gpt3"]["values"]
    s, h, L = v["seq"], v["hidden"], v["layers"]
    for t in (1, 8):
        out, errors = ref.run(**v, tp=t, devices=8, pp=1, micro_batch=1, attention="fused", checkpointing="none")
        assert not errors
        assert out["memory"]["activations"] == pytest.approx(L * 34 * s * h / t, rel=1e-12)
        assert per_token_layer_bytes_by_hand(v) == 34 * h


def test_activation_models():
    """Llama 2 7B at s = 4096: a fused kernel stores the shape's bytes per layer (gated MLP: 2h + 8f, no dropout);
    written out adds 5·a·s²·b; full recomputation keeps 2·s·b·h per layer plus one layer being recomputed."""
    v = ref.DATA["models"]["llama2-7b"]["values"]
    s, h, L, a = 4096, v["hidden"], v["layers"], v["heads"]
    layer = s * per_token_layer_bytes_by_hand(v)             # 153,600 bytes per token: 37.5 · h
    gb = {}
    for attention in ("fused", "eager"):
        for ckpt in ("none", "selective", "full"):
            out, errors = ref.run(**{**v, "seq": s}, attention=attention, checkpointing=ckpt, tp=1, pp=1,
                                  micro_batch=1)
            assert not errors
            gb[attention, ckpt] = out["memory"]["activations"]
    assert gb["fused", "none"] == gb["fused", "selective"] < gb["eager", "selective"] < gb["eager", "none"]
    assert gb["fused", "none"] == pytest.approx(L * layer, rel=1e-12)                        # 20.1 GB
    assert gb["eager", "none"] == pytest.approx(L * (layer + 5 * a * s * s), rel=1e-12)
    assert gb["fused", "full"] == pytest.approx(L * 2 * s * h + layer, rel=1e-12)              # 1.70 GB
    assert gb["eager", "full"] == pytest.approx(L * 2 * s * h + layer + 5 * a * s * s, rel=1e-12)


def test_full_recomputation_with_sequence_parallelism_llama2_70b():
    """Llama 2 70B, s = 4096, t = 8, full recomputation: with sequence parallelism each layer's saved input is
    [s/t, b, h] (Megatron scatters the embeddings to the sequence-parallel region; PaLM §4: "one fully sharded
    activation tensor is saved from each layer"), and the layer being recomputed holds its share / t too."""
    v = ref.DATA["models"]["llama2-70b"]["values"]
    s, h, L, t = 4096, v["hidden"], v["layers"], 8
    out, errors = ref.run(**{**v, "seq": s}, tp=t, devices=8, pp=1, micro_batch=1, checkpointing="full",
                          attention="fused")
    assert not errors
    by_hand = L * 2 * s * h / t + s * per_token_layer_bytes_by_hand(v) / t     # 0.671 GB + 0.170 GB
    assert out["memory"]["activations"] == pytest.approx(by_hand, rel=1e-12)
    unsplit = L * 2 * s * h                                                        # 5.4 GB: the old count
    assert out["memory"]["activations"] < unsplit / 6


def test_mixtral_activations_count_k_experts():
    """Mixtral 8x7B: each token's MLP activations are stored by 2 experts, so a layer stores 77·h bytes per token
    against Llama 3 8B's 41·h with the same attention and width (and GPT's 34·h)."""
    mix, l3 = ref.DATA["models"]["mixtral-8x7b"]["values"], ref.DATA["models"]["llama3-8b"]["values"]
    acts = {}
    for name, v in (("mixtral", mix), ("llama3", l3)):
        out, errors = ref.run(**{**v, "seq": 4096}, tp=1, pp=1, devices=1, micro_batch=1, checkpointing="none")
        assert not errors
        acts[name] = out["memory"]["activations"]
        assert acts[name] == pytest.approx(v["layers"] * 4096 * per_token_layer_bytes_by_hand(v), rel=1e-12)
    assert per_token_layer_bytes_by_hand(mix) == 77 * mix["hidden"] and per_token_layer_bytes_by_hand(l3) == 41 * l3["hidden"]
    assert acts["mixtral"] / acts["llama3"] == pytest.approx(77 / 41)


def saved_bytes(fn, module, x) -> int:
    """Bytes autograd saves for backward running fn(x), each storage once, the module's weights left out."""
    import torch
    weights = {p.untyped_storage().data_ptr() for p in module.parameters()}
    seen = {}

    def pack(t):
        st = t.untyped_storage()
        if st.data_ptr() not in weights:
            seen[st.data_ptr()] = st.nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(x)
    return sum(seen.values())


def test_mlp_activation_counts_are_what_autograd_saves():
    """Measured on CPU with saved-tensor hooks, in BF16: Transformers' Llama MLP saves 2h + 8f bytes per token (the
    reference's gated count), and its Mixtral block at least the reference's 2h + k·(4h + 8f); its per-expert
    loop keeps one more h-wide copy per routed token (index_add_ saves its source), which the page leaves out."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from transformers.models.llama.modeling_llama import LlamaMLP
    from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock
    torch.manual_seed(0)
    s, h, f = 64, 128, 448
    x = torch.randn(1, s, h, dtype=torch.bfloat16, requires_grad=True)
    v = {"hidden": h, "ffn": f, "mlp": "gated", "heads": 1, "head_dim": 1, "kv_heads": 1}
    mlp = LlamaMLP(transformers.LlamaConfig(hidden_size=h, intermediate_size=f)).to(torch.bfloat16)
    dense = ref.layer_bytes(v, {"E": 1, "k": 1, "attn": 0, "kv": 0}) - 2 * h - 4 * h   # the MLP's share
    assert saved_bytes(mlp, mlp, x) == s * dense == s * (2 * h + 8 * f)
    k = 2
    moe = MixtralSparseMoeBlock(transformers.MixtralConfig(hidden_size=h, intermediate_size=f, num_local_experts=8,
                                                           num_experts_per_tok=k)).to(torch.bfloat16)
    page = ref.layer_bytes(v, {"E": 8, "k": k, "attn": 0, "kv": 0}) - 2 * h - 4 * h
    measured = saved_bytes(moe, moe, x) / s
    assert page <= measured <= page + k * 2 * h + 128       # + that copy, the router's FP32 probabilities and indices
    assert measured > 2 * dense                              # k = 2 experts: more than twice a dense MLP


def test_time_to_first_token_is_a_lower_bound():
    """Llama 3 8B, one H100, P = 2048: the layers' matrix products over P positions, the LM head once (the last
    position), the causal half of the scores; the input embedding is a row lookup. Counted matrix by matrix, the
    FLOPs give a compute floor the page's time may not undercut, and the page stays within 0.1 % of it."""
    v, dev = ref.DATA["models"]["llama3-8b"]["values"], ref.DATA["devices"]["h100"]["values"]
    P = 2048
    out, errors = ref.run(**v, **dev, prompt=P, context=4096, inf_devices=1, weight_format="fp16")
    assert not errors
    h, f, L, V = v["hidden"], v["ffn"], v["layers"], v["vocab"]
    q, kv = v["heads"] * v["head_dim"], v["kv_heads"] * v["head_dim"]
    matrices = L * (h * q + 2 * h * kv + q * h + 3 * h * f)
    flops = 2 * matrices * P + 2 * V * h + L * (2 * q * P * P)        # QKᵀ and AV, causal half of each
    floor = flops / (dev["peak"] * 1e12)
    ttft = out["inference"]["ttft"]
    assert floor <= ttft <= floor * 1.001


def test_decode_compute_roof_is_an_upper_bound():
    """Llama 3 8B on an H200 at context 256: per token 2 FLOPs per weight of every matrix product (the LM head
    included, the embedding lookup not) and 4·L·a·d·context for the scores; no rate above peak / that."""
    v, dev = ref.DATA["models"]["llama3-8b"]["values"], ref.DATA["devices"]["h200"]["values"]
    out, errors = ref.run(**v, **dev, context=256, prompt=128, inf_devices=1, weight_format="fp16")
    assert not errors
    h, f, L, V, ctx = v["hidden"], v["ffn"], v["layers"], v["vocab"], 256
    q, kv = v["heads"] * v["head_dim"], v["kv_heads"] * v["head_dim"]
    flops = 2 * (L * (h * q + 2 * h * kv + q * h + 3 * h * f) + V * h) + 4 * L * q * ctx
    roof = dev["peak"] * 1e12 / flops
    assert roof * 0.999 <= out["inference"]["decode_compute_roof"] <= roof
    assert out["inference"]["decode_batch"] == out["inference"]["decode_compute_roof"]   # it binds here


def first_p_compute_bound(model: str, device: str, n: int, fmt: str) -> int:
    """The shortest prompt whose time to first token the FLOPs set rather than the bytes (bisection)."""
    base = {**ref.DATA["models"][model]["values"], **ref.DATA["devices"][device]["values"], "inf_devices": n,
            "weight_format": fmt, "context": 131072}

    def bound_by_flops(P):
        inf = ref.run(**base, prompt=P)[0]["inference"]
        S, v = ref.shape(ref.validate({**ref.defaults(), **{k: str(x) for k, x in base.items()}})[0]), base
        flops = 2 * (S["active"] - S["emb"]) * P + 2 * v["vocab"] * v["hidden"] + 2 * v["layers"] * S["attn"] * P * P
        return inf["ttft"] == flops / (n * v["peak"] * 1e12)
    lo, hi = 1, 65536
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if bound_by_flops(mid) else (mid + 1, hi)
    return lo


def test_prefill_crossover_as_the_page_states_it():
    """docs/estimate.md: prefill turns compute-bound above about (peak / bandwidth) × bytes per weight / 2 ×
    (weights read / weights run): about 300 tokens for a dense 16-bit model on an H100, about 1,000 for Mixtral,
    about four times fewer with 4-bit weights."""
    dense = first_p_compute_bound("llama3-8b", "h100", 1, "fp16")
    mixtral = first_p_compute_bound("mixtral-8x7b", "h100", 2, "fp16")
    assert 250 <= dense <= 350 and 900 <= mixtral <= 1200, (dense, mixtral)
    assert 3 <= dense / first_p_compute_bound("llama3-8b", "h100", 1, "int4") <= 4.5


def test_replicated_kv_heads_copy_their_projections():
    """Llama 3 70B on 16 devices (8 KV heads): every device holds one head's K and V projections, 8 copies more
    than the model has, 80 × 2 × 8192 × 128 × 8 = 1.34B parameters (2.7 GB in FP16). PaLM's 12-way model
    parallelism (§4) is accepted for training by the same rule, with 11 copies of its one KV head."""
    v = ref.DATA["models"]["llama3-70b"]["values"]
    w8 = ref.run(**v, inf_devices=8)[0]["inference"]["weights_fp16"]
    w16 = ref.run(**v, inf_devices=16)[0]["inference"]["weights_fp16"]
    assert w8 == pytest.approx(2 * v["n_params"] * 1e9, rel=1e-12)
    assert w16 - w8 == pytest.approx(2 * 80 * 2 * 8192 * 128 * 8, rel=1e-12)
    palm = ref.DATA["models"]["palm-540b"]["values"]
    out, errors = ref.run(**palm, tp=12, pp=1, devices=12 * 256, zero=0, finetune="full", precision="amp")
    assert not errors
    copies = palm["layers"] * 2 * palm["hidden"] * palm["head_dim"] * 11
    assert out["memory"]["weights"] == pytest.approx((palm["n_params"] * 1e9 + copies) * 2 / 12, rel=1e-12)


@pytest.mark.parametrize("t", [1, 8])
def test_logits_peak_inside_the_loss(t):
    """Llama 3 8B, s = 8192, b = 1: 16-bit logits, their FP32 copy (ForCausalLMLoss upcasts) and the FP32
    log-softmax, 10 bytes per logit at the peak, split over t by a vocabulary-parallel head (FP32 recipe: 8)."""
    v = ref.DATA["models"]["llama3-8b"]["values"]
    for precision, per_logit in (("amp", 2 + 4 + 4), ("fp32", 4 + 4)):
        out, errors = ref.run(**v, tp=t, devices=8, pp=1, micro_batch=1, precision=precision)
        assert not errors
        assert out["memory"]["logits"] == pytest.approx(8192 * 128_256 * per_logit / t, rel=1e-12)


def test_first_pipeline_stage_holds_the_embedding():
    """Llama 3 8B, p = 4: the first stage holds 8 of the 32 layers and the 128,256 × 4096 input embedding,
    2.27B parameters, not N / 4 = 2.01B."""
    v = ref.DATA["models"]["llama3-8b"]["values"]
    out, errors = ref.run(**v, tp=1, pp=4, devices=4, zero=0, finetune="full", precision="amp")
    assert not errors
    h, f, L, V = v["hidden"], v["ffn"], v["layers"], v["vocab"]
    q, kv = v["heads"] * v["head_dim"], v["kv_heads"] * v["head_dim"]
    layer = h * q + 2 * h * kv + q * h + 3 * h * f + 2 * h
    first = L // 4 * layer + V * h
    assert out["memory"]["weights"] == pytest.approx(2 * first, rel=1e-6)     # the final norm (h) is not on it
    assert first / (v["n_params"] * 1e9 / 4) > 1.12


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


def test_consistency_and_finiteness_over_the_grid():
    """Consistency, not physics: these checks restate the formulas' min/max structure and catch a lost min(), a
    NaN, an infinity or a missing blank; the coefficients are checked against independent counts above."""
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
                S = ref.shape(v)
                for rate in (i["decode_single"], i["decode_batch"]):                 # matrix products alone
                    assert rate <= peak / (2 * (Na - S["emb_in"])) * (1 + 1e-12)
                assert i["decode_single"] <= bw / (i["kv_request"] + v["vocab"] * v["hidden"] * 2) * (1 + 1e-12)
                assert i["decode_batch"] <= bw / i["kv_request"] * (1 + 1e-12)      # bandwidth: the caches alone
                assert i["decode_batch"] <= min(i["decode_bandwidth_roof"], i["decode_compute_roof"]) * (1 + 1e-12)
                assert i["decode_batch_device"] * n == pytest.approx(i["decode_batch"])
                assert i["decode_single"] <= i["decode_batch"] * (1 + 1e-12)       # more requests never slower
                assert i["ttft"] >= v["prompt"] * 2 * (Na - S["emb"]) / peak * (1 - 1e-12)
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
