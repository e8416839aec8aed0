//! Liveness and readiness probes.

use actix_web::http::{Method, StatusCode};
use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::envelope::{ApiResult, Envelope, Reply};
use crate::error::code;
use crate::state::ApiState;
use crate::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/healthz", healthz);
    ops.extend(op(&[Method::GET], "/readyz", readyz));
    ops
}

/// What the probes answer in `data`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `alive`, `ready` or `unavailable`.
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Envelope<Health>)))]
pub async fn healthz() -> ApiResult {
    let data = Health { status: "alive" };
    crate::envelope::ok(data)
}

/// The database answers: HTTP 200 when it does, 503 (code 20000) when it does not.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Envelope<Health>), (status = 503, body = Envelope<Health>)))]
pub async fn readyz(state: web::Data<ApiState>) -> ApiResult {
    if state.readiness.ready().await {
        crate::envelope::ok(Health { status: "ready" })
    } else {
        Reply::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &Envelope {
                code: code::INTERNAL,
                message: Some("the database does not answer".into()),
                data: Health {
                    status: "unavailable",
                },
            },
        )
    }
}
