//! Formatting of rows and the table.

use super::*;

#[test]
fn units_format_with_sensible_precision() {
    assert_eq!(Unit::PerSec.format(1234.4), "1234 /s");
    assert_eq!(Unit::PerSec.format(12.34), "12.3 /s");
    assert_eq!(Unit::Ms.format(0.4567), "0.46 ms");
    assert_eq!(Unit::Secs.format(2.0), "2.00 s");
    assert_eq!(Unit::Bytes.format(1536.4), "1536 B");
    assert_eq!(Unit::Count.format(3.0), "3");
}

#[test]
fn rows_show_limit_ratio_target_and_whether_met() {
    let r = Row::new("creates", "creates/s @16", 500.0, Unit::PerSec)
        .limit(2000.0, "WhoAmI, same 16 clients");
    assert_eq!(r.ratio(), Some(0.25));
    assert_eq!(r.met(), None);
    let t = Row::new("live", "p50", 1.5, Unit::Ms).target(Cmp::Le, 1.0);
    assert_eq!(t.met(), Some(false));
    assert_eq!(t.ratio(), None);
    let text = table(&[r, t]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("scenario | figure"), "{text}");
    assert!(lines[1].starts_with("--------"), "{text}");
    let cells = |l: &str| -> Vec<String> { l.split(" | ").map(|c| c.trim().to_string()).collect() };
    assert_eq!(
        cells(lines[2]),
        [
            "creates",
            "creates/s @16",
            "500 /s",
            "2000 /s (WhoAmI, same 16 clients)",
            "0.25",
            "-",
            "-"
        ],
        "{text}"
    );
    assert_eq!(
        cells(lines[3]),
        ["live", "p50", "1.50 ms", "-", "-", "≤ 1.00 ms", "NO"],
        "{text}"
    );
    // Columns line up: every `|` of the rows sits where the heading's does.
    let bars = |l: &str| -> Vec<usize> {
        l.chars()
            .enumerate()
            .filter(|(_, c)| *c == '|')
            .map(|(i, _)| i)
            .collect()
    };
    assert_eq!(bars(lines[0]), bars(lines[2]), "{text}");
    assert_eq!(bars(lines[0]), bars(lines[3]), "{text}");
}

#[test]
fn a_bare_figure_is_refused_and_json_has_the_cells() {
    let mut rep = Report::default();
    assert!(rep.push(Row::new("x", "bare", 1.0, Unit::Count)).is_err());
    rep.push(Row::new("x", "ok", 3.0, Unit::Count).target(Cmp::Ge, 2.0))
        .unwrap();
    let j = rep.to_json();
    assert_eq!(j["rows"][0]["met"], true);
    assert_eq!(j["rows"][0]["printed"]["target"], "≥ 2");
    assert_eq!(j["rows"].as_array().map(Vec::len), Some(1));
}
