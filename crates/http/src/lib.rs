#![doc = include_str!("../README.md")]

mod auth;
mod body;
pub mod edge;
mod envelope;
mod error;
mod gateway;
mod health;
mod lenient;
pub mod limits;
mod maxim;
pub mod openapi;
mod state;

pub use error::ApiError;
pub use gateway::GatewaySettings;
pub use state::{ApiState, Readiness};

use std::collections::BTreeMap;

use actix_web::web;

/// Registers every route of the server: health checks, the MaxIM API, the OpenAPI document
/// and its browser, and JSON-envelope answers for malformed requests and unknown paths.
pub fn configure(state: ApiState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let limit = state.edge.max_body_bytes;
        cfg.app_data(web::Data::new(state))
            .app_data(error::json_config(limit))
            .app_data(error::query_config())
            .app_data(error::path_config())
            .app_data(body::payload_config(limit));
        let mut by_path: BTreeMap<&'static str, actix_web::Resource> = BTreeMap::new();
        for op in operations() {
            let resource = by_path
                .remove(op.path)
                .unwrap_or_else(|| web::resource(op.path));
            by_path.insert(op.path, resource.route(op.route));
        }
        for (_, resource) in by_path {
            cfg.service(resource.default_service(web::to(error::method_not_allowed)));
        }
        cfg.service(
            web::resource("/ws")
                .route(web::get().to(gateway::upgrade))
                .default_service(web::to(error::method_not_allowed)),
        );
        cfg.service(openapi::swagger_ui());
        cfg.default_service(web::to(error::not_found));
    }
}

/// One method + path of the server and the actix route that serves it.
pub struct Operation {
    pub method: actix_web::http::Method,
    pub path: &'static str,
    route: actix_web::Route,
}

/// Every operation the server serves, apart from the OpenAPI document and its browser.
pub fn operations() -> Vec<Operation> {
    let mut ops = health::operations();
    ops.extend(maxim::operations());
    ops
}

/// Builds an [`Operation`] for each method from one handler. The handler runs on
/// [`ApiState::runtime`] (see there why); if the client goes away, it still finishes.
pub(crate) fn op<F, Args>(
    methods: &[actix_web::http::Method],
    path: &'static str,
    handler: F,
) -> Vec<Operation>
where
    F: actix_web::Handler<Args, Output = envelope::ApiResult> + Clone,
    F::Future: Send + 'static,
    Args: actix_web::FromRequest + 'static,
{
    methods
        .iter()
        .map(|method| {
            let handler = handler.clone();
            let on_runtime = move |state: web::Data<ApiState>, args: Args| {
                let work = state.runtime.spawn(handler.call(args));
                async move { work.await.unwrap_or_else(|e| Err(ApiError::from_panic(&e))) }
            };
            Operation {
                method: method.clone(),
                path,
                route: web::method(method.clone()).to(on_runtime),
            }
        })
        .collect()
}
