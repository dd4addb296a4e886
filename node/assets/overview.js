// Lianluo web dashboard, the overview (/): the cities' table with their outcomes and
// links, the key numbers, the charts (inline SVG, one bar per key, one segment per city)
// and the lists of overdue suggestions and recent activities. Uses core.js's helpers;
// exports window.Lianluo.overviewPage.
"use strict";

(function () {
  const LL = window.Lianluo;
  const L = LL.L, LABELS = LL.LABELS, t = LL.t, label = LL.label, h = LL.h, s = LL.s, add = LL.add;
  const link = LL.link, when = LL.when, day = LL.day, paren = LL.paren, ago = LL.ago, cityNames = LL.cityNames;
  const api = LL.api, optional = LL.optional, fail = LL.fail;

  const COLORS = ["#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#566573"];
  // A city's figures count the records it originated (牵头); `deputies` in the total counts
  // each deputy once across the cities.
  const KEY_FIGURES = ["stations", "suggestions", "joint_suggestions", "suggestions_overdue",
    "disputes", "disputes_mediated", "disputes_resolved_in_year", "activities", "deputies",
    "deputy_attendances", "opinions_collected", "projects", "road_links", "road_link_villages",
    "road_link_people"];
  // Key numbers read from a map figure: completed road links (up to the year's end) and
  // the villages and people they serve.
  const FROM_MAPS = {
    road_links: "projects_completed_by_kind",
    road_link_villages: "villages_benefited_by_kind",
    road_link_people: "people_benefited_by_kind",
  };
  // Kinds of the participation table: what a city leads beside what it takes part in.
  const PARTICIPATION = ["stations", "suggestions", "disputes", "activities", "projects"];

  // ---- overview ----

  // A city of the overview as people read it: the name its entry carries (its node's
  // config) on Chinese pages, else the known name or its id.
  function cityName(c) {
    return !L && c.name ? c.name : label("city", c.city);
  }

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
          yearPicker(ov.year), " · ", reportLinks(ov.year))),
      partialBanner(ov),
      citiesTable(ov, results[1]),
      keyNumbers(ov.total),
      participationTable(ov),
      h("section", { class: "charts" },
        chart(ov, "suggestions_by_status", statusKeys("suggestion"), function (k) { return label("status", k, "suggestion"); }),
        chart(ov, "ratings", Object.keys(LABELS.rating), function (k) { return label("rating", k); }),
        chart(ov, "disputes_by_status", statusKeys("dispute"), function (k) { return label("status", k, "dispute"); }),
        chart(ov, "activities_by_kind", Object.keys(LABELS.activity_kind), function (k) { return label("activity_kind", k); }),
        chart(ov, "projects_completed_by_kind", Object.keys(LABELS.project_kind), function (k) { return label("project_kind", k); }),
        chart(ov, "activities_by_month", [], function (k) { return k; })),
      h("div", { class: "lists" }, overdueList(results[2]), activityList(results[3])));
    if (!cities.length) add(root, fail("no cities"));
  }

  // The year's report to read or hand on: a web page, a Word document, Markdown; and the
  // year's suggestions as the office workbook (交办清单, 办理台账).
  function reportLinks(year) {
    // All years (历年累计) when the overview shows all years; the workbook is by year.
    const y = year || "all";
    const reportLink = function (format, name) {
      return h("a", { href: "/api/report?year=" + y + "&format=" + format, "data-report": format }, t(name));
    };
    return h("span", { class: "report-links" }, t("report") + paren(year ? y : t("all_years")) + ": ",
      reportLink("html", "report_page"), " · ", reportLink("docx", "report_word"), " · ", reportLink("md", "report_md"),
      " · ", h("a", { href: "/api/export?year=" + (year || new Date().getFullYear()), "data-export": "xlsx" }, t("export_xlsx")));
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
      return cityName(c) + " " + outcomeText(c) + (c.error ? " — " + c.error : "");
    });
    return h("div", { class: "banner partial", role: "alert", "data-partial": "true" },
      h("strong", {}, t("partial")), " ", t("partial_hint"), bad.join(L ? "; " : "；"));
  }

  function figureCell(city, figures, key) {
    const v = figureOf(figures, key);
    return h("td", { class: "num", "data-city": city, "data-figure": FROM_MAPS[key] || key,
      "data-key": FROM_MAPS[key] ? "road_link" : null, "data-value": v === undefined ? null : v },
    v === undefined ? "—" : String(v));
  }

  // A key figure of a city or the total (undefined without figures): a field, or a road
  // link entry of a map figure.
  function figureOf(figures, key) {
    if (!figures) return undefined;
    if (FROM_MAPS[key]) return (figures[FROM_MAPS[key]] || {}).road_link || 0;
    return figures[key];
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
        h("th", { scope: "row" }, cityName(c), c.local ? h("small", {}, t("this_node")) : null),
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

  // Per city, the records it leads (牵头) beside those of other cities it takes part in
  // (参与). No total: a record takes part in several cities.
  function participationTable(ov) {
    const head = [t("city")];
    PARTICIPATION.forEach(function (k) { head.push(t(k) + paren(t("led")), t(k) + paren(t("taking_part"))); });
    const rows = ov.cities.map(function (c) {
      const f = c.figures;
      const cells = [];
      PARTICIPATION.forEach(function (k) {
        cells.push(h("td", { class: "num" }, f ? String(f[k] || 0) : "—"));
        const p = f && f.participating;
        const v = p ? p[k] || 0 : undefined;
        cells.push(h("td", { class: "num", "data-city": c.city, "data-figure": "participating", "data-key": k, "data-value": v },
          v === undefined ? "—" : String(v)));
      });
      return h("tr", { "data-city": c.city }, h("th", { scope: "row" }, cityName(c)), cells);
    });
    return h("section", {},
      h("h2", {}, t("participation")),
      h("div", { class: "scroll" },
        h("table", { class: "participation" },
          h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, x); }))),
          h("tbody", {}, rows))));
  }

  function keyNumbers(total) {
    return h("section", { class: "cards", "aria-label": t("key_numbers") },
      KEY_FIGURES.map(function (k) {
        const v = figureOf(total, k);
        let name = t(k);
        if (k === "disputes_resolved_in_year" && total && total.resolved_year) name += paren(total.resolved_year);
        return h("div", { class: "card" + (k === "suggestions_overdue" && v > 0 ? " warn" : "") },
          h("div", { class: "big", "data-city": "total", "data-figure": FROM_MAPS[k] || k, "data-key": FROM_MAPS[k] ? "road_link" : null, "data-value": v },
            v === undefined ? "—" : String(v)),
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
        }, s("title", {}, cityName(c) + " · " + name(k) + ": " + v)));
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
      g.append(s("text", { x: x + 14, y: y }, cityName(c)));
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

  function overdueList(data) {
    return listSection("overdue_list", "overdue", data, ["title_col", "origin", "deadline", "overdue_parts"], function (r) {
      const parts = ((r.suggestion || {}).parts || []).filter(function (p) { return p.overdue; });
      return h("tr", { "data-id": r.id },
        h("td", {}, link("/records/" + encodeURIComponent(r.id), r.title)),
        h("td", {}, label("city", r.origin)),
        h("td", {}, day((r.suggestion || {}).next_deadline)),
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
        h("td", {}, day(a.held_on)),
        h("td", {}, cityNames(r.participants)),
        h("td", { class: "num" }, String((a.deputies || []).length)),
        h("td", { class: "num" }, String(a.opinions_collected || 0)));
    });
  }

  LL.overviewPage = overviewPage;
})();
