//! The report as a Word document (`.docx`, written by the `docx-rs` crate), for offices
//! that hand the year's report to their leaders in Word or WPS: the title centred in 黑体,
//! the partial-data note in bold, the meta line and the summary, then each section under
//! its heading with its tables (header row bold, full page width). Body text is 宋体
//! 12 pt, Latin text Times New Roman.

use docx_rs::{
    AlignmentType, Docx, Paragraph, Run, RunFonts, Style, StyleType, Table as DocxTable, TableCell,
    TableRow, WidthType,
};

use super::render::{Doc, Table};

/// Why the document could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the .docx report: {0}")]
pub struct DocxError(String);

/// Sizes in half-points.
const BODY: usize = 24;
const TITLE: usize = 36;
const HEADING: usize = 30;

/// The `.docx` bytes of `doc`, its creation time `created` (RFC 3339: when the figures
/// were gathered).
pub fn docx(doc: &Doc, created: &str) -> Result<Vec<u8>, DocxError> {
    let mut d = Docx::new()
        .created_at(created)
        .updated_at(created)
        .default_fonts(fonts("宋体"))
        .default_size(BODY)
        .add_style(
            Style::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(TITLE)
                .bold()
                .fonts(fonts("黑体"))
                .align(AlignmentType::Center),
        )
        .add_style(
            Style::new("Heading2", StyleType::Paragraph)
                .name("Heading 2")
                .size(HEADING)
                .bold()
                .fonts(fonts("黑体")),
        )
        .add_paragraph(
            Paragraph::new()
                .style("Title")
                .add_run(Run::new().add_text(&doc.title)),
        );
    for (i, note) in doc.notes.iter().enumerate() {
        let run = Run::new().add_text(note);
        d = d.add_paragraph(Paragraph::new().add_run(if i == 0 { run.bold() } else { run }));
    }
    d = d
        .add_paragraph(text(&doc.meta))
        .add_paragraph(text(&doc.summary));
    for s in &doc.sections {
        d = d.add_paragraph(
            Paragraph::new()
                .style("Heading2")
                .add_run(Run::new().add_text(&s.heading)),
        );
        for p in &s.paragraphs {
            d = d.add_paragraph(text(p));
        }
        for t in &s.tables {
            d = d
                .add_paragraph(Paragraph::new().add_run(Run::new().add_text(&t.caption).bold()))
                .add_table(table(t))
                .add_paragraph(Paragraph::new());
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    d.build()
        .pack(&mut out)
        .map_err(|e| DocxError(e.to_string()))?;
    Ok(out.into_inner())
}

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
        .east_asia(east_asia)
}

fn text(s: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(s))
}

/// A table: header row bold, numbers right-aligned, the full page width.
fn table(t: &Table) -> DocxTable {
    let cell = |s: &str, header: bool, first: bool| {
        let run = Run::new().add_text(s);
        let p = Paragraph::new().add_run(if header { run.bold() } else { run });
        let p = if header || first {
            p
        } else {
            p.align(AlignmentType::Right)
        };
        TableCell::new().add_paragraph(p)
    };
    let mut rows = vec![TableRow::new(
        t.headers.iter().map(|h| cell(h, true, false)).collect(),
    )];
    rows.extend(t.rows.iter().map(|r| {
        TableRow::new(
            r.iter()
                .enumerate()
                .map(|(i, c)| cell(c, false, i == 0))
                .collect(),
        )
    }));
    DocxTable::new(rows).width(5000, WidthType::Pct)
}
