//! The 承办单位办理情况 sheet: per handling unit (the dispatching city and its unit), how
//! many parts it was given, answered, and answered by the deadline (按期办结率), and how
//! the proposers rated the suggestions it answered (满意率).
//!
//! 按期办结率 = parts answered on or before their deadline ÷ parts dispatched; 满意率 =
//! parts whose suggestion was rated 满意 or 基本满意 ÷ parts whose suggestion was rated.
//! The rating is the suggestion's (derived from its proposers' ratings), so a joint
//! suggestion's rating counts for each unit that handled a part of it. A part counts for
//! its 主办 unit; one its unit returned (退回) counts for none until the city re-dispatches
//! it (改派), then for the new unit.

use std::collections::BTreeMap;

use super::LedgerRow;

/// One handling unit's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitRow {
    /// 交办城市 (its name).
    pub city: String,
    /// 承办单位.
    pub unit: String,
    /// 交办件数: parts dispatched to it.
    pub dispatched: u32,
    /// 已答复.
    pub answered: u32,
    /// 按期答复: answered on or before the deadline.
    pub on_time: u32,
    /// 已测评: parts of rated suggestions.
    pub rated: u32,
    /// 满意或基本满意.
    pub satisfied: u32,
}

impl UnitRow {
    /// 按期办结率, e.g. `87.5%`; `—` with nothing dispatched.
    pub fn on_time_rate(&self) -> String {
        rate(self.on_time, self.dispatched)
    }

    /// 满意率, e.g. `100.0%`; `—` with nothing rated.
    pub fn satisfaction_rate(&self) -> String {
        rate(self.satisfied, self.rated)
    }
}

fn rate(part: u32, whole: u32) -> String {
    if whole == 0 {
        return "—".to_owned();
    }
    format!("{:.1}%", f64::from(part) * 100.0 / f64::from(whole))
}

/// The units of the dispatched parts among `rows`, by city and unit.
pub fn units(rows: &[LedgerRow]) -> Vec<UnitRow> {
    let mut by_unit: BTreeMap<(&str, &str), UnitRow> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.unit.is_empty() && !r.returned) {
        let u = by_unit
            .entry((r.city.as_str(), r.unit.as_str()))
            .or_insert_with(|| UnitRow {
                city: r.city.clone(),
                unit: r.unit.clone(),
                ..UnitRow::default()
            });
        u.dispatched += 1;
        if !r.answered_on.is_empty() {
            u.answered += 1;
            // Both are YYYY-MM-DD, which order as text.
            if r.answered_on <= r.deadline {
                u.on_time += 1;
            }
        }
        if let Some(satisfied) = r.satisfied {
            u.rated += 1;
            u.satisfied += u32::from(satisfied);
        }
    }
    by_unit.into_values().collect()
}
