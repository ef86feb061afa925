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
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from notebook_values import cited_values  # noqa: E402

LANGUAGES = ("en", "zh")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
MICRO_BATCHES = (1, 2, 4, 8)
INTERLEAVE = (1, 2, 4)
RECOMPUTE = ("none", "selective", "full")
OPT_BYTES = 28   # Adam step: read bf16 grad + fp32 master, m, v (2 + 12), write them and the bf16 weight (12 + 2)
TOP = 5


def resolve(x, cited: dict):
    """Every {"cited": key[, "times": f]} replaced by the registry's number (times f, to 12 significant digits; a
    whole number as an int). An unknown key is an error naming it."""
    if isinstance(x, dict) and "cited" in x:
        if x["cited"] not in cited:
            raise KeyError(f"scripts/planner.json: no constant {x['cited']!r} in scripts/cited_constants.yml")
        v = float(f"{cited[x['cited']] * x.get('times', 1):.12g}")
        return int(v) if v.is_integer() else v
    if isinstance(x, dict):
        return {k: resolve(y, cited) for k, y in x.items()}
    if isinstance(x, list):
        return [resolve(y, cited) for y in x]
    return x


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


def tr(template: str, **values) -> str:
    """A message from its template: {name} replaced (the JS's tr() does the same)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), template)


def fmt(x: float) -> str:
    """A number in a message: 4,096 or 0.000001 (the JS uses Intl.NumberFormat('en-US') to the same effect)."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


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
    for key, f in data["fields"].items():
        text = str(raw.get(key, "")).strip()
        label, unit = f["label"], (" " + f["unit"] if f["unit"] else "")
        if text == "":
            if f.get("optional"):
                continue
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
    for key, c in CHOICES.items():
        values[key] = raw.get(key) if raw.get(key) in c["options"] else c["default"]

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
CLUSTER = ["peak", "memory", "hbm", "gpus_per_node", "nodes", "nvlink", "network"]
TRAINING = ["global_batch", "seq", "efficiency", "usable"]
NEEDS = MODEL + CLUSTER + TRAINING


def evaluate(v: dict, lay: dict) -> dict:
    """One layout: {"ok": False, "why": [reasons]} if it is impossible or does not fit, else its memory and time
    terms. lay = {"tp", "pp", "vp", "ep", "zero", "micro_batch", "recompute"}."""
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
    # ---- memory per GPU (bytes), first pipeline stage (it holds the embedding and the most micro-batches)
    dense_loc = (Ls * sh["dense_layer"] + sh["emb"]) / t
    expert_loc = Ls * sh["expert_layer"] / (ep * t)
    weights = 2 * (dense_loc / (d if z >= 3 else 1) + expert_loc / (de if z >= 3 else 1))
    grads = 2 * (dense_loc / (d if z >= 2 else 1) + expert_loc / (de if z >= 2 else 1))
    optimizer = 12 * (dense_loc / (d if z >= 1 else 1) + expert_loc / (de if z >= 1 else 1))
    inner = CHOICES["mlp"]["options"][v["mlp"]]["act"] * v["ffn"] * (v["top_k"] if E > 1 else 1)
    per_token = 12 * h + 4 * kvd + inner + (2 * h if dropout else 0)      # bytes per token per layer, 16-bit
    core = (5 if dropout else 2) * a * s                                  # the s × s scores per token per layer
    if rc == "none":
        act_layer = s * b * (per_token + core) / t
    elif rc == "selective":
        act_layer = s * b * per_token / t
    else:
        act_layer = 2 * s * b * h
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
    if total > capacity:
        return {"ok": False, "why": [["memory", total, capacity]], "total": total, "capacity": capacity}

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
    # tensor parallel: 4 collectives of b·s·h 16-bit values per layer per micro-batch (6 with full recompute)
    tp_each = 2 * (t - 1) / t * 2 * b * s * h / nvlink
    tp_count = 4 + (2 if rc == "full" else 0)
    tp_time = m * Ls * tp_count * tp_each
    # pipeline: activations forward and gradients backward at each stage boundary, v times per micro-batch
    pp_link = nvlink if t * p <= G else net
    pp_time = m * 2 * vp * (2 * b * s * h / t) / pp_link if p > 1 else 0
    # data parallel over the network unless the whole replica group sits in one node
    dp_link = nvlink if n <= G else net
    grad_bytes = 2 * (dense_loc + expert_loc)
    ring = (d - 1) / d
    window_bwd = t_mb * 2 / 3                                 # backward of the last micro-batch
    if z <= 2:
        rs = ring * grad_bytes / dp_link                      # reduce-scatter half of the all-reduce
        ag = ring * grad_bytes / dp_link                      # all-gather half (after the step with ZeRO 1/2)
        if z == 0:
            dp_comm = rs + ag
            dp_exposed = max(0, dp_comm - window_bwd)
        else:
            dp_comm = rs + ag
            dp_exposed = max(0, rs - window_bwd) + max(0, ag - t_mb / 3)
    else:
        per_mb = 3 * ring * grad_bytes / dp_link              # all-gather forward, all-gather backward, reduce-scatter
        dp_comm = m * per_mb
        dp_exposed = m * max(0, per_mb - t_mb)
    # expert parallel: 2 all-to-alls forward, 2 backward per MoE layer per micro-batch
    ep_link = nvlink if ep * t <= G else net
    ep_time = m * Ls * 4 * (ep - 1) / ep * 2 * b * s * v["top_k"] * h / t / ep_link if ep > 1 else 0
    opt_params = dense_loc / (d if z >= 1 else 1) + expert_loc / (de if z >= 1 else 1)
    opt_time = OPT_BYTES * opt_params / (v["hbm"] * 1e9)
    step = compute + bubble + tp_time + pp_time + dp_exposed + ep_time + opt_time
    # conditions shown on the page
    threshold = ring * peak / dp_link                          # tokens per micro-batch that hide DP traffic
    tp_ratio = tp_count * tp_each / (b * s * (3 * 2 * sh["active_layer"] + 3 * 4 * s * h + (extra / L)) / t / peak) \
        if t > 1 else 0
    return {"ok": True, "d": d, "m": m, "weights": weights, "grads": grads, "optimizer": optimizer,
            "activations": activations, "work": work, "total": total, "capacity": capacity,
            "headroom": capacity - total, "inflight": inflight, "act_layer": act_layer,
            "f_model": f_model, "f_hw": f_hw, "compute": compute, "imbalance": imbalance, "t_mb": t_mb,
            "bubble": bubble, "bubble_fraction": bubble / (compute + bubble), "t_tp": tp_time, "tp_ratio": tp_ratio,
            "t_pp": pp_time, "dp_comm": dp_comm, "t_dp": dp_exposed, "dp_threshold": threshold, "t_ep": ep_time,
            "t_opt": opt_time, "step": step, "tokens_per_s": tokens / step,
            "mfu": tokens * f_model / (step * n * v["peak"] * 1e12),
            "tflops_hw": tokens * f_hw / (step * n) / 1e12, "days_per_t": 1e12 / (tokens / step) / 86400}


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
    """A published run through the planner: the paper's model, cluster, batch and the layout it states; what it
    leaves unstated ("free" in scripts/planner.json: micro-batch, interleaving) is the planner's fastest choice
    that fits. Returns the values, the layout's result (or why it is infeasible) and the ratio to the paper."""
    r = DATA["runs"][run_id]
    raw = defaults()
    for src in (DATA["models"][r["model"]]["values"], DATA["accelerators"][r["accelerator"]]["values"], r["values"]):
        raw.update({k: str(x) for k, x in src.items()})
    if efficiency is not None:
        raw["efficiency"] = str(efficiency)
    values, errors = validate(raw)
    fixed = {k: (r["values"][k] if k == "recompute" else int(r["values"][k])) for k in LAYOUT_KEYS if k in r["values"]}
    _, fits = ranked(values)
    match = [x for x in fits if all(x["layout"][k] == fixed[k] for k in fixed)]
    best = match[0] if match else None
    got = best[r["published"]["metric"]] if best else None
    return {"values": values, "errors": errors, "fixed": fixed, "best": best, "predicted": got,
            "published": r["published"]["value"], "ratio": got / r["published"]["value"] if best else None}


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
