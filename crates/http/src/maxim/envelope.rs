//! The MaxIM answer envelope: `{code, message, data}`, HTTP 200 for business errors too.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
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

/// A serialized JSON answer. Unlike `HttpResponse` it is `Send`, so handlers can run on the
/// server's multi-thread runtime (see `crate::op`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(|e| {
            ApiError::new(crate::error::code::INTERNAL, format!("serializing: {e}"))
        })?;
        Ok(Self { status, body })
    }
}

impl Responder for Reply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::build(self.status)
            .content_type("application/json")
            .body(self.body)
    }
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
    Reply::json(
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

/// What every handler returns.
pub type ApiResult = Result<Reply, ApiError>;

/// A success answer carrying `data`.
pub fn ok<T: Serialize>(data: T) -> ApiResult {
    Reply::json(
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
    Reply::json(
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
