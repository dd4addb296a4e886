//! The annual report: the year's summary in Chinese in the style of the published
//! reports, with a table per city, as Markdown, HTML or a Word document ([`docx`]).
//!
//! [`docx`]: render_docx
//!
//! The report is built from an overview ([`OverviewResponse`]) into a small document
//! model ([`render::Doc`]) that the two formats render. Cities are listed by id, so the
//! same federation gives the same report whichever city's node answered. Provenance is
//! never hidden: when any city's figures are not fresh, a note at the top says which and
//! why, and the city's own section and table row say it again.
//!
//! Wording of the summary: 共同督办 counts suggestions shared by more than one city (when
//! some concern one city only, the sentence says how many were supervised in all);
//! 已办结 counts suggestions whose every part is answered (answered, rated or closed);
//! 参与化解 counts disputes with at least one mediation session; 开展联合活动 counts held
//! activities; 参与代表 counts distinct deputies (人, a deputy once however many cities'
//! activities they attended) beside their attendances (人次); completed projects count up
//! to the year's end ([`projects`]), said only when there are some.
//!
//! A city's figures count the records it originated (牵头); the records it takes part in
//! that another city originated (参与) are shown beside them, never added to them, so the
//! total is the federation's without double counting.

mod docx;
mod projects;
mod render;
#[cfg(test)]
mod tests;

pub use docx::DocxError;
pub use render::beijing_time;

use lianluo_proto::{CityFigures, CityOverview, OverviewResponse};

// How people read a city of the overview.
use super::entry_name as name;
use super::labels::{self, Lang};
use render::{Doc, Section, Table};

/// Output format of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportFormat {
    /// Markdown (the default), e.g. for a wiki or to convert to a document.
    #[default]
    Markdown,
    /// A complete standalone HTML document with inline CSS.
    Html,
}

/// Renders the report of an overview (asked with the report's year) in `format`.
pub fn render(resp: &OverviewResponse, format: ReportFormat) -> String {
    let doc = build(resp);
    match format {
        ReportFormat::Markdown => render::markdown(&doc),
        ReportFormat::Html => render::html(&doc),
    }
}

/// The report of an overview as a Word document (`.docx` bytes).
pub fn render_docx(resp: &OverviewResponse) -> Result<Vec<u8>, DocxError> {
    docx::docx(&build(resp), &resp.as_of)
}

/// The cities of the response ordered by id.
fn sorted_cities(resp: &OverviewResponse) -> Vec<&CityOverview> {
    let mut cities: Vec<&CityOverview> = resp.cities.iter().collect();
    cities.sort_by(|a, b| a.city.cmp(&b.city));
    cities
}

fn build(resp: &OverviewResponse) -> Doc {
    let cities = sorted_cities(resp);
    let names: Vec<&str> = cities.iter().map(|c| name(c)).collect();
    let period = if resp.year == 0 {
        "历年累计".to_string()
    } else {
        format!("{}年", resp.year)
    };
    let total = resp.total.clone().unwrap_or_default();
    let mut sections = vec![Section {
        heading: "分市情况".into(),
        paragraphs: vec![],
        tables: vec![by_city_table(&cities, &total), participation_table(&cities)],
    }];
    sections.extend(cities.iter().map(|c| city_section(c)));
    Doc {
        title: format!(
            "{}省际人大代表联络工作年度报告（{period}）",
            names.join("·")
        ),
        notes: partial_notes(resp, &cities),
        meta: meta_line(resp),
        summary: match projects::sentence(&total, resp.year) {
            Some(more) => format!("{}{more}", summary(cities.len(), &total)),
            None => summary(cities.len(), &total),
        },
        sections,
    }
}

/// One note per city whose figures are not fresh; none when every city is ok.
fn partial_notes(resp: &OverviewResponse, cities: &[&CityOverview]) -> Vec<String> {
    let bad: Vec<String> = cities
        .iter()
        .filter(|c| c.outcome != "ok")
        .map(|c| format!("{}：{}", name(c), provenance(c)))
        .collect();
    if bad.is_empty() && !resp.partial {
        return vec![];
    }
    let mut notes = vec![
        "注意：本报告数据不完整，以下城市未能取得最新数据，合计仅含已取得数据的城市。".to_string(),
    ];
    notes.extend(bad);
    notes
}

/// How a city's figures were obtained, e.g. 数据过期（3分钟前） or 无法连接，未计入合计.
fn provenance(c: &CityOverview) -> String {
    match c.outcome.as_str() {
        "ok" => labels::outcome("ok", Lang::Zh).to_string(),
        "stale" => format!(
            "数据{}（{}），按最后一次取得的数据计入",
            labels::outcome("stale", Lang::Zh),
            age_cn(c.age_seconds)
        ),
        other => format!("{}，未计入合计", labels::outcome(other, Lang::Zh)),
    }
}

/// 3分钟前, 2小时前… for an age in seconds.
pub fn age_cn(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs}秒前"),
        60..=3599 => format!("{}分钟前", secs / 60),
        3600..=86_399 => format!("{}小时前", secs / 3600),
        _ => format!("{}天前", secs / 86_400),
    }
}

/// A count in Chinese numerals for small numbers (两 for 2, as in 两市), digits above 99.
pub(crate) fn count_cn(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        2 => "两".into(),
        0..=9 => DIGITS[n].into(),
        10 => "十".into(),
        11..=19 => format!("十{}", DIGITS[n % 10]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", DIGITS[n / 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

fn meta_line(resp: &OverviewResponse) -> String {
    let when = render::beijing_time(&resp.as_of).unwrap_or_else(|| resp.as_of.clone());
    format!(
        "数据截至{when}（北京时间），由{}节点汇总各市节点数据生成。",
        resp.cities
            .iter()
            .find(|c| c.city == resp.answered_by)
            .map_or_else(|| labels::city(&resp.answered_by, Lang::Zh), name)
    )
}

fn get(map: &std::collections::BTreeMap<String, u64>, key: &str) -> u64 {
    map.get(key).copied().unwrap_or_default()
}

/// Suggestions whose every part is answered: answered, rated or closed.
fn finished(f: &CityFigures) -> u64 {
    ["answered", "rated", "closed"]
        .iter()
        .map(|s| get(&f.suggestions_by_status, s))
        .sum()
}

fn held(f: &CityFigures) -> u64 {
    get(&f.activities_by_status, "held")
}

/// The summary paragraph, in the words of the published reports.
fn summary(n_cities: usize, t: &CityFigures) -> String {
    let supervised = if t.joint_suggestions == t.suggestions {
        format!("共同督办代表建议{}件", t.joint_suggestions)
    } else {
        format!(
            "督办代表建议{}件，其中共同督办{}件",
            t.suggestions, t.joint_suggestions
        )
    };
    format!(
        "在{cities}市毗邻乡镇建立省际人大代表联络站{stations}个，{supervised}\
         （已办结{done}件，满意{sat}件、基本满意{basic}件、不满意{unsat}件，逾期未答复{overdue}件），\
         参与化解边界土地山林纠纷{mediated}起（{this_year}化解{resolved}起），开展联合活动{held}场次，\
         参与代表{deputies}人、{att}人次，收集意见建议{op}条，解决问题{ps}个。",
        cities = count_cn(n_cities),
        stations = t.stations,
        done = finished(t),
        sat = get(&t.ratings, "satisfied"),
        basic = get(&t.ratings, "basically_satisfied"),
        unsat = get(&t.ratings, "unsatisfied"),
        overdue = t.suggestions_overdue,
        mediated = t.disputes_mediated,
        // Over all years, the year it means is named.
        this_year = if t.year == 0 {
            format!("{}年", t.resolved_year)
        } else {
            "本年".to_owned()
        },
        resolved = t.disputes_resolved_in_year,
        held = held(t),
        deputies = t.deputies,
        att = t.deputy_attendances,
        op = t.opinions_collected,
        ps = t.problems_solved,
    )
}

const BY_CITY_HEADERS: [&str; 15] = [
    "城市",
    "数据",
    "联络站",
    "代表建议",
    "共同督办",
    "已办结",
    "逾期未答复",
    "纠纷",
    "参与化解",
    "本年化解",
    "联合活动（场次）",
    "参与代表（人）",
    "参与代表（人次）",
    "收集意见建议",
    "解决问题",
];

fn key_figures(f: &CityFigures) -> Vec<String> {
    [
        f.stations,
        f.suggestions,
        f.joint_suggestions,
        finished(f),
        f.suggestions_overdue,
        f.disputes,
        f.disputes_mediated,
        f.disputes_resolved_in_year,
        held(f),
        f.deputies,
        f.deputy_attendances,
        f.opinions_collected,
        f.problems_solved,
    ]
    .iter()
    .map(u64::to_string)
    .collect()
}

/// One row per city, then 合计.
fn by_city_table(cities: &[&CityOverview], total: &CityFigures) -> Table {
    let mut rows: Vec<Vec<String>> = cities
        .iter()
        .map(|c| {
            let mut row = vec![name(c).to_string(), cell_provenance(c)];
            match &c.figures {
                Some(f) => row.extend(key_figures(f)),
                None => row.extend(std::iter::repeat_n(
                    "—".to_string(),
                    BY_CITY_HEADERS.len() - 2,
                )),
            }
            row
        })
        .collect();
    let complete = cities.iter().all(|c| c.outcome == "ok");
    let mut sum = vec![
        "合计".to_string(),
        if complete { "" } else { "不完整" }.to_string(),
    ];
    sum.extend(key_figures(total));
    rows.push(sum);
    Table {
        caption: "各市主要数据（各市牵头的记录；参与代表合计按人去重）".into(),
        headers: BY_CITY_HEADERS.iter().map(|h| (*h).to_string()).collect(),
        rows,
    }
}

const PARTICIPATION_HEADERS: [&str; 11] = [
    "城市",
    "联络站（牵头）",
    "联络站（参与）",
    "代表建议（牵头）",
    "代表建议（参与）",
    "纠纷（牵头）",
    "纠纷（参与）",
    "联合活动（牵头）",
    "联合活动（参与）",
    "项目（牵头）",
    "项目（参与）",
];

/// Per city, the records it originated (牵头) beside those of other cities it takes part
/// in (参与). No 合计 row: a record takes part in several cities.
fn participation_table(cities: &[&CityOverview]) -> Table {
    let rows = cities
        .iter()
        .map(|c| {
            let mut row = vec![name(c).to_string()];
            match &c.figures {
                Some(f) => {
                    let p = f.participating.unwrap_or_default();
                    row.extend(
                        [
                            f.stations,
                            p.stations,
                            f.suggestions,
                            p.suggestions,
                            f.disputes,
                            p.disputes,
                            f.activities,
                            p.activities,
                            f.projects,
                            p.projects,
                        ]
                        .iter()
                        .map(u64::to_string),
                    );
                }
                None => row.extend(std::iter::repeat_n(
                    "—".to_string(),
                    PARTICIPATION_HEADERS.len() - 1,
                )),
            }
            row
        })
        .collect();
    Table {
        caption: "各市牵头与参与的记录".into(),
        headers: PARTICIPATION_HEADERS
            .iter()
            .map(|h| (*h).to_string())
            .collect(),
        rows,
    }
}

/// The short provenance of a table row: 正常, 过期（3分钟前）, 无法连接.
fn cell_provenance(c: &CityOverview) -> String {
    let label = labels::outcome(&c.outcome, Lang::Zh);
    if c.outcome == "stale" {
        format!("{label}（{}）", age_cn(c.age_seconds))
    } else {
        label.to_string()
    }
}

/// A city's own section: provenance, key sentence, and its tables.
fn city_section(c: &CityOverview) -> Section {
    let heading = name(c).to_string();
    let Some(f) = &c.figures else {
        let why = if c.error.is_empty() {
            String::new()
        } else {
            format!("：{}", c.error)
        };
        return Section {
            heading,
            paragraphs: vec![format!(
                "未取得数据（{}{why}），本市数据未计入合计。",
                labels::outcome(&c.outcome, Lang::Zh)
            )],
            tables: vec![],
        };
    };
    let mut paragraphs = vec![];
    if c.outcome == "stale" {
        let fresh = labels::outcome(&c.fresh_outcome, Lang::Zh);
        paragraphs.push(format!(
            "数据过期：以下为{}取得的数据（最新查询{fresh}：{}）。",
            age_cn(c.age_seconds),
            c.error
        ));
    }
    let p = f.participating.unwrap_or_default();
    paragraphs.push(format!(
        "本市牵头：联络站{}个；代表建议{}件，其中与他市共同督办{}件；纠纷{}起，其中参与化解{}起，\
         本年化解{}起；联合活动{}场（已开展{}场次），参与代表{}人、{}人次；{}。\
         参与他市牵头的：联络站{}个，代表建议{}件，纠纷{}起，联合活动{}场，项目{}个。",
        f.stations,
        f.suggestions,
        f.joint_suggestions,
        f.disputes,
        f.disputes_mediated,
        f.disputes_resolved_in_year,
        f.activities,
        held(f),
        f.deputies,
        f.deputy_attendances,
        projects::city_clause(f),
        p.stations,
        p.suggestions,
        p.disputes,
        p.activities,
        p.projects,
    ));
    Section {
        heading,
        paragraphs,
        tables: city_tables(f),
    }
}

fn city_tables(f: &CityFigures) -> Vec<Table> {
    let statuses = |kind: &str| -> Vec<(String, u64)> {
        let known = crate::domain::STATUSES
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(&[][..], |(_, s)| *s);
        let map = match kind {
            "suggestion" => &f.suggestions_by_status,
            _ => &f.disputes_by_status,
        };
        labelled(map, known, |s| {
            labels::status(kind, s, Lang::Zh).to_string()
        })
    };
    let ratings = labelled(&f.ratings, &labels::RATING_IDS, |r| {
        labels::rating(r, Lang::Zh).to_string()
    });
    let kinds = labelled(&f.activities_by_kind, &labels::ACTIVITY_KIND_IDS, |k| {
        labels::activity_kind(k, Lang::Zh).to_string()
    });
    vec![
        count_table(
            "代表建议办理情况",
            "办理状态",
            "件数",
            statuses("suggestion"),
        ),
        count_table("满意度测评", "测评结果", "件数", ratings),
        count_table("纠纷调处情况", "调处状态", "起数", statuses("dispute")),
        count_table("已开展联合活动", "活动类型", "场次", kinds),
        projects::table(f),
    ]
}

/// Every known key in order (zeros included), then any unknown key of the map.
fn labelled(
    map: &std::collections::BTreeMap<String, u64>,
    known: &[&str],
    label: impl Fn(&str) -> String,
) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = known.iter().map(|k| (label(k), get(map, k))).collect();
    rows.extend(
        map.iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (label(k), *v)),
    );
    rows
}

fn count_table(caption: &str, what: &str, unit: &str, rows: Vec<(String, u64)>) -> Table {
    let sum: u64 = rows.iter().map(|(_, n)| n).sum();
    let mut rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(label, n)| vec![label, n.to_string()])
        .collect();
    rows.push(vec!["合计".into(), sum.to_string()]);
    Table {
        caption: caption.into(),
        headers: vec![what.into(), unit.into()],
        rows,
    }
}
