//! One city's figures from the records it originated (see `CityFigures` in
//! dashboard.proto for what each figure counts).
//!
//! PLACEHOLDER: being written; only the signatures are final.

use lianluo_proto::{CityFigures, Record};

use crate::error::NodeError;
use crate::state::NodeState;

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Refuses a year outside 0 (all years) or 2000–2100, naming the `year` field.
pub fn check_year(year: u32) -> Result<(), NodeError> {
    if year == 0 || (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(NodeError::invalid(
            "year",
            format!("{year} is out of range; use 2000–2100, or 0 for all years"),
        ))
    }
}

/// This node's city's figures for `year`, computed off the async runtime.
pub async fn local_figures(state: &NodeState, year: u32) -> Result<CityFigures, NodeError> {
    check_year(year)?;
    Ok(CityFigures {
        city: state.config.city.clone(),
        year,
        ..CityFigures::default()
    })
}

/// The figures of `city` over `records` (those it did not originate are skipped).
pub fn compute<'a>(
    city: &str,
    year: u32,
    now_ms: u64,
    records: impl IntoIterator<Item = &'a Record>,
) -> CityFigures {
    let _ = (now_ms, records.into_iter().count());
    CityFigures {
        city: city.to_string(),
        year,
        ..CityFigures::default()
    }
}

/// Sums figures of several cities (city left empty).
pub fn total<'a>(cities: impl IntoIterator<Item = &'a CityFigures>, year: u32) -> CityFigures {
    let _ = cities.into_iter().count();
    CityFigures {
        year,
        ..CityFigures::default()
    }
}
