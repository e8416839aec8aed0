//! The durable job queue tables (`webhook_outbox`, `file_deletions`, `push_deliveries`,
//! `push_retries`, `message_pushes`): leasing due jobs in
//! one statement on either backend, forgetting done ones, and recording a failed attempt. On PostgreSQL the due
//! rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent runners on several nodes
//! take disjoint jobs without waiting on each other; SQLite has one writer at a time, and one
//! `UPDATE … RETURNING` never has to turn a read into a write inside a transaction (two such
//! transactions would refuse each other). On SQLite every queue write waits for its turn
//! ([`Store::write_turn`]) beside the group commit of sends, instead of in SQLite's busy
//! handler.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::RunQueryDsl;
use tidings_kernel::Timestamp;

use crate::Store;
use crate::db::with_conn;
use crate::error::unknown;

/// A queue table with `attempts`, `next_attempt_at`, `failed` and `last_error` columns.
/// Both names are fixed in code, never taken from input.
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

pub(crate) const PUSH_DELIVERIES: QueueTable = QueueTable {
    table: "push_deliveries",
    id: "id",
};

pub(crate) const MESSAGE_PUSHES: QueueTable = QueueTable {
    table: "message_pushes",
    id: "id",
};

pub(crate) const PUSH_RETRIES: QueueTable = QueueTable {
    table: "push_retries",
    id: "id",
};

/// The most ids one statement forgets.
const DONE_CHUNK: usize = 500;

/// The most of an error kept with a failed job.
const ERROR_CHARS: usize = 500;

#[derive(QueryableByName)]
struct Leased {
    #[diesel(sql_type = BigInt)]
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
        let lock = if self.is_postgres() {
            " FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let (p1, p2, p3) = (
            self.placeholder(1),
            self.placeholder(2),
            self.placeholder(3),
        );
        let sql = format!(
            "UPDATE {table} SET next_attempt_at = {p1} WHERE {id} IN \
             (SELECT {id} FROM {table} WHERE failed = FALSE AND next_attempt_at <= {p2} \
              ORDER BY next_attempt_at LIMIT {p3}{lock}) \
             RETURNING {id} AS id"
        );
        let _turn = self.write_turn().await;
        let rows: Vec<Leased> = with_conn!(self, |conn| {
            diesel::sql_query(&sql)
                .bind::<BigInt, _>(lease_until.0)
                .bind::<BigInt, _>(now.0)
                .bind::<BigInt, _>(limit)
                .load(conn)
                .await
                .map_err(unknown)?
        });
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Forgets jobs that are done, in one statement per chunk of ids.
    pub(crate) async fn jobs_done(&self, queue: &QueueTable, jobs: &[i64]) -> anyhow::Result<()> {
        let QueueTable { table, id } = queue;
        for chunk in jobs.chunks(DONE_CHUNK) {
            let list: Vec<String> = (1..=chunk.len()).map(|n| self.placeholder(n)).collect();
            let sql = format!("DELETE FROM {table} WHERE {id} IN ({})", list.join(", "));
            let _turn = self.write_turn().await;
            with_conn!(self, |conn| {
                let mut query = diesel::sql_query(&sql).into_boxed();
                for job in chunk {
                    query = query.bind::<BigInt, _>(*job);
                }
                query.execute(conn).await.map_err(unknown)?
            });
        }
        Ok(())
    }

    /// Records a failed attempt: due again at `next_at`, or failed for good (kept with its
    /// last error) when there is none.
    pub(crate) async fn job_failed(
        &self,
        queue: &QueueTable,
        job: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> anyhow::Result<()> {
        let QueueTable { table, id } = queue;
        let p: Vec<String> = (1..=5).map(|n| self.placeholder(n)).collect();
        let sql = format!(
            "UPDATE {table} SET attempts = {}, next_attempt_at = {}, failed = {}, \
             last_error = {} WHERE {id} = {}",
            p[0], p[1], p[2], p[3], p[4]
        );
        let error: String = error.chars().take(ERROR_CHARS).collect();
        let _turn = self.write_turn().await;
        with_conn!(self, |conn| {
            diesel::sql_query(&sql)
                .bind::<BigInt, _>(attempts)
                .bind::<BigInt, _>(next_at.map_or(0, |t| t.0))
                .bind::<Bool, _>(next_at.is_none())
                .bind::<Text, _>(&error)
                .bind::<BigInt, _>(job)
                .execute(conn)
                .await
                .map_err(unknown)?
        });
        Ok(())
    }
}
