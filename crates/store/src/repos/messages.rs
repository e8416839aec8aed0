//! The messaging ports: messages, inboxes with gapless positions, read positions, dedup, and
//! the audience of a send.

use async_trait::async_trait;
use diesel::IntoSql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};
use tidings_messaging::RepoError;
use tidings_messaging::model::{ContentType, Delivery, Message, Recipient, Target};
use tidings_messaging::ports::{Appended, Audience, DedupKey, GroupAudience, MessageStore};

use crate::Store;
use crate::db::with_conn;
use crate::error::messaging_error as err;
use crate::schema::{
    chat_groups, conversation_reads, group_members, inbox, message_callbacks, message_dedup,
    messages, roster_blocks, user_positions, users, webhook_outbox,
};

diesel::define_sql_function! {
    /// SQL `COALESCE` of a nullable and a plain BIGINT (both backends have it).
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::BigInt>, y: diesel::sql_types::BigInt) -> diesel::sql_types::BigInt;
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
pub(crate) struct MessageRow {
    id: i64,
    pub(crate) app_id: String,
    from_id: i64,
    target_kind: i64,
    target_id: i64,
    content_type: i64,
    content: String,
    attachment: String,
    config: String,
    ext: String,
    related_id: i64,
    is_system: bool,
    recalled: bool,
    created_at: i64,
}

impl MessageRow {
    fn new(app: &str, m: &Message) -> Self {
        let (target_kind, target_id) = match m.to {
            Target::User(u) => (1, u.0),
            Target::Group(g) => (2, g.0),
        };
        Self {
            id: m.id,
            app_id: app.to_owned(),
            from_id: m.from.0,
            target_kind,
            target_id,
            content_type: m.content_type.code(),
            content: m.content.clone(),
            attachment: m.attachment.clone(),
            config: m.config.clone(),
            ext: m.ext.clone(),
            related_id: m.related,
            is_system: m.system,
            recalled: m.recalled,
            created_at: m.created_at.0,
        }
    }
}

impl TryFrom<MessageRow> for Message {
    type Error = RepoError;

    fn try_from(r: MessageRow) -> Result<Self, RepoError> {
        let corrupt = |what: String| RepoError(anyhow::anyhow!("stored data is invalid: {what}"));
        Ok(Message {
            id: r.id,
            from: UserId(r.from_id),
            to: match r.target_kind {
                1 => Target::User(UserId(r.target_id)),
                2 => Target::Group(GroupId(r.target_id)),
                other => return Err(corrupt(format!("target kind {other}"))),
            },
            content_type: ContentType::from_code(r.content_type)
                .map_err(|e| corrupt(e.to_string()))?,
            content: r.content,
            attachment: r.attachment,
            config: r.config,
            ext: r.ext,
            related: r.related_id,
            system: r.is_system,
            recalled: r.recalled,
            created_at: Timestamp(r.created_at),
        })
    }
}

/// What the append transaction ends with besides success.
enum AppendEnd {
    Db(diesel::result::Error),
    Duplicate(Vec<i64>),
}

impl From<diesel::result::Error> for AppendEnd {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e)
    }
}

#[async_trait]
impl MessageStore for Store {
    async fn append(
        &self,
        app: &AppId,
        sends: &[(Message, Vec<Recipient>)],
        dedup: Option<DedupKey>,
    ) -> Result<Appended, RepoError> {
        let app = app.as_str();
        let rows: Vec<MessageRow> = sends.iter().map(|(m, _)| MessageRow::new(app, m)).collect();
        // Every (recipient, message) pair, in user id order: positions are locked in that
        // order by every transaction, so concurrent sends never deadlock.
        let mut pairs: Vec<(Recipient, i64, bool)> = sends
            .iter()
            .flat_map(|(m, recipients)| {
                let operation = m.content_type.is_operation();
                recipients.iter().map(move |r| (*r, m.id, operation))
            })
            .collect();
        pairs.sort_by_key(|(r, id, _)| (r.user, *id));
        let sender = <[_]>::first(sends).map_or(0, |(m, _)| m.from.0);
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let now = <[MessageRow]>::first(&rows).map_or(0, |r| r.created_at);
        let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let outcome = with_conn!(self, |conn| {
            conn.transaction(async |c| {
                // Claim the transaction id first: a concurrent send with the same id waits
                // on this row (PostgreSQL) or on the write lock (SQLite), then finds it.
                if let Some((transaction, since)) = dedup {
                    let key = message_dedup::table
                        .filter(message_dedup::app_id.eq(app))
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
                        .await?;
                    // An existing claim older than the window is taken over.
                    let taken_over = claimed == 0
                        && diesel::update(key.filter(message_dedup::created_at.lt(since.0)))
                            .set((
                                message_dedup::message_ids.eq(&joined),
                                message_dedup::created_at.eq(now),
                            ))
                            .execute(c)
                            .await?
                            == 1;
                    if claimed == 0 && !taken_over {
                        let earlier: String =
                            key.select(message_dedup::message_ids).first(c).await?;
                        let parsed = earlier
                            .split(',')
                            .filter_map(|id| id.parse().ok())
                            .collect();
                        return Err(AppendEnd::Duplicate(parsed));
                    }
                }
                for row in &rows {
                    diesel::insert_into(messages::table)
                        .values(row)
                        .execute(c)
                        .await?;
                    // Queued for the app's webhook, if it has one, in this transaction: a
                    // stored message is never missed by the webhook. Read receipts are not
                    // sent.
                    if row.content_type != ContentType::ReadAck.code() {
                        diesel::insert_into(webhook_outbox::table)
                            .values(
                                message_callbacks::table
                                    .filter(message_callbacks::app_id.eq(app))
                                    .select((
                                        row.id.into_sql::<BigInt>(),
                                        message_callbacks::app_id,
                                        row.content.as_str().into_sql::<Text>(),
                                        row.attachment.as_str().into_sql::<Text>(),
                                        row.config.as_str().into_sql::<Text>(),
                                        row.ext.as_str().into_sql::<Text>(),
                                        0_i64.into_sql::<BigInt>(),
                                        now.into_sql::<BigInt>(),
                                        false.into_sql::<Bool>(),
                                        "".into_sql::<Text>(),
                                    )),
                            )
                            .into_columns((
                                webhook_outbox::message_id,
                                webhook_outbox::app_id,
                                webhook_outbox::content,
                                webhook_outbox::attachment,
                                webhook_outbox::config,
                                webhook_outbox::ext,
                                webhook_outbox::attempts,
                                webhook_outbox::next_attempt_at,
                                webhook_outbox::failed,
                                webhook_outbox::last_error,
                            ))
                            .execute(c)
                            .await?;
                    }
                }
                let mut deliveries = Vec::with_capacity(pairs.len());
                for (recipient, message_id, operation) in &pairs {
                    let position: i64 = diesel::insert_into(user_positions::table)
                        .values((
                            user_positions::user_id.eq(recipient.user.0),
                            user_positions::app_id.eq(app),
                            user_positions::last_position.eq(1_i64),
                        ))
                        .on_conflict(user_positions::user_id)
                        .do_update()
                        .set(user_positions::last_position.eq(user_positions::last_position + 1))
                        .returning(user_positions::last_position)
                        .get_result(c)
                        .await?;
                    diesel::insert_into(inbox::table)
                        .values((
                            inbox::app_id.eq(app),
                            inbox::user_id.eq(recipient.user.0),
                            inbox::position.eq(position),
                            inbox::message_id.eq(message_id),
                            inbox::conversation_id.eq(recipient.conversation),
                            inbox::counts.eq(!recipient.is_sender && !operation),
                        ))
                        .execute(c)
                        .await?;
                    // The sender's own copy of content (not of an operation such as a recall)
                    // marks the conversation read up to it: replying implies having read.
                    if recipient.is_sender && !operation {
                        diesel::insert_into(conversation_reads::table)
                            .values((
                                conversation_reads::app_id.eq(app),
                                conversation_reads::user_id.eq(recipient.user.0),
                                conversation_reads::conversation_id.eq(recipient.conversation),
                                conversation_reads::read_position.eq(position),
                            ))
                            .on_conflict((
                                conversation_reads::user_id,
                                conversation_reads::conversation_id,
                            ))
                            .do_update()
                            .set(conversation_reads::read_position.eq(position))
                            .execute(c)
                            .await?;
                    }
                    deliveries.push(Delivery {
                        user: recipient.user,
                        position,
                        message: *message_id,
                        conversation: recipient.conversation,
                    });
                }
                Ok::<_, AppendEnd>(deliveries)
            })
            .await
        });
        match outcome {
            Ok(deliveries) => Ok(Appended::Stored(deliveries)),
            Err(AppendEnd::Duplicate(ids)) => Ok(Appended::Duplicate(ids)),
            Err(AppendEnd::Db(e)) => Err(err(e)),
        }
    }

    async fn message(&self, app: &AppId, id: i64) -> Result<Option<Message>, RepoError> {
        let row: Option<MessageRow> = with_conn!(self, |conn| {
            messages::table
                .filter(messages::app_id.eq(app.as_str()))
                .filter(messages::id.eq(id))
                .select(MessageRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        row.map(Message::try_from).transpose()
    }

    async fn last_position(&self, app: &AppId, user: UserId) -> Result<i64, RepoError> {
        let position: Option<i64> = with_conn!(self, |conn| {
            user_positions::table
                .filter(user_positions::app_id.eq(app.as_str()))
                .filter(user_positions::user_id.eq(user.0))
                .select(user_positions::last_position)
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(position.unwrap_or(0))
    }

    async fn history(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(Message, i64)>, RepoError> {
        let before = before.unwrap_or(i64::MAX);
        let rows: Vec<(MessageRow, i64)> = with_conn!(self, |conn| {
            inbox::table
                .inner_join(messages::table)
                .filter(inbox::app_id.eq(app.as_str()))
                .filter(inbox::user_id.eq(user.0))
                .filter(inbox::conversation_id.eq(conversation))
                .filter(inbox::message_id.lt(before))
                .order(inbox::message_id.desc())
                .limit(limit)
                .select((MessageRow::as_select(), inbox::position))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(m, p)| Ok((Message::try_from(m)?, p)))
            .collect()
    }

    async fn group_history(
        &self,
        app: &AppId,
        group: GroupId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>, RepoError> {
        let before = before.unwrap_or(i64::MAX);
        let rows: Vec<MessageRow> = with_conn!(self, |conn| {
            messages::table
                .filter(messages::app_id.eq(app.as_str()))
                .filter(messages::target_kind.eq(2))
                .filter(messages::target_id.eq(group.0))
                .filter(messages::id.lt(before))
                .order(messages::id.desc())
                .limit(limit)
                .select(MessageRow::as_select())
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter().map(Message::try_from).collect()
    }

    async fn since(
        &self,
        app: &AppId,
        user: UserId,
        position: i64,
        limit: i64,
    ) -> Result<Vec<(Message, i64, i64)>, RepoError> {
        let rows: Vec<(MessageRow, i64, i64)> = with_conn!(self, |conn| {
            inbox::table
                .inner_join(messages::table)
                .filter(inbox::app_id.eq(app.as_str()))
                .filter(inbox::user_id.eq(user.0))
                .filter(inbox::position.gt(position))
                .order(inbox::position)
                .limit(limit)
                .select((
                    MessageRow::as_select(),
                    inbox::position,
                    inbox::conversation_id,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(m, p, c)| Ok((Message::try_from(m)?, p, c)))
            .collect()
    }

    async fn read_position(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
    ) -> Result<i64, RepoError> {
        let read: Option<i64> = with_conn!(self, |conn| {
            conversation_reads::table
                .filter(conversation_reads::app_id.eq(app.as_str()))
                .filter(conversation_reads::user_id.eq(user.0))
                .filter(conversation_reads::conversation_id.eq(conversation))
                .select(conversation_reads::read_position)
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(read.unwrap_or(0))
    }

    async fn copy(
        &self,
        app: &AppId,
        user: UserId,
        message: i64,
    ) -> Result<Option<(i64, i64)>, RepoError> {
        with_conn!(self, |conn| {
            inbox::table
                .filter(inbox::app_id.eq(app.as_str()))
                .filter(inbox::user_id.eq(user.0))
                .filter(inbox::message_id.eq(message))
                .select((inbox::position, inbox::conversation_id))
                .first(conn)
                .await
                .optional()
                .map_err(err)
        })
    }

    async fn mark_read(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
        position: i64,
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                // Forward only: an older acknowledgement never moves the position back.
                let moved = diesel::update(
                    conversation_reads::table
                        .filter(conversation_reads::app_id.eq(app))
                        .filter(conversation_reads::user_id.eq(user.0))
                        .filter(conversation_reads::conversation_id.eq(conversation))
                        .filter(conversation_reads::read_position.lt(position)),
                )
                .set(conversation_reads::read_position.eq(position))
                .execute(c)
                .await?;
                if moved == 0 {
                    diesel::insert_into(conversation_reads::table)
                        .values((
                            conversation_reads::app_id.eq(app),
                            conversation_reads::user_id.eq(user.0),
                            conversation_reads::conversation_id.eq(conversation),
                            conversation_reads::read_position.eq(position),
                        ))
                        .on_conflict_do_nothing()
                        .execute(c)
                        .await?;
                }
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }

    async fn unread(&self, app: &AppId, user: UserId) -> Result<Vec<(i64, i64)>, RepoError> {
        with_conn!(self, |conn| {
            inbox::table
                .left_join(
                    conversation_reads::table.on(conversation_reads::user_id
                        .eq(inbox::user_id)
                        .and(conversation_reads::conversation_id.eq(inbox::conversation_id))),
                )
                .filter(inbox::app_id.eq(app.as_str()))
                .filter(inbox::user_id.eq(user.0))
                .filter(inbox::counts.eq(true))
                .filter(inbox::position.gt(coalesce(
                    conversation_reads::read_position.nullable(),
                    0_i64,
                )))
                .group_by(inbox::conversation_id)
                .select((inbox::conversation_id, diesel::dsl::count_star()))
                .order(inbox::conversation_id)
                .load(conn)
                .await
                .map_err(err)
        })
    }

    async fn delete_conversation(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::delete(
                    inbox::table
                        .filter(inbox::app_id.eq(app))
                        .filter(inbox::user_id.eq(user.0))
                        .filter(inbox::conversation_id.eq(conversation)),
                )
                .execute(c)
                .await?;
                diesel::delete(
                    conversation_reads::table
                        .filter(conversation_reads::app_id.eq(app))
                        .filter(conversation_reads::user_id.eq(user.0))
                        .filter(conversation_reads::conversation_id.eq(conversation)),
                )
                .execute(c)
                .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }

    async fn recall(&self, app: &AppId, id: i64) -> Result<bool, RepoError> {
        let changed = with_conn!(self, |conn| {
            diesel::update(
                messages::table
                    .filter(messages::app_id.eq(app.as_str()))
                    .filter(messages::id.eq(id))
                    .filter(messages::recalled.eq(false)),
            )
            .set((
                messages::recalled.eq(true),
                messages::content.eq(""),
                messages::attachment.eq(""),
                messages::config.eq(""),
                messages::ext.eq(""),
            ))
            .execute(conn)
            .await
            .map_err(err)?
        });
        Ok(changed > 0)
    }

    async fn edit(&self, app: &AppId, id: i64, content: &str) -> Result<bool, RepoError> {
        let changed = with_conn!(self, |conn| {
            diesel::update(
                messages::table
                    .filter(messages::app_id.eq(app.as_str()))
                    .filter(messages::id.eq(id))
                    .filter(messages::recalled.eq(false)),
            )
            .set(messages::content.eq(content))
            .execute(conn)
            .await
            .map_err(err)?
        });
        Ok(changed > 0)
    }
}

#[async_trait]
impl Audience for Store {
    async fn user(&self, app: &AppId, id: UserId) -> Result<Option<bool>, RepoError> {
        with_conn!(self, |conn| {
            users::table
                .filter(users::app_id.eq(app.as_str()))
                .filter(users::id.eq(id.0))
                .select(users::banned)
                .first(conn)
                .await
                .optional()
                .map_err(err)
        })
    }

    async fn blocked(&self, app: &AppId, owner: UserId, other: UserId) -> Result<bool, RepoError> {
        let count: i64 = with_conn!(self, |conn| {
            roster_blocks::table
                .filter(roster_blocks::app_id.eq(app.as_str()))
                .filter(roster_blocks::owner_id.eq(owner.0))
                .filter(roster_blocks::blocked_id.eq(other.0))
                .count()
                .get_result(conn)
                .await
                .map_err(err)?
        });
        Ok(count > 0)
    }

    async fn group(
        &self,
        app: &AppId,
        group: GroupId,
        sender: UserId,
    ) -> Result<Option<GroupAudience>, RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            let settings: Option<(i64, bool)> = chat_groups::table
                .filter(chat_groups::app_id.eq(app))
                .filter(chat_groups::id.eq(group.0))
                .filter(chat_groups::destroyed.eq(false))
                .select((chat_groups::ban_expire_time, chat_groups::history_visible))
                .first(conn)
                .await
                .optional()
                .map_err(err)?;
            let Some((ban_expire_time, history_visible)) = settings else {
                return Ok(None);
            };
            let members: Vec<i64> = group_members::table
                .filter(group_members::app_id.eq(app))
                .filter(group_members::group_id.eq(group.0))
                .order(group_members::user_id)
                .select(group_members::user_id)
                .load(conn)
                .await
                .map_err(err)?;
            let sender_row: Option<(i64, i64)> = group_members::table
                .filter(group_members::app_id.eq(app))
                .filter(group_members::group_id.eq(group.0))
                .filter(group_members::user_id.eq(sender.0))
                .select((group_members::role, group_members::muted_until))
                .first(conn)
                .await
                .optional()
                .map_err(err)?;
            Ok(Some(GroupAudience {
                members: members.into_iter().map(UserId).collect(),
                sender: sender_row,
                ban_expire_time,
                history_visible,
            }))
        })
    }
}
