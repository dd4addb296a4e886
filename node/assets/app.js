// Lianluo web dashboard: draws the overview (/), the records browser (/records) and a
// record's page (/records/{id}) from the node's JSON API (/api/…), with the words of
// labels.js. Plain ES2017, no dependencies, no build step; charts are inline SVG. Text is
// only ever set with textContent, never parsed as HTML.
//
// For tests and scripts: every figure shown carries data-city, data-figure (and data-key
// for a map entry) and data-value; <body data-ready="1"> once everything is drawn, and
// data-error when a request failed.
"use strict";

(function () {
  const LABELS = window.LIANLUO_LABELS;
  const UI = window.LIANLUO_UI;

  const LANG = pickLang();
  const L = LANG === "en" ? 1 : 0;
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = ["#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#566573"];
  const KEY_FIGURES = ["stations", "suggestions", "suggestions_overdue", "disputes",
    "disputes_resolved_in_year", "activities", "deputies", "opinions_collected"];

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

  // A time as "YYYY-MM-DD HH:MM" in China Standard Time (UTC+8), the cities' time.
  function when(iso) {
    if (!iso) return "";
    const ms = Date.parse(iso);
    if (isNaN(ms)) return iso;
    return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 16).replace("T", " ");
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

  // ---- overview ----

  async function overviewPage(root) {
    const year = new URLSearchParams(location.search).get("year") || "";
    const results = await Promise.all([
      api("/api/overview" + (year ? "?year=" + encodeURIComponent(year) : "")),
      optional(api("/api/peers")),
      optional(api("/api/records?kind=suggestion&overdue=true&page_size=200")),
      optional(api("/api/records?kind=activity&status=held&page_size=500")),
    ]);
    const ov = results[0];
    const cities = ov.cities.map(function (c) { return c.city; });
    add(root, 
      h("div", { class: "head" },
        h("h1", {}, t("nav_overview")),
        h("p", { class: "meta" },
          t("answered_by") + ": " + label("city", ov.answered_by) + " · " + t("as_of") + ": " + when(ov.as_of) + " · ",
          yearPicker(ov.year))),
      partialBanner(ov),
      citiesTable(ov, results[1]),
      keyNumbers(ov.total),
      h("section", { class: "charts" },
        chart(ov, "suggestions_by_status", statusKeys("suggestion"), function (k) { return label("status", k, "suggestion"); }),
        chart(ov, "ratings", Object.keys(LABELS.rating), function (k) { return label("rating", k); }),
        chart(ov, "disputes_by_status", statusKeys("dispute"), function (k) { return label("status", k, "dispute"); }),
        chart(ov, "activities_by_kind", Object.keys(LABELS.activity_kind), function (k) { return label("activity_kind", k); }),
        chart(ov, "activities_by_month", [], function (k) { return k; })),
      h("div", { class: "lists" }, overdueList(results[2]), activityList(results[3])));
    if (!cities.length) add(root, fail("no cities"));
  }

  function statusKeys(kind) {
    return Object.keys(LABELS.status[kind]);
  }

  function yearPicker(current) {
    const now = new Date().getFullYear();
    const sel = h("select", {
      "aria-label": t("year"),
      onchange: function () {
        const q = new URLSearchParams(location.search);
        if (sel.value) q.set("year", sel.value); else q.delete("year");
        location.search = q.toString();
      },
    }, h("option", { value: "" }, t("all_years")));
    for (let y = now; y >= now - 4; y--) {
      sel.append(h("option", { value: y, selected: y === current ? "selected" : null }, String(y)));
    }
    return h("label", {}, t("year") + " ", sel);
  }

  function outcomeText(c) {
    let text = label("outcome", c.outcome);
    if (c.outcome === "stale") text += paren(ago(c.age_seconds));
    return text;
  }

  function partialBanner(ov) {
    if (!ov.partial) {
      return h("p", { class: "banner ok", "data-partial": "false" }, t("complete"));
    }
    const bad = ov.cities.filter(function (c) { return c.outcome !== "ok"; }).map(function (c) {
      return label("city", c.city) + " " + outcomeText(c) + (c.error ? " — " + c.error : "");
    });
    return h("div", { class: "banner partial", role: "alert", "data-partial": "true" },
      h("strong", {}, t("partial")), " ", t("partial_hint"), bad.join(L ? "; " : "；"));
  }

  function figureCell(city, figures, key) {
    const has = figures && figures[key] !== undefined;
    return h("td", { class: "num", "data-city": city, "data-figure": key, "data-value": has ? figures[key] : null },
      has ? String(figures[key]) : "—");
  }

  function linkCell(c, peers) {
    if (c.local) return h("td", { class: "link" }, t("local"));
    let text = label("link", c.link || "stopped");
    const p = peers && peers.peers ? peers.peers.find(function (x) { return x.city === c.city; }) : null;
    const more = [];
    if (p) {
      if (p.connected) text += " · " + t("lag") + " " + p.lag;
      if (p.last_contact) more.push(t("last_contact") + " " + when(p.last_contact));
      if (p.last_error) more.push(p.last_error);
    }
    return h("td", { class: "link", "data-link": c.link || null, title: more.join("\n") || null },
      h("span", { class: "dot " + (c.link || "stopped") }), text);
  }

  function citiesTable(ov, peers) {
    const head = [t("city"), t("outcome"), t("link")].concat(KEY_FIGURES.map(t));
    const rows = ov.cities.map(function (c) {
      return h("tr", { "data-city": c.city, "data-outcome": c.outcome },
        h("th", { scope: "row" }, label("city", c.city), c.local ? h("small", {}, t("this_node")) : null),
        h("td", {}, h("span", { class: "badge " + c.outcome, title: c.error || null }, outcomeText(c))),
        linkCell(c, peers),
        KEY_FIGURES.map(function (k) { return figureCell(c.city, c.figures, k); }));
    });
    const ok = ov.cities.filter(function (c) { return c.outcome === "ok"; }).length;
    rows.push(h("tr", { class: "total" },
      h("th", { scope: "row" }, t("total")),
      h("td", {}, ok + "/" + ov.cities.length + " " + label("outcome", "ok")),
      h("td", {}, ""),
      KEY_FIGURES.map(function (k) { return figureCell("total", ov.total, k); })));
    const failed = peers && peers.failed ? fail(peers.failed) : null;
    return h("section", {},
      h("h2", {}, t("cities")),
      h("div", { class: "scroll" },
        h("table", { class: "cities" },
          h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, x); }))),
          h("tbody", {}, rows))),
      failed);
  }

  function keyNumbers(total) {
    return h("section", { class: "cards", "aria-label": t("key_numbers") },
      KEY_FIGURES.map(function (k) {
        const v = total ? total[k] : undefined;
        let name = t(k);
        if (k === "disputes_resolved_in_year" && total && total.resolved_year) name += paren(total.resolved_year);
        return h("div", { class: "card" + (k === "suggestions_overdue" && v > 0 ? " warn" : "") },
          h("div", { class: "big", "data-city": "total", "data-figure": k, "data-value": v }, v === undefined ? "—" : String(v)),
          h("div", { class: "name" }, name));
      }));
  }

  // ---- charts ----

  // A horizontal bar chart of one map figure: one bar per key, one segment per city,
  // the federation's total at the end of the bar.
  function chart(ov, figure, known, name) {
    const withFigures = ov.cities.filter(function (c) { return c.figures; });
    const keys = known.slice();
    withFigures.concat([{ figures: ov.total }]).forEach(function (c) {
      Object.keys((c.figures || {})[figure] || {}).forEach(function (k) {
        if (keys.indexOf(k) < 0) keys.push(k);
      });
    });
    if (figure === "activities_by_month") keys.sort();
    const totals = (ov.total && ov.total[figure]) || {};
    const max = Math.max.apply(null, [1].concat(keys.map(function (k) { return totals[k] || 0; })));
    const longest = Math.max.apply(null, [4].concat(keys.map(function (k) { return textWidth(name(k)); })));
    const rowH = 24, labelW = longest + 14, barW = 300, width = labelW + barW + 48;
    const height = Math.max(keys.length, 1) * rowH + 30;
    const svg = s("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img", "aria-label": t(figure) });
    if (!keys.length) svg.append(s("text", { x: 8, y: 18, class: "empty" }, t("no_data")));
    keys.forEach(function (k, i) {
      const y = i * rowH;
      let x = labelW;
      svg.append(s("text", { x: labelW - 6, y: y + 16, "text-anchor": "end" }, name(k)));
      withFigures.forEach(function (c) {
        const v = (c.figures[figure] || {})[k] || 0;
        if (!v) return;
        const w = (v / max) * barW;
        svg.append(s("rect", {
          x: x, y: y + 4, width: w, height: rowH - 8, fill: colorOf(ov, c.city),
          "data-city": c.city, "data-figure": figure, "data-key": k, "data-value": v,
        }, s("title", {}, label("city", c.city) + " · " + name(k) + ": " + v)));
        x += w;
      });
      svg.append(s("text", {
        x: x + 6, y: y + 16, class: "value",
        "data-city": "total", "data-figure": figure, "data-key": k, "data-value": totals[k] || 0,
      }, String(totals[k] || 0)));
    });
    svg.append(legend(ov, withFigures, height - 8));
    return h("figure", { class: "chart", "data-chart": figure }, h("figcaption", {}, t(figure)), svg);
  }

  // Roughly how wide a label is at 12px: CJK characters are square, Latin ones narrow.
  function textWidth(text) {
    let w = 0;
    for (const ch of text) w += ch.charCodeAt(0) > 0x2e80 ? 12 : 6.6;
    return Math.ceil(w);
  }

  function colorOf(ov, city) {
    const i = ov.cities.findIndex(function (c) { return c.city === city; });
    return COLORS[i % COLORS.length];
  }

  function legend(ov, cities, y) {
    const g = s("g", { class: "legend" });
    cities.forEach(function (c, i) {
      const x = 8 + i * 100;
      g.append(s("rect", { x: x, y: y - 9, width: 10, height: 10, fill: colorOf(ov, c.city) }));
      g.append(s("text", { x: x + 14, y: y }, label("city", c.city)));
    });
    return g;
  }

  // ---- lists on the overview ----

  function listSection(title, name, data, head, row) {
    let body;
    if (data.failed) body = fail(data.failed);
    else if (!data.records.length) body = h("p", { class: "muted" }, t("none"));
    else body = h("table", { "data-list": name },
      h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, t(x)); }))),
      h("tbody", {}, data.records.map(row)));
    return h("section", { class: "list" }, h("h2", {}, t(title)), body);
  }

  function cityNames(ids) {
    return (ids || []).map(function (c) { return label("city", c); }).join(L ? ", " : "、");
  }

  function overdueList(data) {
    return listSection("overdue_list", "overdue", data, ["title_col", "origin", "deadline", "overdue_parts"], function (r) {
      const parts = ((r.suggestion || {}).parts || []).filter(function (p) { return p.overdue; });
      return h("tr", { "data-id": r.id },
        h("td", {}, link("/records/" + encodeURIComponent(r.id), r.title)),
        h("td", {}, label("city", r.origin)),
        h("td", {}, (r.suggestion || {}).next_deadline || ""),
        h("td", {}, parts.map(function (p) { return label("city", p.city) + (p.unit ? paren(p.unit) : ""); }).join(L ? "; " : "；")));
    });
  }

  function activityList(data) {
    if (!data.failed) {
      data = { records: data.records.slice().sort(function (a, b) {
        const x = (a.activity || {}).held_on || "", y = (b.activity || {}).held_on || "";
        return x < y ? 1 : x > y ? -1 : 0;
      }).slice(0, 10) };
    }
    return listSection("recent_activities", "activities", data, ["title_col", "kind", "held_on", "participants", "deputies", "opinions_collected"], function (r) {
      const a = r.activity || {};
      return h("tr", { "data-id": r.id },
        h("td", {}, link("/records/" + encodeURIComponent(r.id), r.title)),
        h("td", {}, label("activity_kind", a.activity_kind)),
        h("td", {}, a.held_on || ""),
        h("td", {}, cityNames(r.participants)),
        h("td", { class: "num" }, String((a.deputies || []).length)),
        h("td", { class: "num" }, String(a.opinions_collected || 0)));
    });
  }

  // ---- records browser ----

  const FILTERS = ["kind", "status", "city", "station_id", "text", "overdue"];

  async function recordsPage(root) {
    const q = new URLSearchParams(location.search);
    const ask = new URLSearchParams();
    FILTERS.concat(["page_token"]).forEach(function (k) {
      if (q.get(k)) ask.set(k, q.get(k));
    });
    ask.set("page_size", "50");
    const results = await Promise.all([api("/api/records?" + ask.toString()), optional(api("/api/peers"))]);
    const page = results[0];
    const peers = results[1];
    const known = peers.failed ? [] : [peers.city].concat(peers.peers.map(function (p) { return p.city; }));
    add(root, h("h1", {}, t("nav_records")), filterForm(q, known));
    if (peers.failed) add(root, fail(peers.failed));
    if (!page.records.length) {
      add(root, h("p", { class: "muted", "data-list": "records", "data-count": 0 }, t("no_records")));
    } else {
      add(root, h("div", { class: "scroll" }, recordsTable(page.records)));
    }
    add(root, pager(q, page.next_page_token));
  }

  function select(name, current, options) {
    return h("select", { name: name, id: "f-" + name },
      h("option", { value: "" }, t("any")),
      options.map(function (o) {
        return h("option", { value: o[0], selected: o[0] === current ? "selected" : null }, o[1]);
      }));
  }

  function field(name, control) {
    return h("label", { for: "f-" + name }, h("span", {}, t(name)), control);
  }

  function filterForm(q, known) {
    const kind = q.get("kind") || "";
    const kinds = Object.keys(LABELS.kind).map(function (k) { return [k, label("kind", k)]; });
    const statuses = [];
    Object.keys(LABELS.status).filter(function (k) { return !kind || k === kind; }).forEach(function (k) {
      Object.keys(LABELS.status[k]).forEach(function (st) {
        if (!statuses.some(function (o) { return o[0] === st; })) {
          statuses.push([st, label("status", st, k) + (kind ? "" : paren(label("kind", k)))]);
        }
      });
    });
    const cities = known.map(function (c) { return [c, label("city", c)]; });
    return h("form", { method: "get", action: "/records", class: "filters", "data-filters": "" },
      field("kind", select("kind", kind, kinds)),
      field("status", select("status", q.get("status") || "", statuses)),
      field("city", select("city", q.get("city") || "", cities)),
      field("station_id", h("input", { name: "station_id", id: "f-station_id", value: q.get("station_id") || "", size: 20 })),
      field("text", h("input", { name: "text", id: "f-text", value: q.get("text") || "", size: 16 })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "overdue", value: "true", checked: q.get("overdue") === "true" ? "checked" : null }), t("overdue")),
      h("button", { type: "submit" }, t("filter")),
      link("/records", t("clear")));
  }

  function statusCell(r) {
    const overdue = r.suggestion && r.suggestion.overdue;
    return h("td", {}, label("status", r.status, r.kind), overdue ? h("span", { class: "badge timeout" }, t("suggestions_overdue")) : null);
  }

  function recordsTable(records) {
    const head = ["record", "kind", "title_col", "status", "origin", "participants", "updated_at"];
    return h("table", { class: "records", "data-list": "records", "data-count": records.length },
      h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, t(x)); }))),
      h("tbody", {}, records.map(function (r) {
        const href = "/records/" + encodeURIComponent(r.id);
        return h("tr", { "data-id": r.id, "data-kind": r.kind, "data-status": r.status },
          h("td", { class: "id" }, link(href, r.id)),
          h("td", {}, label("kind", r.kind)),
          h("td", {}, link(href, r.title)),
          statusCell(r),
          h("td", {}, label("city", r.origin)),
          h("td", {}, cityNames(r.participants)),
          h("td", {}, when(r.updated_at)));
      })));
  }

  function pager(q, next) {
    const nav = h("nav", { class: "pager" });
    if (q.get("page_token")) {
      const first = new URLSearchParams(q);
      first.delete("page_token");
      nav.append(link("/records?" + first.toString(), t("first_page")));
    }
    if (next) {
      const more = new URLSearchParams(q);
      more.set("page_token", next);
      nav.append(h("a", { href: "/records?" + more.toString(), "data-next": next }, t("next_page")));
    }
    return nav;
  }

  // ---- one record ----

  async function recordPage(root, id) {
    const r = await api("/api/records/" + encodeURIComponent(id));
    document.title = r.title + " · " + t("title");
    add(root, 
      h("p", { class: "crumbs" }, link("/records", t("nav_records")), " / ", h("code", {}, r.id)),
      h("h1", { "data-record": r.id }, r.title),
      h("section", {}, h("h2", {}, t("fields")), details(r)),
      r.suggestion ? partsTable(r.suggestion.parts) : null,
      h("section", {}, h("h2", {}, t("history")), historyTable(r.history)));
  }

  function dl(pairs) {
    return h("dl", { class: "fields" }, pairs.filter(function (p) {
      return p[1] !== "" && p[1] !== undefined && p[1] !== null && !(Array.isArray(p[1]) && !p[1].length);
    }).map(function (p) {
      return [h("dt", {}, p[0]), h("dd", { "data-field": p[2] || null }, shown(p[1]))];
    }));
  }

  function shown(v) {
    if (v instanceof Node) return v;
    return Array.isArray(v) ? v.join(L ? ", " : "、") : String(v);
  }

  function recordLink(id) {
    return id ? link("/records/" + encodeURIComponent(id), id) : "";
  }

  function details(r) {
    const base = [
      [t("kind"), label("kind", r.kind), "kind"],
      [t("status"), label("status", r.status, r.kind), "status"],
      [t("origin"), label("city", r.origin), "origin"],
      [t("participants"), cityNames(r.participants), "participants"],
      [t("created_at"), when(r.created_at)],
      [t("updated_at"), when(r.updated_at)],
      [t("version"), r.version],
    ];
    return dl(base.concat(kindFields(r)));
  }

  // Kind-specific fields, named in the page's language.
  function kindFields(r) {
    const pair = function (zh, en, v) { return [L ? en : zh, v]; };
    if (r.station) {
      const x = r.station;
      return [pair("名称", "Name", x.name), pair("乡镇", "Township", x.township), pair("县区", "County", x.county),
        pair("地址", "Address", x.address), pair("备注", "Note", x.note), pair("撤销原因", "Closed because", x.closed_reason),
        pair("本站记录", "Its records", link("/records?station_id=" + encodeURIComponent(r.id), L ? "list" : "查看"))];
    }
    if (r.suggestion) {
      const x = r.suggestion;
      return [pair("正文", "Text", x.body), pair("提出代表", "Proposers", x.proposers), pair("届次年度", "Congress year", x.year || ""),
        pair("联络站", "Station", recordLink(x.station_id)), pair("评价", "Rating", x.rating ? label("rating", x.rating) : ""),
        pair("评价意见", "Rating comment", x.rating_comment), pair("结转至", "Carried over to", x.carried_over_to),
        pair("逾期", "Overdue", x.overdue ? t("yes") : "")];
    }
    if (r.dispute) {
      const x = r.dispute;
      return [pair("情况", "Description", x.description), pair("地点", "Location", x.location), pair("当事方", "Parties", x.parties),
        pair("面积（亩）", "Area (mu)", x.area_mu || ""), pair("联络站", "Station", recordLink(x.station_id)), pair("调解次数", "Sessions", x.sessions.length || ""),
        pair("协议", "Agreement", x.agreement), pair("已确认城市", "Confirmed by", cityNames(x.confirmed_by)),
        pair("回访", "Checks", x.checks.map(function (c) { return c.date + (c.passed ? " ✓" : " ✗"); })),
        pair("上报至", "Escalated to", x.escalated_to), pair("结果", "Outcome", x.outcome_note)];
    }
    if (r.activity) {
      const x = r.activity;
      return [pair("活动类型", "Activity kind", label("activity_kind", x.activity_kind)), pair("计划日期", "Date", x.date),
        pair("地点", "Place", x.place), pair("联络站", "Station", recordLink(x.station_id)),
        pair("内容", "Description", x.description), pair("开展日期", "Held on", x.held_on),
        pair("参与代表", "Deputies", x.deputies.map(function (d) { return d.name + paren(label("city", d.city)); })),
        pair("收集意见", "Opinions", x.opinions_collected || ""), pair("解决问题", "Problems solved", x.problems_solved || ""),
        pair("报告", "Report", x.report), pair("取消原因", "Cancelled because", x.cancel_reason)];
    }
    return [];
  }

  function partsTable(parts) {
    if (!parts || !parts.length) return null;
    const head = ["city", "unit", "deadline", "status", "answer"];
    return h("section", {}, h("h2", {}, t("parts")),
      h("table", { "data-list": "parts" },
        h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, t(x)); }))),
        h("tbody", {}, parts.map(function (p) {
          return h("tr", { "data-city": p.city, class: p.overdue ? "overdue" : null },
            h("td", {}, label("city", p.city)), h("td", {}, p.unit), h("td", {}, p.deadline),
            h("td", {}, label("status", p.status, "suggestion"), p.overdue ? h("span", { class: "badge timeout" }, t("suggestions_overdue")) : null),
            h("td", {}, p.answer));
        }))));
  }

  function historyTable(history) {
    const head = ["time", "city", "user", "change", "signature", "applied"];
    return h("table", { class: "history", "data-list": "history", "data-count": history.length },
      h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, t(x)); }))),
      h("tbody", {}, history.map(function (e) {
        return h("tr", {
          "data-event": e.id, "data-city": e.author_city, "data-user": e.author_user,
          "data-type": e.type, "data-verified": String(e.verified), "data-rejected": String(e.rejected),
          class: e.rejected ? "rejected" : null,
        },
        h("td", {}, when(e.at)),
        h("td", {}, label("city", e.author_city)),
        h("td", {}, e.author_user),
        h("td", {}, h("code", {}, e.type), " ", e.summary),
        h("td", { class: e.verified ? "good" : "bad" }, e.verified ? t("verified") : t("not_verified")),
        h("td", {}, e.rejected ? t("rejected") + (L ? ": " : "：") + e.reason : t("accepted")));
      })));
  }

  // ---- start ----

  async function start() {
    document.documentElement.lang = L ? "en" : "zh-CN";
    document.title = t("title");
    const path = location.pathname.replace(/\/+$/, "") || "/";
    document.getElementById("top").append(header(path));
    const root = document.getElementById("app");
    root.textContent = "";
    try {
      if (path === "/") await overviewPage(root);
      else if (path === "/records") await recordsPage(root);
      else if (path.indexOf("/records/") === 0) await recordPage(root, decodeURIComponent(path.slice(9)));
      else add(root, fail(t("not_found")));
    } catch (e) {
      add(root, fail(e.message || String(e)));
    }
    document.body.dataset.ready = "1";
  }

  start();
})();
