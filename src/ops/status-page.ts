// The status page at `/`: one self-contained HTML document — inline CSS and
// JS, no external URL at all — that a person would rather look at than read logs. It
// listens to /events (Server-Sent Events) and re-renders on each snapshot.
//
// Everything shown comes from devices or config and is untrusted: the script builds the
// DOM with createElement/textContent only, never innerHTML. A Content-Security-Policy
// with the hashes of this exact script and style is defence in depth: even an injected
// <script> or onerror= attribute would not run.
import { createHash } from 'node:crypto';

/** Colours the browser test looks for in the screenshot (test/integration/http-status-page.test.ts). */
export const PAGE_COLOURS = {
  sparkline: '#0a7cff',
  open: '#1a9e3f',
  opening: '#d48806',
  closed: '#d93025',
} as const;

const STYLE = `
:root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f4f6f8; }
body { margin: 0; padding: 12px; }
#summary { display: inline-flex; flex-wrap: wrap; gap: 6px; align-items: baseline; }
header { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; margin-bottom: 12px; }
h1 { font-size: 1.3rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 8px; }
.muted { color: #656d76; font-size: .85rem; }
.grid { display: grid; gap: 12px; grid-template-columns: repeat(auto-fill, minmax(280px, 1fr)); }
.card { background: #fff; border-radius: 8px; padding: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.12); overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 600; font-size: .8rem; }
.badge.open, .badge.connected, .badge.healthy { background: ${PAGE_COLOURS.open}; }
.badge.opening { background: ${PAGE_COLOURS.opening}; }
.badge.closed, .badge.stopped, .badge.disconnected, .badge.unhealthy { background: ${PAGE_COLOURS.closed}; }
.badge.other { background: #656d76; }
.values { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 8px 0; }
.values .v { font-weight: 600; font-size: 1.1rem; }
.values .age { color: #656d76; font-size: .8rem; }
dl.kv { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; font-size: .9rem; }
dl.kv dt { color: #656d76; }
dl.kv dd { margin: 0; }
#sparkline { width: 100%; height: 60px; display: block; margin-top: 8px; background: #f8fafc; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
.lvl-error, .lvl-fatal { color: ${PAGE_COLOURS.closed}; font-weight: 600; }
.lvl-warn { color: ${PAGE_COLOURS.opening}; font-weight: 600; }
#errors-card { margin-top: 12px; }
`;

const SCRIPT = `
"use strict";
(function () {
  var SPARK = "${PAGE_COLOURS.sparkline}";
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function badge(word, kind) {
    var known = ["open", "opening", "closed", "held", "stopped", "connected", "disconnected", "healthy", "unhealthy"];
    var b = el("span", "badge " + (known.indexOf(kind) >= 0 ? kind : "other"), word);
    b.setAttribute("data-badge", kind);
    return b;
  }
  function age(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }
  function duration(s) {
    if (s === null || s === undefined) return "–";
    if (s < 60) return Math.round(s) + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + Math.round(s % 60) + " s";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  function bytes(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
    return (n / 1048576).toFixed(1) + " MiB";
  }
  function kv(dl, key, value) {
    dl.appendChild(el("dt", "", key));
    var dd = el("dd", "", value);
    dd.setAttribute("data-key", key);
    dl.appendChild(dd);
    return dd;
  }
  // Queue depth over the last hour, or since start when the gateway is younger than that.
  function sparkline(points, now) {
    var NS = "http://www.w3.org/2000/svg";
    var W = 300, H = 60, PAD = 4;
    var span = Math.max(1000, Math.min(3600000, now - points[0][0]));
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("id", "sparkline");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    var max = 1;
    points.forEach(function (p) { if (p[1] > max) max = p[1]; });
    var coords = points.map(function (p) {
      var x = PAD + ((W - 2 * PAD) * (span - Math.min(span, now - p[0]))) / span;
      var y = H - PAD - ((H - 2 * PAD) * p[1]) / max;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    var line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", coords.join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", SPARK);
    line.setAttribute("stroke-width", "3");
    line.setAttribute("vector-effect", "non-scaling-stroke");
    svg.appendChild(line);
    var title = document.createElementNS(NS, "title");
    title.textContent = "queue depth, peak " + max;
    svg.appendChild(title);
    return { svg: svg, span: span, max: max };
  }
  function portCard(p, now) {
    var card = el("section", "card port");
    card.setAttribute("data-port", p.name);
    var h = el("h2", "", p.name + " ");
    h.appendChild(badge(p.state, p.state));
    h.appendChild(el("span", "muted", p.available ? " available" : " not available"));
    card.appendChild(h);
    card.appendChild(el("div", "muted", p.device + " – " + p.description));
    var values = el("div", "values");
    if (p.values.length === 0) values.appendChild(el("span", "muted", "no reading yet"));
    p.values.forEach(function (v) {
      values.appendChild(el("span", "", v.field));
      var cell = el("span", "");
      var value = el("span", "v", String(v.value) + (v.unit ? " " + v.unit : ""));
      value.setAttribute("data-field", v.field);
      cell.appendChild(value);
      cell.appendChild(el("span", "age", " " + age(now - v.at)));
      values.appendChild(cell);
    });
    card.appendChild(values);
    var dl = el("dl", "kv");
    kv(dl, "path", p.path);
    kv(dl, "format", p.format);
    kv(dl, "rate", p.rate_per_min === null ? "–" : p.rate_per_min.toFixed(1) + " lines/min");
    kv(dl, "lines", p.lines);
    var reasons = Object.keys(p.discards).map(function (r) { return r + " " + p.discards[r]; });
    kv(dl, "discards", p.discards_total + (reasons.length ? " (" + reasons.join(", ") + ")" : ""));
    kv(dl, "last seen", p.last_seen === null ? "never" : age(now - p.last_seen));
    card.appendChild(dl);
    return card;
  }
  function render(s) {
    document.title = s.gateway + " – tty2mqtt";
    document.getElementById("gateway").textContent = s.gateway;
    var head = document.getElementById("summary");
    head.replaceChildren(
      badge(s.broker.connected ? "broker connected" : "broker disconnected", s.broker.connected ? "connected" : "disconnected"),
      badge(s.health.ok ? "healthy" : "unhealthy", s.health.ok ? "healthy" : "unhealthy"),
      el("span", "muted", "up " + duration(s.uptime_s) + " · " + (s.broker.url || "") + " · " + s.base_topic + "/")
    );
    if (!s.health.ok) head.appendChild(el("span", "muted", s.health.reasons.join("; ")));
    var ports = document.getElementById("ports");
    ports.replaceChildren.apply(ports, s.ports.map(function (p) { return portCard(p, s.now); }));
    var q = el("section", "card");
    q.setAttribute("id", "queue");
    q.appendChild(el("h2", "", "Queue"));
    var dl = el("dl", "kv");
    kv(dl, "depth", s.queue.depth);
    kv(dl, "bytes", bytes(s.queue.bytes));
    kv(dl, "oldest", duration(s.queue.oldest_age_s));
    kv(dl, "in flight", s.queue.inflight);
    kv(dl, "published", s.queue.published);
    kv(dl, "dropped", s.queue.dropped_total);
    kv(dl, "dead letters", s.queue.dead_lettered);
    if (s.queue.storage_error) kv(dl, "storage", s.queue.storage_error);
    q.appendChild(dl);
    var spark = sparkline(s.depth_history, s.now);
    q.appendChild(spark.svg);
    var peak = s.depth_history.reduce(function (m, p) { return Math.max(m, p[1]); }, 0);
    q.appendChild(el("div", "muted", "depth, " + (spark.span >= 3600000 ? "last hour" : "last " + duration(spark.span / 1000)) + " · peak " + peak));
    ports.appendChild(q);
    var body = document.getElementById("errors");
    if (s.errors.length === 0) {
      var none = el("tr");
      none.appendChild(el("td", "muted", "none"));
      body.replaceChildren(none);
    } else {
      body.replaceChildren.apply(body, s.errors.map(function (e) {
        var tr = el("tr");
        tr.appendChild(el("td", "", new Date(e.time).toLocaleTimeString()));
        tr.appendChild(el("td", "lvl-" + e.level, e.level));
        tr.appendChild(el("td", "", e.port || ""));
        tr.appendChild(el("td", "", e.message + (e.detail ? " — " + e.detail : "")));
        return tr;
      }));
    }
    document.getElementById("updated").textContent = "updated " + new Date(s.now).toLocaleTimeString();
  }
  var live = document.getElementById("live");
  var source = new EventSource("events");
  source.addEventListener("status", function (e) {
    live.textContent = "live";
    render(JSON.parse(e.data));
  });
  source.onerror = function () { live.textContent = "reconnecting…"; };
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** No source but this document's own script and style; data only from this server. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The document: static; every live value arrives over /events. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tty2mqtt</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>tty2mqtt <span id="gateway"></span></h1>
<span id="summary"></span>
<span class="muted"><span id="live">connecting…</span> · <span id="updated"></span></span>
</header>
<main>
<div id="ports" class="grid"></div>
<section id="errors-card" class="card">
<h2>Recent warnings and errors</h2>
<table><tbody id="errors"></tbody></table>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
