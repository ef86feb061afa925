"""Python reference of the "Estimate your run" page (docs/estimate.md, docs/assets/estimate.js).

The inputs, limits, choices and presets are defined once, in scripts/estimate.json, which the page embeds. The
formulas are written twice, here and in the page's JS, in the same order of operations; tests/test_estimate.py
runs both on a grid of cases in a real browser and requires the same numbers and the same messages. Units: the
values are what the reader types (billions of parameters, GB, TFLOP/s, %); the outputs are in base units (FLOPs,
seconds, bytes, tokens/s).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

DATA = json.loads((Path(__file__).resolve().parent / "estimate.json").read_text(encoding="utf-8"))
FIELDS, CHOICES = DATA["fields"], DATA["choices"]
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

# Which inputs each calculator reads: an invalid one blanks that calculator only.
NEEDS = {
    "compute": ["n_params", "tokens", "layers", "hidden", "seq", "devices", "peak", "mfu", "price"],
    "memory": ["n_params", "layers", "hidden", "heads", "kv_heads", "ffn", "mlp", "vocab", "seq", "micro_batch",
               "devices", "tp", "pp", "memory", "precision", "optimizer", "zero", "checkpointing", "finetune",
               "lora_rank"],
    "inference": ["n_params", "layers", "hidden", "heads", "kv_heads", "context", "inf_devices", "memory",
                  "bandwidth", "usable", "weight_format", "kv_format"],
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


def validate(raw: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """(values, errors): numbers for the valid fields, a message per invalid field."""
    values, errors = {}, {}
    for key, f in FIELDS.items():
        text = str(raw.get(key, "")).strip()
        label, unit = f["label"], (" " + f["unit"] if f["unit"] else "")
        if text == "":
            errors[key] = f"{label}: enter a number."
            continue
        if not NUMBER.match(text):
            errors[key] = f"{label}: “{text}” is not a number (use digits, a decimal point, e.g. 1.5 or 2e3)."
            continue
        x = float(text)
        if f["int"] and not x.is_integer():
            errors[key] = f"{label}: must be a whole number, not {text}."
        elif x < f["min"]:
            errors[key] = f"{label}: must be at least {fmt(f['min'])}{unit}."
        elif x > f["max"]:
            errors[key] = f"{label}: at most {fmt(f['max'])}{unit}; {text} is beyond any real run."
        else:
            values[key] = x
    for key, c in CHOICES.items():
        values[key] = raw.get(key) if raw.get(key) in c["options"] else c["default"]

    def check(key, others, ok, message):
        if key in values and all(o in values for o in others) and not ok():
            errors[key] = f"{FIELDS[key]['label']}: {message}"
            del values[key]

    v = values
    check("heads", ["hidden"], lambda: v["hidden"] % v["heads"] == 0,
          f"{fmt(v.get('heads', 0))} heads do not divide the hidden size {fmt(v.get('hidden', 0))}.")
    check("kv_heads", ["heads"], lambda: v["heads"] % v["kv_heads"] == 0,
          f"{fmt(v.get('kv_heads', 0))} does not divide the {fmt(v.get('heads', 0))} attention heads.")
    for key in ("tp", "inf_devices"):
        check(key, ["heads", "kv_heads"], lambda: v["heads"] % v[key] == 0 and v["kv_heads"] % v[key] == 0,
              f"{fmt(v.get(key, 0))} does not divide both the {fmt(v.get('heads', 0))} attention heads and the "
              f"{fmt(v.get('kv_heads', 0))} key/value heads.")
    check("pp", ["layers"], lambda: v["layers"] % v["pp"] == 0,
          f"{fmt(v.get('pp', 0))} does not divide the {fmt(v.get('layers', 0))} layers.")
    check("devices", ["tp", "pp"], lambda: v["devices"] % (v["tp"] * v["pp"]) == 0,
          f"{fmt(v.get('devices', 0))} is not a multiple of t × p = {fmt(v.get('tp', 0) * v.get('pp', 0))}.")
    check("lora_rank", ["hidden"], lambda: v["lora_rank"] <= v["hidden"],
          f"{fmt(v.get('lora_rank', 0))} is larger than the hidden size {fmt(v.get('hidden', 0))}.")
    return values, errors


def estimate(v: dict) -> dict[str, dict[str, float]]:
    """The outputs of every calculator whose inputs are all valid."""
    out = {}
    ready = {name: all(k in v for k in needs) for name, needs in NEEDS.items()}
    if ready["compute"]:
        N, D = v["n_params"] * 1e9, v["tokens"] * 1e9
        dense = 6 * N * D                                              # Kaplan et al. 2020, §2.1
        attention = 6 * v["layers"] * v["seq"] * v["hidden"] * D       # 3 × the forward 2·L·n_ctx·d_attn per token
        flops = dense + attention
        seconds = flops / (v["devices"] * v["peak"] * 1e12 * (v["mfu"] / 100))
        device_hours = v["devices"] * seconds / 3600
        out["compute"] = {"flops_dense": dense, "flops_attention": attention, "flops": flops, "seconds": seconds,
                          "device_hours": device_hours, "cost": device_hours * v["price"]}
    if ready["memory"]:
        N, L, h, a = v["n_params"] * 1e9, v["layers"], v["hidden"], v["heads"]
        kv_dim = v["kv_heads"] * (h / a)
        r, t, p, s, b = v["lora_rank"], v["tp"], v["pp"], v["seq"], v["micro_batch"]
        dp = v["devices"] / (t * p)
        prec = CHOICES["precision"]["options"][v["precision"]]
        opt = CHOICES["optimizer"]["options"][v["optimizer"]]
        stage, mode = int(v["zero"]), v["finetune"]
        lora_params = L * r * ((h + h) + (h + kv_dim))                # A and B of the q and v projections
        trainable = N if mode == "full" else lora_params
        frozen = 0 if mode == "full" else N
        frozen_bytes = DATA["constants"]["nf4_bits"]["value"] / 8 if mode == "qlora" else prec["frozen"]
        if opt.get("factored"):   # Adafactor: a row and a column vector per matrix instead of the full second moment
            m = CHOICES["mlp"]["options"][v["mlp"]]["matrices"]
            if mode == "full":
                state_elems = L * (2 * (h + h) + 2 * (h + kv_dim) + m * (h + v["ffn"])) + (v["vocab"] + h)
            else:
                state_elems = L * ((r + h) + (h + r) + (r + h) + (kv_dim + r))
        else:
            state_elems = opt["states"] * trainable
        state_bytes = opt.get("state_bytes", prec["state"])
        model_split = t * p
        weights = (frozen * frozen_bytes + trainable * prec["weight"]) / model_split / (dp if stage >= 3 else 1)
        grads = trainable * prec["grad"] / model_split / (dp if stage >= 2 else 1)
        optimizer = (trainable * prec["master"] + state_elems * state_bytes) / model_split / (dp if stage >= 1 else 1)
        # Korthikanti et al. 2022, Table 2 (16-bit activations, sequence parallelism with t > 1); the first
        # pipeline stage of a 1F1B schedule holds p micro-batches of L/p layers = L layers' worth.
        ckpt = v["checkpointing"]
        if ckpt == "none":
            per_layer = s * b * h * (34 / t + 5 * a * s / (h * t))
        elif ckpt == "selective":
            per_layer = s * b * h * 34 / t
        else:
            per_layer = 2 * s * b * h
        activations = per_layer * L * prec["act_factor"]
        total = weights + grads + optimizer + activations
        out["memory"] = {"dp": dp, "trainable": trainable, "weights": weights, "grads": grads, "optimizer": optimizer,
                         "activations": activations, "total": total, "capacity": v["memory"] * 1e9,
                         "fraction": total / (v["memory"] * 1e9)}
    if ready["inference"]:
        N, n = v["n_params"] * 1e9, v["inf_devices"]
        kv_token = 2 * v["layers"] * v["kv_heads"] * (v["hidden"] / v["heads"]) * \
            CHOICES["kv_format"]["options"][v["kv_format"]]["bytes"]
        kv_request = kv_token * v["context"]
        weights = N * CHOICES["weight_format"]["options"][v["weight_format"]]["bytes"]
        usable = n * v["memory"] * 1e9 * (v["usable"] / 100)
        concurrent = max(0, math.floor((usable - weights) / kv_request))
        bandwidth = n * v["bandwidth"] * 1e9
        res = {f"weights_{k}": N * o["bytes"] for k, o in CHOICES["weight_format"]["options"].items()}
        res.update({"weights": weights, "kv_token": kv_token, "kv_request": kv_request, "usable": usable,
                    "concurrent": concurrent, "decode_single": bandwidth / (weights + kv_request),
                    "decode_batch": concurrent * bandwidth / (weights + concurrent * kv_request)})
        out["inference"] = res
    return out


def run(**overrides) -> tuple[dict, dict]:
    """estimate() of the defaults with some inputs changed: (outputs, errors)."""
    raw = defaults()
    raw.update({k: str(x) for k, x in overrides.items()})
    values, errors = validate(raw)
    return estimate(values), errors
