//! Liveness and readiness probes.

use actix_web::http::Method;
use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::maxim::envelope::{ApiResult, Envelope};
use crate::maxim::error::ApiError;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/healthz", healthz);
    ops.extend(op(&[Method::GET], "/readyz", readyz));
    ops
}

/// What the probes answer in `data`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `alive` or `ready`.
    pub status: &'static str,
}

/// The process is up and serving HTTP.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, body = Envelope<Health>)))]
pub async fn healthz() -> ApiResult {
    let data = Health { status: "alive" };
    crate::maxim::envelope::ok(data)
}

/// The database answers: HTTP 200 when it does; when it does not, HTTP 503 with code 10009
/// (storage unavailable) and `Retry-After`, like any request that needs the database then.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = Envelope<Health>),
        (status = 503, description = "the database does not answer: code 10009, `Retry-After`")))]
pub async fn readyz(state: web::Data<ApiState>) -> ApiResult {
    if state.readiness.ready().await {
        crate::maxim::envelope::ok(Health { status: "ready" })
    } else {
        Err(ApiError::storage_unavailable())
    }
}
