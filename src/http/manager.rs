//! Manager routes (role manager or admin): the live floor, the waits report, the monthly
//! staff appraisal and the appointments report, as JSON, CSV or xlsx. Reports run in
//! `spawn_blocking` on read-only connections; only the floor reads the engine (a cheap view of
//! the hall's state).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::civil::Date;
use serde::Deserialize;

use super::AppState;
use super::auth::Staff;
use super::error::{ApiError, Query};
use crate::domain::event::rfc3339;
use crate::reports::appointments::AppointmentsBy;
use crate::reports::{GroupBy, export, floor, query};

/// The longest range a waits report covers, days.
const MAX_RANGE_DAYS: i32 = 3 * 366;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/floor", get(show_floor))
        .route("/api/v1/reports/waits", get(report_waits))
        .route(
            "/api/v1/reports/staff-appraisal",
            get(report_staff_appraisal),
        )
        .route("/api/v1/reports/appointments", get(report_appointments))
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
}

async fn show_floor(State(st): State<AppState>, Staff(who): Staff) -> Result<Response, ApiError> {
    who.require_manager()?;
    let view = floor_now(&st).await?;
    let mut body = serde_json::to_value(view).map_err(ApiError::internal)?;
    // How far the central database is behind this hall, when `[uplink]` is configured.
    if let (Some(status), Some(section)) = (&st.uplink, &st.config.uplink) {
        body["uplink"] =
            serde_json::to_value(status.view(&section.hall_id)).map_err(ApiError::internal)?;
    }
    Ok(axum::Json(body).into_response())
}

/// The live floor now, with the config's alarm thresholds and the printers' alarms.
pub(super) async fn floor_now(st: &AppState) -> Result<floor::Floor, ApiError> {
    let th = st.plan.alarms;
    let mut extra = floor::printer_alarms(&st.printers.health());
    extra.extend(st.ops.alarms());
    extra.extend(st.kiosk_limits.alarms(std::time::Instant::now()));
    Ok(st
        .engine
        .read(move |hall, now, seq| floor::floor(hall, now, seq, th, extra)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaitsParams {
    from: String,
    to: String,
    #[serde(default = "default_by")]
    by: GroupBy,
    #[serde(default)]
    format: Format,
}

fn default_by() -> GroupBy {
    GroupBy::Department
}

/// `from..=to` as dates, at most `MAX_RANGE_DAYS` long and not backwards.
pub(super) fn date_range(from: &str, to: &str) -> Result<(Date, Date), ApiError> {
    let from = date("from", from)?;
    let to = date("to", to)?;
    let days = from.until(to).map(|s| s.get_days()).unwrap_or(-1);
    if !(0..=MAX_RANGE_DAYS).contains(&days) {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_range")
                .with(MAX_RANGE_DAYS.to_string()),
        );
    }
    Ok((from, to))
}

pub(super) fn date(name: &str, s: &str) -> Result<Date, ApiError> {
    let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let d = ok
        .then(|| s.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| ApiError::bad_request(format!("{name} 应为 YYYY-MM-DD 日期：{s}")))?;
    in_range(d)
}

/// A date whose whole day (and the next) the hall's clock can name: years 1 to 9998.
/// The last days jiff can hold have no "tomorrow" to end their span.
pub(super) fn in_range(d: Date) -> Result<Date, ApiError> {
    if (1..=9998).contains(&d.year()) {
        Ok(d)
    } else {
        Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_date").with(d.to_string()))
    }
}

fn month(s: &str) -> Result<Date, ApiError> {
    let bad = || ApiError::bad_request(format!("month 应为 YYYY-MM：{s}"));
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    if y.len() != 4 || m.len() != 2 {
        return Err(bad());
    }
    let y: i16 = y.parse().map_err(|_| bad())?;
    let m: i8 = m.parse().map_err(|_| bad())?;
    in_range(Date::new(y, m, 1).map_err(|_| bad())?)
}

/// A file download (or the JSON value).
pub(super) fn respond<T: serde::Serialize>(
    value: &T,
    format: Format,
    name: &str,
    csv: impl FnOnce(&T) -> Vec<u8>,
    xlsx: impl FnOnce(&T) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
) -> Result<Response, ApiError> {
    let (body, mime, ext) = match format {
        Format::Json => return Ok(axum::Json(value).into_response()),
        Format::Csv => (csv(value), "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            xlsx(value).map_err(ApiError::internal)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{name}.{ext}\"");
    Ok((
        [
            (CONTENT_TYPE, mime.to_string()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

async fn report_waits(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(p): Query<WaitsParams>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    let (from, to) = date_range(&p.from, &p.to)?;
    let now = st.engine.clock().now();
    let generated = rfc3339(now, &st.plan.rules.tz);
    let (reader, plan, by, format) = (st.reader.clone(), st.plan.clone(), p.by, p.format);
    tokio::task::spawn_blocking(move || {
        let report = query::waits(&reader, &plan, by, from, to, now)?;
        let name = format!("waits-{}-{from}-{to}", by.as_str());
        respond(&report, format, &name, export::waits_csv, |r| {
            export::waits_xlsx(r, &generated)
        })
    })
    .await?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppointmentsParams {
    from: String,
    to: String,
    #[serde(default = "default_appointments_by")]
    by: AppointmentsBy,
    #[serde(default)]
    format: Format,
}

fn default_appointments_by() -> AppointmentsBy {
    AppointmentsBy::Queue
}

async fn report_appointments(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(p): Query<AppointmentsParams>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    let (from, to) = date_range(&p.from, &p.to)?;
    let generated = rfc3339(st.engine.clock().now(), &st.plan.rules.tz);
    let (reader, plan, by, format) = (st.reader.clone(), st.plan.clone(), p.by, p.format);
    tokio::task::spawn_blocking(move || {
        let report = query::appointments(&reader, &plan, by, from, to)?;
        let name = format!("appointments-{}-{from}-{to}", by.as_group().as_str());
        respond(&report, format, &name, export::appointments_csv, |r| {
            export::appointments_xlsx(r, &generated)
        })
    })
    .await?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppraisalParams {
    month: String,
    #[serde(default)]
    format: Format,
}

async fn report_staff_appraisal(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(p): Query<AppraisalParams>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    let first = month(&p.month)?;
    let now = st.engine.clock().now();
    let generated = rfc3339(now, &st.plan.rules.tz);
    let weights = st.plan.appraisal.clone();
    let (reader, plan, format) = (st.reader.clone(), st.plan.clone(), p.format);
    tokio::task::spawn_blocking(move || {
        let a = query::staff_appraisal(&reader, &plan, &weights, first, now)?;
        let name = format!("staff-appraisal-{}", a.month);
        respond(&a, format, &name, export::appraisal_csv, |a| {
            export::appraisal_xlsx(a, &generated)
        })
    })
    .await?
}
