// Lianluo web dashboard, shared part: the page's language and words (t, label, from
// labels.js and words.js), DOM helpers (build, h, s, add, link), time and format helpers
// (when, paren, ago, cityNames), requests to the node's JSON API (api, optional, fail),
// live updates from its change stream (live) and the header bar. Exported on window.Lianluo for overview.js, records.js and app.js. Text
// is only ever set with textContent, never parsed as HTML; fail() sets <body data-error>.
"use strict";

(function () {
  const LABELS = window.LIANLUO_LABELS;
  const UI = window.LIANLUO_UI;

  const LANG = pickLang();
  const L = LANG === "en" ? 1 : 0;
  const SVG = "http://www.w3.org/2000/svg";

  function pickLang() {
    const asked = new URLSearchParams(location.search).get("lang");
    try {
      if (asked === "zh" || asked === "en") localStorage.setItem("lianluo.lang", asked);
      return (asked || localStorage.getItem("lianluo.lang")) === "en" ? "en" : "zh";
    } catch (e) {
      return asked === "en" ? "en" : "zh";
    }
  }

  function t(key) {
    const v = UI[key];
    return v ? v[L] : key;
  }

  // The cities' names as this node's config gives them (GET /api/cities), over the
  // built-in ones: a city that joins later (e.g. 桂林) reads by its name. Chinese pages
  // show the configured name, English ones the configured English name (`name_en`).
  async function loadCityNames() {
    let answer;
    try {
      answer = await api("/api/cities");
    } catch (e) {
      return; // the built-in names stay
    }
    (answer.cities || []).forEach(function (c) {
      if (!c.name) return;
      const known = LABELS.city[c.city];
      LABELS.city[c.city] = [c.name, c.name_en || (known ? known[1] : c.city)];
    });
  }

  // The display name of an id in a LABELS group (status needs the record kind).
  function label(group, id, kind) {
    let table = LABELS[group] || {};
    if (group === "status") table = table[kind] || {};
    const v = table[id];
    return v ? v[L] : id;
  }

  // ---- DOM helpers ----

  function build(el, attrs, kids) {
    Object.keys(attrs || {}).forEach(function (k) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") el.textContent = String(v);
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, String(v));
    });
    kids.flat(3).forEach(function (kid) {
      if (kid === null || kid === undefined || kid === false) return;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    });
    return el;
  }

  function h(tag, attrs) {
    return build(document.createElement(tag), attrs, Array.prototype.slice.call(arguments, 2));
  }

  function s(tag, attrs) {
    return build(document.createElementNS(SVG, tag), attrs, Array.prototype.slice.call(arguments, 2));
  }

  // Appends kids to el, skipping null and false (Element.append would write "null").
  function add(el) {
    return build(el, {}, Array.prototype.slice.call(arguments, 1));
  }

  function link(href, text) {
    return h("a", { href: href }, text);
  }

  // A time in Beijing time (UTC+8), the cities' time: "2026年5月23日 14:05" on a Chinese
  // page, "2026-05-23 14:05" on an English one.
  function when(iso) {
    if (!iso) return "";
    const ms = Date.parse(iso);
    if (isNaN(ms)) return iso;
    const s = new Date(ms + 8 * 3600 * 1000).toISOString();
    return day(s.slice(0, 10)) + " " + s.slice(11, 16);
  }

  // A date ("2026-05-23") as 2026年5月23日 on a Chinese page; as it is otherwise.
  function day(date) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
    if (!m || L) return date || "";
    return m[1] + "年" + Number(m[2]) + "月" + Number(m[3]) + "日";
  }

  // "（x）" in Chinese, " (x)" in English.
  function paren(x) {
    return L ? " (" + x + ")" : "（" + x + "）";
  }

  function ago(seconds) {
    return seconds < 120 ? seconds + " " + t("ago_s") : Math.round(seconds / 60) + " " + t("ago_min");
  }

  function fail(message) {
    document.body.dataset.error = message;
    return h("p", { class: "error", role: "alert" }, t("failed") + ": " + message);
  }

  async function api(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    if (!r.ok) throw new Error((body && body.error) || r.status + " " + r.statusText);
    return body;
  }

  // A request whose failure is shown where its data would be, not for the whole page.
  function optional(promise) {
    return promise.catch(function (e) {
      return { failed: e.message || String(e) };
    });
  }

  // ---- live updates ----

  // Follows the node's changes (/api/watch, server-sent events) and calls onChange with
  // the changed records (without history) once they stop arriving for a moment. The
  // browser reconnects by itself, resuming after the last change it saw.
  // <body data-live="1"> while connected.
  function live(onChange) {
    if (!window.EventSource) return;
    let pending = [];
    let timer = null;
    const source = new EventSource("/api/watch");
    source.addEventListener("open", function () { document.body.dataset.live = "1"; });
    source.addEventListener("error", function () { document.body.dataset.live = "0"; });
    source.addEventListener("change", function (e) {
      let w = null;
      try {
        w = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (!w.records || !w.records.length) return;
      pending = pending.concat(w.records);
      clearTimeout(timer);
      timer = setTimeout(function () {
        const changed = pending;
        pending = [];
        onChange(changed);
      }, 300);
    });
  }

  // ---- header ----

  function header(path) {
    const here = new URLSearchParams(location.search);
    const switchTo = function (lang) {
      here.set("lang", lang);
      return path + "?" + here.toString();
    };
    return h("div", { class: "bar" },
      h("a", { class: "brand", href: "/" }, t("title")),
      h("nav", {},
        h("a", { href: "/", class: path === "/" ? "on" : null }, t("nav_overview")),
        h("a", { href: "/records", class: path.indexOf("/records") === 0 ? "on" : null }, t("nav_records"))),
      h("span", { class: "lang" },
        h("a", { href: switchTo("zh"), class: L ? null : "on", lang: "zh-CN" }, "中文"), " | ",
        h("a", { href: switchTo("en"), class: L ? "on" : null, lang: "en" }, "English")));
  }

  function cityNames(ids) {
    return (ids || []).map(function (c) { return label("city", c); }).join(L ? ", " : "、");
  }

  window.Lianluo = {
    L: L, LABELS: LABELS, t: t, label: label,
    build: build, h: h, s: s, add: add, link: link,
    when: when, day: day, paren: paren, ago: ago, cityNames: cityNames,
    api: api, optional: optional, fail: fail, header: header, live: live,
    loadCityNames: loadCityNames,
  };
})();
