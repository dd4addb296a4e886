//! The report's words on projects (项目), in the style of the published accounts:
//! 促成跨区域县乡公路连通工程7条，解决沿线36个行政村10万多群众出行难问题. Completed projects
//! count up to the end of the report's year (all of them for 历年累计), as deputies'
//! results accumulate; those completed during the year are said apart; 在建 are those
//! under construction at the year's end.

use lianluo_proto::CityFigures;

use super::super::labels::{self, Lang};
use super::get;
use super::render::Table;

const ROAD_LINK: &str = "road_link";
const DEMONSTRATION_ZONE: &str = "demonstration_zone";

/// The summary's sentence on projects, `None` when there is none to speak of.
pub(super) fn sentence(f: &CityFigures, year: u32) -> Option<String> {
    let mut clauses = Vec::new();
    let roads = get(&f.projects_completed_by_kind, ROAD_LINK);
    if roads > 0 {
        let this_year = get(&f.projects_completed_in_year_by_kind, ROAD_LINK);
        let new = if year != 0 && this_year > 0 {
            format!("（其中{year}年建成{this_year}条）")
        } else {
            String::new()
        };
        clauses.push(format!(
            "促成跨区域县乡公路连通工程{roads}条{new}，解决沿线{}个行政村{}群众出行难问题",
            get(&f.villages_benefited_by_kind, ROAD_LINK),
            people_cn(get(&f.people_benefited_by_kind, ROAD_LINK)),
        ));
    }
    let zones = get(&f.projects_completed_by_kind, DEMONSTRATION_ZONE);
    if zones > 0 {
        clauses.push(format!("推动建成示范区{zones}个"));
    }
    let others = get(&f.projects_completed_by_kind, "other");
    if others > 0 {
        clauses.push(format!("建成其他项目{others}个"));
    }
    if f.projects_under_construction > 0 {
        clauses.push(format!("在建项目{}个", f.projects_under_construction));
    }
    (!clauses.is_empty()).then(|| format!("{}。", clauses.join("，")))
}

/// People in the words of the reports: 10万多 (over 100,000), 3万, 8500名.
pub(super) fn people_cn(n: u64) -> String {
    match (n / 10_000, n % 10_000) {
        (0, _) => format!("{n}名"),
        (w, 0) => format!("{w}万"),
        (w, _) => format!("{w}万多"),
    }
}

/// A city's clause: 2024年涉及项目3个，截至年底累计建成2个、在建1个 (for all years:
/// 项目3个，累计建成2个、在建1个).
pub(super) fn city_clause(f: &CityFigures) -> String {
    let done: u64 = f.projects_completed_by_kind.values().sum();
    let open = f.projects_under_construction;
    match f.year {
        0 => format!("项目{}个，累计建成{done}个、在建{open}个", f.projects),
        y => format!(
            "{y}年涉及项目{}个，截至年底累计建成{done}个、在建{open}个",
            f.projects
        ),
    }
}

/// Completed projects by kind, with those of the year and what they benefit.
pub(super) fn table(f: &CityFigures) -> Table {
    let mut rows: Vec<Vec<String>> = labels::PROJECT_KIND_IDS
        .iter()
        .map(|k| {
            let mut row = vec![labels::project_kind(k, Lang::Zh).to_owned()];
            row.extend(
                [
                    &f.projects_completed_by_kind,
                    &f.projects_completed_in_year_by_kind,
                    &f.villages_benefited_by_kind,
                    &f.people_benefited_by_kind,
                ]
                .map(|m| get(m, k).to_string()),
            );
            row
        })
        .collect();
    let sum = |m: &std::collections::BTreeMap<String, u64>| m.values().sum::<u64>().to_string();
    rows.push(vec![
        "合计".into(),
        sum(&f.projects_completed_by_kind),
        sum(&f.projects_completed_in_year_by_kind),
        sum(&f.villages_benefited_by_kind),
        sum(&f.people_benefited_by_kind),
    ]);
    Table {
        caption: "已建成项目（截至年底累计）".into(),
        headers: [
            "项目类型",
            "累计建成",
            "本年建成",
            "受益行政村（个）",
            "受益群众（人）",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    }
}
