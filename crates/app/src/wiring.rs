//! Builds the domain services on their adapters.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_http::Readiness;
use tidings_kernel::{AppId, DeviceSn, SnowflakeIds, SystemClock, UserId};
use tidings_store::Store;
use tidings_users::ports::Presence;
use tidings_users::{BcryptHasher, Users, UsersDeps, UsersPolicy};

use crate::Config;

/// The presence adapter used until the WebSocket gateway exists: it knows no connections,
/// so nobody is online and a kick has no connection to close (the kick's token revocation
/// still happens in the domain).
pub(crate) struct NoConnections;

#[async_trait]
impl Presence for NoConnections {
    async fn is_online(&self, _: &AppId, _: UserId) -> bool {
        false
    }

    async fn disconnect(&self, _: &AppId, _: UserId, _: Option<DeviceSn>) {}
}

pub(crate) struct StoreReadiness(pub Store);

#[async_trait]
impl Readiness for StoreReadiness {
    async fn ready(&self) -> bool {
        self.0.ping().await
    }
}

/// The users service on the store.
pub(crate) fn users(store: &Store, config: &Config) -> anyhow::Result<Users> {
    let store = Arc::new(store.clone());
    Ok(Users::new(UsersDeps {
        apps: store.clone(),
        users: store.clone(),
        devices: store.clone(),
        tokens: store,
        hasher: Arc::new(BcryptHasher::new(config.bcrypt_cost)?),
        presence: Arc::new(NoConnections),
        ids: Arc::new(SnowflakeIds::new(config.node_id)),
        clock: Arc::new(SystemClock),
        policy: UsersPolicy {
            token_ttl_secs: config.token_ttl_secs,
        },
    }))
}

/// Connects to the database and applies pending migrations.
pub(crate) async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url, config.db_max_connections)?;
    let ran = store.migrate().await?;
    tracing::info!(
        database = %config.database_url.redacted(),
        migrations_applied = ran,
        "database ready"
    );
    Ok(store)
}
