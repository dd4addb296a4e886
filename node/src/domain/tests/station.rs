//! Station state machine and the participant rules every kind shares.

use lianluo_proto::{
    change::Kind as K, ParticipantAdded, StationClosed, StationRegistered, SuggestionProgress,
};

use super::{status_ok, Rec, T0};

pub(crate) fn registered() -> K {
    K::StationRegistered(StationRegistered {
        name: "湘粤桂三省（区）毗邻地区人大代表联络站".into(),
        township: "黄田镇".into(),
        county: "平桂区".into(),
        address: "贺州市平桂区黄田镇人民路 1 号".into(),
        note: "联合设立\n每月接待".into(),
        ..StationRegistered::default()
    })
}

pub(crate) fn close(reason: &str) -> K {
    K::StationClosed(StationClosed {
        reason: reason.into(),
    })
}

pub(crate) fn add(city: &str) -> K {
    K::ParticipantAdded(ParticipantAdded { city: city.into() })
}

fn station() -> Rec {
    Rec::new("hezhou", &["qingyuan"], registered())
}

#[test]
fn registered_station_is_active_with_chinese_fields_intact() {
    let rec = station();
    let r = rec.record();
    assert_eq!(r.kind, "station");
    assert_eq!(r.status, "active");
    assert_eq!(r.origin, "hezhou");
    assert_eq!(r.participants, ["hezhou", "qingyuan"]);
    assert_eq!(r.version, 1);
    assert_eq!(r.title, "湘粤桂三省（区）毗邻地区人大代表联络站");
    assert_eq!(r.created_at, "2026-03-01T00:00:00Z");
    assert_eq!(r.updated_at, r.created_at);
    let v = r.station.expect("station view");
    assert_eq!(v.township, "黄田镇");
    assert_eq!(v.address, "贺州市平桂区黄田镇人民路 1 号");
    assert_eq!(v.note, "联合设立\n每月接待");
    assert_eq!(r.history.len(), 1);
    assert_eq!(r.history[0].r#type, "station_registered");
    assert_eq!(
        r.history[0].summary,
        "登记联络站：湘粤桂三省（区）毗邻地区人大代表联络站"
    );
    assert_eq!(r.heads, vec![rec.creation()]);
}

#[test]
fn origin_closes_an_active_station() {
    let mut rec = station();
    let id = rec.act("hezhou", close("合并至新站"));
    let r = rec.ok(&id);
    assert_eq!(r.status, "closed");
    assert_eq!(r.version, 2);
    assert_eq!(r.updated_at, "2026-03-01T00:01:00Z");
    assert_eq!(r.station.expect("view").closed_reason, "合并至新站");
}

#[test]
fn partner_may_not_close_a_station() {
    let mut rec = station();
    let id = rec.act("qingyuan", close(""));
    let r = rec.rejected(&id, "only the origin city hezhou may close the station");
    assert_eq!(r.status, "active");
    assert_eq!(r.version, 1);
}

#[test]
fn closed_station_cannot_be_closed_again() {
    let mut rec = station();
    rec.act("hezhou", close(""));
    let id = rec.act("hezhou", close(""));
    rec.rejected(&id, "cannot close: station is `closed`, must be `active`");
}

#[test]
fn non_participant_may_not_act() {
    let mut rec = station();
    let id = rec.act("yongzhou", close(""));
    rec.rejected(&id, "yongzhou is not a participant");
}

#[test]
fn origin_adds_a_participant_who_may_then_act() {
    let mut rec = station();
    let id = rec.act("hezhou", add("yongzhou"));
    let r = rec.ok(&id);
    assert_eq!(r.participants, ["hezhou", "qingyuan", "yongzhou"]);
    assert_eq!(r.history[1].summary, "加入协作城市 yongzhou");
    // Now a participant: the refusal is about the origin rule, not membership.
    let close_id = rec.act("yongzhou", close(""));
    rec.rejected(
        &close_id,
        "only the origin city hezhou may close the station",
    );
}

#[test]
fn partner_may_not_add_participants() {
    let mut rec = station();
    let id = rec.act("qingyuan", add("yongzhou"));
    let r = rec.rejected(&id, "only the origin city hezhou may add participants");
    assert_eq!(r.participants, ["hezhou", "qingyuan"]);
}

#[test]
fn existing_participant_cannot_be_added_again() {
    let mut rec = station();
    let id = rec.act("hezhou", add("qingyuan"));
    rec.rejected(&id, "qingyuan is already a participant");
    let id = rec.act("hezhou", add("hezhou"));
    rec.rejected(&id, "hezhou is already a participant");
}

#[test]
fn invalid_participant_city_is_rejected_by_validation() {
    let mut rec = station();
    let id = rec.act("hezhou", add("Yong Zhou"));
    let reason = rec.fold().rejected[&id].clone();
    assert!(
        reason.starts_with(
            "invalid change: participant_added.city: `Yong Zhou` is not a valid city id"
        ),
        "{reason}"
    );
}

#[test]
fn no_participant_added_to_a_closed_station() {
    let mut rec = station();
    rec.act("hezhou", close(""));
    let id = rec.act("hezhou", add("yongzhou"));
    rec.rejected(&id, "cannot add a participant: station is `closed`");
}

#[test]
fn change_of_another_kind_does_not_apply() {
    let mut rec = station();
    let id = rec.act(
        "hezhou",
        K::SuggestionProgress(SuggestionProgress { note: "x".into() }),
    );
    rec.rejected(&id, "suggestion_progress does not apply to a station");
}

#[test]
fn event_with_another_record_kind_is_rejected() {
    let mut rec = station();
    let parents = rec.heads();
    let mut body = rec.body("hezhou", parents, close(""));
    body.kind = lianluo_proto::RecordKind::Dispute as i32;
    let id = rec.push(body);
    rec.rejected(&id, "kind is `dispute`, but the record is a station");
}

#[test]
fn later_events_move_updated_at_and_version() {
    let mut rec = station();
    rec.at(T0 + 3_600_000);
    let id = rec.act("hezhou", add("yongzhou"));
    assert_eq!(status_ok(&rec, &id), "active");
    let r = rec.record();
    assert_eq!(r.version, 2);
    assert_eq!(r.updated_at, "2026-03-01T01:00:00Z");
}
