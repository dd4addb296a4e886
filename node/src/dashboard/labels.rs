//! Display names in Chinese (default) and English for cities, record kinds, statuses,
//! ratings, activity and project kinds, overview outcomes and replication links, shared by the
//! report, the CLI and the web dashboard.
//!
//! Every function returns the id itself for a name it does not know, so a newer peer's
//! value still shows (untranslated) instead of disappearing.

/// The language of display names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    /// Chinese, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The language of a code such as `zh`, `en` or `zh-CN` (case-insensitive); `None`
    /// for any other.
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language's code: `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// Looks `id` up in a table of (id, Chinese, English).
fn pick<'a>(table: &[(&str, &'static str, &'static str)], id: &'a str, lang: Lang) -> &'a str {
    table
        .iter()
        .find(|(k, _, _)| *k == id)
        .map_or(id, |(_, zh, en)| match lang {
            Lang::Zh => zh,
            Lang::En => en,
        })
}

const CITIES: [(&str, &str, &str); 3] = [
    ("hezhou", "贺州", "Hezhou"),
    ("qingyuan", "清远", "Qingyuan"),
    ("yongzhou", "永州", "Yongzhou"),
];

/// A city's name, e.g. `hezhou` → 贺州 / Hezhou; an unknown id is returned as is.
/// These are the founding cities' built-in names: a node's config may name any city
/// (`crate::config::CityName`), and what a person reads comes from there.
pub fn city(id: &str, lang: Lang) -> &str {
    pick(&CITIES, id, lang)
}

/// The province (自治区) of a founding city, e.g. `hezhou` → 广西; empty for another.
pub fn province(id: &str) -> &'static str {
    match id {
        "hezhou" => "广西",
        "qingyuan" => "广东",
        "yongzhou" => "湖南",
        _ => "",
    }
}

const KINDS: [(&str, &str, &str); 5] = [
    ("station", "联络站", "Station"),
    ("suggestion", "代表建议", "Suggestion"),
    ("dispute", "纠纷", "Dispute"),
    ("activity", "联合活动", "Activity"),
    ("project", "项目", "Project"),
];

/// A record kind's name, e.g. `dispute` → 纠纷 / Dispute.
pub fn kind(id: &str, lang: Lang) -> &str {
    pick(&KINDS, id, lang)
}

const STATION_STATUSES: [(&str, &str, &str); 2] = [
    ("active", "运行中", "Active"),
    ("closed", "已撤销", "Closed"),
];

const SUGGESTION_STATUSES: [(&str, &str, &str); 8] = [
    ("submitted", "已提出", "Submitted"),
    ("dispatched", "已交办", "Dispatched"),
    ("in_progress", "办理中", "In progress"),
    ("answered", "已答复", "Answered"),
    ("rated", "已测评", "Rated"),
    ("reopened", "二次办理", "Reopened"),
    ("carried_over", "转下年度继续办理", "Carried over"),
    ("closed", "已办结", "Closed"),
];

const DISPUTE_STATUSES: [(&str, &str, &str); 9] = [
    ("reported", "已受理", "Reported"),
    ("mediating", "调解中", "Mediating"),
    ("agreed", "已达成协议", "Agreed"),
    ("in_force", "协议生效", "In force"),
    ("checked", "已回访", "Checked"),
    ("resolved", "已化解", "Resolved"),
    ("failed", "调解不成", "Failed"),
    ("escalated", "已上报", "Escalated"),
    ("withdrawn", "已撤回", "Withdrawn"),
];

const ACTIVITY_STATUSES: [(&str, &str, &str); 3] = [
    ("planned", "计划中", "Planned"),
    ("held", "已开展", "Held"),
    ("cancelled", "已取消", "Cancelled"),
];

const PROJECT_STATUSES: [(&str, &str, &str); 3] = [
    ("proposed", "已提出", "Proposed"),
    ("under_construction", "在建", "Under construction"),
    ("completed", "已建成", "Completed"),
];

/// A status of a record kind (see [`crate::domain::STATUSES`]), e.g. (`dispute`,
/// `in_force`) → 协议生效 / In force. The kind matters: a closed station is 已撤销, a
/// closed suggestion 已办结.
pub fn status<'a>(kind: &str, status: &'a str, lang: Lang) -> &'a str {
    let table: &[(&str, &str, &str)] = match kind {
        "station" => &STATION_STATUSES,
        "suggestion" => &SUGGESTION_STATUSES,
        "dispute" => &DISPUTE_STATUSES,
        "activity" => &ACTIVITY_STATUSES,
        "project" => &PROJECT_STATUSES,
        _ => &[],
    };
    pick(table, status, lang)
}

const RATINGS: [(&str, &str, &str); 3] = [
    ("satisfied", "满意", "Satisfied"),
    ("basically_satisfied", "基本满意", "Basically satisfied"),
    ("unsatisfied", "不满意", "Unsatisfied"),
];

/// A suggestion rating, e.g. `basically_satisfied` → 基本满意 / Basically satisfied.
pub fn rating(id: &str, lang: Lang) -> &str {
    pick(&RATINGS, id, lang)
}

/// The ratings in the order reports list them.
pub const RATING_IDS: [&str; 3] = ids(&RATINGS);

const PART_STATUSES: [(&str, &str, &str); 4] = [
    ("dispatched", "已交办", "Dispatched"),
    ("accepted", "已签收", "Accepted"),
    ("returned", "已退回", "Returned"),
    ("answered", "已答复", "Answered"),
];

/// The status of a city's part of a suggestion, e.g. `accepted` → 已签收 / Accepted.
pub fn part_status(id: &str, lang: Lang) -> &str {
    pick(&PART_STATUSES, id, lang)
}

const CATEGORIES: [(&str, &str, &str); 4] = [
    ("a", "A类（已解决或采纳）", "A (solved or adopted)"),
    (
        "b",
        "B类（正在解决或列入计划）",
        "B (being solved or planned)",
    ),
    (
        "c",
        "C类（因条件限制暂难解决）",
        "C (hard to solve for now)",
    ),
    ("d", "D类（留作参考）", "D (kept for reference)"),
];

/// An answer's result category (办理结果分类), e.g. `a` → A类（已解决或采纳）.
pub fn category(id: &str, lang: Lang) -> &str {
    pick(&CATEGORIES, id, lang)
}

/// The result categories in the order reports list them.
pub const CATEGORY_IDS: [&str; 4] = ids(&CATEGORIES);

const ACTIVITY_KINDS: [(&str, &str, &str); 5] = [
    ("joint_inspection", "联合视察", "Joint inspection"),
    ("joint_research", "联合调研", "Joint research"),
    ("constituent_reception", "接待群众", "Constituent reception"),
    ("joint_training", "联合培训", "Joint training"),
    ("other", "其他", "Other"),
];

/// An activity kind, e.g. `joint_research` → 联合调研 / Joint research.
pub fn activity_kind(id: &str, lang: Lang) -> &str {
    pick(&ACTIVITY_KINDS, id, lang)
}

/// The activity kinds in the order reports list them.
pub const ACTIVITY_KIND_IDS: [&str; 5] = ids(&ACTIVITY_KINDS);

const PROJECT_KINDS: [(&str, &str, &str); 3] = [
    ("road_link", "跨区域县乡公路连通工程", "Road link"),
    ("demonstration_zone", "示范区", "Demonstration zone"),
    ("other", "其他项目", "Other"),
];

/// A project kind, e.g. `road_link` → 跨区域县乡公路连通工程 / Road link.
pub fn project_kind(id: &str, lang: Lang) -> &str {
    pick(&PROJECT_KINDS, id, lang)
}

/// The project kinds in the order reports list them.
pub const PROJECT_KIND_IDS: [&str; 3] = ids(&PROJECT_KINDS);

const OPINION_STATUSES: [(&str, &str, &str); 4] = [
    ("received", "待处理", "Received"),
    ("answered", "当场答复", "Answered on the spot"),
    ("referred", "已转交", "Passed to a unit"),
    ("fed_back", "已反馈", "Unit answered"),
];

/// What became of a public opinion, e.g. `referred` → 已转交 / Passed to a unit.
pub fn opinion_status(id: &str, lang: Lang) -> &str {
    pick(&OPINION_STATUSES, id, lang)
}

/// The ids of a label table, in its order.
const fn ids<const N: usize>(table: &[(&'static str, &str, &str); N]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = table[i].0;
        i += 1;
    }
    out
}

const OUTCOMES: [(&str, &str, &str); 5] = [
    ("ok", "正常", "OK"),
    ("stale", "过期", "Stale"),
    ("timeout", "超时", "Timed out"),
    ("unreachable", "无法连接", "Unreachable"),
    ("refused", "被拒绝", "Refused"),
];

/// An overview outcome of a city, e.g. `unreachable` → 无法连接 / Unreachable.
pub fn outcome(id: &str, lang: Lang) -> &str {
    pick(&OUTCOMES, id, lang)
}

const LINKS: [(&str, &str, &str); 4] = [
    ("connecting", "连接中", "Connecting"),
    ("connected", "已连接", "Connected"),
    ("backing_off", "等待重连", "Backing off"),
    ("stopped", "已停止", "Stopped"),
];

/// The state of a replication link, e.g. `backing_off` → 等待重连 / Backing off.
pub fn link(id: &str, lang: Lang) -> &str {
    pick(&LINKS, id, lang)
}

/// A group of labels as the web dashboard reads it: ids with (Chinese, English), in
/// display order.
type Table = [(&'static str, &'static str, &'static str)];

/// The labels above as the dashboard's `labels.js` (`var LIANLUO_LABELS = {…};`): one
/// source for the CLI, the report and the browser, in the tables' display order.
pub fn javascript() -> String {
    let flat: [(&str, &Table); 10] = [
        ("city", &CITIES),
        ("kind", &KINDS),
        ("rating", &RATINGS),
        ("part_status", &PART_STATUSES),
        ("category", &CATEGORIES),
        ("activity_kind", &ACTIVITY_KINDS),
        ("project_kind", &PROJECT_KINDS),
        ("opinion_status", &OPINION_STATUSES),
        ("outcome", &OUTCOMES),
        ("link", &LINKS),
    ];
    let statuses: [(&str, &Table); 5] = [
        ("station", &STATION_STATUSES),
        ("suggestion", &SUGGESTION_STATUSES),
        ("dispute", &DISPUTE_STATUSES),
        ("activity", &ACTIVITY_STATUSES),
        ("project", &PROJECT_STATUSES),
    ];
    let mut js =
        String::from("// Generated from node/src/dashboard/labels.rs.\nvar LIANLUO_LABELS = {\n");
    for (group, table) in &flat[..2] {
        js_group(&mut js, "  ", group, table);
    }
    js.push_str("  status: {\n");
    for (kind, table) in statuses {
        js_group(&mut js, "    ", kind, table);
    }
    js.push_str("  },\n");
    for (group, table) in &flat[2..] {
        js_group(&mut js, "  ", group, table);
    }
    js.push_str("};\n");
    js
}

/// `name: { id: ["中文", "English"], … },` at `indent`.
fn js_group(js: &mut String, indent: &str, name: &str, table: &Table) {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    js.push_str(&format!("{indent}{name}: {{\n"));
    for (id, zh, en) in table {
        js.push_str(&format!(
            "{indent}  {id}: [{}, {}],\n",
            quote(zh),
            quote(en)
        ));
    }
    js.push_str(&format!("{indent}}},\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cover_every_status_of_every_kind() {
        for (kind_id, statuses) in crate::domain::STATUSES {
            assert_ne!(kind(kind_id, Lang::Zh), kind_id);
            assert_ne!(kind(kind_id, Lang::En), kind_id);
            for st in statuses {
                let zh = status(kind_id, st, Lang::Zh);
                let en = status(kind_id, st, Lang::En);
                assert_ne!(zh, *st, "no Chinese label for {kind_id}/{st}");
                assert_ne!(en, *st, "no English label for {kind_id}/{st}");
                assert!(!zh.is_ascii(), "{kind_id}/{st}: {zh}");
            }
        }
        assert_eq!(status("station", "closed", Lang::Zh), "已撤销");
        assert_eq!(status("suggestion", "closed", Lang::Zh), "已办结");
        assert_eq!(status("dispute", "in_force", Lang::En), "In force");
    }

    #[test]
    fn labels_name_cities_ratings_kinds_and_outcomes() {
        assert_eq!(city("hezhou", Lang::Zh), "贺州");
        assert_eq!(city("qingyuan", Lang::En), "Qingyuan");
        assert_eq!(city("yongzhou", Lang::Zh), "永州");
        assert_eq!(
            city("wuzhou", Lang::Zh),
            "wuzhou",
            "unknown ids stay as they are"
        );
        let ratings: Vec<&str> = RATING_IDS.iter().map(|r| rating(r, Lang::Zh)).collect();
        assert_eq!(ratings, ["满意", "基本满意", "不满意"]);
        let kinds: Vec<&str> = ACTIVITY_KIND_IDS
            .iter()
            .map(|k| activity_kind(k, Lang::Zh))
            .collect();
        assert_eq!(
            kinds,
            ["联合视察", "联合调研", "接待群众", "联合培训", "其他"]
        );
        let outcomes: Vec<&str> = ["ok", "stale", "timeout", "unreachable", "refused"]
            .iter()
            .map(|o| outcome(o, Lang::Zh))
            .collect();
        assert_eq!(outcomes, ["正常", "过期", "超时", "无法连接", "被拒绝"]);
        assert_eq!(outcome("stale", Lang::En), "Stale");
        assert_eq!(link("connected", Lang::Zh), "已连接");
        assert_eq!(status("dispute", "no_such", Lang::Zh), "no_such");
        assert_eq!(Lang::from_code("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_code("EN"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::default().code(), "zh");
    }
}
