// Lianluo web dashboard, the records browser (/records: filters, table, pager) and one
// record's page (/records/{id}: its fields, a suggestion's parts, its signed history).
// Uses core.js's helpers; exports window.Lianluo.recordsPage and recordPage.
"use strict";

(function () {
  const LL = window.Lianluo;
  const L = LL.L, LABELS = LL.LABELS, t = LL.t, label = LL.label, h = LL.h, add = LL.add;
  const link = LL.link, when = LL.when, day = LL.day, paren = LL.paren, cityNames = LL.cityNames;
  const api = LL.api, optional = LL.optional, fail = LL.fail;

  // ---- records browser ----

  const FILTERS = ["kind", "status", "city", "station_id", "text", "overdue"];

  async function recordsPage(root) {
    const q = new URLSearchParams(location.search);
    const ask = new URLSearchParams();
    FILTERS.concat(["page_token"]).forEach(function (k) {
      if (q.get(k)) ask.set(k, q.get(k));
    });
    ask.set("page_size", q.get("page_size") || "50");
    const results = await Promise.all([api("/api/records?" + ask.toString()), optional(api("/api/peers")),
      optional(allStations())]);
    const page = results[0];
    const peers = results[1];
    const known = peers.failed ? [] : [peers.city].concat(peers.peers.map(function (p) { return p.city; }));
    const stations = results[2].failed ? [] : results[2].records.map(function (s) { return [s.id, s.title]; });
    add(root, h("h1", {}, t("nav_records")), filterForm(q, known, stations));
    if (peers.failed) add(root, fail(peers.failed));
    if (!page.records.length) {
      add(root, h("p", { class: "muted", "data-list": "records", "data-count": 0 }, t("no_records")));
    } else {
      add(root, h("div", { class: "scroll" }, recordsTable(page.records)));
    }
    // The node counts the matches on the first page when it keeps that count (no filter,
    // or one it counts); later pages carry it along in their links.
    const total = page.total !== undefined && page.total !== null ? String(page.total) : q.get("total");
    if (total) {
      add(root, h("p", { class: "muted", "data-total": total }, L ? total + " records in all" : "共" + total + "条记录"));
    }
    add(root, pager(q, page.next_page_token, total));
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

  function filterForm(q, known, stations) {
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
      field("station_id", stationSelect(q.get("station_id") || "", stations)),
      field("text", h("input", { name: "text", id: "f-text", value: q.get("text") || "", size: 16 })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "overdue", value: "true", checked: q.get("overdue") === "true" ? "checked" : null }), t("overdue")),
      q.get("page_size") ? h("input", { type: "hidden", name: "page_size", value: q.get("page_size") }) : null,
      h("button", { type: "submit" }, t("filter")),
      link("/records", t("clear")));
  }

  // Every station this node holds (following the pages, at most 20 of 500).
  async function allStations() {
    let records = [], token = "";
    for (let i = 0; i < 20; i++) {
      const page = await api("/api/records?kind=station&page_size=500" + (token ? "&page_token=" + encodeURIComponent(token) : ""));
      records = records.concat(page.records);
      token = page.next_page_token;
      if (!token) break;
    }
    return { records: records };
  }

  // Stations by name; one asked for by id that this node does not list stays selectable.
  function stationSelect(current, stations) {
    const options = stations.slice();
    if (current && !options.some(function (o) { return o[0] === current; })) options.push([current, current]);
    return select("station_id", current, options);
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

  // First, previous and next page. The tokens of the pages before this one travel in the
  // address (`back`), so the previous page is one click away too.
  function pager(q, next, total) {
    const nav = h("nav", { class: "pager" });
    q = new URLSearchParams(q);
    if (total) q.set("total", total);
    const back = q.get("back") ? q.get("back").split(",") : [];
    if (q.get("page_token")) {
      const first = new URLSearchParams(q);
      first.delete("page_token");
      first.delete("back");
      nav.append(link("/records?" + first.toString(), t("first_page")));
      const prev = new URLSearchParams(q);
      const before = back.slice(0, -1);
      const token = back[back.length - 1] || "";
      if (token) prev.set("page_token", token); else prev.delete("page_token");
      if (before.length) prev.set("back", before.join(",")); else prev.delete("back");
      nav.append(" ", h("a", { href: "/records?" + prev.toString(), "data-prev": token || "first" }, t("prev_page")));
    }
    if (next) {
      const more = new URLSearchParams(q);
      more.set("page_token", next);
      if (q.get("page_token")) more.set("back", back.concat([q.get("page_token")]).join(",")); else more.delete("back");
      nav.append(" ", h("a", { href: "/records?" + more.toString(), "data-next": next }, t("next_page")));
    }
    return nav;
  }

  // ---- one record ----

  // Names of the stations the record page links, by id (filled before it renders).
  let stationNames = {};

  async function recordPage(root, id) {
    const r = await api("/api/records/" + encodeURIComponent(id));
    const sid = ((r.suggestion || r.dispute || r.activity) || {}).station_id;
    stationNames = {};
    if (sid) {
      // A station this node does not hold (not shared with this city) shows its id.
      const st = await optional(api("/api/records/" + encodeURIComponent(sid)));
      if (!st.failed) stationNames[sid] = st.title;
    }
    document.title = r.title + " · " + t("title");
    add(root, 
      h("p", { class: "crumbs" }, link("/records", t("nav_records")), " / ", h("code", {}, r.id)),
      h("h1", { "data-record": r.id }, r.title),
      h("section", {}, h("h2", {}, t("fields")), details(r)),
      r.suggestion ? partsTable(r.suggestion.parts, r.history || []) : null,
      r.activity ? opinionsTable(r.activity.opinions) : null,
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

  function stationLink(id) {
    if (!id) return "";
    const a = link("/records/" + encodeURIComponent(id), stationNames[id] || id);
    a.setAttribute("data-station", id);
    return a;
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
      return [pair("名称", "Name", x.name), pair("设立日期", "Founded on", day(x.founded_on)),
        pair("乡镇", "Township", x.township), pair("县区", "County", x.county),
        pair("地址", "Address", x.address), pair("备注", "Note", x.note), pair("撤销原因", "Closed because", x.closed_reason),
        pair("本站记录", "Its records", link("/records?station_id=" + encodeURIComponent(r.id), L ? "list" : "查看"))];
    }
    if (r.suggestion) {
      const x = r.suggestion;
      return [pair("正文", "Text", x.body), pair("提出代表", "Proposers", x.proposers),
        pair("提出日期", "Submitted on", day(x.submitted_on)), pair("所属年度", "Congress year", x.year || ""),
        pair("联络站", "Station", stationLink(x.station_id)), pair("测评结果", "Rating", x.rating ? label("rating", x.rating) : ""),
        pair("测评意见", "Rating comment", x.rating_comment),
        [L ? "Proposers' ratings" : "代表测评", (x.proposer_ratings || []).map(function (p) {
          return p.proposer + (L ? ": " : "：") + label("rating", p.rating) + (p.comment ? paren(p.comment) : "");
        }), "proposer_ratings"],
        [L ? "Key suggestion" : "重点督办", (x.key_supervision || []).map(function (k) {
          return label("city", k.city) + (L ? ": " : "：") + k.leader;
        }), "key_supervision"],
        pair("转下年度继续办理", "Carried over to", x.carried_over_to),
        pair("逾期", "Overdue", x.overdue ? t("yes") : "")];
    }
    if (r.dispute) {
      const x = r.dispute;
      return [pair("情况", "Description", x.description), pair("受理日期", "Reported on", day(x.reported_on)),
        pair("化解日期", "Resolved on", day(x.resolved_on)),
        pair("地点", "Location", x.location), pair("当事方", "Parties", x.parties),
        pair("面积（亩）", "Area (mu)", x.area_mu || ""), pair("联络站", "Station", stationLink(x.station_id)), pair("调解次数", "Sessions", x.sessions.length || ""),
        pair("协议", "Agreement", x.agreement), pair("已确认城市", "Confirmed by", cityNames(x.confirmed_by)),
        pair("回访", "Checks", x.checks.map(function (c) { return day(c.date) + (c.passed ? " ✓" : " ✗"); })),
        pair("上报至", "Escalated to", x.escalated_to), pair("结果", "Outcome", x.outcome_note)];
    }
    if (r.activity) {
      const x = r.activity;
      return [pair("活动类型", "Activity kind", label("activity_kind", x.activity_kind)), pair("计划日期", "Date", day(x.date)),
        pair("地点", "Place", x.place), pair("联络站", "Station", stationLink(x.station_id)),
        pair("内容", "Description", x.description), pair("开展日期", "Held on", day(x.held_on)),
        pair("参与代表", "Deputies", x.deputies.map(function (d) { return d.name + paren(label("city", d.city)); })),
        pair("收集意见", "Opinions", x.opinions_collected || ""), pair("解决问题", "Problems solved", x.problems_solved || ""),
        pair("报告", "Report", x.report), pair("取消原因", "Cancelled because", x.cancel_reason)];
    }
    if (r.project) {
      const x = r.project;
      return [[L ? "Project kind" : "项目类型", label("project_kind", x.project_kind), "project_kind"],
        pair("涉及地方", "Places", x.places), pair("内容", "Description", x.description),
        [L ? "Villages benefited" : "受益行政村", x.villages || "", "villages"],
        [L ? "People benefited" : "受益群众", x.people || "", "people"],
        pair("提出日期", "Proposed on", day(x.proposed_on)), pair("开工日期", "Started on", day(x.started_on)),
        pair("建成日期", "Completed on", day(x.completed_on)),
        pair("开工说明", "Start note", x.start_note), pair("建成说明", "Completion note", x.completion_note),
        [L ? "Suggestions behind it" : "相关建议", recordLinks(x.suggestion_ids), "suggestion_ids"],
        [L ? "Activities behind it" : "相关活动", recordLinks(x.activity_ids), "activity_ids"]];
    }
    return [];
  }

  // Links to records by id, separated as a list reads; "" for none.
  function recordLinks(ids) {
    if (!ids || !ids.length) return "";
    const items = [];
    ids.forEach(function (id, i) {
      if (i) items.push(L ? ", " : "、");
      items.push(link("/records/" + encodeURIComponent(id), id));
    });
    return h("span", {}, items);
  }

  // The day (UTC+8, YYYY-MM-DD) of `city`'s last applied act of one of `types` in the
  // history: a part's date when its act gave none.
  function actDay(history, types, city) {
    for (let i = history.length - 1; i >= 0; i--) {
      const e = history[i];
      if (types.indexOf(e.type) >= 0 && e.author_city === city && !e.rejected) {
        return new Date(Date.parse(e.at) + 8 * 3600 * 1000).toISOString().slice(0, 10);
      }
    }
    return "";
  }

  // Each city's part: its 主办 and 协办 units, 交办日期, 办理期限, status (签收, 退回 with
  // its reason), 答复日期, answer and result category.
  function partsTable(parts, history) {
    if (!parts || !parts.length) return null;
    const head = ["city", "unit", "co_units", "dispatched_on", "deadline_part", "status", "answered_on", "answer", "category"];
    return h("section", {}, h("h2", {}, t("parts")),
      h("table", { "data-list": "parts" },
        h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, t(x)); }))),
        h("tbody", {}, parts.map(function (p) {
          return h("tr", { "data-city": p.city, class: p.overdue ? "overdue" : null },
            h("td", {}, label("city", p.city)), h("td", { "data-field": "unit" }, p.unit),
            h("td", { "data-field": "co_units" }, shown(p.co_units || [])),
            h("td", {}, day(p.dispatched_on || actDay(history, ["suggestion_dispatched", "suggestion_redispatched"], p.city))), h("td", {}, day(p.deadline)),
            h("td", { "data-field": "part_status", "data-status": p.status }, label("part_status", p.status),
              p.return_reason ? (L ? ": " : "：") + p.return_reason : "",
              p.overdue ? h("span", { class: "badge timeout" }, t("suggestions_overdue")) : null),
            h("td", {}, p.status === "answered" ? day(p.answered_on || actDay(history, ["suggestion_answered"], p.city)) : ""),
            h("td", {}, p.answer),
            h("td", { "data-field": "category" }, p.category ? label("category", p.category) : ""));
        }))));
  }

  // A reception's public opinions: who, where, what, and what became of each.
  function opinionsTable(opinions) {
    if (!opinions || !opinions.length) return null;
    const head = ["number", "city", "person", "content", "status", "handling"];
    return h("section", {}, h("h2", {}, t("opinions")),
      h("table", { "data-list": "opinions" },
        h("thead", {}, h("tr", {}, head.map(function (x) { return h("th", {}, t(x)); }))),
        h("tbody", {}, opinions.map(function (o) {
          const handling = o.status === "answered" ? o.answer
            : o.status === "referred" ? (L ? "to " : "转交") + o.unit
            : o.status === "fed_back" ? o.unit + (L ? ": " : "：") + o.feedback : "";
          return h("tr", { "data-opinion": o.city + "-" + o.number, "data-status": o.status, "data-solved": String(!!o.solved) },
            h("td", {}, String(o.number)), h("td", {}, label("city", o.city)),
            h("td", {}, o.person + (o.place ? paren(o.place) : "")), h("td", {}, o.content),
            h("td", { "data-field": "opinion_status" }, label("opinion_status", o.status), o.solved ? paren(t("solved")) : ""),
            h("td", {}, handling));
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
        h("td", {}, h("code", {}, e.type), " ", L && e.summary_en ? e.summary_en : e.summary),
        h("td", { class: e.verified ? "good" : "bad" }, e.verified ? t("verified") : t("not_verified")),
        h("td", {}, e.rejected ? t("rejected") + (L ? ": " : "：") + e.reason : t("accepted")));
      })));
  }

  LL.recordsPage = recordsPage;
  LL.recordPage = recordPage;
})();
