//! What each API surface (MaxIM, JMessage, and the WebSocket gateway) brings to the shared
//! route table: its operations, the error its handlers fail with, and its answers to what
//! its handlers never see: a body, query or path its extractors cannot read, and a method a
//! path does not serve. One surface's answers never leak into another's paths.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
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

/// A request no handler of a surface sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unserved {
    /// Input that cannot be read: a body, query or path the extractors refuse (HTTP 400),
    /// or one the edge refuses before any handler (400 for a NUL character, 408 for a body
    /// too slow, 413 for one too large).
    Unreadable(StatusCode),
    /// No operation at this path.
    NotFound,
    /// A path served, with a method not served there.
    MethodNotAllowed,
}

/// How a surface answers what its handlers never see, with a message: its own error body
/// and code.
pub(crate) type Refuse = fn(Unserved, String) -> HttpResponse;

/// A surface's answers to the requests its handlers never see.
#[derive(Clone)]
pub(crate) struct Answers {
    json: web::JsonConfig,
    query: web::QueryConfig,
    path: web::PathConfig,
    refuse: Refuse,
    /// Whether a trailing slash leaves the operation the same (`/v1/users` and
    /// `/v1/users/`); path parameters are then read by name, never by position.
    optional_trailing_slash: bool,
}

impl Answers {
    /// Extractor configs that answer with `refuse` (bodies up to `limit` bytes, JSON read
    /// whatever the `Content-Type`).
    pub(crate) fn new(limit: usize, refuse: Refuse, optional_trailing_slash: bool) -> Self {
        let unreadable = move |message: String| -> actix_web::Error {
            let response = refuse(
                Unserved::Unreadable(StatusCode::BAD_REQUEST),
                message.clone(),
            );
            actix_web::error::InternalError::from_response(message, response).into()
        };
        Self {
            json: web::JsonConfig::default()
                .limit(limit)
                .content_type_required(false)
                .error_handler(move |err, _| unreadable(format!("invalid JSON body: {err}"))),
            query: web::QueryConfig::default().error_handler(move |err, _| {
                unreadable(format!("invalid query parameters: {err}"))
            }),
            path: web::PathConfig::default()
                .error_handler(move |err, _| unreadable(format!("invalid path: {err}"))),
            refuse,
            optional_trailing_slash,
        }
    }

    /// HTTP 404 for a path no operation of this surface serves.
    pub(crate) fn not_found(&self, req: &HttpRequest) -> HttpResponse {
        let message = format!("no such operation: {} {}", req.method(), req.path());
        (self.refuse)(Unserved::NotFound, message)
    }

    /// The actix path pattern serving `path`.
    fn pattern(&self, path: &str) -> String {
        if self.optional_trailing_slash {
            format!("{}{{trailing_slash:/?}}", path.trim_end_matches('/'))
        } else {
            path.to_owned()
        }
    }

    /// An actix resource for `path` that answers with these extractor configs and this 405.
    pub(crate) fn resource(&self, path: &str) -> actix_web::Resource {
        let refuse = self.refuse;
        web::resource(self.pattern(path))
            .app_data(self.json.clone())
            .app_data(self.query.clone())
            .app_data(self.path.clone())
            .default_service(web::to(move |req: HttpRequest| {
                let message = format!("{} is not served on {}", req.method(), req.path());
                std::future::ready(refuse(Unserved::MethodNotAllowed, message))
            }))
    }

    /// Registers `operations`, one resource per path.
    pub(crate) fn mount(&self, cfg: &mut web::ServiceConfig, operations: Vec<Operation>) {
        let mut by_path: BTreeMap<String, actix_web::Resource> = BTreeMap::new();
        for op in operations {
            let pattern = self.pattern(op.path);
            let resource = by_path
                .remove(&pattern)
                .unwrap_or_else(|| self.resource(op.path));
            by_path.insert(pattern, resource.route(op.route));
        }
        for (_, resource) in by_path {
            cfg.service(resource);
        }
    }
}

/// A failure the domain has no name for, as every surface tells it apart.
pub(crate) enum Unnamed {
    /// The store says the database could not be reached: nothing was done, retry.
    StorageUnavailable,
    Bug,
}

/// Classifies (and logs) a failure the domain has no name for: a storage outage when
/// [`StorageUnavailable`](tidings_kernel::StorageUnavailable) is in its chain, else a bug.
pub(crate) fn unnamed(e: &anyhow::Error) -> Unnamed {
    if e.chain()
        .any(|cause| cause.is::<tidings_kernel::StorageUnavailable>())
    {
        tracing::warn!(error = %format!("{e:#}"), "storage unavailable");
        return Unnamed::StorageUnavailable;
    }
    tracing::error!(error = %format!("{e:#}"), "internal error");
    Unnamed::Bug
}

/// The `Retry-After` of a storage outage, in seconds.
pub(crate) const STORAGE_RETRY_AFTER_SECS: u64 = 2;

/// The start of a refusal's answer: its status and, when a retry may succeed later, the
/// `Retry-After` header (seconds).
pub(crate) fn refusal_response(
    status: StatusCode,
    retry_after: Option<u64>,
) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    if let Some(secs) = retry_after {
        response.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
    }
    response
}

/// Logs a request task that panicked or was cancelled.
pub(crate) fn log_panic(err: &tokio::task::JoinError) {
    tracing::error!(error = %err, "request task failed");
}

/// What the tests of every surface's OpenAPI document share.
#[cfg(test)]
pub(crate) mod documents {
    use std::collections::BTreeSet;

    use super::Operation;

    /// Every (method, path) a document lists.
    pub(crate) fn documented(doc: &utoipa::openapi::OpenApi) -> BTreeSet<(String, String)> {
        let mut ops = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    ops.insert((method.to_owned(), path.clone()));
                }
            }
        }
        ops
    }

    /// Fails unless `doc` lists exactly the operations served.
    pub(crate) fn assert_lists_exactly(doc: &utoipa::openapi::OpenApi, served: Vec<Operation>) {
        let served: BTreeSet<(String, String)> = served
            .into_iter()
            .map(|op| (op.method.to_string(), op.path.to_owned()))
            .collect();
        let documented = documented(doc);
        let undocumented: Vec<_> = served.difference(&documented).collect();
        let unserved: Vec<_> = documented.difference(&served).collect();
        assert!(
            undocumented.is_empty(),
            "served but not documented: {undocumented:?}"
        );
        assert!(
            unserved.is_empty(),
            "documented but not served: {unserved:?}"
        );
    }

    /// Fails unless `doc` equals the committed snapshot `file` beside the crate's
    /// `Cargo.toml`; `UPDATE_SNAPSHOTS=1` rewrites it first.
    pub(crate) fn assert_matches_snapshot(
        doc: &utoipa::openapi::OpenApi,
        file: &str,
    ) -> anyhow::Result<()> {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let current = doc.to_pretty_json()? + "\n";
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &current)?;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == current,
            "the OpenAPI document {file} changed: review it, then run \
             `UPDATE_SNAPSHOTS=1 cargo test -p tidings-http` and commit {file}"
        );
        Ok(())
    }
}
