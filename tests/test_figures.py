"""The chapters' figures (scripts/figures.py, inserted by scripts/mkdocs_hooks/figures.py): each renders in both
languages as well-formed, labelled SVG; each teaching chapter has at least two, at the same places in English and
Chinese; no number is typed into a drawing (a figure's numbers come from its declared registry keys and notebook
values, and changing one changes the drawing); and every text colour reads at 4.5:1 in the light and dark schemes."""

from __future__ import annotations

import ast
import colorsys
import copy
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import figures
import pytest
from conftest import ROOT

TEACHING = ["large-models", "training", "training-memory", "mixed-precision", "parallel-training", "compression",
            "inference", "serving", "measuring-cost", "roofline", "evaluation", "hyperparameters", "appendix"]
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
    w, h = (float(x) for x in root.get("viewBox").split()[2:])
    for el in root.iter():   # nothing drawn outside the viewBox (a label cut off on a narrow screen)
        for attr, limit in (("x", w), ("x1", w), ("x2", w), ("cx", w), ("y", h), ("y1", h), ("y2", h), ("cy", h)):
            if el.get(attr) is not None and el.tag != f"{SVG_NS}svg":
                assert -1 <= float(el.get(attr)) <= limit + 1, f"{fid}: {el.tag} {attr}={el.get(attr)} outside"
    for lo, hi, (top, bottom), s in _text_boxes(root):   # ... including the extent of each label, not only its anchor
        assert lo >= -1 and hi <= w + 1 and top >= -1 and bottom <= h + 1, \
            f"{fid} ({lang}): label {s!r} spans x {lo:.0f}..{hi:.0f}, y {top:.0f}..{bottom:.0f} outside 0..{w:g} × 0..{h:g}"
    for t in root.iter(f"{SVG_NS}text"):   # legible on a phone: ≥ 11 CSS px in a 358 px column (390 px screen)
        px = float(t.get("font-size")) * min(PHONE_COLUMN, figures.G.max_width) / w
        assert px >= MIN_PX, f"{fid} ({lang}): {t.text!r} renders at {px:.1f} px on a phone"


PHONE_COLUMN, MIN_PX = 358, 11     # Material's content column at a 390 px viewport; the smallest legible label


def _text_boxes(root):
    """(left, right, (top, bottom), text) of every label, its width estimated as figures.text_width (characters ×
    font size) from its anchor; rotated labels (−90°) run upwards from their anchor."""
    for t in root.iter(f"{SVG_NS}text"):
        s, size = t.text or "", float(t.get("font-size"))
        x, y, wd = float(t.get("x")), float(t.get("y")), figures.text_width(t.text or "", size)
        shift = {"start": 0, "middle": wd / 2, "end": wd}[t.get("text-anchor", "start")]
        if t.get("transform"):
            yield x - size, x, (y - wd + shift, y + shift), s
        else:
            yield x - shift, x - shift + wd, (y - size, y), s


def test_the_extent_check_would_catch_a_long_label():
    svg = ET.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50"><text x="90" y="20" '
                        f'font-size="14" text-anchor="start">a long label</text></svg>')
    (lo, hi, _, _), = _text_boxes(svg)
    assert lo == 90 and hi > 100


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


def test_the_chapter_list_is_the_navs():
    """Every page under "Chapters" in mkdocs.yml's nav is held to two figures: a new chapter cannot slip past."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:", 1)[1]
    block = re.search(r"\n  - Chapters:\n((?:      - .*\n)+)", nav).group(1)
    assert re.findall(r": ([\w-]+)\.md$", block, re.M) == TEACHING


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


def _svg_and_caption(html: str) -> tuple[str, str]:
    return (re.search(r"<svg .*?</svg>", html, re.S).group(0),
            re.search(r"<figcaption>(.*?)</figcaption>", html, re.S).group(1))


@pytest.mark.parametrize("fid", [f for f in figures.FIGURES
                                 if figures.FIGURES[f].inputs or figures.FIGURES[f].caption_inputs])
def test_declared_inputs_exist_and_each_one_changes_the_drawing(fid):
    """A drawing input must change the SVG itself (a value only the caption quotes is declared as caption=, and
    must change the caption); a perturbation that breaks the figure fails rather than being skipped."""
    fig = figures.FIGURES[fid]
    base_svg, base_cap = _svg_and_caption(figures.render(fid, "en", VALUES, TEXT))
    for name, part in [(n, 0) for n in fig.inputs] + [(n, 1) for n in fig.caption_inputs]:
        nb, key = name.split(".", 1)
        assert nb in VALUES and key in VALUES[nb], f"{fid}: declared input {name} is not a recorded/cited value"
        value = VALUES[nb][key]
        items = value if isinstance(value, list) and value else [value]   # a per-level series: every entry moves
        assert all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in items), f"{fid}: {name} = {value!r}"
        changed = copy.deepcopy(VALUES)
        moved = [type(x)(x * 1.37 + (1 if isinstance(x, int) else 0)) for x in items]
        changed[nb][key] = moved if isinstance(value, list) else moved[0]
        other = _svg_and_caption(figures.render(fid, "en", changed, TEXT))
        kind = ("the drawing (SVG)", "the caption")[part]
        assert other[part] != (base_svg, base_cap)[part], f"{fid}: declares {name} but {kind} does not change with it"
    assert not set(fig.inputs) & set(fig.caption_inputs), f"{fid}: an input declared twice"


def test_a_missing_recorded_value_is_named():
    values = copy.deepcopy(VALUES)
    del values["inference_cost"]["lat_b2_ms"]
    with pytest.raises(KeyError, match=r"inference_cost\.lat_b2_ms.*notebooks/inference_cost\.ipynb"):
        figures.render("latency-batch", "en", values, TEXT)


# ------------------------------------------------------------------------------------------------- typed numbers
# Tokens in figures_text.json / figures.js that contain digits but are names, not quantities.
NAMES = re.compile(r"\bp(50|90|99)\b|"     # percentiles: p50, p90, p99
                   r"A100 80GB|FP(8|16|32)|BF16|TF32|E4M3|E5M2|int[48]|NF4|2:4|6·N·D|1F1B|[AHB]\d{3}|T4|Llama [23]|GPT-3|"
                   r"(Llama 2 |Llama 3 |GPT-3 )?\d+B\b|ZeRO-[0-3](/[0-3])*|[-–][123]\b|(stages?|阶段) [0-3]"
                   r"( (to|and|到|和) [0-3])?|以 2 为底|"
                   r"2\(N−1\)(/N)?|\(p−1\)/\(m\+p−1\)|log₂|(4|8|16)[ -]?(bit|位)|2048³|b(1|64)\b|"
                   r"Bergstra & Bengio 2012|1/η|\bbatch 1\b|批大小 1|\d+ ?(B|GB) ?[^\s]*(weights|权重)|AUC|ROC|"
                   r"[Dd]evice i holds chunk i \+ 1|设备 i 持有第 i \+ 1 块|\b(0|1)\b")


def _typed_numbers(s: str) -> list[str]:
    s = re.sub(r"\{[^}]*\}", "", s)      # placeholders are filled from the data
    s = NAMES.sub("", s)
    return re.findall(r"\d+(?:[.,]\d+)*", s)


def test_no_number_is_typed_into_the_figure_strings_or_script():
    typed = [(fid, lang, key, n) for fid, langs in TEXT.items() for lang, keys in langs.items()
             for key, s in keys.items() for n in _typed_numbers(s)]
    assert not typed, f"numbers typed into scripts/figures_text.json (figure, language, key, number): {typed}"
    js = (ROOT / "docs/assets/figures.js").read_text()
    code = re.sub(r"//[^\n]*", "", js)
    literals = [float(x) for x in re.findall(r"(?<![\w.$\[])(\d+(?:\.\d+)?)(?![\w.\]])", code)]   # not t[4]
    assert set(literals) <= {0, 1, 2, 3, 10, 12, 16, 100}, \
        f"docs/assets/figures.js types numbers {sorted(set(literals) - {0, 1, 2, 3, 10, 12, 16, 100})} (layout " \
        f"belongs in GEOMETRY, passed in data-strings)"


def test_the_string_scan_would_catch_a_typed_number():
    assert _typed_numbers("at p = 4, m = 16 ({o16} vs {g16})") == ["4", "16"]
    assert _typed_numbers("FP8 E4M3 keeps {n} values; 1F1B") == []


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
    assert {c for c, _ in text_classes} >= {"fg", "muted", "c1", "c2", "c3", "c5"}
    for scheme, md, own in (("default", {**light, **indigo}, ours_light), ("slate", {**light, **dark, **indigo},
                                                                             ours_dark)):
        bg = _parse_colour(md["--md-default-bg-color"], hue)
        for cls, var in text_classes:
            value = own[var]
            while (m := re.fullmatch(r"var\((--[\w-]+)\)", value.strip())):
                value = own.get(m.group(1)) or md[m.group(1)]
            ratio = _contrast(_parse_colour(value, hue), bg)
            assert ratio >= 4.5, f".t-{cls} in {scheme}: {value} has contrast {ratio:.2f}:1"


def test_figure_mark_colours_reach_3_to_1_and_nothing_is_translucent():
    """WCAG 1.4.11: bars, lines, outlines and dots that carry meaning reach 3:1 against the page in both schemes
    (the grid lines are the only decoration), and no figure uses a translucent fill, so a legend swatch drawn with
    the mark's class looks like the mark."""
    material = _material_css()
    hue = float(re.search(r"--md-hue:\s*([\d.]+)deg", material).group(1))
    light = _scheme_variables(material, r":root,\[data-md-color-scheme=default\]")
    dark = _scheme_variables(material, r"\[data-md-color-scheme=slate\]")
    indigo = _scheme_variables(material, r"\[data-md-color-primary=indigo\]")
    ours = (ROOT / "docs/assets/figures.css").read_text()
    assert "opacity" not in ours, "a translucent fill in figures.css"
    ours_light = _scheme_variables(ours, r'body, body\[data-md-color-scheme="default"\]')
    ours_dark = {**ours_light, **_scheme_variables(ours, r'body\[data-md-color-scheme="slate"\]')}
    marks = {(c, v) for c, v in re.findall(r"\.[sk]-(\w+) \{ (?:fill|stroke): var\((--[\w-]+)\)", ours) if c != "grid"}
    assert {c for c, _ in marks} >= {"fg", "c1", "c2", "c3", "c4", "c5"}
    for scheme, md, own in (("default", {**light, **indigo}, ours_light),
                            ("slate", {**light, **dark, **indigo}, ours_dark)):
        bg = _parse_colour(md["--md-default-bg-color"], hue)
        for cls, var in marks:
            value = own[var]
            while (m := re.fullmatch(r"var\((--[\w-]+)\)", value.strip())):
                value = own.get(m.group(1)) or md[m.group(1)]
            ratio = _contrast(_parse_colour(value, hue), bg)
            assert ratio >= 3, f"marks .s-/.k-{cls} in {scheme}: {value} has contrast {ratio:.2f}:1"
    used = {c for fid in figures.FIGURES for c in re.findall(r'class="([^"]+)"', figures.render(fid, "en", VALUES, TEXT))}
    assert not {c for c in used if c.startswith("f-")}, "a translucent fill class is used"
    defined = set(re.findall(r"\.([tsk]-\w+) \{", ours))
    assert {c for c in used if c[:2] in ("t-", "s-", "k-")} <= defined, "a figure uses a colour class figures.css lacks"


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


# ------------------------------------------------------------------------------------------------- figures.js
def test_interactive_figures_redraw_keep_title_and_desc_and_agree_with_python(tmp_path):
    """In Chromium: typing into the inputs redraws the SVG (a different drawing), the redrawn SVG keeps its <title>
    and <desc> (aria-labelledby), numbers are written plainly (1,120 not 1.12e+3), and the values agree with the
    Python formulas (zero_bytes, bubble_fraction)."""
    import shutil
    chromium = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "") if p and Path(p).exists()),
                    None)
    if not chromium:
        pytest.skip("chromium is not installed")
    sync = pytest.importorskip("playwright.sync_api")
    css = (ROOT / "docs/assets/figures.css").as_uri()
    js = (ROOT / "docs/assets/figures.js").as_uri()
    figs = "".join(figures.render(f, "en", VALUES, TEXT) for f in ("zero-memory", "pipeline-schedules"))
    page = tmp_path / "fig.html"
    page.write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="stylesheet" href="{css}">'
                    f'</head><body>{figs}<script src="{js}"></script></body></html>', encoding="utf-8")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        pg = b.new_page()
        pg.goto(page.as_uri())
        for fid, inputs in (("zero-memory", {"nd": "8", "psi": "70"}), ("pipeline-schedules", {"p": "6", "m": "5"})):
            sel = f"#fig-{fid}"
            before = pg.inner_html(f"{sel} .elm-fig-scroll")
            for name, val in inputs.items():
                pg.fill(f"{sel} input[name={name}]", val)
                pg.dispatch_event(f"{sel} input[name={name}]", "input")
            svg = pg.inner_html(f"{sel} .elm-fig-scroll")
            assert svg != before, f"{fid}: the drawing did not change"
            state = pg.evaluate(f"""(() => {{ const s = document.querySelector('{sel} svg');
                const ids = (s.getAttribute('aria-labelledby') || '').split(' ');
                return [ids.map(i => (s.querySelector('#' + i) || {{}}).textContent || ''),
                        document.querySelector('{sel} output').textContent]; }})()""")
            (title, desc), summary = state
            assert title.strip() and desc.strip(), f"{fid}: the redrawn SVG lost its title/desc"
            assert "e+" not in svg and "e+" not in summary, f"{fid}: exponent notation in {summary!r}"
            if fid == "zero-memory":
                stage0 = sum(figures.zero_bytes(0, 8)) * 70
                assert f"ZeRO-0: {stage0:,.0f} GB" in summary, summary
            else:
                assert f"{figures.bubble_fraction(6, 5):.0%}" in summary, summary
        b.close()


# ------------------------------------------------------------------------------------------------- serving
def test_batching_timeline_reproduces_the_notebooks_count():
    """The figure schedules the requests itself (scripts/figures.py slot_schedules): its step counts and mean
    completion steps must give the ratios the serving notebook recorded from its own count_steps."""
    s = VALUES["llm_serving"]
    static, cont = figures.slot_schedules(s["mixed_max_tokens"], s["batch_slots"])
    assert sorted(e - a for a, e, _ in static) == sorted(s["mixed_max_tokens"]) == sorted(e - a for a, e, _ in cont)
    steps = [max(e for _, e, _ in sched) for sched in (static, cont)]
    done = [sum(e for _, e, _ in sched) / len(sched) for sched in (static, cont)]
    assert steps[0] / steps[1] == pytest.approx(s["mixed_counted_speedup"])
    assert done[0] / done[1] == pytest.approx(s["mixed_counted_latency_ratio"])
    for sched in (static, cont):      # no slot runs two requests at once
        for k in range(s["batch_slots"]):
            spans = sorted((a, e) for a, e, slot in sched if slot == k)
            assert all(e <= a2 for (_, e), (a2, _) in zip(spans, spans[1:])), (k, spans)


def test_sweep_series_agree_with_the_values_the_chapter_quotes():
    """The per-level series the sweep figure draws are the same measurement as the endpoints serving.md quotes."""
    s = VALUES["llm_serving"]
    levels = s["sweep_levels"]
    assert levels == sorted(levels) and all(len(s[k]) == len(levels) for k in s if k.endswith("_by_c"))
    first, last = 0, len(levels) - 1
    assert s["sweep_tok_s_by_c"][first] == pytest.approx(s["sweep_tok_s_c1"])
    assert s["sweep_tok_s_by_c"][last] == pytest.approx(s["sweep_tok_s_cmax"])
    assert s["sweep_tpot_p50_ms_by_c"][last] == pytest.approx(s["sweep_tpot_p50_cmax_ms"])
    assert [s["sweep_tok_s_lo_by_c"][last], s["sweep_tok_s_hi_by_c"][last]] == pytest.approx(
        s["sweep_tok_s_cmax_passes"])
    best = max(range(len(levels)), key=lambda i: s["sweep_goodput_by_c"][i])
    assert levels[best] == s["sweep_best_goodput_c"]
    assert all(p50 <= p90 for p50, p90 in zip(s["sweep_tpot_p50_ms_by_c"], s["sweep_tpot_p90_ms_by_c"]))
    assert s["sweep_n_by_c"] == sorted(s["sweep_n_by_c"]) and len(set(s["sweep_n_by_c"])) == len(levels)
    for lo, g, hi in zip(s["sweep_goodput_lo_by_c"], s["sweep_goodput_by_c"], s["sweep_goodput_hi_by_c"]):
        assert lo - 1e-9 <= g <= hi + 1e-9, (lo, g, hi)   # pooled over both passes: between the two
    plateau = figures.goodput_plateau(levels, s["sweep_goodput_lo_by_c"], s["sweep_goodput_hi_by_c"])
    assert [plateau[0], plateau[-1]] == [s["sweep_goodput_plateau_lo_c"], s["sweep_goodput_plateau_hi_c"]]
    assert ", ".join(map(str, plateau)) == s["sweep_goodput_top_c"]
    assert (len(plateau) == 1) == s["sweep_goodput_best_clear"]


def _sweep_panels(svg):
    """Per panel, in drawing order: the open markers (cx, cy, r) and the filled dots of the serving sweep."""
    root = ET.fromstring(svg)
    circles = list(root.iter(f"{SVG_NS}circle"))
    rings = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r"))) for c in circles if c.get("fill") == "none"]
    dots = [(float(c.get("cx")), float(c.get("cy")), float(c.get("r"))) for c in circles if c.get("fill") != "none"]
    return rings, dots


def test_sweep_draws_each_pass_as_its_own_marker_apart_where_the_passes_differ():
    """Each pass is its own open marker next to the pooled dot; where two passes differ by more than 10 % of the
    axis, their markers are at least a marker's diameter apart (not a 2-px bar hidden under a dot)."""
    s = VALUES["llm_serving"]
    html = figures.render("serving-sweep", "en", VALUES, TEXT)
    rings, dots = _sweep_panels(_svg_and_caption(html)[0])
    n = len(s["sweep_levels"])
    assert len(rings) == 2 * 2 * n and len(dots) == 3 * n      # two passes × (throughput, goodput); three panels
    for panel, (lo, hi) in enumerate((("sweep_tok_s_lo_by_c", "sweep_tok_s_hi_by_c"),
                                      ("sweep_goodput_lo_by_c", "sweep_goodput_hi_by_c"))):
        top = figures.axis_top(max(s[hi]))[0]
        for i, (a, b) in enumerate(zip(s[lo], s[hi])):
            (xa, ya, r), (xb, yb, _) = rings[(panel * n + i) * 2: (panel * n + i) * 2 + 2]
            assert xa == xb and r <= figures.G.dot
            if (b - a) / top > 0.1:
                assert abs(ya - yb) >= 2 * r, (panel, i, a, b, ya, yb)


def test_axes_reach_past_the_data_and_labels_clear_the_objective():
    for top in (0.9, 7.9, 19.6, 966.99, 1000, 13.4):
        t, ticks = figures.axis_top(top)
        assert t >= top and t == ticks[-1] and ticks[0] == 0
    line, size, mark = 100.0, figures.G.small, figures.G.mark
    for y in (line - 3, line, line + 5, line + size):       # a label whose box crosses the line moves off it
        for above in (True, False):
            moved = figures.label_clear_of(y, line, above)
            assert not (moved - size - mark < line < moved + mark), (y, above, moved)
    assert figures.label_clear_of(line - 40, line, True) == line - 40     # a label far from it stays
    svg = _svg_and_caption(figures.render("serving-sweep", "en", VALUES, TEXT))[0]
    root = ET.fromstring(svg)
    dashed = [float(el.get("y1")) for el in root.iter(f"{SVG_NS}line") if el.get("stroke-dasharray")]
    assert len(dashed) == 1
    slo_text = figures.T(TEXT["serving-sweep"], "en", "slo", t=VALUES["llm_serving"]["slo_tpot_ms"])
    for t in root.iter(f"{SVG_NS}text"):    # no value label of the TPOT panel sits on the objective line
        if t.get("class") == "t-c2" and t.text != slo_text and re.fullmatch(r"[\d.]+", t.text or ""):
            y = float(t.get("y"))
            assert not (y - size < dashed[0] < y), (t.text, y, dashed[0])


def test_batching_verdict_explains_only_what_the_values_show():
    s = VALUES["llm_serving"]
    cap = _svg_and_caption(figures.render("batching-slots", "en", VALUES, TEXT))[1]
    cheaper = TEXT["batching-slots"]["en"]["cheaper"]
    assert (html.escape(cheaper, quote=True) in cap) == (s["cont_vs_static_tok"] < s["mixed_counted_speedup"])
    changed = copy.deepcopy(VALUES)
    changed["llm_serving"]["cont_vs_static_tok"] = s["mixed_counted_speedup"] * 0.9
    changed["llm_serving"]["cont_tok_s_lo"], changed["llm_serving"]["cont_tok_s_hi"] = (
        s["static_tok_s_lo"], s["static_tok_s_hi"])                  # ranges overlap -> the noise verdict
    cap2 = _svg_and_caption(figures.render("batching-slots", "en", changed, TEXT))[1]
    assert html.escape(cheaper, quote=True) in cap2
