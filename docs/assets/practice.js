/* The practice page (docs/practice.md): drills graded in the browser, the reader's record in localStorage.
   The drills, their answers (computed at build time by scripts/drills_reference.py), the unit table and the
   messages are embedded in the page by scripts/mkdocs_hooks/drills.py. parse(), grade() and calibration() mirror
   the Python reference line for line; tests/test_drills_browser.py compares them on every drill. Nothing is
   requested from anywhere: the record stays in this browser. */
(function () {
  "use strict";
  var root = document.getElementById("elm-practice");
  if (!root) return;
  var DATA = JSON.parse(root.getAttribute("data-practice"));
  var T = DATA.text, UNITS = DATA.units, LOWER = DATA.lower, DISPLAY = DATA.display, DRILLS = DATA.drills;
  var NUMBER = /^([+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[+-]?\.[0-9]+)(?:[eE]([+-]?[0-9]+)|\s*[x×*·]\s*10\s*\^\s*([+-]?[0-9]+)|\s*\^\s*([+-]?[0-9]+))?/;
  var SUPERSCRIPTS = /[⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+/g, SUP_FROM = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", SUP_TO = "0123456789+-";
  var APPROX = /^(?:~|≈|±|about|approx\.?|approximately|around|roughly|大约|大概|约)\s*/i;
  var AMBIGUOUS_BITS = /^([kKmMgGtTpP])b(\/s)?$/;
  var MAGS = Object.keys(DATA.magnitudes).sort(function (a, b) {
    return b.length - a.length || (a < b ? -1 : a > b ? 1 : 0);
  });
  var WHOLE = new Intl.NumberFormat("en-US");
  var KEY = "elm-practice-v1";

  function tr(template, values) {  // {name} replaced, as tr() in the Python reference
    return template.replace(/\{(\w+)\}/g, function (m, k) { return String(values[k]); });
  }

  function fmt1(x) {  // as fmt1() in the reference: one decimal below 10, whole to 1,000, "> 1,000" beyond
    if (x >= 1000) return "> 1,000";
    var n = Math.floor(x * 10 + 0.5);
    if (n >= 100) return WHOLE.format(Math.floor(x + 0.5));
    return Math.floor(n / 10) + "." + (n % 10);
  }

  function lookup(text) {
    if (Object.prototype.hasOwnProperty.call(UNITS, text)) return UNITS[text];
    var low = text.toLowerCase();
    return Object.prototype.hasOwnProperty.call(LOWER, low) ? LOWER[low] : null;
  }

  function parse(text, unit) {  // as parse() in the reference (its docstring says what is accepted)
    var kind = DISPLAY[unit][0], factor = DISPLAY[unit][1];
    var s = String(text == null ? "" : text).replace(SUPERSCRIPTS, function (g) {
      return "^" + g.split("").map(function (c) { return SUP_TO[SUP_FROM.indexOf(c)]; }).join("");
    }).normalize("NFKC").trim();
    if (!s) return {error: T.empty};
    var body = s.replace(APPROX, "");
    var m = NUMBER.exec(body);
    if (!m) return {error: tr(T.not_number, {text: s})};
    var mantissa = m[1].replace(/,/g, ""), x;
    if (m[4] && mantissa !== "10") x = Math.pow(parseFloat(mantissa), parseInt(m[4], 10));
    else x = parseFloat((m[4] ? "1" : mantissa) + "e" + (m[2] || m[3] || m[4] || "0"));
    var rest = body.slice(m[0].length).trim();
    if (!isFinite(x) || x <= 0) return {error: tr(T.not_positive, {text: s})};
    if (!rest) return {value: x * factor, bare: s};
    var amb = AMBIGUOUS_BITS.exec(rest);
    if (amb) {
      var prefix = amb[1] === "k" ? "k" : amb[1].toUpperCase(), per = amb[2] || "";
      return {error: tr(T.ambiguous_bits, {unit: rest, bytes: prefix + "B" + per, bits: prefix + "bit" + per})};
    }
    var found = lookup(rest);
    if (found && found[0] === kind) return {value: x * found[1]};
    var other = found;
    for (var i = 0; i < MAGS.length; i++) {
      var mag = MAGS[i];
      if (rest.indexOf(mag) === 0) {
        var tail = rest.slice(mag.length).trim();
        var hit = tail ? lookup(tail) : [kind, 1];
        if (hit && hit[0] === kind) return {value: x * DATA.magnitudes[mag] * hit[1]};
        other = other || hit;
      }
    }
    if (other) return {error: tr(T.wrong_kind, {unit: rest, asked: T["kind_" + kind], given: T["kind_" + other[0]]})};
    return {error: tr(T.unknown_unit, {unit: rest})};
  }

  function grade(text, unit, answer) {
    var p = parse(text, unit);
    if ("error" in p) return {error: p.error};
    var r = p.value / answer;
    var off = Math.max(r, 1 / r);
    var band = Math.abs(r - 1) <= 0.1 ? "close" : off <= 2 ? "2x" : off <= 10 ? "10x" : "far";
    var kind = DISPLAY[unit][0], factor = DISPLAY[unit][1];
    if ("bare" in p && band === "far" && factor !== 1) {  // the number read in the base unit: ask for the unit
      var rb = p.value / factor / answer;
      if (Math.max(rb, 1 / rb) <= 2) {
        return {error: tr(T.bare_base, {text: p.bare, unit: DISPLAY[unit][2], base: T["base_" + kind], sym: T["sym_" + kind]})};
      }
    }
    var score = {close: 3, "2x": 2, "10x": 1, far: 0}[band];
    var direction = band === "close" ? "" : tr(T[(r > 1 ? "high" : "low") + (off >= 1000 ? "_1000" : "")], {ratio: fmt1(off)});
    return {band: band, score: score, ratio: r, message: tr(T["band_" + band], {direction: direction})};
  }

  function calibration(ratios) {
    var rs = ratios.filter(function (r) { return r > 0 && isFinite(r); });
    if (!rs.length) return {n: 0, message: T.calib_none};
    var logs = rs.map(Math.log);
    var sum = 0, abs = 0;
    logs.forEach(function (x) { sum += x; abs += Math.abs(x); });
    var gm = Math.exp(sum / logs.length), spread = Math.exp(abs / logs.length);
    var bias = gm > 1.25 ? "high" : gm < 0.8 ? "low" : "even";
    return {n: rs.length, gm: gm, spread: spread, bias: bias,
      message: tr(T["calib_" + bias], {n: rs.length, gm: gm >= 1 ? fmt1(gm) : fmt1(1 / gm), spread: fmt1(spread)})};
  }

  // ------------------------------------------------------------------ the record (localStorage only)
  function load() {
    try {
      var r = JSON.parse(window.localStorage.getItem(KEY) || "null");
      if (r && r.v === 1) return r;
    } catch (err) { /* storage blocked or corrupt: start afresh */ }
    return {v: 1, drills: {}};
  }
  function save(rec) {
    try { window.localStorage.setItem(KEY, JSON.stringify(rec)); } catch (err) { /* private mode: keep in memory */ }
  }
  var record = load();

  function remember(id, entry) {
    var d = record.drills[id];
    if (!d) record.drills[id] = d = {first: entry, n: 0};
    d.last = entry;
    d.n += 1;
    save(record);
    summary();
  }

  function weak(id, first) {
    var kind = DRILLS[id].kind;
    if (kind === "estimate") return first.score <= 1;
    if (kind === "spot") return !first.right;
    return first.self === "missed";
  }

  function summary() {
    var ids = Object.keys(record.drills).filter(function (id) { return id in DRILLS; });
    var points = 0, ratios = [], revise = {};
    ids.forEach(function (id) {
      var f = record.drills[id].first;
      points += f.score;
      if (DRILLS[id].kind === "estimate") ratios.push(f.ratio);
      if (weak(id, f)) {
        var slug = DRILLS[id].chapter.split("#")[0];
        revise[slug] = (revise[slug] || 0) + 1;
      }
    });
    document.getElementById("rec-score").textContent = ids.length ?
      tr(T.score, {points: points, max: 3 * ids.length, n: ids.length}) : T.nothing_yet;
    document.getElementById("rec-calib").textContent = calibration(ratios).message;
    var box = document.getElementById("rec-revise");
    box.textContent = "";
    var slugs = Object.keys(revise).sort(function (a, b) { return revise[b] - revise[a] || (a < b ? -1 : 1); });
    if (!slugs.length) {
      var p = document.createElement("p");
      p.textContent = T.revise_none;
      box.appendChild(p);
      return;
    }
    var ul = document.createElement("ul");
    slugs.forEach(function (slug) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = DATA.chapters[slug].url;
      a.textContent = DATA.chapters[slug].title;
      li.appendChild(a);
      li.appendChild(document.createTextNode(tr(T.drill_count, {n: revise[slug]})));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  // ------------------------------------------------------------------ the drills
  function show(id, message, ok) {
    var fb = document.getElementById("fb-" + id);
    fb.textContent = message;
    fb.className = "elm-drill-feedback " + (ok === true ? "elm-good" : ok === false ? "elm-bad" : "elm-note");
  }

  function checkEstimate(id) {
    var input = document.getElementById("in-" + id), d = DRILLS[id];
    var g = grade(input.value, d.unit, d.answer);
    if (g.error) {
      input.setAttribute("aria-invalid", "true");
      show(id, g.error, null);
      return;
    }
    input.removeAttribute("aria-invalid");
    show(id, g.message, g.score >= 2);
    document.getElementById("sol-" + id).hidden = false;
    remember(id, {score: g.score, band: g.band, ratio: g.ratio});
  }

  function checkSpot(id, form) {
    var picked = form.querySelector("input[type=radio]:checked");
    if (!picked) { show(id, T.choose, null); return; }
    var right = picked.value === DRILLS[id].answer;
    show(id, right ? T.right : T.wrong, right);
    document.getElementById("sol-" + id).hidden = false;
    remember(id, {score: right ? 3 : 0, right: right});
  }

  root.addEventListener("submit", function (ev) {
    var form = ev.target, box = form.closest("[data-drill]");
    if (!box) return;
    ev.preventDefault();
    var id = box.getAttribute("data-drill");
    if (DRILLS[id].kind === "estimate") checkEstimate(id);
    else checkSpot(id, form);
  });

  root.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button");
    if (!btn) return;
    var box = btn.closest("[data-drill]");
    if (btn.id === "rec-clear") {
      try { window.localStorage.removeItem(KEY); } catch (err) { /* nothing stored */ }
      record = {v: 1, drills: {}};
      summary();
      document.getElementById("rec-status").textContent = T.cleared;
    } else if (btn.classList.contains("elm-reveal") && box) {
      var sol = document.getElementById(btn.getAttribute("aria-controls"));
      sol.hidden = !sol.hidden;
      btn.setAttribute("aria-expanded", String(!sol.hidden));
    } else if (btn.hasAttribute("data-self") && box) {
      var level = btn.getAttribute("data-self"), id = box.getAttribute("data-drill");
      box.querySelectorAll("[data-self]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === btn));
      });
      show(id, tr(T.self_recorded, {level: btn.textContent}), level === "got" ? true : level === "missed" ? false : null);
      remember(id, {score: {got: 3, partly: 1, missed: 0}[level], self: level});
    }
  });

  summary();
  root.classList.add("elm-practice-ready");
  window.elmPractice = {parse: parse, grade: grade, calibration: calibration, drills: DRILLS};
})();
