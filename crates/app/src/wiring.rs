//! Builds the domain services on their adapters.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tidings_files::cleanup::Cleanup;
use tidings_files::{Files, FilesDeps, TicketKey};
use tidings_gateway::{Fanout, Hub, LivePushes, LocalBus};
use tidings_groups::{Groups, GroupsDeps};
use tidings_http::Readiness;
use tidings_kernel::jobs::{HandOff, RetryPolicy};
use tidings_kernel::{Clock, IdGenerator, SnowflakeIds, SystemClock};
use tidings_messaging::batched_audience::BatchedAudience;
use tidings_messaging::group_commit::GroupCommit;
use tidings_messaging::webhooks::Webhooks;
use tidings_messaging::{Messaging, MessagingDeps, MessagingPolicy};
use tidings_push::{Deliveries, MessagePushes, Push, PushDeps, Retries};
use tidings_roster::{Roster, RosterDeps, RosterPolicy};
use tidings_store::Store;
use tidings_users::{BcryptHasher, LocalTokenCache, Users, UsersDeps, UsersPolicy};

use crate::Config;

/// At most this many messages wait in memory for their notifications (about 100 bytes
/// each); the messages stored while it is full are queued due at once, for the loop that
/// polls.
const MESSAGE_PUSH_HANDOFF: usize = 65_536;

/// At most this many user tokens are remembered (about 200 bytes each).
const TOKEN_CACHE_CAPACITY: usize = 100_000;

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
    pub files: Files,
    /// Deletes the bytes of objects whose records are gone.
    pub cleanup: Cleanup,
    pub push: Push,
    /// Apps' vendor push credentials (set by `tidings app update`).
    pub credentials: Arc<dyn tidings_push::ports::CredentialRepository>,
    /// Delivers push tasks.
    pub push_deliveries: Deliveries,
    /// Tries again the vendor pushes whose vendor was unavailable.
    pub push_retries: Retries,
    /// Notifies new messages' receivers on devices without a connection.
    pub message_pushes: MessagePushes,
    /// This node's gateway connections.
    pub hub: Arc<Hub>,
    pub webhooks: Webhooks,
}

pub(crate) fn services(
    store: &Store,
    config: &Config,
    file_key: TicketKey,
) -> anyhow::Result<Services> {
    // Messages come fast: a larger wave per run than the default 64. A wave may hold many
    // slow vendor requests (each up to about 30 s with its quick retries, 64 at a time): a
    // longer lease, so no other runner takes a wave still at work. The messages this node
    // stores are leased to it and handed over in memory, at most MESSAGE_PUSH_HANDOFF waiting.
    let message_push_policy = RetryPolicy {
        batch: 256,
        lease_ms: 5 * 60_000,
        ..RetryPolicy::default()
    };
    let handoff = Arc::new(HandOff::new(&message_push_policy, MESSAGE_PUSH_HANDOFF));
    let store = Arc::new(store.clone().handing_off_message_pushes(handoff.clone()));
    let ids: Arc<dyn IdGenerator> = Arc::new(SnowflakeIds::new(config.node_id));
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // One node: events go straight to this node's hub (a NATS bus replaces LocalBus for
    // several).
    let hub = Hub::with_limits(config.gateway.queue, config.gateway.queue_bytes);
    let fanout = Arc::new(Fanout::new(
        Arc::new(LocalBus::new(hub.clone())),
        hub.clone(),
        store.clone(),
    ));
    let users = Users::new(UsersDeps {
        apps: store.clone(),
        users: store.clone(),
        devices: store.clone(),
        tokens: store.clone(),
        token_cache: Arc::new(LocalTokenCache::new(
            Duration::from_secs(config.token_cache_secs),
            TOKEN_CACHE_CAPACITY,
        )),
        hasher: Arc::new(BcryptHasher::new(config.bcrypt_cost)?),
        presence: fanout.clone(),
        ids: ids.clone(),
        clock: clock.clone(),
        policy: UsersPolicy {
            token_ttl_secs: config.token_ttl_secs,
        },
    });
    let roster = Roster::new(RosterDeps {
        roster: store.clone(),
        directory: store.clone(),
        events: fanout.clone(),
        ids: ids.clone(),
        clock: clock.clone(),
        policy: RosterPolicy {
            application_ttl_secs: config.friend_application_ttl_secs,
        },
    });
    let groups = Groups::new(GroupsDeps {
        groups: store.clone(),
        users: store.clone(),
        events: fanout.clone(),
        ids: ids.clone(),
        clock: clock.clone(),
        policy: config.groups.clone(),
    });
    let webhooks = Webhooks::new(
        store.clone(),
        crate::webhooks::sender(config.webhooks.timeout)?,
        clock.clone(),
        config.webhooks.policy.clone(),
    );
    let objects: Arc<dyn tidings_files::ports::FileStore> =
        Arc::new(tidings_objects::ObjectFiles::open(&config.files.location)?);
    let cleanup = Cleanup::new(
        store.clone(),
        store.clone(),
        objects.clone(),
        clock.clone(),
        RetryPolicy::default(),
    );
    let files = Files::new(FilesDeps {
        repo: store.clone(),
        parties: store.clone(),
        store: objects,
        ids: ids.clone(),
        clock: clock.clone(),
        key: file_key,
        policy: config.files.policy.clone(),
    });
    let store_for_credentials: Arc<dyn tidings_push::ports::CredentialRepository> = store.clone();
    let vendors = Arc::new(tidings_vendors::VendorClients::new(
        config.push.clone(),
        store.clone(),
    )?);
    let push = Push::new(PushDeps {
        tasks: store.clone(),
        recipients: store.clone(),
        live: Arc::new(LivePushes::new(hub.clone())),
        vendors,
        offline: store.clone(),
        ids: ids.clone(),
        clock: clock.clone(),
    });
    let push_deliveries = push.deliveries(store.clone(), RetryPolicy::default());
    let message_pushes = push.message_pushes(store.clone(), message_push_policy, handoff);
    // From 1 s, doubling, 12 attempts: a vendor away for up to about an hour loses nothing.
    let push_retries = push.retries(
        store.clone(),
        RetryPolicy {
            max_attempts: 12,
            ..RetryPolicy::default()
        },
    );
    let messages = GroupCommit::new(store.clone(), &config.group_commit);
    let messaging = Messaging::new(MessagingDeps {
        store: Arc::new(messages),
        audience: Arc::new(BatchedAudience::new(
            store,
            config.group_commit.writers,
            config.group_commit.max_batch,
        )),
        events: fanout,
        ids,
        clock,
        policy: MessagingPolicy::default(),
    });
    Ok(Services {
        users,
        roster,
        groups,
        messaging,
        files,
        cleanup,
        push,
        credentials: store_for_credentials,
        push_deliveries,
        push_retries,
        message_pushes,
        hub,
        webhooks,
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

/// The key upload URLs are signed with: made once per installation and kept in the
/// database, so every node checks the URLs of every other.
pub(crate) async fn file_key(store: &Store) -> anyhow::Result<TicketKey> {
    let hex = store
        .server_key("file-upload-tickets", || {
            use rand::RngCore as _;
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            hex::encode(key)
        })
        .await?;
    let key = hex::decode(hex.trim())
        .map_err(|e| anyhow::anyhow!("the stored file upload key is not hex: {e}"))?;
    Ok(TicketKey::new(key)?)
}
