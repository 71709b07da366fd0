/* vdsim report: draws the page from the JSON in #vdsim-data (inlined into
 * index.html; no network). The summary and failures first, then a table of
 * scenarios; a scenario's ladder diagram and latency charts are drawn when it
 * is opened, so a run of thousands of repetitions opens as fast as one. */
"use strict";

(function () {
  window.vdsimErrors = [];
  window.addEventListener("error", function (e) {
    window.vdsimErrors.push(String(e.message));
    var bar = document.getElementById("js-errors");
    if (bar) {
      bar.style.display = "block";
      bar.textContent = "This page hit a script error: " + e.message;
    }
  });

  var SVG = "http://www.w3.org/2000/svg";
  var D = JSON.parse(document.getElementById("vdsim-data").textContent);
  var RUN = D.run || {};
  var SC = D.scenarios || [];

  /* --- small helpers --------------------------------------------------- */

  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function s(tag, attrs) {
    var el = document.createElementNS(SVG, tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v);
    });
  }
  function append(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c)) c.forEach(function (x) { append(el, x); });
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
  function ms(v) {
    if (v === undefined || v === null) return "";
    return v >= 100 ? v.toFixed(0) + " ms" : v >= 10 ? v.toFixed(1) + " ms" : v.toFixed(2) + " ms";
  }
  function secs(v) { return v === undefined ? "" : (v / 1000).toFixed(2) + " s"; }
  function pct(v) { return (100 * v).toFixed(1) + " %"; }
  function anchor(id) { return "s-" + id.replace(/[^A-Za-z0-9_-]/g, "_"); }
  function isFailing(sc) { return sc.status === "fail" || sc.status === "error"; }
  function isFlaky(sc) { return !!(sc.runs && sc.runs.flaky); }
  function statusOf(sc) { return isFlaky(sc) ? "flaky" : sc.status || "trace"; }
  function badge(st) { return h("span", { "class": "badge st-" + st, text: st }); }
  /* text cut to about n monospace characters */
  function fit(text, n) {
    n = Math.max(8, Math.floor(n));
    return text.length > n ? text.slice(0, n - 3) + "..." : text;
  }
  function percentile(sorted, p) {
    if (!sorted.length) return 0;
    var i = Math.floor(p / 100 * (sorted.length - 1) + 0.5);
    return sorted[Math.min(i, sorted.length - 1)];
  }
  function fieldsText(v) {
    if (v === undefined) return "";
    var t = JSON.stringify(v);
    return t.length > 90 ? t.slice(0, 87) + "..." : t;
  }

  /* --- the summary and the failures ------------------------------------- */

  function counts() {
    var by = {};
    SC.forEach(function (sc) { var k = statusOf(sc); by[k] = (by[k] || 0) + 1; });
    var order = ["pass", "fail", "error", "flaky", "xfail", "xpass", "skip", "trace"];
    return h("div", { "class": "counts", id: "counts" },
      order.filter(function (k) { return by[k]; }).map(function (k) {
        return h("span", { "class": "count", "data-status": k },
          h("b", { text: String(by[k]) }), badge(k));
      }));
  }

  function facts() {
    var dl = h("dl", { "class": "facts" });
    function fact(name, value) {
      if (value === undefined || value === null || value === "") return;
      append(dl, [h("dt", { text: name }), h("dd", null, value)]);
    }
    fact("source", RUN.source);
    fact("target", RUN.target + (RUN["target-info"] ? ": " + RUN["target-info"] : ""));
    fact("agent", RUN.agent || RUN["agent-version"]);
    fact("host", RUN.host);
    fact("started", RUN.started);
    fact("duration", RUN["wall-ms"] !== undefined ? secs(RUN["wall-ms"]) : undefined);
    if (RUN["repeat-run"])
      fact("runs", RUN["repeat-run"] + " per scenario" + (RUN["until-fail"] ? ", until the first failure" : ""));
    if (RUN["stopped-at-first-failure"]) fact("stopped", "at the first failure (--until-fail)");
    if (RUN.interrupted) fact("interrupted", "yes: " + (RUN["not-run"] || []).length + " scenarios not run");
    if (RUN.verdict) fact("verdict", RUN.verdict.result + ": " + RUN.verdict.detail);
    if (RUN["results-not-kept"]) fact("results not kept", RUN["results-not-kept"]);
    if (RUN["summary-link"]) fact("results", h("a", { href: RUN["summary-link"], text: "summary.json" }));
    return dl;
  }

  function logExcerpt(log, said) {
    var pre = h("pre", { "class": "log" });
    log.lines.forEach(function (line, i) {
      append(pre, h("span", { "class": i === log.hit ? "hit" : null },
        h("span", { "class": "ln", text: String(log.first + i) }), line + "\n"));
    });
    return h("div", null,
      h("div", { "class": "sub" }, "the agents' log ",
        log.hit >= 0 ? "around the complaint" : "(its last lines)", " · ",
        h("a", { href: log.link, text: "whole log" })),
      pre);
  }

  function failureCard(sc) {
    var flaky = isFlaky(sc);
    var card = h("div", { "class": "failure" + (flaky ? " st-flaky-card" : ""), "data-id": sc.id },
      h("h3", null, badge(statusOf(sc)), " ", h("a", { href: "#" + anchor(sc.id), text: sc.id,
        onclick: function () { openScenario(sc.id); } })));
    if (sc.runs)
      append(card, h("div", null, rateText(sc.runs) + (sc.runs["not-passed"] && sc.runs["not-passed"][0]
        ? "; the first failing run is " + sc.runs["not-passed"][0].run : "")));
    if (sc.failure) append(card, h("pre", { "class": "located", text: sc.failure }));
    if (sc["agent-said"]) append(card, h("div", null, "the agent logged: ", h("code", { text: sc["agent-said"] })));
    if (sc.log) append(card, logExcerpt(sc.log, sc["agent-said"]));
    if (sc["trace-link"])
      append(card, h("div", null, h("a", { href: sc["trace-link"], text: "trace" }),
        " (" + (sc["trace-events"] || 0) + " events)"));
    return card;
  }

  function rateText(r) {
    var w = r["wilson-95"] && r["wilson-95"].length === 2 ? r["wilson-95"] : [0, 1];
    return r.passed + "/" + r.judged + " runs passed (" + pct(r["pass-rate"] || 0) +
      ", 95 % interval " + pct(w[0]) + " to " + pct(w[1]) + ")" + (r.flaky ? ": flaky" : "");
  }

  /* --- the scenario table --------------------------------------------- */

  var rows = {};      /* id -> {row, detail, sc} */
  var filter = "all";
  var search = "";

  function latencyText(sc) {
    return (sc.latencies || []).map(function (l) {
      var v = l["p50-ms"];
      if (v === undefined) {
        var a = (l["samples-ms"] || []).slice().sort(function (x, y) { return x - y; });
        v = percentile(a, 50);
      }
      return l.msg + " " + ms(v);
    }).join("; ");
  }

  function scenarioTable() {
    var body = h("tbody");
    SC.forEach(function (sc) {
      var row = h("tr", { "class": "row", id: anchor(sc.id), "data-id": sc.id, "data-status": statusOf(sc),
        onclick: function () { toggle(sc.id); } },
        h("td", null, badge(statusOf(sc))),
        h("td", { "class": "mono", text: sc.id }),
        h("td", { "class": "num", text: sc["steps-run"] !== undefined ? String(sc["steps-run"]) : "" }),
        h("td", { "class": "num", text: secs(sc["wall-ms"]) }),
        h("td", { "class": "num", text: sc.runs ? pct(sc.runs["pass-rate"] || 0) : "" }),
        h("td", { "class": "sub", text: latencyText(sc) }));
      var detail = h("tr", { "class": "detail", hidden: "hidden" }, h("td", { colspan: "6" }));
      rows[sc.id] = { row: row, detail: detail, sc: sc, drawn: false };
      append(body, [row, detail]);
    });
    return h("table", { "class": "scenarios" },
      h("thead", null, h("tr", null, ["status", "scenario", "steps", "time", "pass rate", "latency (p50)"]
        .map(function (t) { return h("th", { text: t }); }))), body);
  }

  function applyFilter() {
    Object.keys(rows).forEach(function (id) {
      var r = rows[id], st = statusOf(r.sc);
      var show = (filter === "all" || (filter === "failed" && (isFailing(r.sc) || st === "xpass")) ||
        filter === st) && (!search || id.indexOf(search) >= 0);
      r.row.hidden = !show;
      if (!show) r.detail.hidden = true;
      else if (r.row.classList.contains("open")) r.detail.hidden = false;
    });
  }

  function filters() {
    var bar = h("div", { "class": "filters" });
    ["all", "failed", "flaky", "xfail", "skip"].forEach(function (f) {
      append(bar, h("button", { "class": f === filter ? "on" : null, "data-filter": f, text: f,
        onclick: function (e) {
          filter = f;
          bar.querySelectorAll("button").forEach(function (b) { b.classList.toggle("on", b === e.target); });
          applyFilter();
        } }));
    });
    append(bar, h("input", { type: "search", placeholder: "filter by id",
      oninput: function (e) { search = e.target.value; applyFilter(); } }));
    return bar;
  }

  function toggle(id) {
    var r = rows[id];
    var open = !r.row.classList.contains("open");
    r.row.classList.toggle("open", open);
    r.detail.hidden = !open;
    if (open && !r.drawn) {
      r.drawn = true;
      drawDetail(r.detail.firstChild, r.sc);
    }
  }

  function openScenario(id) {
    var r = rows[id];
    if (r && !r.row.classList.contains("open")) toggle(id);
  }

  /* --- a scenario's details -------------------------------------------- */

  function drawDetail(td, sc) {
    var meta = h("dl", { "class": "facts" });
    function fact(n, v) { if (v) append(meta, [h("dt", { text: n }), h("dd", null, v)]); }
    fact("file", sc.file);
    if (sc["known-bug"])
      fact("known bug", "agent " + sc["known-bug"].agent + ": " + sc["known-bug"].why + " (" + sc["known-bug"].ref + ")");
    fact("setup", sc["setup-ms"] !== undefined ? ms(sc["setup-ms"]) : null);
    fact("golden", sc.golden);
    if (sc["trace-link"]) fact("trace", h("a", { href: sc["trace-link"], text: sc["trace-link"] }));
    append(td, meta);
    if (sc.failure) append(td, h("pre", { "class": "located", text: sc.failure }));
    if (sc.runs) append(td, runsView(sc.runs));
    if (sc.latencies && sc.latencies.length) {
      append(td, h("h3", { text: "latency" }));
      append(td, h("div", { "class": "charts" }, sc.latencies.map(latencyChart)));
    }
    if (sc["trace-error"]) append(td, h("pre", { "class": "located", text: "the trace: " + sc["trace-error"] }));
    if (sc.events && sc.events.length) {
      append(td, h("h3", { text: "ladder" }, h("span", { "class": "sub",
        text: " · " + (sc["trace-events"] || sc.events.length) + " events; click an arrow for its fields and bytes" })));
      var panel = h("div", { "class": "detail-panel", hidden: "hidden" });
      var c = sc.contrast;
      if (c && c.events && c.events.length) {
        /* a flaky scenario: the run shown beside the first run that went the other way */
        var other = { id: sc.id + "#run" + c.run, events: c.events, "trace-header": c["trace-header"] };
        var lay = alignRuns(sc.events, c.events);
        append(td, h("div", { "class": "contrast" },
          h("div", null, h("div", { "class": "sub", text: "run " + (sc.run || "") + ": " + statusOf(sc) }),
            h("div", { "class": "ladder-wrap" }, ladder(sc, panel, lay.a))),
          h("div", null, h("div", { "class": "sub" }, "run " + c.run + ": " + c.status + ", for contrast · ",
            c["trace-link"] ? h("a", { href: c["trace-link"], text: "trace" }) : ""),
            h("div", { "class": "ladder-wrap" }, ladder(other, panel, lay.b)))));
      } else {
        append(td, h("div", { "class": "ladder-wrap" }, ladder(sc, panel)));
      }
      append(td, panel);
    } else if (sc.status !== "skip") {
      append(td, h("div", { "class": "sub", text: "no trace" }));
    }
  }

  function runsView(r) {
    var out = r.outcomes || "";
    var n = out.length, cell = n > 400 ? 2 : n > 100 ? 4 : 8, width = Math.max(1, n) * cell;
    var strip = s("svg", { "class": "strip", width: width, height: 14 });
    append(strip, s("rect", { x: 0, y: 0, width: width, height: 14, "class": "P" }));
    for (var i = 0; i < n; i++) {
      if (out[i] === "P") continue; /* the background says pass */
      append(strip, s("rect", { x: i * cell, y: 0, width: cell, height: 14, "class": out[i] },
        s("title", { text: "run " + (i + 1) + ": " + out[i] })));
    }
    var list = h("ul");
    (r["not-passed"] || []).slice(0, 50).forEach(function (f) {
      append(list, h("li", null, "run " + f.run + " ", badge(f.status), " ",
        f["trace-link"] ? h("a", { href: f["trace-link"], text: "trace" }) : "", " ",
        h("span", { "class": "mono", text: f.failure || "" })));
    });
    return h("div", { "class": "runs" }, h("h3", { text: "runs" }),
      h("div", { "class": "rate", text: rateText(r) }), strip, list);
  }

  /* A CDF of the samples with p50/p95/p99 marked, and the golden's time. */
  function latencyChart(l) {
    var a = (l["samples-ms"] || []).slice().sort(function (x, y) { return x - y; });
    var W = 320, H = 150, L = 40, B = 24, T = 18;
    var svg = s("svg", { width: W, height: H, "data-msg": l.msg });
    var title = l.msg + (l.step ? " (step " + l.step + ")" : "") + ", n=" + a.length;
    append(svg, s("text", { x: 4, y: 12, text: title }));
    if (!a.length) return h("div", { "class": "chart" }, svg);
    var hi = Math.max(a[a.length - 1], l["golden-ms"] || 0) * 1.05 || 1;
    function X(v) { return L + (W - L - 8) * v / hi; }
    function Y(f) { return H - B - (H - B - T) * f; }
    append(svg, s("line", { "class": "axis", x1: L, y1: Y(0), x2: W - 8, y2: Y(0) }));
    append(svg, s("line", { "class": "axis", x1: L, y1: Y(0), x2: L, y2: Y(1) }));
    append(svg, s("text", { x: 4, y: Y(1) + 4, text: "100%" }));
    append(svg, s("text", { x: L, y: H - 6, text: "0" }));
    append(svg, s("text", { x: W - 70, y: H - 6, text: ms(hi) }));
    /* a histogram behind the CDF: 20 bins */
    var bins = new Array(20).fill(0);
    a.forEach(function (v) { bins[Math.min(19, Math.floor(v / hi * 20))]++; });
    var top = Math.max.apply(null, bins);
    bins.forEach(function (c, i) {
      if (!c) return;
      var x = L + (W - L - 8) * i / 20;
      append(svg, s("rect", { "class": "bar", x: x, width: (W - L - 8) / 20 - 1,
        y: Y(c / top), height: Y(0) - Y(c / top) }));
    });
    var d = "M" + X(a[0]) + "," + Y(0);
    a.forEach(function (v, i) { d += " L" + X(v) + "," + Y(i / a.length) + " L" + X(v) + "," + Y((i + 1) / a.length); });
    append(svg, s("path", { "class": "cdf", d: d }));
    var marks = [["p50", 50], ["p95", 95], ["p99", 99]];
    marks.forEach(function (m, k) {
      var v = percentile(a, m[1]);
      append(svg, s("line", { "class": m[0], x1: X(v), x2: X(v), y1: Y(0), y2: Y(1) },
        s("title", { text: m[0] + " " + ms(v) })));
    });
    if (l["golden-ms"] !== undefined)
      append(svg, s("line", { "class": "golden", x1: X(l["golden-ms"]), x2: X(l["golden-ms"]), y1: Y(0), y2: Y(1) },
        s("title", { text: "golden " + ms(l["golden-ms"]) })));
    var legend = marks.map(function (m) { return m[0] + " " + ms(percentile(a, m[1])); }).join(" · ") +
      " · max " + ms(a[a.length - 1]) + (l["golden-ms"] !== undefined ? " · golden " + ms(l["golden-ms"]) : "") +
      (l["samples-ms-left-out"] ? " · " + l["samples-ms-left-out"] + " more samples not drawn" : "");
    return h("div", { "class": "chart" }, svg, h("div", { "class": "sub legend", text: legend }));
  }

  /* --- the ladder ---------------------------------------------------------- */

  function lanesFor(sc) {
    var hd = sc["trace-header"] || {};
    var writer = hd["port-writer"] || (hd.target === "local" ? "vdsim" : "spice-server");
    var ours = typeof hd.source === "string" && hd.source.indexOf("scenario:") === 0;
    if (writer === "vdsim")
      return { names: ["vdsim (port driver)", "agent", "guest"], C: 0, S: -1, A: 1, G: 2 };
    return { names: [ours ? "vdsim (client)" : "client", "spice-server", "agent", "guest"], C: 0, S: 1, A: 2, G: 3 };
  }

  /* Where an event goes: an arrow {from, to}, a mark {at}, or a full row. */
  function placeOf(e, L) {
    var server = L.S >= 0;
    switch (e.kind) {
      case "agent":
        if (e.dir === "from-agent") return { from: L.A, to: L.C, cls: "from-agent" };
        return { from: L.C, to: server ? L.S : L.A, cls: "to-agent" };
      case "port": return { from: L.S, to: L.A, cls: "port" };
      case "spice":
        if (e.dir === "to-server") return { from: L.C, to: L.S, cls: "spice" };
        if (e.dir === "from-server") return { from: L.S, to: L.C, cls: "spice" };
        if (e.type === "closed") return { at: L.C, cls: e.error ? "error" : "" };
        return { at: server ? L.S : L.C, cls: e.level === "warning" || e.level === "critical" ? "error" : "" };
      case "framing-error": return { at: L.A, cls: "error" };
      case "note":
        if (e.observed !== undefined) return { at: L.G, cls: "observed" };
        if (/^guest/.test(e.note || "")) return { from: L.G, to: L.A, cls: "guest" };
        if (e.step === 0) return { row: "title" };
        return { at: L.C, cls: "" };
      case "step": return { row: e.failed ? "failed" : "step" };
      case "gap": return { row: "gap" };
    }
    return { at: L.C, cls: "" };
  }

  function labelOf(e) {
    switch (e.kind) {
      case "agent": case "port":
        return (typeof e.type === "string" ? e.type : "type " + e.type) + (e.error ? " (undecodable)" : "");
      case "spice":
        if (e.type === "log") return "server " + (e.level || "") + ": " + (e.message || "");
        if (e.type === "closed") return (e.channel || "") + " closed" + (e.error ? ": " + e.error : "");
        return (e.channel ? e.channel + " " : "") + e.type;
      case "framing-error": return "framing error: " + e.error;
      case "note": return e.note + (e.observed !== undefined ? " " + fieldsText(e.observed) : "");
      case "step":
        if (e.failed) return "\u2717 step " + e.step + " failed: " + e.failed;
        return "step " + e.step + (e.rep ? " (rep " + e.rep + ")" : "") + " \u00b7 " + e.what + " " + (e.body || "");
      case "gap": return "\u2026 " + e["left-out"] + " events left out here (see the trace) \u2026";
    }
    return e.kind;
  }

  var ROW = 24, TOP = 40, GUTTER = 170, LANE_W = 230;

  /* Two runs' events side by side: each step starts on the same row in
     both (the shorter run's step gets blank rows), and the first row where
     the runs part (an event of another kind, direction or type, or none)
     is marked in both. Returns each run's layout for ladder(). */
  function alignRuns(a, b) {
    function blocks(ev) {
      var out = {}, order = [], key = "start";
      ev.forEach(function (e, i) {
        if (e.kind === "step") key = "step " + e.step;
        if (!out[key]) { out[key] = []; order.push(key); }
        out[key].push(i);
      });
      return { of: out, order: order };
    }
    function sig(e) { return e ? [e.kind, e.dir || "", e.type || e.what || e.note || ""].join("|") : ""; }
    var A = blocks(a), B = blocks(b), keys = A.order.slice();
    B.order.forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); });
    var la = { rows: [], total: 0, parts: -1 }, lb = { rows: [], total: 0, parts: -1 }, base = 0;
    keys.forEach(function (k) {
      var xa = A.of[k] || [], xb = B.of[k] || [], n = Math.max(xa.length, xb.length);
      for (var j = 0; j < n; j++) {
        if (j < xa.length) la.rows[xa[j]] = base + j;
        if (j < xb.length) lb.rows[xb[j]] = base + j;
        if (la.parts < 0 && sig(a[xa[j]]) !== sig(b[xb[j]])) la.parts = lb.parts = base + j;
      }
      base += n;
    });
    la.total = lb.total = base;
    return { a: la, b: lb };
  }

  /* A scenario's ladder; lay (optional, from alignRuns) places its events
     on rows of a layout shared with another run's ladder. */
  function ladder(sc, panel, lay) {
    var L = lanesFor(sc), ev = sc.events;
    var width = GUTTER + LANE_W * L.names.length;
    function rowY(i) { return TOP + ROW * (lay ? lay.rows[i] : i); }
    var height = TOP + ROW * (lay ? lay.total : ev.length) + 16;
    var svg = s("svg", { "class": "ladder", width: width, height: height, "data-id": sc.id });
    append(svg, s("defs", null, s("marker", { id: "ah", viewBox: "0 0 10 10", refX: 9, refY: 5,
      markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, s("path", { d: "M0,0 L10,5 L0,10 z", fill: "context-stroke" })),
      s("pattern", { id: "hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
        s("rect", { width: 6, height: 6, fill: "rgba(160,90,0,0.08)" }),
        s("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "rgba(160,90,0,0.45)", "stroke-width": 2 }))));
    function laneX(i) { return GUTTER + LANE_W * i + LANE_W / 2; }
    L.names.forEach(function (n, i) {
      append(svg, s("text", { "class": "lane-name", x: laneX(i), y: 18, "text-anchor": "middle", text: n }));
      append(svg, s("line", { "class": "lane", x1: laneX(i), x2: laneX(i), y1: TOP - 12, y2: height - 4 }));
    });
    var spans = s("g", { "class": "spans" }), body = s("g");
    append(svg, [spans, body]);
    var steps = [];   /* {row, ev} of step starts, for the windows */
    if (lay && lay.parts >= 0)
      append(spans, s("rect", { "class": "parts", x: 0, y: TOP + ROW * lay.parts, width: width, height: ROW },
        s("title", { text: "the two runs part here" })));
    ev.forEach(function (e, i) {
      var y = rowY(i), p = placeOf(e, L), label = labelOf(e);
      append(body, s("text", { "class": "time", x: 4, y: y + 15,
        text: e.t !== undefined ? "+" + (e.t / 1e6).toFixed(3) + " ms" : "" }));
      if (p.row) {
        var cls = p.row === "failed" ? "failed-step" : p.row === "gap" ? "gap-row" : "step-row";
        var g = s("g", { "class": cls + " mark", "data-i": i, "data-step": e.step },
          s("rect", { x: 102, y: y + 2, width: width - 106, height: ROW - 4, rx: 3 }),
          s("text", { x: 108, y: y + 16, text: fit(label, (width - 116) / 7.3) }),
          s("title", { text: label }));
        append(body, g);
        if (e.kind === "step" && !e.failed) steps.push({ row: i, ev: e });
        g.addEventListener("click", function () { showEvent(panel, e, g); });
        return;
      }
      if (p.at !== undefined) {
        var mx = laneX(p.at);
        var shape = p.cls === "observed" ? s("rect", { x: mx - 5, y: y + 7, width: 10, height: 10 })
          : s("circle", { cx: mx, cy: y + 12, r: 5 });
        var m = s("g", { "class": "mark " + p.cls, "data-i": i }, shape,
          s("text", { x: mx + 9, y: y + 16, text: fit(label, (width - mx - 12) / 7.3) }),
          s("title", { text: label }));
        m.addEventListener("click", function () { showEvent(panel, e, m); });
        append(body, m);
        return;
      }
      var x1 = laneX(p.from), x2 = laneX(p.to), ym = y + 14;
      var a = s("g", { "class": "arrow " + p.cls, "data-i": i, "data-kind": e.kind, "data-type": String(e.type || e.note || "") },
        s("line", { "class": "wire", x1: x1, y1: ym, x2: x2 + (x2 > x1 ? -2 : 2), y2: ym, "marker-end": "url(#ah)" }),
        s("line", { "class": "hit", x1: x1, y1: ym, x2: x2, y2: ym }),
        s("text", { x: Math.min(x1, x2) + 8, y: ym - 4, text: fit(label, (Math.abs(x2 - x1) - 12) / 7.3) }),
        s("title", { text: label + (e.fields ? " " + fieldsText(e.fields) : "") }));
      a.addEventListener("click", function () { showEvent(panel, e, a); });
      append(body, a);
    });
    /* expectation and `not` windows as spans beside the time column */
    steps.forEach(function (st, k) {
      var w = st.ev["within-ms"];
      if (!w || ["expect", "not", "guest", "any-order"].indexOf(st.ev.what) < 0) return;
      var end = st.ev.t + w * 1e6, next = k + 1 < steps.length ? steps[k + 1].row : ev.length;
      /* to the step's last event (its match, its failure) or the window's end */
      var last = st.row;
      for (var i = st.row + 1; i < next; i++)
        if (ev[i].step === st.ev.step || (ev[i].t !== undefined && ev[i].t <= end)) last = i;
      var cls = st.ev.what === "not" ? "span-not" : st.ev.what === "guest" ? "span-guest" : "span-expect";
      append(spans, s("rect", { "class": cls, x: 90, width: 8, y: rowY(st.row) + 4,
        height: rowY(last) - rowY(st.row) + ROW - 8, "data-step": st.ev.step },
        s("title", { text: st.ev.what + " window " + w + " ms (step " + st.ev.step + ")" })));
    });
    return svg;
  }

  /* The clicked event: its members, and its bytes as a hex dump. */
  function showEvent(panel, e, el) {
    var prev = panel.parentNode.querySelector(".sel");
    if (prev) prev.classList.remove("sel");
    el.classList.add("sel");
    panel.hidden = false;
    panel.textContent = "";
    var copy = {};
    Object.keys(e).forEach(function (k) { if (k !== "raw") copy[k] = e[k]; });
    append(panel, h("h4", { text: labelOf(e) }));
    append(panel, h("pre", { "class": "fields", text: JSON.stringify(copy, null, 2) }));
    if (typeof e.raw === "string") {
      append(panel, h("div", { "class": "sub", text: "bytes" + (e["raw-len"] ? " (the first 256 of " + e["raw-len"] + ")" : "") }));
      append(panel, h("pre", { "class": "raw", text: hexdump(e.raw) }));
    } else if (e.raw) {
      append(panel, h("div", { "class": "sub", text: "bytes: " + JSON.stringify(e.raw) }));
    }
  }

  function hexdump(hex) {
    var out = [];
    for (var off = 0; off < hex.length / 2; off += 16) {
      var row = hex.slice(off * 2, off * 2 + 32), bytes = [], text = "";
      for (var i = 0; i < row.length; i += 2) {
        var b = parseInt(row.slice(i, i + 2), 16);
        bytes.push(row.slice(i, i + 2));
        text += b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
      }
      out.push(("0000" + off.toString(16)).slice(-4) + "  " + bytes.join(" ").padEnd(48) + "  " + text);
    }
    return out.join("\n");
  }

  /* --- a differential run: what the agent received on each target ------- */

  function differentialPage(app) {
    var pages = D.pages || {};
    append(app, h("header", null, h("h1", { text: "vdsim differential" }),
      h("div", { "class": "sub", text: "what the agent received on each target, scenario by scenario" })));
    var main = h("main");
    var targets = h("dl", { "class": "facts" });
    Object.keys(pages).forEach(function (t) {
      append(targets, [h("dt", { text: t }), h("dd", null, h("a", { href: pages[t], text: "its report" }))]);
    });
    append(targets, [h("dt", { text: "results" }),
      h("dd", null, h("a", { href: RUN["summary-link"], text: "differential.json" }))]);
    append(main, targets);
    D.differential.forEach(function (pair) {
      var list = pair.scenarios || [];
      var differ = list.filter(function (x) { return x.result === "different"; }).length;
      append(main, h("h2", { text: pair.a + " against " + pair.b + ": " + differ + " different of " + list.length }));
      var body = h("tbody");
      list.forEach(function (x) {
        var st = x.result === "same" ? "pass" : x.result === "different" ? "fail" : "skip";
        function link(t) {
          return pages[t] ? h("a", { href: pages[t] + "#" + anchor(x.id), text: t }) : t;
        }
        append(body, h("tr", { "class": "diff-row", "data-id": x.id, "data-result": x.result },
          h("td", null, h("span", { "class": "badge st-" + st, text: x.result })),
          h("td", { "class": "mono", text: x.id }),
          h("td", null, link(pair.a), " \u00b7 ", link(pair.b)),
          h("td", { "class": "mono", text: x.what || "" })));
      });
      append(main, h("table", { "class": "scenarios" }, h("thead", null, h("tr", null,
        ["result", "scenario", "pages", "the first difference"].map(function (t) { return h("th", { text: t }); }))),
        body));
    });
    append(app, main);
  }

  /* --- the page ---------------------------------------------------------- */

  var app = document.getElementById("app");
  if (D.differential) {
    differentialPage(app);
    document.body.setAttribute("data-ready", "1");
    return;
  }
  var failing = SC.filter(function (sc) { return isFailing(sc) || isFlaky(sc) || sc.status === "xpass"; });
  append(document.body.insertBefore(h("div", { id: "js-errors" }), app), null);
  append(app, h("header", null,
    h("h1", { text: "vdsim report" }),
    h("div", { "class": "sub", text: (RUN.agent || RUN["agent-version"] || "") + (RUN.target ? " on " + RUN.target : "") })));
  var main = h("main");
  append(main, [counts(), facts()]);
  if (failing.length) {
    append(main, h("h2", { id: "failures", text: "failures (" + failing.length + ")" }));
    failing.forEach(function (sc) { append(main, failureCard(sc)); });
  }
  append(main, h("h2", { text: "scenarios (" + SC.length + ")" }));
  append(main, [filters(), scenarioTable()]);
  append(app, main);
  /* one scenario (a trace's page) or a link to one: open it */
  var wanted = location.hash.slice(1);
  SC.forEach(function (sc) { if (SC.length === 1 || anchor(sc.id) === wanted) openScenario(sc.id); });
  document.body.setAttribute("data-ready", "1");
})();
