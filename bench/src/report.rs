//! The benchmark's output: one [`Row`] per figure, each with the limit measured in the
//! same run (and the ratio value ÷ limit) and/or the target it must meet, printed as an
//! aligned plain-text table and optionally written as JSON for docs/benchmarks.md. A
//! figure never stands alone: [`Report::push`] refuses a row with neither a limit nor a
//! target, so a bare number cannot slip into the output.

use std::fmt::Write as _;

use serde::Serialize;

/// What a value measures, for formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Operations per second.
    PerSec,
    /// Milliseconds.
    Ms,
    /// Seconds.
    Secs,
    /// Bytes.
    Bytes,
    /// Mebibytes.
    MiB,
    /// A plain count.
    Count,
}

impl Unit {
    /// `v` formatted with this unit, with sensible precision.
    pub fn format(self, v: f64) -> String {
        let n = |v: f64| {
            if v.abs() >= 100.0 {
                format!("{v:.0}")
            } else if v.abs() >= 10.0 {
                format!("{v:.1}")
            } else {
                format!("{v:.2}")
            }
        };
        match self {
            Unit::PerSec => format!("{} /s", n(v)),
            Unit::Ms => format!("{} ms", n(v)),
            Unit::Secs => format!("{} s", n(v)),
            Unit::Bytes => format!("{v:.0} B"),
            Unit::MiB => format!("{} MB", n(v)),
            Unit::Count => format!("{v:.0}"),
        }
    }
}

/// How a value must compare with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cmp {
    /// value ≤ target
    Le,
    /// value < target
    Lt,
    /// value ≥ target
    Ge,
}

/// A limit measured in the same run, and what it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    /// The limit's value, in the row's unit.
    pub value: f64,
    /// What was measured, e.g. "WhoAmI, same 16 clients".
    pub what: String,
}

/// The value a figure must meet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    /// The comparison.
    pub cmp: Cmp,
    /// The target value, in the row's unit.
    pub value: f64,
}

impl Target {
    /// Whether `v` meets the target.
    pub fn holds(&self, v: f64) -> bool {
        match self.cmp {
            Cmp::Le => v <= self.value,
            Cmp::Lt => v < self.value,
            Cmp::Ge => v >= self.value,
        }
    }
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Scenario name (creates, catchup, live, overview, size, load).
    pub scenario: String,
    /// What the figure is.
    pub figure: String,
    /// The measured value.
    pub value: f64,
    /// Its unit.
    pub unit: Unit,
    /// The limit measured in the same run.
    pub limit: Option<Limit>,
    /// The target.
    pub target: Option<Target>,
}

impl Row {
    /// A figure without limit or target yet (add one before pushing it).
    pub fn new(scenario: &str, figure: impl Into<String>, value: f64, unit: Unit) -> Row {
        Row {
            scenario: scenario.to_string(),
            figure: figure.into(),
            value,
            unit,
            limit: None,
            target: None,
        }
    }

    /// With the limit `value` (same unit), described by `what`.
    pub fn limit(mut self, value: f64, what: impl Into<String>) -> Row {
        self.limit = Some(Limit {
            value,
            what: what.into(),
        });
        self
    }

    /// With a target.
    pub fn target(mut self, cmp: Cmp, value: f64) -> Row {
        self.target = Some(Target { cmp, value });
        self
    }

    /// value ÷ limit, when there is a non-zero limit.
    pub fn ratio(&self) -> Option<f64> {
        self.limit
            .as_ref()
            .filter(|l| l.value != 0.0)
            .map(|l| self.value / l.value)
    }

    /// Whether the target is met, when there is one.
    pub fn met(&self) -> Option<bool> {
        self.target.map(|t| t.holds(self.value))
    }

    /// The table cells: scenario, figure, value, limit, ratio, target, met.
    fn cells(&self) -> [String; 7] {
        let limit = self.limit.as_ref().map_or_else(
            || "-".to_string(),
            |l| format!("{} ({})", self.unit.format(l.value), l.what),
        );
        let ratio = self.ratio().map_or_else(|| "-".to_string(), format_ratio);
        let target = self.target.map_or_else(
            || "-".to_string(),
            |t| {
                let op = match t.cmp {
                    Cmp::Le => "≤",
                    Cmp::Lt => "<",
                    Cmp::Ge => "≥",
                };
                format!("{op} {}", self.unit.format(t.value))
            },
        );
        let met = match self.met() {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        [
            self.scenario.clone(),
            self.figure.clone(),
            self.unit.format(self.value),
            limit,
            ratio,
            target,
            met.to_string(),
        ]
    }
}

fn format_ratio(r: f64) -> String {
    if r.abs() >= 100.0 {
        format!("{r:.0}")
    } else if r.abs() >= 0.1 {
        format!("{r:.2}")
    } else {
        format!("{r:.3}")
    }
}

/// Everything a run prints: header lines, rows, notes.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// `key: value` lines printed above the table.
    pub header: Vec<(String, String)>,
    /// The figures.
    pub rows: Vec<Row>,
    /// Observations (signals used, errors, odd behaviour), printed below the table.
    pub notes: Vec<String>,
}

impl Report {
    /// Adds a figure; one with neither limit nor target is refused (a bug in the bench).
    pub fn push(&mut self, row: Row) -> anyhow::Result<()> {
        anyhow::ensure!(
            row.limit.is_some() || row.target.is_some(),
            "figure {:?} has neither a limit nor a target",
            row.figure
        );
        println!("  {}: {}", row.figure, row.unit.format(row.value));
        self.rows.push(row);
        Ok(())
    }

    /// Adds a note (also printed at once, so a long run shows progress).
    pub fn note(&mut self, scenario: &str, text: impl Into<String>) {
        let text = format!("{scenario}: {}", text.into());
        println!("  note: {text}");
        self.notes.push(text);
    }

    /// The aligned plain-text table with header and notes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (k, v) in &self.header {
            let _ = writeln!(out, "{k}: {v}");
        }
        out.push('\n');
        out.push_str(&table(&self.rows));
        if !self.notes.is_empty() {
            out.push_str("\nnotes:\n");
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }

    /// The report as JSON: header, rows (raw values plus the printed cells) and notes.
    pub fn to_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let cells = r.cells();
                serde_json::json!({
                    "scenario": r.scenario,
                    "figure": r.figure,
                    "value": r.value,
                    "unit": r.unit,
                    "limit": r.limit,
                    "ratio": r.ratio(),
                    "target": r.target,
                    "met": r.met(),
                    "printed": {"value": cells[2], "limit": cells[3], "target": cells[5]},
                })
            })
            .collect();
        let header: serde_json::Map<String, serde_json::Value> = self
            .header
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        serde_json::json!({"header": header, "rows": rows, "notes": self.notes})
    }
}

mod table;

pub use table::table;

#[cfg(test)]
mod tests;
