"""The chapters' figures, drawn by code from the site's own numbers, as inline SVG in English and Chinese.

Each figure is one function registered with `@figure(id, chapter, inputs=...)`. `inputs` names every number the
drawing may read: `cited.<key>` (scripts/cited_constants.yml) or `<notebook>.<value>` (a value the notebook
records). The function receives them through `Inputs`, which refuses any name not declared, so the declaration is
the figure's complete list of data sources (tests/test_figures.py checks that each one exists and that changing it
changes the drawing). Numbers that are not data live in three named tables only, and a test rejects a numeric
literal anywhere else in this file:

- GEOMETRY: the size of the canvas, margins, font sizes: layout, not content;
- DEFINITIONS: what a format or an algorithm defines (bits of FP8 E4M3, bytes of a BF16 value, Adam's two
  moments, backward = 2 × forward FLOPs);
- DIAGRAM: the illustrative choices of a schematic (4 devices, 8 micro-batches, 27 candidates with η = 3), each
  said in the figure or its caption.

Text is real SVG text in the page's language (strings in TEXT, per figure, Chinese with the glossary's terms);
colours are CSS classes (docs/assets/figures.css) bound to Material's theme variables, so a figure reads in light and
dark. scripts/mkdocs_hooks/figures.py replaces `<!-- figure: <id> -->` in a chapter with `render(id, lang)` at every
build: a figure is drawn from the current values each time, so it cannot go stale.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent

# ------------------------------------------------------------------------------------------------ the three tables
GEOMETRY = dict(
    # viewBox sizes in user units. The figure is drawn at most max_width CSS px wide and shrinks with the column, so a
    # label of `small` units renders at small × 358 / width ≥ 11 CSS px in the 358 px column of a 390 px phone.
    width=440, height=320, tall=380, short=240, max_width=500,
    left=58, right=24, top=30, bottom=46,         # plot margins
    font=15, small=14, title=15,                  # font sizes
    tick=5, gap=6, pad=10, dot=5, bar=22, row=30, legend=18, swatch=12,
    col3=190, col25=150, room=64, room6=104, room8=130, mid=1.5, lane=0.8, row_gap=1.9, quarter=5.5,
    hist_rows=4, hist_h=3.5, thick=3, char_w=0.6, cjk=0x2E80,               # label columns, room right of bars, bar parts
    digits=3, round_digits=6, ticks=4, nice_steps=(1, 2, 5, 10), eps=1e-9, plain_max=1e6,   # number formatting
    label_dx=7, label_dy=5, ylabel_x=16,
    slot_h=9, slot_gap=3,                          # the lanes of a batching timeline
    panel=96, mark=3,                              # a panel of the serving sweep; its small markers (radius)
)
DEFINITIONS = dict(
    # IEEE 754 binary32 / binary16, bfloat16, NVIDIA TF32, OCP FP8 (E4M3 "FN": no infinity, only S.1111.111 is NaN)
    formats={"FP32": (8, 23, False), "TF32": (8, 10, False), "BF16": (8, 7, False), "FP16": (5, 10, False),
             "FP8 E5M2": (5, 2, False), "FP8 E4M3": (4, 3, True)},
    bytes_fp32=4, bytes_16=2, bits_per_byte=8,
    adam_moments=2,            # Adam keeps m and v per parameter
    backward_over_forward=2,   # a backward pass is about twice a forward pass's FLOPs
    train_flops_per_param_token=6, infer_flops_per_param_token=2,
    int8_levels=255, int4_levels=15, nf4_bits=4,    # symmetric absmax int8 / int4 grids; NF4 has 2^4 values
    nf4_block=64,              # QLoRA quantizes weights in blocks of 64, each scaled by its own absmax
    nf4_halves=(8, 7),         # NF4: 8 positive quantiles, 7 negative, and an exact zero (QLoRA, appendix E)
    mlp_mult=4,                # GPT-style MLP width 4·d
    mlp_mats=2, gated_mlp_mats=3,   # GELU MLP: up, down; SwiGLU: gate, up, down
    n_24=(2, 4),               # 2:4 sparsity: 2 of every 4 weights kept
    kv=2,                      # a KV cache stores a key and a value
    ring_limit=2,              # 2(N − 1)/N → 2 as N grows
    seconds_per_hour=3600, kib=1024, mega=1e6, giga=1e9, tera=1e12,
    zero_stages=(1, 2, 3),     # ZeRO: 1 shards the optimizer state, 2 also gradients, 3 also weights
    slo_target_share=0.9,      # DistServe (OSDI 2024) counts a rate as served when 90 % of requests meet the SLO
)
DIAGRAM = dict(
    devices=4,                  # sharding and ring all-reduce schematics
    stages=4, microbatches=8, chunks=2, max_stages=8, max_microbatches=32, max_chunks=4,   # pipeline
    zero_max_devices=4096, zero_max_params_b=2000,
    grid_side=3, seed=7, grid_cells=(16, 8),    # grid vs random search; the sparsity grids (columns, rows)
    peak_at=0.7, peak_width=0.05, draws=1000,   # the response curve of the important parameter; draws of random search
    prune_fraction=0.5, halving_candidates=27, halving_eta=3, halving_min_budget=60, halving_rounds=3,   # the chapter's run
    lr_total=1000, lr_warmup=100, lr_min_ratio=0.01, lr_steps_at=(0.5, 0.75), lr_step_gamma=0.1, lr_points=200,
    dprime=1.5, rare=0.03, balanced=0.5, curve_points=60,     # binormal classifier for ROC vs PR: separation, rare prevalence
    decode_batches=(1, 8, 64, 256), batch_lines=(1, 8), sigma_span=4, hist_bins=61,
    log_pad=1.6, decade_span=3, headroom=1.25,
)
G = SimpleNamespace(**GEOMETRY)
D = SimpleNamespace(**DIAGRAM)
F = SimpleNamespace(**DEFINITIONS)

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
COLOURS = ("c1", "c2", "c3", "fg", "c5")   # categorical series (figures.css), text-safe in both schemes


# ------------------------------------------------------------------------------------------------ registry
@dataclass
class Figure:
    id: str
    chapter: str
    inputs: tuple[str, ...]
    draw: object
    interactive: str | None = None
    caption_inputs: tuple[str, ...] = ()   # values quoted in the caption only, not drawn




FIGURES: dict[str, Figure] = {}


def figure(fid: str, chapter: str, inputs: tuple[str, ...] = (), interactive: str | None = None,
           caption: tuple[str, ...] = ()):
    """inputs: the values the drawing reads; caption: values only its caption quotes (tests check each kind)."""
    def deco(fn):
        if fid in FIGURES:
            raise ValueError(f"figure id {fid!r} registered twice")
        FIGURES[fid] = Figure(fid, chapter, tuple(inputs), fn, interactive, tuple(caption))
        return fn
    return deco


class Inputs:
    """The values a figure declared, and nothing else: reading an undeclared name is an error."""

    def __init__(self, values: dict[str, dict], declared: tuple[str, ...], fid: str):
        self._values, self._declared, self._fid = values, set(declared), fid

    def __getitem__(self, name: str):
        if name not in self._declared:
            raise KeyError(f"figure {self._fid!r} reads {name!r} without declaring it in inputs=")
        nb, key = name.split(".", 1)
        if key not in self._values.get(nb, {}):
            where = "scripts/cited_constants.yml" if nb == "cited" else f"notebooks/{nb}.ipynb (re-execute it)"
            raise KeyError(f"figure {self._fid!r} reads {name!r}, which {where} does not record")
        return self._values[nb][key]


def all_values() -> dict[str, dict]:
    import notebook_values
    return notebook_values.all_values(ROOT)


def load_text() -> dict:
    return json.loads((ROOT / "scripts" / "figures_text.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------ SVG helpers
e = html.escape


def num(v: float, digits: int = G.digits) -> str:
    return f"{v:.{digits}g}"


def plain(v: float) -> str:
    """65,504 or 448 or 3.4 × 10³⁸: a format's largest value as a reader would write it."""
    return f"{v:,.0f}" if v < G.plain_max else sci(v)


def sci(v: float, digits: int = 2) -> str:
    """10²³ for exact decades, else 3.1 × 10²³ (`digits` significant figures)."""
    exp = math.floor(math.log10(v))
    mant = v / 10**exp
    sup = str(exp).translate(SUPERSCRIPT)
    return f"10{sup}" if abs(mant - 1) < G.eps else f"{mant:.{digits}g} × 10{sup}"


def count_fmt(v: float) -> str:
    """50B, 1T, 20T: parameter and token counts as the papers write them."""
    return f"{v / F.tera:g}T" if v >= F.tera else f"{v / F.giga:g}B"


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks inside [lo, hi] on a log axis."""
    return [m * t for t in decades(lo / G.nice_steps[-1], hi) for m in G.nice_steps[:-1] if lo <= m * t <= hi]


class Svg:
    """Marks carry colour classes (docs/assets/figures.css): every filled or stroked mark that carries meaning is a
    solid colour at ≥ 3:1 against the page in both schemes, or an outline of one; no translucent fills."""

    def __init__(self, width: float = G.width, height: float = G.height):
        self.w, self.h, self.parts = width, height, []

    def text(self, x, y, s, cls="fg", anchor="start", size=None, weight=None, rotate=False):
        attrs = f' font-size="{size or G.font}"' + (f' font-weight="{weight}"' if weight else "")
        rot = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}" class="t-{cls}" text-anchor="{anchor}"{attrs}{rot}>'
                          f'{e(str(s))}</text>')

    def line(self, x1, y1, x2, y2, cls="fg", dash=False, width=1):
        d = ' stroke-dasharray="4 3"' if dash else ""
        self.parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="k-{cls}" '
                          f'stroke-width="{width}"{d}/>')

    def rect(self, x, y, w, h, cls="c1", solid=False):
        """solid: filled with the colour; otherwise an outline in it (an empty slot, a full replica's extent)."""
        look = f'class="s-{cls}"' if solid else f'class="k-{cls}" fill="none" stroke-width="1.5"'
        self.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" {look}/>')

    def path(self, pts, cls="c1", width=2, dash=False):
        d = "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dd = ' stroke-dasharray="5 3"' if dash else ""
        self.parts.append(f'<path d="{d}" class="k-{cls}" fill="none" stroke-width="{width}"{dd}/>')

    def dot(self, x, y, cls="c1", r=None):
        self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r or G.dot}" class="s-{cls}"/>')

    def ring(self, x, y, cls="c1", r=None):
        """An open marker: the outline of a dot."""
        self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r or G.dot}" class="k-{cls}" fill="none" '
                          f'stroke-width="1.5"/>')

    def render(self, fid: str, title: str, desc: str) -> str:
        t, d = f"fig-{fid}-title", f"fig-{fid}-desc"
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.w:g} {self.h:g}" role="img" '
                f'aria-labelledby="{t} {d}" class="elm-fig-svg" style="max-width:{G.max_width}px">'
                f'<title id="{t}">{e(title)}</title><desc id="{d}">{e(desc)}</desc>' + "".join(self.parts) + "</svg>")


def lin(d0, d1, r0, r1):
    return lambda v: r0 + (v - d0) * (r1 - r0) / (d1 - d0)


def logscale(d0, d1, r0, r1):
    a, b = math.log10(d0), math.log10(d1)
    return lambda v: r0 + (math.log10(v) - a) * (r1 - r0) / (b - a)


def decades(lo: float, hi: float) -> list[float]:
    return [10.0**k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)]


def nice_ticks(lo: float, hi: float, want: int = G.ticks) -> list[float]:
    raw = (hi - lo) / want
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in G.nice_steps if m * mag >= raw), default=mag * 10)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + G.eps) + 1)]


def plot_box(svg: Svg, w=None, h=None):
    """(x0, x1, y0, y1) of the plot area: x0 left, y0 bottom (SVG y grows downwards)."""
    return G.left, (w or svg.w) - G.right, (h or svg.h) - G.bottom, G.top


def axes(svg, box, xs, ys, xticks, yticks, xlabel, ylabel, xfmt=num, yfmt=num, grid=True):
    x0, x1, y0, y1 = box
    for v in yticks:
        y = ys(v)
        if grid:
            svg.line(x0, y, x1, y, cls="grid")
        svg.text(x0 - G.gap, y + G.label_dy, yfmt(v), cls="muted", anchor="end", size=G.small)
    for v in xticks:
        x = xs(v)
        if grid:
            svg.line(x, y0, x, y1, cls="grid")
        svg.text(x, y0 + G.tick + G.small + 2, xfmt(v), cls="muted", anchor="middle", size=G.small)
    svg.line(x0, y0, x1, y0)
    svg.line(x0, y0, x0, y1)
    svg.text((x0 + x1) / 2, svg.h - G.pad, xlabel, anchor="middle")
    svg.text(G.ylabel_x, (y0 + y1) / 2, ylabel, anchor="middle", rotate=True)


def text_width(s: str, size: float) -> float:
    """Rough width of a label: CJK characters are a full em, Latin ones about G.char_w of it."""
    return size * sum(1 if ord(c) >= G.cjk else G.char_w for c in s)


def legend(svg, items, x, y, step=None, width=None):
    """items: [(colour class, label)] or [(colour class, label, look)], look "solid" (default), "outline" or "line"
    (as the mark is drawn), in rows starting at (x, y) that wrap before `width`."""
    x_start, right = x, width or svg.w - G.right
    for item in items:
        cls, label, look = item if len(item) > len(("cls", "label")) else (*item, "solid")
        w = step or (G.swatch + G.gap + G.label_dx * 2 + text_width(label, G.small))
        if x > x_start and x + w - G.label_dx * 2 > right:
            x, y = x_start, y + G.legend
        if look == "line":
            svg.line(x, y - G.swatch / 2, x + G.swatch, y - G.swatch / 2, cls=cls, width=G.thick)
        else:
            svg.rect(x, y - G.swatch, G.swatch, G.swatch, cls=cls, solid=look == "solid")
        svg.text(x + G.swatch + G.label_dx / 2, y, label, cls="fg", size=G.small)
        x += w
    return y


def legend_rows(items, width) -> int:
    """How many rows legend() needs for these items in this width (to reserve the room above a plot)."""
    rows, x = 1, 0.0
    for item in items:
        w = G.swatch + G.gap + G.label_dx * 2 + text_width(item[1], G.small)
        if x and x + w - G.label_dx * 2 > width:
            rows, x = rows + 1, 0.0
        x += w
    return rows


def hbars(svg, rows, kinds, xlabel, fmt, total_fmt=None, legend_items=None, xmax=None):
    """Horizontal stacked bars, each with its label on the line above it (so the bars get the whole width on a
    phone). rows: [(label, [value per kind])]; kinds: [(colour, label)]. Sets the figure's height; returns the x
    scale and each bar's top y."""
    x0, x1 = G.pad, svg.w - G.room
    y = legend(svg, legend_items or kinds, x0, G.top) + G.pad
    top = max([sum(v) for _, v in rows] + [xmax or 0])
    xs = lin(0, top, x0, x1)
    slot = G.small + G.gap + G.bar + G.pad
    y0 = y + slot * len(rows)
    svg.h = y0 + G.bottom
    for v in nice_ticks(0, top):
        svg.line(xs(v), y0, xs(v), y, cls="grid")
        svg.text(xs(v), y0 + G.small + G.tick, fmt(v), cls="muted", anchor="middle", size=G.small)
    tops = []
    for label, vals in rows:
        svg.text(x0, y + G.small, label, size=G.small)
        yb = y + G.small + G.gap
        x = x0
        for (cls, _), v in zip(kinds, vals):
            svg.rect(x, yb, xs(v) - x0, G.bar, cls=cls, solid=True)
            x += xs(v) - x0
        svg.text(x + G.gap, yb + G.bar / 2 + G.label_dy, (total_fmt or fmt)(sum(vals)), size=G.small)
        tops.append(yb)
        y += slot
    svg.line(x0, y0, x1, y0)
    svg.text(svg.w / 2, svg.h - G.pad, xlabel, anchor="middle")
    return xs, tops


def paired_bars(svg, rows, kinds, tick_fmt, room, ref=None):
    """rows: [(label, (a, b), (label a, label b))], two bars per row under its label; kinds: two (colour, legend
    label). A dashed line at x = ref if given. Sets the height."""
    x0, x1 = G.pad, svg.w - room
    y = legend(svg, kinds, x0, G.top) + G.pad
    top = max(max(vals) for _, vals, _ in rows)
    xs = lin(0, top, x0, x1)
    y_top = y
    for label, vals, ends in rows:
        svg.text(x0, y + G.small, label, size=G.small, weight="bold")
        y += G.small + G.gap
        for (cls, _), val, end in zip(kinds, vals, ends):
            svg.rect(x0, y, xs(val) - x0, G.bar - 2, cls=cls, solid=True)
            svg.text(xs(val) + G.gap, y + G.bar / 2 + G.label_dy - 1, end, size=G.small)
            y += G.bar
        y += G.pad
    for t in nice_ticks(0, top):
        svg.line(xs(t), y_top, xs(t), y, cls="grid")
        svg.text(xs(t), y + G.small + G.tick, tick_fmt(t), cls="muted", anchor="middle", size=G.small)
    if ref is not None:
        svg.line(xs(ref), y_top, xs(ref), y, cls="fg", dash=True)
    svg.line(x0, y, x1, y)
    svg.h = y + G.bottom
    return xs


def T(text: dict, lang: str, key: str, **kw) -> str:
    s = text[lang][key]
    return s.format(**kw) if kw else s


# ------------------------------------------------------------------------------------------------ render
def render(fid: str, lang: str, values: dict | None = None, text: dict | None = None) -> str:
    """The figure as HTML: <figure> with the SVG (in a keyboard-scrollable wrapper) and its caption."""
    fig = FIGURES[fid]
    values = all_values() if values is None else values
    strings = (text or load_text())[fid]
    if lang not in strings:
        raise KeyError(f"figure {fid!r} has no strings for language {lang!r} (scripts/figures_text.json)")
    svg, fmt = fig.draw(Inputs(values, fig.inputs + fig.caption_inputs, fid), strings, lang)
    cap = T(strings, lang, "caption", **fmt)
    label = T(strings, lang, "title", **fmt)
    body = svg.render(fid, label, T(strings, lang, "desc", **fmt))
    inter = ""
    if fig.interactive:
        inter = INTERACTIVE[fig.interactive](Inputs(values, fig.inputs, fid), strings, lang, fid)
    attr = f' data-interactive="{fig.interactive}"' if inter else ""
    return (f'<figure class="elm-fig" id="fig-{fid}"{attr}>'
            f'{inter}<div class="elm-fig-scroll" tabindex="0" role="region" aria-label="{e(label)}">{body}</div>'
            f'<figcaption>{e(cap)}</figcaption></figure>')


# ================================================================================================ large-models
def six_nd(n_params, tokens):
    return F.train_flops_per_param_token * n_params * tokens


@figure("compute-isolines", "large-models", inputs=(
    "cited.gpt3_params_b", "cited.gpt3_tokens_b", "cited.palm_params_b",
    "cited.palm_tokens_b", "cited.chinchilla_params_b", "cited.chinchilla_tokens_t",
    "cited.llama3_405b_params_b", "cited.llama3_tokens_t"),
    caption=("cited.gpt3_training_flops",))
def _compute_isolines(v, text, lang):
    B, Tr = F.giga, F.tera
    models = [("GPT-3", v["cited.gpt3_params_b"] * B, v["cited.gpt3_tokens_b"] * B, v["cited.gpt3_training_flops"]),
              ("PaLM", v["cited.palm_params_b"] * B, v["cited.palm_tokens_b"] * B, None),
              ("Chinchilla", v["cited.chinchilla_params_b"] * B, v["cited.chinchilla_tokens_t"] * Tr, None),
              ("Llama 3 405B", v["cited.llama3_405b_params_b"] * B, v["cited.llama3_tokens_t"] * Tr, None)]
    svg = Svg(height=G.tall)
    box = x0, x1, y0, y1 = plot_box(svg)
    nlo, nhi = min(m[1] for m in models) / D.log_pad, max(m[1] for m in models) * D.log_pad
    dlo, dhi = min(m[2] for m in models) / D.log_pad, max(m[2] for m in models) * D.log_pad
    xs, ys = logscale(nlo, nhi, x0, x1), logscale(dlo, dhi, y0, y1)
    axes(svg, box, xs, ys, log_ticks(nlo, nhi), log_ticks(dlo, dhi), T(text, lang, "x"), T(text, lang, "y"),
         xfmt=count_fmt, yfmt=count_fmt)
    # isolines C = 6·N·D: D = C / (6·N), one per decade of C spanned by the models, each labelled where it is drawn
    cs = decades(min(six_nd(n, d) for _, n, d, _ in models), max(six_nd(n, d) for _, n, d, _ in models))
    for c in cs:
        (ax, ay), (bx, by) = [(xs(n), ys(c / (F.train_flops_per_param_token * n))) for n in (nlo, nhi)]
        if ay < y1:      # clip to the plot (a straight line in log-log)
            ax, ay = ax + (bx - ax) * (y1 - ay) / (by - ay), y1
        if by > y0:
            bx, by = ax + (bx - ax) * (y0 - ay) / (by - ay), y0
        label = f"{sci(c)} FLOPs"
        if bx - ax < text_width(label, G.small) + G.pad * 2:
            continue     # too short a piece to label: not drawn
        svg.line(ax, ay, bx, by, cls="muted", dash=True)
        svg.text(bx - G.gap, by - G.gap, label, cls="muted", size=G.small, anchor="end")
    for i, (name, n, d, cited) in enumerate(models):
        cls = COLOURS[i % len(COLOURS)]
        svg.dot(xs(n), ys(d), cls=cls)
        right = xs(n) > (x0 + x1) / 2
        svg.text(xs(n) + (-G.label_dx if right else G.label_dx), ys(d) - G.label_dx, name, cls=cls,
                 anchor="end" if right else "start")
    _, n, d, cited = models[0]
    return svg, dict(ratio=six_nd(n, d) / cited, gpt3=sci(six_nd(n, d), G.digits), gpt3_paper=sci(cited, G.digits))


def transformer_params(layers, d, vocab, ffn=None, heads=None, kv_heads=None, gated=False, tied=True):
    """(embeddings, attention, MLP) parameters, biases and norms left out (they are < 0.1 %); an untied output
    head (Llama) counts as a second embedding matrix."""
    hd = d // heads if heads else d
    kv = (kv_heads or heads or 1) * hd
    attn = layers * (2 * d * d + 2 * d * kv)            # Q and O are d×d; K and V are d×(kv heads · head dim)
    ffn = ffn or F.mlp_mult * d
    mlp = layers * ((F.gated_mlp_mats if gated else F.mlp_mats) * d * ffn)
    return vocab * d * (1 if tied else 2), attn, mlp


@figure("param-breakdown", "large-models", inputs=(
    "cited.gpt3_layers", "cited.gpt3_d_model", "cited.gpt2_vocab",
    "cited.llama2_7b_layers", "cited.llama2_7b_hidden", "cited.llama2_7b_ffn", "cited.llama2_vocab",
    "cited.llama3_70b_layers", "cited.llama3_70b_hidden", "cited.llama3_70b_ffn", "cited.llama3_vocab",
    "cited.llama3_70b_heads", "cited.llama3_70b_kv_heads"), caption=("cited.gpt3_params_b",))
def _param_breakdown(v, text, lang):
    rows = [("GPT-3 175B", transformer_params(v["cited.gpt3_layers"], v["cited.gpt3_d_model"], v["cited.gpt2_vocab"])),
            ("Llama 2 7B", transformer_params(v["cited.llama2_7b_layers"], v["cited.llama2_7b_hidden"],
                                              v["cited.llama2_vocab"], ffn=v["cited.llama2_7b_ffn"], gated=True,
                                              tied=False)),
            ("Llama 3 70B", transformer_params(v["cited.llama3_70b_layers"], v["cited.llama3_70b_hidden"],
                                               v["cited.llama3_vocab"], ffn=v["cited.llama3_70b_ffn"],
                                               heads=v["cited.llama3_70b_heads"],
                                               kv_heads=v["cited.llama3_70b_kv_heads"], gated=True, tied=False))]
    # share of each part, in %: stacked to 100 so models of different size compare
    shares = [(T(text, lang, "total", m=name, n=sum(parts) / F.giga, mlp=100 * parts[2] / sum(parts)),
               [100 * x / sum(parts) for x in parts]) for name, parts in rows]
    svg = Svg()
    kinds = list(zip(COLOURS, (T(text, lang, "emb"), T(text, lang, "attn"), T(text, lang, "mlp"))))
    hbars(svg, shares, kinds, T(text, lang, "x"), fmt=lambda x: f"{x:.0f}%", total_fmt=lambda x: "")
    gpt3 = sum(rows[0][1]) / F.giga
    return svg, dict(gpt3=gpt3, cited=v["cited.gpt3_params_b"],
                     mlp_min=min(100 * p[2] / sum(p) for _, p in rows))


# ================================================================================================ training
def chapter_lr_schedule() -> dict:
    """The warm-up and cosine schedule of the training chapter's PyTorch block (docs/training.md), read from its
    code so the figure draws the chapter's numbers and fails if the block changes shape."""
    import re
    src = (ROOT / "docs" / "training.md").read_text(encoding="utf-8")
    pats = dict(warm=r"warmup, total = (\d+), \d+", total=r"warmup, total = \d+, (\d+)",
                start=r"LinearLR\(opt, start_factor=([\d.e-]+)", lr=r"AdamW\(\[w\], lr=([\d.e-]+)\)",
                eta_min=r"eta_min=([\d.e-]+)")
    out = {}
    for k, pat in pats.items():
        m = re.search(pat, src)
        if not m:
            raise ValueError(f"lr-schedules: docs/training.md no longer has {pat!r} in its schedule block")
        out[k] = float(m.group(1))
    return out


@figure("lr-schedules", "training")
def _lr_schedules(v, text, lang):
    ch = chapter_lr_schedule()
    total, warm, start, lo = ch["total"], ch["warm"], ch["start"], ch["eta_min"] / ch["lr"]
    steps = sorted({total * i / D.lr_points for i in range(D.lr_points + 1)} | {warm})

    def warmup(s):
        return start + (1 - start) * s / warm

    def cosine(s):
        return warmup(s) if s < warm else lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * (s - warm) / (total - warm)))

    def linear(s):
        return warmup(s) if s < warm else lo + (1 - lo) * (total - s) / (total - warm)

    def step(s):
        return warmup(s) if s < warm else D.lr_step_gamma ** sum(s >= total * a for a in D.lr_steps_at)

    curves = [(T(text, lang, "step"), step, "c2", True), (T(text, lang, "cosine"), cosine, "c1", False),
              (T(text, lang, "linear"), linear, "c3", False)]
    svg = Svg()
    items = [(cls, label, "line") for label, _, cls, _ in curves]
    ly = legend(svg, items, G.left, G.top)
    box = x0, x1, y0, y1 = G.left, svg.w - G.right, svg.h - G.bottom, ly + G.pad
    xs, ys = lin(0, total, x0, x1), lin(0, 1, y0, y1)
    axes(svg, box, xs, ys, nice_ticks(0, total), nice_ticks(0, 1), T(text, lang, "x"), T(text, lang, "y"),
         yfmt=lambda t: f"{t:.1f}", xfmt=lambda t: f"{t:.0f}")
    svg.line(xs(warm), y0, xs(warm), y1, cls="muted", dash=True)
    svg.text(xs(warm) + G.gap, y0 - G.gap, T(text, lang, "warm", w=warm), cls="muted", size=G.small)
    for label, fn, cls, dash in curves:
        svg.path([(xs(s), ys(fn(s))) for s in steps], cls=cls, dash=dash, width=G.thick if dash else 2)
    return svg, dict(warm=warm, total=total, start=start)


@figure("early-stopping", "training", inputs=(
    "digit_classifier.torch_best_epoch", "digit_classifier.torch_stop_epoch", "digit_classifier.patience",
    "digit_classifier.keras_best_epoch", "digit_classifier.keras_epochs"), caption=("digit_classifier.ckpt_epoch",))
def _early_stopping(v, text, lang):
    runs = [("PyTorch", v["digit_classifier.torch_best_epoch"], v["digit_classifier.torch_stop_epoch"]),
            ("Keras", v["digit_classifier.keras_best_epoch"], v["digit_classifier.keras_epochs"])]
    pat = v["digit_classifier.patience"]
    svg = Svg(height=G.short + G.legend)
    items = [("c1", T(text, lang, "improving")), ("c2", T(text, lang, "waiting", p=pat))]
    ly = legend(svg, items, G.pad, G.top)
    x0, x1, y0, y1 = G.left * 2, svg.w - G.right * 2, svg.h - G.bottom, ly + G.pad * 2
    top = max(s for _, _, s in runs)
    xs = lin(0, top, x0, x1)
    for t in nice_ticks(0, top):
        svg.line(xs(t), y0, xs(t), y1, cls="grid")
        svg.text(xs(t), y0 + G.small + G.tick, f"{t:.0f}", cls="muted", anchor="middle", size=G.small)
    step = (y0 - y1) / len(runs)
    for i, (name, best, stop) in enumerate(runs):
        y = y1 + i * step + (step - G.bar) / 2
        svg.text(x0 - G.gap, y + G.bar / 2 + G.label_dy, name, anchor="end")
        svg.rect(xs(0), y, xs(best) - xs(0), G.bar, cls="c1", solid=True)
        svg.rect(xs(best), y, xs(stop) - xs(best), G.bar, cls="c2", solid=True)
        svg.line(xs(best), y - G.gap, xs(best), y + G.bar + G.gap, cls="c3", width=2)
        svg.text(xs(best), y - G.gap - 2, T(text, lang, "best", e=best), cls="c3", anchor="middle", size=G.small)
        svg.text(xs(stop), y + G.bar + G.small + G.gap / 2, T(text, lang, "stop", e=stop), size=G.small,
                 anchor="end")
    svg.text((x0 + x1) / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    return svg, dict(best=runs[0][1], stop=runs[0][2], patience=pat, ckpt=v["digit_classifier.ckpt_epoch"])


# ================================================================================================ training-memory
def zero_devices(v) -> int:
    """The device count of the ZeRO paper's example, solved from its stage-1 figure (2Ψ + 2Ψ + 12Ψ/N_d)."""
    psi = v["cited.zero_example_params_b"]
    adam = F.bytes_fp32 * (1 + F.adam_moments)
    return round(adam * psi / (v["cited.zero_stage1_gb"] - F.bytes_16 * 2 * psi))


def zero_bytes(stage: int, nd: int) -> tuple[float, float, float]:
    """Bytes per parameter on one device: (16-bit weights, 16-bit gradients, FP32 master + Adam m, v)."""
    w, g, o = F.bytes_16, F.bytes_16, F.bytes_fp32 * (1 + F.adam_moments)
    opt, grad, weight = F.zero_stages
    return (w / nd if stage >= weight else w, g / nd if stage >= grad else g, o / nd if stage >= opt else o)


ZERO_INPUTS = ("cited.zero_example_params_b", "cited.zero_stage1_gb", "cited.zero_baseline_gb",
               "cited.zero_stage2_gb", "cited.zero_stage3_gb")


@figure("bytes-per-param", "training-memory", inputs=(
    "cited.zero_example_params_b", "cited.zero_stage1_gb", "llm_finetuning.lora_trainable_frac",
    "llm_finetuning.nf4_dq_bits"), caption=("cited.zero_baseline_gb", "cited.zero_stage3_gb"))
def _bytes_per_param(v, text, lang):
    nd = zero_devices(v)
    frac = v["llm_finetuning.lora_trainable_frac"]
    mixed = zero_bytes(0, 1)
    fp32 = (F.bytes_fp32, F.bytes_fp32, F.bytes_fp32 * F.adam_moments)
    rows = [(T(text, lang, "fp32"), fp32), (T(text, lang, "mixed"), mixed)]
    rows += [(f"ZeRO-{s} (N = {nd})", zero_bytes(s, nd)) for s in F.zero_stages]
    rows += [("LoRA", (F.bytes_16, frac * mixed[1], frac * mixed[2])),
             ("QLoRA", (v["llm_finetuning.nf4_dq_bits"] / F.bits_per_byte, frac * mixed[1], frac * mixed[2]))]
    svg = Svg()
    kinds = list(zip(COLOURS, (T(text, lang, "w"), T(text, lang, "g"), T(text, lang, "o"))))
    hbars(svg, rows, kinds, T(text, lang, "x"), fmt=lambda x: f"{x:.3g}")
    psi = v["cited.zero_example_params_b"]
    return svg, dict(nd=nd, psi=psi, frac=frac, base=sum(mixed) * psi, mixed_bytes=sum(mixed), cited_base=v["cited.zero_baseline_gb"],
                     z3=sum(zero_bytes(F.zero_stages[-1], nd)) * psi, cited_z3=v["cited.zero_stage3_gb"])


@figure("measured-memory", "training-memory", inputs=(
    "training_memory.weights_mib", "training_memory.grads_mib", "training_memory.adam_mib",
    "training_memory.acts_mib", "training_memory.acts_half_mib", "training_memory.ckpt_saved_mib",
    "training_memory.acts_micro_mib", "training_memory.total_mib", "training_memory.static_mib",
    "training_memory.ckpt_peak_mib"))
def _measured_memory(v, text, lang):
    w, g, o, a = (v[f"training_memory.{k}"] for k in ("weights_mib", "grads_mib", "adam_mib", "acts_mib"))
    rows = [(T(text, lang, "plain"), (w, g, o, a)),
            (T(text, lang, "bf16"), (w, g, o, v["training_memory.acts_half_mib"])),
            (T(text, lang, "ckpt"), (w, g, o, v["training_memory.ckpt_saved_mib"])),
            (T(text, lang, "micro"), (w, g, o, v["training_memory.acts_micro_mib"]))]
    svg = Svg()
    kinds = list(zip(COLOURS, (T(text, lang, "w"), T(text, lang, "g"), T(text, lang, "o"), T(text, lang, "a"))))
    peaks = {0: v["training_memory.total_mib"],
             2: v["training_memory.static_mib"] + v["training_memory.ckpt_peak_mib"]}   # measured step peaks
    xs, tops = hbars(svg, rows, kinds, T(text, lang, "x"), fmt=lambda x: f"{x:.3g}", total_fmt=lambda x: "",
                     legend_items=kinds + [("c5", T(text, lang, "peak"), "line")], xmax=max(peaks.values()))
    for i, yb in enumerate(tops):
        sums = sum(rows[i][1])
        svg.text(xs(max(sums, peaks.get(i, 0))) + G.gap, yb + G.bar / 2 + G.label_dy, f"{sums:.3g}", size=G.small)
        if i in peaks:
            svg.line(xs(peaks[i]), yb - G.gap, xs(peaks[i]), yb + G.bar + G.gap, cls="c5", width=G.thick)
    return svg, dict(acts=a, static=w + g + o, ckpt=v["training_memory.ckpt_saved_mib"], total=peaks[0],
                     ckpt_peak=peaks[2], formula=sum(rows[0][1]))


def js_context(fid: str, lang: str) -> dict:
    """What docs/assets/figures.js needs to redraw a figure as this file draws it: the layout, id and language."""
    return {"G": GEOMETRY, "id": fid, "lang": "zh-CN" if lang == "zh" else lang}


def _zero_interactive(v, text, lang, fid):
    nd = zero_devices(v)
    psi = v["cited.zero_example_params_b"]
    data = json.dumps({"labels": {k: T(text, lang, k) for k in ("w", "g", "o", "x", "gb", "stage")},
                       "title": T(text, lang, "title"), "desc_live": T(text, lang, "desc_live"),
                       "bytes": {"w": F.bytes_16, "g": F.bytes_16, "o": F.bytes_fp32 * (1 + F.adam_moments)}}
                      | js_context(fid, lang))
    return (f'<div class="elm-fig-controls" data-fig="{fid}" data-strings="{e(data)}">'
            f'<label>{e(T(text, lang, "in_n"))} <input type="number" name="nd" min="1" max="{D.zero_max_devices}" '
            f'step="1" value="{nd}"></label>'
            f'<label>{e(T(text, lang, "in_psi"))} <input type="number" name="psi" min="0.1" '
            f'max="{D.zero_max_params_b}" step="0.1" value="{psi}"></label>'
            f'<output aria-live="polite"></output></div>')


@figure("zero-memory", "training-memory", inputs=ZERO_INPUTS[:2], caption=ZERO_INPUTS[2:], interactive="zero")
def _zero_memory(v, text, lang):
    nd, psi = zero_devices(v), v["cited.zero_example_params_b"]
    rows = [(T(text, lang, "stage", s=s), tuple(b * psi for b in zero_bytes(s, nd)))
            for s in range(len(F.zero_stages) + 1)]
    svg = Svg()
    kinds = list(zip(COLOURS, (T(text, lang, "w"), T(text, lang, "g"), T(text, lang, "o"))))
    hbars(svg, rows, kinds, T(text, lang, "x"), fmt=lambda x: f"{x:.3g}")
    cited = [v["cited.zero_baseline_gb"], v["cited.zero_stage1_gb"], v["cited.zero_stage2_gb"],
             v["cited.zero_stage3_gb"]]
    return svg, dict(nd=nd, psi=psi, cited=" / ".join(f"{c:g}" for c in cited))


# ================================================================================================ mixed-precision
def format_range(exp_bits: int, man_bits: int, fn: bool):
    """(smallest subnormal, smallest normal, largest finite) of a binary float format."""
    bias = 2 ** (exp_bits - 1) - 1
    top = 2**exp_bits - 1 if fn else 2**exp_bits - 2            # E4M3FN uses the all-ones exponent for numbers
    top_man = (2 ** man_bits - 2) if fn else (2 ** man_bits - 1)  # ... except S.1111.111 (NaN)
    largest = (1 + top_man / 2**man_bits) * 2.0 ** (top - bias)
    return 2.0 ** (1 - bias - man_bits), 2.0 ** (1 - bias), largest


@figure("bit-layouts", "mixed-precision", inputs=("amp.digits_fp32", "amp.digits_bf16", "amp.digits_fp16"))
def _bit_layouts(v, text, lang):
    fmts = F.formats
    widest = max(1 + ex + m for ex, m, _ in fmts.values())
    svg = Svg()
    y = legend(svg, [("c3", T(text, lang, "sign")), ("c2", T(text, lang, "exp")), ("c1", T(text, lang, "man"))],
               G.pad, G.top) + G.pad
    x0, x1 = G.pad, svg.w - G.pad
    cell = (x1 - x0) / widest
    digits = {"FP32": v["amp.digits_fp32"], "BF16": v["amp.digits_bf16"], "FP16": v["amp.digits_fp16"]}
    for name, (ex, man, _) in fmts.items():
        bits = 1 + ex + man
        note = T(text, lang, "bits", n=bits) + (T(text, lang, "digits", d=digits[name]) if name in digits else "")
        svg.text(x0, y + G.small, f"{name} · {note}", size=G.small)
        y += G.small + G.gap
        for j, cls in enumerate(["c3"] + ["c2"] * ex + ["c1"] * man):
            svg.rect(x0 + j * cell, y, cell - 1, G.bar, cls=cls, solid=True)
        y += G.bar + G.pad
    svg.h = y + G.pad
    return svg, dict(bf16=digits["BF16"], fp16=digits["FP16"])


@figure("format-ranges", "mixed-precision")
def _format_ranges(v, text, lang):
    fmts = {k: format_range(*x) for k, x in F.formats.items()}
    svg = Svg()
    y = legend(svg, [("c1", T(text, lang, "normal")), ("c2", T(text, lang, "sub"))], G.pad, G.top) + G.pad
    x0, x1 = G.pad * 2, svg.w - G.pad * 2
    lo = min(math.log2(r[0]) for r in fmts.values())
    hi = max(math.log2(r[2]) for r in fmts.values())
    xs = lin(lo, hi, x0, x1)
    y_top = y
    for name, (sub, norm, big) in fmts.items():
        label = T(text, lang, "row", f=name, m=plain(big), n="2" + str(round(math.log2(norm))).translate(SUPERSCRIPT))
        svg.text(x0, y + G.small, label, size=G.small)
        y += G.small + G.gap
        svg.rect(xs(math.log2(sub)), y + G.quarter, xs(math.log2(norm)) - xs(math.log2(sub)), G.bar / 2, cls="c2",
                 solid=True)
        svg.rect(xs(math.log2(norm)), y, xs(math.log2(big)) - xs(math.log2(norm)), G.bar, cls="c1", solid=True)
        y += G.bar + G.pad
    step = 2 ** round(math.log2((hi - lo) / G.ticks))          # a power of two: 2⁻¹²⁸, 2⁻⁶⁴, 2⁰, 2⁶⁴, 2¹²⁸
    for t in range(math.ceil(lo / step) * step, math.floor(hi) + 1, step):
        svg.line(xs(t), y, xs(t), y_top, cls="grid")
        svg.text(xs(t), y + G.small + G.tick, "2" + str(t).translate(SUPERSCRIPT), cls="muted", anchor="middle",
                 size=G.small)
    svg.line(x0, y, x1, y)
    svg.h = y + G.bottom
    svg.text(svg.w / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    return svg, dict(e4m3=plain(fmts["FP8 E4M3"][2]), fp16=plain(fmts["FP16"][2]), e5m2=plain(fmts["FP8 E5M2"][2]))


# ================================================================================================ parallel-training
@figure("sharding-layouts", "parallel-training")
def _sharding_layouts(v, text, lang):
    n = D.devices
    kinds = (("c1", "w"), ("c2", "g"), ("c3", "o"))
    full = zero_bytes(0, 1)
    rows = [("DP", zero_bytes(0, 1), "dp"), ("ZeRO-1", zero_bytes(F.zero_stages[0], n), "z1"),
            ("ZeRO-2", zero_bytes(F.zero_stages[1], n), "z2"), ("ZeRO-3", zero_bytes(F.zero_stages[-1], n), "z3"),
            ("TP", tuple(x / n for x in full), "tp"), ("PP", tuple(x / n for x in full), "pp")]
    svg = Svg()
    y = legend(svg, [(c, T(text, lang, k)) for c, k in kinds] + [("c4", T(text, lang, "empty"), "outline")],
               G.pad, G.top) + G.pad
    x0 = G.pad
    colw = (svg.w - x0 - G.pad) / n
    scale = (colw - G.pad) / sum(full)
    for d in range(n):
        svg.text(x0 + d * colw + (colw - G.pad) / 2, y + G.small, T(text, lang, "device", d=d), cls="muted",
                 anchor="middle", size=G.small)
    y += G.small + G.pad
    for name, per, how in rows:
        svg.text(x0, y + G.small, f"{name}: {T(text, lang, how)}", size=G.small)
        y += G.small + G.gap
        for d in range(n):
            x = x0 + d * colw
            svg.rect(x, y, sum(full) * scale, G.bar, cls="c4")        # the outline of a full replica
            for (cls, _), b, f in zip(kinds, per, full):
                # device d owns the d-th of the n slices of a sharded part; a whole part fills its block
                off = 0 if b == f else d * b
                svg.rect(x + off * scale, y, b * scale, G.bar, cls=cls, solid=True)
                x += f * scale
        y += G.bar + G.pad
    svg.h = y + G.pad
    return svg, dict(n=n)


def ring_schedule(n: int):
    """[(phase, step, sender, chunk)]: reduce-scatter then all-gather on a ring of n devices; device i sends
    chunk (i - step) mod n to device i + 1 in reduce-scatter, chunk (i + 1 - step) mod n in all-gather."""
    out = []
    for phase, shift in (("rs", 0), ("ag", 1)):
        for s in range(n - 1):
            out += [(phase, s, i, (i + shift - s) % n) for i in range(n)]
    return out


def ring_counts(n: int):
    """[(phase, step, counts, sent)]: before each step, counts[i][k] = how many devices' values chunk k of device i
    holds, and sent[i] = the chunk device i sends to device (i + 1) mod n; then the final state."""
    counts = [[1] * n for _ in range(n)]
    out = []
    sched = ring_schedule(n)
    for phase in ("rs", "ag"):
        for s in range(n - 1):
            sent = {i: c for ph, st, i, c in sched if ph == phase and st == s}
            out.append((phase, s, [row[:] for row in counts], sent))
            for i, c in sent.items():
                j = (i + 1) % n
                counts[j][c] = counts[i][c] + counts[j][c] if phase == "rs" else counts[i][c]
    out.append(("done", n - 1, counts, {}))
    return out


@figure("ring-allreduce", "parallel-training", caption=("model_parallel.ring_sent_ratio_4",
                                                        "model_parallel.ring_sent_ratio_2"))
def _ring_allreduce(v, text, lang):
    n = D.devices
    svg = Svg()
    y = legend(svg, [("c1", T(text, lang, "rs_key"), "outline"), ("c2", T(text, lang, "ag_key"), "outline")],
               G.pad, G.top) + G.pad
    svg.text(G.pad, y + G.small, T(text, lang, "cells", n=n), cls="muted", size=G.small)
    y += G.small + G.pad
    x0 = G.pad
    colw = (svg.w - x0 - G.pad) / n
    cw = (colw - G.pad) / n
    for d in range(n):
        svg.text(x0 + d * colw + (colw - G.pad) / 2, y + G.small, T(text, lang, "device", d=d), cls="muted",
                 anchor="middle", size=G.small)
    y += G.small + G.pad
    for phase, s, counts, sent in ring_counts(n):
        svg.text(x0, y + G.small, T(text, lang, phase, s=s + 1, n=n), size=G.small)
        y += G.small + G.gap
        for i in range(n):
            for k in range(n):
                x = x0 + i * colw + k * cw
                hot = sent.get(i) == k
                cls = ("c1" if phase == "rs" else "c2") if hot else "c4"
                svg.parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw - 2:.1f}" height="{G.bar:.1f}" '
                                 f'class="k-{cls}" fill="none" stroke-width="{G.thick if hot else 1}"/>')
                svg.text(x + (cw - 2) / 2, y + G.bar / 2 + G.label_dy, counts[i][k], cls=cls if hot else "fg",
                         anchor="middle", size=G.small, weight="bold" if counts[i][k] == n else None)
        y += G.bar + G.pad
    svg.h = y + G.pad
    ratio = 2 * (n - 1) / n
    return svg, dict(n=n, n1=n - 1, ratio=ratio, measured=v["model_parallel.ring_sent_ratio_4"],
                     measured2=v["model_parallel.ring_sent_ratio_2"], limit=F.ring_limit,
                     p4=batch_of("ratio_4"), p2=batch_of("ratio_2"))


def pipeline_schedule(p: int, m: int, kind: str):
    """[(stage, micro-batch, 'F'|'B', start, end)] with forward = 1 and backward = 2 time units; each stage runs
    its tasks in order (GPipe: all forwards then all backwards; 1F1B: p - s - 1 warm-up forwards, then one forward
    one backward), a task starting when its stage is free and its input has arrived."""
    bwd = F.backward_over_forward
    orders = []
    for s in range(p):
        if kind == "gpipe":
            orders.append([("F", i) for i in range(m)] + [("B", i) for i in range(m)])
        else:
            warm = min(p - s - 1, m)
            order = [("F", i) for i in range(warm)]
            f, b = warm, 0
            while b < m:
                if f < m:
                    order.append(("F", f))
                    f += 1
                order.append(("B", b))
                b += 1
            orders.append(order)
    done, free, pos, out = {}, [0.0] * p, [0] * p, []
    while any(pos[s] < len(orders[s]) for s in range(p)):
        progressed = False
        for s in range(p):
            if pos[s] >= len(orders[s]):
                continue
            kind_, i = orders[s][pos[s]]
            dep = (s - 1, i, "F") if kind_ == "F" and s > 0 else (s + 1, i, "B") if kind_ == "B" and s < p - 1 \
                else (s, i, "F") if kind_ == "B" else None
            if dep is not None and dep not in done:
                continue
            start = max(free[s], done[dep] if dep else 0)
            end = start + (1 if kind_ == "F" else bwd)
            done[(s, i, kind_)] = end
            free[s] = end
            out.append((s, i, kind_, start, end))
            pos[s] += 1
            progressed = True
        if not progressed:
            raise RuntimeError("pipeline schedule deadlocked")
    return out


def bubble_fraction(p: int, m: int, v: int = 1) -> float:
    """Idle share of the pipeline's time (Narayanan et al. 2021): (p - 1) / (v·m + p - 1)."""
    return (p - 1) / (v * m + p - 1)


def draw_pipeline(svg, sched_by_kind, p, labels, y_top):
    end = max(t for sched in sched_by_kind.values() for *_, t in sched)
    x0 = G.left + G.pad
    xs = lin(0, end, x0, svg.w - G.right)
    h = G.bar * G.lane
    y = y_top
    for title, sched in sched_by_kind.items():
        busy = sum(b - a for *_, a, b in sched)
        svg.text(G.pad, y + G.small, f"{title}: " + labels["idle"].format(b=1 - busy / (p * max(t for *_, t in sched))),
                 weight="bold", size=G.font)
        y += G.small + G.gap
        for s in range(p):
            svg.text(x0 - G.gap, y + h / 2 + G.label_dy, labels["stage"].format(s=s), anchor="end", size=G.small)
            svg.rect(xs(0), y, xs(end) - xs(0), h, cls="c4", solid=True)    # idle unless a task covers it
            for st, i, k, a, b in sched:
                if st == s:
                    svg.rect(xs(a), y, xs(b) - xs(a) - 1, h, cls="c1" if k == "F" else "c2", solid=True)
            y += h + 2
        y += G.pad
    return y


def _pipeline_interactive(v, text, lang, fid):
    data = json.dumps({k: T(text, lang, k) for k in ("idle", "stage", "gpipe", "ofob", "summary", "F", "B",
                                                     "idle_key", "desc_live", "title")}
                      | {"bwd": F.backward_over_forward} | js_context(fid, lang))
    return (f'<div class="elm-fig-controls" data-fig="{fid}" data-strings="{e(data)}">'
            f'<label>{e(T(text, lang, "in_p"))} <input type="number" name="p" min="2" max="{D.max_stages}" step="1" '
            f'value="{D.stages}"></label>'
            f'<label>{e(T(text, lang, "in_m"))} <input type="number" name="m" min="1" max="{D.max_microbatches}" '
            f'step="1" value="{D.microbatches}"></label>'
            f'<label>{e(T(text, lang, "in_v"))} <input type="number" name="v" min="1" max="{D.max_chunks}" step="1" '
            f'value="{D.chunks}"></label><output aria-live="polite"></output></div>')


@figure("pipeline-schedules", "parallel-training", caption=(
    "model_parallel.bubble_gpipe_p4_m8",
    "model_parallel.inflight_gpipe_p4_m16", "model_parallel.inflight_1f1b_p4_m16"), interactive="pipeline")
def _pipeline_schedules(v, text, lang):
    p, m = D.stages, D.microbatches
    labels = {"idle": T(text, lang, "idle"), "stage": T(text, lang, "stage")}
    scheds = {T(text, lang, "gpipe"): pipeline_schedule(p, m, "gpipe"),
              T(text, lang, "ofob"): pipeline_schedule(p, m, "1f1b")}
    svg = Svg()
    ly = legend(svg, [("c1", T(text, lang, "F")), ("c2", T(text, lang, "B")), ("c4", T(text, lang, "idle_key"))],
                G.pad, G.top)
    svg.h = draw_pipeline(svg, scheds, p, labels, ly + G.pad)
    import re
    measured, formula = v["model_parallel.bubble_gpipe_p4_m8"], bubble_fraction(p, m)
    pm = lambda k: tuple(int(x) for x in re.search(r"_p(\d+)_m(\d+)$", k).groups())   # noqa: E731
    verdict = T(text, lang, "above" if measured > formula * D.headroom else "close")
    return svg, dict(bwd=F.backward_over_forward, p=p, m=m, formula=formula, formula_v=bubble_fraction(p, m, D.chunks), verdict=verdict,
                     v=D.chunks, measured=measured,
                     g16=v["model_parallel.inflight_gpipe_p4_m16"], o16=v["model_parallel.inflight_1f1b_p4_m16"],
                     ip=pm("inflight_gpipe_p4_m16")[0], im=pm("inflight_gpipe_p4_m16")[1],
                     bp=pm("bubble_gpipe_p4_m8")[0], bm=pm("bubble_gpipe_p4_m8")[1])


# ================================================================================================ compression
def nf4_levels() -> list[float]:
    """NF4 (Dettmers et al. 2023): quantiles of N(0, 1) for 8 positive and 7 negative halves, normalised to ±1,
    plus an exact zero (bitsandbytes create_normal_map, offset 1/2·(1/32 + 1/30) from each end)."""
    pos_n, neg_n = F.nf4_halves
    nd = NormalDist()
    offset = 0.5 * (1 / (2 * (pos_n + neg_n + 1)) + 1 / (2 * (pos_n + neg_n)))
    pos = [nd.inv_cdf(1 - offset + (offset - 0.5) * k / pos_n) for k in range(pos_n)]
    neg = [-nd.inv_cdf(1 - offset + (offset - 0.5) * k / neg_n) for k in range(neg_n)]
    levels = sorted(pos + neg + [0.0])
    top = max(abs(x) for x in levels)
    return [x / top for x in levels]


def block_absmax_sigmas(block: int) -> float:
    """Median absmax of `block` N(0, 1) weights, in σ: P(max|w| ≤ a) = (2Φ(a) − 1)^block = ½."""
    return NormalDist().inv_cdf((1 + 0.5 ** (1 / block)) / 2)


@figure("quant-levels", "compression", caption=(
    "llm_quantization.int8_change", "llm_quantization.int4_change", "llm_quantization.nf4_change",
    "llm_quantization.int4_kl", "llm_quantization.nf4_kl"))
def _quant_levels(v, text, lang):
    span = block_absmax_sigmas(F.nf4_block)      # weights are scaled by their block's absmax, not by a fixed σ
    nd = NormalDist()
    grids = [("int8", [k / ((F.int8_levels - 1) / 2) for k in range(-(F.int8_levels // 2), F.int8_levels // 2 + 1)],
              "c2"),
             ("int4", [k / ((F.int4_levels - 1) / 2) for k in range(-(F.int4_levels // 2), F.int4_levels // 2 + 1)],
              "c3"), ("NF4", nf4_levels(), "c1")]
    svg = Svg()
    x0, x1 = G.pad * 2, svg.w - G.pad * 2
    svg.text(G.pad, G.top, T(text, lang, "hist", s=span, b=F.nf4_block), cls="fg", size=G.small)
    y_hist = G.top + G.pad + G.row * G.hist_h
    xs = lin(-1, 1, x0, x1)
    peak = nd.pdf(0)
    bins = D.hist_bins
    for b in range(bins):
        a = -1 + 2 * b / bins
        hgt = nd.pdf((a + 1 / bins) * span) / peak * (G.row * G.hist_h - G.pad)
        svg.rect(xs(a), y_hist - hgt, xs(2 / bins) - xs(0) - 1, hgt, cls="c4", solid=True)
    svg.line(x0, y_hist, x1, y_hist)
    y = y_hist + G.pad
    for name, levels, cls in grids:
        svg.text(x0, y + G.small, T(text, lang, name, n=len(levels)), size=G.small)
        y += G.small + G.gap
        for q in levels:
            svg.line(xs(q), y, xs(q), y + G.bar, cls=cls, width=1 if name == "int8" else 2)
        y += G.bar + G.pad
    for t in (-1, -0.5, 0, 0.5, 1):
        svg.text(xs(t), y + G.small, f"{t:g}", cls="muted", anchor="middle", size=G.small)
    svg.h = y + G.small + G.bottom
    svg.text(svg.w / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    inner = sum(1 for q in nf4_levels() if abs(q) < 0.5)
    mass = 2 * nd.cdf(span / 2) - 1           # share of a block's weights within ±½·absmax
    kl4, kln = v["llm_quantization.int4_kl"], v["llm_quantization.nf4_kl"]
    return svg, dict(inner=inner, int4_inner=sum(1 for q in grids[1][1] if abs(q) < 0.5), span=span, mass=mass,
                     n_nf4=len(grids[2][1]), n_int4=len(grids[1][1]), n_int8=len(grids[0][1]),
                     b=F.nf4_block, nf4=v["llm_quantization.nf4_change"], int4=v["llm_quantization.int4_change"],
                     int8=v["llm_quantization.int8_change"], kl4=kl4, kln=kln,
                     kl=T(text, lang, "closer" if kln < kl4 else "not_closer"))


@figure("sparsity-patterns", "compression", caption=("compression.p90_acc_finetuned", "compression.acc_24",
                                                     "compression.acc_24_ft", "compression.base_acc"))
def _sparsity_patterns(v, text, lang):
    cols, rows_ = D.grid_cells
    rng = random.Random(D.seed)
    w = [[abs(rng.gauss(0, 1)) for _ in range(cols)] for _ in range(rows_)]
    flat = sorted(x for r in w for x in r)
    cut = flat[int(len(flat) * D.prune_fraction)]
    keep, group = F.n_24
    row_norm = sorted(range(rows_), key=lambda r: sum(w[r]))
    dropped_rows = set(row_norm[: int(rows_ * D.prune_fraction)])
    patterns = [
        (T(text, lang, "unstructured"), lambda r, c: w[r][c] >= cut),
        (T(text, lang, "n24"), lambda r, c: w[r][c] >= sorted(w[r][c - c % group: c - c % group + group])[-keep]),
        (T(text, lang, "structured"), lambda r, c: r not in dropped_rows),
    ]
    svg = Svg()
    cell = G.pad + 1
    x0 = G.pad
    y = G.top - G.small
    for k, (name, kept) in enumerate(patterns):
        n = sum(kept(r, c) for r in range(rows_) for c in range(cols))
        svg.text(x0, y + G.small, f"{name} · " + T(text, lang, "kept", k=n / (rows_ * cols)), weight="bold",
                 size=G.small)
        y += G.small + G.gap
        for r in range(rows_):
            for c in range(cols):
                gx = x0 + c * cell + (c // group) * G.gap * (k == 1)     # the 2:4 panel shows its groups of four
                svg.rect(gx + 1, y + r * cell + 1, cell - G.gap / 2, cell - G.gap / 2, cls="c1" if kept(r, c) else "c4",
                         solid=kept(r, c))
        svg.text(x0 + cols * cell + G.gap * cols / group + G.pad, y + rows_ * cell / 2 + G.label_dy,
                 T(text, lang, f"hw{k}"), cls="muted", size=G.small)
        y += rows_ * cell + G.pad * 2
    svg.h = y
    import re
    pct = int(re.match(r"p(\d+)_", "p90_acc_finetuned").group(1))   # the sparsity the recorded value is named after
    return svg, dict(p90=v["compression.p90_acc_finetuned"], a24=v["compression.acc_24_ft"], pct=pct,
                     a24_0=v["compression.acc_24"], base=v["compression.base_acc"], keep=keep, group=group)


# ================================================================================================ inference
def kv_bytes_per_token(layers, hidden, heads, kv_heads, nbytes):
    return F.kv * layers * kv_heads * (hidden // heads) * nbytes


@figure("kv-cache", "inference", inputs=(
    "cited.llama2_7b_layers", "cited.llama2_7b_hidden", "cited.llama2_7b_heads", "cited.llama2_70b_layers",
    "cited.llama2_70b_hidden", "cited.llama2_70b_heads", "cited.llama2_70b_kv_heads", "cited.h100_sxm_memory_gb",
    "cited.llama2_context", "cited.mixtral_context", "cited.llama2_7b_ffn", "cited.llama2_vocab"),
    caption=("cited.llama2_70b_ffn",))
def _kv_cache(v, text, lang):
    models = [("Llama 2 7B (MHA)", kv_bytes_per_token(v["cited.llama2_7b_layers"], v["cited.llama2_7b_hidden"],
                                                      v["cited.llama2_7b_heads"], v["cited.llama2_7b_heads"],
                                                      F.bytes_16)),
              ("Llama 2 70B (GQA)", kv_bytes_per_token(v["cited.llama2_70b_layers"], v["cited.llama2_70b_hidden"],
                                                       v["cited.llama2_70b_heads"], v["cited.llama2_70b_kv_heads"],
                                                       F.bytes_16))]
    w7 = F.bytes_16 * sum(transformer_params(v["cited.llama2_7b_layers"], v["cited.llama2_7b_hidden"],
                                             v["cited.llama2_vocab"], ffn=v["cited.llama2_7b_ffn"], gated=True,
                                             tied=False))
    hbm = v["cited.h100_sxm_memory_gb"] * F.giga
    free = hbm - w7                                    # what one H100 leaves for the cache after 7B's weights
    cmax = v["cited.mixtral_context"]
    cmin = v["cited.llama2_context"] / cmax * v["cited.llama2_context"] / D.log_pad
    svg = Svg(height=G.tall)
    items = [(COLOURS[i], name, "line") for i, (name, _) in enumerate(models)]
    ly = legend(svg, items, G.pad, G.top)
    svg.text(G.pad, ly + G.legend, T(text, lang, "batches", b=D.batch_lines), cls="muted", size=G.small)
    box = x0, x1, y0, y1 = G.left, svg.w - G.right, svg.h - G.bottom, ly + G.legend + G.pad
    lo = min(b for _, b in models) * cmin
    hi = max(max(b for _, b in models) * cmax * max(D.batch_lines), hbm) * D.log_pad
    xs, ys = logscale(cmin, cmax, x0, x1), logscale(lo, hi, y0, y1)
    yt = [t for t in decades(lo, hi) if lo <= t <= hi]
    xt = [t for t in (2 ** k for k in range(int(math.log2(cmin)) + 1, int(math.log2(cmax)) + 1)) if t >= cmin]
    xt = xt[:: max(1, len(xt) // G.ticks)]
    axes(svg, box, xs, ys, xt, yt, T(text, lang, "x"), T(text, lang, "y"),
         xfmt=lambda t: f"{t / F.kib:g}k" if t >= F.kib else f"{t:g}",
         yfmt=lambda t: f"{t / F.giga:g}")
    svg.line(x0, ys(free), x1, ys(free), cls="c3", width=2, dash=True)
    svg.text(x0 + G.gap, ys(free) - G.gap, T(text, lang, "hbm", g=v["cited.h100_sxm_memory_gb"], w=w7 / F.giga),
             cls="c3", size=G.small)
    for i, (name, per_tok) in enumerate(models):
        for j, b in enumerate(D.batch_lines):
            svg.path([(xs(c), ys(per_tok * c * b)) for c in (cmin, cmax)], cls=COLOURS[i], dash=j > 0)
    b7, b70 = models[0][1], models[1][1]
    n70 = sum(transformer_params(v["cited.llama2_70b_layers"], v["cited.llama2_70b_hidden"], v["cited.llama2_vocab"],
                                 ffn=v["cited.llama2_70b_ffn"], heads=v["cited.llama2_70b_heads"],
                                 kv_heads=v["cited.llama2_70b_kv_heads"], gated=True, tied=False))
    cross = free / (b7 * max(D.batch_lines))          # context at which 7B's larger batch fills what is left
    return svg, dict(mb7=b7 / F.mega, mb70=b70 / F.mega, ctx=v["cited.llama2_context"],
                     gb7=b7 * v["cited.llama2_context"] / F.giga, free=free / F.giga, w7=w7 / F.giga,
                     b=max(D.batch_lines), b1=min(D.batch_lines), cross=cross / F.kib, params=n70 / (w7 / F.bytes_16))


def roofline_chart(svg, box, machines, points, text, lang, xlo, xhi, unit_scale):  # noqa: PLR0913
    """machines: [(label, peak FLOP/s, bytes/s, colour, dashed)]; points: [(label, intensity, FLOP/s, colour)].
    Ridge labels sit in a column at the top right, each in its machine's colour; the ridge itself gets a dot."""
    x0, x1, y0, y1 = box
    peaks = [m[1] for m in machines] + [p[2] for p in points]
    ylo = min(min(p[2] for p in points) if points else min(peaks), min(m[2] * xlo for m in machines)) / D.log_pad
    yhi = max(peaks) * D.log_pad
    xs, ys = logscale(xlo, xhi, x0, x1), logscale(ylo, yhi, y0, y1)
    axes(svg, box, xs, ys, [t for t in decades(xlo, xhi) if xlo <= t <= xhi],
         [t for t in decades(ylo, yhi) if ylo <= t <= yhi], T(text, lang, "x"), T(text, lang, "y"),
         xfmt=lambda t: f"{t:g}", yfmt=lambda t: f"{t / unit_scale:g}")
    for k, (label, peak, bw, cls, dash) in enumerate(machines):
        ridge = peak / bw
        pts = [(xs(xlo), ys(bw * xlo)), (xs(min(ridge, xhi)), ys(min(peak, bw * xhi)))]
        if ridge < xhi:
            pts.append((xs(xhi), ys(peak)))
            svg.dot(xs(ridge), ys(peak), cls=cls, r=G.dot - 1)
        svg.path(pts, cls=cls, dash=dash)
        if points:   # the bottom right is empty: the measured points sit at low intensity or on the flat roof
            svg.text(x1 - G.gap, y0 - G.gap - (len(machines) - 1 - k) * G.legend, T(text, lang, "ridge", m=label,
                     r=ridge), cls=cls, size=G.small, anchor="end")
        else:        # the top left is empty: nothing lies above a roof
            svg.text(x0 + G.gap, y1 + G.small + k * G.legend, T(text, lang, "ridge", m=label, r=ridge), cls=cls,
                     size=G.small)
    for label, inten, rate, cls, *below in points:
        svg.dot(xs(inten), ys(rate), cls=cls)
        if label:
            right = xs(inten) > (x0 + x1) / 2
            dy = G.small + G.gap if (below or [True])[0] else -G.gap * G.mid
            svg.text(xs(inten) + (-G.label_dx if right else G.label_dx), ys(rate) + dy, label, cls=cls,
                     size=G.small, anchor="end" if right else "start")
    return xs, ys


@figure("prefill-decode", "inference", inputs=("cited.h100_sxm_bf16_dense_tflops",
                                               "cited.h100_sxm_memory_bandwidth_tbs", "cited.llama2_context"))
def _prefill_decode(v, text, lang):
    peak, bw = v["cited.h100_sxm_bf16_dense_tflops"] * F.tera, v["cited.h100_sxm_memory_bandwidth_tbs"] * F.tera
    # BF16 weights, one pass over the weights per step: 2·N·b FLOPs over 2·N bytes -> intensity b (tokens per step);
    # the KV cache the step also reads is left out (it lowers the intensity further)
    batches = D.decode_batches
    points = [("" if b not in (min(batches), max(batches)) else T(text, lang, "decode", b=b), b, min(peak, bw * b),
               "c2", b == min(batches)) for b in batches]
    ctx = v["cited.llama2_context"]
    points.append((T(text, lang, "prefill", s=ctx), ctx, min(peak, bw * ctx), "c3", True))
    svg = Svg(height=G.tall)
    box = G.left, svg.w - G.right, svg.h - G.bottom, G.top
    roofline_chart(svg, box, [("H100 SXM", peak, bw, "c1", False)], points, text, lang,
                   min(batches) / D.log_pad, ctx * D.log_pad * D.log_pad, F.tera)
    return svg, dict(ridge=peak / bw, b1=bw / peak, ctx=ctx, top=max(batches),
                     batches=", ".join(str(b) for b in batches))


# ================================================================================================ serving
SWEEP_INPUTS = tuple(f"llm_serving.{k}" for k in (
    "sweep_levels", "sweep_n_by_c", "sweep_tok_s_by_c", "sweep_tok_s_lo_by_c", "sweep_tok_s_hi_by_c",
    "sweep_tpot_p50_ms_by_c", "sweep_tpot_p90_ms_by_c", "slo_tpot_ms", "sweep_slo_share_by_c", "sweep_goodput_by_c",
    "sweep_goodput_lo_by_c", "sweep_goodput_hi_by_c"))


def axis_top(top: float) -> tuple[float, list[float]]:
    """The first nice tick at or above `top`, and the ticks up to it: an axis never stops below its data."""
    ticks = nice_ticks(0, top, G.ticks)
    if ticks[-1] < top:
        ticks.append(ticks[-1] + (ticks[1] - ticks[0]))
    return ticks[-1], ticks


def goodput_plateau(cs, lo, hi):
    """Levels whose upper pass reaches the highest lower pass of any level: a single level when its lower pass
    clears every other level's upper pass (the notebook's rule for a difference), else the levels it cannot be
    told from."""
    top = max(lo)
    return [c for c, a, h in zip(cs, lo, hi) if h >= top or a == top]


def label_clear_of(y_label: float, y_line: float, above: bool) -> float:
    """A value label's baseline moved off a horizontal line it would cross (the label spans G.small above it)."""
    if y_label - G.small - G.mark <= y_line <= y_label + G.mark:
        return y_line - G.mark if above else y_line + G.small + G.mark
    return y_label


@figure("serving-sweep", "serving", inputs=SWEEP_INPUTS, caption=("llm_serving.slo_ttft_ms",
                                                                  "llm_serving.sweep_ttft_p90_ms_by_c"))
def _serving_sweep(v, text, lang):
    def col(key):
        return v[f"llm_serving.{key}"]

    cs, ns, tok = col("sweep_levels"), col("sweep_n_by_c"), col("sweep_tok_s_by_c")
    lo, hi = col("sweep_tok_s_lo_by_c"), col("sweep_tok_s_hi_by_c")
    p50, p90, slo = col("sweep_tpot_p50_ms_by_c"), col("sweep_tpot_p90_ms_by_c"), col("slo_tpot_ms")
    share, good = col("sweep_slo_share_by_c"), col("sweep_goodput_by_c")
    glo, ghi = col("sweep_goodput_lo_by_c"), col("sweep_goodput_hi_by_c")
    ttft90, slo_ttft = v["llm_serving.sweep_ttft_p90_ms_by_c"], v["llm_serving.slo_ttft_ms"]
    svg = Svg()
    x0, x1 = G.left, svg.w - G.right
    # one column per measured level, equally spaced: c doubles from one to the next (a log axis in c)
    xs = logscale(cs[0] / D.log_pad, cs[-1] * D.log_pad, x0, x1)
    svg.text(G.pad, G.top - G.small, T(text, lang, "key"), cls="muted", size=G.small)
    y = G.top + G.legend
    panels = ((T(text, lang, "tput"), "c1", tok, lo, hi, "{:.0f}"),
              (T(text, lang, "tpot"), "c2", p50, None, p90, "{:.1f}"),
              (T(text, lang, "good"), "fg", good, glo, ghi, "{:.1f}"))
    for k, (label, cls, mid, a_s, b_s, fmt) in enumerate(panels):
        svg.text(G.pad, y, label, cls=cls, weight="bold", size=G.small)
        y1, y0 = y + G.small, y + G.small + G.panel
        top, ticks = axis_top(max(b_s + ([slo] if k == 1 else [])))
        ys = lin(0, top, y0, y1 + G.pad)
        for t in ticks:
            svg.line(x0, ys(t), x1, ys(t), cls="grid")
            svg.text(x0 - G.gap, ys(t) + G.label_dy, f"{t:g}", cls="muted", anchor="end", size=G.small)
        svg.line(x0, y0, x1, y0)
        if k == 1:      # the objective as a dashed line
            svg.line(x0, ys(slo), x1, ys(slo), cls="c3", dash=True, width=2)
            svg.text(x0 + G.gap, ys(slo) - G.gap, T(text, lang, "slo", t=slo), cls="c3", size=G.small)
        for i, c in enumerate(cs):
            x, m = xs(c), mid[i]
            if a_s is None:   # median (dot) up to the p90 (bar ending in a cap): one-sided, not an error bar
                svg.line(x, ys(m), x, ys(b_s[i]), cls=cls, width=G.thick)
                svg.line(x - G.gap, ys(b_s[i]), x + G.gap, ys(b_s[i]), cls=cls, width=G.thick)
            else:             # each pass an open marker, left of the pooled value (a small filled dot)
                for p in (a_s[i], b_s[i]):
                    svg.ring(x - G.gap, ys(p), cls=cls, r=G.mark)
            svg.dot(x, ys(m), cls=cls, r=G.mark)
            yl = ys(m) + G.label_dy
            if k == 1:
                yl = label_clear_of(yl, ys(slo), m >= slo)
            svg.text(x + G.label_dx, yl, fmt.format(m), cls=cls, size=G.small)
        y = y0 + G.legend + G.small
    y = y0 + G.small + G.tick
    for c in cs:
        svg.text(xs(c), y, f"{c}", cls="muted", anchor="middle", size=G.small)
    y += G.legend
    svg.text((x0 + x1) / 2, y, T(text, lang, "x"), anchor="middle", size=G.small)
    y += G.legend * G.mid
    svg.text(G.pad, y, "n", cls="muted", size=G.small)
    for c, n in zip(cs, ns):     # the sample behind each level's percentiles
        svg.text(xs(c), y, f"{n}", cls="muted", anchor="middle", size=G.small)
    y += G.legend
    svg.text(G.pad, y, T(text, lang, "share"), size=G.small)
    for c, s in zip(cs, share):  # the share within the SLO; bold where it reaches DistServe's target share
        svg.text(xs(c), y, f"{s:.0%}", anchor="middle", size=G.small,
                 weight="bold" if s >= F.slo_target_share else None)
    svg.h = y + G.pad
    plateau = goodput_plateau(cs, glo, ghi)
    listsep = "、" if lang == "zh" else ", "  # a list of levels in the caption: 1、2、4 in Chinese
    busiest = max(range(len(cs)), key=lambda i: tok[i])
    best = max(range(len(cs)), key=lambda i: glo[i])
    if len(plateau) == 1:
        gv = T(text, lang, "good_best", c=plateau[0], g=good[best], a=glo[best], b=ghi[best])
    else:
        idx = [cs.index(c) for c in plateau]
        gv = T(text, lang, "good_plateau", cs=listsep.join(map(str, plateau)), lo=min(glo[i] for i in idx),
               hi=max(ghi[i] for i in idx))
    bad = [c for c, t in zip(cs, ttft90) if t > slo_ttft]
    ttft = (T(text, lang, "ttft_free", p=max(ttft90)) if not bad else
            T(text, lang, "ttft_binds", cs=listsep.join(str(c) for c in bad)))
    levels = T(text, lang, "sep").join(T(text, lang, "level", c=c, t=tok[i], a=lo[i], b=hi[i], m=p50[i], q=p90[i], n=ns[i],
                         g=good[i], ga=glo[i], gb=ghi[i], s=share[i]) for i, c in enumerate(cs))
    return svg, dict(c1=cs[0], cn=cs[-1], gain=tok[-1] / tok[0], t1=p50[0], tn=p50[-1], slo=slo, ttft=slo_ttft,
                     busiest=cs[busiest], s1=share[0], sn=share[-1], gn=good[-1], goodput=gv, ttft_note=ttft,
                     levels=levels, target=F.slo_target_share,
                     peaks=T(text, lang, "before" if plateau[-1] < cs[busiest] else "together"))


def slot_schedules(lengths, slots):
    """(start, end, slot) of each request, all waiting at step 0, one token per request per step: static batches
    (each of `slots` requests; a batch starts when the previous one's longest request ends) and continuous (a freed
    slot takes the next request at once), as the serving notebook's count_steps."""
    import heapq
    static, t = [], 0
    for i in range(0, len(lengths), slots):
        batch = lengths[i:i + slots]
        static += [(t, t + n, k) for k, n in enumerate(batch)]
        t += max(batch)
    free, cont = [(0, k) for k in range(slots)], []
    for n in lengths:
        start, k = heapq.heappop(free)
        cont.append((start, start + n, k))
        heapq.heappush(free, (start + n, k))
    return static, cont


@figure("batching-slots", "serving", inputs=("llm_serving.mixed_max_tokens", "llm_serving.batch_slots"),
        caption=("llm_serving.cont_tok_s_lo", "llm_serving.cont_tok_s_hi", "llm_serving.static_tok_s_lo",
                 "llm_serving.static_tok_s_hi", "llm_serving.cont_vs_static_tok", "llm_serving.mixed_counted_speedup",
                 "llm_serving.continuous_util", "llm_serving.count_requests"))
def _batching_slots(v, text, lang):
    lengths, slots = v["llm_serving.mixed_max_tokens"], v["llm_serving.batch_slots"]
    static, cont = slot_schedules(lengths, slots)
    ends = {name: max(e for _, e, _ in sched) for name, sched in (("static", static), ("cont", cont))}
    busy = {name: sum(lengths) / (slots * steps) for name, steps in ends.items()}
    batches = range(math.ceil(len(lengths) / slots))
    colours = [c for c in COLOURS if c != "fg"]
    items = [(colours[b % len(colours)], T(text, lang, "batch", a=b * slots + 1,
                                           b=min((b + 1) * slots, len(lengths)))) for b in batches]
    svg = Svg()
    y = legend(svg, items + [("c4", T(text, lang, "idle"), "outline")], G.pad, G.top) + G.legend
    x0, x1 = G.pad, svg.w - G.right
    xs = lin(0, ends["static"], x0, x1)
    lane = G.slot_h + G.slot_gap
    for name, sched in (("static", static), ("cont", cont)):
        svg.text(x0, y, T(text, lang, name, s=ends[name], u=busy[name]), size=G.small, weight="bold")
        top = y + G.gap
        last = dict.fromkeys(range(slots), 0)
        for i, (a, b, k) in enumerate(sched):
            yk = top + k * lane
            svg.rect(xs(a), yk, xs(b) - xs(a) - 1, G.slot_h, cls=colours[(i // slots) % len(colours)], solid=True)
            last[k] = max(last[k], b)
            if name == "static":          # a slot idles until its batch's longest request ends
                batch_end = max(e for _, e, _ in static[i // slots * slots:(i // slots + 1) * slots])
                if batch_end > b:
                    svg.rect(xs(b), yk, xs(batch_end) - xs(b) - 1, G.slot_h, cls="c4")
        if name == "cont":                # and after its last request, until the run ends
            for k, b in last.items():
                if ends[name] > b:
                    svg.rect(xs(b), top + k * lane, xs(ends[name]) - xs(b) - 1, G.slot_h, cls="c4")
        y = top + slots * lane + G.legend + G.small
    y0 = y - G.legend - G.small + G.gap
    for t in nice_ticks(0, ends["static"], G.ticks * 2):
        svg.line(xs(t), y0, xs(t), y0 + G.tick, cls="muted")
        svg.text(xs(t), y0 + G.small + G.tick * 2, f"{t:g}", cls="muted", anchor="middle", size=G.small)
    svg.line(x0, y0, x1, y0)
    svg.h = y0 + G.small * 2 + G.tick * 2 + G.legend
    svg.text((x0 + x1) / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle", size=G.small)
    c_lo, c_hi = v["llm_serving.cont_tok_s_lo"], v["llm_serving.cont_tok_s_hi"]
    s_lo, s_hi = v["llm_serving.static_tok_s_lo"], v["llm_serving.static_tok_s_hi"]
    med, counted = v["llm_serving.cont_vs_static_tok"], v["llm_serving.mixed_counted_speedup"]
    verdict = "faster" if c_lo > s_hi else "slower" if c_hi < s_lo else "noise"
    # the cheaper part-empty step explains a timed gain below the count, not one above it
    why = T(text, lang, "cheaper") if med < counted else ""
    return svg, dict(n=len(lengths), slots=slots, s=ends["static"], c=ends["cont"], us=busy["static"],
                     uc=busy["cont"], ratio=ends["static"] / ends["cont"], c_lo=c_lo, c_hi=c_hi, s_lo=s_lo,
                     s_hi=s_hi, verdict=T(text, lang, verdict, m=med, k=counted, why=why), lo=min(lengths),
                     hi=max(lengths), per=len(lengths) / slots, big_n=v["llm_serving.count_requests"],
                     big_u=v["llm_serving.continuous_util"])


# ================================================================================================ measuring-cost
def batch_of(name: str) -> int:
    """The batch size a recorded value is named after (lat_b32_ms -> 32, lat_ratio_64 -> 64)."""
    import re
    return int(re.search(r"(?:_b|ratio_)(\d+)", name).group(1))


@figure("latency-batch", "measuring-cost", inputs=(
    "inference_cost.lat_b1_ms", "inference_cost.lat_b2_ms", "inference_cost.lat_b32_ms",
    "inference_cost.lat_ratio_64", "inference_cost.tput_peak_batch"), caption=(
    "inference_cost.tput_ratio_64_32", "inference_cost.tput_ratio_64_32_q1", "inference_cost.tput_ratio_64_32_q3"))
def _latency_batch(v, text, lang):
    b1 = v["inference_cost.lat_b1_ms"]
    lat = {batch_of(k): v[f"inference_cost.{k}"] for k in ("lat_b1_ms", "lat_b2_ms", "lat_b32_ms")}
    lat[batch_of("lat_ratio_64")] = b1 * v["inference_cost.lat_ratio_64"]
    batches = sorted(lat)
    tput = {b: b * b1 / lat[b] for b in batches}     # samples per ms relative to batch 1, from the same latencies
    b32, b64 = batches[-2:]
    peak_b = v["inference_cost.tput_peak_batch"]
    svg = Svg()
    panel = (svg.h - G.top - G.bottom) / 2
    svg.h = G.top + 2 * (panel + G.bottom)
    for k, (series, label, cls, fmt) in enumerate(((lat, T(text, lang, "lat"), "c1", lambda t: f"{t:g}"),
                                                    (tput, T(text, lang, "tput"), "c2", lambda t: f"{t:g}×"))):
        y1 = G.top + k * (panel + G.bottom) + G.small
        x0, x1, y0 = G.left, svg.w - G.right, y1 + panel - G.small
        xs = logscale(batches[0] / D.log_pad, batches[-1] * D.log_pad, x0, x1)
        top = max(series.values())
        ys = lin(0, top * D.headroom * D.headroom, y0, y1)
        for t in nice_ticks(0, top):
            svg.line(x0, ys(t), x1, ys(t), cls="grid")
            svg.text(x0 - G.gap, ys(t) + G.label_dy, fmt(t), cls="muted", anchor="end", size=G.small)
        for b in batches:
            svg.text(xs(b), y0 + G.small + G.tick, f"{b}", cls="muted", anchor="middle", size=G.small)
        svg.line(x0, y0, x1, y0)
        if k == 1:
            svg.line(xs(peak_b), y0, xs(peak_b), y1 + G.small * 2, cls="c3", dash=True)
        for b in batches:      # measured points only: the batches between them are not drawn, so no line joins them
            svg.dot(xs(b), ys(series[b]), cls=cls)
            svg.text(xs(b), ys(series[b]) - G.gap * G.mid, fmt(round(series[b], 2 if series[b] < 10 else 1)),
                     cls=cls, anchor="middle", size=G.small)
        svg.text(x0, y1 - G.gap, label, cls=cls, weight="bold", size=G.small)
        if k:
            svg.text(xs(peak_b) - G.gap, y1 + G.small * 2, T(text, lang, "peak", b=peak_b), cls="c3", anchor="end",
                     size=G.small)
        svg.text((x0 + x1) / 2, y0 + G.small * 2 + G.tick * 2, T(text, lang, "x"), anchor="middle", size=G.small)
    return svg, dict(lat32=lat[b32] / b1, lat64=lat[b64] / b1, tput=tput[b32], t64=tput[b64], peak=peak_b, b32=b32,
                     b64=b64, tput_after=v["inference_cost.tput_ratio_64_32"],
                     q1=v["inference_cost.tput_ratio_64_32_q1"], q3=v["inference_cost.tput_ratio_64_32_q3"])


@figure("flops-per-param", "measuring-cost", inputs=(
    "metrics.conv_params", "metrics.conv_flops", "metrics.mlp_params", "metrics.mlp_flops"),
    caption=("metrics.conv_flops_per_param", "metrics.mlp_flops_per_param"))
def _flops_per_param(v, text, lang):
    rows = [(T(text, lang, "conv"), v["metrics.conv_params"], v["metrics.conv_flops"]),
            (T(text, lang, "mlp"), v["metrics.mlp_params"], v["metrics.mlp_flops"])]
    svg = Svg()
    ly = legend(svg, [("c1", T(text, lang, "params")), ("c2", T(text, lang, "flops"))], G.pad, G.top)
    x0, x1 = G.left / 2, svg.w - G.room8
    top = max(max(p, f) for _, p, f in rows)
    lo = min(min(p, f) for _, p, f in rows) / D.log_pad
    xs = logscale(lo, top * D.log_pad, x0, x1)
    y = ly + G.pad
    y_top = y
    for name, p, f in rows:
        svg.text(x0, y + G.small, T(text, lang, "per", m=name, r=f / p), size=G.small, weight="bold")
        y += G.small + G.gap
        svg.rect(x0, y, xs(p) - x0, G.bar - 2, cls="c1", solid=True)
        svg.text(xs(p) + G.gap, y + G.bar / 2 + G.label_dy, f"{p:,}", size=G.small)
        svg.rect(x0, y + G.bar, xs(f) - x0, G.bar - 2, cls="c2", solid=True)
        svg.text(xs(f) + G.gap, y + G.bar * G.mid + G.label_dy, f"{f:,}", size=G.small)
        y += G.bar * 2 + G.pad
    for t in decades(lo, top * D.log_pad):
        if lo <= t <= top * D.log_pad:
            svg.line(xs(t), y_top, xs(t), y, cls="grid")
            svg.text(xs(t), y + G.small + G.tick, sci(t), cls="muted", anchor="middle", size=G.small)
    svg.h = y + G.bottom
    svg.text(svg.w / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    return svg, dict(conv=v["metrics.conv_flops_per_param"], mlp=v["metrics.mlp_flops_per_param"])


# ================================================================================================ roofline
_KERNELS: dict = {}


def roofline_kernels() -> dict:
    """{kernel name: FP32 arithmetic intensity}, from the roofline notebook's own cost functions (the code cell
    that defines KERNELS, pure Python, run here): the intensities the notebook placed its measurements at."""
    path = ROOT / "notebooks" / "roofline.ipynb"
    if _KERNELS.get("mtime") == path.stat().st_mtime:
        return _KERNELS["intensity"]
    nb = json.loads(path.read_text(encoding="utf-8"))
    src = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
               and "KERNELS = {" in "".join(c["source"]))
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(src, "roofline.ipynb:KERNELS", "exec"), ns)   # noqa: S102 (the repository's own notebook)
    out = {name: ns["intensity"](cost(F.bytes_fp32)) for name, cost in ns["KERNELS"].items()}
    _KERNELS.update(mtime=path.stat().st_mtime, intensity=out)
    return out


@figure("machine-roofline", "roofline", inputs=(
    "roofline.roof_fp32_gflops", "roofline.roof_bandwidth_gbs", "roofline.peak_bf16_gflops",
    "roofline.square_matmul_gflops", "roofline.decode1_gflops", "roofline.decode64_gflops", "roofline.add_of_roof",
    "roofline.softmax_of_roof", "roofline.layernorm_of_roof"))
def _machine_roofline(v, text, lang):
    g = F.giga
    peak, bw = v["roofline.roof_fp32_gflops"] * g, v["roofline.roof_bandwidth_gbs"] * g
    roof = lambda i: min(peak, bw * i)   # noqa: E731
    ai = roofline_kernels()
    pick = lambda pre: next(k for k in ai if k.startswith(pre))   # noqa: E731
    pts = [(pick("matmul 2048"), v["roofline.square_matmul_gflops"] * g),
           (pick("decode step, batch 1"), v["roofline.decode1_gflops"] * g),
           (pick("decode step, batch 64"), v["roofline.decode64_gflops"] * g),
           (pick("add"), v["roofline.add_of_roof"] * roof(ai[pick("add")])),
           (pick("softmax"), v["roofline.softmax_of_roof"] * roof(ai[pick("softmax")])),
           (pick("layer norm"), v["roofline.layernorm_of_roof"] * roof(ai[pick("layer norm")]))]
    short = [T(text, lang, k) for k in ("k_mm", "k_d1", "k_d64", "k_add", "k_softmax", "k_ln")]
    points = [(lab, ai[name], rate, COLOURS[1 + i % (len(COLOURS) - 1)])
              for i, ((name, rate), lab) in enumerate(zip(pts, short))]
    svg = Svg(height=G.tall)
    # one memory system, one bandwidth: both roofs use the best bandwidth measured (the notebook's roof_bw)
    machines = [(T(text, lang, "fp32"), peak, bw, "c1", False),
                (T(text, lang, "bf16"), v["roofline.peak_bf16_gflops"] * g, bw, "fg", True)]
    xlo = min(ai.values()) / D.log_pad
    xhi = max(ai.values()) * D.log_pad
    roofline_chart(svg, plot_box(svg), machines, points, text, lang, xlo, xhi, g)
    return svg, dict(ridge=peak / bw, peak=peak / g, bw=bw / g, mm_ai=ai[pts[0][0]], d1_ai=ai[pts[1][0]],
                     add=v["roofline.add_of_roof"], softmax=v["roofline.softmax_of_roof"],
                     ln=v["roofline.layernorm_of_roof"])


ACCELERATORS = [("T4", "cited.t4_fp16_tflops", "cited.t4_memory_bandwidth_gbs", F.giga),
                ("A100 80GB", "cited.a100_bf16_dense_tflops", "cited.a100_80gb_memory_bandwidth_gbs", F.giga),
                ("H100 SXM", "cited.h100_sxm_bf16_dense_tflops", "cited.h100_sxm_memory_bandwidth_tbs", F.tera),
                ("H200 SXM", "cited.h200_sxm_bf16_dense_tflops", "cited.h200_sxm_memory_bandwidth_tbs", F.tera),
                ("B200", "cited.b200_bf16_dense_tflops", "cited.b200_memory_bandwidth_tbs", F.tera)]


@figure("accelerator-rooflines", "roofline", inputs=tuple(k for _, a, b, _ in ACCELERATORS for k in (a, b)))
def _accelerator_rooflines(v, text, lang):
    machines = [(name, v[p] * F.tera, v[b] * unit, COLOURS[i % len(COLOURS)], False)
                for i, (name, p, b, unit) in enumerate(ACCELERATORS)]
    ridges = [m[1] / m[2] for m in machines]
    svg = Svg(height=G.tall)
    roofline_chart(svg, plot_box(svg), machines, [], text, lang, min(ridges) / D.log_pad ** (D.decade_span * 2),
                   max(ridges) * D.log_pad ** D.decade_span, F.tera)
    return svg, dict(lo=min(ridges), hi=max(ridges))


# ================================================================================================ evaluation
@figure("roc-vs-pr", "evaluation")
def _roc_vs_pr(v, text, lang):
    nd = NormalDist()
    dp = D.dprime
    ts = [dp + D.sigma_span - (dp + 2 * D.sigma_span) * k / D.curve_points for k in range(D.curve_points + 1)]
    tpr = [1 - nd.cdf(t - dp) for t in ts]
    fpr = [1 - nd.cdf(t) for t in ts]
    auc = nd.cdf(dp / math.sqrt(2))
    svg = Svg()
    prevs = [(D.balanced, "c1", T(text, lang, "balanced", p=D.balanced)), (D.rare, "c2", T(text, lang, "rare", p=D.rare))]
    ly = legend(svg, [(c, label, "line") for _, c, label in prevs], G.pad, G.top)
    panel = G.short - G.bottom
    for k in range(2):
        y1 = ly + G.pad + G.small * 2 + k * (panel + G.bottom + G.small * 2)
        box = x0, x1, y0, y1 = (G.left, svg.w - G.right, y1 + panel, y1)
        xs, ys = lin(0, 1, x0, x1), lin(0, 1, y0, y1)
        ticks = [0, 0.5, 1]
        axes(svg, box, xs, ys, ticks, ticks, "", "", xfmt=lambda t: f"{t:g}", yfmt=lambda t: f"{t:g}")
        svg.text(x0, y1 - G.gap, T(text, lang, "roc" if k == 0 else "pr"), weight="bold", size=G.small)
        svg.text((x0 + x1) / 2, y0 + G.small * 2 + G.tick * 2, T(text, lang, "fpr" if k == 0 else "recall"),
                 anchor="middle", size=G.small)
        svg.text(G.ylabel_x, (y0 + y1) / 2, T(text, lang, "tpr" if k == 0 else "precision"), anchor="middle",
                 rotate=True, size=G.small)
        if k == 0:
            svg.path([(xs(0), ys(0)), (xs(1), ys(1))], cls="muted", dash=True, width=1)
            for prev, cls, _ in prevs:
                svg.path([(xs(f), ys(t)) for f, t in zip(fpr, tpr)], cls=cls, width=G.thick * 2 if cls == "c1" else 2,
                         dash=cls != "c1")
            svg.text(xs(0.5), ys(0.5) + G.small * 2, T(text, lang, "same", a=auc), cls="fg", size=G.small)
        else:
            for prev, cls, label in prevs:
                prec = [prev * t / (prev * t + (1 - prev) * f) if t + f else 1 for t, f in zip(tpr, fpr)]
                svg.path([(xs(t), ys(p)) for t, p in zip(tpr, prec)], cls=cls)
                svg.line(x0, ys(prev), x1, ys(prev), cls=cls, dash=True)
    svg.h = y0 + G.bottom
    rare = D.rare   # threshold at the positives' mean: recall 1/2, false-positive rate 1 - Φ(d')
    fpr_half = 1 - nd.cdf(dp)
    prec_half = rare * 0.5 / (rare * 0.5 + (1 - rare) * fpr_half)
    bal = D.balanced
    return svg, dict(auc=auc, rare=rare, prec=prec_half, prec_bal=bal * 0.5 / (bal * 0.5 + (1 - bal) * fpr_half),
                     bal=bal)


@figure("perplexity-ladder", "evaluation", inputs=("text_generator.vocab", "text_generator.unigram_perplexity",
                                                   "text_generator.val_perplexity"))
def _perplexity_ladder(v, text, lang):
    rows = [(T(text, lang, "uniform"), v["text_generator.vocab"]),
            (T(text, lang, "unigram"), v["text_generator.unigram_perplexity"]),
            (T(text, lang, "model"), v["text_generator.val_perplexity"])]
    svg = Svg()
    hbars(svg, [(name, [x]) for name, x in rows], [("c1", T(text, lang, "key"))], T(text, lang, "x"),
          fmt=lambda x: f"{x:.3g}")
    return svg, dict(model=rows[2][1], unigram=rows[1][1], vocab=rows[0][1])


# ================================================================================================ hyperparameters
def response(x: float) -> float:
    """The illustrative score as a function of the important parameter: a narrow peak (Bergstra & Bengio 2012,
    Fig. 1: the unimportant parameter barely moves it)."""
    return math.exp(-0.5 * ((x - D.peak_at) / D.peak_width) ** 2)


@figure("grid-vs-random", "hyperparameters")
def _grid_vs_random(v, text, lang):
    n = D.grid_side
    rng = random.Random(D.seed)
    grid = [((i + 0.5) / n, (j + 0.5) / n) for i in range(n) for j in range(n)]
    rand = [(rng.random(), rng.random()) for _ in range(n * n)]
    # how typical the drawn sample is: the best score random search finds over many draws of n·n trials
    best = sorted(max(response(rng.random()) for _ in range(n * n)) for _ in range(D.draws))
    grid_best = max(response(x) for x, _ in grid)
    svg = Svg()
    half = svg.w / 2
    side = half - G.pad * 2 - G.small * 2
    curve_h = G.row * G.mid
    y1 = G.top + G.small + curve_h + G.gap
    panels = ((grid, T(text, lang, "grid", n=n * n)), (rand, T(text, lang, "random", n=n * n)))
    for k, (pts, title) in enumerate(panels):
        x0 = G.small * 2 + G.pad + k * (half - G.small / 2)
        x1, y0 = x0 + side, y1 + side
        xs, ys = lin(0, 1, x0, x1), lin(0, 1, y0, y1)
        svg.text(x0, G.top, title, weight="bold", size=G.small)
        curve = [(xs(i / D.curve_points), G.top + G.small + curve_h * (1 - response(i / D.curve_points)))
                 for i in range(D.curve_points + 1)]
        svg.path(curve, cls="muted", width=G.mid)
        svg.rect(x0, y1, side, side, cls="c4")
        for px, py in pts:
            svg.line(xs(px), y0, xs(px), y0 + G.tick * 2, cls="c2", width=2)
            svg.dot(xs(px), G.top + G.small + curve_h * (1 - response(px)), cls="c2", r=G.dot - 1)
            svg.dot(xs(px), ys(py), cls="c1")
        distinct = len({round(px, G.round_digits) for px, _ in pts})
        top_score = max(response(px) for px, _ in pts)
        svg.text(x0, y0 + G.tick * 2 + G.small + 2, T(text, lang, "distinct", d=distinct, b=top_score), cls="c2",
                 size=G.small)
    svg.h = y1 + side + G.tick * 2 + G.small * 2 + G.bottom
    svg.text(svg.w / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    svg.text(G.pad + G.small, y1 + side / 2, T(text, lang, "unimportant"), cls="muted", size=G.small, rotate=True,
             anchor="middle")
    hit = sum(b > grid_best for b in best) / len(best)
    return svg, dict(n=n * n, g=n, draws=D.draws, hit=hit, median=best[len(best) // 2], grid_best=grid_best,
                     seed=D.seed)


def halving_rounds(n: int, eta: int, r_min: float, rounds: int):
    """[(candidates, budget each)]: keep the best 1/η, give them η× the budget, for `rounds` rounds."""
    out = [(n, r_min)]
    while len(out) < rounds:
        n, r = out[-1]
        out.append((n // eta, r * eta))
    return out


@figure("successive-halving", "hyperparameters")
def _successive_halving(v, text, lang):
    """Each candidate is a block as wide as its budget and of the same height, so a round's ink is its cost."""
    rounds = halving_rounds(D.halving_candidates, D.halving_eta, D.halving_min_budget, D.halving_rounds)
    final = rounds[-1][1]
    full = D.halving_candidates * final            # every candidate trained on the last round's budget
    cost = rounds[0][0] * rounds[0][1]             # one round's cost: the scale of the figure
    svg = Svg()
    ly = legend(svg, [("c1", T(text, lang, "best")), ("c2", T(text, lang, "others")),
                      ("c4", T(text, lang, "full_key"), "outline")], G.pad, G.top)
    x0, x1 = G.pad, svg.w - G.pad
    xs = lin(0, cost, x0, x1)
    y = ly + G.pad
    for i, (n, r) in enumerate(rounds):
        svg.text(x0, y + G.small, T(text, lang, "row", k=i + 1, n=n, r=r, c=n * r), size=G.small)
        y += G.small + G.gap
        for c in range(n):      # the winner is drawn first in every round
            svg.rect(xs(c * r), y, xs(r) - xs(0) - 1, G.bar, cls="c1" if c == 0 else "c2", solid=True)
        y += G.bar + G.pad
    units = round(full / cost)
    svg.text(x0, y + G.small, T(text, lang, "full", n=D.halving_candidates, r=final, c=full, u=units), size=G.small)
    y += G.small + G.gap
    uw = (x1 - x0) / units
    for u in range(units):      # one block per round's cost: the search fills len(rounds) of them
        svg.rect(x0 + u * uw, y, uw - G.gap / 2, G.bar, cls="c2" if u < len(rounds) else "c4", solid=u < len(rounds))
    svg.h = y + G.bar + G.pad * 2
    spent = sum(n * r for n, r in rounds)
    return svg, dict(n=D.halving_candidates, eta=D.halving_eta, share=spent / full, k=len(rounds),
                     cost=rounds[0][0] * rounds[0][1], r0=D.halving_min_budget, final=final)


# ================================================================================================ appendix
@figure("llama2-gpu-hours", "appendix", inputs=(
    "cited.llama2_7b_gpu_hours", "cited.llama2_70b_gpu_hours", "cited.llama2_tokens_t", "cited.a100_bf16_dense_tflops",
    "cited.llama2_7b_layers", "cited.llama2_7b_hidden", "cited.llama2_7b_ffn", "cited.llama2_vocab",
    "cited.llama2_70b_layers", "cited.llama2_70b_hidden", "cited.llama2_70b_ffn", "cited.llama2_70b_heads",
    "cited.llama2_70b_kv_heads"))
def _llama2_gpu_hours(v, text, lang):
    n7 = sum(transformer_params(v["cited.llama2_7b_layers"], v["cited.llama2_7b_hidden"], v["cited.llama2_vocab"],
                                ffn=v["cited.llama2_7b_ffn"], gated=True, tied=False))
    n70 = sum(transformer_params(v["cited.llama2_70b_layers"], v["cited.llama2_70b_hidden"], v["cited.llama2_vocab"],
                                 ffn=v["cited.llama2_70b_ffn"], heads=v["cited.llama2_70b_heads"],
                                 kv_heads=v["cited.llama2_70b_kv_heads"], gated=True, tied=False))
    tokens = v["cited.llama2_tokens_t"] * F.tera
    peak = v["cited.a100_bf16_dense_tflops"] * F.tera
    rows = []
    for name, n, hours in (("Llama 2 7B", n7, v["cited.llama2_7b_gpu_hours"]),
                           ("Llama 2 70B", n70, v["cited.llama2_70b_gpu_hours"])):
        ideal = six_nd(n, tokens) / peak / F.seconds_per_hour     # GPU-hours at 100 % of the dense peak
        rows.append((name, ideal, hours, ideal / hours))
    svg = Svg()
    bars = [(name, (ideal, hours), (f"{ideal / F.mega:.2f}M", T(text, lang, "implied", u=mfu)))
            for name, ideal, hours, mfu in rows]
    paired_bars(svg, bars, [("c1", T(text, lang, "ideal")), ("c2", T(text, lang, "published"))],
                lambda t: f"{t / F.mega:g}M" if t else "0", G.room8 + G.pad * 2)
    svg.text(svg.w / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    mfus = [mfu for *_, mfu in rows]
    return svg, dict(lo=min(mfus), hi=max(mfus), xlo=1 / max(mfus), xhi=1 / min(mfus),
                     tokens=f'{v["cited.llama2_tokens_t"]:g}')


@figure("chip-gains", "appendix", inputs=(
    "cited.a100_bf16_dense_tflops", "cited.a100_80gb_memory_bandwidth_gbs", "cited.h100_sxm_bf16_dense_tflops",
    "cited.h100_sxm_memory_bandwidth_tbs", "cited.h200_sxm_bf16_dense_tflops", "cited.h200_sxm_memory_bandwidth_tbs",
    "cited.b200_bf16_dense_tflops", "cited.b200_memory_bandwidth_tbs"))
def _chip_gains(v, text, lang):
    base_f, base_b = v["cited.a100_bf16_dense_tflops"], v["cited.a100_80gb_memory_bandwidth_gbs"]
    chips = [("H100 SXM", v["cited.h100_sxm_bf16_dense_tflops"], v["cited.h100_sxm_memory_bandwidth_tbs"]),
             ("H200 SXM", v["cited.h200_sxm_bf16_dense_tflops"], v["cited.h200_sxm_memory_bandwidth_tbs"]),
             ("B200", v["cited.b200_bf16_dense_tflops"], v["cited.b200_memory_bandwidth_tbs"])]
    tb = F.tera / F.giga   # bandwidths of the newer chips are in TB/s, the A100's in GB/s
    rows = [(name, [f / base_f, b * tb / base_b]) for name, f, b in chips]
    svg = Svg()
    paired_bars(svg, [(name, (cf, mb), (f"{cf:.2f}×", f"{mb:.2f}×")) for name, (cf, mb) in rows],
                [("c1", T(text, lang, "compute")), ("c2", T(text, lang, "memory"))], lambda t: f"{t:g}×", G.room,
                ref=1)
    svg.text(svg.w / 2, svg.h - G.pad, T(text, lang, "x"), anchor="middle")
    h = rows[0][1]
    return svg, dict(hc=h[0], hm=h[1], h200m=rows[1][1][1], h200c=rows[1][1][0])


INTERACTIVE = {"pipeline": _pipeline_interactive, "zero": _zero_interactive}


def chapters() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in FIGURES.values():
        out.setdefault(f.chapter, []).append(f.id)
    return out
