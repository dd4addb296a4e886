//! Command-line arguments of the client subcommands, one subcommand enum per record kind.
//!
//! Only light checks happen here (value enums, numbers, `NAME@CITY`); the node validates
//! everything else and its message is shown to the user.

use clap::{Args, Subcommand, ValueEnum};

mod project;
mod suggestion;

pub use project::{ProjectCommand, ProjectKindArg};
pub use suggestion::{CategoryArg, RatingArg, SuggestionCommand};

/// `lianluo dispute …`: border land and forest disputes.
#[derive(Debug, Subcommand)]
pub enum DisputeCommand {
    /// Report a new border land or forest dispute; this node's city is the origin.
    Report(DisputeReport),
    /// Share the dispute with one more city (origin city only; partners are never removed).
    ///
    /// The added city must confirm the agreement too: an agreement recorded but not yet in
    /// force needs its confirmation as well (one already in force stays in force). Not
    /// possible once the dispute is `resolved`, `escalated` or `withdrawn`.
    AddPartner(AddPartnerArgs),
    /// Record a mediation session (who attended, where, what was said): any participant
    /// city, while `reported` or `mediating`.
    Session {
        /// Record id.
        id: String,
        /// Date of the session, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Where the session was held.
        #[arg(long)]
        place: String,
        /// A person who attended (repeat for several).
        #[arg(long = "attendee", value_name = "A")]
        attendees: Vec<String>,
        /// What was said and agreed in the session.
        #[arg(long)]
        summary: String,
    },
    /// Record the agreement reached in mediation (after at least one session); every
    /// participant city must then confirm it.
    Agree {
        /// Record id.
        id: String,
        /// The terms of the agreement.
        #[arg(long)]
        terms: String,
    },
    /// Confirm the recorded agreement for this city's side, once; it is in force when every
    /// participant city has confirmed it.
    Confirm {
        /// Record id.
        id: String,
        /// Optional note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a check of how the agreement in force is being implemented (repeatable).
    Check {
        /// Record id.
        id: String,
        /// Date of the check, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// The agreement is being implemented as agreed.
        #[arg(
            long,
            conflicts_with = "not_passed",
            required_unless_present = "not_passed"
        )]
        passed: bool,
        /// The agreement is not being implemented as agreed.
        #[arg(long)]
        not_passed: bool,
        /// Optional note on what was found.
        #[arg(long)]
        note: Option<String>,
    },
    /// Mark the dispute resolved: after a check, and only if the last check passed.
    Resolve {
        /// Record id.
        id: String,
        /// Optional note.
        #[arg(long)]
        note: Option<String>,
        /// The day it was resolved (化解日期), YYYY-MM-DD, when that was not today: not
        /// before its 受理日期. The year's figures count it as resolved in that year.
        #[arg(long, value_name = "YYYY-MM-DD")]
        resolved_on: Option<String>,
    },
    /// Mark the mediation failed, at any point before the dispute is resolved; it may then
    /// be escalated.
    Fail {
        /// Record id.
        id: String,
        /// Why mediation failed.
        #[arg(long)]
        reason: String,
    },
    /// Escalate the dispute to a higher body, e.g. 省人民政府: while `mediating` or after
    /// mediation `failed`.
    Escalate {
        /// Record id.
        id: String,
        /// The body it goes to.
        #[arg(long)]
        to: String,
        /// Why it is escalated.
        #[arg(long)]
        reason: String,
    },
    /// Withdraw the dispute (the parties no longer pursue it): origin city only, before an
    /// agreement is recorded (`reported` or `mediating`).
    Withdraw {
        /// Record id.
        id: String,
        /// Why it is withdrawn.
        #[arg(long)]
        reason: String,
    },
}

/// Flags of `dispute report`.
#[derive(Debug, Args)]
pub struct DisputeReport {
    /// Short title.
    #[arg(long)]
    pub title: String,
    /// What the dispute is about.
    #[arg(long)]
    pub description: String,
    /// Where the disputed land or forest lies.
    #[arg(long)]
    pub location: Option<String>,
    /// A party in dispute: village, group or household (repeat for several).
    #[arg(long = "party", value_name = "P")]
    pub parties: Vec<String>,
    /// Disputed area in mu (亩).
    #[arg(long, value_name = "X")]
    pub area_mu: Option<f64>,
    /// Station record id the dispute came through.
    #[arg(long = "station", value_name = "ID")]
    pub station: Option<String>,
    /// The day it was registered (受理日期), YYYY-MM-DD, when that was not today: figures
    /// count the dispute in that year.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub reported_on: Option<String>,
    #[command(flatten)]
    pub create: CreateFlags,
}

/// `lianluo activity …`: joint station activities.
#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Plan a joint activity; this node's city is the origin.
    Plan(ActivityPlan),
    /// Share the activity with one more city (origin city only; partners are never removed).
    ///
    /// Only while the activity is `planned`.
    AddPartner(AddPartnerArgs),
    /// Report a planned activity as held (origin city only): deputies present, opinions
    /// collected, problems solved.
    Report {
        /// Record id.
        id: String,
        /// The date it was held, YYYY-MM-DD.
        #[arg(long)]
        held_on: String,
        /// A deputy who took part, as NAME@CITY, e.g. 张三@hezhou (repeat for several).
        #[arg(long = "deputy", value_name = "NAME@CITY", value_parser = parse_deputy)]
        deputies: Vec<lianluo_proto::Deputy>,
        /// Number of opinions collected (a reception whose opinions are registered one by
        /// one with `activity opinion` counts those instead).
        #[arg(long, value_name = "N")]
        opinions: Option<u32>,
        /// Number of problems solved (likewise).
        #[arg(long, value_name = "N")]
        problems_solved: Option<u32>,
        /// The activity report text.
        #[arg(long, value_name = "TEXT")]
        report: Option<String>,
    },
    /// Cancel a planned activity (origin city only).
    Cancel {
        /// Record id.
        id: String,
        /// Why it is cancelled.
        #[arg(long)]
        reason: String,
    },
    /// Register a public opinion (群众意见) received at a constituent reception, by any
    /// participant city (each city's numbered 1, 2, … in the order it registers them); once
    /// a reception has opinions, its opinions collected and problems solved are counted
    /// from them, in place of the numbers its report gave.
    Opinion {
        /// Record id of the reception.
        id: String,
        /// Who raised it, e.g. 桂岭镇村民黄某.
        #[arg(long)]
        person: String,
        /// What they asked for or reported.
        #[arg(long)]
        content: String,
        /// Where it was received, e.g. a market-day stall.
        #[arg(long)]
        place: Option<String>,
    },
    /// Answer an opinion on the spot (当场答复), by the city that received it.
    AnswerOpinion {
        /// Record id of the reception.
        id: String,
        /// The opinion's number among this city's (as `show` lists them: 贺州1, 贺州2, …).
        opinion: u32,
        /// The answer given.
        #[arg(long)]
        answer: String,
        /// The problem was solved.
        #[arg(long)]
        solved: bool,
    },
    /// Pass an opinion to a unit to handle (转交), by the city that received it.
    ReferOpinion {
        /// Record id of the reception.
        id: String,
        /// The opinion's number among this city's.
        opinion: u32,
        /// The unit, e.g. 八步区交通运输局.
        #[arg(long)]
        unit: String,
    },
    /// Record a unit's feedback on an opinion passed to it (办理反馈).
    OpinionFeedback {
        /// Record id of the reception.
        id: String,
        /// The opinion's number among this city's.
        opinion: u32,
        /// What the unit did.
        #[arg(long)]
        feedback: String,
        /// The problem was solved.
        #[arg(long)]
        solved: bool,
    },
}

/// Flags of `activity plan`.
#[derive(Debug, Args)]
pub struct ActivityPlan {
    /// Short title.
    #[arg(long)]
    pub title: String,
    /// What kind of activity it is.
    #[arg(long, value_enum)]
    pub kind: ActivityKindArg,
    /// Planned date, YYYY-MM-DD.
    #[arg(long)]
    pub date: String,
    /// Station record id hosting the activity.
    #[arg(long = "station", value_name = "ID")]
    pub station: Option<String>,
    /// Where it takes place.
    #[arg(long)]
    pub place: Option<String>,
    /// What is planned.
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub create: CreateFlags,
}

/// `lianluo station …`: joint deputy liaison stations.
#[derive(Debug, Subcommand)]
pub enum StationCommand {
    /// Register a joint deputy liaison station; this node's city is the origin.
    Register(StationRegister),
    /// Share the station with one more city (origin city only; partners are never removed).
    ///
    /// Only while the station is `active`.
    AddPartner(AddPartnerArgs),
    /// Close an `active` station (origin city only).
    Close {
        /// Record id.
        id: String,
        /// Why it is closed.
        #[arg(long)]
        reason: String,
    },
}

/// Flags of `station register`.
#[derive(Debug, Args)]
pub struct StationRegister {
    /// Station name, e.g. 湘粤桂三省（区）毗邻地区人大代表联络站.
    #[arg(long)]
    pub name: String,
    /// Township (乡镇) the station is in.
    #[arg(long)]
    pub township: String,
    /// County (县/区) the station is in.
    #[arg(long)]
    pub county: String,
    /// Street address.
    #[arg(long)]
    pub address: Option<String>,
    /// Free note.
    #[arg(long)]
    pub note: Option<String>,
    /// The day it was set up (设立日期), YYYY-MM-DD, when that was not today: figures
    /// count the station from that year on.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub founded_on: Option<String>,
    #[command(flatten)]
    pub create: CreateFlags,
}

/// Arguments of every `add-partner` (change `participant_added`, for any record kind).
#[derive(Debug, Args)]
pub struct AddPartnerArgs {
    /// Record id, e.g. hezhou-01J….
    pub id: String,
    /// City id to add, e.g. yongzhou; the record is then shared with that city's node.
    #[arg(long)]
    pub city: String,
}

/// Flags shared by every create: partner cities and the idempotency key.
#[derive(Debug, Args)]
pub struct CreateFlags {
    /// Another city to share the record with, one of this node's peers, e.g. qingyuan
    /// (repeat for several; more can be added later with add-partner).
    #[arg(long = "partner", value_name = "CITY")]
    pub partners: Vec<String>,
    /// Client request id making a retry safe; generated (a ULID) when omitted.
    #[arg(long, value_name = "R")]
    pub request_id: Option<String>,
}

/// Flags of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only records of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Only records in this status, e.g. submitted, dispatched, in_force.
    #[arg(long)]
    pub status: Option<String>,
    /// Only records this city participates in.
    #[arg(long)]
    pub city: Option<String>,
    /// Only suggestions with an unanswered part past its deadline.
    #[arg(long)]
    pub overdue: bool,
    /// Only records whose title or texts contain this text (case-sensitive): a
    /// suggestion's body, proposers, units, progress and answers; a dispute's description,
    /// location, parties and session summaries; an activity's place, deputies, report and
    /// public opinions;
    /// a station's address and notes; a project's places, description and notes. Looked up in an index, not by reading every record.
    #[arg(long)]
    pub text: Option<String>,
    /// Only records attached to this station record id.
    #[arg(long = "station", value_name = "ID")]
    pub station: Option<String>,
    /// Only records changed at or after this time (RFC 3339, e.g.
    /// 2026-05-23T08:00:00+08:00); they are listed by the day of their last change,
    /// earliest first.
    #[arg(long, value_name = "TIME")]
    pub updated_since: Option<String>,
    /// Only records of this year as the figures count them (suggestions of that congress
    /// year or carried over into it, disputes registered (受理日期) in it, activities held in
    /// it, stations set up (设立日期) by its end, projects proposed, started or completed in
    /// it).
    #[arg(long, value_name = "YEAR", value_parser = clap::value_parser!(u32).range(2000..=2100))]
    pub year: Option<u32>,
    /// Page size, 1–500 (the node's default is 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: Option<u32>,
    /// Continue from a previous page (the token printed after a table).
    #[arg(long, value_name = "TOKEN", conflicts_with = "all")]
    pub page_token: Option<String>,
    /// Fetch every page, not just the first.
    #[arg(long)]
    pub all: bool,
}

/// Kind of joint station activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ActivityKindArg {
    /// 联合视察
    JointInspection,
    /// 联合调研
    JointResearch,
    /// 接待群众
    ConstituentReception,
    /// 联合培训
    JointTraining,
    /// Anything else.
    Other,
}

/// Record kind filter of `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Station,
    Suggestion,
    Dispute,
    Activity,
    Project,
}

impl KindArg {
    /// The kind as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Station => "station",
            Self::Suggestion => "suggestion",
            Self::Dispute => "dispute",
            Self::Activity => "activity",
            Self::Project => "project",
        }
    }
}

/// Parses `NAME@CITY` (split at the last `@`) into a deputy.
pub fn parse_deputy(s: &str) -> Result<lianluo_proto::Deputy, String> {
    match s.rsplit_once('@') {
        Some((name, city)) if !name.trim().is_empty() && !city.trim().is_empty() => {
            Ok(lianluo_proto::Deputy {
                name: name.trim().to_string(),
                city: city.trim().to_string(),
            })
        }
        _ => Err(format!("expected NAME@CITY (e.g. 张三@hezhou), got {s:?}")),
    }
}
