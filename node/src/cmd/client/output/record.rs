//! One record for people, in English (ids and field names as the API has them) or in
//! Chinese (`--lang zh`, or a Chinese `LANG`): labels, statuses, kinds, cities and the
//! history's summaries in Chinese, times in Beijing time (2026年5月23日14:05).

use std::fmt::Write as _;

use lianluo_proto::{
    ActivityView, DisputeView, HistoryEntry, ProjectView, PublicOpinion, Record, StationView,
    SuggestionPart, SuggestionView,
};

use lianluo_node::dashboard::labels::{self, Lang};

/// Text being written in one language.
struct Out<'a> {
    s: String,
    lang: Lang,
    names: &'a super::Names,
}

impl Out<'_> {
    /// The English or the Chinese word.
    fn w<'a>(&self, en: &'a str, zh: &'a str) -> &'a str {
        match self.lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// `label: value`, skipping empty values.
    fn field(&mut self, en: &str, zh: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let label = self.w(en, zh);
        let colon = self.w(":", "：");
        // Pad by display columns: a Chinese character (and colon) takes two.
        let width = super::columns(label) + super::columns(colon);
        let pad = " ".repeat(14usize.saturating_sub(width));
        let _ = writeln!(self.s, "{label}{colon}{pad}{value}");
    }

    fn list(&mut self, en: &str, zh: &str, values: &[String]) {
        self.field(en, zh, &values.join("、"));
    }

    fn city(&self, id: &str) -> String {
        self.names.city(id, self.lang)
    }

    /// A `YYYY-MM-DD` date: as is in English, 2026年5月23日 in Chinese.
    fn day(&self, ymd: &str) -> String {
        let parts: Vec<u32> = ymd.split('-').filter_map(|p| p.parse().ok()).collect();
        match (self.lang, parts.as_slice()) {
            (Lang::Zh, [y, m, d]) => format!("{y}年{m}月{d}日"),
            _ => ymd.to_owned(),
        }
    }

    /// An RFC 3339 time: as is in English, in Beijing time in Chinese.
    fn time(&self, rfc: &str) -> String {
        super::local_time(rfc, self.lang)
    }
}

/// A readable summary of one record with its history, in `lang`; cities by `names`.
pub fn record(r: &Record, lang: Lang, names: &super::Names) -> String {
    let mut o = Out {
        s: String::new(),
        lang,
        names,
    };
    let (kind, status) = match lang {
        Lang::En => (r.kind.clone(), r.status.clone()),
        Lang::Zh => (
            labels::kind(&r.kind, lang).to_owned(),
            labels::status(&r.kind, &r.status, lang).to_owned(),
        ),
    };
    let _ = writeln!(o.s, "{}  {kind}  {status}", r.id);
    o.field("title", "标题", &r.title);
    let origin = o.city(&r.origin);
    o.field("origin", "发起城市", &origin);
    let cities: Vec<String> = r.participants.iter().map(|c| o.city(c)).collect();
    let sep = o.w(", ", "、");
    o.field("participants", "参与城市", &cities.join(sep));
    o.field("version", "版本", &r.version.to_string());
    let (created, updated) = (o.time(&r.created_at), o.time(&r.updated_at));
    o.field("created", "录入时间", &created);
    o.field("updated", "更新时间", &updated);
    if let Some(s) = &r.station {
        station(&mut o, s);
    }
    if let Some(s) = &r.suggestion {
        suggestion(&mut o, s);
    }
    if let Some(d) = &r.dispute {
        dispute(&mut o, d);
    }
    if let Some(a) = &r.activity {
        activity(&mut o, a);
    }
    if let Some(p) = &r.project {
        project(&mut o, p);
    }
    if !r.history.is_empty() {
        o.s.push_str(o.w("history:\n", "完整历史：\n"));
        for h in &r.history {
            history_line(&mut o, h);
        }
    }
    o.s
}

fn station(o: &mut Out, s: &StationView) {
    o.field("name", "名称", &s.name);
    o.field("founded on", "设立日期", &s.founded_on);
    o.field("township", "乡镇", &s.township);
    o.field("county", "县区", &s.county);
    o.field("address", "地址", &s.address);
    o.field("note", "备注", &s.note);
    o.field("closed", "撤销原因", &s.closed_reason);
}

/// One city's part: its status, 主办 and 协办 units, deadline, progress and answer.
fn part(o: &mut Out, p: &SuggestionPart, overdue: &str) {
    let city = o.city(&p.city);
    let status = match o.lang {
        Lang::En => p.status.clone(),
        Lang::Zh => labels::part_status(&p.status, Lang::Zh).to_owned(),
    };
    let line = match o.lang {
        Lang::En => format!(
            "part {city}:  {status} → {} (deadline {}){overdue}",
            p.unit, p.deadline
        ),
        Lang::Zh => format!(
            "{city}承办：{status}，主办单位{}，办理期限{}{overdue}",
            p.unit, p.deadline
        ),
    };
    let _ = writeln!(o.s, "{line}");
    if !p.co_units.is_empty() {
        let units = p.co_units.join(o.w(", ", "、"));
        let _ = writeln!(o.s, "    {}{units}", o.w("with:     ", "协办单位："));
    }
    if !p.return_reason.is_empty() {
        let label = o.w("returned: ", "退回理由：");
        let _ = writeln!(o.s, "    {label}{}", p.return_reason);
    }
    for note in &p.progress {
        let _ = writeln!(o.s, "    {}{note}", o.w("progress: ", "办理进展："));
    }
    if !p.answer.is_empty() {
        let _ = writeln!(o.s, "    {}{}", o.w("answer:   ", "答复："), p.answer);
    }
    if !p.category.is_empty() {
        let category = labels::category(&p.category, o.lang).to_owned();
        let _ = writeln!(o.s, "    {}{category}", o.w("category: ", "办理结果："));
    }
}

fn suggestion(o: &mut Out, s: &SuggestionView) {
    o.list("proposers", "提出代表", &s.proposers);
    o.field("submitted on", "提出日期", &s.submitted_on);
    o.field("station", "联络站", &s.station_id);
    if s.year != 0 {
        o.field("year", "所属年度", &s.year.to_string());
    }
    o.field("body", "正文", &s.body);
    for p in &s.parts {
        let overdue = if p.overdue {
            o.w("  OVERDUE", "  逾期")
        } else {
            ""
        };
        part(o, p, overdue);
    }
    o.field("next deadline", "最早期限", &s.next_deadline);
    if s.overdue {
        let yes = o.w("yes", "是");
        o.field("overdue", "逾期", yes);
    }
    let rating = match o.lang {
        Lang::En => s.rating.clone(),
        Lang::Zh => labels::rating(&s.rating, Lang::Zh).to_owned(),
    };
    o.field("rating", "测评结果", &rating);
    o.field("comment", "测评意见", &s.rating_comment);
    for r in &s.proposer_ratings {
        let rating = labels::rating(&r.rating, o.lang).to_owned();
        let line = match o.lang {
            Lang::En => format!("rated by {}: {rating}", r.proposer),
            Lang::Zh => format!("{}测评：{rating}", r.proposer),
        };
        let _ = writeln!(o.s, "{line}");
        if !r.comment.is_empty() {
            let _ = writeln!(o.s, "    {}{}", o.w("comment:  ", "意见："), r.comment);
        }
    }
    for k in &s.key_supervision {
        let city = o.city(&k.city);
        let line = match o.lang {
            Lang::En => format!("key suggestion of {city}, supervised by {}", k.leader),
            Lang::Zh => format!("{city}重点督办，督办领导：{}", k.leader),
        };
        let _ = writeln!(o.s, "{line}");
    }
    if !s.carried_over_to.is_empty() {
        let years: Vec<String> = s.carried_over_to.iter().map(u32::to_string).collect();
        let sep = o.w(", ", "、");
        o.field("carried to", "转下年度继续办理", &years.join(sep));
    }
}

fn dispute(o: &mut Out, d: &DisputeView) {
    o.field("description", "情况", &d.description);
    o.field("reported on", "受理日期", &d.reported_on);
    o.field("resolved on", "化解日期", &d.resolved_on);
    o.field("location", "地点", &d.location);
    o.list("parties", "当事方", &d.parties);
    if d.area_mu != 0.0 {
        o.field("area", "面积", &format!("{}亩", d.area_mu));
    }
    o.field("station", "联络站", &d.station_id);
    for s in &d.sessions {
        let by = o.city(&s.recorded_by);
        let line = match o.lang {
            Lang::En => format!("session {} at {} (by {by}): {}", s.date, s.place, s.summary),
            Lang::Zh => format!("调解会议 {} {}（{by}记录）：{}", s.date, s.place, s.summary),
        };
        let _ = writeln!(o.s, "{line}");
        if !s.attendees.is_empty() {
            let _ = writeln!(
                o.s,
                "    {}{}",
                o.w("attendees: ", "参加人员："),
                s.attendees.join("、")
            );
        }
    }
    o.field("agreement", "调解协议", &d.agreement);
    if !d.agreement.is_empty() {
        let state = if d.in_force {
            o.w("in force", "已生效")
        } else {
            o.w("not yet in force", "尚未生效")
        };
        let by: Vec<String> = d.confirmed_by.iter().map(|c| o.city(c)).collect();
        let by = if by.is_empty() {
            o.w("nobody", "无").to_owned()
        } else {
            by.join("、")
        };
        o.field("confirmed by", "已确认城市", &format!("{by} ({state})"));
    }
    for c in &d.checks {
        let result = if c.passed {
            o.w("passed", "通过")
        } else {
            o.w("not passed", "未通过")
        };
        let city = o.city(&c.city);
        let line = match o.lang {
            Lang::En => format!("check {} by {city}: {result}  {}", c.date, c.note),
            Lang::Zh => format!("回访检查 {}（{city}）：{result}  {}", c.date, c.note),
        };
        let _ = writeln!(o.s, "{line}");
    }
    o.field("escalated to", "上报至", &d.escalated_to);
    o.field("outcome", "结果", &d.outcome_note);
}

fn activity(o: &mut Out, a: &ActivityView) {
    let kind = match o.lang {
        Lang::En => a.activity_kind.clone(),
        Lang::Zh => labels::activity_kind(&a.activity_kind, Lang::Zh).to_owned(),
    };
    o.field("activity", "活动类型", &kind);
    o.field("station", "联络站", &a.station_id);
    o.field("date", "计划日期", &a.date);
    o.field("place", "地点", &a.place);
    o.field("description", "内容", &a.description);
    o.field("held on", "开展日期", &a.held_on);
    let deputies: Vec<String> = a
        .deputies
        .iter()
        .map(|d| match o.lang {
            Lang::En => format!("{}@{}", d.name, d.city),
            Lang::Zh => format!("{}（{}）", d.name, o.city(&d.city)),
        })
        .collect();
    o.list("deputies", "参与代表", &deputies);
    if !a.held_on.is_empty() {
        o.field("opinions", "收集意见", &a.opinions_collected.to_string());
        o.field("solved", "解决问题", &a.problems_solved.to_string());
    }
    o.field("report", "报告", &a.report);
    o.field("cancelled", "取消原因", &a.cancel_reason);
    if !a.opinions.is_empty() {
        o.s.push_str(o.w("public opinions:\n", "群众意见：\n"));
        for p in &a.opinions {
            opinion(o, p);
        }
    }
}

/// One public opinion on a line: who, where, what, and what became of it.
fn opinion(o: &mut Out, p: &PublicOpinion) {
    let city = o.city(&p.city);
    let solved = match (p.solved, o.lang) {
        (true, Lang::Zh) => "（已解决）",
        (true, Lang::En) => " (solved)",
        (false, _) => "",
    };
    let outcome = match (p.status.as_str(), o.lang) {
        ("answered", Lang::Zh) => format!("当场答复：{}{solved}", p.answer),
        ("answered", Lang::En) => format!("answered on the spot: {}{solved}", p.answer),
        ("referred", Lang::Zh) => format!("已转交{}办理", p.unit),
        ("referred", Lang::En) => format!("passed to {}", p.unit),
        ("fed_back", Lang::Zh) => format!("{}反馈：{}{solved}", p.unit, p.feedback),
        ("fed_back", Lang::En) => format!("{} answered: {}{solved}", p.unit, p.feedback),
        (_, Lang::Zh) => "待处理".to_owned(),
        (_, Lang::En) => "received".to_owned(),
    };
    let place = if p.place.is_empty() {
        String::new()
    } else {
        match o.lang {
            Lang::Zh => format!("（{}）", p.place),
            Lang::En => format!(" (at {})", p.place),
        }
    };
    // Numbered among its city's opinions, the number its city's acts name it by.
    let _ = match o.lang {
        Lang::Zh => writeln!(
            o.s,
            "  {city}{}. {}{place}：{} — {outcome}",
            p.number, p.person, p.content
        ),
        Lang::En => writeln!(
            o.s,
            "  {city} {}. {}{place}: {} — {outcome}",
            p.number, p.person, p.content
        ),
    };
}

fn project(o: &mut Out, p: &ProjectView) {
    let kind = match o.lang {
        Lang::En => p.project_kind.clone(),
        Lang::Zh => labels::project_kind(&p.project_kind, Lang::Zh).to_owned(),
    };
    o.field("project", "项目类型", &kind);
    o.list("places", "涉及地方", &p.places);
    o.field("description", "内容", &p.description);
    if p.villages != 0 {
        o.field("villages", "受益行政村", &p.villages.to_string());
    }
    if p.people != 0 {
        o.field("people", "受益群众", &p.people.to_string());
    }
    for (en, zh, date) in [
        ("proposed on", "提出日期", &p.proposed_on),
        ("started on", "开工日期", &p.started_on),
        ("completed on", "建成日期", &p.completed_on),
    ] {
        let day = o.day(date);
        o.field(en, zh, &day);
    }
    o.field("start note", "开工说明", &p.start_note);
    o.field("completion", "建成说明", &p.completion_note);
    o.list("suggestions", "相关建议", &p.suggestion_ids);
    o.list("activities", "相关活动", &p.activity_ids);
}

fn history_line(o: &mut Out, h: &HistoryEntry) {
    let mark = if h.verified {
        o.w("✓ verified", "✓ 已验证")
    } else {
        o.w("✗ unverified", "✗ 未验证")
    };
    let (at, city) = (o.time(&h.at), o.city(&h.author_city));
    let _ = write!(
        o.s,
        "  {at}  {city}/{}  {}  {mark}",
        h.author_user, h.r#type
    );
    // The summary as the history gives it (Chinese text kept as written).
    if !h.summary.is_empty() {
        let _ = write!(o.s, "  {}", h.summary);
    }
    if h.rejected {
        let _ = write!(o.s, "  {}{}", o.w("REJECTED: ", "已拒绝："), h.reason);
    }
    o.s.push('\n');
}
