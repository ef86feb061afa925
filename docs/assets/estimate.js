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
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  var NEEDS = {
    compute: ["n_params", "tokens", "layers", "hidden", "seq", "devices", "peak", "mfu", "price"],
    memory: ["n_params", "layers", "hidden", "heads", "kv_heads", "ffn", "mlp", "vocab", "seq", "micro_batch",
      "devices", "tp", "pp", "memory", "precision", "optimizer", "zero", "checkpointing", "finetune", "lora_rank"],
    inference: ["n_params", "layers", "hidden", "heads", "kv_heads", "context", "inf_devices", "memory",
      "bandwidth", "usable", "weight_format", "kv_format"]
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
    for (key in CHOICES) values[key] = (raw[key] in CHOICES[key].options) ? raw[key] : CHOICES[key]["default"];
    var v = values;
    function g(k) { return k in v ? v[k] : 0; }
    function check(k, others, ok, name, args) {  // args: the numbers the message names (keys of v, or values)
      if (k in v && others.every(function (o) { return o in v; }) && !ok()) {
        var nums = {};
        Object.keys(args).forEach(function (a) { nums[a] = fmt(typeof args[a] === "string" ? g(args[a]) : args[a]); });
        errors[k] = tr(T.invalid, {label: FIELDS[k].label, message: tr(T[name], nums)});
        delete v[k];
      }
    }
    check("heads", ["hidden"], function () { return v.hidden % v.heads === 0; }, "heads", {a: "heads", b: "hidden"});
    check("kv_heads", ["heads"], function () { return v.heads % v.kv_heads === 0; }, "kv_heads",
      {a: "kv_heads", b: "heads"});
    ["tp", "inf_devices"].forEach(function (k) {
      check(k, ["heads", "kv_heads"], function () { return v.heads % v[k] === 0 && v.kv_heads % v[k] === 0; },
        "split", {a: k, b: "heads", c: "kv_heads"});
    });
    check("pp", ["layers"], function () { return v.layers % v.pp === 0; }, "pp", {a: "pp", b: "layers"});
    check("devices", ["tp", "pp"], function () { return v.devices % (v.tp * v.pp) === 0; }, "devices",
      {a: "devices", b: g("tp") * g("pp")});
    check("lora_rank", ["hidden"], function () { return v.lora_rank <= v.hidden; }, "lora_rank",
      {a: "lora_rank", b: "hidden"});
    return {values: values, errors: errors};
  }

  function estimate(v) {
    var out = {}, ready = {};
    Object.keys(NEEDS).forEach(function (name) {
      ready[name] = NEEDS[name].every(function (k) { return k in v; });
    });
    var N, D, L, h, a, t, p, s, b, r, weights;
    if (ready.compute) {
      N = v.n_params * 1e9; D = v.tokens * 1e9;
      var dense = 6 * N * D;
      var attention = 12 * v.layers * v.seq * v.hidden * D;   // PaLM, App. B: 12·L·H·Q·T per token
      var flops = dense + attention;
      var seconds = flops / (v.devices * v.peak * 1e12 * (v.mfu / 100));
      var deviceHours = v.devices * seconds / 3600;
      out.compute = {flops_dense: dense, flops_attention: attention, flops: flops, seconds: seconds,
        device_hours: deviceHours, cost: deviceHours * v.price};
    }
    if (ready.memory) {
      N = v.n_params * 1e9; L = v.layers; h = v.hidden; a = v.heads;
      var kvDim = v.kv_heads * (h / a);
      r = v.lora_rank; t = v.tp; p = v.pp; s = v.seq; b = v.micro_batch;
      var dp = v.devices / (t * p);
      var prec = CHOICES.precision.options[v.precision], opt = CHOICES.optimizer.options[v.optimizer];
      var stage = parseInt(v.zero, 10), mode = v.finetune;
      var loraParams = L * r * ((h + h) + (h + kvDim));
      var trainable = mode === "full" ? N : loraParams;
      var frozen = mode === "full" ? 0 : N;
      var frozenBytes = mode === "qlora" ? DATA.constants.nf4_bits.value / 8 : prec.frozen;
      var stateElems;
      if (opt.factored) {
        var m = CHOICES.mlp.options[v.mlp].matrices;
        if (mode === "full") stateElems = L * (2 * (h + h) + 2 * (h + kvDim) + m * (h + v.ffn)) + (v.vocab + h);
        else stateElems = L * ((r + h) + (h + r) + (r + h) + (kvDim + r));
      } else {
        stateElems = opt.states * trainable;
      }
      var stateBytes = "state_bytes" in opt ? opt.state_bytes : prec.state;
      var split = t * p;
      weights = (frozen * frozenBytes + trainable * prec.weight) / split / (stage >= 3 ? dp : 1);
      var grads = trainable * prec.grad / split / (stage >= 2 ? dp : 1);
      var optimizer = (trainable * prec.master + stateElems * stateBytes) / split / (stage >= 1 ? dp : 1);
      var perLayer;
      if (v.checkpointing === "none") perLayer = s * b * h * (34 / t + 5 * a * s / (h * t));
      else if (v.checkpointing === "selective") perLayer = s * b * h * 34 / t;
      else perLayer = 2 * s * b * h;
      var activations = perLayer * L * prec.act_factor;
      var total = weights + grads + optimizer + activations;
      out.memory = {dp: dp, trainable: trainable, weights: weights, grads: grads, optimizer: optimizer,
        activations: activations, total: total, capacity: v.memory * 1e9, fraction: total / (v.memory * 1e9)};
    }
    if (ready.inference) {
      N = v.n_params * 1e9;
      var n = v.inf_devices;
      var kvToken = 2 * v.layers * v.kv_heads * (v.hidden / v.heads) * CHOICES.kv_format.options[v.kv_format].bytes;
      var kvRequest = kvToken * v.context;
      weights = N * CHOICES.weight_format.options[v.weight_format].bytes;
      var usable = n * v.memory * 1e9 * (v.usable / 100);
      var concurrent = Math.max(0, Math.floor((usable - weights) / kvRequest));
      var bandwidth = n * v.bandwidth * 1e9;
      var res = {};
      Object.keys(CHOICES.weight_format.options).forEach(function (k) {
        res["weights_" + k] = N * CHOICES.weight_format.options[k].bytes;
      });
      res.weights = weights; res.kv_token = kvToken; res.kv_request = kvRequest; res.usable = usable;
      res.concurrent = concurrent; res.decode_single = bandwidth / (weights + kvRequest);
      res.decode_batch = concurrent * bandwidth / (weights + concurrent * kvRequest);
      out.inference = res;
    }
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

  function readRaw() {
    var raw = {};
    keys.forEach(function (k) { raw[k] = input(k).value; });
    return raw;
  }

  function setValues(values) {
    Object.keys(values).forEach(function (k) { if (input(k)) input(k).value = String(values[k]); });
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
        {list: blocked.map(function (k) { return FIELDS[k].label; }).join(T.list_sep)}) : "";
      box.querySelectorAll("[data-out]").forEach(function (el) {
        var k = el.getAttribute("data-out");
        if (res && k in res) {
          el.setAttribute("data-value", String(res[k]));
          el.textContent = FORMAT[el.getAttribute("data-format")](res[k]);
        } else {
          el.removeAttribute("data-value");
          el.textContent = "—";
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
    ["weights", "grads", "optimizer", "activations"].forEach(function (k) {
      wrap.querySelector(".elm-est-seg-" + k).style.width = (100 * m[k] / scale) + "%";
    });
    wrap.querySelector(".elm-est-cap").style.left = "calc(" + (100 * m.capacity / scale) + "% - 1px)";
    summary.textContent = tr(m.total <= m.capacity ? T.fits : T.no_fit,
      {total: bytes(m.total), capacity: bytes(m.capacity), pct: sig(100 * m.fraction)});
  }

  function verdicts(out) {
    var el = document.getElementById("est-inference-verdict");
    var i = out.inference;
    el.textContent = !i ? "" : i.concurrent > 0 ? "" :
      i.weights >= i.usable ? T.weights_too_big : T.no_request;
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
    if (k in CHOICES && !(val in CHOICES[k].options)) return;
    input(k).value = val;
  });
  root.addEventListener("input", function (e) {
    if (e.target.id && e.target.id.indexOf("est-preset-") === 0) return;
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
