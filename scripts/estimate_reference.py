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
from notebook_values import cited_values  # noqa: E402


def resolve(x, cited: dict):
    """Every {"cited": key[, "times": factor]} in the JSON replaced by the registry's number (times the factor,
    to 12 significant digits so 3.35 × 1000 is 3350; a whole number as an int, so the page shows 3350, not
    3350.0). An unknown key is an error naming it."""
    if isinstance(x, dict) and "cited" in x:
        if x["cited"] not in cited:
            raise KeyError(f"scripts/estimate.json: no constant {x['cited']!r} in scripts/cited_constants.yml")
        v = float(f"{cited[x['cited']] * x.get('times', 1):.12g}")
        return int(v) if v.is_integer() else v
    if isinstance(x, dict):
        return {k: resolve(y, cited) for k, y in x.items()}
    if isinstance(x, list):
        return [resolve(y, cited) for y in x]
    return x


def load(path: Path = HERE / "estimate.json") -> dict:
    """scripts/estimate.json with its references to the cited constants resolved."""
    return resolve(json.loads(path.read_text(encoding="utf-8")), cited_values())


DATA = load()
FIELDS, CHOICES = DATA["fields"], DATA["choices"]
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


def validate(raw: dict[str, str], lang: str = "en") -> tuple[dict, dict[str, str]]:
    """(values, errors): numbers for the valid fields, a message per invalid field, in the page's language."""
    values, errors = {}, {}
    data = localized(DATA, lang)
    T = data["text"]
    for key, f in data["fields"].items():
        text = str(raw.get(key, "")).strip()
        label, unit = f["label"], (" " + f["unit"] if f["unit"] else "")
        if text == "":
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

    def check(key, others, ok, name, **args):
        if key in values and all(o in values for o in others) and not ok():
            message = tr(T[name], **{k: fmt(values.get(x, 0) if isinstance(x, str) else x(values))
                                     for k, x in args.items()})
            errors[key] = tr(T["invalid"], label=data["fields"][key]["label"], message=message)
            del values[key]

    v = values
    check("heads", ["hidden"], lambda: v["hidden"] % v["heads"] == 0, "heads", a="heads", b="hidden")
    check("kv_heads", ["heads"], lambda: v["heads"] % v["kv_heads"] == 0, "kv_heads", a="kv_heads", b="heads")
    for key in ("tp", "inf_devices"):
        check(key, ["heads", "kv_heads"], lambda: v["heads"] % v[key] == 0 and v["kv_heads"] % v[key] == 0,
              "split", a=key, b="heads", c="kv_heads")
    check("pp", ["layers"], lambda: v["layers"] % v["pp"] == 0, "pp", a="pp", b="layers")
    check("devices", ["tp", "pp"], lambda: v["devices"] % (v["tp"] * v["pp"]) == 0, "devices", a="devices",
          b=lambda w: w.get("tp", 0) * w.get("pp", 0))
    check("lora_rank", ["hidden"], lambda: v["lora_rank"] <= v["hidden"], "lora_rank", a="lora_rank", b="hidden")
    return values, errors


def estimate(v: dict) -> dict[str, dict[str, float]]:
    """The outputs of every calculator whose inputs are all valid."""
    out = {}
    ready = {name: all(k in v for k in needs) for name, needs in NEEDS.items()}
    if ready["compute"]:
        N, D = v["n_params"] * 1e9, v["tokens"] * 1e9
        dense = 6 * N * D                                              # Kaplan et al. 2020, §2.1
        attention = 12 * v["layers"] * v["seq"] * v["hidden"] * D      # PaLM, App. B: 12·L·H·Q·T per token (H·Q = h)
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
