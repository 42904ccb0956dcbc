// The live status page of a Powerhose broker: polls /status.json every second and renders it. No framework, no
// build step; every value goes into the page as text (textContent), never as markup.
(function () {
  "use strict";
  var POLL_MS = 1000;
  var lastOk = 0;

  function $(id) { return document.getElementById(id); }

  function text(el, value) { el.textContent = value; }

  function cell(row, value, cls) {
    var td = document.createElement("td");
    td.textContent = value;
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }

  function number(n) {
    if (n === null || n === undefined || isNaN(n)) { return "–"; }
    return Math.round(n).toLocaleString("en-US");
  }

  function rate(n) {
    if (n === null || n === undefined || isNaN(n)) { return "–"; }
    if (n >= 100) { return number(n); }
    if (n >= 10) { return n.toFixed(1); }
    return n.toFixed(2);
  }

  function millis(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) { return "–"; }
    if (ms >= 1000) { return (ms / 1000).toFixed(2) + " s"; }
    if (ms >= 10) { return ms.toFixed(0) + " ms"; }
    if (ms >= 1) { return ms.toFixed(1) + " ms"; }
    return (ms * 1000).toFixed(0) + " µs";
  }

  function age(ms) {
    var s = Math.floor(ms / 1000);
    if (s < 60) { return (ms / 1000).toFixed(s < 10 ? 1 : 0) + " s"; }
    if (s < 3600) { return Math.floor(s / 60) + " min " + (s % 60) + " s"; }
    if (s < 86400) { return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " min"; }
    return Math.floor(s / 86400) + " d " + Math.floor(s % 86400 / 3600) + " h";
  }

  function renderHeader(s) {
    text($("broker"), "pid " + s.broker.pid + " · " + s.broker.frontend + " · up " + age(s.broker.uptime_ms)
      + " · version " + s.broker.version);
    document.title = "Powerhose broker " + s.broker.pid;
  }

  function renderTiles(s) {
    var active = s.workers.filter(function (w) { return !w.leaving; }).length;
    text($("workers-count"), String(active));
    var leaving = s.workers.length - active;
    var capacity = s.workers.reduce(function (sum, w) { return sum + (w.leaving ? 0 : w.capacity); }, 0);
    text($("workers-sub"), "capacity " + capacity + (leaving ? " · " + leaving + " leaving" : ""));
    text($("queued"), number(s.queued));
    var fill = s.queue_limit > 0 ? Math.min(100, 100 * s.queued / s.queue_limit) : (s.queued > 0 ? 100 : 0);
    var bar = $("queue-bar");
    bar.style.width = fill.toFixed(1) + "%";
    bar.className = fill >= 80 ? "high" : "";
    text($("queued-sub"), "of " + number(s.queue_limit) + " · " + number(s.queued_bytes / 1024) + " KiB");
    text($("in-flight"), number(s.in_flight));
    text($("rate"), rate(s.rate.jobs_per_s));
    $("rate").dataset.value = String(s.rate.jobs_per_s);
    text($("rate-sub"), "over the last " + Math.round(s.rate.window_s) + " s");
    var service = s.latency_ms.service || {};
    var wait = s.latency_ms.queue_wait || {};
    text($("p50"), millis(service.p50));
    text($("p99"), millis(service.p99));
    text($("p50-sub"), "queue wait p50 " + millis(wait.p50));
    text($("p99-sub"), "queue wait p99 " + millis(wait.p99));
  }

  function renderSpark(s) {
    var points = s.rate.per_second;
    if (!points.length) { $("spark-line").setAttribute("points", ""); return; }
    var max = points.reduce(function (m, p) { return Math.max(m, p[1]); }, 1);
    var coords = points.map(function (p) {
      var x = 600 - Math.min(60, p[0]) * 10;
      var y = 58 - 56 * p[1] / max;
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    $("spark-line").setAttribute("points", coords.join(" "));
  }

  function renderWorkers(s) {
    var body = $("workers").tBodies[0];
    var rows = document.createDocumentFragment();
    s.workers.forEach(function (w) {
      var tr = document.createElement("tr");
      tr.dataset.pid = String(w.pid);
      tr.dataset.workerId = w.id;
      cell(tr, w.id);
      cell(tr, w.host);
      cell(tr, w.language);
      cell(tr, String(w.capacity), "num");
      cell(tr, number(w.in_flight), "num");
      cell(tr, number(w.done), "num");
      cell(tr, number(w.failed), w.failed > 0 ? "num recent" : "num");
      cell(tr, age(w.last_seen_ms) + " ago", "num");
      cell(tr, age(w.age_ms), "num");
      var silent = w.last_seen_ms > 2500;
      var state = w.leaving ? "leaving" : (silent ? "silent" : "active");
      var td = cell(tr, "");
      var span = document.createElement("span");
      span.className = "state " + state;
      var dot = document.createElement("span");
      dot.className = "dot";
      span.appendChild(dot);
      span.appendChild(document.createTextNode(state));
      td.appendChild(span);
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    $("no-workers").hidden = s.workers.length > 0;
  }

  function renderErrors(s) {
    var body = $("errors").tBodies[0];
    var rows = document.createDocumentFragment();
    s.errors.forEach(function (e) {
      var tr = document.createElement("tr");
      tr.dataset.key = e.key;
      tr.className = e.total === 0 ? "zero" : (e.last_minute > 0 ? "recent" : "");
      cell(tr, e.kind);
      cell(tr, number(e.last_minute), e.last_minute > 0 ? "num recent" : "num");
      cell(tr, number(e.total), "num");
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
  }

  function setConnection(ok, message) {
    var el = $("connection");
    el.className = "connection " + (ok ? "live" : "lost");
    text($("connection-text"), message);
  }

  function poll() {
    fetch("status.json", { cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (s) {
        renderHeader(s);
        renderTiles(s);
        renderSpark(s);
        renderWorkers(s);
        renderErrors(s);
        lastOk = Date.now();
        document.body.dataset.updated = String(lastOk);
        setConnection(true, "live");
      })
      .catch(function (error) {
        var since = lastOk ? " (last update " + age(Date.now() - lastOk) + " ago)" : "";
        setConnection(false, "no answer from the broker: " + error.message + since);
      })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  poll();
}());
