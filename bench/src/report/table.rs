//! The aligned plain-text table.

use super::Row;

const HEADINGS: [&str; 7] = [
    "scenario",
    "figure",
    "value",
    "limit (what)",
    "ratio",
    "target",
    "met?",
];

/// Rows as an aligned table: `a | b | …`, a rule under the headings, columns padded to
/// their widest cell (counted in characters).
pub fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 7]> = rows.iter().map(Row::cells).collect();
    let mut widths = HEADINGS.map(|h| h.chars().count());
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join(" | ").trim_end().to_string() + "\n"
    };
    let mut out = line(&HEADINGS.map(str::to_string));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&rule.join("-|-"));
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row));
    }
    out
}
