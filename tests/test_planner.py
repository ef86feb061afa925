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
    (Korthikanti et al. 2022, Table 2), and 5·a·s more without recomputation."""
    v = preset()
    s, h, a, t = 2048, 12288, 96, 8
    sel = ref.evaluate(v, lay(recompute="selective"))
    assert sel["act_layer"] == pytest.approx(34 * s * h / t, rel=1e-12)
    none = ref.evaluate(v, lay(recompute="none", pp=96, micro_batch=1))
    assert none["ok"] and none["act_layer"] == pytest.approx(s * h * (34 + 5 * a * s / h) / t, rel=1e-12)
    full = ref.evaluate(v, lay(recompute="full"))
    assert full["act_layer"] == 2 * s * h
    # 1F1B: m = 1536 / 16 = 96 micro-batches ≥ p, so 12 in flight × 8 layers = all 96 layers' worth
    assert sel["m"] == 96 and sel["inflight"] == 96


def test_zero_stages_reproduce_the_zero_paper():
    """Rajbhandari et al. 2019, Figure 1: 7.5B parameters on 64 GPUs, 120 / 31.4 / 16.6 / 1.9 GB of model states."""
    v = preset(n_params=7.5, layers=32, hidden=4096, heads=32, kv_heads=32, ffn=16384, vocab=51200,
               nodes=8, global_batch=64 * 2048, seq=2048, memory=500)   # room for the unsharded baseline
    got = []
    for z in range(4):
        r = ref.evaluate(v, lay(tp=1, pp=1, zero=z))
        got.append((r["weights"] + r["grads"] + r["optimizer"]) / 1e9)
    assert [float(f"{x:.3g}") for x in got[:3]] == [120, 31.4, 16.6] and f"{got[3]:.2g}" == "1.9"


def test_time_terms_against_hand_counts():
    v = preset()
    r = ref.evaluate(v, lay(vp=2, micro_batch=1))
    p, vp, m, t, b, s, h = 12, 2, 96, 8, 1, 2048, 12288
    assert r["bubble"] == pytest.approx(r["compute"] * (p - 1) / (vp * m), rel=1e-12)
    assert r["bubble_fraction"] == pytest.approx((p - 1) / (vp * m + p - 1), rel=1e-12)
    nvlink = v["nvlink"] * 1e9
    assert r["t_tp"] == pytest.approx(m * 8 * 4 * 2 * (t - 1) / t * 2 * b * s * h / nvlink, rel=1e-12)
    # compute: 1536 sequences × 2048 tokens × (6N + 12·L·s·h + 4·L·s·h) ÷ (1536 GPUs × 312e12 × 0.6)
    tokens, N = 1536 * 2048, 174.6e9
    flops = tokens * (6 * N + 12 * 96 * s * h + 96 * 4 * s * h)
    assert r["compute"] == pytest.approx(flops / (1536 * 312e12 * 0.6), rel=1e-12)
    # DP: d = 16 replicas; the traffic hides when a micro-batch has more tokens than (d−1)/d · peak·η / network
    assert r["dp_threshold"] == pytest.approx(15 / 16 * 312e12 * 0.6 / (v["network"] * 1e9), rel=1e-12)
    assert (r["t_dp"] > 0) == (b * s < r["dp_threshold"])
    assert r["step"] == pytest.approx(r["compute"] + r["bubble"] + r["t_tp"] + r["t_pp"] + r["t_dp"] + r["t_ep"]
                                      + r["t_opt"], rel=1e-12)


def test_moe_active_parameters_and_expert_parallelism():
    v = preset("mixtral-8x7b", "h100", nodes=8, global_batch=1024 * 4096, seq=4096, memory=1000)
    sh = ref.shape(v)
    assert sh["active"] / 1e9 == pytest.approx(13, abs=0.5)     # the paper's "13B active" from its shape and 47B
    one = ref.evaluate(v, lay(tp=1, pp=1, ep=1, zero=1))
    eight = ref.evaluate(v, lay(tp=1, pp=1, ep=8, zero=1))
    assert one["ok"] and eight["ok"] and eight["weights"] < one["weights"] and eight["t_ep"] > 0 == one["t_ep"]


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
        t, p = r["layout"]["tp"], r["layout"]["pp"]
        assert v["gpus_per_node"] % t == 0 and t * p * r["d"] == v["gpus_per_node"] * v["nodes"]
        assert all(math.isfinite(x) for x in r.values() if isinstance(x, float))


@pytest.mark.parametrize("run_id", list(ref.DATA["runs"]))
def test_published_runs_are_feasible_and_in_range(run_id):
    c = ref.published(run_id)
    assert not c["errors"]
    assert c["best"] is not None, f"{run_id}: the published layout does not fit"
    assert all(c["best"]["layout"][k] == x for k, x in c["fixed"].items())   # the paper's own layout
    assert c["best"]["total"] <= c["values"]["memory"] * 1e9
    assert 0.75 <= c["ratio"] <= 1.25, (run_id, c["predicted"], c["published"])


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
    ("layers", "", "层数 L：请输入一个数。"),
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
