use std::sync::Arc;

use async_trait::async_trait;
use tidings_users::Users;

/// Whether the server's dependencies (the database) answer; backs `GET /readyz`.
#[async_trait]
pub trait Readiness: Send + Sync {
    async fn ready(&self) -> bool;
}

/// What the handlers share: the domain services and the readiness probe.
#[derive(Clone)]
pub struct ApiState {
    pub users: Users,
    pub readiness: Arc<dyn Readiness>,
}
