//! Connection pools for both backends, migrations, and the dispatch macro that writes each
//! query once and type-checks it against both connections.

use std::path::PathBuf;

use anyhow::Context as _;
use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tidings_kernel::jobs::HandOff;
use tidings_push::offline::MessagePush;

pub(crate) type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// Per-connection SQLite settings: write-ahead log, fsync at checkpoints, wait for locks
/// instead of failing, and enforce foreign keys.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
    /// An SQLite file: `sqlite:///absolute/path.db` or `sqlite://relative/path.db`.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    /// # Errors
    /// When the URL is neither PostgreSQL nor SQLite.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(Self::Postgres(raw.to_owned()))
        } else if let Some(path) = raw.strip_prefix("sqlite://") {
            anyhow::ensure!(!path.is_empty(), "the SQLite URL names no file: {raw}");
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else {
            anyhow::bail!(
                "unsupported database URL (use postgres://… or sqlite:///path/to/file.db)"
            )
        }
    }

    /// The URL itself, as `TIDINGS_DATABASE_URL` takes it. It may hold a password: never log
    /// it (use [`DatabaseUrl::redacted`]).
    pub fn expose(&self) -> String {
        match self {
            Self::Postgres(url) => url.clone(),
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }

    /// A printable form without any password.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(scheme), Some(at)) if at > scheme => {
                    format!("{}://***{}", &url[..scheme], &url[at..])
                }
                _ => url.clone(),
            },
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// The persistence adapter: implements every repository port of the domain crates on
/// SQLite or PostgreSQL.
#[derive(Clone)]
pub struct Store {
    pub(crate) pools: Pools,
    url: DatabaseUrl,
    /// SQLite's in-process turn to write (see [`Store::write_turn`]).
    writes: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Where the messages this store queues for notification are handed over to this
    /// node's runners (see [`Store::handing_off_message_pushes`]).
    pub(crate) message_push_handoff: Option<std::sync::Arc<HandOff<MessagePush>>>,
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend is
/// configured. The body is compiled once per backend, so it must type-check against both.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {
        match &$store.pools {
            $crate::db::Pools::Pg(pool) => {
                let mut guard = pool.get().await.map_err($crate::db::pool_error)?;
                let $conn = &mut *guard;
                $body
            }
            $crate::db::Pools::Sqlite(pool) => {
                let mut guard = pool.get().await.map_err($crate::db::pool_error)?;
                let $conn = &mut *guard;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

/// How long a request waits for a pooled connection, and for a new connection to be made,
/// before it is answered "storage unavailable" (rather than waiting for ever on a database
/// that is down or unreachable).
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const CONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

fn bounded<M: deadpool::managed::Manager>(
    builder: deadpool::managed::PoolBuilder<M>,
    max_connections: usize,
) -> deadpool::managed::PoolBuilder<M> {
    builder
        .max_size(max_connections)
        .runtime(deadpool::Runtime::Tokio1)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(CONNECT_WAIT))
}

pub(crate) fn pool_error(
    err: diesel_async::pooled_connection::deadpool::PoolError,
) -> crate::error::PoolError {
    // Whatever keeps a connection from the pool (the server refuses or is gone, or every
    // connection stays busy past the wait) means the database cannot serve this request now.
    crate::error::PoolError(anyhow::Error::new(tidings_kernel::StorageUnavailable(
        format!("database pool: {err}"),
    )))
}

impl Store {
    /// Opens a pool (creating the SQLite file and its folder if needed). Nothing is queried
    /// until the first use; call [`Store::migrate`] before serving.
    ///
    /// # Errors
    /// When the pool cannot be built or the SQLite folder cannot be created.
    pub fn connect(url: &DatabaseUrl, max_connections: usize) -> anyhow::Result<Self> {
        let pools = match url {
            DatabaseUrl::Postgres(raw) => {
                // A connection is checked for an open transaction and a broken flag when it
                // returns to the pool, not by a test query at every checkout (a round trip
                // per query otherwise).
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                let manager =
                    AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(raw, config);
                Pools::Pg(bounded(Pool::builder(manager), max_connections).build()?)
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(|url| {
                    let url = url.to_owned();
                    Box::pin(async move {
                        let mut conn = SqliteConn::establish(&url).await?;
                        conn.batch_execute(SQLITE_PRAGMAS)
                            .await
                            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                        Ok(conn)
                    })
                });
                let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(
                    path.to_string_lossy(),
                    config,
                );
                Pools::Sqlite(bounded(Pool::builder(manager), max_connections).build()?)
            }
        };
        Ok(Self {
            pools,
            url: url.clone(),
            writes: std::sync::Arc::default(),
            message_push_handoff: None,
        })
    }

    /// This store, queuing the messages it stores for notification leased to this node and
    /// handing them over in `handoff` (from which a runner with the lease of the hand-off's
    /// policy works them at once), rather than due for a runner to find. Without it, they
    /// are queued due at once.
    #[must_use]
    pub fn handing_off_message_pushes(
        mut self,
        handoff: std::sync::Arc<HandOff<MessagePush>>,
    ) -> Self {
        self.message_push_handoff = Some(handoff);
        self
    }

    /// On SQLite, waits for this process's turn to write, first come first served; `None` on
    /// PostgreSQL. SQLite has one writer at a time, and a writer that finds the file locked
    /// sleeps in SQLite's busy handler (steps of up to 100 ms, losing the lock again at each
    /// wake-up while others keep writing), so under a steady stream of sends a job queue's
    /// write could wait seconds. The heavy writers — the group commit of sends, the job
    /// queues and the push store's writes (tasks, their progress, badges, dead tokens) —
    /// take their turn here instead, in order; rarer writes still rely on the busy handler.
    /// Taken before a pooled connection, never while holding one.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pools {
            Pools::Sqlite(_) => Some(self.writes.lock().await),
            Pools::Pg(_) => None,
        }
    }

    /// Applies pending migrations (embedded in the binary) and returns how many ran.
    /// Needs tokio's multi-thread runtime.
    ///
    /// # Errors
    /// When the database is unreachable or a migration fails.
    pub async fn migrate(&self) -> anyhow::Result<usize> {
        let ran = match &self.url {
            DatabaseUrl::Postgres(raw) => {
                let conn = AsyncPgConnection::establish(raw).await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .run_pending_migrations(PG_MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("migrating PostgreSQL: {e}"))?
                    .len()
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn = SqliteConn::establish(&path.to_string_lossy()).await?;
                conn.batch_execute(SQLITE_PRAGMAS).await?;
                let mut harness = AsyncMigrationHarness::new(conn);
                harness
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| anyhow::anyhow!("migrating SQLite: {e}"))?
                    .len()
            }
        };
        Ok(ran)
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        let result: Result<(), tidings_users::RepoError> = async {
            with_conn!(self, |conn| {
                conn.batch_execute("SELECT 1")
                    .await
                    .map_err(crate::error::repo_error)
            })
        }
        .await;
        result.is_ok()
    }

    /// Which backend this store runs on (`"postgres"` or `"sqlite"`).
    pub fn backend(&self) -> &'static str {
        match self.pools {
            Pools::Pg(_) => "postgres",
            Pools::Sqlite(_) => "sqlite",
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl Store {
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.pools, Pools::Pg(_))
    }

    /// The n-th bind placeholder of this backend's SQL.
    pub(crate) fn placeholder(&self, n: usize) -> String {
        match self.pools {
            Pools::Pg(_) => format!("${n}"),
            Pools::Sqlite(_) => "?".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_the_backend() -> anyhow::Result<()> {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/t.db")?,
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/t.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/t.db")?,
            DatabaseUrl::Sqlite(PathBuf::from("data/t.db"))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db")?,
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        for raw in [
            "sqlite:///var/t.db",
            "sqlite://rel/t.db",
            "postgres://u:p@h/db",
        ] {
            assert_eq!(DatabaseUrl::parse(raw)?.expose(), raw);
        }
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        Ok(())
    }

    #[test]
    fn redaction_hides_passwords() -> anyhow::Result<()> {
        let url = DatabaseUrl::parse("postgres://me:secret@db:5432/x")?;
        assert_eq!(url.redacted(), "postgres://***@db:5432/x");
        Ok(())
    }
}
