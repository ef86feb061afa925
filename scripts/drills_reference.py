"""Python reference of the practice page (docs/practice.md, docs/assets/practice.js): answers and grading.

The drills are defined once, in scripts/drills.yml. A numeric drill never types its answer: it names its inputs
(`given`) and a `compute` expression over the recorded notebook values (`nb.<notebook>.<value>`, read with
notebook_values.load_all), the registry of cited constants (`cited.<key>`, notebook_values.cited_values) and the
reference formulas below, which the chapters derive (the calculators' formulas in estimate_reference.py are the
same ones; tests/test_drills.py checks that they agree). answers() evaluates every drill at build time; the build
hook (scripts/mkdocs_hooks/drills.py) renders the questions with their worked solutions and embeds the answers.

The reader's estimate is read by parse() and graded by grade(); the page's JS does the same, with the same unit
table (UNITS, embedded in the page) and the same messages, and tests/test_drills_browser.py requires identical
results on every drill, in both languages. Units: answers are kept in base units (bytes, seconds, FLOPs, FLOP/s,
bytes/s, tokens/s, FLOP per byte, plain ratios and counts); a drill shows them in its display `unit`.
"""

from __future__ import annotations

import ast
import json
import math
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
import sys  # noqa: E402

sys.path.insert(0, str(HERE))
from notebook_values import cited_values, load_all, load_cited, render  # noqa: E402

DRILLS_FILE = HERE / "drills.yml"
LANGUAGES = ("en", "zh")


# ------------------------------------------------------------------------------------------ reference formulas
# Each is the formula a chapter derives; its docstring names the chapter and the primary source.

def kv_bytes_per_token(layers, kv_heads, head_dim, bytes_per_value):
    """KV cache per token: a key and a value vector per layer and KV head (inference.md, "The KV cache")."""
    return 2 * layers * kv_heads * head_dim * bytes_per_value


def train_flops(n_params, tokens):
    """Training compute 6·N·D (Kaplan et al. 2020, §2.1; large-models.md, "Compute")."""
    return 6 * n_params * tokens


def attention_train_flops(layers, seq, width, tokens):
    """PaLM's attention term, 12·L·s·d per training token (Chowdhery et al. 2022, App. B; large-models.md)."""
    return 12 * layers * seq * width * tokens


def infer_flops_per_token(n_params):
    """Inference compute 2·N per token (Kaplan et al. 2020, §2.1)."""
    return 2 * n_params


def run_seconds(flops, devices, peak_flops, mfu):
    """Wall-clock time = compute / (devices × peak × MFU) (large-models.md, "Time")."""
    return flops / (devices * peak_flops * mfu)


def implied_mfu(flops, device_hours, peak_flops):
    """MFU a reported run implies: useful FLOPs / (device-seconds × peak) (large-models.md; roofline.md, "MFU")."""
    return flops / (device_hours * 3600 * peak_flops)


def model_state_bytes(n_params, stage, dp, k=12):
    """Weights + gradients + optimizer state per device with mixed-precision Adam, 2 + 2 + K bytes per parameter,
    partitioned by ZeRO stage 0-3 over dp devices (Rajbhandari et al. 2019, §3.1 and Figure 1)."""
    weights, grads, states = 2 * n_params, 2 * n_params, k * n_params
    return (weights / (dp if stage >= 3 else 1) + grads / (dp if stage >= 2 else 1)
            + states / (dp if stage >= 1 else 1))


def weight_bytes(n_params, bits):
    """Weights alone at a number of bits per weight (inference.md; compression.md)."""
    return n_params * bits / 8


def decode_tokens_per_s(bandwidth_bytes_per_s, bytes_per_step):
    """Bandwidth ceiling of decoding: each step reads the weights and the cache once (inference.md, "Hardware")."""
    return bandwidth_bytes_per_s / bytes_per_step


def ridge_point(peak_flops, bandwidth_bytes_per_s):
    """Arithmetic intensity (FLOP per byte) where the roofline turns: peak / bandwidth (roofline.md)."""
    return peak_flops / bandwidth_bytes_per_s


def matmul_intensity(m, n, k, bytes_per_value):
    """FLOP per byte of an (m×k)·(k×n) product reading both inputs and writing the output once (roofline.md)."""
    return 2 * m * n * k / (bytes_per_value * (m * k + k * n + m * n))


def ring_allreduce_bytes(size_bytes, devices):
    """Bytes each device sends in a ring all-reduce: 2·(n−1)/n × G (parallel-training.md, "ring all-reduce")."""
    return 2 * (devices - 1) / devices * size_bytes


def bubble_fraction(stages, micro_batches):
    """Idle fraction of a GPipe or 1F1B pipeline, (p−1)/(m+p−1) (Huang et al. 2019; parallel-training.md)."""
    return (stages - 1) / (micro_batches + stages - 1)


def activation_bytes_per_layer(seq, batch, hidden, heads, score_bytes, tp=1):
    """16-bit activations of one Transformer layer, no recomputation: s·b·h·(34/t + k·a·s/(h·t)) (Korthikanti et
    al. 2022, Table 2; training-memory.md, "Activations"). The 34·s·b·h is their count for the rest of a GPT-style
    layer; k is what a written-out attention keeps per s×s score element: 5 bytes with attention dropout (softmax
    output 2, dropout mask 1, dropout output 2), 2 without it (the probabilities only, as in Llama), 0 with fused
    attention (the calculators' default)."""
    return seq * batch * hidden * (34 / tp + score_bytes * heads * seq / (hidden * tp))


def lora_params(layers, rank, hidden, kv_dim):
    """LoRA adapters of rank r on the query (h→h) and value (h→kv_dim) projections: L·r·((h+h) + (h+kv_dim))
    (Hu et al. 2021; training-memory.md, "LoRA and QLoRA"; the calculator counts the same)."""
    return layers * rank * ((hidden + hidden) + (hidden + kv_dim))


def accuracy_se(accuracy, n):
    """Standard error of an accuracy measured on n independent examples, √(p(1−p)/n) (evaluation.md)."""
    return math.sqrt(accuracy * (1 - accuracy) / n)


def llama_params(layers, hidden, ffn, vocab, kv_dim):
    """Parameters of a Llama-style decoder from its configuration: per layer q, o (h×h), k, v (h×kv_dim), a gated
    MLP (3·h·ffn) and two norms; input embedding, output layer and the final norm (large-models.md, "Parameters")."""
    return layers * (2 * hidden * hidden + 2 * hidden * kv_dim + 3 * hidden * ffn + 2 * hidden) + 2 * vocab * hidden + hidden


def requests_in_system(arrival_rate, seconds_inside):
    """Little's law, L = λ·W: the mean number of requests inside a stable system (Little 1961; serving.md)."""
    return arrival_rate * seconds_inside


def e2e_latency(ttft, tpot, tokens):
    """End-to-end latency of a streamed request: TTFT + (tokens − 1)·TPOT (serving.md, "What to measure")."""
    return ttft + (tokens - 1) * tpot


def grid_trainings(values_per_param, n_params, folds):
    """Trainings of a full grid search with k-fold cross-validation: values^params × folds (hyperparameters.md)."""
    return values_per_param ** n_params * folds


def halving_rounds(candidates, factor):
    """Rounds of successive halving until one candidate is left: 1 + ⌊log_factor(candidates)⌋ (scikit-learn's
    HalvingRandomSearchCV with enough resources; hyperparameters.md)."""
    rounds, n = 1, candidates
    while n >= factor:
        n //= factor
        rounds += 1
    return rounds


def decimal_digits(mantissa_bits):
    """Decimal digits a binary format carries: (stored mantissa bits + 1)·log10 2 (mixed-precision.md)."""
    return (mantissa_bits + 1) * math.log10(2)


FUNCTIONS = {f.__name__: f for f in (
    kv_bytes_per_token, train_flops, attention_train_flops, infer_flops_per_token, run_seconds, implied_mfu,
    model_state_bytes, weight_bytes, decode_tokens_per_s, ridge_point, matmul_intensity, ring_allreduce_bytes,
    bubble_fraction, activation_bytes_per_layer, lora_params, accuracy_se, decimal_digits, llama_params,
    grid_trainings, halving_rounds, requests_in_system, e2e_latency)}
FUNCTIONS.update(min=min, max=max, round=round, sqrt=math.sqrt, exp=math.exp, floor=math.floor)


# ------------------------------------------------------------------------------------------ the expressions
class Expr:
    """A `given` or `compute` expression: arithmetic over numbers, earlier givens, `cited.<key>`,
    `nb.<notebook>.<value>` and the FUNCTIONS above. Nothing else parses (no attribute of anything else, no
    subscripts, no strings)."""

    OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b, ast.FloorDiv: lambda a, b: a // b,
           ast.Mod: lambda a, b: a % b}

    def __init__(self, text: str, where: str):
        self.text, self.where = str(text), where
        try:
            self.tree = ast.parse(self.text, mode="eval").body
        except SyntaxError as err:
            raise ValueError(f"{where}: {self.text!r} is not an expression ({err.msg})") from None
        self.refs: list[tuple[str, ...]] = []     # ("cited", key) / ("nb", notebook, value)
        self.names: set[str] = set()
        self.calls: set[str] = set()
        self._scan(self.tree)

    def _scan(self, node):
        if isinstance(node, ast.Attribute):
            parts = []
            while isinstance(node, ast.Attribute):
                parts.insert(0, node.attr)
                node = node.value
            if not isinstance(node, ast.Name) or node.id not in ("cited", "nb") or \
                    len(parts) != (1 if node.id == "cited" else 2):
                raise ValueError(f"{self.where}: {self.text!r}: only cited.<key> and nb.<notebook>.<value>")
            self.refs.append((node.id, *parts))
        elif isinstance(node, ast.Name):
            if node.id in ("cited", "nb"):
                raise ValueError(f"{self.where}: {self.text!r}: {node.id} needs a key")
            self.names.add(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ValueError(f"{self.where}: {self.text!r}: unknown function (known: {', '.join(FUNCTIONS)})")
            self.calls.add(node.func.id)
            for a in node.args:
                self._scan(a)
        elif isinstance(node, ast.BinOp) and type(node.op) in self.OPS:
            self._scan(node.left)
            self._scan(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            self._scan(node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
                not isinstance(node.value, bool):
            pass
        else:
            raise ValueError(f"{self.where}: {self.text!r}: {type(node).__name__} is not allowed")

    def __call__(self, env: dict, values: dict):
        def ev(node):
            if isinstance(node, ast.Attribute):
                parts = []
                while isinstance(node, ast.Attribute):
                    parts.insert(0, node.attr)
                    node = node.value
                if node.id == "cited":
                    if parts[0] not in values["cited"]:
                        raise KeyError(f"{self.where}: scripts/cited_constants.yml has no constant {parts[0]!r}")
                    return values["cited"][parts[0]]
                nb, name = parts
                if nb not in values or name not in values[nb]:
                    raise KeyError(f"{self.where}: notebooks/{nb}.ipynb records no value {name!r}")
                return values[nb][name]
            if isinstance(node, ast.Name):
                if node.id not in env:
                    raise KeyError(f"{self.where}: {self.text!r}: {node.id!r} is not a given of this drill")
                return env[node.id]
            if isinstance(node, ast.Call):
                return FUNCTIONS[node.func.id](*[ev(a) for a in node.args])
            if isinstance(node, ast.BinOp):
                return self.OPS[type(node.op)](ev(node.left), ev(node.right))
            if isinstance(node, ast.UnaryOp):
                return -ev(node.operand)
            return node.value
        return ev(self.tree)


# ------------------------------------------------------------------------------------------ units
# Display units: the unit a question asks for. [kind, factor to the base unit, English label, Chinese label]
DISPLAY = {
    "B": ["bytes", 1, "bytes", "字节"], "KiB": ["bytes", 1024, "KiB", "KiB"], "MiB": ["bytes", 2 ** 20, "MiB", "MiB"],
    "GiB": ["bytes", 2 ** 30, "GiB", "GiB"], "MB": ["bytes", 1e6, "MB", "MB"], "GB": ["bytes", 1e9, "GB", "GB"],
    "TB": ["bytes", 1e12, "TB", "TB"],
    "s": ["time", 1, "s", "秒"], "ms": ["time", 1e-3, "ms", "毫秒"], "h": ["time", 3600, "hours", "小时"],
    "days": ["time", 86400, "days", "天"],
    "FLOPs": ["flops", 1, "FLOPs", "FLOPs"], "GFLOPs": ["flops", 1e9, "GFLOPs", "GFLOPs"],
    "TFLOP/s": ["flop_rate", 1e12, "TFLOP/s", "TFLOP/s"], "GFLOP/s": ["flop_rate", 1e9, "GFLOP/s", "GFLOP/s"],
    "GB/s": ["bandwidth", 1e9, "GB/s", "GB/s"],
    "tokens/s": ["token_rate", 1, "tokens/s", "词元/秒"],
    "FLOP/B": ["intensity", 1, "FLOP/byte", "FLOP/字节"],
    "x": ["ratio", 1, "×", "倍"], "%": ["ratio", 0.01, "%", "%"],
    "count": ["count", 1, "", ""], "params": ["count", 1, "parameters", "个参数"],
    "tokens": ["count", 1, "tokens", "个词元"], "GPU-h": ["count", 1, "GPU-hours", "GPU·小时"],
    "requests": ["count", 1, "requests", "个请求"], "digits": ["count", 1, "digits", "位有效数字"],
    "bits": ["count", 1, "bits", "位"], "plain": ["ratio", 1, "", ""],
}

MAGNITUDES = {"k": 1e3, "K": 1e3, "thousand": 1e3, "M": 1e6, "million": 1e6, "B": 1e9, "G": 1e9, "billion": 1e9,
              "T": 1e12, "trillion": 1e12, "千": 1e3, "万": 1e4, "百万": 1e6, "亿": 1e8, "十亿": 1e9, "万亿": 1e12}


def _units() -> dict[str, list]:
    """Every unit a reader may type: {text: [kind, factor]} (exact spelling; see UNITS_LOWER)."""
    u: dict[str, list] = {}

    def add(kind, factor, *names):
        for n in names:
            u[n] = [kind, factor]
    dec = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18, "Z": 1e21}
    binary = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50}
    for p, f in {**dec, **binary}.items():
        add("bytes", f, p + "B")
        add("bandwidth", f, p + "B/s")
    add("bytes", 1, "byte", "bytes", "字节")
    for p, f in dec.items():   # bits, spelled out ("Mb" is refused as ambiguous: see AMBIGUOUS_BITS)
        if p:
            add("bytes", f / 8, p + "bit", p + "bits")
            add("bandwidth", f / 8, p + "bit/s", p + "bits/s", p + "bps")
    for p, f in dec.items():
        add("flops", f, p + "FLOP", p + "FLOPs", p + "flop", p + "flops")
        add("flop_rate", f, p + "FLOP/s", p + "FLOPS", p + "FLOPs/s", p + "flop/s")
    add("time", 1, "s", "sec", "secs", "second", "seconds", "秒")
    add("time", 1e-3, "ms", "millisecond", "milliseconds", "毫秒")
    add("time", 1e-6, "us", "µs", "μs", "microsecond", "microseconds", "微秒")
    add("time", 60, "min", "mins", "minute", "minutes", "分钟")
    add("time", 3600, "h", "hr", "hrs", "hour", "hours", "小时", "个小时")
    add("time", 86400, "d", "day", "days", "天", "日")
    add("time", 7 * 86400, "wk", "week", "weeks", "周", "星期")
    add("time", 365 * 86400, "y", "yr", "yrs", "year", "years", "年")
    add("token_rate", 1, "tokens/s", "token/s", "tok/s", "词元/秒", "tokens per second")
    add("intensity", 1, "FLOP/B", "FLOP/byte", "FLOPs/byte", "FLOPs/B", "FLOP/字节")
    add("ratio", 1, "x", "×", "times", "倍")
    add("ratio", 0.01, "%", "percent", "per cent")
    add("count", 1, "params", "parameters", "parameter", "tokens", "token", "requests", "request", "GPU-hours",
        "GPU hours", "GPU-h", "device-hours", "digits", "digit", "images", "configurations", "bits", "bit", "比特", "trainings", "rounds", "micro-batches", "个", "个参数",
        "参数", "词元", "个词元", "个请求", "位", "次", "GPU·小时", "位有效数字")
    return u


UNITS = _units()


def _lower(units: dict) -> dict[str, list]:
    """Case-insensitive spellings that mean one thing only (so "kib" is KiB, but "mb" stays unknown if it could
    be two units)."""
    seen: dict[str, list] = {}
    for name, v in units.items():
        seen.setdefault(name.lower(), []).append(v)
    return {k: vs[0] for k, vs in seen.items() if all(v == vs[0] for v in vs)}


UNITS_LOWER = _lower(UNITS)
NUMBER = re.compile(r"^([+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[+-]?\.[0-9]+)"
                    r"(?:[eE]([+-]?[0-9]+)|\s*[x×*·]\s*10\s*\^\s*([+-]?[0-9]+)|\s*\^\s*([+-]?[0-9]+))?")
# Written exponents (the page's own "3.14 × 10²³"): mapped to ^23 before NFKC would turn them into plain digits.
SUPERSCRIPTS = re.compile("[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
FROM_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")
# What an estimate may start with and mean nothing more: ~40%, ≈ 0.5 MiB, about 230 hours, 约 9.6 天.
APPROX = re.compile(r"^(?:~|≈|±|about|approx\.?|approximately|around|roughly|大约|大概|约)\s*", re.I)
# A prefix and a lowercase b ("Mb", "Gb/s"): megabit or megabyte? Refused with a message, never guessed.
AMBIGUOUS_BITS = re.compile(r"^([kKmMgGtTpP])b(/s)?$")


# ------------------------------------------------------------------------------------------ data
@lru_cache(maxsize=1)
def load() -> dict:
    return yaml.safe_load(DRILLS_FILE.read_text(encoding="utf-8"))


def values() -> dict:
    """What a drill may read: English notebooks' recorded values and the cited constants."""
    vals = {k: v for k, v in load_all(ROOT / "notebooks").items() if "." not in k}
    vals["cited"] = cited_values()
    return vals


def numeric_drills(data: dict | None = None) -> list[dict]:
    """Every numeric drill, the interview steps included (with `topic` set)."""
    data = data or load()
    out = [dict(d, section="estimate") for d in data["estimate"]]
    for run in data["interview"]:
        out += [dict(s, section="interview", topic=run["id"], chapter=s.get("chapter", run["chapter"]))
                for s in run["steps"] if "compute" in s]
    return out


def evaluate(drill: dict, vals: dict) -> tuple[float, dict, list[tuple[str, ...]], set[str]]:
    """(answer in base units, the givens, the registry / notebook references, the functions called)."""
    env, refs, calls = {}, [], set()
    for name, text in (drill.get("given") or {}).items():
        e = Expr(text, f"scripts/drills.yml: {drill['id']}.given.{name}")
        env[name] = e(env, vals)
        refs += e.refs
        calls |= e.calls
    e = Expr(drill["compute"], f"scripts/drills.yml: {drill['id']}.compute")
    answer = float(e(env, vals))
    return answer, env, refs + e.refs, calls | e.calls


def answers(vals: dict | None = None) -> dict[str, float]:
    vals = vals or values()
    return {d["id"]: evaluate(d, vals)[0] for d in numeric_drills()}


# ------------------------------------------------------------------------------------------ parse and grade
def tr(template: str, **kw) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(kw[m.group(1)]), template)


def fmt1(x: float) -> str:
    """A ratio in a message: one decimal below 10, whole up to 1,000, "> 1,000" beyond; the same digits as the
    JS's fmt1 (rounding by floor(x + 0.5), never by a formatter's tie rule)."""
    if x >= 1000:
        return "> 1,000"
    n = math.floor(x * 10 + 0.5)
    if n >= 100:
        return f"{math.floor(x + 0.5):,}"
    return f"{n // 10}.{n % 10}"


def _lookup(text: str):
    return UNITS.get(text) or UNITS_LOWER.get(text.lower())


def parse(text: str, unit: str, lang: str = "en") -> dict:
    """The reader's estimate for a drill whose display unit is `unit`: {"value": base units} or {"error": message};
    a bare number also returns {"bare": the number as typed}, for grade()'s hint.

    A bare number is in the drill's unit. A magnitude (k, M, B, 万, 亿 ...) may precede a unit; standing alone it
    multiplies the base unit (bytes, FLOPs, seconds, a fraction), never the drill's prefixed unit, so "512k" in a
    KiB drill is 512,000 bytes and "140 G" in a GFLOPs drill 1.4·10¹¹ FLOPs. Units convert within their kind
    (bytes ↔ KiB ↔ MB ↔ Mbit, s ↔ h ↔ days, % ↔ ×). Accepted too: 2^19, 3 × 10^23 and the page's 3 × 10²³,
    7·10⁹, and a leading ~, ≈, ±, about or 约. A prefix with a lowercase b ("Mb") is refused as ambiguous."""
    T = load()["text"][lang]
    kind, factor = DISPLAY[unit][0], DISPLAY[unit][1]
    s = SUPERSCRIPTS.sub(lambda g: "^" + g.group(0).translate(FROM_SUPERSCRIPT), str(text))
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        return {"error": T["empty"]}
    body = APPROX.sub("", s, count=1)
    m = NUMBER.match(body)
    if not m:
        return {"error": tr(T["not_number"], text=s)}
    mantissa = m.group(1).replace(",", "")
    if m.group(4) and mantissa != "10":      # a power, 2^19 (10^n is read exactly, as 1e<n>)
        x = float(mantissa) ** int(m.group(4))
    else:
        exp = m.group(2) or m.group(3) or m.group(4) or "0"
        x = float(("1" if m.group(4) else mantissa) + "e" + exp)
    rest = body[m.end():].strip()
    if not math.isfinite(x) or x <= 0:
        return {"error": tr(T["not_positive"], text=s)}
    if not rest:
        return {"value": x * factor, "bare": s}
    amb = AMBIGUOUS_BITS.match(rest)
    if amb:
        prefix = amb.group(1) if amb.group(1) == "k" else amb.group(1).upper()
        tail = amb.group(2) or ""
        return {"error": tr(T["ambiguous_bits"], unit=rest, bytes=prefix + "B" + tail, bits=prefix + "bit" + tail)}
    found = _lookup(rest)
    if found and found[0] == kind:
        return {"value": x * found[1]}
    other = found
    for mag in sorted(MAGNITUDES, key=lambda k: (-len(k), k)):
        if rest.startswith(mag):
            tail = rest[len(mag):].strip()
            hit = _lookup(tail) if tail else [kind, 1]
            if hit and hit[0] == kind:
                return {"value": x * MAGNITUDES[mag] * hit[1]}
            other = other or hit
    if other:
        return {"error": tr(T["wrong_kind"], unit=rest, asked=T["kind_" + kind], given=T["kind_" + other[0]])}
    return {"error": tr(T["unknown_unit"], unit=rest)}


BANDS = (("close", 3), ("2x", 2), ("10x", 1), ("far", 0))


def grade(text: str, unit: str, answer: float, lang: str = "en") -> dict:
    """{"error": message} for bad entry (no grade), else {"band", "score", "ratio", "message"}; ratio = estimate /
    answer, and the band: within 10 % / within 2× / within 10× / further.

    A bare number is never silently re-read in another unit: if it is more than 10× off in the unit asked but
    within 2× read in the base unit (524288 in a KiB drill, 0.39 in a % drill, 9000 in an hours drill), the reader
    gets a message asking for the unit (“524288 bytes”, “0.39 ×”) and no grade. So "0.87" in a drill whose answer
    is 0.87 % is graded as 0.87 %, and "0.39" for 39 % is neither failed nor guessed."""
    p = parse(text, unit, lang)
    if "error" in p:
        return {"error": p["error"]}
    T = load()["text"][lang]
    r = p["value"] / answer
    off = max(r, 1 / r)
    band = "close" if abs(r - 1) <= 0.1 else "2x" if off <= 2 else "10x" if off <= 10 else "far"
    kind, factor = DISPLAY[unit][0], DISPLAY[unit][1]
    if "bare" in p and band == "far" and factor != 1:
        rb = p["value"] / factor / answer    # the same number read in the base unit (bytes, s, FLOPs, a fraction)
        if max(rb, 1 / rb) <= 2:
            return {"error": tr(T["bare_base"], text=p["bare"], unit=DISPLAY[unit][2 if lang == "en" else 3],
                                base=T["base_" + kind], sym=T["sym_" + kind])}
    score = dict(BANDS)[band]
    direction = "" if band == "close" else tr(T[("high" if r > 1 else "low") + ("_1000" if off >= 1000 else "")],
                                              ratio=fmt1(off))
    message = tr(T["band_" + band], direction=direction)
    return {"band": band, "score": score, "ratio": r, "message": message}


def calibration(ratios: list[float], lang: str = "en") -> dict:
    """The record's calibration: over the first estimate of each drill, the geometric mean of estimate / answer
    and the typical factor off (geometric mean of max(r, 1/r)); biased high above 1.25, low below 0.8."""
    T = load()["text"][lang]
    rs = [r for r in ratios if r > 0 and math.isfinite(r)]
    if not rs:
        return {"n": 0, "message": T["calib_none"]}
    logs = [math.log(r) for r in rs]
    gm = math.exp(sum(logs) / len(logs))
    spread = math.exp(sum(abs(x) for x in logs) / len(logs))
    bias = "high" if gm > 1.25 else "low" if gm < 0.8 else "even"
    message = tr(T["calib_" + bias], n=len(rs), gm=fmt1(gm) if gm >= 1 else fmt1(1 / gm), spread=fmt1(spread))
    return {"n": len(rs), "gm": gm, "spread": spread, "bias": bias, "message": message}


# ------------------------------------------------------------------------------------------ display
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def num(x, spec: str | None = None) -> str:
    """A number in a question or solution: a format spec if given (notebook_values.render, `sci` too); whole
    numbers with thousands separators; else 3 significant digits, × 10ⁿ beyond 10⁶ or below 10⁻³."""
    if spec and isinstance(x, float) and x.is_integer() and not re.search(r"\.\d|[eEfFgG%]", spec):
        x = int(x)   # 16896.0 with "," is 16,896, not 16,896.0
    if spec:   # a Python spec's exponent (2e+12) written as 2 × 10¹²
        return re.sub(r"(\d)e([+-])0*(\d+)", lambda m: f"{m[1]} × 10" + ("-" if m[2] == "-" else "").translate(
            SUPERSCRIPT) + m[3].translate(SUPERSCRIPT), render(x, spec))
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return render(float(f"{x:.3g}"), "sci")
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def quantity(base: float, unit: str, lang: str) -> str:
    """An answer in its display unit: `512 KiB`, `9.64 days`, `6.8×`, `44.5 %`."""
    v = base / DISPLAY[unit][1]
    label = DISPLAY[unit][2 if lang == "en" else 3]
    if unit == "x":
        return f"{num(v)}×" if lang == "en" else f"{num(v)} 倍"
    if unit == "%":
        return f"{num(v)} %"
    return f"{num(v)} {label}".strip()


def fill(template: str, env: dict, answer: float, unit: str, lang: str) -> str:
    """{name} / {name:spec} of a question or solution text: the drill's givens; {answer}: the answer in its unit."""
    def repl(m):
        name, spec = m.group(1), m.group(2)
        if name == "answer":
            return quantity(answer, unit, lang)
        if name not in env:
            raise KeyError(f"{{{name}}} is not a given of this drill")
        return num(env[name], spec)
    return re.sub(r"\{(\w+)(?::([^}]+))?\}", repl, template)


def sources(refs: list[tuple[str, ...]]) -> list[dict]:
    """Where the inputs come from: each cited constant once with its primary source, each notebook once."""
    reg = load_cited()["constants"]
    out, seen = [], set()
    for ref in refs:
        key = ref[:2]
        if key in seen:
            continue
        seen.add(key)
        if ref[0] == "cited":
            e = reg[ref[1]]
            out.append({"kind": "cited", "key": ref[1], "url": e["source"], "where": e.get("where", ""),
                        "en": e["what"], "zh": e.get("zh", e["what"])})
        else:
            out.append({"kind": "nb", "notebook": ref[1]})
    return out


def page_data(lang: str) -> dict:
    """What the page's JS reads: units, magnitudes, the display units, the messages of one language."""
    T = load()["text"][lang]
    return {"units": UNITS, "lower": UNITS_LOWER, "magnitudes": MAGNITUDES,
            "display": {k: v[:2] + [v[2 if lang == "en" else 3]] for k, v in DISPLAY.items()},
            "text": {k: v for k, v in T.items() if k in JS_TEXT}}


JS_TEXT = {"empty", "not_number", "not_positive", "wrong_kind", "unknown_unit", "ambiguous_bits", "bare_base",
           "base_bytes", "base_time", "base_flops", "base_flop_rate", "base_bandwidth", "base_ratio", "sym_bytes",
           "sym_time", "sym_flops", "sym_flop_rate", "sym_bandwidth", "sym_ratio", "high_1000", "low_1000",
           "high", "low", "band_close",
           "band_2x", "band_10x", "band_far", "calib_none", "calib_high", "calib_low", "calib_even", "right", "wrong",
           "choose", "score", "cleared", "revise_none", "self_got", "self_partly", "self_missed", "self_recorded",
           "kind_bytes", "kind_time", "kind_flops", "kind_flop_rate", "kind_bandwidth", "kind_token_rate",
           "kind_intensity", "kind_ratio", "kind_count", "nothing_yet", "chapter_sep", "drill_count"}


if __name__ == "__main__":   # the answers, for a quick look
    print(json.dumps(answers(), indent=1))
