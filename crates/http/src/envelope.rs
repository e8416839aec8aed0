//! The MaxIM answer envelope: `{code, message, data}`, HTTP 200 for business errors too.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

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

/// What every handler returns.
pub type ApiResult = Result<HttpResponse, ApiError>;

/// A success answer carrying `data`.
pub fn ok<T: Serialize>(data: T) -> ApiResult {
    Ok(HttpResponse::Ok().json(Envelope {
        code: 200,
        message: None,
        data,
    }))
}

/// A success answer with `data: true`, as MaxIM's setters answer.
pub fn done() -> ApiResult {
    ok(true)
}

/// A success list answer with no further page.
pub fn ok_list<T: Serialize>(data: Vec<T>, version: i64) -> ApiResult {
    Ok(HttpResponse::Ok().json(ListEnvelope {
        code: 200,
        message: None,
        data,
        cursor: None,
        version,
    }))
}
