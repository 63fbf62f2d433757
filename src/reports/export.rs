//! CSV (UTF-8 with BOM, CRLF, Chinese headers: opens as-is in Excel) and xlsx exports
//! (rust_xlsxwriter: a typed data sheet with a frozen header, an autofilter and a total row,
//! and a summary sheet with the totals, the definitions and a chart).
//!
//! One duration format everywhere: 时:分:秒 (`0:12:10`), with the unit in every header; in
//! xlsx a duration is a number with the `[h]:mm:ss` format, dates and times are Excel dates,
//! counts and shares are numbers.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, XlsxError};
use serde::Serialize;

use super::TEXTS;
use super::appointments::{self, AppointmentsReport};
use super::appraisal::{self, Appraisal};
use super::waits::{self, WaitsReport};

/// One cell, typed so each format can show it properly.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Whole seconds.
    Duration(u64),
    /// A day, `YYYY-MM-DD`.
    Date(String),
    /// A local time, `YYYY-MM-DD HH:MM:SS` (the hall's clock).
    DateTime(String),
    /// A ratio, 0.25 = 25%.
    Share(f64),
    Decimal(f64),
    Flag(bool),
}

/// Rows of typed cells under named columns.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

fn is_duration(c: &str) -> bool {
    c.ends_with("_s")
}

fn cell(column: &str, v: &serde_json::Value) -> Cell {
    use serde_json::Value as V;
    match v {
        V::Null => Cell::Empty,
        V::Bool(b) => Cell::Flag(*b),
        V::String(s) if column == "window_kind" => Cell::Text(TEXTS.window_kind(s).to_string()),
        V::String(s) if column == "key" && is_day(s) => Cell::Date(s.clone()),
        V::String(s) => Cell::Text(s.clone()),
        V::Number(n) if is_duration(column) => Cell::Duration(n.as_u64().unwrap_or(0)),
        V::Number(n)
            if column.ends_with("_share")
                || column.ends_with("_rate")
                || column.ends_with("_coverage") =>
        {
            Cell::Share(n.as_f64().unwrap_or(0.0))
        }
        V::Number(n) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => Cell::Decimal(n.as_f64().unwrap_or(0.0)),
        },
        other => Cell::Text(other.to_string()),
    }
}

/// `YYYY-MM-DD` (a row of a by-day report).
fn is_day(s: &str) -> bool {
    s.len() == 10 && s.parse::<jiff::civil::Date>().is_ok()
}

/// Seconds as 时:分:秒, the one duration format of pages and exports: `0:12:10`, `2:31:31`.
pub fn hms(s: u64) -> String {
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// An RFC 3339 time of the API (`2026-12-01T10:00:00.000+08:00`) as the hall's local
/// `YYYY-MM-DD HH:MM:SS` (the offset is the hall's own).
pub fn local_time(rfc3339: &str) -> String {
    let t = rfc3339.get(..19).unwrap_or(rfc3339);
    t.replacen('T', " ", 1)
}

/// Excel's serial number of a local date or date and time (days since 1899-12-30).
fn excel_serial(s: &str) -> Option<f64> {
    let dt: jiff::civil::DateTime = if s.len() == 10 {
        s.parse::<jiff::civil::Date>()
            .ok()?
            .to_datetime(jiff::civil::Time::midnight())
    } else {
        s.replacen(' ', "T", 1).parse().ok()?
    };
    let epoch = jiff::civil::date(1899, 12, 30).to_datetime(jiff::civil::Time::midnight());
    let span = epoch.until((jiff::Unit::Second, dt)).ok()?;
    Some(span.get_seconds() as f64 / 86_400.0)
}

/// Pick `columns` out of each serialized row.
pub fn table<T: Serialize>(rows: &[T], columns: &[&'static str]) -> Table {
    let rows = rows
        .iter()
        .map(|r| {
            let v = serde_json::to_value(r).unwrap_or_default();
            columns
                .iter()
                .map(|c| cell(c, v.get(*c).unwrap_or(&serde_json::Value::Null)))
                .collect()
        })
        .collect();
    Table {
        columns: columns.to_vec(),
        rows,
    }
}

/// A column's header, with the duration unit where it holds durations.
pub fn header(column: &str) -> String {
    let h = TEXTS.column(column);
    if is_duration(column) {
        format!("{h}{}", TEXTS.label("duration_suffix"))
    } else {
        h.to_string()
    }
}

fn csv_field(out: &mut String, s: &str) {
    // A cell a spreadsheet would run as a formula (a name or comment typed by anyone) is
    // kept as text; numbers such as -3 stay numbers.
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err();
    let guarded;
    let s = if formula {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// The table as CSV: BOM, a header line, one line per row, CRLF; durations as 时:分:秒.
pub fn csv(t: &Table) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    let line = |out: &mut String, fields: Vec<String>| {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(out, f);
        }
        out.push_str("\r\n");
    };
    line(&mut out, t.columns.iter().map(|c| header(c)).collect());
    for r in &t.rows {
        line(
            &mut out,
            r.iter()
                .map(|c| match c {
                    Cell::Empty => String::new(),
                    Cell::Text(s) => s.clone(),
                    Cell::Int(i) => i.to_string(),
                    Cell::Duration(s) => hms(*s),
                    Cell::Date(d) | Cell::DateTime(d) => d.clone(),
                    Cell::Share(x) => format!("{x:.4}"),
                    Cell::Decimal(x) => format!("{x:.2}"),
                    Cell::Flag(true) => TEXTS.sheet("yes").to_string(),
                    Cell::Flag(false) => String::new(),
                })
                .collect(),
        );
    }
    out.into_bytes()
}

/// What the summary sheet says besides the totals.
pub struct Summary {
    pub title: String,
    /// (label, values) lines under the title.
    pub lines: Vec<(String, Vec<Cell>)>,
    /// Totals of the whole range, shown under the lines.
    pub total: Option<Table>,
    /// Rows listed on the data sheet under the total, apart (the appraisal's unranked staff).
    pub after: Option<Table>,
    /// Chart these data columns per row (a clustered column chart).
    pub chart: Vec<&'static str>,
    pub definitions: Vec<String>,
}

struct Formats {
    header: Format,
    duration: Format,
    date: Format,
    datetime: Format,
    share: Format,
    decimal: Format,
    int: Format,
    text: Format,
    title: Format,
    bold: Format,
}

impl Formats {
    /// Cell formats; `strong` makes them bold (the total row).
    fn new(strong: bool) -> Self {
        let base = || {
            if strong {
                Format::new()
                    .set_bold()
                    .set_border_top(rust_xlsxwriter::FormatBorder::Thin)
            } else {
                Format::new()
            }
        };
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color("#DCE6F1"),
            duration: base().set_num_format("[h]:mm:ss"),
            date: base().set_num_format("yyyy-mm-dd"),
            datetime: base().set_num_format("yyyy-mm-dd hh:mm:ss"),
            share: base().set_num_format("0.0%"),
            decimal: base().set_num_format("0.00"),
            int: base().set_num_format("0"),
            text: base(),
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
        }
    }
}

fn write_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    c: &Cell,
    f: &Formats,
) -> Result<(), XlsxError> {
    match c {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string_with_format(row, col, s, &f.text)?;
        }
        Cell::Date(d) | Cell::DateTime(d) => {
            let format = if matches!(c, Cell::Date(_)) {
                &f.date
            } else {
                &f.datetime
            };
            match excel_serial(d) {
                Some(x) => ws.write_number_with_format(row, col, x, format)?,
                None => ws.write_string_with_format(row, col, d, &f.text)?,
            };
        }
        Cell::Int(i) => {
            ws.write_number_with_format(row, col, *i as f64, &f.int)?;
        }
        Cell::Duration(s) => {
            ws.write_number_with_format(row, col, *s as f64 / 86_400.0, &f.duration)?;
        }
        Cell::Share(x) => {
            ws.write_number_with_format(row, col, *x, &f.share)?;
        }
        Cell::Decimal(x) => {
            ws.write_number_with_format(row, col, *x, &f.decimal)?;
        }
        Cell::Flag(b) => {
            ws.write_string_with_format(
                row,
                col,
                if *b { TEXTS.sheet("yes") } else { "" },
                &f.text,
            )?;
        }
    }
    Ok(())
}

/// The workbook: sheet 1 the data (with the summary's total as its last, bold row, outside the
/// autofilter so sorting leaves it last), sheet 2 the summary.
pub fn xlsx(t: &Table, s: &Summary) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new(false);
    let strong = Formats::new(true);
    let mut wb = Workbook::new();
    let data_name = TEXTS.sheet("data").to_string();
    let n = t.rows.len() as u32;
    {
        let ws = wb.add_worksheet();
        ws.set_name(&data_name)?;
        for (i, c) in t.columns.iter().enumerate() {
            let col = i as u16;
            ws.write_string_with_format(0, col, header(c), &f.header)?;
            let width = match *c {
                "label" | "name" => 26.0,
                "key" | "username" => 12.0,
                _ => 13.0,
            };
            ws.set_column_width(col, width)?;
        }
        ws.set_row_height(0, 36)?;
        for (r, row) in t.rows.iter().enumerate() {
            for (i, c) in row.iter().enumerate() {
                write_cell(ws, r as u32 + 1, i as u16, c, &f)?;
            }
        }
        if let Some(cells) = s.total.as_ref().and_then(|total| total.rows.first()) {
            let mut named = false;
            for (i, c) in cells.iter().enumerate() {
                let cell = match (t.columns[i], c) {
                    // The first text column names the row.
                    ("key" | "label" | "name" | "username" | "kind_label", _) if !named => {
                        named = true;
                        Cell::Text(TEXTS.sheet("total").to_string())
                    }
                    ("key", _) => Cell::Empty,
                    _ => c.clone(),
                };
                write_cell(ws, n + 1, i as u16, &cell, &strong)?;
            }
        }
        if let Some(after) = &s.after {
            for (r, row) in after.rows.iter().enumerate() {
                for (i, c) in row.iter().enumerate() {
                    write_cell(ws, n + 3 + r as u32, i as u16, c, &f)?;
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        let last_col = t.columns.len().saturating_sub(1) as u16;
        ws.autofilter(0, 0, n, last_col)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name(TEXTS.sheet("summary"))?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 20)?;
    ws.set_column_width(2, 20)?;
    ws.write_string_with_format(0, 0, &s.title, &f.title)?;
    let mut row = 2u32;
    for (k, values) in &s.lines {
        ws.write_string_with_format(row, 0, k, &f.bold)?;
        for (i, v) in values.iter().enumerate() {
            write_cell(ws, row, 1 + i as u16, v, &f)?;
        }
        row += 1;
    }
    if let Some(total) = &s.total {
        row += 1;
        ws.write_string_with_format(row, 0, TEXTS.sheet("total"), &f.title)?;
        row += 1;
        if let Some(cells) = total.rows.first() {
            for (c, v) in total.columns.iter().zip(cells) {
                if matches!(*c, "key" | "label" | "window_kind") {
                    continue;
                }
                ws.write_string_with_format(row, 0, header(c), &f.bold)?;
                write_cell(ws, row, 1, v, &f)?;
                row += 1;
            }
        }
    }
    row += 1;
    ws.write_string_with_format(row, 0, TEXTS.sheet("definitions"), &f.title)?;
    for d in &s.definitions {
        row += 1;
        ws.write_string(row, 0, d)?;
    }
    if n > 0 && !s.chart.is_empty() {
        let mut chart = Chart::new(ChartType::Column);
        let label_col = t
            .columns
            .iter()
            .position(|c| matches!(*c, "label" | "name"));
        for name in &s.chart {
            let Some(col) = t.columns.iter().position(|c| c == name) else {
                continue;
            };
            let series = chart.add_series();
            series.set_name(TEXTS.column(name)).set_values((
                data_name.as_str(),
                1,
                col as u16,
                n,
                col as u16,
            ));
            if let Some(lc) = label_col {
                series.set_categories((data_name.as_str(), 1, lc as u16, n, lc as u16));
            }
        }
        chart.title().set_name(&s.title);
        ws.insert_chart(2, 4, &chart)?;
    }
    wb.save_to_buffer()
}

/// The waits report as CSV (the total as the last line).
pub fn waits_csv(r: &WaitsReport) -> Vec<u8> {
    let mut rows = r.rows.clone();
    rows.push(r.total.clone());
    csv(&table(&rows, waits::COLUMNS))
}

fn definitions(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| TEXTS.sheet(k).to_string()).collect()
}

/// The summary lines every report starts with: its range (two dates) and when it was made.
pub fn head_lines(from: &str, to: &str, generated: &str) -> Vec<(String, Vec<Cell>)> {
    vec![
        (
            TEXTS.sheet("range").into(),
            vec![Cell::Date(from.into()), Cell::Date(to.into())],
        ),
        (
            TEXTS.sheet("generated").into(),
            vec![Cell::DateTime(local_time(generated))],
        ),
    ]
}

/// A summary line of one value.
pub fn line(label: &str, cell: Cell) -> (String, Vec<Cell>) {
    (label.to_string(), vec![cell])
}

/// The waits report as a workbook; `generated` is the time it was made (RFC 3339).
pub fn waits_xlsx(r: &WaitsReport, generated: &str) -> Result<Vec<u8>, XlsxError> {
    let mut lines = head_lines(&r.from, &r.to, generated);
    lines.push(line(
        TEXTS.sheet("grouping"),
        Cell::Text(TEXTS.grouping(r.by.as_str()).into()),
    ));
    lines.push(line(
        TEXTS.sheet("wait_target"),
        Cell::Int(i64::from(r.wait_target_s / 60)),
    ));
    let summary = Summary {
        title: TEXTS.sheet("waits_title").to_string(),
        lines,
        total: Some(table(std::slice::from_ref(&r.total), waits::COLUMNS)),
        chart: vec!["issued", "served"],
        after: None,
        definitions: definitions(&[
            "definition_wait",
            "definition_service",
            "definition_counts",
            "definition_satisfaction",
            "definition_duration",
        ]),
    };
    xlsx(&table(&r.rows, waits::COLUMNS), &summary)
}

/// The appointments report as CSV (the total as the last line).
pub fn appointments_csv(r: &AppointmentsReport) -> Vec<u8> {
    let mut rows = r.rows.clone();
    rows.push(r.total.clone());
    csv(&table(&rows, appointments::COLUMNS))
}

/// The appointments report as a workbook; `generated` is the time it was made (RFC 3339).
pub fn appointments_xlsx(r: &AppointmentsReport, generated: &str) -> Result<Vec<u8>, XlsxError> {
    let mut lines = head_lines(&r.from, &r.to, generated);
    lines.push(line(
        TEXTS.sheet("grouping"),
        Cell::Text(TEXTS.grouping(r.by.as_group().as_str()).into()),
    ));
    let summary = Summary {
        title: TEXTS.sheet("appointments_title").to_string(),
        lines,
        total: Some(table(std::slice::from_ref(&r.total), appointments::COLUMNS)),
        chart: vec!["booked", "checked_in", "missed"],
        after: None,
        definitions: definitions(&[
            "definition_appointments_counts",
            "definition_on_time",
            "definition_wait_after_check_in",
            "definition_duration",
        ]),
    };
    xlsx(&table(&r.rows, appointments::COLUMNS), &summary)
}

/// The appraisal's ranked clerks, then its total, then those not ranked (with why).
fn appraisal_rows(a: &Appraisal) -> Vec<serde_json::Value> {
    let mut rows: Vec<serde_json::Value> = a
        .rows
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or_default())
        .collect();
    for u in &a.unranked {
        let mut v = serde_json::to_value(u).unwrap_or_default();
        v["unranked"] = TEXTS.code("unranked", &u.reason).into();
        rows.push(v);
    }
    rows
}

/// The appraisal as CSV: ranked clerks, the total line, then those not ranked.
pub fn appraisal_csv(a: &Appraisal) -> Vec<u8> {
    let mut rows: Vec<serde_json::Value> = a
        .rows
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or_default())
        .collect();
    let mut total = serde_json::to_value(&a.total).unwrap_or_default();
    total["name"] = TEXTS.sheet("total").into();
    rows.push(total);
    rows.extend(appraisal_rows(a).into_iter().skip(a.rows.len()));
    csv(&table(&rows, appraisal::COLUMNS))
}

/// The appraisal as a workbook, with the weights on the summary sheet.
pub fn appraisal_xlsx(a: &Appraisal, generated: &str) -> Result<Vec<u8>, XlsxError> {
    let w = &a.weights;
    let mut lines = head_lines(&a.from, &a.to, generated);
    lines.push(line(
        TEXTS.sheet("wait_target"),
        Cell::Int(i64::from(a.wait_target_s / 60)),
    ));
    for (name, weight) in [
        ("volume", w.volume),
        ("service_time", w.service_time),
        ("within_target", w.within_target),
        ("satisfaction", w.satisfaction),
        ("rating_coverage", w.rating_coverage),
        ("attendance", w.attendance),
    ] {
        lines.push(line(
            &format!("{} {}", TEXTS.sheet("weights"), TEXTS.component(name)),
            Cell::Int(i64::from(weight)),
        ));
    }
    lines.push(line(
        TEXTS.sheet("bad_rating_points"),
        Cell::Decimal(w.bad_rating_points),
    ));
    lines.push(line(
        TEXTS.sheet("over_target_points"),
        Cell::Decimal(w.over_target_points),
    ));
    lines.push((
        TEXTS.column("excellent").into(),
        vec![
            Cell::Int(a.excellent_count as i64),
            Cell::Int(a.rows.len() as i64),
        ],
    ));
    lines.push(line(
        TEXTS.sheet("unranked"),
        Cell::Int(a.unranked.len() as i64),
    ));
    let summary = Summary {
        title: format!("{} {}", TEXTS.sheet("appraisal_title"), a.month),
        lines,
        total: Some(table(std::slice::from_ref(&a.total), appraisal::COLUMNS)),
        chart: vec!["score"],
        // Those not ranked come under the total row, apart from the ranked clerks.
        after: Some(table(
            &appraisal_rows(a)[a.rows.len()..],
            appraisal::COLUMNS,
        )),
        definitions: definitions(&[
            "definition_score",
            "definition_rank",
            "definition_unranked",
            "definition_wait",
            "definition_service",
            "definition_duration",
        ]),
    };
    xlsx(&table(&a.rows, appraisal::COLUMNS), &summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, utoipa::ToSchema)]
    struct R {
        #[schema(value_type = String)]
        key: &'static str,
        #[schema(value_type = String)]
        label: &'static str,
        issued: u64,
        wait_mean_s: Option<u32>,
        satisfaction_rate: Option<f64>,
        excellent: bool,
    }

    const COLS: &[&str] = &[
        "key",
        "label",
        "issued",
        "wait_mean_s",
        "satisfaction_rate",
        "excellent",
    ];

    fn sample() -> Table {
        table(
            &[
                R {
                    key: "a,b",
                    label: "公安\"户籍\"",
                    issued: 3,
                    wait_mean_s: Some(754),
                    satisfaction_rate: Some(0.5),
                    excellent: true,
                },
                R {
                    key: "c",
                    label: "民政",
                    issued: 0,
                    wait_mean_s: None,
                    satisfaction_rate: None,
                    excellent: false,
                },
            ],
            COLS,
        )
    }

    #[test]
    fn csv_cells_that_would_run_as_formulas_are_text() {
        let mut out = String::new();
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "@SUM(A1)",
            "-2+3",
            "-5",
            "-1.5",
            "李红",
        ] {
            csv_field(&mut out, cell);
            out.push('|');
        }
        assert_eq!(
            out,
            "\"'=HYPERLINK(\"\"http://x\"\")\"|'+1+1|'@SUM(A1)|'-2+3|-5|-1.5|李红|"
        );
    }

    #[test]
    fn csv_has_bom_chinese_headers_and_quotes() {
        let text = String::from_utf8(csv(&sample())).expect("utf-8");
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert!(lines[0].starts_with("编号"), "{}", lines[0]);
        assert!(lines[0].contains("平均等候"));
        assert!(
            lines[0].contains("平均等候 (wait mean)（时:分:秒）"),
            "{}",
            lines[0]
        );
        assert_eq!(lines[1], "\"a,b\",\"公安\"\"户籍\"\"\",3,0:12:34,0.5000,是");
        assert_eq!(lines[2], "c,民政,0,,,");
        assert_eq!(lines[3], "");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx(
            &sample(),
            &Summary {
                title: "t".into(),
                lines: vec![("a".into(), vec![Cell::Text("b".into())])],
                total: Some(sample()),
                after: None,
                chart: vec!["issued"],
                definitions: vec!["d".into()],
            },
        )
        .expect("workbook");
        assert_eq!(&bytes[..2], b"PK");
        let find = |s: &str| bytes.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(find("xl/workbook.xml"));
        assert!(find("xl/charts/chart1.xml"));
    }
}
