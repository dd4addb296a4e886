//! Joint deputy liaison stations: `active` → `closed` (final).

use lianluo_proto::{change::Kind as K, StationRegistered, StationView};
use serde::{Deserialize, Serialize};

use super::record::{require, Ctx, Status};

/// Station status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StationStatus {
    Active,
    Closed,
}

impl Status for StationStatus {
    fn as_str(self) -> &'static str {
        match self {
            StationStatus::Active => "active",
            StationStatus::Closed => "closed",
        }
    }
}

/// A station's state: what the fold keeps and the store holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Station {
    pub status: StationStatus,
    pub name: String,
    pub township: String,
    pub county: String,
    pub address: String,
    pub note: String,
    pub closed_reason: String,
}

impl Station {
    /// `station_registered` → `active`.
    pub fn create(c: &StationRegistered) -> Self {
        Station {
            status: StationStatus::Active,
            name: c.name.clone(),
            township: c.township.clone(),
            county: c.county.clone(),
            address: c.address.clone(),
            note: c.note.clone(),
            closed_reason: String::new(),
        }
    }

    /// True when closed.
    pub fn is_final(&self) -> bool {
        self.status == StationStatus::Closed
    }

    /// Applies a station change (origin only `station_closed`, from `active`).
    pub(super) fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::StationClosed(c) => {
                ctx.origin_only("close the station")?;
                require("close", "station", self.status, &[StationStatus::Active])?;
                self.status = StationStatus::Closed;
                self.closed_reason.clone_from(&c.reason);
                Ok(())
            }
            other => Err(format!(
                "{} does not apply to a station",
                super::kind_name(other)
            )),
        }
    }

    /// The read-model view.
    pub fn view(&self) -> StationView {
        StationView {
            name: self.name.clone(),
            township: self.township.clone(),
            county: self.county.clone(),
            address: self.address.clone(),
            note: self.note.clone(),
            closed_reason: self.closed_reason.clone(),
            // The record's business dates (`view::business_dates`).
            ..StationView::default()
        }
    }
}
