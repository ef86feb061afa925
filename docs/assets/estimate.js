/* "Estimate your run": three calculators on docs/estimate.md.
   Inputs, limits, choices and presets come from scripts/estimate.json (its preset numbers resolved from
   scripts/cited_constants.yml), embedded in the page by the build hook.
   The formulas mirror scripts/estimate_reference.py line for line (same order of operations); the browser tests
   compare the two on a grid of cases. Material's instant navigation re-runs this script on every visit. */
(function () {
  "use strict";
  var root = document.getElementById("elm-estimate");
  if (!root) return;
  var DATA = JSON.parse(root.getAttribute("data-estimate"));
  var FIELDS = DATA.fields, CHOICES = DATA.choices, T = DATA.text;   // T: messages in the page's language
  var GIB = 1073741824;   // device memory: the datasheets' "80 GB" of HBM is 80 GiB
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var MODEL = ["n_params", "active", "experts", "top_k", "layers", "hidden", "heads", "head_dim", "kv_heads", "vocab",
    "tied"];
  var NEEDS = {
    compute: MODEL.concat(["seq", "tokens", "devices", "peak", "mfu", "price"]),
    memory: MODEL.concat(["ffn", "mlp", "seq", "micro_batch", "devices", "tp", "pp", "memory", "precision", "optimizer",
      "zero", "attention", "checkpointing", "finetune", "lora_targets", "lora_rank"]),
    inference: MODEL.concat(["context", "prompt", "inf_devices", "memory", "bandwidth", "peak", "usable",
      "weight_format", "group", "kv_format"])
  };

  // Number formats made once: each toLocaleString call with options builds a new formatter (slow on phones).
  var WHOLE = new Intl.NumberFormat("en-US"), SIX = new Intl.NumberFormat("en-US", {maximumFractionDigits: 6});
  function fmt(x) {  // a number in a message: 4,096 or 0.000001 (as fmt() in the Python reference)
    return Number.isInteger(x) ? WHOLE.format(x) : SIX.format(x);
  }

  function tr(template, values) {  // {name} replaced, as tr() in the Python reference
    return template.replace(/\{(\w+)\}/g, function (m, k) { return String(values[k]); });
  }

  function validate(raw) {
    var values = {}, errors = {}, key;
    for (key in FIELDS) {
      var f = FIELDS[key], text = String(raw[key] == null ? "" : raw[key]).trim();
      var label = f.label, unit = f.unit ? " " + f.unit : "";
      if (text === "") { errors[key] = tr(T.empty, {label: label}); continue; }
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
    function g(k) { return k in v ? v[k] : 0; }
    function check(k, others, ok, name, args) {  // args: the numbers the message names (keys of v, or values)
      if (k in v && others.every(function (o) { return o in v; }) && !ok()) {
        var nums = {};
        Object.keys(args).forEach(function (a) {
          var x = args[a];
          nums[a] = fmt(typeof x === "string" ? g(x) : typeof x === "function" ? x() : x);
        });
        errors[k] = tr(T.invalid, {label: FIELDS[k].label, message: tr(T[name], nums)});
        delete v[k];
      }
    }
    check("kv_heads", ["heads"], function () { return v.heads % v.kv_heads === 0; }, "kv_heads",
      {a: "kv_heads", b: "heads"});
    check("tp", ["heads", "kv_heads"], function () {
      return v.heads % v.tp === 0 && (v.kv_heads % v.tp === 0 || v.tp % v.kv_heads === 0);
    }, "serve_split", {a: "tp", b: "heads", c: "kv_heads"});
    check("inf_devices", ["heads", "kv_heads"], function () {
      return v.heads % v.inf_devices === 0 && (v.kv_heads % v.inf_devices === 0 || v.inf_devices % v.kv_heads === 0);
    }, "serve_split", {a: "inf_devices", b: "heads", c: "kv_heads"});
    check("pp", ["layers"], function () { return v.layers % v.pp === 0; }, "pp", {a: "pp", b: "layers"});
    check("devices", ["tp", "pp"], function () { return v.devices % (v.tp * v.pp) === 0; }, "devices",
      {a: "devices", b: g("tp") * g("pp")});
    check("lora_rank", ["hidden"], function () { return v.lora_rank <= v.hidden; }, "lora_rank",
      {a: "lora_rank", b: "hidden"});
    check("top_k", ["experts"], function () { return v.experts === 1 || v.top_k < v.experts; }, "top_k",
      {a: "top_k", b: "experts"});
    check("vocab", ["hidden", "n_params", "tied"], function () { return embeddingParams(v) < v.n_params * 1e9; }, "vocab",
      {a: "vocab", b: "hidden"});
    check("active", ["n_params", "experts", "top_k", "vocab", "hidden", "tied"], function () {
      var range = activeRange(v);
      return v.experts === 1 || (range[0] <= v.active && v.active <= range[1]);
    }, "active", {e: "experts", k: "top_k", lo: function () { return activeRange(v)[0]; },
      hi: function () { return activeRange(v)[1]; }});
    check("prompt", ["context"], function () { return v.prompt <= v.context; }, "prompt", {a: "prompt", b: "context"});
    return {values: values, errors: errors};
  }

  function embeddingParams(v) {  // the input embedding and the LM head: V·h, twice when they are not tied
    return v.vocab * v.hidden * (v.tied === "tied" ? 1 : 2);
  }
  function activeRange(v) {  // [lo, hi] billions of active parameters an MoE of this shape can have
    var N = v.n_params * 1e9, E = v.experts, k = v.top_k;
    return [(N - (N - embeddingParams(v)) * (E - k) / E) / 1e9, v.n_params];
  }
  function shape(v) {  // as shape() in the Python reference
    var N = v.n_params * 1e9, E = v.experts, k = v.top_k;
    var active = E === 1 ? N : v.active * 1e9, emb = embeddingParams(v);
    return {N: N, active: active, experts: E === 1 ? 0 : (N - active) * E / (E - k), emb: emb, linear: N - emb,
      attn: v.heads * v.head_dim, kv: v.kv_heads * v.head_dim, E: E, k: k,
      emb_in: v.tied === "tied" ? 0 : v.vocab * v.hidden};
  }
  function kvCopies(v, n) {  // parameters added by replicating K/V heads over n devices (as kv_copies())
    return v.layers * 2 * v.hidden * v.head_dim * Math.max(0, n - v.kv_heads);
  }
  function layerBytes(v, S) {  // bytes one layer stores per token, 16-bit (as layer_bytes())
    var h = v.hidden, f = v.ffn, plain = v.mlp === "plain";
    var inner = (plain ? 4 : 8) * f;
    var mlp = S.E === 1 ? 2 * h + inner : 2 * h + S.k * (4 * h + inner);
    return 2 * h + 4 * S.attn + 4 * S.kv + 4 * h + mlp + (plain ? 2 * h : 0);
  }
  function expertShare(S, tokens) {  // share of the expert weights a step over `tokens` tokens reads
    return S.E <= 1 ? 1 : 1 - Math.pow(1 - S.k / S.E, tokens);
  }
  function linearBits(form, v) {
    return form.bits + (form.per_group || 0) / v.group + (form.per_row || 0) / v.hidden;
  }
  function loraShapes(v, S, targets) {  // [Σ (in + out) of one layer's adapted matrices, how many]
    var h = v.hidden, A = S.attn, K = S.kv;
    var m = CHOICES.mlp.options[v.mlp].matrices * Math.max(1, v.experts);
    if (targets === "qv") return [(h + A) + (h + K), 2];
    if (targets === "attn") return [(h + A) + 2 * (h + K) + (A + h), 4];
    return [(h + A) + 2 * (h + K) + (A + h) + m * (h + v.ffn), 4 + m];
  }

  function estimate(v) {
    var out = {}, blank = {}, ready = {};
    Object.keys(NEEDS).forEach(function (name) {
      ready[name] = NEEDS[name].every(function (k) { return k in v; });
    });
    var S, N, D, L, h, a, t, p, s, b, r, weights, peak;
    if (ready.compute) {
      S = shape(v); D = v.tokens * 1e9;
      // Kaplan et al. 2020, §2.1: the weights in matrix products (no input embedding: a row lookup), as estimate()
      var matmulWeights = S.active - S.emb_in;
      var perToken = 6 * matmulWeights + 12 * v.layers * v.seq * S.attn;   // PaLM, App. B: 6N + 12·L·H·Q·T
      var dense = 6 * matmulWeights * D;
      var attention = 12 * v.layers * v.seq * S.attn * D;
      var flops = dense + attention;
      peak = v.devices * v.peak * 1e12;
      var seconds = flops / (peak * (v.mfu / 100));
      var deviceHours = v.devices * seconds / 3600;
      out.compute = {flops_dense: dense, flops_attention: attention, flops: flops, seconds: seconds,
        device_hours: deviceHours, cost: deviceHours * v.price, rate: D / seconds,
        rate_device: D / seconds / v.devices, rate_roof: peak / perToken};
    }
    if (ready.memory) {
      S = shape(v);
      N = S.N; L = v.layers; h = v.hidden; a = v.heads;
      r = v.lora_rank; t = v.tp; p = v.pp; s = v.seq; b = v.micro_batch;
      var dp = v.devices / (t * p);
      var prec = CHOICES.precision.options[v.precision], opt = CHOICES.optimizer.options[v.optimizer];
      var stage = parseInt(v.zero, 10), mode = v.finetune;
      var lora = loraShapes(v, S, v.lora_targets), io = lora[0], matrices = lora[1];
      var trainable = mode === "full" ? N : L * r * io;
      var stageLinear = (S.linear + kvCopies(v, t)) / p, stageEmb = p === 1 ? S.emb : v.vocab * h;
      var frozen, held;
      if (mode === "full") { frozen = 0; held = stageLinear + stageEmb; }
      else if (mode === "lora") { frozen = (stageLinear + stageEmb) * prec.frozen; held = trainable / p; }
      else {
        frozen = stageLinear * DATA.constants.nf4_bits.value / 8 + stageEmb * prec.frozen;
        held = trainable / p;
      }
      var stateElems;
      if (opt.factored) {
        if (mode === "full") {
          stateElems = (L * loraShapes(v, S, "all")[0] + (v.vocab + h) * (v.tied === "tied" ? 1 : 2)) / p;
        } else stateElems = L * (io + 2 * r * matrices) / p;
      } else {
        stateElems = opt.states * held;
      }
      var stateBytes = "state_bytes" in opt ? opt.state_bytes : prec.state;
      weights = (frozen + held * prec.weight) / t / (stage >= 3 ? dp : 1);
      var grads = held * prec.grad / t / (stage >= 2 ? dp : 1);
      var optimizer = (held * prec.master + stateElems * stateBytes) / t / (stage >= 1 ? dp : 1);
      var layer = s * b * layerBytes(v, S) / t;
      var scores = v.attention === "eager" ? 5 * a * s * s * b / t : 0;
      var stored;
      if (v.checkpointing === "none") stored = L * (layer + scores);
      else if (v.checkpointing === "selective") stored = L * layer + scores;
      else stored = L * 2 * s * b * h / t + layer + scores;
      var activations = stored * prec.act_factor;
      var logits = s * b * v.vocab * prec.logit_bytes / t;
      var total = weights + grads + optimizer + activations + logits;
      out.memory = {dp: dp, trainable: trainable, weights: weights, grads: grads, optimizer: optimizer,
        state: weights + grads + optimizer, activations: activations, logits: logits, total: total, capacity: v.memory * GIB,
        fraction: total / (v.memory * GIB)};
    }
    if (ready.inference) {
      S = shape(v);
      var n = v.inf_devices, ctx = v.context, P = v.prompt;
      L = v.layers;
      var formats = CHOICES.weight_format.options, res = {}, copies = kvCopies(v, n);
      Object.keys(formats).forEach(function (k) {
        res["weights_" + k] = (S.linear + copies) * linearBits(formats[k], v) / 8 + S.emb * 2;
      });
      var bytesWeight = linearBits(formats[v.weight_format], v) / 8;
      weights = res["weights_" + v.weight_format];
      var kvToken = 2 * L * Math.max(v.kv_heads, n) * v.head_dim * CHOICES.kv_format.options[v.kv_format].bytes;
      var kvRequest = kvToken * ctx;
      var usable = n * v.memory * GIB * (v.usable / 100);
      var concurrent = Math.max(0, Math.floor((usable - weights) / kvRequest));
      var bandwidth = n * v.bandwidth * 1e9;
      peak = n * v.peak * 1e12;
      var lmHead = v.vocab * v.hidden * 2;
      var read = function (tokens) {
        return (S.linear + copies - S.experts) * bytesWeight + S.experts * bytesWeight * expertShare(S, tokens) +
          lmHead;
      };
      var decodeFlops = 2 * (S.active - S.emb_in) + 4 * L * S.attn * ctx;
      var decode = function (c) {
        return Math.min(c * bandwidth / (read(c) + c * kvRequest), peak / decodeFlops);
      };
      var prefillFlops = 2 * (S.active - S.emb) * P + 2 * v.vocab * v.hidden + 2 * L * S.attn * P * P;
      var ttft = Math.max(prefillFlops / peak, (read(P) + P * kvToken) / bandwidth);
      res.weights = weights; res.kv_token = kvToken; res.kv_request = kvRequest; res.usable = usable;
      var rates = {concurrent: concurrent, ttft: ttft, prefill_rate: P / ttft, prefill_rate_device: P / ttft / n,
        decode_single: decode(1), decode_batch: decode(concurrent), decode_batch_device: decode(concurrent) / n,
        decode_bandwidth_roof: concurrent * bandwidth / (read(concurrent) + concurrent * kvRequest),
        decode_compute_roof: peak / decodeFlops};
      var reason = weights >= usable ? "weights_too_big" : concurrent === 0 ? "no_request" : null;
      if (reason) {
        blank.inference = {};
        Object.keys(rates).forEach(function (k) {
          if (k !== "concurrent" || reason === "weights_too_big") blank.inference[k] = reason;
        });
      }
      Object.keys(rates).forEach(function (k) { if (!(blank.inference && k in blank.inference)) res[k] = rates[k]; });
      out.inference = res;
    }
    if (Object.keys(blank).length) out.blank = blank;
    return out;
  }

  // ------------------------------------------------------------------ formatting
  var SUP = {"-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹"};
  function sci(x) {
    if (x === 0) return "0";
    var e = Math.floor(Math.log10(Math.abs(x)));
    if (e >= -2 && e < 6) return sig(x);
    var m = (x / Math.pow(10, e)).toPrecision(3);
    if (m === "10.0") { m = "1.00"; e += 1; }
    return m + " × 10" + String(e).replace(/./g, function (c) { return SUP[c]; });
  }
  function sig(x) { return SIX.format(Number(x.toPrecision(3))); }
  function bytes(x) {
    var units = [[1e12, "TB"], [1e9, "GB"], [1e6, "MB"], [1e3, "kB"]], bin = [[1099511627776, "TiB"],
      [1073741824, "GiB"], [1048576, "MiB"], [1024, "KiB"]];
    function pick(list) {
      for (var i = 0; i < list.length; i++) if (x >= list[i][0]) return sig(x / list[i][0]) + " " + list[i][1];
      return sig(x) + " B";
    }
    return pick(units) + " (" + pick(bin) + ")";
  }
  function duration(sec) {
    if (sec >= 86400 * 365) return tr(T.years, {a: sig(sec / (86400 * 365)), b: sig(sec / 86400)});
    if (sec >= 86400) return tr(T.days, {a: sig(sec / 86400)});
    if (sec >= 3600) return tr(T.hours, {a: sig(sec / 3600)});
    return tr(T.seconds, {a: sig(sec)});
  }
  var FORMAT = {
    flops: function (x) { return sci(x) + " FLOPs"; },
    seconds: duration,
    hours: function (x) { return tr(T.device_hours, {a: sci(x)}); },
    money: function (x) { return "$" + sci(x); },
    bytes: bytes,
    count: function (x) { return WHOLE.format(Math.round(x)); },
    rate: function (x) { return tr(T.rate, {a: sig(x)}); },
    percent: function (x) { return sig(100 * x) + " %"; }
  };

  // ------------------------------------------------------------------ the page
  function input(k) { return document.getElementById("est-" + k); }
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
      var el = input(k), msg = document.getElementById("est-" + k + "-error");
      if (!msg) return;
      if (errors[k]) { el.setAttribute("aria-invalid", "true"); msg.textContent = errors[k]; msg.hidden = false; }
      else { el.removeAttribute("aria-invalid"); msg.textContent = ""; msg.hidden = true; }
    });
  }

  function render(out, errors) {
    Object.keys(NEEDS).forEach(function (name) {
      var box = document.getElementById("est-" + name + "-results"), res = out[name];
      var blocked = NEEDS[name].filter(function (k) { return errors[k]; });
      box.querySelector(".elm-est-blocked").textContent = blocked.length ? tr(T.blocked,
        {list: blocked.map(function (k) { return (FIELDS[k] || CHOICES[k]).label; }).join(T.list_sep)}) : "";
      box.querySelectorAll("[data-out]").forEach(function (el) {
        var k = el.getAttribute("data-out");
        var why = out.blank && out.blank[name] && out.blank[name][k];
        el.removeAttribute("data-blank");
        if (res && k in res) {
          el.setAttribute("data-value", String(res[k]));
          el.textContent = FORMAT[el.getAttribute("data-format")](res[k]);
        } else {
          el.removeAttribute("data-value");
          el.textContent = why ? T["blank_" + why] : "—";
          if (why) el.setAttribute("data-blank", why);
        }
      });
    });
    bar(out.memory);
    verdicts(out);
  }

  function bar(m) {
    var wrap = document.getElementById("est-bar");
    var summary = document.getElementById("est-bar-summary");
    if (!m) { wrap.hidden = true; summary.textContent = ""; return; }
    wrap.hidden = false;
    var scale = Math.max(m.total, m.capacity);
    ["weights", "grads", "optimizer", "activations", "logits"].forEach(function (k) {
      wrap.querySelector(".elm-est-seg-" + k).style.width = (100 * m[k] / scale) + "%";
    });
    wrap.querySelector(".elm-est-cap").style.left = "calc(" + (100 * m.capacity / scale) + "% - 1px)";
    summary.textContent = tr(m.total <= m.capacity ? T.fits : T.no_fit,
      {total: bytes(m.total), capacity: bytes(m.capacity), pct: sig(100 * m.fraction)});
  }

  function verdicts(out) {
    var el = document.getElementById("est-inference-verdict");
    var i = out.inference, why = out.blank && out.blank.inference;
    if (!i) { el.textContent = ""; return; }
    if (why) { el.textContent = T[why.decode_batch]; return; }
    var memoryBound = i.decode_bandwidth_roof < i.decode_compute_roof;
    el.textContent = tr(memoryBound ? T.bound_memory : T.bound_compute, {n: WHOLE.format(i.concurrent),
      r: FORMAT.rate(i.decode_batch), c: FORMAT.rate(i.decode_compute_roof)});
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
    [["model", DATA.models], ["device", DATA.devices]].forEach(function (pair) {
      var sel = document.getElementById("est-preset-" + pair[0]), match = "";
      Object.keys(pair[1]).forEach(function (id) {
        var vals = pair[1][id].values;
        if (Object.keys(vals).every(function (k) { return String(vals[k]) === raw[k]; })) match = id;
      });
      sel.value = match;
    });
  }

  function update(fromUser) {
    var raw = readRaw(), checked = validate(raw);
    showErrors(checked.errors);
    render(estimate(checked.values), checked.errors);
    if (fromUser) { writeUrl(raw); syncPresets(raw); }
  }

  // State from the URL: known keys only; bad values stay in their field, shown with their message.
  var params = new URLSearchParams(location.search);
  keys.forEach(function (k) {
    if (!params.has(k)) return;
    var val = params.get(k);
    if (k in CHOICES && !Object.prototype.hasOwnProperty.call(CHOICES[k].options, val)) badChoice[k] = val;
    else input(k).value = val;
  });
  root.addEventListener("input", function (e) {
    if (e.target.id && e.target.id.indexOf("est-preset-") === 0) return;
    delete badChoice[e.target.name];
    update(true);
  });
  root.addEventListener("change", function (e) {
    var id = e.target.id;
    if (id === "est-preset-model" && e.target.value) setValues(DATA.models[e.target.value].values);
    else if (id === "est-preset-device" && e.target.value) setValues(DATA.devices[e.target.value].values);
    else if (id.indexOf("est-preset-") !== 0) return;
    update(true);
  });
  update(false);
  syncPresets(readRaw());
  root.classList.add("elm-est-ready");
  window.elmEstimate = {validate: validate, estimate: estimate};
})();
