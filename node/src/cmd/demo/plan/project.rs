//! The demo's projects (项目): the seven county and township road links the road
//! suggestions asked for, all built in the four years before this one (2022 to 2025 when
//! run in 2026) — 36 administrative villages and
//! 103,600 people along them, so the report says 促成跨区域县乡公路连通工程7条，解决沿线36个
//! 行政村10万多群众出行难问题 as the published accounts do — the 桂粤省际供港蔬菜种植示范区,
//! and a flood-season emergency road still being built. Each road link names the suggestion
//! behind it, and the inspections that pushed it, once those records exist.

use lianluo_proto::{
    change::Kind as K, ProjectCompleted, ProjectKind, ProjectProposed, ProjectStarted,
};

use time::Date;

use super::super::data::{dated_from, City, When, H, Q, SUGGESTIONS, Y};
use super::{ch, step, Kind, Plan};

/// One project: who leads it with whom, what it is, what it serves, its dates.
struct ProjectRow {
    origin: City,
    partners: &'static [City],
    kind: ProjectKind,
    title: &'static str,
    places: &'static [&'static str],
    villages: u32,
    people: u32,
    /// Index into [`SUGGESTIONS`] of the suggestion behind it, if any.
    suggestion: Option<usize>,
    /// Index into the demo's activities of an inspection that pushed it, if any.
    activity: Option<usize>,
    /// 提出日期, 开工日期 and 建成日期 (`None`: not yet), each as (years back, ‰ of
    /// that year gone; see [`dated_from`]).
    dates: [Option<(u8, u16)>; 3],
}

use ProjectKind::{DemonstrationZone as ZONE, Other as OTHER, RoadLink as ROAD};

#[rustfmt::skip]
const PROJECTS: [ProjectRow; 9] = [
    ProjectRow { origin: H, partners: &[Q], kind: ROAD, title: "黄洞瑶族乡至上帅镇县乡公路连通工程",
        places: &["贺州市八步区黄洞瑶族乡", "清远市连山县上帅镇"], villages: 4, people: 12_800,
        suggestion: Some(0), activity: None, dates: [Some((4, 250)), Some((4, 400)), Some((4, 880))] },
    ProjectRow { origin: Y, partners: &[H], kind: ROAD, title: "码市镇至桂岭镇县道连通工程",
        places: &["永州市江华县码市镇", "贺州市八步区桂岭镇"], villages: 5, people: 15_600,
        suggestion: Some(1), activity: None, dates: [Some((4, 300)), Some((4, 450)), Some((4, 980))] },
    ProjectRow { origin: Q, partners: &[Y], kind: ROAD, title: "三水瑶族乡至汇源瑶族乡公路提质改造工程",
        places: &["清远市连州市三水瑶族乡", "永州市蓝山县汇源瑶族乡"], villages: 6, people: 16_200,
        suggestion: Some(2), activity: None, dates: [Some((4, 350)), Some((4, 700)), Some((3, 500))] },
    ProjectRow { origin: H, partners: &[Y], kind: ROAD, title: "朝东镇至桃川镇旅游公路连接线",
        places: &["贺州市富川县朝东镇", "永州市江永县桃川镇"], villages: 5, people: 13_500,
        suggestion: Some(3), activity: None, dates: [Some((3, 200)), Some((3, 350)), Some((3, 730))] },
    ProjectRow { origin: Y, partners: &[Q, H], kind: ROAD, title: "大圩镇至小三江镇、桂岭镇三省（区）连接线",
        places: &["永州市江华县大圩镇", "清远市连山县小三江镇", "贺州市八步区桂岭镇"], villages: 6, people: 17_400,
        suggestion: Some(4), activity: Some(0), dates: [Some((3, 300)), Some((3, 600)), Some((2, 660))] },
    ProjectRow { origin: Q, partners: &[H], kind: ROAD, title: "禾洞镇至大宁镇乡道拓宽改造工程",
        places: &["清远市连山县禾洞镇", "贺州市八步区大宁镇"], villages: 4, people: 11_300,
        suggestion: Some(5), activity: None, dates: [Some((2, 300)), Some((2, 500)), Some((2, 960))] },
    ProjectRow { origin: H, partners: &[Y], kind: ROAD, title: "麦岭镇至涛圩镇边界公路危桥改造工程",
        places: &["贺州市富川县麦岭镇", "永州市江华县涛圩镇"], villages: 6, people: 16_800,
        suggestion: Some(6), activity: Some(8), dates: [Some((2, 350)), Some((2, 700)), Some((1, 320))] },
    ProjectRow { origin: H, partners: &[Q], kind: ZONE, title: "桂粤省际供港蔬菜种植示范区",
        places: &["贺州市八步区", "清远市连山县"], villages: 9, people: 21_000,
        suggestion: None, activity: None, dates: [Some((4, 450)), Some((4, 850)), Some((3, 800))] },
    ProjectRow { origin: Y, partners: &[Q, H], kind: OTHER, title: "三省（区）边界汛期应急通道",
        places: &["永州市江华县", "清远市连山县", "贺州市八步区"], villages: 7, people: 9_600,
        suggestion: None, activity: None, dates: [Some((1, 840)), Some((0, 100)), None] },
];

/// The projects, given the demo's suggestion and activity record ids (in plan order) and
/// today's date.
pub(crate) fn projects(
    suggestion_ids: &[String],
    activity_ids: &[String],
    today: Date,
) -> Vec<Plan> {
    PROJECTS
        .iter()
        .enumerate()
        .map(|(i, row)| project(i, row, (suggestion_ids, activity_ids), today))
        .collect()
}

fn project(i: usize, row: &ProjectRow, ids: (&[String], &[String]), today: Date) -> Plan {
    let (suggestion_ids, activity_ids) = ids;
    let linked = |at: Option<usize>, ids: &[String]| -> Vec<String> {
        at.and_then(|n| ids.get(n)).cloned().into_iter().collect()
    };
    let day = |at: Option<(u8, u16)>| {
        at.map_or_else(String::new, |(age, p)| {
            When::Past(p).ymd(dated_from(today, age))
        })
    };
    let [proposed_on, started_on, completed_on] = row.dates.map(day);
    let description = match row.suggestion.and_then(|n| SUGGESTIONS.get(n)) {
        Some(s) => format!("代表建议“{}”推动的跨省（区）项目。", s.title),
        None => "三地人大代表联合推动的跨省（区）项目。".to_owned(),
    };
    let create = ProjectProposed {
        title: row.title.to_owned(),
        project_kind: row.kind as i32,
        places: row.places.iter().map(|p| (*p).to_owned()).collect(),
        description,
        villages: row.villages,
        people: row.people,
        suggestion_ids: linked(row.suggestion, suggestion_ids),
        activity_ids: linked(row.activity, activity_ids),
        proposed_on,
    };
    let mut steps = vec![step(
        row.origin,
        K::ProjectStarted(ProjectStarted {
            started_on,
            note: "各方交通部门同步开工".to_owned(),
        }),
    )];
    let mut expect = "under_construction";
    if !completed_on.is_empty() {
        steps.push(step(
            row.origin,
            K::ProjectCompleted(ProjectCompleted {
                completed_on,
                villages: None,
                people: None,
                note: "建成投用".to_owned(),
            }),
        ));
        expect = "completed";
    }
    Plan {
        key: format!("demo-project-{:02}", i + 1),
        kind: Kind::Project,
        origin: row.origin,
        partners: row.partners.to_vec(),
        create: ch(K::ProjectProposed(create)),
        steps,
        expect,
    }
}
