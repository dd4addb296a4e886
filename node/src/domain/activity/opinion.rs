//! Public opinions (群众意见) registered at a constituent reception: each is received by a
//! participant city, then answered on the spot (`answered`), or passed to a unit
//! (`referred`) whose feedback comes later (`fed_back`); only the city that received an
//! opinion handles it, naming it by its number among that city's opinions (贺州 1, 2, …;
//! 清远 1, …), which concurrent registrations at other cities never change. Once a reception has opinions, its opinions collected and problems
//! solved are counted from them.

use lianluo_proto::{
    change::Kind as K, ActivityOpinionAnswered, ActivityOpinionFeedback, ActivityOpinionReceived,
    ActivityOpinionReferred, PublicOpinion,
};
use serde::{Deserialize, Serialize};

use super::super::limits::OPINIONS_MAX;
use super::super::record::{require, Status};

/// What became of an opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OpinionStatus {
    Received,
    Answered,
    Referred,
    FedBack,
}

impl Status for OpinionStatus {
    fn as_str(self) -> &'static str {
        match self {
            OpinionStatus::Received => "received",
            OpinionStatus::Answered => "answered",
            OpinionStatus::Referred => "referred",
            OpinionStatus::FedBack => "fed_back",
        }
    }
}

/// One public opinion and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Opinion {
    pub city: String,
    pub person: String,
    pub content: String,
    pub place: String,
    pub status: OpinionStatus,
    pub answer: String,
    pub unit: String,
    pub feedback: String,
    pub solved: bool,
}

impl Opinion {
    fn received(city: &str, c: &ActivityOpinionReceived) -> Self {
        Opinion {
            city: city.to_owned(),
            person: c.person.clone(),
            content: c.content.clone(),
            place: c.place.clone(),
            status: OpinionStatus::Received,
            answer: String::new(),
            unit: String::new(),
            feedback: String::new(),
            solved: false,
        }
    }

    /// The read-model view of opinion `number` (its number among its city's).
    pub fn view(&self, number: u32) -> PublicOpinion {
        PublicOpinion {
            number,
            city: self.city.clone(),
            person: self.person.clone(),
            content: self.content.clone(),
            place: self.place.clone(),
            status: self.status.as_str().to_owned(),
            answer: self.answer.clone(),
            unit: self.unit.clone(),
            feedback: self.feedback.clone(),
            solved: self.solved,
        }
    }
}

/// Applies an opinion change by `author` to `opinions` (other changes do nothing).
pub(super) fn apply(opinions: &mut Vec<Opinion>, author: &str, change: &K) -> Result<(), String> {
    match change {
        K::ActivityOpinionReceived(c) => {
            if opinions.len() >= OPINIONS_MAX {
                return Err(format!(
                    "cannot register an opinion: the activity already has {OPINIONS_MAX} \
                     (the limit)"
                ));
            }
            opinions.push(Opinion::received(author, c));
        }
        K::ActivityOpinionAnswered(c) => answered(opinions, author, c)?,
        K::ActivityOpinionReferred(c) => referred(opinions, author, c)?,
        K::ActivityOpinionFeedback(c) => fed_back(opinions, author, c)?,
        _ => {}
    }
    Ok(())
}

fn answered(ops: &mut [Opinion], author: &str, c: &ActivityOpinionAnswered) -> Result<(), String> {
    let o = handled_by(ops, author, c.opinion, "answer")?;
    require(
        "answer",
        &what(c.opinion),
        o.status,
        &[OpinionStatus::Received],
    )?;
    o.answer.clone_from(&c.answer);
    o.solved = c.solved;
    o.status = OpinionStatus::Answered;
    Ok(())
}

fn referred(ops: &mut [Opinion], author: &str, c: &ActivityOpinionReferred) -> Result<(), String> {
    let o = handled_by(ops, author, c.opinion, "refer")?;
    require(
        "refer",
        &what(c.opinion),
        o.status,
        &[OpinionStatus::Received],
    )?;
    o.unit.clone_from(&c.unit);
    o.status = OpinionStatus::Referred;
    Ok(())
}

fn fed_back(ops: &mut [Opinion], author: &str, c: &ActivityOpinionFeedback) -> Result<(), String> {
    let o = handled_by(ops, author, c.opinion, "record feedback on")?;
    let verb = "record feedback";
    require(verb, &what(c.opinion), o.status, &[OpinionStatus::Referred])?;
    o.feedback.clone_from(&c.feedback);
    o.solved = c.solved;
    o.status = OpinionStatus::FedBack;
    Ok(())
}

/// "opinion 2", as a refusal names it.
fn what(number: u32) -> String {
    format!("opinion {number}")
}

/// `author`'s opinion `number`: the city's own opinions are numbered 1, 2, … in the
/// order it registered them, which no other city's concurrent registration changes (a
/// city's events follow each other), so an act names the opinion it was made for.
fn handled_by<'o>(
    ops: &'o mut [Opinion],
    author: &str,
    number: u32,
    verb: &str,
) -> Result<&'o mut Opinion, String> {
    let had = ops.iter().filter(|o| o.city == author).count();
    let at = usize::try_from(number).ok().and_then(|n| n.checked_sub(1));
    let found = at.and_then(|i| ops.iter_mut().filter(|o| o.city == author).nth(i));
    match found {
        Some(o) => Ok(o),
        None => Err(format!(
            "cannot {verb} opinion {number}: {author} has registered {had} opinion(s) at \
                 this activity; an opinion is handled by the city that registered it, by its \
                 number there"
        )),
    }
}
