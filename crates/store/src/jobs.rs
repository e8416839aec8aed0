//! Leasing the due jobs of a durable queue table (`webhook_outbox`, `file_deletions`), in one
//! statement on either backend. On PostgreSQL the due rows are locked with `FOR UPDATE SKIP
//! LOCKED`, so concurrent runners on several nodes take disjoint jobs without waiting on each
//! other; SQLite has one writer at a time, and one `UPDATE … RETURNING` never has to turn a
//! read into a write inside a transaction (two such transactions would refuse each other).

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use tidings_kernel::Timestamp;

use crate::Store;
use crate::db::{Pools, pool_error};
use crate::error::unknown;

/// A queue table with `failed` and `next_attempt_at` columns. Both names are fixed in code,
/// never taken from input.
pub(crate) struct QueueTable {
    pub table: &'static str,
    pub id: &'static str,
}

pub(crate) const WEBHOOKS: QueueTable = QueueTable {
    table: "webhook_outbox",
    id: "message_id",
};

pub(crate) const FILE_DELETIONS: QueueTable = QueueTable {
    table: "file_deletions",
    id: "id",
};

#[derive(QueryableByName)]
struct Leased {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl Store {
    /// Leases up to `limit` jobs due at `now` until `lease_until`, oldest due first: their
    /// ids.
    pub(crate) async fn lease_ids(
        &self,
        queue: &QueueTable,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> anyhow::Result<Vec<i64>> {
        let QueueTable { table, id } = queue;
        let rows: Vec<Leased> = match &self.pools {
            Pools::Pg(pool) => {
                let mut conn = pool.get().await.map_err(pool_error)?;
                diesel::sql_query(format!(
                    "UPDATE {table} SET next_attempt_at = $1 WHERE {id} IN \
                     (SELECT {id} FROM {table} WHERE NOT failed AND next_attempt_at <= $2 \
                      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
                     RETURNING {id} AS id"
                ))
                .bind::<diesel::sql_types::BigInt, _>(lease_until.0)
                .bind::<diesel::sql_types::BigInt, _>(now.0)
                .bind::<diesel::sql_types::BigInt, _>(limit)
                .load(&mut *conn)
                .await
                .map_err(unknown)?
            }
            Pools::Sqlite(pool) => {
                let mut conn = pool.get().await.map_err(pool_error)?;
                diesel::sql_query(format!(
                    "UPDATE {table} SET next_attempt_at = ? WHERE {id} IN \
                     (SELECT {id} FROM {table} WHERE failed = 0 AND next_attempt_at <= ? \
                      ORDER BY next_attempt_at LIMIT ?) \
                     RETURNING {id} AS id"
                ))
                .bind::<diesel::sql_types::BigInt, _>(lease_until.0)
                .bind::<diesel::sql_types::BigInt, _>(now.0)
                .bind::<diesel::sql_types::BigInt, _>(limit)
                .load(&mut *conn)
                .await
                .map_err(unknown)?
            }
        };
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
