//! The store side of group commit: several sends in one transaction, with one multi-row
//! statement per table (messages, webhook outbox, positions, inbox, read positions)
//! instead of one statement per row.

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::jobs::{HandOff, Handed, Leased};
use tidings_kernel::{AppId, Timestamp};
use tidings_messaging::RepoError;
use tidings_messaging::model::{ContentType, Delivery, Message, Target};
use tidings_messaging::ports::{Append, Appended};
use tidings_push::offline::MessagePush;

use crate::Store;
use crate::db::{Pools, pool_error};
use crate::error::messaging_error as err;
use crate::in_app;
use crate::schema::{
    conversation_reads, inbox, message_callbacks, message_dedup, message_pushes, messages,
    push_credentials, user_positions, webhook_outbox,
};

/// At most this many bind parameters in one statement (PostgreSQL takes 65,535, SQLite
/// 32,766): longer batches are split into several statements.
const MAX_BINDS: usize = 30_000;

/// Rows of `columns` columns that fit in one statement.
const fn rows_per_statement(columns: usize) -> usize {
    MAX_BINDS / columns
}

#[derive(Insertable)]
#[diesel(table_name = messages)]
struct NewMessage<'a> {
    id: i64,
    app_id: &'a str,
    from_id: i64,
    target_kind: i64,
    target_id: i64,
    content_type: i64,
    content: &'a str,
    attachment: &'a str,
    config: &'a str,
    ext: &'a str,
    related_id: i64,
    is_system: bool,
    recalled: bool,
    created_at: i64,
}

/// A message whose offline receivers are to be notified.
#[derive(Insertable)]
#[diesel(table_name = message_pushes)]
struct NewMessagePush<'a> {
    /// The message's id: a message has one such job, and its id is known before the row is
    /// written (the node that hands the job over in memory names it so).
    id: i64,
    app_id: &'a str,
    message_id: i64,
    attempts: i64,
    next_attempt_at: i64,
    failed: bool,
    last_error: &'a str,
}

/// Whether a message of this kind notifies offline receivers: not operations (read acks,
/// recalls, edits) nor app-level commands.
fn notifies(kind: ContentType) -> bool {
    !matches!(
        kind,
        ContentType::ReadAck
            | ContentType::Recall
            | ContentType::Append
            | ContentType::Replace
            | ContentType::Command
    )
}

impl<'a> NewMessage<'a> {
    fn new(app: &'a str, m: &'a Message) -> Self {
        let (target_kind, target_id) = match m.to {
            Target::User(u) => (1, u.0),
            Target::Group(g) => (2, g.0),
        };
        Self {
            id: m.id,
            app_id: app,
            from_id: m.from.0,
            target_kind,
            target_id,
            content_type: m.content_type.code(),
            content: &m.content,
            attachment: &m.attachment,
            config: &m.config,
            ext: &m.ext,
            related_id: m.related,
            is_system: m.system,
            recalled: m.recalled,
            created_at: m.created_at.0,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhook_outbox)]
struct NewWebhookJob<'a> {
    message_id: i64,
    app_id: &'a str,
    content: &'a str,
    attachment: &'a str,
    config: &'a str,
    ext: &'a str,
    attempts: i64,
    next_attempt_at: i64,
    failed: bool,
    last_error: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = user_positions)]
struct PositionIncrement<'a> {
    user_id: i64,
    app_id: &'a str,
    /// How many positions the batch takes: the new row's value, or the increment.
    last_position: i64,
}

#[derive(Insertable)]
#[diesel(table_name = inbox)]
struct NewCopy<'a> {
    app_id: &'a str,
    user_id: i64,
    position: i64,
    message_id: i64,
    conversation_id: i64,
    counts: bool,
}

#[derive(Insertable)]
#[diesel(table_name = conversation_reads)]
struct NewReadPosition<'a> {
    app_id: &'a str,
    user_id: i64,
    conversation_id: i64,
    read_position: i64,
}

/// Every send's dedup claim, in batch order: `Some(ids)` for a repeat (which stores
/// nothing and answers the first send's ids).
type Claims = Vec<Option<Vec<i64>>>;

/// Inserts `$rows` with `$insert` (a statement of the rows `$r` it takes). PostgreSQL takes
/// many rows per statement (`batched`), each statement being a round trip; SQLite's
/// statements run in the process, on the connection's blocking thread (`blocking`), one row
/// each.
macro_rules! insert_rows {
    (batched, $c:ident, $rows:expr, $columns:expr, |$r:ident| $insert:expr) => {
        for $r in $rows.chunks(rows_per_statement($columns)) {
            $insert.execute($c).await?;
        }
    };
    (blocking, $c:ident, $rows:expr, $columns:expr, |$r:ident| $insert:expr) => {
        for $r in $rows.iter() {
            $insert.execute($c)?;
        }
    };
}

/// Like [`insert_rows`], for a statement with `RETURNING`: every returned row.
macro_rules! load_rows {
    (batched, $c:ident, $rows:expr, $columns:expr, |$r:ident| $insert:expr) => {{
        let mut all = Vec::new();
        for $r in $rows.chunks(rows_per_statement($columns)) {
            all.append(&mut $insert.get_results($c).await?);
        }
        all
    }};
    (blocking, $c:ident, $rows:expr, $columns:expr, |$r:ident| $insert:expr) => {{
        let mut all = Vec::new();
        for $r in $rows.iter() {
            all.push($insert.get_result($c)?);
        }
        all
    }};
}

/// The batch's transaction on `$conn`, inserting in `$mode` (`batched` or `blocking`):
/// every send's dedup claim and, for each send stored, the deliveries of its messages.
/// Written once for an async connection (`[async]` closure, `[.await]` after each
/// statement) and a blocking one (`[]`, `[]`), where it runs without awaiting.
macro_rules! append_transaction {
    ($conn:expr, $mode:ident, $batch:ident, $handoff:expr, [$($closure:tt)*], [$($wait:tt)*]) => {
        $conn
            .transaction($($closure)* |c| {
                // Claim each transaction id first, in batch order: a concurrent send with
                // the same id waits on this row (PostgreSQL) or on the write lock
                // (SQLite), then finds it; a repeat within this batch finds the first.
                let mut claims: Claims = Vec::with_capacity($batch.len());
                for append in $batch {
                    let Some((transaction, since)) = append.dedup else {
                        claims.push(None);
                        continue;
                    };
                    let app = append.app.as_str();
                    let first = <[_]>::first(&append.sends).map(|(m, _): &(Message, _)| m);
                    let sender = first.map_or(0, |m| m.from.0);
                    let now = first.map_or(0, |m| m.created_at.0);
                    let joined = append
                        .sends
                        .iter()
                        .map(|(m, _)| m.id.to_string())
                        .collect::<Vec<_>>()
                        .join(",");
                    let key = in_app::message_dedup(app)
                        .filter(message_dedup::sender_id.eq(sender))
                        .filter(message_dedup::transaction_id.eq(transaction));
                    let claimed = diesel::insert_into(message_dedup::table)
                        .values((
                            message_dedup::app_id.eq(app),
                            message_dedup::sender_id.eq(sender),
                            message_dedup::transaction_id.eq(transaction),
                            message_dedup::message_ids.eq(&joined),
                            message_dedup::created_at.eq(now),
                        ))
                        .on_conflict((
                            message_dedup::app_id,
                            message_dedup::sender_id,
                            message_dedup::transaction_id,
                        ))
                        .do_nothing()
                        .execute(c)
                        $($wait)*?;
                    // An existing claim older than the window is taken over.
                    let taken_over = claimed == 0
                        && diesel::update(key.filter(message_dedup::created_at.lt(since.0)))
                            .set((
                                message_dedup::message_ids.eq(&joined),
                                message_dedup::created_at.eq(now),
                            ))
                            .execute(c)
                            $($wait)*?
                            == 1;
                    if claimed == 0 && !taken_over {
                        let earlier: String =
                            key.select(message_dedup::message_ids).first(c)$($wait)*?;
                        claims.push(Some(
                            earlier
                                .split(',')
                                .filter_map(|id| id.parse().ok())
                                .collect(),
                        ));
                    } else {
                        claims.push(None);
                    }
                }
                let stored: Vec<&Append> = $batch
                    .iter()
                    .zip(&claims)
                    .filter(|(_, claim)| claim.is_none())
                    .map(|(append, _)| append)
                    .collect();
                let sent: Vec<(&str, &Message)> = stored
                    .iter()
                    .flat_map(|a| a.sends.iter().map(|(m, _)| (a.app.as_str(), m)))
                    .collect();
                if sent.is_empty() {
                    return Ok::<_, diesel::result::Error>((claims, Vec::new(), None));
                }

                let rows: Vec<NewMessage<'_>> = sent
                    .iter()
                    .map(|(app, m)| NewMessage::new(app, m))
                    .collect();
                insert_rows!($mode, c, rows, 14, |r| diesel::insert_into(messages::table)
                    .values(r));

                // Queued for the app's webhook, if it has one, in this transaction: a stored
                // message is never missed by the webhook. Read receipts are not sent.
                let apps: Vec<&str> = stored
                    .iter()
                    .map(|a| a.app.as_str())
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                // Which of the batch's apps have a webhook (`true`) or push credentials
                // (`false`): one statement for both outboxes.
                let outboxes: Vec<(String, bool)> = message_callbacks::table
                    .filter(message_callbacks::app_id.eq_any(&apps))
                    .select((message_callbacks::app_id, diesel::dsl::sql::<Bool>("TRUE")))
                    .union_all(
                        push_credentials::table
                            .filter(push_credentials::app_id.eq_any(&apps))
                            .select((push_credentials::app_id, diesel::dsl::sql::<Bool>("FALSE"))),
                    )
                    .load(c)
                    $($wait)*?;
                let hooked: HashSet<&str> = outboxes
                    .iter()
                    .filter(|(_, hook)| *hook)
                    .map(|(app, _)| app.as_str())
                    .collect();
                let pushing: HashSet<&str> = outboxes
                    .iter()
                    .filter(|(_, hook)| !*hook)
                    .map(|(app, _)| app.as_str())
                    .collect();
                let jobs: Vec<NewWebhookJob<'_>> = sent
                    .iter()
                    .filter(|(app, m)| {
                        hooked.contains(*app) && m.content_type != ContentType::ReadAck
                    })
                    .map(|(app, m)| NewWebhookJob {
                        message_id: m.id,
                        app_id: app,
                        content: &m.content,
                        attachment: &m.attachment,
                        config: &m.config,
                        ext: &m.ext,
                        attempts: 0,
                        next_attempt_at: m.created_at.0,
                        failed: false,
                        last_error: "",
                    })
                    .collect();
                insert_rows!($mode, c, jobs, 10, |r| diesel::insert_into(
                    webhook_outbox::table
                )
                .values(r));

                // Queued for notifications to offline devices, in this transaction, for
                // apps with vendor credentials: messages, not operations or commands. With
                // room in this node's hand-off, they are leased to this node and handed over
                // once stored (no runner has to find them); else due at once.
                let notified: Vec<(&AppId, &Message)> = stored
                    .iter()
                    .flat_map(|a| a.sends.iter().map(|(m, _)| (&a.app, m)))
                    .filter(|(app, m)| pushing.contains(app.as_str()) && notifies(m.content_type))
                    .collect();
                let reserved = $handoff.and_then(|h| h.reserve(notified.len()));
                let lease = reserved.as_ref().map_or(0, |r| r.lease_ms());
                let pushes: Vec<NewMessagePush<'_>> = notified
                    .iter()
                    .map(|(app, m)| NewMessagePush {
                        id: m.id,
                        app_id: app.as_str(),
                        message_id: m.id,
                        attempts: 0,
                        next_attempt_at: m.created_at.0.saturating_add(lease),
                        failed: false,
                        last_error: "",
                    })
                    .collect();
                insert_rows!($mode, c, pushes, 7, |r| diesel::insert_into(
                    message_pushes::table
                )
                .values(r));
                let handed = reserved.map(|r| {
                    let jobs = notified
                        .iter()
                        .map(|(app, m)| Handed {
                            until: Timestamp(m.created_at.0.saturating_add(lease)),
                            job: Leased {
                                id: m.id,
                                attempts: 0,
                                job: MessagePush {
                                    app: (*app).clone(),
                                    message: m.id,
                                },
                            },
                        })
                        .collect::<Vec<_>>();
                    (r, jobs)
                });

                // Each recipient's positions: one upsert per user takes as many as the
                // batch delivers to that user, under that user's row lock. Rows go in user
                // id order, the order every transaction locks them in, so concurrent
                // batches never deadlock; positions commit in order, so a reader resuming
                // after a position never skips one.
                let mut takes: BTreeMap<i64, (&str, i64)> = BTreeMap::new();
                for append in &stored {
                    for (_, recipients) in &append.sends {
                        for r in recipients {
                            takes.entry(r.user.0).or_insert((append.app.as_str(), 0)).1 += 1;
                        }
                    }
                }
                let increments: Vec<PositionIncrement<'_>> = takes
                    .iter()
                    .map(|(&user_id, &(app_id, n))| PositionIncrement {
                        user_id,
                        app_id,
                        last_position: n,
                    })
                    .collect();
                // Per user, the next position to hand out.
                let mut next: BTreeMap<i64, i64> = BTreeMap::new();
                let taken: Vec<(i64, i64)> =
                    load_rows!($mode, c, increments, 3, |r| diesel::insert_into(
                        user_positions::table
                    )
                    .values(r)
                    .on_conflict(user_positions::user_id)
                    .do_update()
                    .set(
                        user_positions::last_position
                            .eq(user_positions::last_position
                                + excluded(user_positions::last_position)),
                    )
                    .returning((user_positions::user_id, user_positions::last_position)));
                for (user, last) in taken {
                    let n = takes.get(&user).map_or(0, |t| t.1);
                    next.insert(user, last - n + 1);
                }

                let mut deliveries: Vec<Vec<Delivery>> = Vec::with_capacity(stored.len());
                let mut copies: Vec<NewCopy<'_>> = Vec::new();
                let mut reads: BTreeMap<(i64, i64), (&str, i64)> = BTreeMap::new();
                for append in &stored {
                    let app = append.app.as_str();
                    let mut mine = Vec::new();
                    for (m, recipients) in &append.sends {
                        let operation = m.content_type.is_operation();
                        for r in recipients {
                            let Some(slot) = next.get_mut(&r.user.0) else {
                                return Err(diesel::result::Error::NotFound);
                            };
                            let position = *slot;
                            *slot += 1;
                            copies.push(NewCopy {
                                app_id: app,
                                user_id: r.user.0,
                                position,
                                message_id: m.id,
                                conversation_id: r.conversation,
                                counts: !r.is_sender && !operation,
                            });
                            // The sender's own copy of content (not of an operation such as
                            // a recall) marks the conversation read up to it: replying
                            // implies having read.
                            if r.is_sender && !operation {
                                reads.insert((r.user.0, r.conversation), (app, position));
                            }
                            mine.push(Delivery {
                                user: r.user,
                                position,
                                message: m.id,
                                conversation: r.conversation,
                            });
                        }
                    }
                    deliveries.push(mine);
                }
                insert_rows!($mode, c, copies, 6, |r| diesel::insert_into(inbox::table)
                    .values(r));
                let reads: Vec<NewReadPosition<'_>> = reads
                    .into_iter()
                    .map(
                        |((user_id, conversation_id), (app_id, read_position))| NewReadPosition {
                            app_id,
                            user_id,
                            conversation_id,
                            read_position,
                        },
                    )
                    .collect();
                insert_rows!($mode, c, reads, 4, |r| diesel::insert_into(
                    conversation_reads::table
                )
                .values(r)
                .on_conflict((
                    conversation_reads::user_id,
                    conversation_reads::conversation_id,
                ))
                .do_update()
                .set(
                    conversation_reads::read_position
                        .eq(excluded(conversation_reads::read_position))
                ));
                Ok((claims, deliveries, handed))
            })
            $($wait)*
    };
}

impl Store {
    /// [`tidings_messaging::ports::MessageStore::append_batch`].
    pub(crate) async fn store_batch(&self, batch: &[Append]) -> Result<Vec<Appended>, RepoError> {
        let (claims, deliveries) = match &self.pools {
            Pools::Pg(pool) => {
                let handoff = self.message_push_handoff.as_deref();
                let mut conn = pool.get().await.map_err(pool_error)?;
                let (claims, deliveries, handed) = append_transaction!(
                    &mut *conn,
                    batched,
                    batch,
                    handoff,
                    [async],
                    [.await]
                )
                .map_err(err)?;
                // Committed: the notifications leased to this node are handed over.
                if let Some((reserved, jobs)) = handed {
                    reserved.hand(jobs);
                }
                (claims, deliveries)
            }
            Pools::Sqlite(pool) => {
                let _turn = self.write_turn().await;
                let mut conn = pool.get().await.map_err(pool_error)?;
                let (batch, handoff) = (batch.to_vec(), self.message_push_handoff.clone());
                conn.spawn_blocking(move |conn| blocking::append(conn, &batch, handoff.as_deref()))
                    .await
                    .map_err(err)?
            }
        };
        let mut deliveries = deliveries.into_iter();
        Ok(claims
            .into_iter()
            .map(|claim| match claim {
                Some(ids) => Appended::Duplicate(ids),
                None => Appended::Stored(deliveries.next().unwrap_or_default()),
            })
            .collect())
    }
}

/// SQLite's batch transaction, run in one call on the connection's blocking thread: every
/// statement of a batch without a trip between threads (each costs two wake-ups, and the
/// single writer waits through all of them).
mod blocking {
    use diesel::{Connection as _, RunQueryDsl, SqliteConnection};

    use super::*;

    pub(super) fn append(
        conn: &mut SqliteConnection,
        batch: &[Append],
        handoff: Option<&HandOff<MessagePush>>,
    ) -> diesel::QueryResult<(Claims, Vec<Vec<Delivery>>)> {
        let (claims, deliveries, handed) =
            append_transaction!(conn, blocking, batch, handoff, [], [])?;
        // Committed: the notifications leased to this node are handed over.
        if let Some((reserved, jobs)) = handed {
            reserved.hand(jobs);
        }
        Ok((claims, deliveries))
    }
}
