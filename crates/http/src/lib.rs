#![doc = include_str!("../README.md")]

pub mod edge;
mod health;
mod jmessage;
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

use actix_web::{HttpRequest, HttpResponse, web};

/// Registers every route of the server: health checks, the MaxIM API, the JMessage API
/// (under `/v1` and `/v2`), their OpenAPI documents and browser, and the WebSocket gateway.
/// Each surface answers malformed requests, unserved methods and unknown paths on its own
/// paths its own way.
pub fn configure(state: ApiState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.edge.max_body_bytes;
        cfg.app_data(web::Data::new(state))
            .app_data(web::PayloadConfig::new(limit));
        let maxim = maxim::answers(limit);
        let jmessage = jmessage::answers(limit);
        maxim.mount(cfg, maxim::operations());
        jmessage.mount(cfg, jmessage::operations());
        cfg.service(ws::resource(&maxim));
        cfg.service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", maxim::openapi::document())
                .url("/openapi/jmessage.json", jmessage::openapi::document()),
        );
        cfg.default_service(web::to(move |req: HttpRequest| {
            let answers = if jmessage::owns(req.path()) {
                &jmessage
            } else {
                &maxim
            };
            std::future::ready(answers.not_found(&req))
        }));
    }
}

/// How the surface owning `path` refuses what none of its handlers sees (the edge's
/// refusals, before any route is chosen).
pub(crate) fn refuse(path: &str, unserved: surface::Unserved, message: String) -> HttpResponse {
    if jmessage::owns(path) {
        jmessage::error::refuse(unserved, message)
    } else {
        maxim::error::refuse(unserved, message)
    }
}

/// Every operation the server serves, apart from the OpenAPI documents, their browser and
/// the WebSocket gateway.
pub fn operations() -> Vec<Operation> {
    let mut ops = maxim::operations();
    ops.extend(jmessage::operations());
    ops
}
