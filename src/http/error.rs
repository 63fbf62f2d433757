//! The one place that maps errors to status codes and to the API's error shape
//! `{"error": {"code", "message"}}`. Internal details are logged, never sent.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::domain::DomainError;
use crate::engine::EngineError;
use crate::store::StoreError;

/// Messages by code, from config/messages.toml (compiled in).
static MESSAGES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    toml::from_str(include_str!("../../config/messages.toml"))
        .expect("config/messages.toml is a flat table of strings")
});

/// The message of an error code as a client reads it (no detail), if the code is known.
pub fn message_of(code: &str) -> Option<String> {
    MESSAGES.get(code).map(|m| m.replace("{detail}", ""))
}

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> Self {
        ApiError {
            status,
            code,
            detail: None,
        }
    }
    pub fn with(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request").with(detail)
    }
    /// `bad_request` whose detail is the text `bad_request_<key>` of config/messages.toml,
    /// with `{0}`, `{1}`, ... replaced by `args` (a field name, the value sent).
    pub fn bad_input(key: &'static str, args: &[&str]) -> Self {
        let text = MESSAGES
            .get(&format!("bad_request_{key}"))
            .cloned()
            .unwrap_or_else(|| key.to_string());
        let detail = args
            .iter()
            .enumerate()
            .fold(text, |t, (i, a)| t.replace(&format!("{{{i}}}"), a));
        Self::bad_request(detail)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found")
    }
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden")
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    }

    /// The person-readable message for this error.
    pub fn message(&self) -> String {
        let template = MESSAGES
            .get(self.code)
            .map_or("请求未能完成", String::as_str);
        match &self.detail {
            Some(d) if template.contains("{detail}") => {
                let sep = if self.code == "bad_request" {
                    "："
                } else {
                    ""
                };
                template.replace("{detail}", &format!("{sep}{d}"))
            }
            _ => template.replace("{detail}", ""),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message()}});
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        use DomainError::*;
        let status = match &e {
            UnknownQueue(_) | UnknownWindow(_) | UnknownTicket(_) | UnknownFollowUp(_)
            | UnknownAppointment | UnknownUser(_) | UnknownDevice(_) => StatusCode::NOT_FOUND,
            InvalidIdNumber
            | IdNumberRequired(_)
            | InvalidPhone
            | ReasonRequired
            | ReasonTooLong
            | InvalidText
            | UnknownRatingReason(_)
            | TransferTarget
            | InvalidPriority
            | InvalidUntil(_)
            | InvalidUsername
            | InvalidName
            | InvalidDeviceId
            | WindowRequired
            | InvalidStaffNo
            | InvalidPhoto(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UnsupportedPhotoType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            PhotoTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Unauthenticated => StatusCode::UNAUTHORIZED,
            NotYourWindow(_) | Forbidden | OutsideScope(_) => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        ApiError {
            status,
            code: e.code(),
            detail: e.detail(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        match e {
            StoreError::ReadOnly(_) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "storage_read_only")
            }
            StoreError::Full(_) => Self::new(StatusCode::INSUFFICIENT_STORAGE, "storage_full"),
            StoreError::Busy(_) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "storage_busy"),
            _ => Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Domain(d) => d.into(),
            EngineError::Store(s) => s.into(),
            EngineError::Stopped => Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(e)
    }
}

/// `axum::Json` whose rejections come back in the API's error shape.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => body_value(v).map(Json),
            Err(JsonRejection::BytesRejection(b))
                if b.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                ))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::bad_input("json_content_type", &[]))
            }
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::bad_request(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::bad_request(e.body_text())),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

/// JSON says nothing of integer types: `5.0` is the number 5 (JSON Schema agrees). Whole
/// floats become integers before the typed read, so a window number sent as `5.0` is window 5.
fn whole_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                // `u64::MAX as f64` is 2^64, one past the largest u64.
                if (0.0..u64::MAX as f64).contains(&f) {
                    *v = serde_json::Value::from(f as u64);
                } else if (i64::MIN as f64..0.0).contains(&f) {
                    *v = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(o) => o.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// A JSON body that may be absent: an empty body reads as `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
                } else {
                    ApiError::bad_request(e.body_text())
                }
            })?;
        // No body, or JSON `null`: the caller sent nothing to say.
        let text = bytes.trim_ascii();
        if text.is_empty() || text == b"null" {
            return Ok(OptionalJson(T::default()));
        }
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(e.to_string()))?;
        body_value(v).map(OptionalJson)
    }
}

/// A request body's JSON as `T`. Every body of the API is an object: serde would also fill a
/// struct from an array (`[null, null]` as its fields in order), which no schema allows.
fn body_value<T: DeserializeOwned>(mut v: serde_json::Value) -> Result<T, ApiError> {
    if !v.is_object() {
        return Err(ApiError::bad_input("json_object", &[]));
    }
    whole_numbers(&mut v);
    serde_json::from_value(v).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// `axum::extract::Path` with API-shaped rejections.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e: PathRejection| ApiError::bad_request(e.body_text()))
    }
}

/// `axum::extract::Query` with API-shaped rejections.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e: QueryRejection| ApiError::bad_request(e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_input_text_is_in_messages_toml() {
        let mut used = Vec::new();
        for entry in
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http")).expect("src/http")
        {
            let text = std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default();
            for part in text.split("bad_input(\"").skip(1) {
                used.push(part.split('"').next().unwrap_or("").to_string());
            }
        }
        assert!(
            used.len() > 10,
            "the scan found the handlers' bad inputs: {used:?}"
        );
        let missing: Vec<_> = used
            .iter()
            .filter(|k| !MESSAGES.contains_key(&format!("bad_request_{k}")))
            .collect();
        assert!(
            missing.is_empty(),
            "no bad_request_<key> in config/messages.toml: {missing:?}"
        );
    }

    #[test]
    fn a_bad_input_names_the_field_and_the_value() {
        let e = ApiError::bad_input("report_date", &["from", "2026-13-01"]);
        assert_eq!(e.code, "bad_request");
        assert_eq!(
            e.message(),
            "请求格式不正确：from 应为 YYYY-MM-DD 日期：2026-13-01"
        );
    }

    #[test]
    fn whole_floats_read_as_integers() {
        let mut v = serde_json::json!({"a": 5.0, "b": [-3.0, 2.5], "c": 1e300, "d": "5.0"});
        whole_numbers(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"a": 5, "b": [-3, 2.5], "c": 1e300, "d": "5.0"})
        );
        let n: u32 = serde_json::from_value(v["a"].clone()).expect("an integer now");
        assert_eq!(n, 5);
    }

    #[test]
    fn every_code_has_a_message() {
        let codes = [
            "bad_request",
            "payload_too_large",
            "not_found",
            "method_not_allowed",
            "unauthenticated",
            "forbidden",
            "clock_backwards",
            "unknown_printer",
            "too_many_connections",
            "too_many_streams",
            "storage_read_only",
            "storage_full",
            "storage_busy",
            "unavailable",
            "internal",
            "invalid_range",
        ];
        let domain = [
            DomainError::UnknownQueue(String::new()),
            DomainError::UnknownWindow(0),
            DomainError::UnknownTicket(String::new()),
            DomainError::QueueClosed(String::new()),
            DomainError::QuotaExhausted(String::new()),
            DomainError::DuplicateTicket(String::new()),
            DomainError::InvalidIdNumber,
            DomainError::IdNumberRequired(String::new()),
            DomainError::InvalidPhone,
            DomainError::WindowNotOpen(0),
            DomainError::WindowPaused(0),
            DomainError::WindowTaken(0),
            DomainError::ClerkElsewhere(0),
            DomainError::WindowBusy(0),
            DomainError::NoCurrentTicket(0),
            DomainError::RecallLimit,
            DomainError::InvalidState { state: "", op: "" },
            DomainError::NotCallable(String::new()),
            DomainError::NotHeld(String::new()),
            DomainError::ReasonRequired,
            DomainError::ReasonTooLong,
            DomainError::InvalidText,
            DomainError::UnknownRatingReason(String::new()),
            DomainError::TransferTarget,
            DomainError::NotYourWindow(0),
            DomainError::Forbidden,
            DomainError::NotFinished,
            DomainError::AlreadyRated,
            DomainError::RatingClosed,
            DomainError::RatingKeyReused,
            DomainError::UnknownFollowUp(0),
            DomainError::AppointmentsNotOffered(String::new()),
            DomainError::SlotFull,
            DomainError::SlotUnavailable,
            DomainError::AlreadyBooked,
            DomainError::BookingSuspended(String::new()),
            DomainError::UnknownAppointment,
            DomainError::TooEarly(String::new()),
            DomainError::TooLate,
            DomainError::AppointmentsOnly(String::new()),
            DomainError::InvalidPriority,
            DomainError::InvalidUntil(String::new()),
            DomainError::UnknownUser(String::new()),
            DomainError::UserExists(String::new()),
            DomainError::InvalidUsername,
            DomainError::InvalidName,
            DomainError::CannotDisableSelf,
            DomainError::CannotChangeOwnRole,
            DomainError::UnknownDevice(String::new()),
            DomainError::DeviceExists(String::new()),
            DomainError::DeviceRevoked(String::new()),
            DomainError::InvalidDeviceId,
            DomainError::WindowRequired,
            DomainError::Unauthenticated,
            DomainError::OutsideScope(0),
            DomainError::InvalidStaffNo,
            DomainError::StaffNoTaken(String::new(), String::new()),
            DomainError::UnsupportedPhotoType,
            DomainError::PhotoTooLarge,
            DomainError::InvalidPhoto(String::new()),
            DomainError::SecondManagerRequired,
        ];
        for code in codes
            .into_iter()
            .chain(domain.iter().map(DomainError::code))
        {
            assert!(MESSAGES.contains_key(code), "no message for {code}");
        }
        let e = ApiError::from(DomainError::QuotaExhausted("hj".into()));
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(e.message(), "排队号已取完");
        let e = ApiError::from(DomainError::WindowBusy(5));
        assert!(e.message().contains("5号窗口"));
    }
}
