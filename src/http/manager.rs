//! Manager routes (role manager or admin): the live floor, the waits report, the monthly
//! staff appraisal, the appointments report and the audit trail (paged, with its total), as
//! JSON, CSV or xlsx, and the Chinese labels of stored codes the pages show. Reports run in
//! `spawn_blocking` on read-only connections; only the floor reads the engine (a cheap view of
//! the hall's state).

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use serde::Deserialize;

use super::AppState;
use super::auth::Staff;
use super::error::{ApiError, Query};
use super::openapi::ErrorBody;
use crate::domain::event::rfc3339;
use crate::reports::appointments::AppointmentsBy;
use crate::reports::{GroupBy, audit, export, floor, labels, query};
use crate::store::audit::AuditFilter;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The longest range a waits report covers, days.
const MAX_RANGE_DAYS: i32 = 3 * 366;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_floor))
        .routes(routes!(report_waits))
        .routes(routes!(report_staff_appraisal))
        .routes(routes!(report_appointments))
        .routes(routes!(report_audit))
        .routes(routes!(show_labels))
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
}

/// The floor with the uplink's lag when `[uplink]` is configured.
#[derive(serde::Serialize, ToSchema)]
#[allow(dead_code)]
struct FloorReply {
    #[serde(flatten)]
    floor: floor::Floor,
    uplink: Option<crate::central::uplink::UplinkView>,
}

/// The live floor: queues, windows with state and durations, alarms (manager).
#[utoipa::path(get, path = "/api/v1/floor", tag = "manager", operation_id = "showFloor",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The floor", body = FloorReply), (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),))]
async fn show_floor(State(st): State<AppState>, Staff(who): Staff) -> Result<Response, ApiError> {
    who.require_manager()?;
    let view = floor_now(&st).await?;
    let mut body = serde_json::to_value(view).map_err(ApiError::internal)?;
    // How far the central database is behind this hall, when `[uplink]` is configured.
    if let (Some(status), Some(hall_id)) = (&st.uplink, &st.settings.uplink_hall_id) {
        body["uplink"] = serde_json::to_value(status.view(hall_id)).map_err(ApiError::internal)?;
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

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct WaitsParams {
    /// First day, YYYY-MM-DD (years 1-9998).
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date, example = "2026-12-01")]
    from: String,
    /// Last day, at most 1098 days after `from`.
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date, example = "2026-12-01")]
    to: String,
    #[serde(default = "default_by")]
    #[param(inline)]
    by: GroupBy,
    #[serde(default)]
    #[param(inline)]
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
        .ok_or_else(|| ApiError::bad_input("report_date", &[name, s]))?;
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
    let bad = || ApiError::bad_input("month", &[s]);
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

/// The waits report over a range of days, grouped (manager).
#[utoipa::path(get, path = "/api/v1/reports/waits", tag = "manager", operation_id = "reportWaits",
    params(WaitsParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The report: JSON, or a CSV (UTF-8 with BOM) or xlsx download by `format`", content(
            (crate::reports::waits::WaitsReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody), (status = 422, description = "A range backwards or too long, or a day past the calendar (`invalid_range`, `invalid_date`)", body = ErrorBody),))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AppointmentsParams {
    /// First day, YYYY-MM-DD (years 1-9998).
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date, example = "2026-12-01")]
    from: String,
    /// Last day, at most 1098 days after `from`.
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date, example = "2026-12-01")]
    to: String,
    #[serde(default = "default_appointments_by")]
    #[param(inline)]
    by: AppointmentsBy,
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

fn default_appointments_by() -> AppointmentsBy {
    AppointmentsBy::Queue
}

/// The appointments report over a range of days (manager).
#[utoipa::path(get, path = "/api/v1/reports/appointments", tag = "manager", operation_id = "reportAppointments",
    params(AppointmentsParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The report: JSON, or a CSV (UTF-8 with BOM) or xlsx download by `format`", content(
            (crate::reports::appointments::AppointmentsReport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody), (status = 422, description = "A range backwards or too long, or a day past the calendar (`invalid_range`, `invalid_date`)", body = ErrorBody),))]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AppraisalParams {
    /// YYYY-MM (years 1-9998).
    #[param(
        pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$",
        example = "2026-11"
    )]
    month: String,
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

/// The monthly staff appraisal: metrics, score, rank, excellent (manager).
#[utoipa::path(get, path = "/api/v1/reports/staff-appraisal", tag = "manager", operation_id = "reportStaffAppraisal",
    params(AppraisalParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The report: JSON, or a CSV (UTF-8 with BOM) or xlsx download by `format`", content(
            (crate::reports::appraisal::Appraisal = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
        (status = 422, description = "A month past the calendar (`invalid_date`)", body = ErrorBody),
    ))]
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

/// The Chinese labels of stored codes, one table for every page (`[codes.*]`), and `staff`:
/// every account's display name by username.
#[utoipa::path(get, path = "/api/v1/reports/labels", tag = "manager", operation_id = "reportLabels",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "`{kinds, actors, reasons, outcomes, ..., staff}`: code → Chinese label tables and staff display names", body = serde_json::Value),
        (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody),
    ))]
async fn show_labels(State(st): State<AppState>, Staff(who): Staff) -> Result<Response, ApiError> {
    who.require_manager()?;
    let reader = st.reader.clone();
    let staff = tokio::task::spawn_blocking(move || reader.staff_names()).await??;
    let mut body = serde_json::to_value(labels::all()).map_err(ApiError::internal)?;
    body["staff"] = staff
        .into_iter()
        .map(|s| (s.username, serde_json::Value::String(s.name)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    Ok(axum::Json(body).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditParams {
    /// A service day, YYYY-MM-DD.
    #[param(pattern = "^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", format = Date)]
    day: Option<String>,
    #[param(value_type = Option<u64>, minimum = 0, maximum = 4294967295_u64)]
    window: Option<u32>,
    /// A clerk's username.
    clerk: Option<String>,
    /// A ticket id, or a ticket number (of `day`, else of today).
    ticket: Option<String>,
    /// An event kind or its prefix, e.g. `ticket.no_show` or `window.`.
    kind: Option<String>,
    /// Entries to skip (paging).
    #[serde(default)]
    #[param(minimum = 0, maximum = 18446744073709551615_u64)]
    offset: u64,
    /// Page size, default 100, held to 1..=1000.
    #[param(minimum = 0, maximum = 18446744073709551615_u64)]
    limit: Option<usize>,
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

/// `GET /api/v1/reports/audit`: a page of the audit trail with the total that match
/// (`limit` up to 1000, default 100); `format=csv|xlsx` exports the whole search.
#[utoipa::path(get, path = "/api/v1/reports/audit", tag = "manager", operation_id = "reportAudit",
    params(AuditParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "`{total, offset, limit, entries}` with Chinese labels, or a CSV (UTF-8 with BOM) or xlsx export of every match by `format`", content(
            (serde_json::Value = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )), (status = 403, description = "Not a manager or admin (`forbidden`)", body = ErrorBody), (status = 422, description = "A day past the calendar's range (`invalid_date`)", body = ErrorBody),))]
async fn report_audit(
    State(st): State<AppState>,
    Staff(who): Staff,
    Query(p): Query<AuditParams>,
) -> Result<Response, ApiError> {
    who.require_manager()?;
    let now = st.engine.clock().now();
    let tz = st.plan.rules.tz.clone();
    let day = match &p.day {
        Some(d) => Some(date("day", d)?),
        None => None,
    };
    let (from_ms, to_ms) = match day {
        Some(d) => {
            let start = |d: Date| {
                tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                    .map(|t| t.as_millisecond())
                    .map_err(ApiError::internal)
            };
            (
                Some(start(d)?),
                Some(start(d.tomorrow().map_err(ApiError::internal)?)?),
            )
        }
        None => (None, None),
    };
    let export = !matches!(p.format, Format::Json);
    let limit = if export {
        audit::MAX_EXPORT
    } else {
        p.limit.unwrap_or(100).clamp(1, audit::MAX_PAGE)
    };
    let (ticket_id, ticket_number) = match p.ticket.as_deref().map(str::trim) {
        None | Some("") => (None, None),
        Some(t) => match t.parse::<i64>() {
            Ok(id) => (Some(id), None),
            Err(_) => {
                let d = day.unwrap_or_else(|| tz.to_datetime(now).date());
                (None, Some((d.to_string(), t.to_string())))
            }
        },
    };
    let what: Vec<String> = [
        p.day.as_ref().map(|d| format!("day={d}")),
        p.window.map(|w| format!("window={w}")),
        p.clerk.as_ref().map(|c| format!("clerk={c}")),
        p.ticket.as_ref().map(|t| format!("ticket={t}")),
        p.kind.as_ref().map(|k| format!("kind={k}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let search = audit::Search {
        filter: AuditFilter {
            from_ms,
            to_ms,
            window: p.window,
            actor: p.clerk.map(|c| format!("staff:{c}")),
            ticket_id,
            kind: p.kind,
            subject: None,
            limit,
        },
        ticket_number,
        offset: if export { 0 } else { p.offset },
    };
    let generated = rfc3339(now, &tz);
    let (reader, plan, format) = (st.reader.clone(), st.plan.clone(), p.format);
    let name = format!(
        "audit-{}",
        p.day
            .unwrap_or_else(|| tz.to_datetime(now).date().to_string())
    );
    tokio::task::spawn_blocking(move || {
        let page = audit::page(&reader, &plan, search)?;
        respond(&page, format, &name, audit::csv, |p| {
            audit::xlsx(p, &what.join(" "), &generated)
        })
    })
    .await?
}
