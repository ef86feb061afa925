"""The "Plan your run" reference (scripts/planner_reference.py): formulas against hand counts, every shown layout
fits, the published runs come out feasible and within range, and bad input gets a message per field.

The page's JS is checked against this reference in the browser (test_planner_browser.py)."""

from __future__ import annotations

import json
import math
import re

import pytest
from conftest import ROOT

import planner_reference as ref


def preset(model="gpt3", accelerator="a100-80", **overrides):
    raw = ref.defaults()
    raw.update({k: str(x) for k, x in ref.DATA["models"][model]["values"].items()})
    raw.update({k: str(x) for k, x in ref.DATA["accelerators"][accelerator]["values"].items()})
    raw.update({k: str(x) for k, x in overrides.items()})
    values, errors = ref.validate(raw)
    assert not errors, errors
    return values


def lay(**kw):
    base = {"tp": 8, "pp": 12, "vp": 1, "ep": 1, "zero": 0, "micro_batch": 1, "recompute": "selective"}
    return {**base, **kw}


def test_activations_are_korthikantis_34_sbh_for_gpt3():
    """GPT-3 with dropout: 12h + 4h (K, V) + 16h (4h MLP, GELU in and out) + 2h masks = 34h per token and layer
    (Korthikanti et al. 2022, Table 2), and 5·a·s more without recomputation; full recomputation keeps the layer's
    input, which sequence parallelism splits t ways."""
    v = preset()
    s, h, a, t = 2048, 12288, 96, 8
    sel = ref.evaluate(v, lay(recompute="selective"))
    assert sel["act_layer"] == pytest.approx(34 * s * h / t, rel=1e-12)
    none = ref.evaluate(v, lay(recompute="none", pp=96, micro_batch=1))
    assert none["ok"] and none["act_layer"] == pytest.approx(s * h * (34 + 5 * a * s / h) / t, rel=1e-12)
    full = ref.evaluate(v, lay(recompute="full"))
    assert full["act_layer"] == pytest.approx(2 * s * h / t, rel=1e-12)
    # 1F1B: m = 1536 / 16 = 96 micro-batches ≥ p, so 12 in flight × 8 layers = all 96 layers' worth
    assert sel["m"] == 96 and sel["inflight"] == 96


def small(**kw):
    """GPT-3 on 32 GPUs (4 nodes): t = 8, p = 4, d = 1, so the micro-batches per step are the sequences."""
    return preset(nodes=4, **kw)


@pytest.mark.parametrize("p,vp,seqs,chunks", [
    (4, 2, 8, 11),    # m·v = 16 above the cap (v − 1)·p + 2(p − 1) + 1 = 4 + 6 + 1 = 11
    (4, 2, 4, 8),     # m·v = 8 below it
    (4, 4, 8, 19),    # cap 3·4 + 6 + 1 = 19 < m·v = 32
])
def test_interleaved_chunks_in_flight_by_hand(p, vp, seqs, chunks):
    v = small(global_batch=seqs * 2048)
    r = ref.evaluate(v, lay(tp=8, pp=p, vp=vp))
    assert r["m"] == seqs and r["inflight"] == chunks * (96 // (p * vp))


def test_1f1b_with_fewer_micro_batches_than_stages():
    v = preset(nodes=8, global_batch=4 * 2048)            # t = 8, p = 8, d = 1, m = 4 < p
    r = ref.evaluate(v, lay(tp=8, pp=8))
    assert r["m"] == 4 and r["inflight"] == 4 * 12          # min(m, p) micro-batches × ⌈96/8⌉ layers


def test_zero_stages_reproduce_the_zero_paper():
    """Rajbhandari et al. 2019, Figure 1: 7.5B parameters on 64 GPUs, 120 / 31.4 / 16.6 / 1.9 GB of model states with
    16-bit gradients (2 + 2 + 12 bytes per parameter)."""
    v = preset(n_params=7.5, layers=32, hidden=4096, heads=32, kv_heads=32, ffn=16384, vocab=51200,
               nodes=8, global_batch=64 * 2048, seq=2048, memory=500, grad_dtype="bf16")   # room for the baseline
    got = []
    for z in range(4):
        r = ref.evaluate(v, lay(tp=1, pp=1, zero=z))
        got.append((r["weights"] + r["grads"] + r["optimizer"]) / 1e9)
    assert [float(f"{x:.3g}") for x in got[:3]] == [120, 31.4, 16.6] and f"{got[3]:.2g}" == "1.9"


def test_fp32_gradients_are_18_bytes_per_parameter():
    """Megatron Core's distributed optimizer with BF16 weights and FP32 gradients: 6 + 12/d bytes per parameter."""
    v = preset(n_params=7.5, layers=32, hidden=4096, heads=32, kv_heads=32, ffn=16384, vocab=51200,
               nodes=8, global_batch=64 * 2048, seq=2048, memory=500)
    assert ref.DATA["choices"]["grad_dtype"]["default"] == "fp32"
    r0 = ref.evaluate(v, lay(tp=1, pp=1, zero=0))
    r1 = ref.evaluate(v, lay(tp=1, pp=1, zero=1))
    N = 7.5e9
    assert (r0["weights"] + r0["grads"] + r0["optimizer"]) == pytest.approx(18 * N, rel=1e-12)
    assert (r1["weights"] + r1["grads"] + r1["optimizer"]) == pytest.approx((6 + 12 / 64) * N, rel=1e-12)


def gpt3_by_hand(v, t, p):
    """Parameters on one GPU of the first stage, counted from N and the shape (not from the planner)."""
    N, L, h, V = v["n_params"] * 1e9, 96, 12288, v["vocab"]
    return (math.ceil(L / p) * (N - V * h) / L + V * h) / t


def test_tensor_and_pipeline_time_by_hand():
    v = preset()
    nvl, net = v["nvlink"] * 1e9, v["network"] * 1e9
    a_nvl, a_net = v["lat_nvlink"] * 1e-6, v["lat_network"] * 1e-6
    m, t, b, s, h = 96, 8, 1, 2048, 12288
    for rc, count in (("selective", 4), ("full", 6)):
        r = ref.evaluate(v, lay(vp=2, recompute=rc))
        each = 2 * 7 / 8 * 2 * b * s * h / nvl + 2 * 7 * a_nvl
        assert r["t_tp"] == pytest.approx(m * 8 * count * each, rel=1e-12)
        # t·p = 96 > 8 GPUs per node: every stage boundary crosses the network, twice per chunk and micro-batch
        assert r["t_pp"] == pytest.approx(m * 2 * 2 * (2 * b * s * h / t / net + a_net), rel=1e-12)
    inside = ref.evaluate(small(global_batch=8 * 2048), lay(tp=4, pp=2))    # t·p = 8: the pipeline stays in a node
    assert inside["t_pp"] == pytest.approx(inside["m"] * 2 * (2 * b * s * h / 4 / nvl + a_nvl), rel=1e-12)


def test_compute_and_bubble_by_hand():
    v = preset()
    r = ref.evaluate(v, lay(vp=2, micro_batch=1))
    p, vp, m, s, h = 12, 2, 96, 2048, 12288
    tokens, N = 1536 * 2048, v["n_params"] * 1e9
    flops = tokens * (6 * N + 12 * 96 * s * h + 96 * 4 * s * h)        # selective: the scores' forward again
    assert r["compute"] == pytest.approx(flops / (1536 * 312e12 * 0.6), rel=1e-12)
    assert r["bubble"] == pytest.approx(flops / (1536 * 312e12 * 0.6) / m * (p - 1) / vp, rel=1e-12)
    r7 = ref.evaluate(preset(nodes=224), lay(tp=8, pp=7))                 # 96 layers on 7 stages: 14 on the busiest
    assert r7["imbalance"] == pytest.approx(7 * 14 / 96, rel=1e-12)


@pytest.mark.parametrize("z", [0, 1, 2, 3])
def test_data_parallel_traffic_and_exposure_by_hand(z):
    """A slow network (2 GB/s) so that every stage's traffic is exposed, and the windows are checked: ZeRO-0/1
    behind the last backward (⅔ of a micro-batch), the ZeRO-1/2 weight all-gather behind the first forward (⅓),
    ZeRO-2 one reduce-scatter per micro-batch (DeepSpeed #2252), each behind the next micro-batch, the last behind
    its backward; ZeRO-3 two 2-byte all-gathers and a reduce-scatter per micro-batch behind that micro-batch."""
    tp, pp = (8, 12) if z < 3 else (8, 1)
    v = preset(network=2, nodes=192, memory=10000)
    r = ref.evaluate(v, lay(tp=tp, pp=pp, zero=z))
    d = 1536 // (tp * pp)
    P = gpt3_by_hand(v, tp, pp)
    net, a_nvl, a_net = 2e9, v["lat_nvlink"] * 1e-6, v["lat_network"] * 1e-6
    nodes = d                                              # t·p ≥ 8: one member of the group per node
    lat = math.ceil(96 / pp) * ((nodes - 1) * a_net + (d - nodes) * a_nvl)
    ring = (d - 1) / d
    m, t_mb = r["m"], r["compute"] / r["m"]
    rs4, ag2 = ring * 4 * P / net + lat, ring * 2 * P / net + lat
    if z == 0:
        comm = 2 * ring * 4 * P / net + 2 * lat
        exposed = comm - 2 / 3 * t_mb
    elif z == 1:
        comm, exposed = rs4 + ag2, (rs4 - 2 / 3 * t_mb) + (ag2 - t_mb / 3)
    elif z == 2:
        comm = m * rs4 + ag2
        exposed = (m - 1) * (rs4 - t_mb) + (rs4 - 2 / 3 * t_mb) + (ag2 - t_mb / 3)
    else:
        per = ring * (2 + 2 + 4) * P / net + 3 * lat
        comm, exposed = m * per, m * (per - t_mb)
    assert r["dp_comm"] == pytest.approx(comm, rel=1e-12)
    assert exposed > 0 and r["t_dp"] == pytest.approx(exposed, rel=1e-12)


def test_ring_latency_follows_nccls_step_count():
    """ZeRO-3 over all 1,536 GPUs with t = p = 1: 8 members per node, 192 nodes; each all-gather or reduce-scatter
    has 191 network steps and 1,344 NVLink steps (NCCL's tuning model), once per layer."""
    v = preset()
    r = ref.evaluate(v, lay(tp=1, pp=1, zero=3, recompute="full"))
    lat = 96 * (191 * v["lat_network"] + 1344 * v["lat_nvlink"]) * 1e-6
    no_lat = ref.evaluate(preset(lat_network=0, lat_nvlink=0), lay(tp=1, pp=1, zero=3, recompute="full"))
    assert r["dp_nodes"] == 192
    assert r["dp_comm"] - no_lat["dp_comm"] == pytest.approx(r["m"] * 3 * lat, rel=1e-9)


def test_data_parallel_group_span_with_several_members_per_node():
    """t = 2, p = 2 on 8-GPU nodes (rank order TP, PP, DP): members sit 4 ranks apart, 2 per node, so d = 384
    spans 192 nodes; ZeRO-1 pays the ring's latency twice per layer (reduce-scatter, all-gather)."""
    v = preset()
    r = ref.evaluate(v, lay(tp=2, pp=2, zero=1, recompute="full"))
    no_lat = ref.evaluate(preset(lat_network=0, lat_nvlink=0), lay(tp=2, pp=2, zero=1, recompute="full"))
    assert r["d"] == 384 and r["dp_nodes"] == 192
    lat = 48 * (191 * v["lat_network"] + (384 - 192) * v["lat_nvlink"]) * 1e-6
    assert r["dp_comm"] - no_lat["dp_comm"] == pytest.approx(2 * lat, rel=1e-9)


def test_zero3_memory_by_hand():
    """GPT-3, ZeRO-3 over 1,536 GPUs, full recomputation, b = 1: (2 + 4 + 12)·N/d of states, each layer's input
    (2·s·h) for all 96 layers, one layer's activations while it is recomputed (34·s·h) and two gathered layers."""
    v = preset()
    r = ref.evaluate(v, lay(tp=1, pp=1, zero=3, recompute="full"))
    N, s, h, V = v["n_params"] * 1e9, 2048, 12288, v["vocab"]
    layer = (N - V * h) / 96
    want = 18 * N / 1536 + 96 * 2 * s * h + 34 * s * h + 2 * 2 * layer
    assert r["total"] == pytest.approx(want, rel=1e-12)


def test_optimizer_step_by_hand():
    v = preset()
    r = ref.evaluate(v, lay(zero=1))
    P = gpt3_by_hand(v, 8, 12)
    assert r["t_opt"] == pytest.approx((26 + 4) * P / 16 / (v["hbm"] * 1e9), rel=1e-12)


def test_moe_active_parameters_and_expert_parallelism():
    v = preset("mixtral-8x7b", "h100", nodes=8, global_batch=1024 * 4096, seq=4096, memory=1000)
    sh = ref.shape(v)
    assert sh["active"] / 1e9 == pytest.approx(13, abs=0.5)     # the paper's "13B active" from its shape and 47B
    one = ref.evaluate(v, lay(tp=1, pp=1, ep=1, zero=1))
    eight = ref.evaluate(v, lay(tp=1, pp=1, ep=8, zero=1))
    assert one["ok"] and eight["ok"] and eight["weights"] < one["weights"] and eight["t_ep"] > 0 == one["t_ep"]
    b, s, k, h = 1, 4096, 2, 4096
    nvl, net = v["nvlink"] * 1e9, v["network"] * 1e9
    a_nvl, a_net = v["lat_nvlink"] * 1e-6, v["lat_network"] * 1e-6
    m = eight["m"]
    # e = 8 with t = p = 1: the expert group is one node's 8 GPUs (NVLink); 4 all-to-alls per layer and micro-batch
    assert eight["t_ep"] == pytest.approx(m * 32 * 4 * (7 / 8 * 2 * b * s * k * h / nvl + 7 * a_nvl), rel=1e-12)
    full = ref.evaluate(v, lay(tp=1, pp=1, ep=8, zero=1, recompute="full"))
    assert full["t_ep"] == pytest.approx(eight["t_ep"] * 6 / 4, rel=1e-12)     # the recomputed forward dispatches again
    # with p = 2 (rank order TP, PP, DP) the expert group's members sit 2 ranks apart: 16 GPUs, two nodes, network
    two = ref.evaluate(v, lay(tp=1, pp=2, ep=8, zero=1))
    assert two["t_ep"] == pytest.approx(two["m"] * 16 * 4 * (7 / 8 * 2 * b * s * k * h / net + 7 * a_net), rel=1e-12)


CASES = [dict(), dict(model="llama3-405b", accelerator="h100", nodes=2048, global_batch=16777216, seq=8192),
         dict(model="llama2-70b", accelerator="h200", nodes=4, global_batch=1048576, seq=4096),
         dict(model="mixtral-8x7b", accelerator="a100-80", nodes=16, global_batch=2097152, seq=4096),
         dict(model="megatron-1t", nodes=384, global_batch=3072 * 2048, usable=90)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.get("model", "gpt3"))
def test_every_shown_layout_fits_and_the_order_is_by_step_time(case):
    case = dict(case)
    v = preset(case.pop("model", "gpt3"), case.pop("accelerator", "a100-80"), **case)
    res = ref.plan(v)
    assert res["fit"] > 0 and res["tried"] >= res["fit"]
    steps = [r["step"] for r in res["top"]]
    assert steps == sorted(steps)
    for r in res["top"]:
        again = ref.evaluate(v, r["layout"])          # the layout alone, re-evaluated
        assert again["ok"] and again["total"] <= v["memory"] * 1e9 * v["usable"] / 100
        assert again["step"] == r["step"]
        assert all(math.isfinite(x) for x in r.values() if isinstance(x, float))


def test_usable_memory_default_leaves_room():
    assert ref.DATA["fields"]["usable"]["default"] < 100
    assert "not count" in ref.DATA["fields"]["usable"]["hint"]


@pytest.mark.parametrize("run_id", list(ref.DATA["runs"]))
def test_published_runs_are_within_their_band_on_both_sides(run_id):
    """Every combination of what the paper leaves open (interleaving) lands inside the run's band, the lower edge
    and the upper edge: the planner may neither undershoot nor overshoot the measurement by more."""
    c = ref.published(run_id)
    assert not c["errors"] and c["tried"], run_id
    lo, hi = c["band"]
    assert lo <= c["ratio_lo"] and c["ratio_hi"] <= hi, (run_id, c["ratio_lo"], c["ratio_hi"])


# Regression pins: the planner's prediction for each published run's first listed combination, recorded when the
# model last changed on purpose (a formula change moves one of them by more than 0.5 % and fails here; update the
# pin and the page together).
PINS = {"megatron-1t": 166.46, "megatron-gpt3": 149.85, "llama3-16k": 0.3540, "llama3-8k": 0.4187,
        "megatron-zero3-384": 187.18, "megatron-zero3-768": 103.34, "megatron-zero3-1536": 50.71}


@pytest.mark.parametrize("run_id", list(PINS))
def test_published_predictions_are_pinned(run_id):
    assert ref.published(run_id)["predicted"] == pytest.approx(PINS[run_id], rel=5e-3)


def test_zero3_validation_rows_fall_with_the_gpu_count_as_measured():
    """Narayanan et al. 2021, Table 2: ZeRO-3 without model parallelism drops from 144 to 88 to 44 TFLOP/s as the
    GPUs double at a fixed batch; PTD parallelism on 1,536 GPUs stays above ZeRO-3 there by about 3×."""
    got = [ref.published(f"megatron-zero3-{g}")["predicted"] for g in (384, 768, 1536)]
    assert got[0] > got[1] > got[2]
    # the page: optimistic for ZeRO-3 on every row, most on 384 GPUs (traffic about as long as compute)
    ratios = [ref.published(f"megatron-zero3-{g}")["ratio"] for g in (384, 768, 1536)]
    assert min(ratios) > 1 and ratios[0] == max(ratios)
    r384 = ref.published("megatron-zero3-384")["shown"]
    assert 0.8 < r384["dp_comm"] / r384["compute"] < 1.0
    assert 2.5 < ref.published("megatron-gpt3")["lo"] / got[2] < 4


def test_llama3_8k_beats_16k_as_in_the_paper():
    """Dubey et al. 2024, Table 4: 43 % MFU on 8,192 GPUs, 41 % on 16,384 (a smaller batch per DP group)."""
    eight, sixteen = ref.published("llama3-8k"), ref.published("llama3-16k")
    assert eight["lo"] > sixteen["hi"]


def test_the_page_says_which_published_layouts_do_not_fit():
    """The Llama 3 layouts do not fit in the planner's memory model (Megatron-LM's interleaved schedule, 90 % usable);
    the page says so; the Megatron-LM layouts fit."""
    page = (ROOT / "docs" / "planner.md").read_text()
    assert not ref.published("llama3-16k")["fits"] and not ref.published("llama3-8k")["fits"]
    assert all(ref.published(r)["fits"] for r in ref.DATA["runs"] if r.startswith("megatron"))
    assert "Neither Llama 3 layout fits" in page


def test_the_page_states_the_default_efficiency_it_was_checked_with():
    default = ref.DATA["fields"]["efficiency"]["default"]
    assert ref.published("megatron-1t")["values"]["efficiency"] == default
    for page in ("planner.md", "planner.zh.md"):
        assert f"η {'of' if page == 'planner.md' else '用默认的'} {default} %" in (ROOT / "docs" / page).read_text()


def test_an_impossible_layout_says_why():
    v = preset()
    r = ref.evaluate(v, lay(tp=5, pp=7))
    assert not r["ok"] and {w[0] for w in r["why"]} >= {"tp_node", "tp_heads", "gpus"}
    r = ref.evaluate(v, lay(tp=1, pp=1, zero=0, recompute="none"))
    assert not r["ok"] and r["why"][0][0] == "memory" and r["why"][0][1] > r["why"][0][2]


@pytest.mark.parametrize("field,value,message", [
    ("layers", "", "Layers L: enter a number."),
    ("layers", "abc", "Layers L: “abc” is not a number (use digits, a decimal point, e.g. 1.5 or 2e3)."),
    ("layers", "2.5", "Layers L: must be a whole number, not 2.5."),
    ("nodes", "0", "Nodes: must be at least 1."),
    ("heads", "7", "Attention heads a: 7 heads do not divide the hidden size 12,288."),
    ("seq", "1000", "Sequence length s: the global batch of 3,145,728 tokens is not a whole number of 1,000-token sequences."),
    ("top_k", "2", "Experts per token k: 2 is more than the 1 experts."),
    ("n_params", "0.5", "Parameters N: fewer than the shape's experts and embedding alone (0.617558 billion)."),
    ("efficiency", "150", "Compute efficiency η: at most 100 %; 150 is beyond any real run."),
])
def test_bad_input_gets_a_message_for_its_field(field, value, message):
    values, errors, res = ref.run(**{field: value})
    assert errors == {field: message}
    assert res is None


@pytest.mark.parametrize("field,value,message", [
    ("layers", "", "层数 L：请输入数值。"),
    ("heads", "7", "注意力头数 a：7 个头不能整除隐藏维度 12,288。"),
    ("nodes", "0", "节点数：不能小于 1。"),
])
def test_chinese_messages(field, value, message):
    raw = ref.defaults()
    raw[field] = value
    assert ref.validate(raw, "zh")[1] == {field: message}


def test_every_string_has_its_chinese():
    en, zh = ref.localized(ref.DATA, "en"), ref.localized(ref.DATA, "zh")
    assert en["text"].keys() == zh["text"].keys()
    assert '"zh"' not in json.dumps(en) + json.dumps(zh)
    untranslated = []

    def walk(a, b, path):
        assert type(a) is type(b), path
        if isinstance(a, dict):
            assert a.keys() == b.keys(), path
            for k in a:
                walk(a[k], b[k], f"{path}.{k}")
        elif isinstance(a, list):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(a, str) and re.search(r"[a-z]{3,} [a-z]{2,}", a) and path.split(".")[-1] not in ("url", "_doc"):
            if a == b:
                untranslated.append(path)
    walk({k: x for k, x in en.items() if k != "text"}, {k: x for k, x in zh.items() if k != "text"}, "")
    assert not untranslated, untranslated


def test_presets_read_the_cited_constants():
    raw = json.loads((ROOT / "scripts" / "planner.json").read_text(encoding="utf-8"))
    cited = ref.cited_values()
    for kind in ("models", "accelerators", "runs"):
        for name, p in raw[kind].items():
            for field, x in p["values"].items():
                if isinstance(x, dict):
                    assert ref.DATA[kind][name]["values"][field] == pytest.approx(cited[x["cited"]] * x.get("times", 1))
    assert ref.DATA["runs"]["llama3-16k"]["values"]["nodes"] * 8 == cited["llama3_16k_gpus"]
