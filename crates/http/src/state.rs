use std::sync::Arc;

use async_trait::async_trait;
use tidings_files::Files;
use tidings_gateway::Hub;
use tidings_groups::Groups;
use tidings_messaging::Messaging;
use tidings_roster::Roster;
use tidings_users::Users;

/// Whether the server's dependencies (the database) answer; backs `GET /readyz`.
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ready(&self) -> bool;
}

/// What the handlers share: the domain services, the readiness probe, and the runtime the
/// domain work runs on.
#[derive(Clone)]
pub struct ApiState {
    pub users: Users,
    pub roster: Roster,
    pub groups: Groups,
    pub messaging: Messaging,
    pub files: Files,
    pub push: tidings_push::Push,
    /// Uploads this node streams at once (each holds a few MiB while it streams); one more
    /// is refused with 10429.
    pub uploads: Arc<tokio::sync::Semaphore>,
    /// The public base of the URLs the server hands out (upload and download URLs), such as
    /// `https://im.example.com`; `None`: `http://` and the request's `Host`.
    pub public_url: Option<String>,
    pub readiness: Arc<dyn Readiness>,
    /// This node's gateway connections.
    pub hub: Arc<Hub>,
    pub gateway: crate::GatewaySettings,
    /// Body deadlines and size limits, connection caps, trusted proxies.
    pub edge: crate::edge::EdgeSettings,
    /// This node's rate limits.
    pub limits: Arc<crate::limits::RateLimits>,
    /// A multi-thread tokio runtime. actix's workers are single-threaded runtimes; every
    /// handler and authentication runs here instead, so that a request whose client goes
    /// away is finished rather than cancelled mid-operation (the SQLite adapter cannot be
    /// cancelled on a single-threaded runtime, and nothing is left half-done).
    pub runtime: tokio::runtime::Handle,
}

impl ApiState {
    /// The state registered with the app, as an extractor reads it.
    pub(crate) fn of(req: &actix_web::HttpRequest) -> Option<actix_web::web::Data<ApiState>> {
        req.app_data::<actix_web::web::Data<ApiState>>().cloned()
    }
}
