//! `lianluo overview` in Chinese (`--lang zh`, or a Chinese locale): the same blocks as
//! the English text, in the words of the dashboard and the report, times in Beijing time.

use std::fmt::Write as _;

use lianluo_node::dashboard::entry_name as name;
use lianluo_node::dashboard::labels::{self, Lang};
use lianluo_node::dashboard::report::{age_cn, beijing_time};
use lianluo_proto::{CityFigures, CityOverview, OverviewResponse};

/// The overview for people, in Chinese.
pub fn text(resp: &OverviewResponse) -> String {
    let period = match resp.year {
        0 => "历年累计".to_string(),
        y => format!("{y}年"),
    };
    let by = resp
        .cities
        .iter()
        .find(|c| c.city == resp.answered_by)
        .map_or_else(|| labels::city(&resp.answered_by, Lang::Zh), name);
    let when = beijing_time(&resp.as_of).unwrap_or_else(|| resp.as_of.clone());
    let mut out = format!(
        "{by}节点汇总，数据截至{when}（北京时间；{period}；等待各市{}毫秒）\n",
        resp.deadline_ms
    );
    for c in &resp.cities {
        let _ = writeln!(out, "{}", city_line(c));
        if let Some(f) = &c.figures {
            let _ = writeln!(out, "  {}", figures_line(f));
        }
    }
    if let Some(t) = &resp.total {
        let with = resp.cities.iter().filter(|c| c.figures.is_some()).count();
        let _ = writeln!(
            out,
            "合计（{}个城市中{with}个有数据）：\n  {}",
            resp.cities.len(),
            figures_line(t)
        );
    }
    let bad: Vec<String> = resp
        .cities
        .iter()
        .filter(|c| c.outcome != "ok")
        .map(|c| format!("{}{}", name(c), outcome(c)))
        .collect();
    if resp.partial || !bad.is_empty() {
        let _ = writeln!(out, "数据不完整：{}，以上数字不全", bad.join("、"));
    }
    out
}

/// `清远：数据过期（3分钟前）…`: the city, its outcome and why.
fn city_line(c: &CityOverview) -> String {
    let mut line = name(c).to_owned();
    if c.local {
        line.push_str("（本节点）");
    }
    let _ = write!(line, "：{}，用时{}毫秒", outcome(c), c.elapsed_ms);
    if c.outcome == "stale" {
        let fresh = labels::outcome(&c.fresh_outcome, Lang::Zh);
        let _ = write!(line, "；最新查询{fresh}");
    }
    if !c.error.is_empty() {
        let _ = write!(line, "：{}", c.error.replace(['\n', '\r'], " "));
    }
    if !c.link.is_empty() {
        let _ = write!(line, "［本节点链路：{}］", labels::link(&c.link, Lang::Zh));
    }
    line
}

/// How a city's figures were had, as the report says it: 正常, 数据过期（3分钟前）,
/// 无法连接….
fn outcome(c: &CityOverview) -> String {
    let label = labels::outcome(&c.outcome, Lang::Zh);
    if c.outcome == "stale" {
        format!("数据{label}（{}）", age_cn(c.age_seconds))
    } else {
        label.to_owned()
    }
}

/// The key figures of a city (or the total) on one line, as the report words them.
fn figures_line(f: &CityFigures) -> String {
    let held = f
        .activities_by_status
        .get("held")
        .copied()
        .unwrap_or_default();
    let mut line = format!(
        "联络站{}个 · 代表建议{}件（共同督办{}件，逾期未答复{}件）· 纠纷{}起（参与化解{}起，\
         {}年化解{}起）· 联合活动{}场（已开展{held}场次）· 参与代表{}人、{}人次 · \
         收集意见建议{}条 · 解决问题{}个",
        f.stations,
        f.suggestions,
        f.joint_suggestions,
        f.suggestions_overdue,
        f.disputes,
        f.disputes_mediated,
        f.resolved_year,
        f.disputes_resolved_in_year,
        f.activities,
        f.deputies,
        f.deputy_attendances,
        f.opinions_collected,
        f.problems_solved,
    );
    let done: u64 = f.projects_completed_by_kind.values().sum();
    if f.projects != 0 || done != 0 {
        let roads = super::count(&f.projects_completed_by_kind, "road_link");
        let _ = write!(
            line,
            " · 项目{}个（累计建成{done}个，其中公路连通工程{roads}条）",
            f.projects
        );
    }
    if let (false, Some(p)) = (f.city.is_empty(), &f.participating) {
        let _ = write!(
            line,
            " · 参与他市牵头的：联络站{}个、代表建议{}件、纠纷{}起、联合活动{}场",
            p.stations, p.suggestions, p.disputes, p.activities
        );
        if p.projects != 0 {
            let _ = write!(line, "、项目{}个", p.projects);
        }
    }
    line
}
