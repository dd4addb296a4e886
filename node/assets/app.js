// Lianluo web dashboard: draws the overview (/), the records browser (/records) and a
// record's page (/records/{id}) from the node's JSON API (/api/…), with the words of
// labels.js. Plain ES2017 classic scripts sharing window.Lianluo, no dependencies, no
// build step; loaded in order labels.js, core.js (shared helpers), overview.js,
// records.js, then this file: only the start and the router. Charts are inline SVG. Text
// is only ever set with textContent, never parsed as HTML.
//
// For tests and scripts: every figure shown carries data-city, data-figure (and data-key
// for a map entry) and data-value; <body data-ready="1"> once everything is drawn, and
// data-error when a request failed.
"use strict";

(function () {
  const LL = window.Lianluo;
  const L = LL.L, t = LL.t, add = LL.add, fail = LL.fail;

  // ---- start ----

  async function start() {
    document.documentElement.lang = L ? "en" : "zh-CN";
    document.title = t("title");
    const path = location.pathname.replace(/\/+$/, "") || "/";
    document.getElementById("top").append(LL.header(path));
    const root = document.getElementById("app");
    root.textContent = "";
    try {
      if (path === "/") await LL.overviewPage(root);
      else if (path === "/records") await LL.recordsPage(root);
      else if (path.indexOf("/records/") === 0) await LL.recordPage(root, decodeURIComponent(path.slice(9)));
      else add(root, fail(t("not_found")));
    } catch (e) {
      add(root, fail(e.message || String(e)));
    }
    document.body.dataset.ready = "1";
  }

  start();
})();
