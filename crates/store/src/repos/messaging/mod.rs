//! The messaging ports: messages, inboxes with gapless positions, read positions, dedup, and
//! the audience of a send.

mod append;
mod webhooks;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};
use tidings_messaging::RepoError;
use tidings_messaging::model::{ContentType, Message, Recipient, Target};
use tidings_messaging::ports::{
    Append, Appended, Audience, DedupKey, DirectAudience, DirectQuery, GroupAudience, MessageStore,
};

use crate::Store;
use crate::db::with_conn;
use crate::error::messaging_error as err;
use crate::in_app;
use crate::schema::{
    chat_groups, conversation_reads, group_members, inbox, messages, roster_blocks, user_positions,
    users,
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

#[async_trait]
impl MessageStore for Store {
    async fn append(
        &self,
        app: &AppId,
        sends: &[(Message, Vec<Recipient>)],
        dedup: Option<DedupKey>,
    ) -> Result<Appended, RepoError> {
        let append = Append {
            app: app.clone(),
            sends: sends.to_vec(),
            dedup,
        };
        self.store_batch(std::slice::from_ref(&append))
            .await?
            .pop()
            .ok_or_else(|| RepoError(anyhow::anyhow!("the batch answered no outcome")))
    }

    async fn append_batch(&self, batch: &[Append]) -> Result<Vec<Appended>, RepoError> {
        self.store_batch(batch).await
    }

    async fn message(&self, app: &AppId, id: i64) -> Result<Option<Message>, RepoError> {
        let row: Option<MessageRow> = with_conn!(self, |conn| {
            in_app::messages(app.as_str())
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
            in_app::user_positions(app.as_str())
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
            in_app::messages(app.as_str())
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
            in_app::conversation_reads(app.as_str())
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
            in_app::inbox(app.as_str())
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
                    in_app::conversation_reads(app)
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
                    in_app::inbox(app)
                        .filter(inbox::user_id.eq(user.0))
                        .filter(inbox::conversation_id.eq(conversation)),
                )
                .execute(c)
                .await?;
                diesel::delete(
                    in_app::conversation_reads(app)
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
                in_app::messages(app.as_str())
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
                in_app::messages(app.as_str())
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
            in_app::users(app.as_str())
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
            in_app::roster_blocks(app.as_str())
                .filter(roster_blocks::owner_id.eq(owner.0))
                .filter(roster_blocks::blocked_id.eq(other.0))
                .count()
                .get_result(conn)
                .await
                .map_err(err)?
        });
        Ok(count > 0)
    }

    async fn direct(
        &self,
        app: &AppId,
        sender: UserId,
        targets: &[UserId],
    ) -> Result<DirectAudience, RepoError> {
        let query = DirectQuery {
            app: app.clone(),
            sender,
            targets: targets.to_vec(),
        };
        self.direct_batch(std::slice::from_ref(&query))
            .await?
            .pop()
            .ok_or_else(|| RepoError(anyhow::anyhow!("the lookup answered nothing")))
    }

    async fn direct_batch(
        &self,
        queries: &[DirectQuery],
    ) -> Result<Vec<DirectAudience>, RepoError> {
        let unique = |ids: &mut Vec<i64>| {
            ids.sort_unstable();
            ids.dedup();
        };
        let mut apps: Vec<&str> = queries.iter().map(|q| q.app.as_str()).collect();
        apps.sort_unstable();
        apps.dedup();
        let mut senders: Vec<i64> = queries.iter().map(|q| q.sender.0).collect();
        unique(&mut senders);
        let mut ids: Vec<i64> = queries
            .iter()
            .flat_map(|q| q.targets.iter().map(|t| t.0))
            .chain(senders.iter().copied())
            .collect();
        unique(&mut ids);
        // Every user named, with each sender of the batch it blocked: one query.
        let rows: Vec<(String, i64, bool, Option<i64>)> = with_conn!(self, |conn| {
            users::table
                .left_join(
                    roster_blocks::table.on(roster_blocks::owner_id
                        .eq(users::id)
                        .and(roster_blocks::blocked_id.eq_any(&senders))
                        .and(roster_blocks::app_id.eq(users::app_id))),
                )
                .filter(users::app_id.eq_any(&apps))
                .filter(users::id.eq_any(&ids))
                .select((
                    users::app_id,
                    users::id,
                    users::banned,
                    roster_blocks::blocked_id.nullable(),
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        let mut banned: HashMap<(&str, i64), bool> = HashMap::new();
        let mut blocks: HashSet<(&str, i64, i64)> = HashSet::new();
        for (app, id, is_banned, blocked) in &rows {
            banned.insert((app.as_str(), *id), *is_banned);
            if let Some(blocked) = blocked {
                blocks.insert((app.as_str(), *id, *blocked));
            }
        }
        Ok(queries
            .iter()
            .map(|q| {
                let app = q.app.as_str();
                DirectAudience {
                    sender: banned.get(&(app, q.sender.0)).copied(),
                    targets: q
                        .targets
                        .iter()
                        .filter(|t| banned.contains_key(&(app, t.0)))
                        .map(|&t| (t, blocks.contains(&(app, t.0, q.sender.0))))
                        .collect(),
                }
            })
            .collect())
    }

    async fn group(
        &self,
        app: &AppId,
        group: GroupId,
        sender: UserId,
    ) -> Result<Option<GroupAudience>, RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            let settings: Option<(i64, bool)> = in_app::chat_groups(app)
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
            let members: Vec<i64> = in_app::group_members(app)
                .filter(group_members::group_id.eq(group.0))
                .order(group_members::user_id)
                .select(group_members::user_id)
                .load(conn)
                .await
                .map_err(err)?;
            let sender_row: Option<(i64, i64)> = in_app::group_members(app)
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
