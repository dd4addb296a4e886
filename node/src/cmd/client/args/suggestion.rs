//! Arguments of `lianluo suggestion …`.

use clap::{Args, Subcommand, ValueEnum};

use super::{AddPartnerArgs, CreateFlags};

/// `lianluo suggestion …`: deputies' suggestions.
#[derive(Debug, Subcommand)]
pub enum SuggestionCommand {
    /// Submit a new suggestion from one or more deputies (代表点单); this node's city is the
    /// origin.
    Create(SuggestionCreate),
    /// Share the suggestion with one more city (origin city only; partners are never
    /// removed).
    ///
    /// The added city then dispatches and answers its own part: an `answered` suggestion
    /// goes back to `in_progress` until it has. Not possible once the suggestion is `closed`.
    AddPartner(AddPartnerArgs),
    /// Dispatch this city's part to a handling unit with a deadline (人大派单): any
    /// participant city, once, before the suggestion is answered.
    Dispatch {
        /// Record id, e.g. hezhou-01J….
        id: String,
        /// The handling unit (承办单位), e.g. 贺州市交通运输局.
        #[arg(long)]
        unit: String,
        /// Handling deadline (办理期限), YYYY-MM-DD.
        #[arg(long)]
        deadline: String,
        /// A unit that helps the 主办 unit (协办单位); repeat for several.
        #[arg(long = "co-unit", value_name = "UNIT")]
        co_units: Vec<String>,
        /// The day it was dispatched (交办日期), YYYY-MM-DD, when that was not today:
        /// not before the suggestion's 提出日期, not after the deadline.
        #[arg(long, value_name = "YYYY-MM-DD")]
        dispatched_on: Option<String>,
    },
    /// Record progress on this city's dispatched, unanswered part (部门接单, 办理中); the
    /// suggestion becomes `in_progress`.
    Progress {
        /// Record id.
        id: String,
        /// What was done.
        #[arg(long)]
        note: String,
    },
    /// Answer this city's dispatched part (办理答复); the suggestion is `answered` once every
    /// participant city has answered its part.
    Answer {
        /// Record id.
        id: String,
        /// The handling unit's answer.
        #[arg(long)]
        answer: String,
        /// The day it was answered (答复日期), YYYY-MM-DD, when that was not today: not
        /// before the part's 交办日期.
        #[arg(long, value_name = "YYYY-MM-DD")]
        answered_on: Option<String>,
        /// The result category (办理结果分类): a 已解决或采纳, b 正在解决或列入计划,
        /// c 因条件限制暂难解决, d 留作参考.
        #[arg(long, value_enum)]
        category: Option<CategoryArg>,
    },
    /// The unit accepts this city's dispatched part (签收).
    Accept {
        /// Record id.
        id: String,
        /// Optional note, e.g. who signed for it.
        #[arg(long)]
        note: Option<String>,
    },
    /// The unit returns this city's part, not being the right unit (退回), with the
    /// reason; re-dispatch it to another unit with `redispatch` (改派).
    Return {
        /// Record id.
        id: String,
        /// Why the unit returns it.
        #[arg(long)]
        reason: String,
    },
    /// Dispatch this city's returned part to another unit (改派).
    Redispatch {
        /// Record id.
        id: String,
        /// The new 主办 unit.
        #[arg(long)]
        unit: String,
        /// A 协办 unit (repeat for several).
        #[arg(long = "co-unit", value_name = "UNIT")]
        co_units: Vec<String>,
        /// A new deadline, YYYY-MM-DD (else the part keeps its deadline).
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: Option<String>,
        /// Why it goes to this unit.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Supervise the suggestion as a key suggestion of this city (重点督办), led by a
    /// leader; run again to change the leader. Any participant city, until closed.
    Prioritize {
        /// Record id.
        id: String,
        /// The supervising leader, e.g. 市人大常委会副主任 张三.
        #[arg(long)]
        leader: String,
        /// Optional note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Rate the answers (满意度测评, 满意 / 基本满意 / 不满意) once the suggestion is
    /// `answered`: with --proposer, that one deputy's rating (any participant city may
    /// record it), the suggestion's rating following once every proposer has rated — the
    /// rating most gave, a tie going to the less satisfied; without, the proposers' rating
    /// as a whole (origin city only). A suggestion's rating of unsatisfied (given as a
    /// whole, or the proposers' result) itself reopens it.
    Rate {
        /// Record id.
        id: String,
        /// The proposer (one of the suggestion's deputies) whose rating this is.
        #[arg(long, value_name = "NAME")]
        proposer: Option<String>,
        /// The proposers' satisfaction: `satisfied` or `basically-satisfied` makes the
        /// suggestion `rated`; `unsatisfied` reopens it (status `reopened`, every part back
        /// to `dispatched` to be answered again; no separate `reopen` is needed).
        #[arg(long, value_enum)]
        rating: RatingArg,
        /// Optional comment from the proposers.
        #[arg(long)]
        comment: Option<String>,
        /// With `unsatisfied`: the 二次办理 deadline every part goes back with,
        /// YYYY-MM-DD (else the parts keep their deadlines, which may have passed).
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: Option<String>,
    },
    /// Reopen an `answered` or `rated` suggestion without a rating (origin city only); every
    /// part goes back to `dispatched`. An unsatisfied rating reopens by itself.
    Reopen {
        /// Record id.
        id: String,
        /// Why it is reopened.
        #[arg(long)]
        reason: String,
        /// The 二次办理 deadline of every part, YYYY-MM-DD (else they keep theirs).
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: Option<String>,
    },
    /// Extend this city's deadline for its unanswered part (延期), with the reason: the new
    /// deadline must be later than the current one.
    Extend {
        /// Record id.
        id: String,
        /// The new deadline (办理期限), YYYY-MM-DD.
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: String,
        /// Why the unit needs more time.
        #[arg(long)]
        reason: String,
    },
    /// Carry an unfinished suggestion over into a later congress year (届期制): origin city
    /// only, not once `rated` or `closed`; its parts stay open.
    CarryOver {
        /// Record id.
        id: String,
        /// The congress year it is carried into, later than its current one, e.g. 2025.
        #[arg(long)]
        to_year: u32,
        /// Why it is carried over.
        #[arg(long)]
        reason: Option<String>,
        /// The deadline in the new year of every part not answered, YYYY-MM-DD (else they
        /// keep last year's).
        #[arg(long, value_name = "YYYY-MM-DD")]
        deadline: Option<String>,
    },
    /// Close a `rated` suggestion (origin city only).
    Close {
        /// Record id.
        id: String,
        /// Optional closing note.
        #[arg(long)]
        note: Option<String>,
    },
}

/// Flags of `suggestion create`.
#[derive(Debug, Args)]
pub struct SuggestionCreate {
    /// Short title, e.g. 关于修建省际断头路的建议.
    #[arg(long)]
    pub title: String,
    /// Full text of the suggestion.
    #[arg(long)]
    pub body: String,
    /// Name of a proposing deputy (repeat for several).
    #[arg(long = "proposer", value_name = "NAME")]
    pub proposers: Vec<String>,
    /// Station record id the suggestion came through.
    #[arg(long = "station", value_name = "ID")]
    pub station: Option<String>,
    /// Congress year it belongs to (default: the year of --submitted-on, else this year).
    #[arg(long)]
    pub year: Option<u32>,
    /// The day the deputies submitted it (提出日期), YYYY-MM-DD, when that was not today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub submitted_on: Option<String>,
    #[command(flatten)]
    pub create: CreateFlags,
}

/// Satisfaction rating of a suggestion's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RatingArg {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Unsatisfied,
}

/// 办理结果分类 of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CategoryArg {
    /// A类：已解决或采纳
    A,
    /// B类：正在解决或列入计划
    B,
    /// C类：因条件限制暂难解决
    C,
    /// D类：留作参考
    D,
}
