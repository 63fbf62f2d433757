//! CSV (UTF-8 with BOM, CRLF, Chinese headers: opens as-is in Excel) and xlsx exports
//! (rust_xlsxwriter: a typed data sheet with a frozen header and an autofilter, and a summary
//! sheet with the totals, the definitions and a chart).

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

fn header(column: &str) -> String {
    let h = TEXTS.column(column);
    if is_duration(column) {
        format!("{h}{}", TEXTS.label("seconds_suffix"))
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

/// The table as CSV: BOM, a header line, one line per row, CRLF; durations in seconds.
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
                    Cell::Duration(s) => s.to_string(),
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
    /// (label, value) lines under the title.
    pub lines: Vec<(String, String)>,
    /// Totals of the whole range, shown under the lines.
    pub total: Option<Table>,
    /// Chart these data columns per row (a clustered column chart).
    pub chart: Vec<&'static str>,
    pub definitions: Vec<String>,
}

struct Formats {
    header: Format,
    duration: Format,
    share: Format,
    decimal: Format,
    int: Format,
    title: Format,
    bold: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color("#DCE6F1"),
            duration: Format::new().set_num_format("[h]:mm:ss"),
            share: Format::new().set_num_format("0.0%"),
            decimal: Format::new().set_num_format("0.00"),
            int: Format::new().set_num_format("0"),
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
            ws.write_string(row, col, s)?;
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
            ws.write_string(row, col, if *b { TEXTS.sheet("yes") } else { "" })?;
        }
    }
    Ok(())
}

/// The workbook: sheet 1 the data, sheet 2 the summary.
pub fn xlsx(t: &Table, s: &Summary) -> Result<Vec<u8>, XlsxError> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let data_name = TEXTS.sheet("data").to_string();
    let n = t.rows.len() as u32;
    {
        let ws = wb.add_worksheet();
        ws.set_name(&data_name)?;
        for (i, c) in t.columns.iter().enumerate() {
            let col = i as u16;
            ws.write_string_with_format(0, col, TEXTS.column(c), &f.header)?;
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
        ws.set_freeze_panes(1, 0)?;
        let last_col = t.columns.len().saturating_sub(1) as u16;
        ws.autofilter(0, 0, n, last_col)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name(TEXTS.sheet("summary"))?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 30)?;
    ws.write_string_with_format(0, 0, &s.title, &f.title)?;
    let mut row = 2u32;
    for (k, v) in &s.lines {
        ws.write_string_with_format(row, 0, k, &f.bold)?;
        ws.write_string(row, 1, v)?;
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
                ws.write_string_with_format(row, 0, TEXTS.column(c), &f.bold)?;
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
        ws.insert_chart(2, 3, &chart)?;
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

/// The waits report as a workbook; `generated` is the time it was made (RFC 3339).
pub fn waits_xlsx(r: &WaitsReport, generated: &str) -> Result<Vec<u8>, XlsxError> {
    let summary = Summary {
        title: TEXTS.sheet("waits_title").to_string(),
        lines: vec![
            (
                TEXTS.sheet("range").into(),
                format!("{} – {}", r.from, r.to),
            ),
            (
                TEXTS.sheet("grouping").into(),
                TEXTS.grouping(r.by.as_str()).into(),
            ),
            (
                TEXTS.sheet("wait_target").into(),
                (r.wait_target_s / 60).to_string(),
            ),
            (TEXTS.sheet("generated").into(), generated.into()),
        ],
        total: Some(table(std::slice::from_ref(&r.total), waits::COLUMNS)),
        chart: vec!["issued", "served"],
        definitions: definitions(&[
            "definition_wait",
            "definition_service",
            "definition_counts",
            "definition_satisfaction",
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
    let summary = Summary {
        title: TEXTS.sheet("appointments_title").to_string(),
        lines: vec![
            (
                TEXTS.sheet("range").into(),
                format!("{} – {}", r.from, r.to),
            ),
            (
                TEXTS.sheet("grouping").into(),
                TEXTS.grouping(r.by.as_group().as_str()).into(),
            ),
            (TEXTS.sheet("generated").into(), generated.into()),
        ],
        total: Some(table(std::slice::from_ref(&r.total), appointments::COLUMNS)),
        chart: vec!["booked", "checked_in", "missed"],
        definitions: definitions(&[
            "definition_appointments_counts",
            "definition_on_time",
            "definition_wait_after_check_in",
        ]),
    };
    xlsx(&table(&r.rows, appointments::COLUMNS), &summary)
}

/// The appraisal as CSV.
pub fn appraisal_csv(a: &Appraisal) -> Vec<u8> {
    csv(&table(&a.rows, appraisal::COLUMNS))
}

/// The appraisal as a workbook, with the weights on the summary sheet.
pub fn appraisal_xlsx(a: &Appraisal, generated: &str) -> Result<Vec<u8>, XlsxError> {
    let w = &a.weights;
    let mut lines = vec![
        (
            TEXTS.sheet("range").to_string(),
            format!("{} – {}", a.from, a.to),
        ),
        (TEXTS.sheet("generated").into(), generated.into()),
        (
            TEXTS.sheet("wait_target").into(),
            (a.wait_target_s / 60).to_string(),
        ),
    ];
    for (name, weight) in [
        ("volume", w.volume),
        ("service_time", w.service_time),
        ("within_target", w.within_target),
        ("satisfaction", w.satisfaction),
        ("rating_coverage", w.rating_coverage),
        ("attendance", w.attendance),
    ] {
        lines.push((
            format!("{} {}", TEXTS.sheet("weights"), TEXTS.component(name)),
            weight.to_string(),
        ));
    }
    lines.push((
        TEXTS.column("penalty").into(),
        w.bad_rating_points.to_string(),
    ));
    lines.push((
        TEXTS.column("excellent").into(),
        format!("{} / {}", a.excellent_count, a.rows.len()),
    ));
    let summary = Summary {
        title: format!("{} {}", TEXTS.sheet("appraisal_title"), a.month),
        lines,
        total: None,
        chart: vec!["score"],
        definitions: definitions(&[
            "definition_score",
            "definition_rank",
            "definition_wait",
            "definition_service",
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
        assert_eq!(lines[1], "\"a,b\",\"公安\"\"户籍\"\"\",3,754,0.5000,是");
        assert_eq!(lines[2], "c,民政,0,,,");
        assert_eq!(lines[3], "");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let bytes = xlsx(
            &sample(),
            &Summary {
                title: "t".into(),
                lines: vec![("a".into(), "b".into())],
                total: Some(sample()),
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
