//! The sample data: the published counts (15 stations, 23 suggestions, 35 disputes), valid
//! fields, and every record's acts folded through the real domain to the status the plan
//! expects, with no act rejected — so the loader's acts are accepted by the nodes.

use std::collections::{BTreeMap, BTreeSet};

use lianluo_node::domain::{self, FoldEvent};
use lianluo_proto::{EventBody, Hlc, Record, RecordKind};
use time::macros::date;
use time::Date;

use super::data::{When, STATIONS};
use super::plan::{self, Kind, Plan};
use super::CITIES;

const TODAY: Date = date!(2026 - 06 - 15);

fn station_ids() -> Vec<String> {
    STATIONS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let ulid = ulid::Ulid::from_parts(1_750_000_000_000 + i as u64, 7);
            format!("{}-{ulid}", CITIES[s.host])
        })
        .collect()
}

/// `n` record ids, as the loader gets back for the suggestions (`batch` 1) or the
/// activities (2).
fn ids_of(batch: u64, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| ulid::Ulid::from_parts(1_760_000_000_000 + batch, i as u128 + 1))
        .map(|ulid| format!("hezhou-{ulid}"))
        .collect()
}

fn all_plans() -> Vec<Plan> {
    let mut plans = plan::stations();
    plans.extend(plan::records(&station_ids(), TODAY));
    plans.extend(plan::projects(&ids_of(1, 23), &ids_of(2, 30), TODAY));
    plans
}

fn record_kind(kind: Kind) -> RecordKind {
    match kind {
        Kind::Station => RecordKind::Station,
        Kind::Suggestion => RecordKind::Suggestion,
        Kind::Dispute => RecordKind::Dispute,
        Kind::Activity => RecordKind::Activity,
        Kind::Project => RecordKind::Project,
    }
}

/// Signs nothing, but builds the exact event chain the loader makes (each act's parent is
/// the act before it) and folds it like a node does.
fn fold_plan(plan: &Plan) -> Record {
    let record_id = format!("{}-{}", CITIES[plan.origin], ulid::Ulid::from_parts(1, 1));
    let kind = record_kind(plan.kind);
    let mut participants = vec![CITIES[plan.origin].to_owned()];
    participants.extend(plan.partners.iter().map(|&c| CITIES[c].to_owned()));
    let body = |n: usize, city: usize, change, parents: Vec<String>, participants| EventBody {
        authored_ms: 0,
        record_id: record_id.clone(),
        kind: kind as i32,
        author_city: CITIES[city].to_owned(),
        author_user: "coordinator".to_owned(),
        hlc: Some(Hlc {
            wall_ms: 1_750_000_000_000 + n as u64 * 1000,
            counter: 0,
        }),
        parents,
        participants,
        request_id: String::new(),
        change: Some(change),
    };
    let id = |n: usize| format!("{n:064x}");
    let mut events = vec![FoldEvent {
        id: id(0),
        body: body(0, plan.origin, plan.create.clone(), vec![], participants),
        verified: true,
    }];
    for (n, step) in plan.steps.iter().enumerate() {
        let b = body(n + 1, step.city, step.change.clone(), vec![id(n)], vec![]);
        events.push(FoldEvent {
            id: id(n + 1),
            body: b,
            verified: true,
        });
    }
    let folded = domain::fold(&events);
    assert!(
        folded.rejected.is_empty(),
        "{}: {:?}",
        plan.key,
        folded.rejected
    );
    let mut rec = folded.record.expect("a record");
    domain::refresh_overdue(&mut rec, TODAY);
    rec
}

#[test]
fn demo_sample_has_the_published_counts() {
    let plans = all_plans();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &plans {
        *counts
            .entry(domain::kind_str(record_kind(p.kind)))
            .or_default() += 1;
    }
    assert_eq!(counts["station"], 15);
    assert_eq!(counts["suggestion"], 23);
    assert_eq!(counts["dispute"], 35);
    assert_eq!(counts["activity"], 30);
    assert_eq!(counts["project"], 9);
    let keys: BTreeSet<&str> = plans.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys.len(), plans.len(), "request ids must be unique");
}

#[test]
fn demo_sample_changes_are_valid() {
    for p in all_plans() {
        let kind = domain::validate_change(&p.create, true)
            .unwrap_or_else(|e| panic!("{}: creation: {e}", p.key));
        assert_eq!(kind, record_kind(p.kind), "{}", p.key);
        assert!(!p.partners.is_empty(), "{}: no partner", p.key);
        assert!(!p.partners.contains(&p.origin), "{}", p.key);
        for (n, s) in p.steps.iter().enumerate() {
            let k = domain::validate_change(&s.change, false)
                .unwrap_or_else(|e| panic!("{}: step {n}: {e}", p.key));
            assert_eq!(k, kind, "{}: step {n}", p.key);
            assert!(
                s.city == p.origin || p.partners.contains(&s.city),
                "{}: step {n} by a non-participant",
                p.key
            );
        }
    }
}

#[test]
fn demo_sample_records_sit_at_stations_of_their_cities() {
    let ids = station_ids();
    for p in plan::records(&ids, TODAY) {
        let rec = fold_plan(&p);
        let station = [
            rec.suggestion.as_ref().map(|v| &v.station_id),
            rec.dispute.as_ref().map(|v| &v.station_id),
            rec.activity.as_ref().map(|v| &v.station_id),
        ]
        .into_iter()
        .flatten()
        .next()
        .expect("a station id");
        let i = ids
            .iter()
            .position(|s| s == station)
            .expect("a known station");
        let at = STATIONS[i].participants();
        assert!(
            std::iter::once(&p.origin)
                .chain(&p.partners)
                .all(|c| at.contains(c)),
            "{}: participants outside station {}",
            p.key,
            i + 1
        );
    }
}

#[test]
fn demo_sample_acts_fold_to_the_planned_stages() {
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let mut overdue = 0;
    for p in all_plans() {
        let rec = fold_plan(&p);
        assert_eq!(rec.status, p.expect, "{}", p.key);
        assert_eq!(rec.version, 1 + p.steps.len() as u64, "{}", p.key);
        *statuses
            .entry(format!("{}/{}", rec.kind, rec.status))
            .or_default() += 1;
        if let Some(s) = &rec.suggestion {
            // Each participant city dispatched its own part.
            let cities: Vec<&str> = s.parts.iter().map(|x| x.city.as_str()).collect();
            assert_eq!(cities, rec.participants, "{}", p.key);
            overdue += usize::from(s.overdue);
            let deadlines = s.parts.iter().map(|x| x.deadline.as_str());
            let year = record_year(&p.key, &s.submitted_on, &rec.status);
            assert_in_year(&p.key, year, deadlines);
        }
        if let Some(d) = &rec.dispute {
            // One party per side: a three-city dispute has three parties.
            assert_eq!(d.parties.len(), rec.participants.len(), "{}", p.key);
            if d.in_force {
                assert_eq!(d.confirmed_by, rec.participants, "{}", p.key);
            }
            let dates = d.sessions.iter().map(|s| s.date.as_str());
            let year = record_year(&p.key, &d.reported_on, &rec.status);
            assert_in_year(
                &p.key,
                year,
                dates.chain(d.checks.iter().map(|c| c.date.as_str())),
            );
        }
        if let Some(a) = &rec.activity {
            let year = record_year(&p.key, &a.date, &rec.status);
            assert_in_year(&p.key, year, [a.date.as_str(), a.held_on.as_str()]);
            if rec.status == "held" {
                let cities: BTreeSet<&str> = a.deputies.iter().map(|d| d.city.as_str()).collect();
                assert_eq!(cities.len(), rec.participants.len(), "{}", p.key);
            }
        }
    }
    let n = |k: &str| statuses.get(k).copied().unwrap_or_default();
    assert!(n("dispute/resolved") >= 25, "{statuses:?}");
    assert!((1..=2).contains(&n("dispute/escalated")), "{statuses:?}");
    assert!(n("dispute/mediating") >= 2, "{statuses:?}");
    assert_eq!(n("dispute/withdrawn"), 1, "{statuses:?}");
    for k in [
        "closed",
        "rated",
        "reopened",
        "answered",
        "in_progress",
        "carried_over",
    ] {
        assert!(
            n(&format!("suggestion/{k}")) >= 1,
            "no suggestion/{k}: {statuses:?}"
        );
    }
    assert_eq!(n("suggestion/reopened"), 1, "{statuses:?}");
    // The two left unanswered past their deadlines; not the reopened one, whose parts went
    // back to their units with a 二次办理 deadline still ahead.
    assert_eq!(overdue, 2, "overdue suggestions");
    assert!(n("activity/held") >= 20, "{statuses:?}");
    assert!(n("activity/planned") >= 2, "{statuses:?}");
    assert_eq!(n("activity/cancelled"), 1, "{statuses:?}");
    assert_eq!(n("station/active"), 15, "{statuses:?}");
}

/// The year a sample record lies in (that of its first date): one of the four years
/// before this one for a finished record, else this one.
fn record_year(key: &str, first: &str, status: &str) -> String {
    let year: i32 = first.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let this = TODAY.year();
    assert!((this - 4..=this).contains(&year), "{key}: {first}");
    let finished = [
        "closed",
        "rated",
        "resolved",
        "escalated",
        "withdrawn",
        "held",
    ];
    assert!(
        year == this || finished.contains(&status),
        "{key} is `{status}` in {year}: only finished records lie in past years"
    );
    year.to_string()
}

/// Every (non-empty) date lies in `year`.
fn assert_in_year<'a>(key: &str, year: String, dates: impl IntoIterator<Item = &'a str>) {
    for d in dates.into_iter().filter(|d| !d.is_empty()) {
        assert!(
            d.starts_with(&format!("{year}-")),
            "{key}: {d} is not in {year}"
        );
    }
}

#[test]
fn demo_sample_dates_stay_in_the_current_year() {
    let mid = date!(2025 - 06 - 15);
    assert_eq!(When::Past(0).date(mid), date!(2025 - 01 - 01));
    assert_eq!(When::Past(1000).date(mid), date!(2025 - 06 - 14));
    assert_eq!(When::Future(0).date(mid), date!(2025 - 06 - 16));
    assert_eq!(When::Future(1000).date(mid), date!(2025 - 12 - 31));
    assert_eq!(When::Past(500).ymd(mid), "2025-03-24");
    // At the edges a past date is still before today and a future one after it.
    let jan1 = date!(2025 - 01 - 01);
    assert!(When::Past(900).date(jan1) < jan1);
    let dec31 = date!(2025 - 12 - 31);
    assert!(When::Future(900).date(dec31) > dec31);
    assert_eq!(When::Past(1000).date(date!(2025 - 01 - 02)), jan1);
}

#[test]
fn demo_sample_text_is_chinese_and_station_names_follow_the_cities() {
    assert_eq!(
        STATIONS[0].name(),
        "湘粤桂三省（区）毗邻地区贺街人大代表联络站"
    );
    assert_eq!(STATIONS[3].name(), "湘桂边界朝东人大代表联络站");
    assert_eq!(STATIONS[2].name(), "粤桂边界黄洞人大代表联络站");
    assert_eq!(STATIONS[13].name(), "湘粤边界汇源人大代表联络站");
    for p in all_plans() {
        let rec = fold_plan(&p);
        assert!(
            rec.title
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}: {}",
            p.key,
            rec.title
        );
    }
}

/// The report of the demo's records for `year`, as the three nodes' figures add up.
fn report_of(records: &[Record], year: u32) -> String {
    use lianluo_node::dashboard::{figures, report};
    use lianluo_proto::{CityOverview, OverviewResponse};
    // 2026-06-15T04:00:00Z, the TODAY of these tests.
    let now_ms = 1_781_496_000_000;
    let cities: Vec<CityOverview> = CITIES
        .iter()
        .map(|city| CityOverview {
            city: (*city).to_owned(),
            outcome: "ok".to_owned(),
            figures: Some(figures::compute(city, year, now_ms, records)),
            ..CityOverview::default()
        })
        .collect();
    let total = figures::total(cities.iter().filter_map(|c| c.figures.as_ref()), year);
    let resp = OverviewResponse {
        answered_by: "hezhou".to_owned(),
        as_of: "2026-06-15T04:00:00Z".to_owned(),
        year,
        cities,
        total: Some(total),
        ..OverviewResponse::default()
    };
    report::render(&resp, report::ReportFormat::Markdown)
}

#[test]
fn demo_projects_give_the_published_sentence_year_by_year() {
    let records: Vec<Record> = all_plans().iter().map(fold_plan).collect();
    let projects: Vec<&Record> = records.iter().filter(|r| r.kind == "project").collect();
    for r in &projects {
        let v = r.project.as_ref().expect("a project view");
        if r.status == "completed" && v.project_kind == "road_link" {
            assert_eq!(
                v.suggestion_ids.len(),
                1,
                "{}: the suggestion behind it",
                r.title
            );
        }
    }
    let y = u32::try_from(TODAY.year()).expect("a year");
    let cases = [
        (
            y - 4,
            format!(
                "促成跨区域县乡公路连通工程2条（其中{}年建成2条），解决沿线9个行政村2万多群众出行难问题",
                y - 4
            ),
        ),
        (
            y - 3,
            format!(
                "促成跨区域县乡公路连通工程4条（其中{}年建成2条），解决沿线20个行政村5万多群众出行难问题，推动建成示范区1个",
                y - 3
            ),
        ),
        (
            y - 1,
            format!(
                "促成跨区域县乡公路连通工程7条（其中{}年建成1条），解决沿线36个行政村10万多群众出行难问题，推动建成示范区1个。",
                y - 1
            ),
        ),
        (
            0,
            "促成跨区域县乡公路连通工程7条，解决沿线36个行政村10万多群众出行难问题，推动建成示范区1个，在建项目1个。".to_owned(),
        ),
    ];
    for (year, sentence) in cases {
        let text = report_of(&records, year);
        assert!(text.contains(&sentence), "{year}: {text}");
    }
}

#[test]
fn demo_reception_counts_its_public_opinions() {
    let with: Vec<Record> = all_plans()
        .iter()
        .map(fold_plan)
        .filter(|r| r.activity.as_ref().is_some_and(|a| !a.opinions.is_empty()))
        .collect();
    assert_eq!(with.len(), 1, "one reception registers its opinions");
    let a = with[0].activity.as_ref().expect("activity");
    // As its report says: 收集…意见18条，当场答复解决9件.
    assert_eq!((a.opinions_collected, a.problems_solved), (18, 9));
    let status = |s: &str| a.opinions.iter().filter(|o| o.status == s).count();
    assert_eq!(
        (status("answered"), status("fed_back"), status("referred")),
        (9, 6, 3)
    );
}

#[test]
fn demo_history_spans_five_years_and_all_years_say_the_published_totals() {
    let records: Vec<Record> = all_plans().iter().map(fold_plan).collect();
    let summary = |year: u32| {
        let text = report_of(&records, year);
        let line = text.lines().find(|l| l.starts_with("在三市"));
        line.map(str::to_owned).unwrap_or_default()
    };
    let all = summary(0);
    for published in [
        "在三市毗邻乡镇建立省际人大代表联络站15个，共同督办代表建议23件",
        "参与化解边界土地山林纠纷35起",
        "促成跨区域县乡公路连通工程7条，解决沿线36个行政村10万多群众出行难问题",
    ] {
        assert!(all.contains(published), "{published} not in {all}");
    }
    // Each year says its own part: something supervised, mediated and held every year,
    // and the years' suggestions add up to the published 23.
    let y = u32::try_from(TODAY.year()).expect("a year");
    let mut suggestions = 0;
    for year in y - 4..=y {
        let line = summary(year);
        let n = |before: &str, after: &str| -> u32 {
            let (_, rest) = line.split_once(before).unwrap_or_default();
            let (n, _) = rest.split_once(after).unwrap_or_default();
            n.parse().unwrap_or(0)
        };
        let (sug, mediated, held) = (
            n("代表建议", "件"),
            n("纠纷", "起"),
            n("开展联合活动", "场次"),
        );
        assert!(sug > 0 && mediated > 0 && held > 0, "{year}: {line}");
        suggestions += sug;
    }
    assert_eq!(suggestions, 23);
}

/// Every business date of the sample's records, as the views give them.
fn business_dates(r: &Record) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = &r.suggestion {
        out.push(s.submitted_on.clone());
        for p in &s.parts {
            out.extend([p.dispatched_on.clone(), p.answered_on.clone()]);
        }
    }
    if let Some(d) = &r.dispute {
        out.extend([d.reported_on.clone(), d.resolved_on.clone()]);
        out.extend(d.sessions.iter().map(|s| s.date.clone()));
        out.extend(d.checks.iter().map(|c| c.date.clone()));
    }
    if let Some(a) = &r.activity {
        out.push(a.held_on.clone());
    }
    if let Some(p) = &r.project {
        out.extend([
            p.proposed_on.clone(),
            p.started_on.clone(),
            p.completed_on.clone(),
        ]);
    }
    out.retain(|d| !d.is_empty());
    out
}

/// Whatever day the demo runs on, every business date lies after the stations were set
/// up (December 2021 at the earliest run in 2026) and on or before that day: a node
/// refuses a date after today.
#[test]
fn demo_dates_lie_between_the_stations_founding_and_today_on_any_day() {
    for today in [
        date!(2026 - 01 - 01),
        date!(2026 - 06 - 15),
        date!(2026 - 12 - 31),
    ] {
        let mut plans = plan::stations();
        plans.extend(plan::records(&station_ids(), today));
        plans.extend(plan::projects(&ids_of(1, 23), &ids_of(2, 30), today));
        let today_s = today.to_string();
        for p in &plans {
            let rec = fold_plan(p);
            for d in business_dates(&rec) {
                assert!(
                    d.as_str() <= today_s.as_str(),
                    "{}: {d} after {today}",
                    p.key
                );
                assert!(
                    d.as_str() >= "2021-12-08",
                    "{}: {d} before the stations",
                    p.key
                );
            }
        }
    }
}
