//! What each API surface (MaxIM, and the WebSocket gateway beside it) brings to the shared
//! route table: its operations, the error its handlers fail with, and its answers to what
//! its handlers never see: a body, query or path its extractors cannot read, and a method a
//! path does not serve. One surface's answers never leak into another's paths.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::reply::Reply;
use crate::state::ApiState;

/// What the handlers of one surface fail with: rendered by actix as that surface's error
/// body (through `ResponseError`).
pub(crate) trait Refusal: ResponseError + Send + 'static {
    /// A handler task that panicked or was cancelled: logged, answered as an internal error.
    fn from_panic(err: &tokio::task::JoinError) -> Self;
}

/// One method + path of the server and the actix route that serves it.
pub struct Operation {
    pub method: actix_web::http::Method,
    pub path: &'static str,
    pub(crate) route: actix_web::Route,
}

/// Builds an [`Operation`] for each method from one handler. The handler runs on
/// [`ApiState::runtime`] (see there why); if the client goes away, it still finishes.
pub(crate) fn op<F, Args, E>(
    methods: &[actix_web::http::Method],
    path: &'static str,
    handler: F,
) -> Vec<Operation>
where
    F: actix_web::Handler<Args, Output = Result<Reply, E>> + Clone,
    F::Future: Send + 'static,
    Args: actix_web::FromRequest + 'static,
    E: Refusal,
{
    methods
        .iter()
        .map(|method| {
            let handler = handler.clone();
            let on_runtime = move |state: web::Data<ApiState>, args: Args| {
                let work = state.runtime.spawn(handler.call(args));
                async move { work.await.unwrap_or_else(|e| Err(E::from_panic(&e))) }
            };
            Operation {
                method: method.clone(),
                path,
                route: web::method(method.clone()).to(on_runtime),
            }
        })
        .collect()
}

/// A surface's answers to the requests its handlers never see.
#[derive(Clone)]
pub(crate) struct Answers {
    pub json: web::JsonConfig,
    pub query: web::QueryConfig,
    pub path: web::PathConfig,
    /// A path this surface serves, asked with a method it does not serve there.
    pub method_not_allowed: fn(&HttpRequest) -> HttpResponse,
}

impl Answers {
    /// An actix resource for `path` that answers with these extractor configs and this 405.
    pub(crate) fn resource(&self, path: &str) -> actix_web::Resource {
        let not_allowed = self.method_not_allowed;
        web::resource(path)
            .app_data(self.json.clone())
            .app_data(self.query.clone())
            .app_data(self.path.clone())
            .default_service(web::to(move |req: HttpRequest| {
                std::future::ready(not_allowed(&req))
            }))
    }

    /// Registers `operations`, one resource per path.
    pub(crate) fn mount(&self, cfg: &mut web::ServiceConfig, operations: Vec<Operation>) {
        let mut by_path: BTreeMap<&'static str, actix_web::Resource> = BTreeMap::new();
        for op in operations {
            let resource = by_path
                .remove(op.path)
                .unwrap_or_else(|| self.resource(op.path));
            by_path.insert(op.path, resource.route(op.route));
        }
        for (_, resource) in by_path {
            cfg.service(resource);
        }
    }
}
