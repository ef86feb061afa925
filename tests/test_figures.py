"""The chapters' figures (scripts/figures.py, inserted by scripts/mkdocs_hooks/figures.py): each renders in both
languages as well-formed, labelled SVG; each teaching chapter has at least two, at the same places in English and
Chinese; no number is typed into a drawing (a figure's numbers come from its declared registry keys and notebook
values, and changing one changes the drawing); and every text colour reads at 4.5:1 in the light and dark schemes."""

from __future__ import annotations

import ast
import colorsys
import copy
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import figures
import pytest
from conftest import ROOT

TEACHING = ["large-models", "training", "training-memory", "mixed-precision", "parallel-training", "compression",
            "inference", "measuring-cost", "roofline", "evaluation", "hyperparameters", "appendix"]
MARKER = re.compile(r"^<!-- figure: ([\w-]+) -->$", re.M)
SVG_NS = "{http://www.w3.org/2000/svg}"
VALUES = figures.all_values()
TEXT = figures.load_text()
# Numeric literals allowed outside GEOMETRY / DEFINITIONS / DIAGRAM: identities and halves, a decade, a percent.
SMALL = {0, 1, 2, 10, 100, 0.5}
TABLES = {"GEOMETRY", "DEFINITIONS", "DIAGRAM"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("fid", list(figures.FIGURES))
def test_figure_renders_as_labelled_wellformed_svg(fid, lang):
    html = figures.render(fid, lang, VALUES, TEXT)
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("viewBox")
    title = root.find(f"{SVG_NS}title")
    assert title is not None and title.text.strip(), f"{fid}: no <title>"
    assert root.find(f"{SVG_NS}desc").text.strip()
    labelled = root.get("aria-labelledby", "").split()
    assert {e.get("id") for e in root if e.get("id")} >= set(labelled) and labelled, f"{fid}: aria-labelledby"
    texts = [t.text or "" for t in root.iter(f"{SVG_NS}text")]
    assert texts, f"{fid}: no real text in the SVG"
    caption = re.search(r"<figcaption>(.*?)</figcaption>", html, re.S).group(1)
    for s in texts + [caption, title.text]:
        assert not re.search(r"\{\w*(:[^}]*)?\}", s), f"{fid} ({lang}): unformatted placeholder in {s!r}"
        assert "nan" not in s.split() and "inf" not in s.split(), f"{fid}: {s!r}"
    if lang == "zh":
        assert re.search(r"[\u4e00-\u9fff]", caption), f"{fid}: the Chinese caption is not Chinese"
    for el in root.iter():   # nothing drawn outside the viewBox (a label cut off on a narrow screen)
        w, h = (float(x) for x in root.get("viewBox").split()[2:])
        for attr, limit in (("x", w), ("x1", w), ("x2", w), ("cx", w), ("y", h), ("y1", h), ("y2", h), ("cy", h)):
            if el.get(attr) is not None and el.tag != f"{SVG_NS}svg":
                assert -1 <= float(el.get(attr)) <= limit + 1, f"{fid}: {el.tag} {attr}={el.get(attr)} outside"


def test_strings_exist_in_both_languages_with_the_same_keys():
    assert set(TEXT) == set(figures.FIGURES), "scripts/figures_text.json and the registry disagree"
    for fid, s in TEXT.items():
        assert set(s["en"]) == set(s["zh"]), fid
        for key in ("title", "desc", "caption"):
            assert s["en"][key] and s["zh"][key], (fid, key)


def _markers(path: Path) -> list[str]:
    return MARKER.findall(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("slug", TEACHING)
def test_every_teaching_chapter_has_two_figures_in_both_languages(slug):
    en, zh = _markers(ROOT / "docs" / f"{slug}.md"), _markers(ROOT / "docs" / f"{slug}.zh.md")
    assert len(en) >= 2, f"docs/{slug}.md has {len(en)} figure markers, needs at least 2"
    assert zh == en, f"docs/{slug}.zh.md figure markers {zh} differ from the English page's {en}"
    for fid in en:
        assert fid in figures.FIGURES, f"docs/{slug}.md: unknown figure {fid!r}"
        assert figures.FIGURES[fid].chapter == slug, f"{fid} is registered for {figures.FIGURES[fid].chapter}"


def test_every_figure_is_placed_once():
    placed = [f for slug in TEACHING for f in _markers(ROOT / "docs" / f"{slug}.md")]
    assert len(placed) == len(set(placed)), "a figure is placed twice (its ids would repeat in the print page)"


def _numeric_literals(tree: ast.AST):
    """(line, value) of every int/float literal outside the three named tables."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in TABLES for t in node.targets):
            skip |= {id(n) for n in ast.walk(node.value)}
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and type(n.value) in (int, float) and id(n) not in skip]


def test_no_number_is_typed_into_a_figure():
    """Data come from the registry and the notebooks; layout, format definitions and the illustrative choices of a
    schematic live in GEOMETRY, DEFINITIONS and DIAGRAM; anything else numeric in scripts/figures.py fails."""
    typed = [(line, v) for line, v in _numeric_literals(ast.parse((ROOT / "scripts/figures.py").read_text()))
             if v not in SMALL]
    assert not typed, f"numbers typed into scripts/figures.py (line, value): {typed}"


def test_the_literal_scan_would_catch_a_typed_number():
    src = "GEOMETRY = dict(width=640)\ndef f(v):\n    return v * 989\n"
    assert [v for _, v in _numeric_literals(ast.parse(src)) if v not in SMALL] == [989]


def test_inputs_are_enforced():
    fig = figures.FIGURES["kv-cache"]
    inputs = figures.Inputs(VALUES, fig.inputs, fig.id)
    assert inputs["cited.llama2_7b_layers"] == VALUES["cited"]["llama2_7b_layers"]
    with pytest.raises(KeyError, match="without declaring"):
        inputs["cited.gpt3_params_b"]


@pytest.mark.parametrize("fid", [f for f in figures.FIGURES if figures.FIGURES[f].inputs])
def test_declared_inputs_exist_and_each_one_changes_the_drawing(fid):
    fig = figures.FIGURES[fid]
    base = figures.render(fid, "en", VALUES, TEXT)
    for name in fig.inputs:
        nb, key = name.split(".", 1)
        assert nb in VALUES and key in VALUES[nb], f"{fid}: declared input {name} is not a recorded/cited value"
        value = VALUES[nb][key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{fid}: {name} = {value!r}"
        changed = copy.deepcopy(VALUES)
        changed[nb][key] = type(value)(value * 1.37 + (1 if isinstance(value, int) else 0))
        try:
            other = figures.render(fid, "en", changed, TEXT)
        except (ValueError, ZeroDivisionError, StopIteration, RuntimeError):
            continue   # the drawing depends on it so much that an arbitrary value breaks it
        assert other != base, f"{fid}: declares {name} but does not change when it changes"


# ------------------------------------------------------------------------------------------------- contrast


def _material_css() -> str:
    import material
    d = Path(material.__file__).parent / "templates/assets/stylesheets"
    return "".join(p.read_text() for p in sorted(d.glob("*.min.css")))


def _parse_colour(s: str, hue: float) -> tuple[float, float, float, float]:
    s = s.strip().replace("var(--md-hue)", str(hue))
    if re.fullmatch(r"#[0-9a-f]{3}", s, re.I):
        s = "#" + "".join(c * 2 for c in s[1:])
    if m := re.fullmatch(r"#([0-9a-f]{6})([0-9a-f]{2})?", s, re.I):
        rgb = tuple(int(m.group(1)[i:i + 2], 16) / 255 for i in (0, 2, 4))
        return (*rgb, int(m.group(2), 16) / 255 if m.group(2) else 1.0)
    if m := re.fullmatch(r"hsla\(([\d.]+)(?:deg)?,\s*([\d.]+)%,\s*([\d.]+)%,\s*([\d.]+)\)", s):
        h, sat, light, a = (float(x) for x in m.groups())
        return (*colorsys.hls_to_rgb(h / 360, light / 100, sat / 100), a)
    raise ValueError(f"cannot parse colour {s!r}")


def _luminance(rgb) -> float:
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(fg, bg) -> float:
    a = fg[3]
    mixed = [a * f + (1 - a) * b for f, b in zip(fg[:3], bg[:3])]   # a translucent colour over the background
    hi, lo = sorted((_luminance(mixed), _luminance(bg[:3])), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _scheme_variables(css: str, selector_re: str) -> dict[str, str]:
    out = {}
    for block in re.findall(selector_re + r"\s*\{([^}]*)\}", css):
        out.update(dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+)", block)))
    return out


def test_figure_text_colours_reach_4_5_to_1_in_light_and_dark():
    material = _material_css()
    hue = float(re.search(r"--md-hue:\s*([\d.]+)deg", material).group(1))
    light = _scheme_variables(material, r":root,\[data-md-color-scheme=default\]")
    dark = _scheme_variables(material, r"\[data-md-color-scheme=slate\]")
    indigo = _scheme_variables(material, r"\[data-md-color-primary=indigo\]")
    assert "--md-default-fg-color" in light and "--md-default-bg-color" in dark and "--md-primary-fg-color" in indigo
    ours = (ROOT / "docs/assets/figures.css").read_text()
    ours_light = _scheme_variables(ours, r'body, body\[data-md-color-scheme="default"\]')
    ours_dark = {**ours_light, **_scheme_variables(ours, r'body\[data-md-color-scheme="slate"\]')}
    text_classes = set(re.findall(r"\.t-(\w+) \{ fill: var\((--[\w-]+)\)", ours))
    assert {c for c, _ in text_classes} >= {"fg", "muted", "c1", "c2", "c3"}
    for scheme, md, own in (("default", {**light, **indigo}, ours_light), ("slate", {**light, **dark, **indigo},
                                                                             ours_dark)):
        bg = _parse_colour(md["--md-default-bg-color"], hue)
        for cls, var in text_classes:
            value = own[var]
            while (m := re.fullmatch(r"var\((--[\w-]+)\)", value.strip())):
                value = own.get(m.group(1)) or md[m.group(1)]
            ratio = _contrast(_parse_colour(value, hue), bg)
            assert ratio >= 4.5, f".t-{cls} in {scheme}: {value} has contrast {ratio:.2f}:1"


def test_the_contrast_check_would_fail_a_pale_colour():
    white = _parse_colour("#ffffff", 0)
    assert _contrast(_parse_colour("#9aa0a6", 0), white) < 4.5 <= _contrast(_parse_colour("#000000de", 0), white)


def test_pipeline_schedule_matches_the_bubble_formula():
    """The timeline is simulated from dependencies, not drawn from the formula: its idle share must equal it."""
    for p, m in ((2, 1), (4, 8), (3, 5), (8, 16)):
        for kind in ("gpipe", "1f1b"):
            sched = figures.pipeline_schedule(p, m, kind)
            end = max(t for *_, t in sched)
            idle = 1 - sum(b - a for *_, a, b in sched) / (p * end)
            assert abs(idle - figures.bubble_fraction(p, m)) < 1e-9, (p, m, kind, idle)


def test_zero_example_reproduces_the_papers_figures():
    v = figures.Inputs(VALUES, figures.ZERO_INPUTS, "zero-memory")
    nd, psi = figures.zero_devices(v), VALUES["cited"]["zero_example_params_b"]
    for stage, key in enumerate(("zero_baseline_gb", "zero_stage1_gb", "zero_stage2_gb", "zero_stage3_gb")):
        assert abs(sum(figures.zero_bytes(stage, nd)) * psi - VALUES["cited"][key]) < 0.05, key


def test_format_ranges_match_the_formats():
    import torch
    for name, dtype in (("FP32", torch.float32), ("BF16", torch.bfloat16), ("FP16", torch.float16),
                        ("FP8 E5M2", torch.float8_e5m2), ("FP8 E4M3", torch.float8_e4m3fn)):
        sub, norm, big = figures.format_range(*figures.DEFINITIONS["formats"][name])
        info = torch.finfo(dtype)
        assert (sub, norm, big) == (info.smallest_normal * info.eps, info.smallest_normal, info.max), name
