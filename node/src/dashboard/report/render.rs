//! The report's document model and its two renderings: Markdown, and a standalone HTML
//! document with inline CSS. Every piece of text is escaped for its format.

use std::fmt::Write as _;

use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::OffsetDateTime;

/// A rendered-to-be report.
pub struct Doc {
    pub title: String,
    /// The partial-data note, first line the headline; empty when every city is ok.
    pub notes: Vec<String>,
    /// When and by which node the figures were gathered.
    pub meta: String,
    pub summary: String,
    pub sections: Vec<Section>,
}

/// A section under a second-level heading.
pub struct Section {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<Table>,
}

/// A table with a caption; rows have as many cells as headers.
pub struct Table {
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// `2026年3月10日12:00` in UTC+8 (Beijing time) of an RFC 3339 time, `None` when it does
/// not parse.
pub fn beijing_time(rfc: &str) -> Option<String> {
    let t = OffsetDateTime::parse(rfc, &Rfc3339).ok()?;
    t.to_offset(offset!(+8))
        .format(format_description!(
            "[year]年[month padding:none]月[day padding:none]日[hour]:[minute]"
        ))
        .ok()
}

/// Markdown: `#` title, a block quote for the partial note, pipe tables.
pub fn markdown(doc: &Doc) -> String {
    let mut out = format!("# {}\n\n", md(&doc.title));
    if let Some((head, rest)) = doc.notes.split_first() {
        let _ = writeln!(out, "> **{}**", md(head));
        for line in rest {
            let _ = writeln!(out, ">\n> - {}", md(line));
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}\n\n{}\n", md(&doc.meta), md(&doc.summary));
    for s in &doc.sections {
        let _ = writeln!(out, "## {}\n", md(&s.heading));
        for p in &s.paragraphs {
            let _ = writeln!(out, "{}\n", md(p));
        }
        for t in &s.tables {
            md_table(&mut out, t);
        }
    }
    out
}

fn md_table(out: &mut String, t: &Table) {
    let _ = writeln!(out, "**{}**\n", md(&t.caption));
    let row = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| md(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&row(&t.headers));
    let rule: Vec<&str> = t
        .headers
        .iter()
        .enumerate()
        .map(|(i, _)| if i == 0 { "---" } else { "---:" })
        .collect();
    let _ = writeln!(out, "| {} |", rule.join(" | "));
    for r in &t.rows {
        out.push_str(&row(r));
    }
    out.push('\n');
}

/// Escapes text for Markdown: one line, no markup, no raw HTML.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "body{font-family:\"Noto Sans CJK SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif;\
max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.7}\
h1{font-size:1.5rem;text-align:center}h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:2rem}\
.note{border:2px solid #c0392b;background:#fdecea;padding:.5rem 1rem;margin:1rem 0}\
.note strong{color:#c0392b}.meta{color:#666;font-size:.9rem}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem}caption{font-weight:bold;text-align:left;padding:.25rem 0}\
.scroll{overflow-x:auto}\
th,td{border:1px solid #999;padding:.25rem .6rem;white-space:nowrap;word-break:keep-all}\
td{text-align:right}td:first-child{text-align:left}\
th{background:#f0f0f0}tr:last-child td{font-weight:bold}";

/// A complete HTML document (doctype, charset, inline CSS), every text escaped.
pub fn html(doc: &Doc) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n",
        title = esc(&doc.title)
    );
    if let Some((head, rest)) = doc.notes.split_first() {
        let _ = writeln!(
            out,
            "<div class=\"note\" role=\"alert\"><p><strong>{}</strong></p>",
            esc(head)
        );
        if !rest.is_empty() {
            out.push_str("<ul>\n");
            for line in rest {
                let _ = writeln!(out, "<li>{}</li>", esc(line));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</div>\n");
    }
    let _ = writeln!(out, "<p class=\"meta\">{}</p>", esc(&doc.meta));
    let _ = writeln!(out, "<p class=\"summary\">{}</p>", esc(&doc.summary));
    for s in &doc.sections {
        let _ = writeln!(out, "<section>\n<h2>{}</h2>", esc(&s.heading));
        for p in &s.paragraphs {
            let _ = writeln!(out, "<p>{}</p>", esc(p));
        }
        for t in &s.tables {
            html_table(&mut out, t);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn html_table(out: &mut String, t: &Table) {
    // Narrow screens scroll the table sideways; its cells never break a word.
    let _ = writeln!(
        out,
        "<div class=\"scroll\"><table>\n<caption>{}</caption>",
        esc(&t.caption)
    );
    out.push_str("<thead><tr>");
    for h in &t.headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
