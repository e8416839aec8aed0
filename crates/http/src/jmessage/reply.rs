//! JMessage answers: the plain resource (HTTP 200), or no body at all (204).

use actix_web::http::StatusCode;
use serde::Serialize;

use crate::jmessage::error::JmError;
use crate::reply::Reply;

/// What every JMessage handler returns.
pub type JmResult = Result<Reply, JmError>;

/// HTTP 200 with `value`.
pub(crate) fn ok<T: Serialize>(value: &T) -> JmResult {
    json(StatusCode::OK, value)
}

/// HTTP 204, no body.
pub(crate) fn no_content() -> JmResult {
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> JmResult {
    Reply::json(status, value).map_err(|e| {
        tracing::error!(error = %e, "serializing an answer");
        JmError::internal()
    })
}
