//! The plan of one border dispute: the origin's site visit, a joint session recorded by
//! the partner, then an agreement every city confirms, a check and the resolution — or a
//! failure escalated to the provincial government, or a withdrawal.

use lianluo_proto::{
    change::Kind as K, DisputeAgreed, DisputeChecked, DisputeConfirmed, DisputeEscalated,
    DisputeFailed, DisputeReported, DisputeResolved, DisputeSession, DisputeWithdrawn,
};
use time::Date;

use super::super::cases::{DisputeRow, DisputeStage, Subject};
use super::super::data::{City, StationRow, When, CITY_CN, PROVINCE_GOV, STATIONS};
use super::{ch, deputies, n_places, participants, step, Kind, Plan, Step};

/// The plan of the `i`-th dispute of the table.
pub(super) fn dispute(i: usize, row: &DisputeRow, station_id: String, today: Date) -> Plan {
    let d = DisputePlan::new(i, row, today);
    let mut steps = d.sessions();
    let expect = d.outcome(&mut steps);
    Plan {
        key: format!("demo-dispute-{:02}", i + 1),
        kind: Kind::Dispute,
        origin: row.origin,
        partners: row.partners.to_vec(),
        create: ch(K::DisputeReported(d.report(station_id))),
        steps,
        expect,
    }
}

/// What one dispute's acts share while its plan is built.
struct DisputePlan<'a> {
    i: usize,
    row: &'a DisputeRow,
    /// Participants, origin first.
    all: Vec<City>,
    /// The partner that records the second session and the check.
    partner: City,
    /// 双方 / 三方.
    sides: &'static str,
    /// ‰ of the year passed when the first session was held.
    base: u16,
    today: Date,
    /// The mediating station's name.
    place: String,
    attendees: Vec<String>,
}

impl<'a> DisputePlan<'a> {
    fn new(i: usize, row: &'a DisputeRow, today: Date) -> Self {
        let all = participants(row.origin, row.partners);
        let mut attendees: Vec<String> = all
            .iter()
            .flat_map(|&c| deputies(i, c).map(|d| format!("{d}（{}人大代表）", CITY_CN[c])))
            .collect();
        attendees.extend(row.parties.iter().map(|party| format!("{party}代表")));
        DisputePlan {
            i,
            row,
            all,
            partner: row.partners.first().copied().unwrap_or(row.origin),
            sides: if row.parties.len() >= 3 {
                "三方"
            } else {
                "双方"
            },
            base: ((i * 17) % 500) as u16 + 100,
            today,
            place: STATIONS
                .get(row.station)
                .map(StationRow::name)
                .unwrap_or_default(),
            attendees,
        }
    }

    fn session(&self, when: u16, summary: String) -> K {
        K::DisputeSession(DisputeSession {
            date: When::Past(when).ymd(self.today),
            place: self.place.clone(),
            attendees: self.attendees.clone(),
            summary,
        })
    }

    /// The site visit recorded by the origin, and a joint session recorded by the partner.
    fn sessions(&self) -> Vec<Step> {
        use DisputeStage as D;
        let (stage, sides) = (self.row.stage, self.sides);
        let mut steps = Vec::new();
        if stage != D::Reported {
            let s = format!("{}人大代表会同司法所、林业站和村干部到现场踏勘，听取{sides}陈述，调取历史权属资料和航拍图，初步明确争议范围。", n_places(self.all.len()));
            steps.push(step(self.row.origin, self.session(self.base, s)));
        }
        let second = matches!(stage, D::Agreed | D::InForce | D::Resolved | D::Escalated)
            || (stage == D::Mediating && self.i.is_multiple_of(2));
        if second {
            let s = if stage == D::Escalated {
                format!("召开第二次联合调解会，{sides}仍坚持各自主张，对历史界址资料的认定分歧未能缩小。")
            } else {
                format!("在联络站召开联合调解会，代表释法说理、逐项核对界址，{sides}同意在现有界线基础上协商划界，由联络站起草调解协议。")
            };
            steps.push(step(self.partner, self.session(self.base + 120, s)));
        }
        steps
    }

    /// The acts after mediation for the stage; returns the status the dispute ends in.
    fn outcome(&self, steps: &mut Vec<Step>) -> &'static str {
        use DisputeStage as D;
        let (o, sides) = (self.row.origin, self.sides);
        match self.row.stage {
            D::Reported => "reported",
            D::Mediating => "mediating",
            D::Withdrawn => {
                let reason = format!("{sides}经联络站代表释法说理后自行协商一致，申请撤回调解。");
                steps.push(step(o, K::DisputeWithdrawn(DisputeWithdrawn { reason })));
                "withdrawn"
            }
            D::Escalated => {
                let reason =
                    format!("{sides}对历史权属资料认定分歧较大，经多次联合调解未能达成协议。");
                steps.push(step(o, K::DisputeFailed(DisputeFailed { reason })));
                let e = DisputeEscalated {
                    to: PROVINCE_GOV[o].to_owned(),
                    reason: "属跨省边界山林土地权属争议，依法提请省级人民政府协调处理。".to_owned(),
                };
                steps.push(step(o, K::DisputeEscalated(e)));
                "escalated"
            }
            D::Agreed | D::InForce | D::Resolved => self.agreement(steps),
        }
    }

    /// The origin records the agreement; each city confirms it for its side (only the
    /// origin so far when the stage is `Agreed`); a resolved one is checked and closed.
    fn agreement(&self, steps: &mut Vec<Step>) -> &'static str {
        use DisputeStage as D;
        let (o, stage, sides) = (self.row.origin, self.row.stage, self.sides);
        let terms = terms(
            self.row.subject,
            self.row.location,
            &join(self.row.parties, "和"),
            sides,
        );
        steps.push(step(o, K::DisputeAgreed(DisputeAgreed { terms })));
        let confirming = if stage == D::Agreed {
            &self.all[..1]
        } else {
            &self.all[..]
        };
        for &c in confirming {
            let note = format!(
                "{}人大常委会确认调解协议，由属地乡镇人民政府负责落实。",
                CITY_CN[c]
            );
            steps.push(step(c, K::DisputeConfirmed(DisputeConfirmed { note })));
        }
        match stage {
            D::Agreed => return "agreed",
            D::InForce => return "in_force",
            _ => {}
        }
        let check = DisputeChecked {
            date: When::Past(self.base + 280).ymd(self.today),
            passed: true,
            note: format!(
                "{}联合复查：界桩已埋设到位，{sides}按协议管护，未再发生纠纷。",
                n_places(self.all.len())
            ),
        };
        steps.push(step(self.partner, K::DisputeChecked(check)));
        let note = "协议履行完毕，纠纷化解，案卷归档。".to_owned();
        steps.push(step(
            o,
            K::DisputeResolved(DisputeResolved {
                note,
                // After the check.
                resolved_on: When::Past(self.base + 300).ymd(self.today),
            }),
        ));
        "resolved"
    }

    /// The creation: the report by the origin.
    fn report(&self, station_id: String) -> DisputeReported {
        let row = self.row;
        let (loc, subj, sides) = (row.location, row.subject.cn(), self.sides);
        let area = if row.area > 0.0 {
            format!("约{}亩", row.area)
        } else {
            String::new() // not surveyed (e.g. a water source)
        };
        DisputeReported {
            title: format!("{loc}{subj}权属纠纷"),
            description: format!(
                "{}对{loc}一带{area}{subj}的权属和界线存在争议，近期因{}引发矛盾，{sides}各执历史资料，影响边界群众生产生活。",
                join(row.parties, "与"),
                row.subject.trigger()
            ),
            location: loc.to_owned(),
            parties: row.parties.iter().map(|s| (*s).to_owned()).collect(),
            area_mu: row.area,
            station_id,
            // Registered some weeks before the first session.
            reported_on: When::Past(self.base.saturating_sub(60)).ymd(self.today),
        }
    }
}

/// "A{last}B", "A、B{last}C".
fn join(parties: &[&str], last: &str) -> String {
    match parties.split_last() {
        Some((z, rest)) if !rest.is_empty() => format!("{}{last}{z}", rest.join("、")),
        Some((z, _)) => (*z).to_owned(),
        None => String::new(),
    }
}

/// The agreement's terms; `parties` reads "A和B" / "A、B和C", `sides` 双方 / 三方.
fn terms(subject: Subject, loc: &str, parties: &str, sides: &str) -> String {
    match subject {
        Subject::Farmland => format!("以{loc}现有田埂和排水沟为界，{parties}各自耕种界线一侧耕地；{sides}共同埋设界桩，今后不得越界开荒。"),
        Subject::Water => format!("{loc}水源由{parties}共用，旱季按受益农户数比例轮流引水；{sides}共同出资修建分水池，各自管护引水渠。"),
        _ => format!("以{loc}山脊分水线为界，界线各侧{}分别归{parties}经营管护；{sides}共同埋设界桩，沿界线各留5米防火隔离带，今后采伐、整地须提前告知相邻各方。", subject.cn()),
    }
}
