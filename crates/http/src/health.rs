//! Liveness and readiness probes.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::envelope::Envelope;
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
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Envelope {
        code: 200,
        message: None,
        data: Health { status: "alive" },
    })
}

/// The database answers: HTTP 200 when it does, 503 (code 20000) when it does not.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Envelope<Health>), (status = 503, body = Envelope<Health>)))]
pub async fn readyz(state: web::Data<ApiState>) -> HttpResponse {
    if state.readiness.ready().await {
        HttpResponse::Ok().json(Envelope {
            code: 200,
            message: None,
            data: Health { status: "ready" },
        })
    } else {
        HttpResponse::build(StatusCode::SERVICE_UNAVAILABLE).json(Envelope {
            code: code::INTERNAL,
            message: Some("the database does not answer".into()),
            data: Health {
                status: "unavailable",
            },
        })
    }
}
