//! Joint deputy liaison stations: `active` → `closed` (final).

use lianluo_proto::{change::Kind as K, StationRegistered, StationView};

use super::record::{require, Ctx, Status};

/// Station status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A station's state during the fold.
pub(super) struct Station {
    pub status: StationStatus,
    view: StationView,
}

impl Station {
    /// `station_registered` → `active`.
    pub fn create(c: &StationRegistered) -> Self {
        Station {
            status: StationStatus::Active,
            view: StationView {
                name: c.name.clone(),
                township: c.township.clone(),
                county: c.county.clone(),
                address: c.address.clone(),
                note: c.note.clone(),
                closed_reason: String::new(),
            },
        }
    }

    /// True when closed.
    pub fn is_final(&self) -> bool {
        self.status == StationStatus::Closed
    }

    /// Applies a station change (origin only `station_closed`, from `active`).
    pub fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match change {
            K::StationClosed(c) => {
                ctx.origin_only("close the station")?;
                require("close", "station", self.status, &[StationStatus::Active])?;
                self.status = StationStatus::Closed;
                self.view.closed_reason.clone_from(&c.reason);
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
        self.view.clone()
    }
}
