//! The MaxIM answer envelope: `{code, message, data}`, HTTP 200 for business errors too.

use actix_web::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::maxim::error::ApiError;
use crate::reply::Reply;

/// A MaxIM answer: `code` 200 is success; `message` is null on success.
#[derive(Serialize, ToSchema)]
pub struct Envelope<T> {
    /// 200 on success, else a MaxIM error code.
    pub code: i32,
    /// Null on success, else what went wrong.
    pub message: Option<String>,
    pub data: T,
}

/// A MaxIM list answer with a top-level `cursor` (absent on the last page) and `version`.
#[derive(Serialize, ToSchema)]
pub struct ListEnvelope<T> {
    pub code: i32,
    pub message: Option<String>,
    pub data: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub version: i64,
}

/// A MaxIM paged answer with a top-level `cursor` (absent on the last page), `total` and
/// `version` (reserved by the original; always 0).
#[derive(Serialize, ToSchema)]
pub struct PageEnvelope<T> {
    pub code: i32,
    pub message: Option<String>,
    pub data: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub total: i64,
    pub version: i64,
}

/// A success page answer.
pub fn ok_page<T: Serialize>(data: Vec<T>, cursor: Option<String>, total: i64) -> ApiResult {
    json(
        StatusCode::OK,
        &PageEnvelope {
            code: 200,
            message: None,
            data,
            cursor,
            total,
            version: 0,
        },
    )
}

/// `value` as a JSON answer with `status`.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> ApiResult {
    Reply::json(status, value).map_err(|e| {
        ApiError::new(
            crate::maxim::error::code::INTERNAL,
            format!("serializing: {e}"),
        )
    })
}

/// What every MaxIM handler returns.
pub type ApiResult = Result<Reply, ApiError>;

/// A success answer carrying `data`.
pub fn ok<T: Serialize>(data: T) -> ApiResult {
    json(
        StatusCode::OK,
        &Envelope {
            code: 200,
            message: None,
            data,
        },
    )
}

/// A success answer with `data: true`, as MaxIM's setters answer.
pub fn done() -> ApiResult {
    ok(true)
}

/// A success list answer; `cursor` names the next page and is left out on the last one.
pub fn ok_list<T: Serialize>(data: Vec<T>, cursor: Option<String>, version: i64) -> ApiResult {
    json(
        StatusCode::OK,
        &ListEnvelope {
            code: 200,
            message: None,
            data,
            cursor,
            version,
        },
    )
}
