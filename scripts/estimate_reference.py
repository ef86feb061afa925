"""Python reference of the "Estimate your run" page (docs/estimate.md, docs/assets/estimate.js).

The inputs, limits, choices and presets are defined once, in scripts/estimate.json, which the page embeds; its
preset numbers point at scripts/cited_constants.yml ({"cited": key}), which load() resolves. The
formulas are written twice, here and in the page's JS, in the same order of operations; tests/test_estimate.py
runs both on a grid of cases in a real browser and requires the same numbers and the same messages. Units: the
values are what the reader types (billions of parameters, GB, TFLOP/s, %); the outputs are in base units (FLOPs,
seconds, bytes, tokens/s).
The page exists in English and Simplified Chinese: localized(DATA, lang) gives the JSON with each string in that
language, and validate(raw, lang) writes its messages from the same templates ("text" in the JSON) as the JS.
"""

from __future__ import annotations

import copy
import json
import math
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from notebook_values import cited_values, resolve_cited  # noqa: E402


def resolve(x, cited: dict):
    """scripts/estimate.json's registry references resolved (notebook_values.resolve_cited)."""
    return resolve_cited(x, cited, "scripts/estimate.json")


def load(path: Path = HERE / "estimate.json") -> dict:
    """scripts/estimate.json with its references to the cited constants resolved."""
    return resolve(json.loads(path.read_text(encoding="utf-8")), cited_values())


DATA = load()
FIELDS, CHOICES = DATA["fields"], DATA["choices"]
GIB = 2 ** 30   # device memory: the datasheets' "80 GB" of HBM is 80 GiB
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
LANGUAGES = ("en", "zh")


def localized(data: dict, lang: str) -> dict:
    """The JSON in one language: each {"zh": {...}} object replaces the English strings next to it (an output row's
    fifth element gives its label and formula), "text" becomes that language's messages and captions; no "zh" left."""
    def walk(x):
        if isinstance(x, dict):
            over = x.get(lang) if lang != "en" and isinstance(x.get(lang), dict) else {}
            return {**{k: walk(y) for k, y in x.items() if k not in LANGUAGES}, **over}
        if isinstance(x, list):
            if len(x) == 5 and isinstance(x[4], dict):   # an output row: key, label, format, formula, {"zh": [...]}
                label, formula = x[4][lang] if lang != "en" else (x[1], x[3])
                return [x[0], label, x[2], formula]
            return [walk(y) for y in x]
        return x
    out = walk({k: x for k, x in data.items() if k != "text"})
    out["text"] = copy.deepcopy(data["text"][lang])
    return out


def tr(template: str, **values) -> str:
    """A message from its template: {name} replaced (the JS's tr() does the same)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)

# Which inputs each calculator reads: an invalid one blanks that calculator only.
MODEL = ["n_params", "active", "experts", "top_k", "layers", "hidden", "heads", "head_dim", "kv_heads", "vocab", "tied"]
NEEDS = {
    "compute": MODEL + ["seq", "tokens", "devices", "peak", "mfu", "price"],
    "memory": MODEL + ["ffn", "mlp", "seq", "micro_batch", "devices", "tp", "pp", "memory", "precision", "optimizer",
                       "zero", "attention", "checkpointing", "finetune", "lora_targets", "lora_rank"],
    "inference": MODEL + ["context", "prompt", "inf_devices", "memory", "bandwidth", "peak", "usable", "weight_format",
                          "group", "kv_format"],
}


def fmt(x: float) -> str:
    """A number in a message: 4,096 or 0.000001 (the JS uses toLocaleString('en-US') to the same effect)."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def defaults() -> dict[str, str]:
    raw = {k: str(f["default"]) for k, f in FIELDS.items()}
    raw.update({k: c["default"] for k, c in CHOICES.items()})
    return raw


def read_form(data: dict, raw: dict[str, str], values: dict, errors: dict) -> None:
    """The typed fields and the choices of a form (the calculators' or the planner's, localized), as the pages read
    them: a number per valid field, a message per invalid one; a missing choice is its default, one that is no
    option an error (only a URL can carry one; the page shows it like a bad number)."""
    T = data["text"]
    for key, f in data["fields"].items():
        text = str(raw.get(key, "")).strip()
        label, unit = f["label"], (" " + f["unit"] if f["unit"] else "")
        if text == "":
            if not f.get("optional"):
                errors[key] = tr(T["empty"], label=label)
            continue
        if not NUMBER.match(text):
            errors[key] = tr(T["not_number"], label=label, text=text)
            continue
        x = float(text)
        if f["int"] and not x.is_integer():
            errors[key] = tr(T["not_whole"], label=label, text=text)
        elif x < f["min"]:
            errors[key] = tr(T["too_small"], label=label, min=fmt(f["min"]), unit=unit)
        elif x > f["max"]:
            errors[key] = tr(T["too_large"], label=label, max=fmt(f["max"]), unit=unit, text=text)
        else:
            values[key] = x
    for key, c in data["choices"].items():
        text = raw.get(key)
        if text is None:
            values[key] = c["default"]
        elif text in c["options"]:
            values[key] = text
        else:
            errors[key] = tr(T["not_choice"], label=c["label"], text=text)


def validate(raw: dict[str, str], lang: str = "en") -> tuple[dict, dict[str, str]]:
    """(values, errors): numbers for the valid fields, a message per invalid field, in the page's language."""
    values, errors = {}, {}
    data = localized(DATA, lang)
    T = data["text"]
    read_form(data, raw, values, errors)

    def check(key, others, ok, name, **args):
        if key in values and all(o in values for o in others) and not ok():
            message = tr(T[name], **{k: fmt(values.get(x, 0) if isinstance(x, str) else x(values))
                                     for k, x in args.items()})
            errors[key] = tr(T["invalid"], label=data["fields"][key]["label"], message=message)
            del values[key]

    v = values
    check("kv_heads", ["heads"], lambda: v["heads"] % v["kv_heads"] == 0, "kv_heads", a="kv_heads", b="heads")
    # Tensor parallelism splits the query heads and splits the key/value heads, or replicates them when there are
    # fewer than the devices (a whole number of copies each): vLLM does so when serving, and PaLM trained its
    # multi-query model 12-way (Megatron-LM itself asks num_query_groups % t == 0).
    check("tp", ["heads", "kv_heads"], lambda: v["heads"] % v["tp"] == 0 and (
        v["kv_heads"] % v["tp"] == 0 or v["tp"] % v["kv_heads"] == 0), "serve_split", a="tp", b="heads", c="kv_heads")
    check("inf_devices", ["heads", "kv_heads"], lambda: v["heads"] % v["inf_devices"] == 0 and (
        v["kv_heads"] % v["inf_devices"] == 0 or v["inf_devices"] % v["kv_heads"] == 0),
        "serve_split", a="inf_devices", b="heads", c="kv_heads")
    check("pp", ["layers"], lambda: v["layers"] % v["pp"] == 0, "pp", a="pp", b="layers")
    check("devices", ["tp", "pp"], lambda: v["devices"] % (v["tp"] * v["pp"]) == 0, "devices", a="devices",
          b=lambda w: w.get("tp", 0) * w.get("pp", 0))
    check("lora_rank", ["hidden"], lambda: v["lora_rank"] <= v["hidden"], "lora_rank", a="lora_rank", b="hidden")
    check("top_k", ["experts"], lambda: v["experts"] == 1 or v["top_k"] < v["experts"], "top_k", a="top_k",
          b="experts")
    check("vocab", ["hidden", "n_params", "tied"], lambda: embedding_params(v) < v["n_params"] * 1e9, "vocab", a="vocab",
          b="hidden")
    check("active", ["n_params", "experts", "top_k", "vocab", "hidden", "tied"],
          lambda: v["experts"] == 1 or active_range(v)[0] <= v["active"] <= active_range(v)[1], "active",
          e="experts", k="top_k", lo=lambda w: active_range(w)[0], hi=lambda w: active_range(w)[1])
    check("prompt", ["context"], lambda: v["prompt"] <= v["context"], "prompt", a="prompt", b="context")
    return values, errors


def embedding_params(v: dict) -> float:
    """The input embedding and the LM head: V·h, twice when they are not tied."""
    return v["vocab"] * v["hidden"] * (1 if v["tied"] == "tied" else 2)


def active_range(v: dict) -> tuple[float, float]:
    """The active parameters (billions) an MoE of N total, E experts of which k per token, can have: at most N, at
    least what is left when all but k/E of the expert weights are idle and everything but the embeddings is an
    expert (see shape())."""
    N, E, k = v["n_params"] * 1e9, v["experts"], v["top_k"]
    return (N - (N - embedding_params(v)) * (E - k) / E) / 1e9, v["n_params"]


def shape(v: dict) -> dict[str, float]:
    """What the formulas need from the model inputs. An MoE layer holds E experts and runs k of them per token, so
    N − N_active = expert weights × (1 − k/E): the expert weights follow from the published total and active
    counts. The embeddings and LM head stay 16-bit when the rest is quantized; "linear" is everything else (norms
    and routers, a few parts per million, are counted with it)."""
    N, E, k = v["n_params"] * 1e9, v["experts"], v["top_k"]
    active = N if E == 1 else v["active"] * 1e9
    emb = embedding_params(v)
    return {"N": N, "active": active, "experts": 0 if E == 1 else (N - active) * E / (E - k), "emb": emb,
            "linear": N - emb, "attn": v["heads"] * v["head_dim"], "kv": v["kv_heads"] * v["head_dim"],
            "E": E, "k": k, "emb_in": 0 if v["tied"] == "tied" else v["vocab"] * v["hidden"]}


def kv_copies(v: dict, n: float) -> float:
    """Parameters added by replicating key/value heads over n tensor-parallel devices when there are fewer heads
    than devices: each device holds one head's K and V projections (h × d each, per layer), so n − kv_heads
    more of them than the model has."""
    return v["layers"] * 2 * v["hidden"] * v["head_dim"] * max(0, n - v["kv_heads"])


def layer_bytes(v: dict, S: dict) -> float:
    """Bytes one layer stores for backward per token, 16-bit, one device, attention scores not included
    (Korthikanti et al. 2022, §4.1, counted from the shape): the attention block's input, Q, K, V and output
    (2h + 4·a·d + 4·kv·d), two norm inputs (4h) and the MLP. Plain MLP (GPT, BERT): its input, the GeLU's input
    and output (2h + 4f), plus two dropout masks (2h), which is Korthikanti's 34·h at f = 4h. Gated (SwiGLU:
    Llama, Mixtral, PaLM, trained without dropout): its input, gate, SiLU, up and their product (2h + 8f). An MoE
    layer's input (2h) goes to k experts per token; each keeps its copy of the token (2h), its internals and its
    output for the routing weight (2h)."""
    h, f = v["hidden"], v["ffn"]
    plain = v["mlp"] == "plain"
    inner = (4 if plain else 8) * f
    mlp = 2 * h + inner if S["E"] == 1 else 2 * h + S["k"] * (4 * h + inner)
    return 2 * h + 4 * S["attn"] + 4 * S["kv"] + 4 * h + mlp + (2 * h if plain else 0)


def expert_share(S: dict, tokens: float) -> float:
    """Share of the expert weights a step over `tokens` tokens reads: 1 − (1 − k/E)^tokens, each token picking its
    k experts independently and uniformly (real routers are less even); 1 for a dense model."""
    return 1 if S["E"] <= 1 else 1 - (1 - S["k"] / S["E"]) ** tokens


def linear_bits(form: dict, v: dict) -> float:
    """Bits per weight of a linear layer in a format: the value bits, plus a scale (and zero point) per group of g
    weights, or an FP16 scale per output channel (h stands in for each matrix's input width)."""
    return form["bits"] + form.get("per_group", 0) / v["group"] + form.get("per_row", 0) / v["hidden"]


def lora_shapes(v: dict, S: dict, targets: str) -> tuple[float, float]:
    """(Σ (in + out) over the adapted matrices of one layer, how many matrices): q (h → a·d), k and v (h → kv·d),
    o (a·d → h), and the MLP's m matrices (h ↔ f) in each of the E experts."""
    h, A, K = v["hidden"], S["attn"], S["kv"]
    m = CHOICES["mlp"]["options"][v["mlp"]]["matrices"] * max(1, v["experts"])
    if targets == "qv":
        return (h + A) + (h + K), 2
    if targets == "attn":
        return (h + A) + 2 * (h + K) + (A + h), 4
    return (h + A) + 2 * (h + K) + (A + h) + m * (h + v["ffn"]), 4 + m


def estimate(v: dict) -> dict[str, dict[str, float]]:
    """The outputs of every calculator whose inputs are all valid; out["blank"][calculator][output] names the
    reason (a key of "text") for an output that has no meaning for these inputs."""
    out, blank = {}, {}
    ready = {name: all(k in v for k in needs) for name, needs in NEEDS.items()}
    if ready["compute"]:
        S, D = shape(v), v["tokens"] * 1e9
        # Kaplan et al. 2020, §2.1: N counts the weights in matrix products, so not the input embedding (a row
        # lookup); a tied embedding stays in, as the LM head. PaLM, App. B: 6N + 12·L·H·Q·T per token.
        weights_in_matmuls = S["active"] - S["emb_in"]
        per_token = 6 * weights_in_matmuls + 12 * v["layers"] * v["seq"] * S["attn"]
        dense = 6 * weights_in_matmuls * D
        attention = 12 * v["layers"] * v["seq"] * S["attn"] * D
        flops = dense + attention
        peak = v["devices"] * v["peak"] * 1e12
        seconds = flops / (peak * (v["mfu"] / 100))
        device_hours = v["devices"] * seconds / 3600
        out["compute"] = {"flops_dense": dense, "flops_attention": attention, "flops": flops, "seconds": seconds,
                          "device_hours": device_hours, "cost": device_hours * v["price"], "rate": D / seconds,
                          "rate_device": D / seconds / v["devices"], "rate_roof": peak / per_token}
    if ready["memory"]:
        S = shape(v)
        N, L, h, a = S["N"], v["layers"], v["hidden"], v["heads"]
        r, t, p, s, b = v["lora_rank"], v["tp"], v["pp"], v["seq"], v["micro_batch"]
        dp = v["devices"] / (t * p)
        prec = CHOICES["precision"]["options"][v["precision"]]
        opt = CHOICES["optimizer"]["options"][v["optimizer"]]
        stage, mode = int(v["zero"]), v["finetune"]
        io, matrices = lora_shapes(v, S, v["lora_targets"])
        trainable = N if mode == "full" else L * r * io
        # What one pipeline stage holds: L/p layers (with the K/V projections copied where t exceeds the KV
        # heads), and, on the first stage, the input embedding (the last holds the LM head, or a copy of it).
        stage_linear = (S["linear"] + kv_copies(v, t)) / p
        stage_emb = S["emb"] if p == 1 else v["vocab"] * h
        if mode == "full":
            frozen, held = 0, stage_linear + stage_emb
        elif mode == "lora":
            frozen, held = (stage_linear + stage_emb) * prec["frozen"], trainable / p
        else:   # QLoRA: the linear layers in NF4, the embeddings and LM head in the recipe's 16/32 bits
            frozen = stage_linear * DATA["constants"]["nf4_bits"]["value"] / 8 + stage_emb * prec["frozen"]
            held = trainable / p
        if opt.get("factored"):   # Adafactor: a row and a column vector per matrix instead of the full second moment
            if mode == "full":
                state_elems = (L * lora_shapes(v, S, "all")[0] + (v["vocab"] + h) * (1 if v["tied"] == "tied" else 2)) / p
            else:
                state_elems = L * (io + 2 * r * matrices) / p
        else:
            state_elems = opt["states"] * held
        state_bytes = opt.get("state_bytes", prec["state"])
        weights = (frozen + held * prec["weight"]) / t / (dp if stage >= 3 else 1)
        grads = held * prec["grad"] / t / (dp if stage >= 2 else 1)
        optimizer = (held * prec["master"] + state_elems * state_bytes) / t / (dp if stage >= 1 else 1)
        # Korthikanti et al. 2022, §4 (16-bit, sequence parallelism with t > 1, so everything a layer stores is
        # split over t): layer_bytes() per token, plus 5·a·s²·b for the attention scores, softmax and dropout
        # mask a written-out attention stores. The first pipeline stage of a 1F1B schedule holds p micro-batches
        # of L/p layers = L layers' worth.
        layer = s * b * layer_bytes(v, S) / t
        scores = 5 * a * s * s * b / t if v["attention"] == "eager" else 0
        ckpt = v["checkpointing"]
        if ckpt == "none":
            stored = L * (layer + scores)
        elif ckpt == "selective":   # the attention core recomputed: its scores live for one layer at a time
            stored = L * layer + scores
        else:   # each layer's input kept (split over t by sequence parallelism); one layer alive while recomputed
            stored = L * 2 * s * b * h / t + layer + scores
        activations = stored * prec["act_factor"]
        # The logits (s·b·V, split over t by a vocabulary-parallel head) at their peak, inside the loss: 16-bit,
        # the FP32 copy Transformers' ForCausalLMLoss makes, and the FP32 log-softmax (the only one autograd keeps).
        logits = s * b * v["vocab"] * prec["logit_bytes"] / t
        total = weights + grads + optimizer + activations + logits
        out["memory"] = {"dp": dp, "trainable": trainable, "weights": weights, "grads": grads, "optimizer": optimizer,
                         "state": weights + grads + optimizer, "activations": activations, "logits": logits, "total": total,
                         "capacity": v["memory"] * GIB, "fraction": total / (v["memory"] * GIB)}
    if ready["inference"]:
        S, n, L, ctx, P = shape(v), v["inf_devices"], v["layers"], v["context"], v["prompt"]
        formats = CHOICES["weight_format"]["options"]
        copies = kv_copies(v, n)   # vLLM gives every device at least one key/value head: copies with their weights
        res = {f"weights_{k}": (S["linear"] + copies) * linear_bits(o, v) / 8 + S["emb"] * 2 for k, o in formats.items()}
        bytes_weight = linear_bits(formats[v["weight_format"]], v) / 8
        weights = res["weights_" + v["weight_format"]]
        kv_token = 2 * L * max(v["kv_heads"], n) * v["head_dim"] * CHOICES["kv_format"]["options"][v["kv_format"]]["bytes"]
        kv_request = kv_token * ctx
        usable = n * v["memory"] * GIB * (v["usable"] / 100)
        concurrent = max(0, math.floor((usable - weights) / kv_request))
        bandwidth, peak = n * v["bandwidth"] * 1e9, n * v["peak"] * 1e12
        lm_head = v["vocab"] * v["hidden"] * 2   # read whole every step; the input embedding only by rows

        def read(tokens):   # weight bytes one step over `tokens` tokens reads
            return (S["linear"] + copies - S["experts"]) * bytes_weight + S["experts"] * bytes_weight * \
                expert_share(S, tokens) + lm_head

        # Per token, at the end of a full context: the weights' matrix products (the input embedding is a row
        # lookup, not one), then the scores and weighted sum over the whole context.
        decode_flops = 2 * (S["active"] - S["emb_in"]) + 4 * L * S["attn"] * ctx

        def decode(c):   # tokens/s with c requests in flight: min(bandwidth roof, compute roof)
            return min(c * bandwidth / (read(c) + c * kv_request), peak / decode_flops)

        # The layers over P positions, the LM head at the last one only, the causal half of the P × P scores.
        prefill_flops = 2 * (S["active"] - S["emb"]) * P + 2 * v["vocab"] * v["hidden"] + 2 * L * S["attn"] * P * P
        ttft = max(prefill_flops / peak, (read(P) + P * kv_token) / bandwidth)
        res.update({"weights": weights, "kv_token": kv_token, "kv_request": kv_request, "usable": usable})
        rates = {"concurrent": concurrent, "ttft": ttft, "prefill_rate": P / ttft, "prefill_rate_device": P / ttft / n,
                 "decode_single": decode(1), "decode_batch": decode(concurrent),
                 "decode_batch_device": decode(concurrent) / n,
                 "decode_bandwidth_roof": concurrent * bandwidth / (read(concurrent) + concurrent * kv_request),
                 "decode_compute_roof": peak / decode_flops}
        reason = "weights_too_big" if weights >= usable else "no_request" if concurrent == 0 else None
        if reason:
            blank["inference"] = {k: reason for k in rates if k != "concurrent" or reason == "weights_too_big"}
            rates = {k: x for k, x in rates.items() if k not in blank["inference"]}
        res.update(rates)
        out["inference"] = res
    if blank:
        out["blank"] = blank
    return out


def run(**overrides) -> tuple[dict, dict]:
    """estimate() of the defaults with some inputs changed: (outputs, errors)."""
    raw = defaults()
    raw.update({k: str(x) for k, x in overrides.items()})
    values, errors = validate(raw)
    return estimate(values), errors
