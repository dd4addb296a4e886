//! Office exports of a year's suggestions as one `.xlsx` workbook (rust_xlsxwriter) with
//! the sheets a congress office keeps:
//!
//! - 交办清单 (dispatch list): one row per city's part of a suggestion — the unit it was
//!   handed to (承办单位), when (交办日期) and by when (办理期限); a suggestion no city has
//!   dispatched yet has one row that says 尚未交办.
//! - 办理台账 (handling ledger): the same rows carried on — how the part stands, when it
//!   was answered and what the answer said, whether it is overdue, then the proposers'
//!   rating and the suggestion's status.
//! - 承办单位办理情况: per handling unit, 按期办结率 and 满意率 ([`units`]).
//!
//! Rows are built from records with their history ([`ledger`]): a part's 交办日期 and
//! 答复日期 are the ones its acts gave, else the day of the act (the last applied one of
//! that city), so the sheets are tested without a spreadsheet; [`workbook`] writes them
//! out.

use lianluo_proto::{HistoryEntry, Record, SuggestionPart};
use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::labels::{self, Lang};
use crate::domain::rfc3339_local_date;

#[cfg(test)]
mod tests;
mod units;

pub use units::{units, UnitRow};

/// Why a workbook could not be written.
#[derive(Debug, thiserror::Error)]
#[error("the workbook could not be written: {0}")]
pub struct ExportError(#[from] XlsxError);

/// One row of both sheets: a city's part of a suggestion (or the suggestion alone when no
/// city has dispatched it yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// The suggestion's record id.
    pub record_id: String,
    /// 建议标题.
    pub title: String,
    /// 提出代表, joined with 、.
    pub proposers: String,
    /// 所属年度.
    pub year: u32,
    /// 牵头城市: the city that registered the suggestion (its name).
    pub origin: String,
    /// 交办城市: the city whose part this is (its name); empty when not dispatched.
    pub city: String,
    /// 主办单位.
    pub unit: String,
    /// 协办单位, joined with 、.
    pub co_units: String,
    /// 交办日期 (YYYY-MM-DD, UTC+8), from the part's last dispatch.
    pub dispatched_on: String,
    /// 办理期限 (YYYY-MM-DD).
    pub deadline: String,
    /// 办理情况: 尚未交办, 办理中, 已退回（待改派） or 已答复.
    pub handling: String,
    /// The unit returned the part (退回) and it waits to be re-dispatched.
    pub returned: bool,
    /// 答复日期 (YYYY-MM-DD), from the part's last answer; empty while not answered.
    pub answered_on: String,
    /// 答复意见.
    pub answer: String,
    /// 办理结果: the answer's category, e.g. A类（已解决或采纳）, or empty.
    pub category: String,
    /// 重点督办: the supervising leaders, e.g. 贺州：副主任 张三, or empty.
    pub key_supervision: String,
    /// 是否逾期: 是 or empty.
    pub overdue: bool,
    /// 测评结果 (满意, 基本满意, 不满意) or empty.
    pub rating: String,
    /// 测评意见.
    pub rating_comment: String,
    /// Whether the rating was 满意 or 基本满意 (`None`: not rated).
    pub satisfied: Option<bool>,
    /// 建议状态, e.g. 已办结, 转下年度继续办理.
    pub status: String,
    /// 转下年度: the years it was carried over to, e.g. 2027.
    pub carried_over_to: String,
}

/// The rows of `records` (suggestions with their history; other kinds are skipped), in
/// the order given, one per city part; `city_name` names a city by its id.
pub fn ledger(records: &[Record], city_name: &dyn Fn(&str) -> String) -> Vec<LedgerRow> {
    let mut rows = Vec::new();
    for rec in records {
        let Some(s) = rec.suggestion.as_ref() else {
            continue;
        };
        let base = LedgerRow {
            record_id: rec.id.clone(),
            title: rec.title.clone(),
            proposers: s.proposers.join("、"),
            year: s.year,
            origin: city_name(&rec.origin),
            city: String::new(),
            unit: String::new(),
            co_units: String::new(),
            dispatched_on: String::new(),
            deadline: String::new(),
            handling: "尚未交办".to_owned(),
            returned: false,
            answered_on: String::new(),
            answer: String::new(),
            category: String::new(),
            key_supervision: s
                .key_supervision
                .iter()
                .map(|k| format!("{}：{}", city_name(&k.city), k.leader))
                .collect::<Vec<_>>()
                .join("；"),
            overdue: false,
            rating: if s.rating.is_empty() {
                String::new()
            } else {
                labels::rating(&s.rating, Lang::Zh).to_owned()
            },
            rating_comment: rating_comment(s),
            satisfied: (!s.rating.is_empty()).then(|| s.rating != "unsatisfied"),
            status: labels::status("suggestion", &rec.status, Lang::Zh).to_owned(),
            carried_over_to: join_years(&s.carried_over_to),
        };
        if s.parts.is_empty() {
            rows.push(base);
            continue;
        }
        for part in &s.parts {
            let city = city_name(&part.city);
            rows.push(part_row(&base, city, part, &rec.history));
        }
    }
    rows
}

fn part_row(
    base: &LedgerRow,
    city: String,
    part: &SuggestionPart,
    history: &[HistoryEntry],
) -> LedgerRow {
    let answered = part.status == "answered";
    LedgerRow {
        city,
        unit: part.unit.clone(),
        co_units: part.co_units.join("、"),
        dispatched_on: given_or(&part.dispatched_on, || {
            last_date(history, DISPATCHES, &part.city)
        }),
        deadline: part.deadline.clone(),
        handling: match part.status.as_str() {
            "answered" => "已答复",
            "returned" => "已退回（待改派）",
            _ => "办理中",
        }
        .to_owned(),
        returned: part.status == "returned",
        answered_on: if answered {
            given_or(&part.answered_on, || {
                last_date(history, &["suggestion_answered"], &part.city)
            })
        } else {
            String::new()
        },
        answer: part.answer.clone(),
        category: if part.category.is_empty() {
            String::new()
        } else {
            labels::category(&part.category, Lang::Zh).to_owned()
        },
        overdue: part.overdue,
        ..base.clone()
    }
}

/// The date an act gave, else the fallback.
fn given_or(given: &str, fallback: impl FnOnce() -> String) -> String {
    if given.is_empty() {
        fallback()
    } else {
        given.to_owned()
    }
}

/// 测评意见: the comment of the rating as a whole, else each proposer's, e.g.
/// 李明：班线已开通；陈静：票价还需统一.
fn rating_comment(s: &lianluo_proto::SuggestionView) -> String {
    if !s.rating_comment.is_empty() {
        return s.rating_comment.clone();
    }
    let each: Vec<String> = s
        .proposer_ratings
        .iter()
        .filter(|r| !r.comment.is_empty())
        .map(|r| format!("{}：{}", r.proposer, r.comment))
        .collect();
    each.join("；")
}

/// The acts that give a part to a unit: its dispatch, and a re-dispatch (改派).
const DISPATCHES: &[&str] = &["suggestion_dispatched", "suggestion_redispatched"];

/// The day (UTC+8) of the last applied event of one of `kinds` by `city`, empty if none.
fn last_date(history: &[HistoryEntry], kinds: &[&str], city: &str) -> String {
    history
        .iter()
        .rev()
        .find(|h| kinds.contains(&h.r#type.as_str()) && h.author_city == city && !h.rejected)
        .and_then(|h| rfc3339_local_date(&h.at))
        .unwrap_or_default()
}

fn join_years(years: &[u32]) -> String {
    years
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join("、")
}

/// Column headings and widths (in characters) of the 交办清单.
const DISPATCH: [(&str, f64); 12] = [
    ("序号", 6.0),
    ("建议标题", 36.0),
    ("提出代表", 18.0),
    ("所属年度", 9.0),
    ("牵头城市", 9.0),
    ("交办城市", 9.0),
    ("主办单位", 24.0),
    ("协办单位", 24.0),
    ("交办日期", 12.0),
    ("办理期限", 12.0),
    ("重点督办", 20.0),
    ("记录编号", 34.0),
];

/// Column headings and widths of the 办理台账.
const LEDGER: [(&str, f64); 19] = [
    ("序号", 6.0),
    ("建议标题", 36.0),
    ("提出代表", 18.0),
    ("所属年度", 9.0),
    ("交办城市", 9.0),
    ("主办单位", 24.0),
    ("协办单位", 24.0),
    ("交办日期", 12.0),
    ("办理期限", 12.0),
    ("办理情况", 9.0),
    ("答复日期", 12.0),
    ("答复意见", 40.0),
    ("办理结果", 14.0),
    ("是否逾期", 9.0),
    ("测评结果", 9.0),
    ("测评意见", 24.0),
    ("重点督办", 20.0),
    ("建议状态", 16.0),
    ("记录编号", 34.0),
];

/// One cell's value.
enum Cell<'a> {
    Text(&'a str),
    Owned(String),
    Number(u32),
    /// A `YYYY-MM-DD` date, written as a date (empty when blank).
    Date(&'a str),
}

fn dispatch_cells(n: u32, r: &LedgerRow) -> Vec<Cell<'_>> {
    vec![
        Cell::Number(n),
        Cell::Text(&r.title),
        Cell::Text(&r.proposers),
        Cell::Number(r.year),
        Cell::Text(&r.origin),
        Cell::Text(&r.city),
        Cell::Text(if r.unit.is_empty() {
            &r.handling
        } else {
            &r.unit
        }),
        Cell::Text(&r.co_units),
        Cell::Date(&r.dispatched_on),
        Cell::Date(&r.deadline),
        Cell::Text(&r.key_supervision),
        Cell::Text(&r.record_id),
    ]
}

fn ledger_cells(n: u32, r: &LedgerRow) -> Vec<Cell<'_>> {
    vec![
        Cell::Number(n),
        Cell::Text(&r.title),
        Cell::Text(&r.proposers),
        Cell::Number(r.year),
        Cell::Text(&r.city),
        Cell::Text(&r.unit),
        Cell::Text(&r.co_units),
        Cell::Date(&r.dispatched_on),
        Cell::Date(&r.deadline),
        Cell::Text(&r.handling),
        Cell::Date(&r.answered_on),
        Cell::Text(&r.answer),
        Cell::Text(&r.category),
        Cell::Text(if r.overdue { "是" } else { "" }),
        Cell::Text(&r.rating),
        Cell::Text(&r.rating_comment),
        Cell::Text(&r.key_supervision),
        Cell::Text(&r.status),
        Cell::Text(&r.record_id),
    ]
}

/// What a sheet's first line says about where the data came from.
pub struct Provenance<'a> {
    /// The year exported.
    pub year: u32,
    /// The name of the city whose node made the export.
    pub city: &'a str,
    /// When, as people read it, e.g. 2026年3月10日12:00.
    pub as_of: &'a str,
}

/// Column headings and widths of the 承办单位办理情况.
const UNITS: [(&str, f64); 10] = [
    ("序号", 6.0),
    ("交办城市", 9.0),
    ("承办单位", 24.0),
    ("交办件数", 9.0),
    ("已答复", 9.0),
    ("按期答复", 9.0),
    ("按期办结率", 11.0),
    ("已测评", 9.0),
    ("满意或基本满意", 14.0),
    ("满意率", 9.0),
];

fn unit_cells(n: u32, u: &UnitRow) -> Vec<Cell<'_>> {
    vec![
        Cell::Number(n),
        Cell::Text(&u.city),
        Cell::Text(&u.unit),
        Cell::Number(u.dispatched),
        Cell::Number(u.answered),
        Cell::Number(u.on_time),
        Cell::Owned(u.on_time_rate()),
        Cell::Number(u.rated),
        Cell::Number(u.satisfied),
        Cell::Owned(u.satisfaction_rate()),
    ]
}

/// The workbook of `rows`: the 交办清单, the 办理台账 and the 承办单位办理情况 ([`units`]),
/// each with a title line naming the year, the exporting node and the time, a header row
/// that stays in view and filters.
pub fn workbook(rows: &[LedgerRow], from: &Provenance<'_>) -> Result<Vec<u8>, ExportError> {
    let mut book = Workbook::new();
    let title = |name: &str| {
        format!(
            "{}年代表建议{name}（{}节点导出，数据截至{}）",
            from.year, from.city, from.as_of
        )
    };
    for (name, columns, cells) in [
        (
            "交办清单",
            &DISPATCH[..],
            dispatch_cells as CellsOf<LedgerRow>,
        ),
        ("办理台账", &LEDGER[..], ledger_cells),
    ] {
        let sheet = book.add_worksheet().set_name(name)?;
        write_sheet(sheet, &title(name), columns, rows, cells)?;
    }
    let name = "承办单位办理情况";
    let sheet = book.add_worksheet().set_name(name)?;
    write_sheet(sheet, &title(name), &UNITS, &units(rows), unit_cells)?;
    Ok(book.save_to_buffer()?)
}

/// The cells of a row numbered `n`.
type CellsOf<T> = for<'a> fn(u32, &'a T) -> Vec<Cell<'a>>;

fn write_sheet<T>(
    sheet: &mut rust_xlsxwriter::Worksheet,
    title: &str,
    columns: &[(&str, f64)],
    rows: &[T],
    cells: CellsOf<T>,
) -> Result<(), XlsxError> {
    let last_col = u16::try_from(columns.len().saturating_sub(1)).unwrap_or(u16::MAX);
    let bold = Format::new().set_bold();
    sheet.merge_range(0, 0, 0, last_col, title, &bold.clone().set_font_size(14))?;
    let head = bold
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let wrap = Format::new().set_text_wrap();
    for (col, (heading, width)) in (0u16..).zip(columns) {
        sheet.write_string_with_format(1, col, *heading, &head)?;
        sheet.set_column_width(col, *width)?;
    }
    let mut row_no = 2u32;
    for (n, r) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells(n, r)) {
            match cell {
                Cell::Text("") | Cell::Date("") => {}
                Cell::Text(t) => {
                    sheet.write_string_with_format(row_no, col, t, &wrap)?;
                }
                Cell::Owned(t) => {
                    sheet.write_string(row_no, col, t)?;
                }
                Cell::Number(v) => {
                    sheet.write_number(row_no, col, f64::from(v))?;
                }
                Cell::Date(d) => match ExcelDateTime::parse_from_str(d) {
                    Ok(when) => {
                        sheet.write_datetime_with_format(row_no, col, &when, &date)?;
                    }
                    // Not a date after all: kept as written.
                    Err(_) => {
                        sheet.write_string(row_no, col, d)?;
                    }
                },
            }
        }
        row_no += 1;
    }
    sheet.set_freeze_panes(2, 0)?;
    sheet.autofilter(1, 0, row_no.saturating_sub(1).max(1), last_col)?;
    Ok(())
}
