//! Builds the domain services on their adapters.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_groups::model::GroupEvent;
use tidings_groups::ports::GroupEvents;
use tidings_groups::{Groups, GroupsDeps};
use tidings_http::Readiness;
use tidings_kernel::{AppId, Clock, DeviceSn, IdGenerator, SnowflakeIds, SystemClock, UserId};
use tidings_messaging::{Messaging, MessagingDeps, MessagingPolicy};
use tidings_roster::model::RosterEvent;
use tidings_roster::ports::RosterEvents;
use tidings_roster::{Roster, RosterDeps, RosterPolicy};
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

/// Where roster events go until the gateway exists: nowhere, at no cost.
pub(crate) struct NoRosterEvents;

#[async_trait]
impl RosterEvents for NoRosterEvents {
    async fn publish(&self, _: &AppId, _: RosterEvent) {}
}

/// Where group events go until the gateway exists: nowhere, at no cost.
pub(crate) struct NoGroupEvents;

#[async_trait]
impl GroupEvents for NoGroupEvents {
    async fn publish(&self, _: &AppId, _: GroupEvent) {}
}

pub(crate) struct StoreReadiness(pub Store);

#[async_trait]
impl Readiness for StoreReadiness {
    async fn ready(&self) -> bool {
        self.0.ping().await
    }
}

/// The domain services, wired on one store, one clock and one id generator (ids are unique
/// across users, groups and everything else of an installation's node).
#[derive(Clone)]
pub(crate) struct Services {
    pub users: Users,
    pub roster: Roster,
    pub groups: Groups,
    pub messaging: Messaging,
}

pub(crate) fn services(store: &Store, config: &Config) -> anyhow::Result<Services> {
    let store = Arc::new(store.clone());
    let ids: Arc<dyn IdGenerator> = Arc::new(SnowflakeIds::new(config.node_id));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let users = Users::new(UsersDeps {
        apps: store.clone(),
        users: store.clone(),
        devices: store.clone(),
        tokens: store.clone(),
        hasher: Arc::new(BcryptHasher::new(config.bcrypt_cost)?),
        presence: Arc::new(NoConnections),
        ids: ids.clone(),
        clock: clock.clone(),
        policy: UsersPolicy {
            token_ttl_secs: config.token_ttl_secs,
        },
    });
    let roster = Roster::new(RosterDeps {
        roster: store.clone(),
        directory: store.clone(),
        events: Arc::new(NoRosterEvents),
        ids: ids.clone(),
        clock: clock.clone(),
        policy: RosterPolicy {
            application_ttl_secs: config.friend_application_ttl_secs,
        },
    });
    let groups = Groups::new(GroupsDeps {
        groups: store.clone(),
        users: store.clone(),
        events: Arc::new(NoGroupEvents),
        ids: ids.clone(),
        clock: clock.clone(),
        policy: config.groups.clone(),
    });
    let messaging = Messaging::new(MessagingDeps {
        store: store.clone(),
        audience: store,
        ids,
        clock,
        policy: MessagingPolicy::default(),
    });
    Ok(Services {
        users,
        roster,
        groups,
        messaging,
    })
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
