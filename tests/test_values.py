"""Numbers in chapters come from the notebooks and the registry of cited constants: placeholders resolve, unknown
ones fail the build precisely, and a chapter that types a registered constant instead of inserting it fails too."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from conftest import CHAPTERS, NOTEBOOKS, ROOT, ZH_CHAPTERS
from notebook_values import (MIME, PLACEHOLDER, UnknownValue, all_values, load_cited, recorded_values, render,
                             substitute, typed_constants)

REGISTRY = load_cited()
CONSTANTS = REGISTRY["constants"]
# Temporary: chapters still typing constants, reported rather than failed until they are converted (the list
# lives in scripts/cited_constants.yml, `typed_pending`, because the build reads it too).
PENDING = set(REGISTRY["typed_pending"])


def test_every_placeholder_in_the_chapters_resolves():
    values = all_values(ROOT)
    for chapter in CHAPTERS + ZH_CHAPTERS:
        substitute(chapter.read_text(encoding="utf-8"), values, str(chapter.relative_to(ROOT)))


def test_unknown_value_names_file_line_and_name():
    values = {"amp": {"speedup": 1.234}}
    assert substitute("a\n{{ amp.speedup:.1f }}× and {{amp.speedup}}", values, "x.md") == "a\n1.2× and 1.234"
    with pytest.raises(UnknownValue) as err:
        substitute("line one\nthe gain is {{ amp.gain }}", values, "docs/x.md")
    assert "docs/x.md:2:" in str(err.value) and "'gain'" in str(err.value) and "speedup" in str(err.value)
    with pytest.raises(UnknownValue, match="no notebook notebooks/nope.ipynb"):
        substitute("{{ nope.x }}", values, "docs/x.md")


def test_recorded_values_are_json_and_unique():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for name, value in recorded_values(nb, path.name).items():
            assert PLACEHOLDER.fullmatch(f"{{{{ {path.stem}.{name} }}}}"), f"{path.name}: bad value name {name!r}"
            assert isinstance(value, (int, float, str, bool, list)), f"{path.name}: {name} = {value!r}"


def test_strict_build_fails_on_an_unknown_value(tmp_path):
    """A real mkdocs build with the site's hook: a chapter naming an unrecorded value aborts it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# T\n\nfine\n\nThe speed-up was {{ amp.no_such_value }}.\n")
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\nstrict: true\nhooks:\n"
                                         f"  - {ROOT / 'scripts/mkdocs_hooks/notebook_numbers.py'}\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "docs/index.md:5:" in proc.stderr and "no_such_value" in proc.stderr, proc.stderr


def test_values_mime_is_what_the_notebooks_use():
    """The record() helper each notebook defines must emit the MIME type the hook reads."""
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        if "def record(" in code:
            assert MIME in code, f"{path.name}: record() emits another MIME type than {MIME}"


def test_cited_constant_placeholders_and_unknown_key():
    values = all_values(ROOT)
    assert substitute("{{ cited.llama2_7b_gpu_hours:, }} h", values, "x.md") == \
        f"{CONSTANTS['llama2_7b_gpu_hours']['value']:,} h"
    assert render(3.14e23, "sci") == "3.14 × 10²³" and render(2.5e-3, ".1sci") == "2.5 × 10⁻³"
    with pytest.raises(UnknownValue) as err:
        substitute("one\ntwo {{ cited.h100_bf16 }}", values, "docs/x.md")
    assert "docs/x.md:2:" in str(err.value) and "'h100_bf16'" in str(err.value) and "cited_constants.yml" in str(err.value)


def test_registry_entries_are_complete_and_typed_forms_unambiguous():
    """Every entry names a primary source (https) and where in it; a bare typed form has at least 3 significant
    digits (a unit otherwise); a form is the entry's own value as written (so the check finds what it claims)."""
    for key, c in CONSTANTS.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key
        assert isinstance(c["value"], (int, float)) and not isinstance(c["value"], bool), key
        assert c["source"].startswith("https://") and c["where"] and c["what"] and c["zh"], key
        assert not c.get("secondary") or c.get("note"), f"{key}: say what only a secondary source confirms"
        for form in c["typed"]:
            number = re.match(r"[\d.,]+", form)
            assert number, (key, form)
            digits = re.sub(r"\D", "", number.group(0)).strip("0") or "0"
            assert len(digits) >= 3 or form != number.group(0), f"{key}: bare {form!r} is too ambiguous; add its unit"
            written = float(number.group(0).replace(",", ""))
            scaled = c["value"] / 10 ** round(__import__("math").log10(c["value"] / written)) if written else 0
            assert abs(scaled - written) <= 0.051 * abs(written), f"{key}: typed {form!r} is not {c['value']}"


# Unit symbols that read the same on a Chinese page (TFLOP/s, GB, MiB, TOPS, µs, %): a field made of these, numbers
# and § alone needs no Chinese version; anything with words ("GB per device", "Table 2.1", "abstract") does.
UNIT_SYMBOLS = re.compile(r"(?<![\w/])(?:[kKMGTP]?i?(?:FLOP/s|FLOPs|FLOPS|OPS|B/s|b/s|B)|µs|ms)(?![\w/])")
ZH_FIELD = {"what": "zh", "unit": "unit_zh", "where": "where_zh", "note": "note_zh"}
CJK = re.compile(r"[\u3400-\u9fff]")
# What a Chinese field may keep in English: quotations of the source ("GPU Memory", “With sparsity”), identifiers
# (config.json, max_position_embeddings, nvidia-smi, Ring/Simple), names and single terms (TPU v4 pod); not a
# phrase of plain words, one of them lower-case, except the jargon Chinese pages keep (tests/test_chinese_browser.py).
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
IDENT = re.compile(r"\S*[._/\d-]\S*")
PHRASE = re.compile(r"(?<![\w.-])[A-Za-z]{2,}(?:[ \t]+[A-Za-z]{2,})+(?![\w.-])")
KEPT_JARGON = {"LM head"}


def needs_zh(text: str) -> bool:
    """Whether an English field has words beyond unit symbols, numbers and section signs."""
    return bool(re.search(r"[A-Za-z]", UNIT_SYMBOLS.sub("", text)))


def zh_field_problems(constants: dict) -> list[str]:
    """Entries whose English `what`, `unit`, `where` or `note` has words but no Chinese version, or whose Chinese
    version is still English (a plain-word phrase, or no Chinese character where the English has plain words)."""
    out = []
    for key, c in constants.items():
        for en_field, zh_field in ZH_FIELD.items():
            en, zh = str(c.get(en_field, "")), c.get(zh_field)
            if not needs_zh(en):
                continue
            if not zh:
                out.append(f"{key}: {en_field} {en!r} has no {zh_field}")
                continue
            plain = IDENT.sub(" ", QUOTED.sub(" ", UNIT_SYMBOLS.sub(" ", en)))
            kept = [p for p in PHRASE.findall(QUOTED.sub(" ", zh))
                    if any(w[0].islower() for w in p.split()) and p not in KEPT_JARGON]
            if (re.search(r"[a-z]{2,}", plain) and not CJK.search(zh)) or kept:
                out.append(f"{key}: {zh_field} {zh!r} is not Chinese")
    return out


@pytest.mark.parametrize("text, needed", [
    ("TFLOP/s", False), ("TB/s", False), ("GB", False), ("MiB", False), ("TOPS", False), ("µs", False), ("%", False),
    ("§2.1", False), ("", False), ("GB per device", True), ("billion parameters", True), ("TFLOP/s per GPU", True),
    ("Table 2.1", True), ("config.json", True), ("abstract", True),
])
def test_which_fields_need_a_chinese_version(text, needed):
    assert needs_zh(text) is needed


def test_every_registry_field_with_words_has_its_chinese_version():
    """The Chinese pages (the constants table, the practice page's solutions) show `zh`, `unit_zh`, `where_zh` and
    `note_zh`; the hooks fall back to English where one is missing, so this test is what keeps them Chinese."""
    problems = zh_field_problems(CONSTANTS)
    assert not problems, "add the Chinese field(s) in scripts/cited_constants.yml:\n" + "\n".join(problems)
    # and the check does catch a missing or an untranslated field
    entry = {"what": "x", "zh": "某量", "unit": "GB per device", "where": "Table 2.1", "where_zh": "Table 2.1",
             "note": "read through a copy", "note_zh": "只经由 copies of its table 读取"}
    assert zh_field_problems({"k": entry}) == ["k: unit 'GB per device' has no unit_zh",
                                               "k: where_zh 'Table 2.1' is not Chinese",
                                               "k: note_zh '只经由 copies of its table 读取' is not Chinese"]


SYNTHETIC = """# A chapter

The H100 SXM peaks at 989 TFLOP/s dense BF16, and Llama 2 7B took 184,320 GPU-hours.
Placeholders are fine: {{ cited.h100_sxm_bf16_dense_tflops }} TFLOP/s, and so is `peak = 989e12` in code,
a link to [the datasheet](https://example.com/989/184,320), <!-- 989 in a comment -->, 9,989 and 989.41 apples,
a 4096-token context on an 80 GB device with 32 layers and a 18,432-FLOP convolution, OPT-175B.

```python
peak = 989e12   # in a fence: never a hit
```

那块 GPU 的显存带宽为 3.35 TB/s。
"""


def test_typed_constant_check_hits_and_non_hits():
    hits = typed_constants(SYNTHETIC, "docs/x.md", CONSTANTS)
    assert hits == [
        "docs/x.md:3: typed 989 — use {{ cited.h100_sxm_bf16_dense_tflops }} or {{ cited.h200_sxm_bf16_dense_tflops }}",
        "docs/x.md:3: typed 184,320 — use {{ cited.llama2_7b_gpu_hours }}",
        "docs/x.md:12: typed 3.35 TB/s — use {{ cited.h100_sxm_memory_bandwidth_tbs }}",
    ], hits


@pytest.mark.parametrize("chapter", CHAPTERS + ZH_CHAPTERS, ids=lambda p: p.name)
def test_chapters_insert_cited_constants_instead_of_typing_them(chapter):
    name = str(chapter.relative_to(ROOT))
    hits = typed_constants(chapter.read_text(encoding="utf-8"), name, CONSTANTS)
    if name in PENDING:
        assert hits, f"{name} types no cited constant any more: remove it from typed_pending in scripts/cited_constants.yml"
        print("\n".join(["pending conversion:"] + hits))
    else:
        assert not hits, "\n".join(hits)


def test_pending_list_names_real_chapters():
    assert PENDING <= {str(p.relative_to(ROOT)) for p in CHAPTERS + ZH_CHAPTERS}


def test_strict_build_fails_on_a_typed_constant_and_an_unknown_key(tmp_path):
    """A real mkdocs build with the site's hook: a typed constant and an unknown key each abort it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    hook = f"hooks:\n  - {ROOT / 'scripts/mkdocs_hooks/notebook_numbers.py'}\n"
    (tmp_path / "mkdocs.yml").write_text(f"site_name: t\nstrict: true\n{hook}")
    (docs / "index.md").write_text("# T\n\nfine\n\nThe A100 has 2,039 GB/s.\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "docs/index.md:5: typed 2,039 — use {{ cited.a100_80gb_memory_bandwidth_gbs }}" in proc.stderr, proc.stderr
    (docs / "index.md").write_text("# T\n\nThe A100 has {{ cited.a100_80gb_memory_bandwidth_gbs:, }} GB/s "
                                   "and {{ cited.a100_hbm }}.\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and "docs/index.md:3:" in proc.stderr and "a100_hbm" in proc.stderr, proc.stderr
    (docs / "index.md").write_text("# T\n\nThe A100 has {{ cited.a100_80gb_memory_bandwidth_gbs:, }} GB/s.\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "2,039 GB/s" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
