#![doc = include_str!("../README.md")]

pub mod edge;
mod health;
mod lenient;
pub mod limits;
mod maxim;
mod reply;
mod state;
mod surface;
mod ws;

pub use state::{ApiState, Readiness};
pub use surface::Operation;
pub use ws::GatewaySettings;

use actix_web::web;

/// Registers every route of the server: health checks, the MaxIM API with its OpenAPI
/// document and browser, and the WebSocket gateway. Each surface answers malformed
/// requests and unserved methods on its paths its own way; unknown paths answer as MaxIM.
pub fn configure(state: ApiState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.edge.max_body_bytes;
        cfg.app_data(web::Data::new(state))
            .app_data(web::PayloadConfig::new(limit));
        let maxim = maxim::answers(limit);
        maxim.mount(cfg, maxim::operations());
        cfg.service(ws::resource(&maxim));
        cfg.service(maxim::openapi::swagger_ui());
        cfg.default_service(web::to(maxim::error::not_found));
    }
}

/// Every operation the server serves, apart from the OpenAPI document, its browser and the
/// WebSocket gateway.
pub fn operations() -> Vec<Operation> {
    maxim::operations()
}
