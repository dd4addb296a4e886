//! Arguments of `lianluo project …`: cross-border projects (项目) deputies push.

use clap::{Args, Subcommand, ValueEnum};

use super::{AddPartnerArgs, CreateFlags};

/// `lianluo project …`: cross-border works deputies push — road links between counties
/// and townships, demonstration zones — from proposal to completion.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Record a proposed project; this node's city is the origin (status `proposed`).
    Propose(ProjectPropose),
    /// Share the project with one more city (origin city only; partners are never
    /// removed). Not once it is `completed`.
    AddPartner(AddPartnerArgs),
    /// Work has begun (开工): `proposed` → `under_construction` (origin city only).
    Start {
        /// Record id.
        id: String,
        /// The day work began (开工日期), YYYY-MM-DD: not before the day it was proposed.
        #[arg(long, value_name = "YYYY-MM-DD")]
        started_on: String,
        /// Optional note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Work is done (建成): `under_construction` → `completed` (origin city only).
    Complete {
        /// Record id.
        id: String,
        /// The day it was completed (建成日期), YYYY-MM-DD: not before work began.
        #[arg(long, value_name = "YYYY-MM-DD")]
        completed_on: String,
        /// Administrative villages (行政村) it benefits as built (default: as planned).
        #[arg(long, value_name = "N")]
        villages: Option<u32>,
        /// People (群众) it benefits as built (default: as planned).
        #[arg(long, value_name = "N")]
        people: Option<u32>,
        /// Optional note, e.g. 通车.
        #[arg(long)]
        note: Option<String>,
    },
    /// Link suggestions or activities behind the project (any participant city, in any
    /// status; each record once).
    Link {
        /// Record id of the project.
        id: String,
        /// A suggestion record id (repeat for several).
        #[arg(long = "suggestion", value_name = "ID")]
        suggestions: Vec<String>,
        /// An activity record id (repeat for several).
        #[arg(long = "activity", value_name = "ID")]
        activities: Vec<String>,
    },
}

/// Flags of `project propose`.
#[derive(Debug, Args)]
pub struct ProjectPropose {
    /// Short title, e.g. 桂岭至太保县乡公路连通工程.
    #[arg(long)]
    pub title: String,
    /// What kind of project it is.
    #[arg(long, value_enum)]
    pub kind: ProjectKindArg,
    /// A place it joins or covers, e.g. 贺州市八步区桂岭镇 (repeat for several).
    #[arg(long = "place", value_name = "PLACE")]
    pub places: Vec<String>,
    /// What is to be built and why.
    #[arg(long)]
    pub description: Option<String>,
    /// Administrative villages (行政村) it is planned to benefit.
    #[arg(long, value_name = "N")]
    pub villages: Option<u32>,
    /// People (群众) it is planned to benefit.
    #[arg(long, value_name = "N")]
    pub people: Option<u32>,
    /// A suggestion record id behind it (repeat for several).
    #[arg(long = "suggestion", value_name = "ID")]
    pub suggestions: Vec<String>,
    /// An activity record id behind it, e.g. the joint inspection (repeat for several).
    #[arg(long = "activity", value_name = "ID")]
    pub activities: Vec<String>,
    /// The day it was proposed (提出日期), YYYY-MM-DD, when that was not today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub proposed_on: Option<String>,
    #[command(flatten)]
    pub create: CreateFlags,
}

/// Kind of project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProjectKindArg {
    /// 跨区域县乡公路连通工程
    RoadLink,
    /// 示范区, e.g. 桂粤省际供港蔬菜种植示范区
    DemonstrationZone,
    /// Anything else.
    Other,
}
