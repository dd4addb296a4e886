//! Public opinions at a reception: an opinion's own table (received → answered, or
//! referred → fed_back), who may handle it, where opinions may be registered, the counts
//! derived from them, the view and the history.

use lianluo_proto::{
    change::Kind as K, ActivityOpinionAnswered, ActivityOpinionFeedback, ActivityOpinionReceived,
    ActivityOpinionReferred,
};

use super::activity::{activity, cancelled, reception, reported};
use super::{Rec, T0};

pub(crate) fn received(person: &str, content: &str) -> K {
    K::ActivityOpinionReceived(ActivityOpinionReceived {
        person: person.into(),
        content: content.into(),
        place: "桂岭联络站".into(),
    })
}

pub(crate) fn answered(opinion: u32, solved: bool) -> K {
    K::ActivityOpinionAnswered(ActivityOpinionAnswered {
        opinion,
        answer: "已当场协调".into(),
        solved,
    })
}

pub(crate) fn referred(opinion: u32) -> K {
    K::ActivityOpinionReferred(ActivityOpinionReferred {
        opinion,
        unit: "八步区交通运输局".into(),
    })
}

pub(crate) fn feedback(opinion: u32, solved: bool) -> K {
    K::ActivityOpinionFeedback(ActivityOpinionFeedback {
        opinion,
        feedback: "路灯已安装".into(),
        solved,
    })
}

/// Three opinions at Hezhou and one at Qingyuan: Hezhou's 1 answered and solved, 2
/// referred and fed back solved, 3 answered not solved; Qingyuan's 1 referred.
pub(crate) fn handle_all(rec: &mut Rec) {
    rec.act("hezhou", received("村民黄某", "圩场路灯不亮"));
    rec.act("hezhou", received("村民李某", "村道坑洼"));
    rec.act("hezhou", received("村民陈某", "希望开通班车"));
    rec.act("qingyuan", received("太保镇村民", "山林界址不清"));
    rec.act("hezhou", answered(1, true));
    rec.act("hezhou", referred(2));
    rec.act("hezhou", feedback(2, true));
    rec.act("hezhou", answered(3, false));
    rec.act("qingyuan", referred(1));
}

/// A reception with opinion 1 in each status.
fn one(status: &str) -> Rec {
    let mut rec = reception();
    rec.act("hezhou", received("村民黄某", "圩场路灯不亮"));
    match status {
        "answered" => {
            rec.act("hezhou", answered(1, true));
        }
        "referred" => {
            rec.act("hezhou", referred(1));
        }
        "fed_back" => {
            rec.act("hezhou", referred(1));
            rec.act("hezhou", feedback(1, true));
        }
        _ => {}
    }
    rec
}

fn status_of_one(rec: &Rec) -> String {
    let v = rec.record().activity.expect("activity");
    v.opinions[0].status.clone()
}

/// An act's name with what it builds.
type Named = (&'static str, fn() -> K);

#[test]
fn opinion_every_act_in_every_status() {
    let statuses = ["received", "answered", "referred", "fed_back"];
    let acts: [Named; 3] = [
        ("answer", || answered(1, true)),
        ("refer", || referred(1)),
        ("feedback", || feedback(1, true)),
    ];
    let table = [
        ("received", "answer", "answered"),
        ("received", "refer", "referred"),
        ("referred", "feedback", "fed_back"),
    ];
    for status in statuses {
        for (name, make) in acts {
            let mut rec = one(status);
            let before = rec.record();
            assert_eq!(status_of_one(&rec), status);
            let id = rec.act("hezhou", make());
            let to = table
                .iter()
                .find(|(s, a, _)| *s == status && *a == name)
                .map(|(_, _, to)| *to);
            match to {
                Some(to) => assert_eq!(rec.ok(&id).activity.expect("a").opinions[0].status, to),
                None => {
                    let verb = match name {
                        "answer" => "answer",
                        "refer" => "refer",
                        _ => "record feedback",
                    };
                    let must = if name == "feedback" {
                        "referred"
                    } else {
                        "received"
                    };
                    let after = rec.rejected(
                        &id,
                        &format!("cannot {verb}: opinion 1 is `{status}`, must be `{must}`"),
                    );
                    assert_eq!(after.activity, before.activity, "{status}/{name}");
                }
            }
        }
    }
}

#[test]
fn opinions_give_the_receptions_counts_view_and_history() {
    let mut rec = reception();
    rec.act("hezhou", reported());
    let v = rec.record().activity.expect("activity");
    // Reported counts stand while no opinion is registered.
    assert_eq!((v.opinions_collected, v.problems_solved), (12, 3));
    handle_all(&mut rec);
    let r = rec.record();
    let v = r.activity.expect("activity");
    assert_eq!((v.opinions_collected, v.problems_solved), (4, 2));
    let seen: Vec<(u32, &str, &str, bool)> = v
        .opinions
        .iter()
        .map(|o| (o.number, o.city.as_str(), o.status.as_str(), o.solved))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "hezhou", "answered", true),
            (2, "hezhou", "fed_back", true),
            (3, "hezhou", "answered", false),
            (1, "qingyuan", "referred", false),
        ]
    );
    assert_eq!(v.opinions[1].unit, "八步区交通运输局");
    assert_eq!(v.opinions[1].feedback, "路灯已安装");
    let summaries: Vec<&str> = r.history.iter().map(|h| h.summary.as_str()).collect();
    for want in [
        "登记群众意见（村民黄某）：圩场路灯不亮",
        "当场答复意见1（已解决）：已当场协调",
        "意见2转交八步区交通运输局办理",
        "意见2办理反馈（已解决）：路灯已安装",
        "当场答复意见3（未解决）：已当场协调",
    ] {
        assert!(summaries.contains(&want), "{want} not in {summaries:?}");
    }
    let en: Vec<&str> = r.history.iter().map(|h| h.summary_en.as_str()).collect();
    assert!(
        en.contains(&"Opinion 2 passed to 八步区交通运输局"),
        "{en:?}"
    );
}

#[test]
fn an_opinion_is_handled_by_the_city_that_received_it_at_a_reception_not_cancelled() {
    let mut rec = one("received");
    let before = rec.record().activity;
    // Qingyuan's opinion 1 is its own first one: it has none.
    let id = rec.act("qingyuan", answered(1, true));
    rec.rejected(
        &id,
        "cannot answer opinion 1: qingyuan has registered 0 opinion(s) at this activity; an \
         opinion is handled by the city that registered it, by its number there",
    );
    let id = rec.act("hezhou", referred(2));
    rec.rejected(
        &id,
        "cannot refer opinion 2: hezhou has registered 1 opinion(s) at this activity; an \
         opinion is handled by the city that registered it, by its number there",
    );
    assert_eq!(rec.record().activity, before);
    let mut off = reception();
    off.act("hezhou", cancelled());
    let id = off.act("qingyuan", received("村民", "意见"));
    off.rejected(
        &id,
        "cannot register or handle an opinion: activity is `cancelled`, must be `planned` or \
         `held`",
    );
    let mut inspection = activity();
    let id = inspection.act("hezhou", received("村民", "意见"));
    inspection.rejected(
        &id,
        "cannot register or handle public opinions at a joint_inspection activity: they are \
         received at a constituent_reception (接待群众)",
    );
}

#[test]
fn opinion_fields_are_checked_with_the_field_named() {
    use crate::domain::validate_new_change;
    use lianluo_proto::Change;
    let refused = |k: K| {
        validate_new_change(&Change { kind: Some(k) }, false)
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        refused(received("", "意见")),
        "activity_opinion_received.person: is required (must not be blank)"
    );
    assert_eq!(
        refused(answered(0, true)),
        "activity_opinion_answered.opinion: is required: give its number (1, 2, …)"
    );
    let K::ActivityOpinionReferred(mut c) = referred(1) else {
        unreachable!()
    };
    c.unit = " ".into();
    assert_eq!(
        refused(K::ActivityOpinionReferred(c)),
        "activity_opinion_referred.unit: is required (must not be blank)"
    );
}

/// Two cities register at the same time; each then answers its own opinion 2. Whichever
/// registration the fold puts first, each answer lands on the opinion it was made for.
#[test]
fn concurrent_registrations_never_move_an_opinion_under_an_act() {
    for qingyuan_first in [false, true] {
        let mut rec = reception();
        let base = rec.heads();
        let (early, late) = if qingyuan_first {
            (T0 + 1_000, T0 + 9_000_000)
        } else {
            (T0 + 9_000_000, T0 + 1_000)
        };
        // Hezhou's two, then its answer, made before it saw Qingyuan's.
        rec.at(late);
        let h1 = rec.act_on("hezhou", base.clone(), received("村民甲", "贺州一"));
        let h2 = rec.act_on("hezhou", vec![h1], received("村民乙", "贺州二"));
        rec.act_on("hezhou", vec![h2], answered(2, true));
        // Qingyuan's two and its answer, concurrently.
        rec.at(early);
        let q1 = rec.act_on("qingyuan", base, received("村民丙", "清远一"));
        let q2 = rec.act_on("qingyuan", vec![q1], received("村民丁", "清远二"));
        rec.act_on("qingyuan", vec![q2], referred(2));
        let f = rec.fold();
        assert!(f.rejected.is_empty(), "{:?}", f.rejected);
        let v = f.record.expect("record").activity.expect("activity");
        let of = |content: &str| {
            let o = v
                .opinions
                .iter()
                .find(|o| o.content == content)
                .expect(content);
            (o.number, o.status.clone())
        };
        assert_eq!(of("贺州二"), (2, "answered".to_owned()), "{qingyuan_first}");
        assert_eq!(of("清远二"), (2, "referred".to_owned()), "{qingyuan_first}");
        assert_eq!(of("贺州一"), (1, "received".to_owned()));
        assert_eq!(of("清远一"), (1, "received".to_owned()));
    }
}
