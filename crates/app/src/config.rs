//! Configuration from the environment.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use tidings_files::FilesPolicy;
use tidings_groups::GroupsPolicy;
use tidings_http::GatewaySettings;
use tidings_http::edge::EdgeSettings;
use tidings_http::limits::LimitSettings;
use tidings_messaging::group_commit::GroupCommitSettings;
use tidings_messaging::webhooks::WebhookPolicy;
use tidings_objects::{Location, S3Settings};
use tidings_store::DatabaseUrl;

/// Everything the server reads at start-up.
#[derive(Clone, Debug)]
pub struct Config {
    /// `TIDINGS_DATABASE_URL`; default: `tidings.db` in the data folder.
    pub database_url: DatabaseUrl,
    /// `TIDINGS_DATA_DIR`; default `./tidings-data`.
    pub data_dir: PathBuf,
    /// `TIDINGS_LISTEN`; default `127.0.0.1:8080`.
    pub listen: String,
    /// `TIDINGS_BCRYPT_COST`; default 10 (about 100 ms a hash on a 2-core machine).
    pub bcrypt_cost: u32,
    /// `TIDINGS_TOKEN_TTL_SECS`; lifetime of user tokens, default 7 days.
    pub token_ttl_secs: i64,
    /// `TIDINGS_TOKEN_CACHE_SECS`; how long a node remembers a user token it looked up,
    /// default 10 (0: look every token up). Revocations through the API take effect at once;
    /// the bound matters for a revocation on another node.
    pub token_cache_secs: u64,
    /// `TIDINGS_FRIEND_APPLICATION_TTL_SECS`; how long a friend application waits, default 7 days.
    pub friend_application_ttl_secs: i64,
    /// Group limits and lifetimes: `TIDINGS_GROUP_CAPACITY` (2000),
    /// `TIDINGS_GROUPS_OWNED_MAX` (100), `TIDINGS_GROUPS_JOINED_MAX` (500),
    /// `TIDINGS_GROUP_KICK_LIMIT` (3), `TIDINGS_GROUP_REQUEST_TTL_SECS` (7 days),
    /// `TIDINGS_GROUP_QR_TTL_SECS` (7 days).
    pub groups: GroupsPolicy,
    /// `TIDINGS_NODE_ID`; 0–1023, distinct per node of one installation (default 0).
    pub node_id: u16,
    /// `TIDINGS_WORKERS`; HTTP worker threads (default: one per core).
    pub workers: usize,
    /// `TIDINGS_DB_MAX_CONNECTIONS`; database pool size (default 16).
    pub db_max_connections: usize,
    /// The WebSocket gateway: `TIDINGS_WS_HEARTBEAT_SECS` (30), `TIDINGS_WS_IDLE_TIMEOUT_SECS`
    /// (90), `TIDINGS_WS_QUEUE` (1024 events per connection), `TIDINGS_WS_MAX_IN_FLIGHT`
    /// (64 sends per connection), `TIDINGS_WS_MAX_FRAME_BYTES` (512 KiB per frame or
    /// reassembled message), `TIDINGS_WS_QUEUE_BYTES` (4 MiB of events per connection),
    /// `TIDINGS_WS_TOKEN_RECHECK_SECS` (120).
    pub gateway: GatewaySettings,
    /// The request edge: `TIDINGS_HTTP_HEADER_TIMEOUT_SECS` (5), `TIDINGS_HTTP_BODY_TIMEOUT_SECS`
    /// (10), `TIDINGS_HTTP_MAX_BODY_BYTES` (1 MiB), `TIDINGS_MAX_CONNECTIONS_PER_IP` (1024),
    /// `TIDINGS_TRUSTED_PROXIES` (none; comma-separated IPs and CIDR ranges),
    /// `TIDINGS_CORS_ORIGINS` (none; comma-separated origins, or `*`).
    pub edge: EdgeSettings,
    /// Rate limits per app, on each node (`per,burst`): `TIDINGS_LOGINS_PER_IP` (2 a second,
    /// burst 20), `TIDINGS_LOGIN_FREE_FAILURES` (5 before backing off),
    /// `TIDINGS_LOGIN_BACKOFF_MAX_SECS` (900), `TIDINGS_REGISTRATIONS_PER_IP` (600 an hour,
    /// burst 100), `TIDINGS_SENDS_PER_USER` (50 a second, burst 200), `TIDINGS_SENDS_PER_APP`
    /// (20,000 a second, burst 50,000), `TIDINGS_WS_PER_USER` (32 connections).
    pub limits: LimitSettings,
    /// Message webhooks: `TIDINGS_WEBHOOK_POLL_MS` (500), `TIDINGS_WEBHOOK_TIMEOUT_SECS` (10),
    /// `TIDINGS_WEBHOOK_MAX_ATTEMPTS` (8), `TIDINGS_WEBHOOK_FIRST_BACKOFF_MS` (1000, doubled
    /// after each failure up to 10 minutes).
    pub webhooks: WebhookSettings,
    /// Group commit of concurrent sends: `TIDINGS_MESSAGE_WRITERS` (transactions at a time,
    /// each holding one pooled connection: 2 on PostgreSQL, 1 on SQLite) and `TIDINGS_MESSAGE_BATCH` (at most 256
    /// sends in one transaction).
    pub group_commit: GroupCommitSettings,
    /// Files (MaxIM §9): see [`FileSettings`].
    pub files: FileSettings,
    /// The vendors' push services: `TIDINGS_APNS_URL` and `TIDINGS_FCM_URL` (replace the
    /// providers' hosts), `TIDINGS_PUSH_EXTRA_CA` (a PEM file of further trusted roots),
    /// `TIDINGS_WEBPUSH_ALLOW_PRIVATE` (`true` lets Web Push reach private and loopback
    /// addresses; default `false`), `TIDINGS_PUSH_MAX_IN_FLIGHT` (500 requests at once),
    /// `TIDINGS_PUSH_TIMEOUT_SECS` (10).
    pub push: tidings_vendors::VendorSettings,
}

/// Where files are kept, how large they may be, and the URLs handed out for them.
#[derive(Clone, Debug)]
pub struct FileSettings {
    /// `TIDINGS_S3_BUCKET` (with `TIDINGS_S3_ENDPOINT`, `TIDINGS_S3_REGION` and the usual
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`) for S3-compatible storage; else
    /// `TIDINGS_FILES_DIR`, default `files` in the data folder.
    pub location: Location,
    /// `TIDINGS_PUBLIC_URL`: the base of upload and download URLs (e.g.
    /// `https://im.example.com`); default `http://` and the request's `Host`.
    pub public_url: Option<String>,
    /// `TIDINGS_MAX_FILE_BYTES` (100 MiB), `TIDINGS_MAX_IMAGE_BYTES` (20 MiB),
    /// `TIDINGS_MAX_AVATAR_BYTES` (5 MiB), `TIDINGS_UPLOAD_URL_TTL_SECS` (3600).
    pub policy: FilesPolicy,
    /// `TIDINGS_MAX_CONCURRENT_UPLOADS` (32): uploads one node streams at once.
    pub max_concurrent_uploads: usize,
}

/// How the webhook runner polls, waits and retries.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    pub poll: Duration,
    pub timeout: Duration,
    pub policy: WebhookPolicy,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            policy: WebhookPolicy::default(),
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{name}={raw:?} is invalid: {e}")),
        None => Ok(default),
    }
}

impl Config {
    /// Reads the configuration from the environment.
    ///
    /// # Errors
    /// When a variable is set to something that does not parse or is out of range.
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir =
            PathBuf::from(var("TIDINGS_DATA_DIR").unwrap_or_else(|| "./tidings-data".into()));
        let database_url = match var("TIDINGS_DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(raw.trim()).context("TIDINGS_DATABASE_URL")?,
            None => DatabaseUrl::Sqlite(data_dir.join("tidings.db")),
        };
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        // SQLite has one writer at a time anyway: a second message writer would only wait.
        let writers = match database_url {
            DatabaseUrl::Sqlite(_) => 1,
            DatabaseUrl::Postgres(_) => GroupCommitSettings::default().writers,
        };
        let config = Self {
            database_url,
            data_dir: data_dir.clone(),
            listen: var("TIDINGS_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into()),
            bcrypt_cost: parsed("TIDINGS_BCRYPT_COST", 10)?,
            token_ttl_secs: parsed("TIDINGS_TOKEN_TTL_SECS", 7 * 24 * 3600)?,
            token_cache_secs: parsed("TIDINGS_TOKEN_CACHE_SECS", 10)?,
            friend_application_ttl_secs: parsed(
                "TIDINGS_FRIEND_APPLICATION_TTL_SECS",
                7 * 24 * 3600,
            )?,
            groups: {
                let d = GroupsPolicy::default();
                GroupsPolicy {
                    capacity: parsed("TIDINGS_GROUP_CAPACITY", d.capacity)?,
                    max_owned: parsed("TIDINGS_GROUPS_OWNED_MAX", d.max_owned)?,
                    max_joined: parsed("TIDINGS_GROUPS_JOINED_MAX", d.max_joined)?,
                    kick_limit: parsed("TIDINGS_GROUP_KICK_LIMIT", d.kick_limit)?,
                    request_ttl_secs: parsed("TIDINGS_GROUP_REQUEST_TTL_SECS", d.request_ttl_secs)?,
                    qr_ttl_secs: parsed("TIDINGS_GROUP_QR_TTL_SECS", d.qr_ttl_secs)?,
                }
            },
            node_id: parsed("TIDINGS_NODE_ID", 0)?,
            workers: parsed("TIDINGS_WORKERS", cores)?,
            db_max_connections: parsed("TIDINGS_DB_MAX_CONNECTIONS", 16)?,
            gateway: {
                let d = GatewaySettings::default();
                GatewaySettings {
                    heartbeat: Duration::from_secs(parsed(
                        "TIDINGS_WS_HEARTBEAT_SECS",
                        d.heartbeat.as_secs(),
                    )?),
                    idle_timeout: Duration::from_secs(parsed(
                        "TIDINGS_WS_IDLE_TIMEOUT_SECS",
                        d.idle_timeout.as_secs(),
                    )?),
                    queue: parsed("TIDINGS_WS_QUEUE", d.queue)?,
                    queue_bytes: parsed("TIDINGS_WS_QUEUE_BYTES", d.queue_bytes)?,
                    token_recheck: Duration::from_secs(parsed(
                        "TIDINGS_WS_TOKEN_RECHECK_SECS",
                        d.token_recheck.as_secs(),
                    )?),
                    max_in_flight: parsed("TIDINGS_WS_MAX_IN_FLIGHT", d.max_in_flight)?,
                    max_frame_bytes: parsed("TIDINGS_WS_MAX_FRAME_BYTES", d.max_frame_bytes)?,
                }
            },
            edge: {
                let d = EdgeSettings::default();
                EdgeSettings {
                    header_timeout: Duration::from_secs(parsed(
                        "TIDINGS_HTTP_HEADER_TIMEOUT_SECS",
                        d.header_timeout.as_secs(),
                    )?),
                    body_timeout: Duration::from_secs(parsed(
                        "TIDINGS_HTTP_BODY_TIMEOUT_SECS",
                        d.body_timeout.as_secs(),
                    )?),
                    max_body_bytes: parsed("TIDINGS_HTTP_MAX_BODY_BYTES", d.max_body_bytes)?,
                    max_connections_per_ip: parsed(
                        "TIDINGS_MAX_CONNECTIONS_PER_IP",
                        d.max_connections_per_ip,
                    )?,
                    trusted_proxies: parsed("TIDINGS_TRUSTED_PROXIES", d.trusted_proxies)?,
                    cors_origins: parsed("TIDINGS_CORS_ORIGINS", d.cors_origins)?,
                }
            },
            limits: {
                let d = LimitSettings::default();
                LimitSettings {
                    logins_per_ip: parsed("TIDINGS_LOGINS_PER_IP", d.logins_per_ip)?,
                    login_free_failures: parsed(
                        "TIDINGS_LOGIN_FREE_FAILURES",
                        d.login_free_failures,
                    )?,
                    login_backoff_max: Duration::from_secs(parsed(
                        "TIDINGS_LOGIN_BACKOFF_MAX_SECS",
                        d.login_backoff_max.as_secs(),
                    )?),
                    registrations_per_ip: parsed(
                        "TIDINGS_REGISTRATIONS_PER_IP",
                        d.registrations_per_ip,
                    )?,
                    sends_per_user: parsed("TIDINGS_SENDS_PER_USER", d.sends_per_user)?,
                    sends_per_app: parsed("TIDINGS_SENDS_PER_APP", d.sends_per_app)?,
                    ws_per_user: parsed("TIDINGS_WS_PER_USER", d.ws_per_user)?,
                }
            },
            webhooks: {
                let d = WebhookSettings::default();
                WebhookSettings {
                    poll: Duration::from_millis(parsed("TIDINGS_WEBHOOK_POLL_MS", 500)?),
                    timeout: Duration::from_secs(parsed("TIDINGS_WEBHOOK_TIMEOUT_SECS", 10)?),
                    policy: WebhookPolicy {
                        max_attempts: parsed(
                            "TIDINGS_WEBHOOK_MAX_ATTEMPTS",
                            d.policy.max_attempts,
                        )?,
                        first_backoff_ms: parsed(
                            "TIDINGS_WEBHOOK_FIRST_BACKOFF_MS",
                            d.policy.first_backoff_ms,
                        )?,
                        ..d.policy
                    },
                }
            },
            files: {
                let d = FilesPolicy::default();
                let location = match var("TIDINGS_S3_BUCKET") {
                    Some(bucket) => Location::S3(S3Settings {
                        bucket: bucket.trim().to_owned(),
                        endpoint: var("TIDINGS_S3_ENDPOINT").map(|e| e.trim().to_owned()),
                        region: var("TIDINGS_S3_REGION").map(|r| r.trim().to_owned()),
                        access_key: None,
                        presign_ttl: Duration::from_secs(parsed(
                            "TIDINGS_S3_PRESIGN_TTL_SECS",
                            300,
                        )?),
                    }),
                    None => Location::Disk(
                        var("TIDINGS_FILES_DIR")
                            .map_or_else(|| data_dir.join("files"), PathBuf::from),
                    ),
                };
                FileSettings {
                    location,
                    max_concurrent_uploads: parsed("TIDINGS_MAX_CONCURRENT_UPLOADS", 32)?,
                    public_url: var("TIDINGS_PUBLIC_URL")
                        .map(|u| u.trim().trim_end_matches('/').to_owned()),
                    policy: FilesPolicy {
                        max_file_bytes: parsed("TIDINGS_MAX_FILE_BYTES", d.max_file_bytes)?,
                        max_image_bytes: parsed("TIDINGS_MAX_IMAGE_BYTES", d.max_image_bytes)?,
                        max_avatar_bytes: parsed("TIDINGS_MAX_AVATAR_BYTES", d.max_avatar_bytes)?,
                        upload_ttl_ms: parsed::<i64>(
                            "TIDINGS_UPLOAD_URL_TTL_SECS",
                            d.upload_ttl_ms / 1000,
                        )?
                        .saturating_mul(1000),
                    },
                }
            },
            push: {
                let d = tidings_vendors::VendorSettings::default();
                tidings_vendors::VendorSettings {
                    apns_url: var("TIDINGS_APNS_URL").map(|u| u.trim().to_owned()),
                    fcm_url: var("TIDINGS_FCM_URL").map(|u| u.trim().to_owned()),
                    extra_ca: var("TIDINGS_PUSH_EXTRA_CA").map(PathBuf::from),
                    webpush_allow_private: parsed(
                        "TIDINGS_WEBPUSH_ALLOW_PRIVATE",
                        d.webpush_allow_private,
                    )?,
                    max_in_flight: parsed("TIDINGS_PUSH_MAX_IN_FLIGHT", d.max_in_flight)?,
                    timeout: Duration::from_secs(parsed(
                        "TIDINGS_PUSH_TIMEOUT_SECS",
                        d.timeout.as_secs(),
                    )?),
                    ..d
                }
            },
            group_commit: {
                let d = GroupCommitSettings::default();
                GroupCommitSettings {
                    writers: parsed("TIDINGS_MESSAGE_WRITERS", writers)?,
                    max_batch: parsed("TIDINGS_MESSAGE_BATCH", d.max_batch)?,
                    ..d
                }
            },
        };
        config.validate()?;
        Ok(config)
    }

    /// # Errors
    /// When a value is out of range.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (4..=31).contains(&self.bcrypt_cost),
            "TIDINGS_BCRYPT_COST must be 4 to 31"
        );
        anyhow::ensure!(
            self.token_ttl_secs > 0,
            "TIDINGS_TOKEN_TTL_SECS must be positive"
        );
        anyhow::ensure!(
            self.friend_application_ttl_secs > 0,
            "TIDINGS_FRIEND_APPLICATION_TTL_SECS must be positive"
        );
        let g = &self.groups;
        anyhow::ensure!(
            g.capacity > 0 && g.max_owned > 0 && g.max_joined > 0 && g.kick_limit >= 0,
            "group limits must be positive"
        );
        anyhow::ensure!(
            g.request_ttl_secs > 0 && g.qr_ttl_secs > 0,
            "group lifetimes must be positive"
        );
        anyhow::ensure!(self.node_id < 1024, "TIDINGS_NODE_ID must be 0 to 1023");
        anyhow::ensure!(self.workers > 0, "TIDINGS_WORKERS must be at least 1");
        anyhow::ensure!(
            self.db_max_connections > 0,
            "TIDINGS_DB_MAX_CONNECTIONS must be at least 1"
        );
        let commit = &self.group_commit;
        anyhow::ensure!(
            commit.writers > 0 && commit.max_batch > 0,
            "TIDINGS_MESSAGE_WRITERS and TIDINGS_MESSAGE_BATCH must be at least 1"
        );
        anyhow::ensure!(
            commit.writers < self.db_max_connections,
            "TIDINGS_MESSAGE_WRITERS must be below TIDINGS_DB_MAX_CONNECTIONS (each writer holds \
             a connection while it stores a batch)"
        );
        let edge = &self.edge;
        anyhow::ensure!(
            !edge.header_timeout.is_zero() && !edge.body_timeout.is_zero(),
            "TIDINGS_HTTP_HEADER_TIMEOUT_SECS and TIDINGS_HTTP_BODY_TIMEOUT_SECS must be positive"
        );
        anyhow::ensure!(
            edge.max_body_bytes >= 1024 && edge.max_connections_per_ip > 0,
            "TIDINGS_HTTP_MAX_BODY_BYTES must be at least 1024, TIDINGS_MAX_CONNECTIONS_PER_IP \
             at least 1"
        );
        anyhow::ensure!(
            self.limits.ws_per_user > 0 && !self.limits.login_backoff_max.is_zero(),
            "TIDINGS_WS_PER_USER and TIDINGS_LOGIN_BACKOFF_MAX_SECS must be positive"
        );
        let hooks = &self.webhooks;
        anyhow::ensure!(
            !hooks.poll.is_zero() && !hooks.timeout.is_zero(),
            "TIDINGS_WEBHOOK_POLL_MS and TIDINGS_WEBHOOK_TIMEOUT_SECS must be positive"
        );
        anyhow::ensure!(
            (hooks.timeout.as_millis() as i64) < hooks.policy.lease_ms / 2,
            "TIDINGS_WEBHOOK_TIMEOUT_SECS must be under half the 60 s lease of a webhook job"
        );
        anyhow::ensure!(
            hooks.policy.max_attempts > 0 && hooks.policy.first_backoff_ms > 0,
            "TIDINGS_WEBHOOK_MAX_ATTEMPTS and TIDINGS_WEBHOOK_FIRST_BACKOFF_MS must be positive"
        );
        let ws = &self.gateway;
        anyhow::ensure!(
            !ws.heartbeat.is_zero() && ws.idle_timeout > ws.heartbeat,
            "TIDINGS_WS_HEARTBEAT_SECS must be positive and below TIDINGS_WS_IDLE_TIMEOUT_SECS"
        );
        anyhow::ensure!(
            ws.queue > 0
                && ws.max_in_flight > 0
                && ws.max_frame_bytes >= 1024
                && ws.queue_bytes >= 64 * 1024
                && !ws.token_recheck.is_zero(),
            "TIDINGS_WS_QUEUE and TIDINGS_WS_MAX_IN_FLIGHT must be at least 1, \
             TIDINGS_WS_MAX_FRAME_BYTES at least 1024, TIDINGS_WS_QUEUE_BYTES at least 65536, \
             TIDINGS_WS_TOKEN_RECHECK_SECS positive"
        );
        let files = &self.files;
        anyhow::ensure!(
            files.max_concurrent_uploads > 0,
            "TIDINGS_MAX_CONCURRENT_UPLOADS must be at least 1"
        );
        anyhow::ensure!(
            files.policy.upload_ttl_ms > 0
                && files.policy.max_file_bytes > 0
                && files.policy.max_image_bytes > 0
                && files.policy.max_avatar_bytes > 0,
            "TIDINGS_UPLOAD_URL_TTL_SECS and the TIDINGS_MAX_*_BYTES file limits must be positive"
        );
        for (name, url) in [
            ("TIDINGS_APNS_URL", &self.push.apns_url),
            ("TIDINGS_FCM_URL", &self.push.fcm_url),
        ] {
            if let Some(url) = url {
                anyhow::ensure!(
                    url.starts_with("https://") || url.starts_with("http://"),
                    "{name}={url:?} must be an https:// (or http://) URL"
                );
            }
        }
        anyhow::ensure!(
            self.push.max_in_flight > 0 && !self.push.timeout.is_zero(),
            "TIDINGS_PUSH_MAX_IN_FLIGHT and TIDINGS_PUSH_TIMEOUT_SECS must be positive"
        );
        if let Some(url) = &files.public_url {
            anyhow::ensure!(
                (url.starts_with("http://") || url.starts_with("https://"))
                    && !url.contains(['?', '#', ' ']),
                "TIDINGS_PUBLIC_URL={url:?} must be an http:// or https:// URL without a query"
            );
        }
        if let Location::S3(s3) = &files.location {
            anyhow::ensure!(
                !s3.bucket.is_empty() && !s3.presign_ttl.is_zero(),
                "TIDINGS_S3_BUCKET must name a bucket and TIDINGS_S3_PRESIGN_TTL_SECS be positive"
            );
        }
        Ok(())
    }
}
