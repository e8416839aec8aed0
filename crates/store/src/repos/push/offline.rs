//! Stored messages as their offline receivers' notifications need them (`OfflineAudience`),
//! read a wave at a time: the messages, their senders, their groups and the receivers'
//! settings, devices and unread counts in a fixed number of statements per wave, however
//! many messages it holds (four rounds, the independent reads of each side by side); and
//! the queue of messages to notify (`message_pushes`).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::jobs::{JobQueue, Leased};
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};
use tidings_push::model::VendorAddress;
use tidings_push::offline::{Content, MessagePush, OfflineMessage, OfflineReceiver};
use tidings_push::ports::OfflineAudience;
use tidings_push::{RepoError, VendorRetry};

use super::{FIRST_RETRY_MS, corrupt};
use crate::Store;
use crate::db::with_conn;
use crate::error::push_error as err;
use crate::in_app;
use crate::schema::{
    chat_groups, conversation_reads, devices, group_members, inbox, message_pushes, messages,
    push_retries, roster_entries, users,
};

/// The ids bound per statement.
const CHUNK: usize = 500;

/// A user's push settings: no_push, no_push_detail, the quiet hours, the silence hours,
/// no_sounds.
type SettingsRow = (i64, bool, bool, i64, i64, i64, i64, bool);

/// A message as stored: id, sender, target kind and id, content type, text, config.
type MessageRow = (i64, i64, i64, i64, i64, String, String);

/// A group member: group, user, role, msg_mute_mode, msg_push_mode.
type MemberRow = (i64, i64, i64, i64, i64);

#[async_trait]
impl JobQueue<MessagePush> for Store {
    type Error = RepoError;

    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Leased<MessagePush>>, RepoError> {
        let ids = self
            .lease_ids(&crate::jobs::MESSAGE_PUSHES, now, lease_until, limit)
            .await
            .map_err(RepoError)?;
        let rows: Vec<(i64, i64, String, i64)> = with_conn!(self, |conn| {
            message_pushes::table
                .filter(message_pushes::id.eq_any(&ids))
                .select((
                    message_pushes::id,
                    message_pushes::attempts,
                    message_pushes::app_id,
                    message_pushes::message_id,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(id, attempts, app, message)| {
                let app = AppId::parse(&app).map_err(|_| corrupt("message push app id"))?;
                Ok(Leased {
                    id,
                    attempts,
                    job: MessagePush { app, message },
                })
            })
            .collect()
    }

    async fn done(&self, ids: &[i64]) -> Result<(), RepoError> {
        self.jobs_done(&crate::jobs::MESSAGE_PUSHES, ids)
            .await
            .map_err(RepoError)
    }

    async fn failed(
        &self,
        id: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError> {
        self.job_failed(&crate::jobs::MESSAGE_PUSHES, id, attempts, next_at, error)
            .await
            .map_err(RepoError)
    }
}

#[async_trait]
impl OfflineAudience for Store {
    async fn offline_messages(
        &self,
        app: &AppId,
        ids: &[i64],
    ) -> Result<Vec<OfflineMessage>, RepoError> {
        let app = app.as_str();
        let mut rows: Vec<MessageRow> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let loaded: Vec<MessageRow> = with_conn!(self, |conn| {
                in_app::messages(app)
                    .filter(messages::id.eq_any(chunk))
                    .select((
                        messages::id,
                        messages::from_id,
                        messages::target_kind,
                        messages::target_id,
                        messages::content_type,
                        messages::content,
                        messages::config,
                    ))
                    .load(conn)
                    .await
                    .map_err(err)?
            });
            rows.extend(loaded);
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let senders: Vec<i64> = distinct(rows.iter().map(|r| r.1));
        let groups: Vec<i64> = distinct(rows.iter().filter(|r| r.2 == 2).map(|r| r.3));
        // Independent reads run side by side, each on its own pooled connection.
        let (names, (members, group_names)) =
            tokio::try_join!(self.names(app, &senders), self.groups(app, &groups))?;
        // Everyone who got one of the messages, but its sender: the peers and the members.
        let mut members_of: HashMap<i64, Vec<&MemberRow>> = HashMap::new();
        for m in &members {
            members_of.entry(m.0).or_default().push(m);
        }
        let candidates: Vec<i64> = distinct(rows.iter().flat_map(|r| {
            let (from, group) = (r.1, (r.2 == 2).then_some(r.3));
            match group {
                None => vec![r.3],
                Some(g) => members_of
                    .get(&g)
                    .map(|ms| ms.iter().map(|m| m.1).filter(|u| *u != from).collect())
                    .unwrap_or_default(),
            }
        }));
        // Only receivers with a vendor device can be notified: the rest is not read further.
        let devices = self.vendor_devices(app, &candidates).await?;
        let reachable: Vec<i64> = devices.keys().copied().collect();
        let peers: Vec<i64> = distinct(
            rows.iter()
                .filter(|r| r.2 != 2 && devices.contains_key(&r.3))
                .map(|r| r.3),
        );
        let (settings, unread, muted) = tokio::try_join!(
            self.settings(app, &reachable),
            self.unread(app, &reachable),
            self.muted(app, &peers, &senders),
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, from, target_kind, target_id, kind, text, config) in rows {
            let group = (target_kind == 2).then_some(target_id);
            let receiver = |user: i64, modes: (i64, i64)| {
                let s = settings.get(&user)?;
                Some(OfflineReceiver {
                    user: UserId(user),
                    no_push: s.1,
                    no_push_detail: s.2,
                    quiet_hours: (s.3, s.4),
                    silent_hours: (s.5, s.6),
                    no_sounds: s.7,
                    group_mute_mode: modes.0,
                    group_push_mode: modes.1,
                    friend_muted: group.is_none() && muted.contains(&(user, from)),
                    unread: unread.get(&user).copied().unwrap_or(0),
                    devices: devices.get(&user).cloned().unwrap_or_default(),
                })
            };
            let (receivers, group_info, from_group_admin) = match group {
                None => (
                    receiver(target_id, (0, 0)).into_iter().collect(),
                    None,
                    false,
                ),
                Some(g) => {
                    let ms = members_of.get(&g).map(Vec::as_slice).unwrap_or_default();
                    let admin = ms.iter().any(|m| m.1 == from && m.2 >= 1);
                    let receivers = ms
                        .iter()
                        .filter(|m| m.1 != from)
                        .filter_map(|m| receiver(m.1, (m.3, m.4)))
                        .collect();
                    let name = group_names.get(&g).cloned().unwrap_or_default();
                    (receivers, Some((g, name)), admin)
                }
            };
            let (mention_all, mentioned) = mentions(&config);
            out.push(OfflineMessage {
                id,
                from: UserId(from),
                from_name: names.get(&from).cloned().unwrap_or_default(),
                group: group_info,
                from_group_admin,
                content: content(kind),
                text,
                mention_all,
                mentioned,
                receivers,
            });
        }
        Ok(out)
    }

    async fn retry_later(&self, retries: &[VendorRetry]) -> Result<(), RepoError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let _turn = self.write_turn().await;
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                for r in retries {
                    diesel::insert_into(push_retries::table)
                        .values((
                            push_retries::app_id.eq(r.app.as_str()),
                            push_retries::task_id.eq(r.task.0),
                            push_retries::message_id.eq(r.message),
                            push_retries::user_id.eq(r.user.0),
                            push_retries::device_sn.eq(r.device.0),
                            push_retries::attempts.eq(1_i64),
                            push_retries::next_attempt_at.eq(now + FIRST_RETRY_MS),
                            push_retries::failed.eq(false),
                            push_retries::last_error.eq("unavailable"),
                        ))
                        .execute(c)
                        .await?;
                }
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }
}

impl Store {
    /// Each sender's name in a notification: push nickname, else nickname, else username.
    async fn names(&self, app: &str, senders: &[i64]) -> Result<HashMap<i64, String>, RepoError> {
        let mut names = HashMap::with_capacity(senders.len());
        for chunk in senders.chunks(CHUNK) {
            let rows: Vec<(i64, String, String, String)> = with_conn!(self, |conn| {
                in_app::users(app)
                    .filter(users::id.eq_any(chunk))
                    .select((
                        users::id,
                        users::push_nick_name,
                        users::nick_name,
                        users::username,
                    ))
                    .load(conn)
                    .await
                    .map_err(err)?
            });
            names.extend(rows.into_iter().map(|(id, push, nick, name)| {
                let shown = [push, nick, name]
                    .into_iter()
                    .find(|n| !n.trim().is_empty())
                    .unwrap_or_default();
                (id, shown)
            }));
        }
        Ok(names)
    }

    /// The members of the groups (with their roles and modes) and the groups' names.
    async fn groups(
        &self,
        app: &str,
        groups: &[i64],
    ) -> Result<(Vec<MemberRow>, HashMap<i64, String>), RepoError> {
        let mut members = Vec::new();
        let mut names = HashMap::with_capacity(groups.len());
        for chunk in groups.chunks(CHUNK) {
            let (rows, named) = with_conn!(self, |conn| {
                let rows: Vec<MemberRow> = in_app::group_members(app)
                    .filter(group_members::group_id.eq_any(chunk))
                    .select((
                        group_members::group_id,
                        group_members::user_id,
                        group_members::role,
                        group_members::msg_mute_mode,
                        group_members::msg_push_mode,
                    ))
                    .load(conn)
                    .await
                    .map_err(err)?;
                let named: Vec<(i64, String)> = in_app::chat_groups(app)
                    .filter(chat_groups::id.eq_any(chunk))
                    .select((chat_groups::id, chat_groups::name))
                    .load(conn)
                    .await
                    .map_err(err)?;
                (rows, named)
            });
            members.extend(rows);
            names.extend(named);
        }
        Ok((members, names))
    }

    /// The devices of these users that bound a vendor token, by user (users without one are
    /// left out).
    async fn vendor_devices(
        &self,
        app: &str,
        users_: &[i64],
    ) -> Result<HashMap<i64, Vec<(DeviceSn, VendorAddress)>>, RepoError> {
        let mut by_user: HashMap<i64, Vec<(DeviceSn, VendorAddress)>> = HashMap::new();
        for chunk in users_.chunks(CHUNK) {
            let rows: Vec<(i64, i64, Option<String>, Option<String>)> = with_conn!(self, |conn| {
                in_app::devices(app)
                    .filter(devices::user_id.eq_any(chunk))
                    .filter(devices::vendor_token.is_not_null())
                    .select((
                        devices::user_id,
                        devices::device_sn,
                        devices::notifier_name,
                        devices::vendor_token,
                    ))
                    .order((devices::user_id, devices::device_sn))
                    .load(conn)
                    .await
                    .map_err(err)?
            });
            for (user, sn, notifier, token) in rows {
                let (Some(notifier), Some(token)) = (notifier, token) else {
                    continue;
                };
                if !notifier.is_empty() && !token.is_empty() {
                    let address = VendorAddress { notifier, token };
                    by_user
                        .entry(user)
                        .or_default()
                        .push((DeviceSn(sn), address));
                }
            }
        }
        Ok(by_user)
    }

    /// The push settings of these users.
    async fn settings(
        &self,
        app: &str,
        users_: &[i64],
    ) -> Result<HashMap<i64, SettingsRow>, RepoError> {
        let mut settings = HashMap::with_capacity(users_.len());
        for chunk in users_.chunks(CHUNK) {
            let rows: Vec<SettingsRow> = with_conn!(self, |conn| {
                in_app::users(app)
                    .filter(users::id.eq_any(chunk))
                    .select((
                        users::id,
                        users::no_push,
                        users::no_push_detail,
                        users::no_push_start_hour,
                        users::no_push_end_hour,
                        users::silence_start_time,
                        users::silence_end_time,
                        users::no_sounds,
                    ))
                    .load(conn)
                    .await
                    .map_err(err)?
            });
            settings.extend(rows.into_iter().map(|r| (r.0, r)));
        }
        Ok(settings)
    }

    /// The unread messages of these users (users with none are left out).
    async fn unread(&self, app: &str, users_: &[i64]) -> Result<HashMap<i64, i64>, RepoError> {
        let mut unread = HashMap::with_capacity(users_.len());
        for chunk in users_.chunks(CHUNK) {
            let rows: Vec<(i64, i64)> = with_conn!(self, |conn| {
                inbox::table
                    .left_join(
                        conversation_reads::table.on(conversation_reads::user_id
                            .eq(inbox::user_id)
                            .and(conversation_reads::conversation_id.eq(inbox::conversation_id))),
                    )
                    .filter(inbox::app_id.eq(app))
                    .filter(inbox::user_id.eq_any(chunk))
                    .filter(inbox::counts.eq(true))
                    .filter(
                        inbox::position.gt(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                            "COALESCE(conversation_reads.read_position, 0)",
                        )),
                    )
                    .group_by(inbox::user_id)
                    .select((inbox::user_id, diesel::dsl::count_star()))
                    .load(conn)
                    .await
                    .map_err(err)?
            });
            unread.extend(rows);
        }
        Ok(unread)
    }

    /// Which of `owners` muted which of `friends` (`mute_notification` of their roster
    /// entry): (owner, friend) pairs.
    async fn muted(
        &self,
        app: &str,
        owners: &[i64],
        friends: &[i64],
    ) -> Result<HashSet<(i64, i64)>, RepoError> {
        let mut muted = HashSet::new();
        if friends.is_empty() {
            return Ok(muted);
        }
        for owners in owners.chunks(CHUNK) {
            for friends in friends.chunks(CHUNK) {
                let rows: Vec<(i64, i64)> = with_conn!(self, |conn| {
                    in_app::roster_entries(app)
                        .filter(roster_entries::owner_id.eq_any(owners))
                        .filter(roster_entries::friend_id.eq_any(friends))
                        .filter(roster_entries::mute_notification.eq(true))
                        .select((roster_entries::owner_id, roster_entries::friend_id))
                        .load(conn)
                        .await
                        .map_err(err)?
                });
                muted.extend(rows);
            }
        }
        Ok(muted)
    }
}

/// The values in their first order, each once.
fn distinct(values: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}

/// What a stored content type is, for the preview.
fn content(kind: i64) -> Content {
    match kind {
        0 => Content::Text,
        1 => Content::Image,
        2 => Content::Audio,
        3 => Content::Video,
        4 => Content::File,
        5 => Content::Location,
        7 => Content::Forward,
        _ => Content::Command,
    }
}

/// `mentionAll` and `mentionList` of a message's `config` (a JSON object as text).
fn mentions(config: &str) -> (bool, Vec<UserId>) {
    let Ok(config) = serde_json::from_str::<serde_json::Value>(config) else {
        return (false, Vec::new());
    };
    let all = config["mentionAll"].as_bool().unwrap_or(false);
    let list = config["mentionList"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|v| {
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                })
                .map(UserId)
                .collect()
        })
        .unwrap_or_default();
    (all, list)
}
