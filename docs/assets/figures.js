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

  function svgEl(w, h, title) {
    return `<svg xmlns="${NS}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${esc(title)}" class="elm-fig-svg" style="min-width:480px">`;
  }
  const rect = (x, y, w, h, cls) => `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(w, 0).toFixed(1)}" height="${h.toFixed(1)}" class="${cls}"/>`;
  const text = (x, y, s, cls, anchor, size, bold) => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" class="${cls}" text-anchor="${anchor || "start"}" font-size="${size || 13}"${bold ? ' font-weight="bold"' : ""}>${esc(s)}</text>`;

  function pipeline(ctrl, S) {
    const get = (n) => Math.max(+ctrl.querySelector(`[name=${n}]`).min, Math.min(+ctrl.querySelector(`[name=${n}]`).max, Math.round(+ctrl.querySelector(`[name=${n}]`).value || 1)));
    const p = get("p"), m = get("m"), v = get("v");
    const sched = { [S.gpipe]: schedule(p, m, "gpipe", S.bwd), [S.ofob]: schedule(p, m, "1f1b", S.bwd) };
    const end = Math.max(...Object.values(sched).flat().map((t) => t[4]));
    const h = 0.8 * 22, x0 = 140, W = 640, xs = (t) => x0 + (t / end) * (W - 20 - x0);
    let y = 34, body = "";
    body += rect(140, 14, 10, 10, "s-c1") + text(155, 24, S.F, "t-fg", "start", 11) +
            rect(240, 14, 10, 10, "s-c2") + text(255, 24, S.B, "t-fg", "start", 11) +
            rect(340, 14, 10, 10, "s-c4") + text(355, 24, S.idle_key, "t-fg", "start", 11);
    for (const [title, sc] of Object.entries(sched)) {
      const busy = sc.reduce((a, t) => a + t[4] - t[3], 0), tot = Math.max(...sc.map((t) => t[4]));
      body += text(10, y + 11, `${title}: ` + fmt(S.idle, { b: 1 - busy / (p * tot) }), "t-fg", "start", 13, true);
      y += 17;
      for (let s = 0; s < p; s++) {
        body += text(x0 - 6, y + h / 2 + 4, fmt(S.stage, { s }), "t-fg", "end", 11) + rect(xs(0), y, xs(end) - xs(0), h, "f-c4");
        for (const t of sc) if (t[0] === s) body += rect(xs(t[3]), y, xs(t[4]) - xs(t[3]) - 1, h, t[2] === "F" ? "s-c1" : "s-c2");
        y += h + 2;
      }
      y += 10;
    }
    const b = (p - 1) / (m + p - 1), bv = (p - 1) / (v * m + p - 1);
    const summary = fmt(S.summary, { b: (100 * b).toFixed(0) + " %", bv: (100 * bv).toFixed(0) + " %", v, m, f: Math.min(p, m) });
    return [svgEl(W, y + 10, fmt(S.desc_live, { p, m })) + body + "</svg>", summary];
  }

  function zero(ctrl, S) {
    const nd = Math.max(1, Math.round(+ctrl.querySelector("[name=nd]").value || 1));
    const psi = Math.max(0.1, +ctrl.querySelector("[name=psi]").value || 1);
    const B = S.bytes, rows = [0, 1, 2, 3].map((s) => [s, [s >= 3 ? B.w / nd : B.w, s >= 2 ? B.g / nd : B.g, s >= 1 ? B.o / nd : B.o].map((x) => x * psi)]);
    const W = 640, H = 340, x0 = 140, x1 = W - 80, top = Math.max(...rows.map((r) => r[1].reduce((a, b) => a + b)));
    const xs = (v) => x0 + (v / top) * (x1 - x0), y1 = 60, y0 = H - 52, step = (y0 - y1) / 4;
    let body = "";
    ["w", "g", "o"].forEach((k, i) => { body += rect(x0 + i * 120, 24, 10, 10, "s-c" + (i + 1)) + text(x0 + i * 120 + 15, 34, S.labels[k], "t-fg", "start", 11); });
    for (const [s, vals] of rows) {
      const y = y1 + s * step + (step - 22) / 2;
      body += text(x0 - 6, y + 15, "ZeRO-" + s, "t-fg", "end");
      let x = x0;
      vals.forEach((v, i) => { body += rect(x, y, xs(v) - x0, 22, "s-c" + (i + 1)); x += xs(v) - x0; });
      body += text(x + 6, y + 15, vals.reduce((a, b) => a + b).toPrecision(3) + " " + S.labels.gb, "t-fg", "start", 11);
    }
    body += text((x0 + x1) / 2, H - 10, S.labels.x, "t-fg", "middle");
    const summary = rows.map(([s, v]) => "ZeRO-" + s + ": " + v.reduce((a, b) => a + b).toPrecision(3) + " " + S.labels.gb).join(" · ");
    return [svgEl(W, H, S.labels.x) + body + "</svg>", summary];
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
