/* "Plan your run" (docs/planner.md): enumerate parallel layouts, keep those that fit, rank them by step time.
   Inputs, limits, choices, presets and the published runs come from scripts/planner.json (its numbers resolved
   from scripts/cited_constants.yml), embedded in the page by the build hook. The formulas mirror
   scripts/planner_reference.py line for line (same order of operations); the browser tests compare the two on a
   grid of cases. Nothing is requested from any host. */
(function () {
  "use strict";
  var root = document.getElementById("elm-planner");
  if (!root) return;
  var DATA = JSON.parse(root.getAttribute("data-planner"));
  var FIELDS = DATA.fields, CHOICES = DATA.choices, T = DATA.text;
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var MICRO_BATCHES = [1, 2, 4, 8], INTERLEAVE = [1, 2, 4], RECOMPUTE = ["none", "selective", "full"];
  var OPT_BYTES = 26, TOP = 5;
  var LAYOUT_KEYS = ["tp", "pp", "vp", "ep", "zero", "micro_batch", "recompute"];
  var NEEDS = ["layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "n_params", "experts", "top_k", "mlp",
    "dropout", "peak", "memory", "hbm", "gpus_per_node", "nodes", "nvlink", "network", "lat_nvlink", "lat_network",
    "global_batch", "seq", "efficiency", "usable", "grad_dtype", "reduce_dtype"];

  var WHOLE = new Intl.NumberFormat("en-US"), SIX = new Intl.NumberFormat("en-US", {maximumFractionDigits: 6});
  function fmt(x) { return Number.isInteger(x) ? WHOLE.format(x) : SIX.format(x); }
  function tr(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return String(values[k]); });
  }
  function has(v, keys) { return keys.every(function (k) { return k in v; }); }

  function shape(v) {
    var L = v.layers, h = v.hidden, F = v.ffn;
    var mats = CHOICES.mlp.options[v.mlp].matrices;
    var E = v.experts, K = v.top_k;
    var N = v.n_params * 1e9;
    var expertLayer = E > 1 ? E * mats * h * F : 0;
    var emb = v.vocab * h;
    var denseLayer = (N - L * expertLayer - emb) / L;
    var active = E > 1 ? N - L * (E - K) * mats * h * F : N;
    var activeLayer = denseLayer + (E > 1 ? K * mats * h * F : 0);
    return {N: N, emb: emb, expert_layer: expertLayer, dense_layer: denseLayer, active: active,
      active_layer: activeLayer, mats: mats};
  }

  function validate(raw) {
    var values = {}, errors = {}, key;
    for (key in FIELDS) {
      var f = FIELDS[key], text = String(raw[key] == null ? "" : raw[key]).trim();
      var label = f.label, unit = f.unit ? " " + f.unit : "";
      if (text === "") {
        if (f.optional) continue;
        errors[key] = tr(T.empty, {label: label}); continue;
      }
      if (!NUMBER.test(text)) { errors[key] = tr(T.not_number, {label: label, text: text}); continue; }
      var x = parseFloat(text);
      if (f.int && !Number.isInteger(x)) errors[key] = tr(T.not_whole, {label: label, text: text});
      else if (x < f.min) errors[key] = tr(T.too_small, {label: label, min: fmt(f.min), unit: unit});
      else if (x > f.max) errors[key] = tr(T.too_large, {label: label, max: fmt(f.max), unit: unit, text: text});
      else values[key] = x;
    }
    for (key in CHOICES) {  // a missing choice is its default; one that is no option (from a URL), an error
      if (raw[key] == null) values[key] = CHOICES[key]["default"];
      else if (Object.prototype.hasOwnProperty.call(CHOICES[key].options, raw[key])) values[key] = raw[key];
      else errors[key] = tr(T.not_choice, {label: CHOICES[key].label, text: raw[key]});
    }
    var v = values;
    function check(k, others, ok, name, args) {
      if (k in v && has(v, others) && !ok()) {
        var nums = {};
        Object.keys(args).forEach(function (a) { nums[a] = fmt(typeof args[a] === "string" ? v[args[a]] : args[a](v)); });
        errors[k] = tr(T.invalid, {label: FIELDS[k].label, message: tr(T[name], nums)});
        delete v[k];
      }
    }
    check("heads", ["hidden"], function () { return v.hidden % v.heads === 0; }, "heads", {a: "heads", b: "hidden"});
    check("kv_heads", ["heads"], function () { return v.heads % v.kv_heads === 0; }, "kv_heads",
      {a: "kv_heads", b: "heads"});
    check("top_k", ["experts"], function () { return v.top_k <= v.experts; }, "top_k", {a: "top_k", b: "experts"});
    check("seq", ["global_batch"], function () { return v.global_batch % v.seq === 0; }, "seq",
      {a: "global_batch", b: "seq"});
    check("n_params", ["layers", "hidden", "ffn", "vocab", "experts", "top_k", "mlp"],
      function () { return shape(v).dense_layer > 0; }, "n_params",
      {a: function (w) {
        return (w.layers * (w.experts > 1 ? w.experts * CHOICES.mlp.options[w.mlp].matrices * w.hidden * w.ffn : 0) +
          w.vocab * w.hidden) / 1e9;
      }});
    return {values: values, errors: errors};
  }

  function span(g, stride, G) { return Math.min(g, Math.ceil(g * stride / G)); }
  function ringLatency(g, nodes, latNvlink, latNet) { return (nodes - 1) * latNet + (g - nodes) * latNvlink; }

  function evaluate(v, lay) {
    var L = v.layers, h = v.hidden, a = v.heads, s = v.seq;
    var G = v.gpus_per_node;
    var n = G * v.nodes;
    var t = lay.tp, p = lay.pp, vp = lay.vp, ep = lay.ep, z = lay.zero, b = lay.micro_batch, rc = lay.recompute;
    var why = [];
    if (G % t) why.push(["tp_node", t, G]);
    if (a % t || (v.kv_heads % t && t % v.kv_heads)) why.push(["tp_heads", t, a, v.kv_heads]);
    if (p > L) why.push(["pp_layers", p, L]);
    if (n % (t * p)) why.push(["gpus", n, t * p]);
    var d = n % (t * p) === 0 ? Math.floor(n / (t * p)) : 0;
    var seqs = v.global_batch / s;
    if (d && seqs % (d * b)) why.push(["batch", seqs, d, b]);
    var m = d ? seqs / (d * b) : 0;
    if (vp > 1 && (p === 1 || p * vp > L || m % p)) why.push(["interleave", vp, p, L]);
    var E = v.experts;
    if (ep > 1 && (E === 1 || E % ep || (d && d % ep))) why.push(["ep", ep, E, d]);
    if (z === 3 && p > 1) why.push(["zero3_pp"]);
    if (why.length) return {ok: false, why: why};

    var sh = shape(v);
    var de = d / ep;
    var Lc = Math.ceil(L / (p * vp));
    var Ls = Lc * vp;
    var kvd = v.kv_heads * h / a;
    var dropout = v.dropout === "on";
    var gb = CHOICES.grad_dtype.options[v.grad_dtype].bytes;
    var rb = CHOICES.reduce_dtype.options[v.reduce_dtype].bytes;
    var denseLoc = (Ls * sh.dense_layer + sh.emb) / t;
    var expertLoc = Ls * sh.expert_layer / (ep * t);
    var weights = 2 * (denseLoc / (z >= 3 ? d : 1) + expertLoc / (z >= 3 ? de : 1));
    var grads = gb * (denseLoc / (z >= 2 ? d : 1) + expertLoc / (z >= 2 ? de : 1));
    var optimizer = 12 * (denseLoc / (z >= 1 ? d : 1) + expertLoc / (z >= 1 ? de : 1));
    var inner = CHOICES.mlp.options[v.mlp].act * v.ffn * (E > 1 ? v.top_k : 1);
    var perToken = 12 * h + 4 * kvd + inner + (dropout ? 2 * h : 0);
    var core = (dropout ? 5 : 2) * a * s;
    var actLayer;
    if (rc === "none") actLayer = s * b * (perToken + core) / t;
    else if (rc === "selective") actLayer = s * b * perToken / t;
    else actLayer = 2 * s * b * h / t;
    var inflight;
    if (p === 1) inflight = L;
    else if (vp === 1) inflight = Math.min(m, p) * Ls;
    else inflight = Math.min(m * vp, (vp - 1) * p + 2 * (p - 1) + 1) * Lc;
    var activations = actLayer * inflight;
    var work = 0;
    if (rc === "full") work += s * b * perToken / t;
    if (z === 3) work += 2 * 2 * (sh.dense_layer + sh.expert_layer / ep) / t;
    var total = weights + grads + optimizer + activations + work;
    var capacity = v.memory * 1e9 * v.usable / 100;

    var peak = v.peak * 1e12 * v.efficiency / 100;
    var tokens = v.global_batch;
    var attn = 12 * L * s * h;
    var fModel = 6 * sh.active + attn;
    var extra = 0;
    if (rc === "selective") extra = L * 4 * s * h;
    else if (rc === "full") extra = L * (2 * sh.active_layer + 4 * s * h);
    var fHw = fModel + extra;
    var imbalance = p * Ls / L;
    var compute = tokens * fHw / (n * peak) * imbalance;
    var tMb = compute / m;
    var bubble = tMb * (p - 1) / vp;
    var nvlink = v.nvlink * 1e9, net = v.network * 1e9;
    var aNvl = v.lat_nvlink * 1e-6, aNet = v.lat_network * 1e-6;
    var tpEach = 2 * (t - 1) / t * 2 * b * s * h / nvlink + 2 * (t - 1) * aNvl;
    var tpCount = 4 + (rc === "full" ? 2 : 0);
    var tpTime = m * Ls * tpCount * tpEach;
    var ppCross = t * p > G;
    var ppLink = ppCross ? net : nvlink, ppLat = ppCross ? aNet : aNvl;
    var ppTime = p > 1 ? m * 2 * vp * ((2 * b * s * h / t) / ppLink + ppLat) : 0;
    var dpNodes = span(d, t * p, G);
    var dpLink = dpNodes > 1 ? net : nvlink;
    var lat = Ls * ringLatency(d, dpNodes, aNvl, aNet);
    var paramsLoc = denseLoc + expertLoc;
    var ring = (d - 1) / d;
    var windowBwd = tMb * 2 / 3;
    var dpComm, dpExposed, rs, ag;
    if (z === 0) {
      dpComm = 2 * ring * rb * paramsLoc / dpLink + 2 * lat;
      dpExposed = Math.max(0, dpComm - windowBwd);
    } else if (z === 1) {
      rs = ring * rb * paramsLoc / dpLink + lat;
      ag = ring * 2 * paramsLoc / dpLink + lat;
      dpComm = rs + ag;
      dpExposed = Math.max(0, rs - windowBwd) + Math.max(0, ag - tMb / 3);
    } else if (z === 2) {
      rs = ring * rb * paramsLoc / dpLink + lat;
      ag = ring * 2 * paramsLoc / dpLink + lat;
      dpComm = m * rs + ag;
      dpExposed = (m - 1) * Math.max(0, rs - tMb) + Math.max(0, rs - windowBwd) + Math.max(0, ag - tMb / 3);
    } else {
      var perMb = ring * (2 + 2 + rb) * paramsLoc / dpLink + 3 * lat;
      dpComm = m * perMb;
      dpExposed = m * Math.max(0, perMb - tMb);
    }
    var epCross = span(ep, t * p, G) > 1;
    var epLink = epCross ? net : nvlink, epLat = epCross ? aNet : aNvl;
    var epCount = 4 + (rc === "full" ? 2 : 0);
    var epTime = ep > 1 ?
      m * Ls * epCount * ((ep - 1) / ep * 2 * b * s * v.top_k * h / t / epLink + (ep - 1) * epLat) : 0;
    var optParams = denseLoc / (z >= 1 ? d : 1) + expertLoc / (z >= 1 ? de : 1);
    var optTime = (OPT_BYTES + gb) * optParams / (v.hbm * 1e9);
    var step = compute + bubble + tpTime + ppTime + dpExposed + epTime + optTime;
    var threshold = ring * peak / dpLink;
    var tpRatio = t > 1 ?
      tpCount * tpEach / (b * s * (3 * 2 * sh.active_layer + 3 * 4 * s * h + (extra / L)) / t / peak) : 0;
    var fits = total <= capacity;
    var out = {ok: fits, d: d, m: m, weights: weights, grads: grads, optimizer: optimizer,
      activations: activations, work: work, total: total, capacity: capacity,
      headroom: capacity - total, inflight: inflight, act_layer: actLayer,
      f_model: fModel, f_hw: fHw, compute: compute, imbalance: imbalance, t_mb: tMb,
      bubble: bubble, bubble_fraction: bubble / (compute + bubble), t_tp: tpTime, tp_ratio: tpRatio,
      t_pp: ppTime, dp_nodes: dpNodes, dp_comm: dpComm, t_dp: dpExposed, dp_threshold: threshold,
      t_ep: epTime, t_opt: optTime, step: step, tokens_per_s: tokens / step,
      mfu: tokens * fModel / (step * n * v.peak * 1e12),
      tflops_hw: tokens * fHw / (step * n) / 1e12, days_per_t: 1e12 / (tokens / step) / 86400};
    if (!fits) out.why = [["memory", total, capacity]];
    return out;
  }

  function range1(k) { var r = []; for (var i = 1; i <= k; i++) r.push(i); return r; }

  function layouts(v) {
    var G = Math.trunc(v.gpus_per_node), L = Math.trunc(v.layers), E = Math.trunc(v.experts);
    var n = G * Math.trunc(v.nodes);
    var out = [];
    range1(G).filter(function (x) { return G % x === 0; }).forEach(function (t) {
      range1(L).filter(function (x) { return n % (t * x) === 0; }).forEach(function (p) {
        var d = n / (t * p);
        range1(E).filter(function (x) { return E % x === 0 && d % x === 0; }).forEach(function (ep) {
          [0, 1, 2, 3].forEach(function (z) {
            if (d === 1 && z > 0) return;
            INTERLEAVE.forEach(function (vp) {
              if (vp > 1 && p === 1) return;
              MICRO_BATCHES.forEach(function (b) {
                RECOMPUTE.forEach(function (rc) {
                  out.push({tp: t, pp: p, vp: vp, ep: ep, zero: z, micro_batch: b, recompute: rc});
                });
              });
            });
          });
        });
      });
    });
    return out;
  }

  function ranked(v) {
    var all = layouts(v), fits = [];
    all.forEach(function (lay, i) {
      var r = evaluate(v, lay);
      if (r.ok) { r.layout = lay; r._i = i; fits.push(r); }
    });
    fits.sort(function (x, y) { return x.step - y.step || x.total - y.total || x._i - y._i; });
    fits.forEach(function (r) { delete r._i; });
    return {tried: all.length, fits: fits};
  }

  function plan(v) {
    if (!has(v, NEEDS)) return null;
    var r = ranked(v);
    return {tried: r.tried, fit: r.fits.length, top: r.fits.slice(0, TOP)};
  }

  function inspect(v) {
    if (!has(v, NEEDS) || !has(v, LAYOUT_KEYS)) return null;
    var lay = {};
    LAYOUT_KEYS.forEach(function (k) { lay[k] = k === "recompute" ? v[k] : parseInt(v[k], 10); });
    return evaluate(v, lay);
  }

  // ------------------------------------------------------------------ formatting
  function sig(x) { return SIX.format(Number(x.toPrecision(3))); }
  function bytes(x) {
    var u = [[1e12, "TB"], [1e9, "GB"], [1e6, "MB"], [1e3, "kB"]];
    for (var i = 0; i < u.length; i++) if (Math.abs(x) >= u[i][0]) return sig(x / u[i][0]) + " " + u[i][1];
    return sig(x) + " B";
  }
  function secs(x) { return tr(T.seconds, {a: sig(x)}); }
  function pct(x) { return tr(T.percent, {a: sig(100 * x)}); }
  function layoutText(r) {
    var l = r.layout;
    return tr(T.layout_fmt, {t: l.tp, p: l.pp, d: r.d, v: l.vp > 1 ? " v=" + l.vp : "", e: l.ep > 1 ? " e=" + l.ep : "",
      z: l.zero, b: l.micro_batch, rc: T["rc_" + l.recompute]});
  }
  var TERMS = [["bubble", "term_bubble"], ["t_tp", "term_tp"], ["t_pp", "term_pp"], ["t_dp", "term_dp"],
    ["t_ep", "term_ep"], ["t_opt", "term_opt"]];
  function whyText(r, first) {
    var head = bytes(r.headroom);
    if (first) {
      var worst = null, gap = -Infinity;
      TERMS.concat([["compute", "term_compute"]]).forEach(function (tm) {
        var dlt = r[tm[0]] - first[tm[0]];
        if (dlt > gap) { gap = dlt; worst = tm[1]; }
      });
      if (r.step - first.step <= 5e-4 * first.step) return tr(T.why_tie, {headroom: head});
      return tr(T.why_other, {pct: sig(100 * (r.step / first.step - 1)), term: T[worst], headroom: head});
    }
    var big = TERMS.reduce(function (acc, tm) { return r[tm[0]] > r[acc[0]] ? tm : acc; }, TERMS[0]);
    var main = r[big[0]] > 0 ? tr(T.why_main, {term: T[big[1]], pct: sig(100 * r[big[0]] / r.step)}) :
      tr(T.why_compute, {pct: sig(100 * r.compute / r.step)});
    return tr(T.why_first, {main: main, headroom: head});
  }

  // ------------------------------------------------------------------ the page
  function input(k) { return document.getElementById("plan-" + k); }
  var keys = Object.keys(FIELDS).concat(Object.keys(CHOICES));

  // A choice the URL gave that is no option cannot sit in its <select>: it is kept here, read as the field's value
  // (so it shows its message like a bad number and stays in the URL) until the reader picks an option.
  var badChoice = {};
  function readRaw() {
    var raw = {};
    keys.forEach(function (k) { raw[k] = k in badChoice ? badChoice[k] : input(k).value; });
    return raw;
  }
  function setValues(values) {
    Object.keys(values).forEach(function (k) {
      delete badChoice[k];
      if (input(k)) input(k).value = String(values[k]);
    });
  }
  function showErrors(errors) {
    keys.forEach(function (k) {
      var el = input(k), msg = document.getElementById("plan-" + k + "-error");
      if (!msg) return;
      if (errors[k]) { el.setAttribute("aria-invalid", "true"); msg.textContent = errors[k]; msg.hidden = false; }
      else { el.removeAttribute("aria-invalid"); msg.textContent = ""; msg.hidden = true; }
    });
  }
  function el(tag, text, attrs) {
    var x = document.createElement(tag);
    if (text != null) x.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { x.setAttribute(k, attrs[k]); });
    return x;
  }
  function reasons(why) {
    return why.map(function (w) {
      var args = {a: w[1], b: w[2], c: w[3]};
      if (w[0] === "memory") args = {a: bytes(w[1]), b: bytes(w[2])};
      else Object.keys(args).forEach(function (k) { if (typeof args[k] === "number") args[k] = fmt(args[k]); });
      return tr(T[w[0]], args);
    }).join(T.why_sep);
  }

  function renderRanking(res, errors) {
    var blocked = NEEDS.filter(function (k) { return errors[k]; });
    root.querySelector(".elm-plan-blocked").textContent = blocked.length ? tr(T.blocked,
      {list: blocked.map(function (k) { return (FIELDS[k] || CHOICES[k]).label; }).join(T.list_sep)}) : "";
    var summary = document.getElementById("plan-summary"), body = document.getElementById("plan-rank-body");
    body.textContent = "";
    if (!res) { summary.textContent = ""; return; }
    summary.textContent = res.fit ? tr(T.summary, {fit: fmt(res.fit), tried: fmt(res.tried), shown: res.top.length}) :
      T.none_fit;
    res.top.forEach(function (r, i) {
      var tr_ = el("tr", null, {"data-rank": String(i + 1), "data-step": String(r.step), "data-mfu": String(r.mfu),
        "data-total": String(r.total), "data-layout": JSON.stringify(r.layout)});
      tr_.appendChild(el("th", String(i + 1), {scope: "row"}));
      tr_.appendChild(el("td", layoutText(r)));
      tr_.appendChild(el("td", secs(r.step)));
      tr_.appendChild(el("td", pct(r.mfu)));
      tr_.appendChild(el("td", bytes(r.total) + " / " + bytes(r.capacity)));
      tr_.appendChild(el("td", whyText(r, i ? res.top[0] : null)));
      var cell = el("td"), btn = el("button", T.inspect, {type: "button", class: "md-button elm-plan-inspect",
        "aria-label": tr(T.inspect_label, {a: i + 1})});
      btn.addEventListener("click", function () {
        setValues({tp: r.layout.tp, pp: r.layout.pp, vp: r.layout.vp, ep: r.layout.ep, zero: String(r.layout.zero),
          micro_batch: r.layout.micro_batch, recompute: r.layout.recompute});
        update(true);
        document.getElementById("plan-detail-caption").focus();
      });
      cell.appendChild(btn);
      tr_.appendChild(cell);
      body.appendChild(tr_);
    });
  }

  function renderDetail(r, typed) {
    var cap = document.getElementById("plan-detail-caption");
    var box = document.getElementById("plan-detail");
    box.querySelectorAll("[data-out]").forEach(function (o) { o.removeAttribute("data-value"); o.textContent = "—"; });
    if (!r) { cap.textContent = ""; return; }
    if (!r.ok && !("step" in r)) { cap.textContent = tr(T.not_feasible, {list: reasons(r.why)}); return; }
    cap.textContent = r.ok ? tr(typed ? T.detail_of_typed : T.detail_of_top, {layout: layoutText(r)}) :
      tr(T.not_fit_terms, {layout: layoutText(r), list: reasons(r.why)});
    box.querySelectorAll("[data-out]").forEach(function (o) {
      var k = o.getAttribute("data-out"), f = o.getAttribute("data-format"), x = r[k];
      if (!(k in r)) return;
      o.setAttribute("data-value", String(x));
      o.textContent = f === "bytes" ? bytes(x) : f === "seconds" ? secs(x) : f === "percent" ? pct(x) :
        f === "days" ? tr(T.days, {a: sig(x)}) : f === "flops" ? sig(x) : f === "tflops" ? sig(x) : fmt(Number(x.toPrecision(6)));
    });
  }

  function writeUrl(raw) {
    var params = new URLSearchParams();
    keys.forEach(function (k) {
      var d = k in FIELDS ? String(FIELDS[k]["default"]) : CHOICES[k]["default"];
      if (raw[k] !== d) params.set(k, raw[k]);
    });
    var q = params.toString();
    history.replaceState(history.state, "", location.pathname + (q ? "?" + q : "") + location.hash);
  }

  function syncPresets(raw) {
    [["model", DATA.models], ["accelerator", DATA.accelerators], ["run", DATA.runs]].forEach(function (pair) {
      var sel = document.getElementById("plan-preset-" + pair[0]), match = "";
      Object.keys(pair[1]).forEach(function (id) {
        var vals = pair[1][id].values;
        if (Object.keys(vals).every(function (k) { return String(vals[k]) === raw[k]; })) match = id;
      });
      if (pair[0] === "run" && match) {
        var r = DATA.runs[match];
        var same = [DATA.models[r.model].values, DATA.accelerators[r.accelerator].values].every(function (vals) {
          return Object.keys(vals).every(function (k) { return String(vals[k]) === raw[k]; });
        });
        if (!same) match = "";
      }
      sel.value = match;
    });
  }

  function applyRun(id) {
    var r = DATA.runs[id];
    setValues(DATA.models[r.model].values);
    setValues(DATA.accelerators[r.accelerator].values);
    LAYOUT_KEYS.forEach(function (k) { if (FIELDS[k]) input(k).value = ""; });
    setValues(r.values);
    if (r.shown) setValues(r.shown);   // the paper's open choices: the first combination listed (scripts/planner.json)
  }

  function update(fromUser) {
    var raw = readRaw(), checked = validate(raw);
    showErrors(checked.errors);
    var res = plan(checked.values);
    renderRanking(res, checked.errors);
    var typed = inspect(checked.values), shown = null;
    if (typed) {
      shown = Object.assign({layout: {}}, typed);   // a copy with its layout, for the caption
      LAYOUT_KEYS.forEach(function (k) {
        shown.layout[k] = k === "recompute" ? checked.values[k] : parseInt(checked.values[k], 10);
      });
    }
    renderDetail(shown || (res && res.top[0]) || null, !!typed);
    if (fromUser) { writeUrl(raw); syncPresets(raw); }
  }

  // State from the URL (query string): known keys only; bad values stay in their field, shown with their message.
  var params = new URLSearchParams(location.search);
  keys.forEach(function (k) {
    if (!params.has(k)) return;
    var val = params.get(k);
    if (k in CHOICES && !Object.prototype.hasOwnProperty.call(CHOICES[k].options, val)) badChoice[k] = val;
    else input(k).value = val;
  });
  root.addEventListener("input", function (e) {
    if (e.target.id && e.target.id.indexOf("plan-preset-") === 0) return;
    delete badChoice[e.target.name];
    update(true);
  });
  root.addEventListener("change", function (e) {
    var id = e.target.id, val = e.target.value;
    if (id === "plan-preset-model" && val) setValues(DATA.models[val].values);
    else if (id === "plan-preset-accelerator" && val) setValues(DATA.accelerators[val].values);
    else if (id === "plan-preset-run" && val) applyRun(val);
    else if (id.indexOf("plan-preset-") !== 0) return;
    update(true);
  });
  update(false);
  syncPresets(readRaw());
  root.classList.add("elm-plan-ready");
  window.elmPlanner = {validate: validate, plan: plan, inspect: inspect, evaluate: evaluate, ranked: ranked};
})();
