//! Fresh, migrated databases for tests (feature `testing`): an SQLite file in a temporary
//! folder, or a new database on the PostgreSQL server named by `TIDINGS_TEST_POSTGRES_URL`.

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};

use crate::{DatabaseUrl, Store};

/// The environment variable naming a PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "TIDINGS_TEST_POSTGRES_URL";

/// Which backend a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test; call [`TestDatabase::remove`] at the end to drop it.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Database { server: String, name: String },
}

impl TestDatabase {
    /// Makes an empty database, or `None` (after saying so on stderr) when the backend is
    /// PostgreSQL and `TIDINGS_TEST_POSTGRES_URL` is not set.
    ///
    /// # Errors
    /// When the folder or database cannot be created.
    pub async fn create(backend: Backend) -> anyhow::Result<Option<Self>> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("tidings-test-{tag}"));
                std::fs::create_dir_all(&dir)?;
                Ok(Some(Self {
                    url: DatabaseUrl::Sqlite(dir.join("tidings.db")),
                    cleanup: Cleanup::Dir(dir),
                }))
            }
            Backend::Postgres => {
                let Ok(server) = std::env::var(POSTGRES_URL_VAR) else {
                    eprintln!("SKIPPED on PostgreSQL: {POSTGRES_URL_VAR} is not set");
                    return Ok(None);
                };
                let name = format!("tidings_test_{tag}");
                let mut admin = AsyncPgConnection::establish(&server).await?;
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await?;
                let url = replace_database(&server, &name)?;
                Ok(Some(Self {
                    url: DatabaseUrl::Postgres(url),
                    cleanup: Cleanup::Database { server, name },
                }))
            }
        }
    }

    /// A migrated store on this database.
    ///
    /// # Errors
    /// When connecting or migrating fails.
    pub async fn store(&self) -> anyhow::Result<Store> {
        let store = Store::connect(&self.url, 4)?;
        store.migrate().await?;
        Ok(store)
    }

    /// Drops the database (or removes the SQLite folder).
    ///
    /// # Errors
    /// When the drop fails.
    pub async fn remove(self) -> anyhow::Result<()> {
        match self.cleanup {
            Cleanup::Dir(dir) => std::fs::remove_dir_all(dir)?,
            Cleanup::Database { server, name } => {
                let mut admin = AsyncPgConnection::establish(&server).await?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
            }
        }
        Ok(())
    }
}

/// Every `(table, column)` of a migrated store's schema, diesel's own bookkeeping left out:
/// what the two migration trees must agree on, since one `schema.rs` serves both.
///
/// # Errors
/// When the catalogue cannot be read.
pub async fn columns(
    store: &Store,
) -> anyhow::Result<std::collections::BTreeSet<(String, String)>> {
    use diesel::QueryableByName;
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;

    #[derive(QueryableByName)]
    struct Column {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    let rows: Vec<Column> = match &store.pools {
        crate::db::Pools::Pg(pool) => {
            let mut conn = pool.get().await?;
            diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .load(&mut *conn)
            .await?
        }
        crate::db::Pools::Sqlite(pool) => {
            let mut conn = pool.get().await?;
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
            )
            .load(&mut *conn)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter(|c| !c.table_name.starts_with("__diesel"))
        .map(|c| (c.table_name, c.column_name))
        .collect())
}

/// How SQLite's planner would run `sql` on this store (the `detail` lines of `EXPLAIN QUERY
/// PLAN`, parameters left unbound); `None` on PostgreSQL.
///
/// # Errors
/// When the statement cannot be planned.
pub async fn sqlite_query_plan(store: &Store, sql: &str) -> anyhow::Result<Option<Vec<String>>> {
    use diesel::QueryableByName;
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = Text)]
        detail: String,
    }
    let crate::db::Pools::Sqlite(pool) = &store.pools else {
        return Ok(None);
    };
    let mut conn = pool.get().await?;
    let steps: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
        .load(&mut *conn)
        .await?;
    Ok(Some(steps.into_iter().map(|s| s.detail).collect()))
}

/// The same server URL with another database name (the last path segment).
fn replace_database(server: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let scheme_end = base
        .find("://")
        .ok_or_else(|| anyhow::anyhow!("not a URL: {server}"))?
        + 3;
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    Ok(match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    })
}

/// Declares a test that runs `$body` (an `async fn(Store) -> anyhow::Result<()>`) on a
/// fresh SQLite database and, when `TIDINGS_TEST_POSTGRES_URL` is set, on a fresh
/// PostgreSQL database.
#[macro_export]
macro_rules! store_test {
    ($name:ident) => {
        mod $name {
            use $crate::testing::{Backend, TestDatabase};

            async fn run(backend: Backend) -> anyhow::Result<()> {
                let Some(db) = TestDatabase::create(backend).await? else {
                    return Ok(());
                };
                let store = db.store().await?;
                super::$name(store).await?;
                db.remove().await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                run(Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                run(Backend::Postgres).await
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn the_database_name_is_replaced() -> anyhow::Result<()> {
        assert_eq!(
            replace_database("postgres://u@127.0.0.1:5432/test", "x")?,
            "postgres://u@127.0.0.1:5432/x"
        );
        assert_eq!(replace_database("postgres://h", "x")?, "postgres://h/x");
        assert_eq!(
            replace_database("postgres://h/db?sslmode=disable", "x")?,
            "postgres://h/x?sslmode=disable"
        );
        Ok(())
    }
}
