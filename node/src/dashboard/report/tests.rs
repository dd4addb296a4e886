//! Tests: the summary sentence carries the figures, one table row per city plus 合计,
//! the partial note iff partial, HTML is a standalone document with escaped text.

use std::collections::BTreeMap;

use lianluo_proto::{CityFigures, CityOverview, Deputy, OverviewResponse, Participation};

use super::{age_cn, count_cn, render, ReportFormat};
use crate::dashboard::figures::total;

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

fn figures(city: &str, scale: u64) -> CityFigures {
    CityFigures {
        city: city.into(),
        year: 2026,
        resolved_year: 2026,
        stations: 5 * scale,
        stations_by_status: map(&[("active", 5 * scale)]),
        suggestions: 7 * scale,
        joint_suggestions: 6 * scale,
        suggestions_by_status: map(&[
            ("answered", scale),
            ("rated", scale),
            ("closed", 2 * scale),
            ("dispatched", 3 * scale),
        ]),
        suggestions_overdue: scale,
        ratings: map(&[("satisfied", 2 * scale), ("basically_satisfied", scale)]),
        disputes: 10 * scale,
        disputes_by_status: map(&[("resolved", 4 * scale), ("mediating", 6 * scale)]),
        disputes_resolved_in_year: 3 * scale,
        activities: 9 * scale,
        activities_by_status: map(&[("held", 8 * scale), ("planned", scale)]),
        activities_by_kind: map(&[
            ("joint_inspection", 5 * scale),
            ("joint_research", 3 * scale),
        ]),
        disputes_mediated: 8 * scale,
        deputies: 11 * scale,
        // The same deputies attend every city's activities: the total counts them once.
        deputy_list: (0..11 * scale)
            .map(|i| Deputy {
                name: format!("代表{i}"),
                city: "hezhou".into(),
            })
            .collect(),
        deputy_attendances: 20 * scale,
        opinions_collected: 40 * scale,
        problems_solved: 12 * scale,
        participating: Some(Participation {
            stations: 2 * scale,
            suggestions: 3 * scale,
            disputes: scale,
            activities: 4 * scale,
            projects: scale,
        }),
        projects: 2 * scale,
        projects_by_status: map(&[("completed", scale), ("under_construction", scale)]),
        projects_under_construction: scale,
        projects_completed_by_kind: map(&[("road_link", scale)]),
        projects_completed_in_year_by_kind: map(&[("road_link", scale / 2)]),
        villages_benefited_by_kind: map(&[("road_link", 6 * scale)]),
        people_benefited_by_kind: map(&[("road_link", 17_000 * scale)]),
        ..CityFigures::default()
    }
}

fn ok(city: &str, scale: u64) -> CityOverview {
    CityOverview {
        city: city.into(),
        outcome: "ok".into(),
        figures: Some(figures(city, scale)),
        ..CityOverview::default()
    }
}

/// Answered by yongzhou (listed first), so the report's order by id is visible.
fn response(cities: Vec<CityOverview>) -> OverviewResponse {
    let partial = cities.iter().any(|c| c.outcome != "ok");
    let t = total(cities.iter().filter_map(|c| c.figures.as_ref()), 2026);
    OverviewResponse {
        partial,
        answered_by: "yongzhou".into(),
        as_of: "2026-03-10T04:00:00Z".into(),
        year: 2026,
        deadline_ms: 3000,
        cities,
        total: Some(t),
    }
}

fn complete() -> OverviewResponse {
    response(vec![ok("yongzhou", 3), ok("hezhou", 1), ok("qingyuan", 2)])
}

#[test]
fn report_summary_sentence_carries_the_totals() {
    let text = render(&complete(), ReportFormat::Markdown);
    assert!(
        text.starts_with("# 贺州·清远·永州省际人大代表联络工作年度报告（2026年）\n"),
        "{text}"
    );
    // Totals over scales 1+2+3 = 6.
    let summary = "在三市毗邻乡镇建立省际人大代表联络站30个，督办代表建议42件，其中共同督办36件\
        （已办结24件，满意12件、基本满意6件、不满意0件，逾期未答复6件），\
        参与化解边界土地山林纠纷48起（本年化解18起），开展联合活动48场次，\
        参与代表33人、120人次，收集意见建议240条，解决问题72个。\
        促成跨区域县乡公路连通工程6条（其中2026年建成2条），解决沿线36个行政村10万多群众出行难问题，\
        在建项目6个。";
    assert!(text.contains(summary), "{text}");
    assert!(
        text.contains("数据截至2026年3月10日12:00（北京时间），由永州节点汇总"),
        "{text}"
    );
    assert!(
        !text.contains("注意"),
        "no partial note when complete: {text}"
    );
}

#[test]
fn report_has_one_row_per_city_plus_total_and_a_section_per_city() {
    let text = render(&complete(), ReportFormat::Markdown);
    let (_, by_city) = text.split_once("## 分市情况").expect("分市情况");
    let (by_city, sections) = by_city.split_once("\n## ").expect("city sections");
    let (by_city, participation) = by_city
        .split_once("各市牵头与参与的记录")
        .expect("participation table");
    let rows: Vec<&str> = by_city
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| 城市") && !l.starts_with("| ---"))
        .collect();
    assert_eq!(rows.len(), 4, "{by_city}");
    assert!(rows[0]
        .starts_with("| 贺州 | 正常 | 5 | 7 | 6 | 4 | 1 | 10 | 8 | 3 | 8 | 11 | 20 | 40 | 12 |"));
    assert!(rows[1].starts_with("| 清远 | 正常 | 10 |"));
    assert!(rows[2].starts_with("| 永州 | 正常 | 15 |"));
    // 合计: distinct deputies across cities (33), not the sum of each city's (66).
    assert!(rows[3].starts_with(
        "| 合计 |  | 30 | 42 | 36 | 24 | 6 | 60 | 48 | 18 | 48 | 33 | 120 | 240 | 72 |"
    ));
    // Then the records each city takes part in, beside those it originated.
    assert!(
        participation.contains("| 贺州 | 5 | 2 | 7 | 3 | 10 | 1 | 9 | 4 | 2 | 1 |"),
        "{participation}"
    );
    assert!(!participation.contains("合计"), "{participation}");
    assert!(
        sections.contains(
            "本市牵头：联络站5个；代表建议7件，其中与他市共同督办6件；纠纷10起，其中参与化解8起，\
             本年化解3起；联合活动9场（已开展8场次），参与代表11人、20人次；2026年涉及项目2个，截至年底累计建成1个、在建1个。\
             参与他市牵头的：联络站2个，代表建议3件，纠纷1起，联合活动4场，项目1个。"
        ),
        "{sections}"
    );
    for city in ["贺州", "清远", "永州"] {
        assert!(
            sections.starts_with(city) || sections.contains(&format!("\n## {city}\n")),
            "{city} section missing: {sections}"
        );
    }
    for caption in [
        "代表建议办理情况",
        "纠纷调处情况",
        "已开展联合活动",
        "满意度测评",
    ] {
        assert_eq!(sections.matches(caption).count(), 3, "{caption}");
    }
    assert!(sections.contains("| 已化解 | 4 |") && sections.contains("| 联合视察 | 5 |"));
}

#[test]
fn report_says_jointly_supervised_only_of_suggestions_shared_by_cities() {
    let mut resp = complete();
    if let Some(t) = resp.total.as_mut() {
        t.joint_suggestions = t.suggestions;
    }
    let text = render(&resp, ReportFormat::Markdown);
    assert!(
        text.contains("联络站30个，共同督办代表建议42件（已办结24件"),
        "{text}"
    );
}

#[test]
fn report_says_which_cities_are_missing_iff_partial() {
    let stale = CityOverview {
        outcome: "stale".into(),
        age_seconds: 185,
        fresh_outcome: "timeout".into(),
        error: "no answer within 3000 ms".into(),
        ..ok("qingyuan", 2)
    };
    let dead = CityOverview {
        city: "yongzhou".into(),
        outcome: "unreachable".into(),
        error: "connection refused".into(),
        ..CityOverview::default()
    };
    let resp = response(vec![dead, ok("hezhou", 1), stale]);
    assert!(resp.partial);
    for format in [ReportFormat::Markdown, ReportFormat::Html] {
        let text = render(&resp, format);
        let note = text.find("注意：本报告数据不完整").expect("partial note");
        let summary = text.find("在三市毗邻乡镇").expect("summary");
        assert!(note < summary, "the note comes first");
        assert!(text.contains("清远：数据过期（3分钟前）"), "{text}");
        assert!(text.contains("永州：无法连接，未计入合计"), "{text}");
        // Stale figures are counted, the unreachable city is not.
        assert!(text.contains("联络站15个"), "{text}");
        assert!(text.contains("过期（3分钟前）"));
        assert!(text.contains("不完整"));
        assert!(text.contains("connection refused"), "the section says why");
    }
    let md = render(&resp, ReportFormat::Markdown);
    assert!(md.contains("| 永州 | 无法连接 | — |"), "{md}");
    let complete = render(&complete(), ReportFormat::Html);
    assert!(!complete.contains("注意") && !complete.contains("class=\"note\""));
}

#[test]
fn report_html_is_a_standalone_escaped_document() {
    let dead = CityOverview {
        city: "wuzhou".into(),
        outcome: "refused".into(),
        error: "<script>alert(\"x\")</script> & co".into(),
        ..CityOverview::default()
    };
    let resp = response(vec![ok("hezhou", 1), dead]);
    let html = render(&resp, ReportFormat::Html);
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("<style>") && html.contains("<table>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"));
    assert!(html.contains("<title>贺州·wuzhou省际人大代表联络工作年度报告（2026年）</title>"));
    assert!(html.contains("在两市毗邻乡镇"));
    let md = render(&resp, ReportFormat::Markdown);
    assert!(!md.contains("<script>"), "{md}");
}

#[test]
fn report_counts_and_ages_read_as_chinese() {
    let counts: Vec<String> = [0, 1, 2, 3, 10, 12, 20, 35, 100].map(count_cn).into();
    assert_eq!(
        counts,
        [
            "零",
            "一",
            "两",
            "三",
            "十",
            "十二",
            "二十",
            "三十五",
            "100"
        ]
    );
    assert_eq!(age_cn(5), "5秒前");
    assert_eq!(age_cn(180), "3分钟前");
    assert_eq!(age_cn(7200), "2小时前");
    assert_eq!(age_cn(200_000), "2天前");
}

#[test]
fn report_docx_is_a_word_package_of_the_same_report() {
    let bytes = super::render_docx(&complete()).expect("docx");
    // A zip package whose parts docx-rs stores as they are, so the report's text is in it
    // (tests/exports.rs opens it in LibreOffice); a partial report is one too.
    assert!(bytes.starts_with(b"PK\x03\x04"), "not a zip package");
    let text = String::from_utf8_lossy(&bytes);
    let md = render(&complete(), ReportFormat::Markdown);
    let summary = md.lines().find(|l| l.starts_with('在')).expect("summary");
    assert!(text.contains(summary), "{summary} not in the document");
    assert!(
        text.contains("<w:pStyle w:val=\"Title\" />"),
        "a title paragraph"
    );
    let dead = CityOverview {
        city: "yongzhou".into(),
        outcome: "unreachable".into(),
        ..CityOverview::default()
    };
    let partial = super::render_docx(&response(vec![dead, ok("hezhou", 1)])).expect("docx");
    let partial = String::from_utf8_lossy(&partial);
    assert!(
        partial.contains("注意：本报告数据不完整"),
        "the partial note"
    );
    assert!(
        partial.contains("永州：无法连接，未计入合计"),
        "names the city"
    );
    assert!(!text.contains("注意："), "no note on a complete report");
}

#[test]
fn report_html_tables_never_break_a_chinese_word_and_scroll_when_narrow() {
    let html = render(&complete(), ReportFormat::Html);
    // Cells keep their words whole (a narrow column used to break 联合活动 one character
    // per line); a table too wide for the screen scrolls sideways instead.
    assert!(
        html.contains("white-space:nowrap;word-break:keep-all"),
        "{html}"
    );
    let tables = html.matches("<table>").count();
    assert!(tables > 0);
    assert_eq!(
        html.matches("<div class=\"scroll\"><table>").count(),
        tables
    );
    assert_eq!(html.matches("</table></div>").count(), tables);
}

#[test]
fn report_people_read_as_the_published_accounts_do() {
    use super::projects::people_cn;
    let cases = [(8_500, "8500名"), (30_000, "3万"), (102_000, "10万多")];
    for (n, want) in cases {
        assert_eq!(people_cn(n), want);
    }
    // No projects: no sentence about them.
    let mut none = complete();
    for c in &mut none.cities {
        if let Some(f) = c.figures.as_mut() {
            *f = CityFigures {
                projects_completed_by_kind: BTreeMap::new(),
                projects_under_construction: 0,
                ..f.clone()
            };
        }
    }
    let t = total(none.cities.iter().filter_map(|c| c.figures.as_ref()), 2026);
    none.total = Some(t);
    let text = render(&none, ReportFormat::Markdown);
    assert!(!text.contains("促成"), "{text}");
    assert!(!text.contains("在建项目"), "{text}");
}

#[test]
fn report_over_all_years_names_the_year_disputes_were_resolved_in() {
    let mut all = complete();
    all.year = 0;
    if let Some(t) = all.total.as_mut() {
        t.year = 0;
    }
    let text = render(&all, ReportFormat::Markdown);
    assert!(text.contains("（历年累计）"), "{text}");
    assert!(text.contains("（2026年化解18起）"), "{text}");
    assert!(!text.contains("本年化解18起"), "{text}");
}
