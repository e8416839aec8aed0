//! What every handler of every surface answers: a serialized JSON body and a status.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
use serde::Serialize;

/// A serialized JSON answer. Unlike `HttpResponse` it is `Send`, so handlers can run on the
/// server's multi-thread runtime (see `crate::op`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    /// `value` as JSON. Serializing the answer types cannot fail (no maps with non-string
    /// keys, no failing `Serialize` impls); if one ever did, the caller's surface reports it
    /// as an internal error.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self {
            status,
            body: serde_json::to_vec(value)?,
        })
    }
}

impl Reply {
    /// An answer with no body (such as HTTP 204).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: Vec::new(),
        }
    }
}

impl Responder for Reply {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.body.is_empty() {
            return response.finish();
        }
        response.content_type("application/json").body(self.body)
    }
}
