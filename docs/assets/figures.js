// Interactive figures (scripts/figures.py draws their static SVG, the fallback without JavaScript): the labelled
// inputs above a figure redraw it. Same formulas as the Python: pipeline_schedule / bubble_fraction for the
// pipeline, zero_bytes for ZeRO. Strings come in the page's language from the controls' data-strings.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const fmt = (s, o) => s.replace(/\{(\w+)(?::([^}]*))?\}/g, (_, k, spec) => {
    const v = o[k];
    if (spec && spec.endsWith("%")) return (100 * v).toFixed(+spec.slice(1, -1) || 0) + "%";
    if (spec && spec.endsWith("f")) return v.toFixed(+spec.slice(1, -1));
    return String(v);
  });
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

  function schedule(p, m, kind, bwd) {
    const orders = [];
    for (let s = 0; s < p; s++) {
      const o = [];
      if (kind === "gpipe") {
        for (let i = 0; i < m; i++) o.push(["F", i]);
        for (let i = 0; i < m; i++) o.push(["B", i]);
      } else {
        const warm = Math.min(p - s - 1, m);
        for (let i = 0; i < warm; i++) o.push(["F", i]);
        let f = warm, b = 0;
        while (b < m) { if (f < m) o.push(["F", f++]); o.push(["B", b++]); }
      }
      orders.push(o);
    }
    const done = new Map(), free = new Array(p).fill(0), pos = new Array(p).fill(0), out = [];
    const key = (s, i, k) => s + "," + i + "," + k;
    while (pos.some((x, s) => x < orders[s].length)) {
      let progressed = false;
      for (let s = 0; s < p; s++) {
        if (pos[s] >= orders[s].length) continue;
        const [k, i] = orders[s][pos[s]];
        const dep = k === "F" ? (s > 0 ? key(s - 1, i, "F") : null) : (s < p - 1 ? key(s + 1, i, "B") : key(s, i, "F"));
        if (dep !== null && !done.has(dep)) continue;
        const start = Math.max(free[s], dep ? done.get(dep) : 0), end = start + (k === "F" ? 1 : bwd);
        done.set(key(s, i, k), end); free[s] = end; out.push([s, i, k, start, end]); pos[s]++; progressed = true;
      }
      if (!progressed) throw new Error("pipeline schedule deadlocked");
    }
    return out;
  }

  // Layout numbers come from scripts/figures.py's GEOMETRY through data-strings (S.G), so the redrawn figure is
  // the Python figure: same viewBox width, type sizes, margins. The SVG keeps its <title> and <desc>.
  function svgEl(G, id, w, h, title, desc) {
    const t = `fig-${id}-title`, d = `fig-${id}-desc`;
    return `<svg xmlns="${NS}" viewBox="0 0 ${w} ${Math.ceil(h)}" role="img" aria-labelledby="${t} ${d}" class="elm-fig-svg" style="max-width:${G.max_width}px">` +
      `<title id="${t}">${esc(title)}</title><desc id="${d}">${esc(desc)}</desc>`;
  }
  const rect = (x, y, w, h, cls) => `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(w, 0).toFixed(1)}" height="${h.toFixed(1)}" class="${cls}"/>`;
  const text = (x, y, s, cls, anchor, size, bold) => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" class="${cls}" text-anchor="${anchor || "start"}" font-size="${size}"${bold ? ' font-weight="bold"' : ""}>${esc(s)}</text>`;
  const line = (x1, y1, x2, y2, cls) => `<line x1="${x1.toFixed(1)}" y1="${y1.toFixed(1)}" x2="${x2.toFixed(1)}" y2="${y2.toFixed(1)}" class="${cls}" stroke-width="1"/>`;
  const textWidth = (G, s, size) => size * [...s].reduce((a, c) => a + (c.codePointAt(0) >= G.cjk ? 1 : G.char_w), 0);
  // legend() of figures.py: swatches in rows that wrap; returns the baseline of the last row
  function legend(G, W, items, x, y) {
    let out = "", x0 = x;
    for (const [cls, label] of items) {
      const w = G.swatch + G.gap + G.label_dx * 2 + textWidth(G, label, G.small);
      if (x > x0 && x + w - G.label_dx * 2 > W - G.right) { x = x0; y += G.legend; }
      out += rect(x, y - G.swatch, G.swatch, G.swatch, "s-" + cls) + text(x + G.swatch + G.label_dx / 2, y, label, "t-fg", "start", G.small);
      x += w;
    }
    return [out, y];
  }
  function niceTicks(G, lo, hi) {
    const raw = (hi - lo) / G.ticks, mag = 10 ** Math.floor(Math.log10(raw));
    const step = G.nice_steps.map((m) => m * mag).find((v) => v >= raw) || mag * 10, first = Math.ceil(lo / step) * step, out = [];
    for (let v = first; v <= hi + G.eps; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  function pipeline(ctrl, S) {
    const G = S.G;
    const get = (n) => { const el = ctrl.querySelector(`[name=${n}]`); return Math.max(+el.min, Math.min(+el.max, Math.round(+el.value || 1))); };
    const p = get("p"), m = get("m"), v = get("v");
    const sched = { [S.gpipe]: schedule(p, m, "gpipe", S.bwd), [S.ofob]: schedule(p, m, "1f1b", S.bwd) };
    const end = Math.max(...Object.values(sched).flat().map((t) => t[4]));
    const W = G.width, h = G.bar * G.lane, x0 = G.left, xs = (t) => x0 + (t / end) * (W - G.right - x0);
    let [body, y] = legend(G, W, [["c1", S.F], ["c2", S.B], ["c4", S.idle_key]], G.pad, G.top);
    y += G.pad;
    for (const [title, sc] of Object.entries(sched)) {
      const busy = sc.reduce((a, t) => a + t[4] - t[3], 0), tot = Math.max(...sc.map((t) => t[4]));
      body += text(G.pad, y + G.small, `${title}: ` + fmt(S.idle, { b: 1 - busy / (p * tot) }), "t-fg", "start", G.font, true);
      y += G.small + G.gap;
      for (let s = 0; s < p; s++) {
        body += text(x0 - G.gap, y + h / 2 + G.label_dy, fmt(S.stage, { s }), "t-fg", "end", G.small) + rect(xs(0), y, xs(end) - xs(0), h, "s-c4");
        for (const t of sc) if (t[0] === s) body += rect(xs(t[3]), y, xs(t[4]) - xs(t[3]) - 1, h, t[2] === "F" ? "s-c1" : "s-c2");
        y += h + 2;
      }
      y += G.pad;
    }
    const pct = new Intl.NumberFormat(S.lang, { style: "percent", maximumFractionDigits: 0 });
    const b = (p - 1) / (m + p - 1), bv = (p - 1) / (v * m + p - 1);
    const summary = fmt(S.summary, { b: pct.format(b), bv: pct.format(bv), v, m, f: Math.min(p, m) });
    return [svgEl(G, S.id, W, y, S.title, fmt(S.desc_live, { p, m })) + body + "</svg>", summary];
  }

  function zero(ctrl, S) {
    const G = S.G, L = S.labels, W = G.width;
    const nd = Math.max(1, Math.round(+ctrl.querySelector("[name=nd]").value || 1));
    const psiIn = ctrl.querySelector("[name=psi]"), psi = Math.max(+psiIn.min, +psiIn.value || 1);
    const B = S.bytes, rows = [0, 1, 2, 3].map((s) => [s, [s >= 3 ? B.w / nd : B.w, s >= 2 ? B.g / nd : B.g, s >= 1 ? B.o / nd : B.o].map((x) => x * psi)]);
    const num = new Intl.NumberFormat(S.lang, { maximumSignificantDigits: 3 });
    const sum = (v) => v.reduce((a, b) => a + b);
    // hbars() of figures.py: the label on the line above each bar, the bars the whole width
    const x0 = G.pad, x1 = W - G.room, top = Math.max(...rows.map((r) => sum(r[1])));
    const xs = (v) => x0 + (v / top) * (x1 - x0);
    let [body, y] = legend(G, W, [["c1", L.w], ["c2", L.g], ["c3", L.o]], x0, G.top);
    y += G.pad;
    const slot = G.small + G.gap + G.bar + G.pad, y0 = y + slot * rows.length, H = y0 + G.bottom;
    for (const t of niceTicks(G, 0, top)) body += line(xs(t), y0, xs(t), y, "k-grid") + text(xs(t), y0 + G.small + G.tick, num.format(t), "t-muted", "middle", G.small);
    for (const [s, vals] of rows) {
      body += text(x0, y + G.small, fmt(L.stage, { s }), "t-fg", "start", G.small);
      const yb = y + G.small + G.gap;
      let x = x0;
      vals.forEach((v, i) => { body += rect(x, yb, xs(v) - x0, G.bar, "s-c" + (i + 1)); x += xs(v) - x0; });
      body += text(x + G.gap, yb + G.bar / 2 + G.label_dy, num.format(sum(vals)), "t-fg", "start", G.small);
      y += slot;
    }
    body += line(x0, y0, x1, y0, "k-fg") + text(W / 2, H - G.pad, L.x, "t-fg", "middle", G.font);
    const summary = rows.map(([s, v]) => fmt(L.stage, { s }) + ": " + num.format(sum(v)) + " " + L.gb).join(" · ");
    return [svgEl(G, S.id, W, H, S.title, fmt(S.desc_live, { nd, psi })) + body + "</svg>", summary];
  }

  const DRAW = { pipeline, zero };
  function init() {
    document.querySelectorAll("figure.elm-fig[data-interactive]").forEach((fig) => {
      const ctrl = fig.querySelector(".elm-fig-controls");
      if (!ctrl || ctrl.dataset.ready) return;
      ctrl.dataset.ready = "1";
      const S = JSON.parse(ctrl.dataset.strings), draw = DRAW[fig.dataset.interactive];
      const update = () => {
        const [svg, summary] = draw(ctrl, S);
        fig.querySelector(".elm-fig-scroll").innerHTML = svg;
        ctrl.querySelector("output").textContent = summary;
      };
      ctrl.addEventListener("input", update);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
  if (window.document$) window.document$.subscribe(init);   // Material's instant navigation
})();
