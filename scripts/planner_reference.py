"""Python reference of the "Plan your run" page (docs/planner.md, docs/assets/planner.js).

For a model, a cluster, a global batch and a sequence length, the planner enumerates parallel layouts
(t × p × d, with e for a mixture of experts), ZeRO stage, micro-batch size, activation recomputation and pipeline
interleaving; keeps those whose memory fits; estimates each one's step time as compute at a stated efficiency plus
the communication not hidden behind compute plus the pipeline bubble; and ranks them.

The inputs, limits, choices, presets and the published runs it is checked against are defined once, in
scripts/planner.json (its numbers point at scripts/cited_constants.yml, {"cited": key}, resolved by load()). The
formulas are written twice, here and in the page's JS, in the same order of operations; tests/test_planner_browser.py
runs both on a grid of cases in a real browser and requires the same numbers and messages. Units: the values are
what the reader types (billions of parameters, GB, GB/s, TFLOP/s, %); the outputs are in base units (bytes,
seconds, FLOPs). Sources of each formula: docs/planner.md, next to the result it gives.
"""

from __future__ import annotations

import copy
import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from estimate_reference import fmt, read_form, tr  # noqa: E402  (one reading of a form for both pages)
from notebook_values import cited_values, resolve_cited  # noqa: E402

LANGUAGES = ("en", "zh")
MICRO_BATCHES = (1, 2, 4, 8)
INTERLEAVE = (1, 2, 4)
RECOMPUTE = ("none", "selective", "full")
OPT_BYTES = 26   # Adam step: read the FP32 master, m, v (12), write them and the 16-bit weight (12 + 2); + the gradient read
TOP = 5


def resolve(x, cited: dict):
    """scripts/planner.json's registry references resolved (notebook_values.resolve_cited)."""
    return resolve_cited(x, cited, "scripts/planner.json")


def load(path: Path = HERE / "planner.json") -> dict:
    """scripts/planner.json with its references to the cited constants resolved."""
    return resolve(json.loads(path.read_text(encoding="utf-8")), cited_values())


DATA = load()
FIELDS, CHOICES = DATA["fields"], DATA["choices"]


def localized(data: dict, lang: str) -> dict:
    """The JSON in one language: each {"zh": {...}} object replaces the English strings next to it; "text" becomes
    that language's messages and captions; no "zh" left."""
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


def defaults() -> dict[str, str]:
    raw = {k: str(f["default"]) for k, f in FIELDS.items()}
    raw.update({k: c["default"] for k, c in CHOICES.items()})
    return raw


def shape(v: dict) -> dict:
    """Parameter counts per layer from the shape and the published total N (the embedding V·h sits on the first
    pipeline stage; whatever N has beyond the experts and the embedding is spread evenly over the layers)."""
    L, h, F = v["layers"], v["hidden"], v["ffn"]
    mats = CHOICES["mlp"]["options"][v["mlp"]]["matrices"]
    E, K = v["experts"], v["top_k"]
    N = v["n_params"] * 1e9
    expert_layer = E * mats * h * F if E > 1 else 0          # every expert's MLP in one layer
    emb = v["vocab"] * h
    dense_layer = (N - L * expert_layer - emb) / L           # attention, norms, router (and an untied output layer)
    active = N - L * (E - K) * mats * h * F if E > 1 else N  # parameters one token goes through
    active_layer = dense_layer + (K * mats * h * F if E > 1 else 0)
    return {"N": N, "emb": emb, "expert_layer": expert_layer, "dense_layer": dense_layer, "active": active,
            "active_layer": active_layer, "mats": mats}


def validate(raw: dict[str, str], lang: str = "en") -> tuple[dict, dict[str, str]]:
    """(values, errors): numbers for the valid fields, a message per invalid field, in the page's language."""
    values, errors = {}, {}
    data = localized(DATA, lang)
    T = data["text"]
    read_form(data, raw, values, errors)

    v = values

    def check(key, others, ok, name, **args):
        if key in v and all(o in v for o in others) and not ok():
            message = tr(T[name], **{k: fmt(v[x]) if isinstance(x, str) else fmt(x(v)) for k, x in args.items()})
            errors[key] = tr(T["invalid"], label=data["fields"][key]["label"], message=message)
            del v[key]

    check("heads", ["hidden"], lambda: v["hidden"] % v["heads"] == 0, "heads", a="heads", b="hidden")
    check("kv_heads", ["heads"], lambda: v["heads"] % v["kv_heads"] == 0, "kv_heads", a="kv_heads", b="heads")
    check("top_k", ["experts"], lambda: v["top_k"] <= v["experts"], "top_k", a="top_k", b="experts")
    check("seq", ["global_batch"], lambda: v["global_batch"] % v["seq"] == 0, "seq", a="global_batch", b="seq")
    check("n_params", ["layers", "hidden", "ffn", "vocab", "experts", "top_k", "mlp"],
          lambda: shape(v)["dense_layer"] > 0, "n_params",
          a=lambda w: (w["layers"] * (w["experts"] * CHOICES["mlp"]["options"][w["mlp"]]["matrices"] * w["hidden"] *
                                      w["ffn"] if w["experts"] > 1 else 0) + w["vocab"] * w["hidden"]) / 1e9)
    return values, errors   # the layout to inspect (tp, pp, vp, ep, micro_batch) is checked by evaluate()


MODEL = ["layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "n_params", "experts", "top_k", "mlp", "dropout"]
CLUSTER = ["peak", "memory", "hbm", "gpus_per_node", "nodes", "nvlink", "network", "lat_nvlink", "lat_network"]
TRAINING = ["global_batch", "seq", "efficiency", "usable", "grad_dtype", "reduce_dtype"]
NEEDS = MODEL + CLUSTER + TRAINING


def span(g: int, stride: int, G: int) -> int:
    """Nodes a group of g ranks spans when its members sit `stride` ranks apart (rank order [TP, PP, DP], tensor
    parallelism innermost, as Llama 3 places them): G/stride members share a node while stride < G."""
    return min(g, math.ceil(g * stride / G))


def ring_latency(g: int, nodes: int, lat_nvlink: float, lat_net: float) -> float:
    """Latency of one ring reduce-scatter or all-gather over g ranks on `nodes` nodes (seconds): g − 1 steps, of
    which nodes − 1 cross the network, as NCCL's tuning model counts them (src/graph/tuning.cc)."""
    return (nodes - 1) * lat_net + (g - nodes) * lat_nvlink


def evaluate(v: dict, lay: dict) -> dict:
    """One layout: {"ok": False, "why": [reasons]} if it is impossible; if it does not fit, "ok" is False with the
    memory reason and every term (so a published layout that does not fit still shows its time); else its memory
    and time terms. lay = {"tp", "pp", "vp", "ep", "zero", "micro_batch", "recompute"}."""
    L, h, a, s = v["layers"], v["hidden"], v["heads"], v["seq"]
    G = v["gpus_per_node"]
    n = G * v["nodes"]
    t, p, vp, ep, z, b, rc = lay["tp"], lay["pp"], lay["vp"], lay["ep"], lay["zero"], lay["micro_batch"], \
        lay["recompute"]
    why = []
    if G % t:
        why.append(["tp_node", t, G])
    if a % t or (v["kv_heads"] % t and t % v["kv_heads"]):
        why.append(["tp_heads", t, a, v["kv_heads"]])
    if p > L:
        why.append(["pp_layers", p, L])
    if n % (t * p):
        why.append(["gpus", n, t * p])
    d = n // (t * p) if n % (t * p) == 0 else 0
    seqs = v["global_batch"] / s
    if d and seqs % (d * b):
        why.append(["batch", seqs, d, b])
    m = seqs / (d * b) if d else 0
    if vp > 1 and (p == 1 or p * vp > L or m % p):
        why.append(["interleave", vp, p, L])
    E = v["experts"]
    if ep > 1 and (E == 1 or E % ep or (d and d % ep)):
        why.append(["ep", ep, E, d])
    if z == 3 and p > 1:
        why.append(["zero3_pp"])
    if why:
        return {"ok": False, "why": why}

    sh = shape(v)
    de = d / ep                                   # data-parallel group of the experts
    Lc = math.ceil(L / (p * vp))                  # layers of the busiest model chunk
    Ls = Lc * vp                                  # layers of the busiest pipeline rank
    kvd = v["kv_heads"] * h / a
    dropout = v["dropout"] == "on"
    gb = CHOICES["grad_dtype"]["options"][v["grad_dtype"]]["bytes"]      # gradient accumulation buffer
    rb = CHOICES["reduce_dtype"]["options"][v["reduce_dtype"]]["bytes"]  # gradients on the wire
    # ---- memory per GPU (bytes), first pipeline stage (it holds the embedding and the most micro-batches)
    dense_loc = (Ls * sh["dense_layer"] + sh["emb"]) / t
    expert_loc = Ls * sh["expert_layer"] / (ep * t)
    weights = 2 * (dense_loc / (d if z >= 3 else 1) + expert_loc / (de if z >= 3 else 1))
    grads = gb * (dense_loc / (d if z >= 2 else 1) + expert_loc / (de if z >= 2 else 1))
    optimizer = 12 * (dense_loc / (d if z >= 1 else 1) + expert_loc / (de if z >= 1 else 1))
    inner = CHOICES["mlp"]["options"][v["mlp"]]["act"] * v["ffn"] * (v["top_k"] if E > 1 else 1)
    per_token = 12 * h + 4 * kvd + inner + (2 * h if dropout else 0)      # bytes per token per layer, 16-bit
    core = (5 if dropout else 2) * a * s                                  # the s × s scores per token per layer
    if rc == "none":
        act_layer = s * b * (per_token + core) / t
    elif rc == "selective":
        act_layer = s * b * per_token / t
    else:
        act_layer = 2 * s * b * h / t                                     # the layer's input, split by SP
    if p == 1:
        inflight = L
    elif vp == 1:
        inflight = min(m, p) * Ls
    else:
        inflight = min(m * vp, (vp - 1) * p + 2 * (p - 1) + 1) * Lc
    activations = act_layer * inflight
    work = 0
    if rc == "full":
        work += s * b * per_token / t                              # one layer's activations while it is recomputed
    if z == 3:
        work += 2 * 2 * (sh["dense_layer"] + sh["expert_layer"] / ep) / t    # two layers gathered (one prefetched)
    total = weights + grads + optimizer + activations + work
    capacity = v["memory"] * 1e9 * v["usable"] / 100

    # ---- time per step (seconds)
    peak = v["peak"] * 1e12 * v["efficiency"] / 100           # FLOP/s one GPU delivers while it computes
    tokens = v["global_batch"]
    attn = 12 * L * s * h                                     # PaLM App. B: attention, forward and backward
    f_model = 6 * sh["active"] + attn                         # model FLOPs per token
    extra = 0
    if rc == "selective":
        extra = L * 4 * s * h                                 # the attention scores again, forward
    elif rc == "full":
        extra = L * (2 * sh["active_layer"] + 4 * s * h)      # every layer's forward again
    f_hw = f_model + extra
    imbalance = p * Ls / L
    compute = tokens * f_hw / (n * peak) * imbalance
    t_mb = compute / m
    bubble = t_mb * (p - 1) / vp
    nvlink, net = v["nvlink"] * 1e9, v["network"] * 1e9
    a_nvl, a_net = v["lat_nvlink"] * 1e-6, v["lat_network"] * 1e-6
    # tensor parallel: 4 all-reduce-equivalents of b·s·h 16-bit values per layer per micro-batch (6 with full
    # recompute), each a reduce-scatter + all-gather of t − 1 ring steps inside the node
    tp_each = 2 * (t - 1) / t * 2 * b * s * h / nvlink + 2 * (t - 1) * a_nvl
    tp_count = 4 + (2 if rc == "full" else 0)
    tp_time = m * Ls * tp_count * tp_each
    # rank order [TP, PP, DP]: a pipeline's stages sit t ranks apart, a data-parallel group's members t·p apart,
    # an expert group is a subset of the data-parallel group
    pp_cross = t * p > G
    pp_link, pp_lat = (net, a_net) if pp_cross else (nvlink, a_nvl)
    pp_time = m * 2 * vp * ((2 * b * s * h / t) / pp_link + pp_lat) if p > 1 else 0
    dp_nodes = span(d, t * p, G)
    dp_link = net if dp_nodes > 1 else nvlink
    lat = Ls * ring_latency(d, dp_nodes, a_nvl, a_net)    # one collective per layer (bucket), all layers
    params_loc = dense_loc + expert_loc
    ring = (d - 1) / d
    window_bwd = t_mb * 2 / 3                                 # backward of one micro-batch
    if z == 0:   # all-reduce of the accumulated gradients, once per step, behind the last backward
        dp_comm = 2 * ring * rb * params_loc / dp_link + 2 * lat
        dp_exposed = max(0, dp_comm - window_bwd)
    elif z == 1:  # reduce-scatter once per step; all-gather of the updated 16-bit weights behind the first forward
        rs = ring * rb * params_loc / dp_link + lat
        ag = ring * 2 * params_loc / dp_link + lat
        dp_comm = rs + ag
        dp_exposed = max(0, rs - window_bwd) + max(0, ag - t_mb / 3)
    elif z == 2:  # sharded gradients: a reduce-scatter after every micro-batch's backward (DeepSpeed #2252); it
        # runs on while the next micro-batch computes, except after the last one, which only its backward hides
        rs = ring * rb * params_loc / dp_link + lat
        ag = ring * 2 * params_loc / dp_link + lat
        dp_comm = m * rs + ag
        dp_exposed = (m - 1) * max(0, rs - t_mb) + max(0, rs - window_bwd) + max(0, ag - t_mb / 3)
    else:         # ZeRO-3: all-gather before forward and backward, reduce-scatter, every micro-batch
        per_mb = ring * (2 + 2 + rb) * params_loc / dp_link + 3 * lat
        dp_comm = m * per_mb
        dp_exposed = m * max(0, per_mb - t_mb)
    # expert parallel: 2 all-to-alls forward, 2 backward per MoE layer per micro-batch (2 more with full recompute,
    # whose forward dispatches again)
    ep_cross = span(ep, t * p, G) > 1
    ep_link, ep_lat = (net, a_net) if ep_cross else (nvlink, a_nvl)
    ep_count = 4 + (2 if rc == "full" else 0)
    ep_time = m * Ls * ep_count * ((ep - 1) / ep * 2 * b * s * v["top_k"] * h / t / ep_link + (ep - 1) * ep_lat) \
        if ep > 1 else 0
    opt_params = dense_loc / (d if z >= 1 else 1) + expert_loc / (de if z >= 1 else 1)
    opt_time = (OPT_BYTES + gb) * opt_params / (v["hbm"] * 1e9)
    step = compute + bubble + tp_time + pp_time + dp_exposed + ep_time + opt_time
    # conditions shown on the page
    threshold = ring * peak / dp_link                          # tokens per micro-batch that hide DP traffic
    tp_ratio = tp_count * tp_each / (b * s * (3 * 2 * sh["active_layer"] + 3 * 4 * s * h + (extra / L)) / t / peak) \
        if t > 1 else 0
    fits = total <= capacity
    out = {"ok": fits, "d": d, "m": m, "weights": weights, "grads": grads, "optimizer": optimizer,
           "activations": activations, "work": work, "total": total, "capacity": capacity,
           "headroom": capacity - total, "inflight": inflight, "act_layer": act_layer,
           "f_model": f_model, "f_hw": f_hw, "compute": compute, "imbalance": imbalance, "t_mb": t_mb,
           "bubble": bubble, "bubble_fraction": bubble / (compute + bubble), "t_tp": tp_time, "tp_ratio": tp_ratio,
           "t_pp": pp_time, "dp_nodes": dp_nodes, "dp_comm": dp_comm, "t_dp": dp_exposed, "dp_threshold": threshold,
           "t_ep": ep_time, "t_opt": opt_time, "step": step, "tokens_per_s": tokens / step,
           "mfu": tokens * f_model / (step * n * v["peak"] * 1e12),
           "tflops_hw": tokens * f_hw / (step * n) / 1e12, "days_per_t": 1e12 / (tokens / step) / 86400}
    if not fits:
        out["why"] = [["memory", total, capacity]]
    return out


def layouts(v: dict):
    """Every candidate layout, in a fixed order (the JS enumerates the same)."""
    G, L, E = int(v["gpus_per_node"]), int(v["layers"]), int(v["experts"])
    n = G * int(v["nodes"])
    for t in [x for x in range(1, G + 1) if G % x == 0]:
        for p in [x for x in range(1, L + 1) if n % (t * x) == 0]:
            d = n // (t * p)
            for ep in [x for x in range(1, E + 1) if E % x == 0 and d % x == 0]:
                for z in (0, 1, 2, 3):
                    if d == 1 and z > 0:
                        continue
                    for vp in INTERLEAVE:
                        if vp > 1 and p == 1:
                            continue
                        for b in MICRO_BATCHES:
                            for rc in RECOMPUTE:
                                yield {"tp": t, "pp": p, "vp": vp, "ep": ep, "zero": z, "micro_batch": b,
                                       "recompute": rc}


def ranked(v: dict) -> tuple[int, list[dict]]:
    """(layouts tried, every layout that fits, fastest first; ties: less memory, then enumeration order)."""
    tried, fits = 0, []
    for lay in layouts(v):
        tried += 1
        r = evaluate(v, lay)
        if r["ok"]:
            fits.append({"layout": lay, **r})
    fits.sort(key=lambda r: (r["step"], r["total"]))
    return tried, fits


def plan(v: dict) -> dict | None:
    """The fastest layouts that fit, with how many were tried and fit; None while an input is missing."""
    if not all(k in v for k in NEEDS):
        return None
    tried, fits = ranked(v)
    return {"tried": tried, "fit": len(fits), "top": fits[:TOP]}


def published(run_id: str, efficiency: float | None = None) -> dict:
    """A published run through the planner: the paper's model, cluster, batch and the layout it states. What the
    paper leaves open ("free" in scripts/planner.json, each with the values to try) is not filled with the
    planner's best pick: every combination is evaluated and the prediction is the range over those that fit in
    memory (over all of them, flagged, when none fits). "shown" is the first fitting combination in the order
    listed (the one the page's form opens with). Returns the values, the range, the ratios to the paper."""
    r = DATA["runs"][run_id]
    raw = defaults()
    for src in (DATA["models"][r["model"]]["values"], DATA["accelerators"][r["accelerator"]]["values"], r["values"]):
        raw.update({k: str(x) for k, x in src.items()})
    if efficiency is not None:
        raw["efficiency"] = str(efficiency)
    values, errors = validate(raw)
    fixed = {k: (r["values"][k] if k == "recompute" else int(r["values"][k])) for k in LAYOUT_KEYS if k in r["values"]}
    free = r.get("free", {})
    combos = [{}]
    for k, options in free.items():
        combos = [{**c, k: x} for c in combos for x in options]
    tried = []
    for c in combos:
        lay = {"vp": 1, **fixed, **c}
        res = evaluate(values, lay)
        if "step" in res:                          # possible (it may still not fit in memory)
            tried.append({"layout": lay, **res})
    fitting = [x for x in tried if x["ok"]]
    pool = fitting or tried
    metric, paper = r["published"]["metric"], r["published"]["value"]
    got = [x[metric] for x in pool]
    lo, hi = (min(got), max(got)) if got else (None, None)
    shown = pool[0] if pool else None
    return {"values": values, "errors": errors, "fixed": fixed, "tried": tried, "fits": bool(fitting),
            "shown": shown, "best": shown, "predicted": shown[metric] if shown else None, "lo": lo, "hi": hi,
            "published": paper, "ratio": shown[metric] / paper if shown else None,
            "ratio_lo": lo / paper if got else None, "ratio_hi": hi / paper if got else None,
            "band": r["published"]["band"]}


LAYOUT_KEYS = ("tp", "pp", "vp", "ep", "zero", "micro_batch", "recompute")


def inspect(v: dict) -> dict | None:
    """The layout typed in the "layout to inspect" fields, evaluated (None while any is empty or invalid)."""
    if not all(k in v for k in NEEDS) or not all(k in v for k in LAYOUT_KEYS):
        return None
    lay = {k: (v[k] if k == "recompute" else int(v[k])) for k in LAYOUT_KEYS}
    return evaluate(v, lay)


def run(raw_overrides: dict | None = None, **overrides) -> tuple[dict, dict, dict]:
    """(values, errors, plan) of the defaults with some inputs changed."""
    raw = defaults()
    raw.update({k: str(x) for k, x in {**(raw_overrides or {}), **overrides}.items()})
    values, errors = validate(raw)
    return values, errors, plan(values)
