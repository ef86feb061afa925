"""The practice page's drills (scripts/drills.yml, scripts/drills_reference.py): breadth in both languages, every
answer computed and traced to its inputs, the reference formulas against the calculators and published figures,
the passages against the source material, and the parser and grader on good and bad input.

The page's JS is checked against this reference in the browser (test_drills_browser.py)."""

from __future__ import annotations

import ast
import copy
import gzip
import html
import json
import math
import re
import sqlite3
import warnings
import zipfile

import pytest
import yaml
from conftest import ROOT, glossary_avoid_rules
from markdown.extensions.toc import slugify

import drills_reference as ref
import estimate_reference as est

DATA = ref.load()
VALUES = ref.values()
NUMERIC = ref.numeric_drills()
ALL_IDS = [d["id"] for d in DATA["estimate"]] + [d["id"] for d in DATA["spot"]] + \
    [s["id"] for run in DATA["interview"] for s in run["steps"]]
SEEDS = ROOT.parent / "shared" / "seeds"
HAN = re.compile(r"[\u4e00-\u9fff]")


def chapters_in_nav() -> list[str]:
    nav = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)["nav"]
    chapters = next(x["Chapters"] for x in nav if isinstance(x, dict) and "Chapters" in x)
    return [next(iter(c.values())).removesuffix(".md") for c in chapters]


def anchors(slug: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", (ROOT / "docs" / f"{slug}.md").read_text(encoding="utf-8"), flags=re.M | re.S)
    out = set()
    for line in re.findall(r"^#{2,6} .*$", text, re.M):
        m = re.search(r"\{#([\w-]+)\}\s*$", line)
        out.add(m.group(1) if m else slugify(re.sub(r"[`*_]", "", line.lstrip("#").strip()), "-"))
    return out


def drill_texts(lang: str):
    """(drill id, field, text) of every string a reader sees in one language (quotes of the seeds excepted)."""
    for d in DATA["estimate"]:
        yield from ((d["id"], k, v) for k, v in d[lang].items())
    for d in DATA["spot"]:
        L = d[lang]
        yield d["id"], "explain", L["explain"]
        yield from ((d["id"], f"option {i}", o) for i, o in enumerate(L["options"]))
        if lang == "en":
            yield d["id"], "rendering", L["rendering"]
    for run in DATA["interview"]:
        yield from ((run["id"], k, v) for k, v in run[lang].items())
        for s in run["steps"]:
            L = s[lang]
            yield from ((s["id"], k, v) for k, v in L.items() if isinstance(v, str))
            yield from ((s["id"], "rubric", r) for r in L.get("rubric", []))


# ------------------------------------------------------------------------------------------ breadth
def test_at_least_80_drills_in_each_language_all_ids_unique():
    assert len(ALL_IDS) == len(set(ALL_IDS)) >= 80
    for lang in ref.LANGUAGES:
        per_lang = [i for i, f, _ in drill_texts(lang) if f in ("q", "explain")]
        assert len(set(per_lang)) == len(ALL_IDS), lang
    assert len(DATA["estimate"]) >= 30 and len(DATA["spot"]) >= 20


def test_every_chapter_is_represented_and_every_link_resolves():
    used = {}
    for d in NUMERIC + DATA["spot"] + [dict(s, chapter=s.get("chapter", r["chapter"])) for r in DATA["interview"]
                                       for s in r["steps"]]:
        slug, _, anchor = d["chapter"].partition("#")
        used.setdefault(slug, 0)
        used[slug] += 1
        assert (ROOT / "docs" / f"{slug}.md").is_file(), d["id"]
        assert anchor in anchors(slug), f"{d['id']}: docs/{slug}.md has no heading #{anchor}"
    missing = [c for c in chapters_in_nav() if c not in used]
    assert not missing, f"chapters without a drill: {missing}"


def test_six_interview_topics_with_follow_ups_and_an_open_question():
    topics = [run["id"] for run in DATA["interview"]]
    assert topics == ["memory", "inference-cost", "parallelism", "mixed-precision", "quantization", "measuring-cost"]
    for run in DATA["interview"]:
        steps = run["steps"]
        assert 5 <= len(steps) <= 8, run["id"]
        numeric = [s for s in steps if "compute" in s]
        opened = [s for s in steps if "compute" not in s]
        assert len(numeric) >= 3 and opened, run["id"]
        for s in opened:
            assert all(len(s[lang]["rubric"]) >= 2 for lang in ref.LANGUAGES), s["id"]
        answers = [ref.evaluate(dict(s, chapter=run["chapter"]), VALUES)[0] for s in numeric]
        # a follow-up changes something: no two consecutive numeric steps give the same answer in the same unit
        for (a, s), (b, t) in zip(zip(answers, numeric), zip(answers[1:], numeric[1:])):
            assert not (a == b and s["unit"] == t["unit"]), (s["id"], t["id"])


# ------------------------------------------------------------------------------------------ answers: computed
@pytest.mark.parametrize("drill", NUMERIC, ids=lambda d: d["id"])
def test_answer_is_computed_and_traced(drill):
    assert "compute" in drill and "answer" not in drill, "a numeric drill declares `compute`, never an answer"
    tree = ast.parse(str(drill["compute"]), mode="eval").body
    assert not isinstance(tree, ast.Constant), "a literal is not a computation"
    answer, env, refs, calls = ref.evaluate(drill, VALUES)
    assert refs or calls, "the answer must read a notebook value, a cited constant or a reference formula"
    assert math.isfinite(answer) and answer > 0
    for lang in ref.LANGUAGES:   # the solution shows the computed answer, and every placeholder is a given
        assert "{answer}" in drill[lang]["work"], lang
        text = ref.fill(drill[lang]["work"], env, answer, drill["unit"], lang)
        assert ref.quantity(answer, drill["unit"], lang) in text
        ref.fill(drill[lang]["q"], env, answer, drill["unit"], lang)
        assert "{answer}" not in drill[lang]["q"], "the question must not give the answer away"
    moved = []   # the answer follows its inputs: change a notebook value or constant it reads, and it moves
    for r in sorted(set(refs)):   # (some only set the scene, e.g. the 1F1B count next to GPipe's; some cancel)
        bumped = copy.deepcopy(VALUES)
        if r[0] == "cited":
            bumped["cited"][r[1]] *= 1.01
        else:
            bumped[r[1]][r[2]] *= 1.01
        moved.append(ref.evaluate(drill, bumped)[0] != answer)
    assert not refs or any(moved), f"{drill['id']} depends on none of {refs}"


def test_no_typed_answer_anywhere():
    """No drill carries an answer-like key, and no given is the answer itself typed as a number."""
    answers = ref.answers(VALUES)
    for d in NUMERIC:
        assert not {"answer", "value", "result"} & set(d), d["id"]
        for name, text in (d.get("given") or {}).items():
            try:
                typed = float(text)
            except ValueError:
                continue
            assert not math.isclose(typed, answers[d["id"]], rel_tol=1e-9), f"{d['id']}.given.{name} is the answer"


def test_unknown_references_fail_naming_the_drill():
    bad = {"id": "x", "unit": "B", "compute": "cited.no_such_key * 2", "chapter": "inference"}
    with pytest.raises(KeyError, match="no_such_key"):
        ref.evaluate(bad, VALUES)
    with pytest.raises(ValueError, match="not allowed|unknown function"):
        ref.evaluate(dict(bad, compute="__import__('os')"), VALUES)


# ------------------------------------------------------------------------------------------ against published figures
def answer_of(drill_id: str) -> float:
    return next(ref.evaluate(d, VALUES)[0] for d in NUMERIC if d["id"] == drill_id)


def sig(x: float, digits: int) -> float:
    return float(f"{x:.{digits - 1}e}")


def test_answers_reproduce_published_figures_and_recorded_values():
    cited = VALUES["cited"]
    assert sig(answer_of("gpt3-training-flops"), 3) == cited["gpt3_training_flops"]     # GPT-3, Table D.1
    assert sig(answer_of("zero1-example") / 1e9, 3) == cited["zero_stage1_gb"]         # ZeRO, Figure 1
    assert sig(answer_of("par-zero3-64") / 1e9, 2) == cited["zero_stage3_gb"]
    assert answer_of("kv-llama2-7b") == 512 * 1024                                      # the calculators' check
    assert answer_of("concurrent-7b-80gb") == 30                                        # docs/inference.md
    assert answer_of("bf16-digits") == pytest.approx(VALUES["amp"]["digits_bf16"], rel=1e-3)
    assert answer_of("mp-fp16-digits") == pytest.approx(VALUES["amp"]["digits_fp16"], rel=1e-3)
    assert answer_of("nf4-bits") == pytest.approx(VALUES["llm_finetuning"]["nf4_bits"], rel=1e-9)
    assert answer_of("tm-notebook-states") == pytest.approx(
        sum(VALUES["training_memory"][k] for k in ("weights_mib", "grads_mib", "adam_mib")) * 2**20, rel=1e-3)


def test_reference_formulas_are_the_calculators():
    """The drills' formulas and estimate_reference.py's give the same numbers for the same inputs."""
    for name, preset in est.DATA["models"].items():
        v = preset["values"]
        if not all(isinstance(v.get(k), (int, float)) for k in ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab")):
            continue
        out, errors = est.run(**v, kv_format="fp16", inf_devices=1)
        assert not errors, (name, errors)
        hd = v.get("head_dim") or v["hidden"] / v["heads"]
        assert ref.kv_bytes_per_token(v["layers"], v["kv_heads"], hd, 2) == out["inference"]["kv_token"], name
        if v["heads"] * hd != v["hidden"] or v.get("experts", 1) > 1:   # PaLM's narrower attention, mixtures of
            continue                                                      # experts: no drill uses such a shape
        lora = ref.lora_params(v["layers"], 16, v["hidden"], v["kv_heads"] * hd)
        out_lora, _ = est.run(**v, finetune="lora", lora_rank=16, lora_targets="qv")
        assert lora == out_lora["memory"]["trainable"], name
        out_c, _ = est.run(**v)
        D = float(v.get("tokens", est.defaults()["tokens"])) * 1e9
        seq = float(v.get("seq", est.defaults()["seq"]))
        # the calculator counts the weights that enter a matrix product: an untied input embedding is a lookup
        in_matmuls = v["n_params"] * 1e9 - (0 if v["tied"] == "tied" else v["vocab"] * v["hidden"])
        assert ref.train_flops(in_matmuls, D) == pytest.approx(out_c["compute"]["flops_dense"], rel=1e-12)
        assert ref.attention_train_flops(v["layers"], seq, v["hidden"], D) == \
            pytest.approx(out_c["compute"]["flops_attention"], rel=1e-12)
    v = est.DATA["models"]["llama2-7b"]["values"]
    assert ref.llama_params(v["layers"], v["hidden"], v["ffn"], v["vocab"], v["hidden"]) == round(v["n_params"] * 1e9)
    v = est.DATA["models"]["llama2-70b"]["values"]
    kv = v["kv_heads"] * v["hidden"] // v["heads"]
    assert ref.llama_params(v["layers"], v["hidden"], v["ffn"], v["vocab"], kv) == round(v["n_params"] * 1e9)
    for stage in range(4):
        out, _ = est.run(n_params=7.5, devices=64, tp=1, pp=1, precision="amp", optimizer="adamw", zero=stage,
                         finetune="full")
        m = out["memory"]
        assert ref.model_state_bytes(7.5e9, stage, 64) == pytest.approx(m["weights"] + m["grads"] + m["optimizer"])


# ------------------------------------------------------------------------------------------ spot the error
@pytest.mark.parametrize("drill", DATA["spot"], ids=lambda d: d["id"])
def test_passage_is_quoted_verbatim_with_its_options(drill):
    if not SEEDS.is_dir():
        pytest.skip("the source material (../shared/seeds) is not next to this checkout")
    (seed,) = SEEDS.glob(f"{drill['seed']}_*.txt")
    assert drill["quote"] in seed.read_text(encoding="utf-8"), f"{drill['id']}: not a verbatim quote of {seed.name}"
    n = len(drill["en"]["options"])
    assert n >= 3 and len(drill["zh"]["options"]) == n
    assert drill["answer"] == "none" or (isinstance(drill["answer"], int) and 0 <= drill["answer"] < n)


def test_some_passages_are_right_and_retracted_corrections_are_not_errors():
    right = [d["id"] for d in DATA["spot"] if d["answer"] == "none"]
    assert len(right) >= 4
    positions = {d["answer"] for d in DATA["spot"] if d["answer"] != "none"}
    assert len(positions) >= 3, "the fault is not always the same option"
    for d in DATA["spot"]:
        if "蒸馏" in d["quote"] and "小型模型对大型模型" in d["quote"]:   # seed 002's wording is not reversed
            assert d["answer"] == "none", d["id"]
        assert "内存溢出" not in d["quote"] or d["answer"] == "none", d["id"]   # everyday word for OOM


# ------------------------------------------------------------------------------------------ languages
def test_chinese_texts_are_chinese_and_use_the_glossary_terms():
    rules = glossary_avoid_rules()   # the same rules the Chinese pages and notebooks are checked against
    assert rules
    problems = []
    for i, field, text in drill_texts("zh"):
        if not HAN.search(text) and re.search(r"[a-z]{3,} [a-z]{3,}", text):
            problems.append(f"{i}.{field}: untranslated: {text[:60]!r}")
        problems += [f"{i}.{field}: {m.group(0)!r} ({why}; the glossary says {good})"
                     for rx, good, why in rules for m in [rx.search(text)] if m]
    for key, text in DATA["text"]["zh"].items():
        problems += [f"text.{key}: {m.group(0)!r}" for rx, _, _ in rules for m in [rx.search(text)] if m]
    assert not problems, "\n".join(problems)
    assert not [f"{i}.{f}" for i, f, t in drill_texts("en") if HAN.search(re.sub("“[^”]*”", "", t))]
    assert DATA["text"]["en"].keys() == DATA["text"]["zh"].keys()


# ------------------------------------------------------------------------------------------ parse and grade
@pytest.mark.parametrize("text,unit,base", [
    ("512 KiB", "KiB", 512 * 1024), ("512", "KiB", 512 * 1024), ("0.5 MiB", "KiB", 2**19), ("512 kib", "KiB", 512 * 1024),
    ("3e23", "FLOPs", 3e23), ("3.1E+23 FLOPs", "FLOPs", 3.1e23), ("3 × 10^23", "FLOPs", 3e23), ("314 ZFLOP", "FLOPs", 3.14e23),
    ("2.5 h", "h", 9000), ("2.5", "h", 9000), ("10 days", "h", 864000), ("2.5k h", "h", 9e6), ("9 天", "days", 9 * 86400),
    ("２．５ ｈ", "h", 9000), ("40%", "%", 0.4), ("40", "%", 0.4), ("0.4x", "%", 0.4), ("6.8×", "x", 6.8), ("7 倍", "x", 7),
    ("7B", "params", 7e9), ("8.4M params", "params", 8.4e6), ("3 亿", "params", 3e8), ("1,000 tokens/s", "tokens/s", 1000),
    ("295 FLOP/byte", "FLOP/B", 295), ("112 GB", "GB", 112e9), ("104 GiB", "GB", 104 * 2**30), ("4.25 bits", "bits", 4.25),
    # the page's own notation and common estimate spellings
    ("3 × 10²³", "FLOPs", 3e23), ("3.14 × 10²³ FLOPs", "FLOPs", 3.14e23), ("7·10⁹", "params", 7e9),
    ("6·10⁻⁸", "s", 6e-8), ("2^19 bytes", "KiB", 2**19), ("10^23", "FLOPs", 1e23), ("~40%", "%", 0.4),
    ("≈ 0.5 MiB", "KiB", 2**19), ("about 230 hours", "h", 230 * 3600), ("约 9.6 天", "days", 9.6 * 86400),
    ("±0.87%", "%", 0.0087),
    # units convert within their kind; a magnitude standing alone multiplies the base unit, not the drill's prefix
    ("524288 bytes", "KiB", 2**19), ("524,288 B", "KiB", 2**19), ("0.5 MB", "KiB", 5e5), ("4 Mbit", "MB", 5e5),
    ("512k", "KiB", 512e3), ("112 G", "GB", 112e9), ("140 G", "GFLOPs", 140e9), ("1400亿", "GFLOPs", 1.4e11),
    ("25 Gbit/s", "GB/s", 25e9 / 8),
])
def test_parser_reads_units(text, unit, base):
    assert ref.parse(text, unit)["value"] == pytest.approx(base, rel=1e-12)


@pytest.mark.parametrize("text,unit,message", [
    ("", "KiB", "Type an estimate first, e.g. 512 KiB, 3e23, 2.5 h or 40%."),
    ("   ", "h", "Type an estimate first, e.g. 512 KiB, 3e23, 2.5 h or 40%."),
    ("abc", "KiB", "“abc” does not start with a number (e.g. 512 KiB, 3e23, 2.5 h, 40%)."),
    ("-3 h", "h", "“-3 h”: an estimate must be a positive, finite number."),
    ("0", "%", "“0”: an estimate must be a positive, finite number."),
    ("1e999", "FLOPs", "“1e999”: an estimate must be a positive, finite number."),
    ("2 h", "KiB", "“h” is a unit of time; this question asks for bytes."),
    ("40%", "GB", "“%” is a unit of a ratio or a percentage; this question asks for bytes."),
    ("5 GB", "h", "“GB” is a unit of bytes; this question asks for time."),
    ("3 furlongs", "h", "“furlongs” is not a unit this page knows: use e.g. B, KiB, GB, s, h, days, FLOPs, TFLOP/s, "
                        "GB/s, tokens/s, ×, %, or a plain number in the unit asked."),
    ("0.5 Mb", "KiB", "“Mb” is ambiguous: a lowercase b means bits. Write MB for bytes or Mbit for bits."),
    ("24.5 Gb", "GB", "“Gb” is ambiguous: a lowercase b means bits. Write GB for bytes or Gbit for bits."),
    ("25 Gb/s", "GB/s", "“Gb/s” is ambiguous: a lowercase b means bits. Write GB/s for bytes or Gbit/s for bits."),
    ("half a meg", "KiB", "“half a meg” does not start with a number (e.g. 512 KiB, 3e23, 2.5 h, 40%)."),
])
def test_bad_entry_gets_a_message_never_a_grade(text, unit, message):
    assert ref.parse(text, unit) == {"error": message}
    assert ref.grade(text, unit, 1.0) == {"error": message}


@pytest.mark.parametrize("text,unit,message", [
    ("", "KiB", "请先输入估算值，例如 512 KiB、3e23、2.5 h 或 40%。"),
    ("abc", "KiB", "“abc”不是以数字开头（例如 512 KiB、3e23、2.5 h、40%）。"),
    ("2 小时", "KiB", "“小时”是时间的单位；这道题问的是字节数。"),
])
def test_chinese_messages(text, unit, message):
    assert ref.parse(text, unit, "zh") == {"error": message}


@pytest.mark.parametrize("factor,band,score,message", [
    (1.0, "close", 3, "Within 10 %: well estimated."),
    (1.09, "close", 3, "Within 10 %: well estimated."),
    (0.91, "close", 3, "Within 10 %: well estimated."),
    (1.5, "2x", 2, "Within 2× (1.5× too high)."),
    (0.5, "2x", 2, "Within 2× (2.0× too low)."),
    (1 / 3, "10x", 1, "Within 10× (3.0× too low): the right order of magnitude; check the factors."),
    (9.96, "10x", 1, "Within 10× (10× too high): the right order of magnitude; check the factors."),
    (50, "far", 0, "More than 10× off (50× too high): revisit the method."),
    (1e-5, "far", 0, "More than 10× off (> 1,000× too low): revisit the method."),
])
def test_grade_bands(factor, band, score, message):
    answer = 524288.0
    g = ref.grade(f"{answer * factor / 1024!r} KiB", "KiB", answer)
    assert (g["band"], g["score"], g["message"]) == (band, score, message)
    assert g["ratio"] == pytest.approx(factor, rel=1e-12)


@pytest.mark.parametrize("text,unit,answer,message", [
    ("524288", "KiB", 2**19, "“524288” is more than 10× off in KiB, the unit asked. If you meant bytes, type the unit "
                             "too: “524288 bytes”."),
    ("0.39", "%", 0.39, "“0.39” is more than 10× off in %, the unit asked. If you meant a fraction, type the unit too: "
                        "“0.39 ×”."),
    ("0.0087", "%", 0.00866, "“0.0087” is more than 10× off in %, the unit asked. If you meant a fraction, type the "
                             "unit too: “0.0087 ×”."),
    ("9000", "h", 9000.0, "“9000” is more than 10× off in hours, the unit asked. If you meant seconds, type the unit "
                          "too: “9000 s”."),
    ("1.4e11", "GFLOPs", 1.38e11, "“1.4e11” is more than 10× off in GFLOPs, the unit asked. If you meant FLOPs, type "
                                  "the unit too: “1.4e11 FLOPs”."),
])
def test_a_bare_number_that_fits_only_the_base_unit_asks_for_the_unit(text, unit, answer, message):
    """Never silently re-read in another unit, never failed: the reader is asked for the unit, and with it graded."""
    assert ref.grade(text, unit, answer) == {"error": message}
    sym = {"bytes": "bytes", "ratio": "×", "time": "s", "flops": "FLOPs"}[ref.DISPLAY[unit][0]]
    assert ref.grade(f"{text} {sym}", unit, answer)["band"] == "close"
    assert ref.grade(text, unit, answer, "zh")["error"].startswith(f"“{text}”按题目要求的单位")


def test_a_bare_number_in_the_unit_asked_is_graded_even_when_small():
    assert ref.grade("0.87", "%", 0.00866)["band"] == "close"     # 0.87 % (accuracy-se), not 87 %
    assert ref.grade("39", "%", 0.39)["band"] == "close"
    assert ref.grade("0.39", "%", 0.05)["band"] == "far"          # far both ways: graded, no hint


def test_grade_in_chinese_and_every_drill_grades_its_own_answer_as_close():
    assert ref.grade("1.5 GB", "GB", 1e9, "zh")["message"] == "在 2 倍以内（偏高，约为答案的 1.5 倍）。"
    assert ref.grade("0.5 GB", "GB", 1e9, "zh")["message"] == "在 2 倍以内（偏低，约为答案的 1/2.0）。"
    assert ref.grade("1 B", "GB", 1e9, "zh")["message"] == "差了 10 倍以上（偏低，不到答案的 1/1000）：回头看看方法。"
    for d in NUMERIC:
        answer = ref.evaluate(d, VALUES)[0]
        shown = answer / ref.DISPLAY[d["unit"]][1]
        for lang in ref.LANGUAGES:
            assert ref.grade(f"{shown:.6g}", d["unit"], answer, lang)["band"] == "close", d["id"]


@pytest.mark.parametrize("ratios,bias,message", [
    ([], None, "No estimate yet: your calibration appears after the first graded estimate."),
    ([2.0, 2.0], "high", "2 first estimates: biased high, on average 2.0× the answer; typically 2.0× off."),
    ([0.25, 1.0], "low", "2 first estimates: biased low, on average 2.0× below the answer; typically 2.0× off."),
    ([1.1, 1 / 1.1, 4.0, 0.25], "even", "4 first estimates: no clear bias (on average within 1.25× of the answers); "
                                        "typically 2.1× off."),
])
def test_calibration(ratios, bias, message):
    c = ref.calibration(ratios)
    assert c.get("bias") == bias and c["message"] == message


def test_page_assets_are_small_and_the_hook_renders_both_languages():
    from mkdocs_hooks import drills as hook
    js = (ROOT / "docs" / "assets" / "practice.js").read_bytes()
    assert len(gzip.compress(js, 9)) <= 6_000
    for lang in ref.LANGUAGES:
        page = hook.Page(lang)
        html = page.estimates() + page.spots() + page.interviews() + page.record()
        assert set(page.answers) == set(ALL_IDS)
        ids = re.findall(r'\bid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), "duplicate ids"
        for i in ALL_IDS:   # each drill's feedback is announced, each input labelled
            assert f'id="fb-{i}" role="status" aria-live="polite"' in html
        assert html.count('<label for="in-') == len(NUMERIC)


# ------------------------------------------------------------------------------------------ what the texts claim
def rendered(drill, lang):
    answer, env, _, _ = ref.evaluate(drill, VALUES)
    return [ref.fill(drill[lang][k], env, answer, drill["unit"], lang) for k in ("q", "work")]


@pytest.mark.parametrize("drill", NUMERIC, ids=lambda d: d["id"])
def test_rendered_texts_have_no_float_artefacts_or_doubled_units(drill):
    for lang in ref.LANGUAGES:
        for text in rendered(drill, lang):
            assert not re.search(r"\d,\d{3}\.0\b", text), f"{lang}: a whole number shown as a float: {text}"
            doubled = re.search(r"(?<!\S)(\S+) \1(?!\S)", text)
            assert not doubled, f"{lang}: {doubled.group(0)!r} in {text}"


@pytest.mark.parametrize("drill", [d for d in NUMERIC if d.get("asserts")], ids=lambda d: d["id"])
def test_comparisons_in_the_prose_hold(drill):
    """A solution that says "fits under 80 GB" or "several times what is left" lists the comparison in `asserts`
    (expressions over the givens and `answer`), and it must hold for the recorded values."""
    answer, env, _, _ = ref.evaluate(drill, VALUES)
    for claim in drill["asserts"]:
        left, op, right = re.fullmatch(r"(.+?)\s*(<|>)\s*(.+)", claim).groups()
        a, b = (ref.Expr(x, f"{drill['id']}.asserts")(dict(env, answer=answer), VALUES) for x in (left, right))
        assert (a < b) if op == "<" else (a > b), f"{drill['id']}: {claim} ({a:.4g} vs {b:.4g})"


@pytest.mark.parametrize("drill", NUMERIC, ids=lambda d: d["id"])
def test_a_question_asks_in_its_display_unit(drill):
    """“How many bytes …” in a KiB drill invites an answer the grader reads 1,024× off."""
    q = drill["en"]["q"]
    for word, units in (("bytes", {"B"}), ("FLOPs", {"FLOPs"}), ("hours", {"h"})):
        if re.search(rf"how many {word}\b", q, re.I):
            assert drill["unit"] in units, f"{drill['id']} asks for {word} but is graded in {drill['unit']}"


def test_measurement_descriptions_match_the_notebooks():
    """The measured-value drills describe what the notebook does (read from its code and stamp)."""
    drills = {d["id"]: d for d in NUMERIC}
    roof = VALUES["roofline"]
    # the bandwidth is the better of copy and triad, and the question says so
    assert roof["bandwidth_gbs"] == max(roof["copy_gbs"], roof["triad_gbs"])
    assert "copy" in drills["ridge-stamp-cpu"]["en"]["q"] and "triad" in drills["ridge-stamp-cpu"]["en"]["q"]
    import json
    stamp = json.loads((ROOT / "notebooks" / "roofline.ipynb").read_text(encoding="utf-8"))["metadata"]["provenance"]
    cells = ["".join(c["source"]) for c in json.loads((ROOT / "notebooks" / "roofline.ipynb").read_text(
        encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    (mfu_cell,) = [c for c in cells if re.search(r"record\(.*\bmfu=", c)]
    # autocast only on a GPU; on a CPU the denominator is the FP32 roof (the best FP32 matmul rate measured)
    assert 'enabled=device.type == "cuda"' in mfu_cell and "roof_fp32" in mfu_cell
    if stamp["hardware"]["gpu"] is None:   # a CPU stamp: the MFU is FP32 against the best FP32 rate
        assert "FP32" in drills["notebook-mfu"]["en"]["q"] and "FP32" in drills["notebook-mfu"]["zh"]["q"]
        assert "BF16 matrix-product peak" not in drills["notebook-mfu"]["en"]["q"]


# ------------------------------------------------------------------------------------------ spot: no give-away
@pytest.mark.parametrize("lang", ref.LANGUAGES)
def test_the_fault_is_not_given_away_by_its_length(lang):
    """The right option is the longest in at most 40 % of the faulty passages, and on average no longer than the
    other options by more than 15 %."""
    faulty = [d for d in DATA["spot"] if d["answer"] != "none"]
    longest = [d["id"] for d in faulty
               if len(d[lang]["options"][d["answer"]]) == max(map(len, d[lang]["options"]))]
    assert len(longest) <= 0.4 * len(faulty), f"{len(longest)} of {len(faulty)}: {longest}"
    right = sum(len(d[lang]["options"][d["answer"]]) for d in faulty) / len(faulty)
    other = sum(len(o) for d in faulty for i, o in enumerate(d[lang]["options"]) if i != d["answer"]) / \
        sum(len(d[lang]["options"]) - 1 for d in faulty)
    assert right <= 1.15 * other, (right, other)


# ------------------------------------------------------------------------------------------ the Anki decks
def read_deck(path, tmp_path) -> dict:
    """An .apkg is a zip holding a SQLite collection: the notes (by drill id), the cards, the note type, the decks."""
    with zipfile.ZipFile(path) as z:
        db = tmp_path / f"{path.stem}.anki2"
        db.write_bytes(z.read("collection.anki2"))
    con = sqlite3.connect(db)
    try:
        notes = {flds.split("\x1f")[-1]: {"guid": guid, "mid": mid, "fields": flds.split("\x1f")}
                 for guid, mid, flds in con.execute("SELECT guid, mid, flds FROM notes")}
        out = {"rows": con.execute("SELECT count(*) FROM notes").fetchone()[0],
               "cards": con.execute("SELECT count(*) FROM cards").fetchone()[0], "notes": notes}
        models, decks = (json.loads(x) for x in con.execute("SELECT models, decks FROM col").fetchone())
    finally:
        con.close()
    out["models"], out["decks"] = models, {int(k): v for k, v in decks.items() if k != "1"}   # 1: Anki's Default
    return out


def back_of(deck: dict, drill_id: str) -> tuple[str, str]:
    """(front, back) of a drill's card, rendered from its note type's templates as Anki does for plain fields."""
    note = deck["notes"][drill_id]
    model = deck["models"][str(note["mid"])]
    fields = dict(zip((f["name"] for f in model["flds"]), note["fields"]))
    tmpl = model["tmpls"][0]

    def render(t, **extra):
        return re.sub(r"\{\{(\w+)\}\}", lambda m: {**fields, **extra}[m.group(1)], t)
    front = render(tmpl["qfmt"])
    return front, render(tmpl["afmt"], FrontSide=front)


@pytest.mark.parametrize("lang", ref.LANGUAGES)
def test_the_anki_deck_holds_every_drill_with_its_computed_answer(lang, tmp_path):
    """scripts/mkdocs_hooks/drills.py writes one deck per language after the build: one note (one card) per drill;
    a numeric card's back shows the answer computed from the recorded values, a spot card's back the right option;
    ids come from fixed names and drill ids, so two builds match (re-importing updates instead of duplicating)."""
    from mkdocs_hooks import drills as hook
    base = "https://example.org/site/" + ("" if lang == "en" else f"{lang}/")
    decks = []
    for build in ("a", "b"):
        path = tmp_path / build / hook.DECK_FILE.format(lang=lang)
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # genanki warns about unescaped HTML in a field
            hook.build_deck(lang, path, base)
        decks.append(read_deck(path, tmp_path / build))
    deck, again = decks
    assert deck["rows"] == deck["cards"] == len(deck["notes"]) == len(ALL_IDS)
    assert set(deck["notes"]) == set(ALL_IDS)
    assert {i: n["guid"] for i, n in deck["notes"].items()} == {i: n["guid"] for i, n in again["notes"].items()}
    assert len({n["guid"] for n in deck["notes"].values()}) == len(ALL_IDS)
    assert set(deck["models"]) == set(again["models"]) and set(deck["decks"]) == set(again["decks"])
    assert len(deck["decks"]) == 1
    for d in NUMERIC:
        answer = ref.quantity(ref.evaluate(d, VALUES)[0], d["unit"], lang)
        front, back = back_of(deck, d["id"])
        shown = re.search(r'class="elm-answer">(.*?)</p>', back)   # the answer line, under the question
        assert shown and shown.group(1).endswith(html.escape(answer)), f"{d['id']}: {answer!r} not the answer shown"
        assert html.escape(ref.fill(d[lang]["work"], *ref.evaluate(d, VALUES)[1::-1], d["unit"], lang)) in back
    for d in DATA["spot"]:
        options = d[lang]["options"] + [DATA["text"][lang]["nothing_wrong"]]
        right = options[-1 if d["answer"] == "none" else int(d["answer"])]
        front, back = back_of(deck, d["id"])
        shown = re.search(r'class="elm-answer">(.*?)</p>', back)
        assert shown and shown.group(1).endswith(html.escape(right)) and html.escape(d[lang]["explain"]) in back
        assert html.escape(d[lang]["explain"]) not in front
    links = re.findall(r'href="([^"]*)"', " ".join(f for n in deck["notes"].values() for f in n["fields"]))
    assert links and all(u.startswith(("https://", "http://")) for u in links), "a relative link is dead in Anki"
    assert any(u.startswith(base) for u in links)
