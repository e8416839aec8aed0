//! Push tasks (`push_tasks` with their audience entries and counts per channel), the queue of
//! their deliveries (`push_deliveries`) and of vendor pushes to try again (`push_retries`),
//! the devices an audience names, and apps' vendor credentials (`push_credentials`). The
//! notifications of new messages (`message_pushes`, the offline audience) are in `offline`.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::jobs::{JobQueue, Leased};
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};
use tidings_push::model::{
    Audience, Badge, Channel, Counts, Cursor, Kind, Notification, Recipient, Strategy, Task,
    TaskDetail, TaskId, VendorAddress,
};
use tidings_push::model::{Credential, Notifier, Provider, SecretText};
use tidings_push::ports::{CredentialRepository, Recipients, TaskRepository};
use tidings_push::{RepoError, TaskDelivery, VendorRetry};

mod offline;

use crate::Store;
use crate::db::with_conn;
use crate::error::push_error as err;
use crate::in_app;
use crate::schema::{
    devices, push_credentials, push_deliveries, push_retries, push_task_counts, push_task_entries,
    push_tasks, user_push_tags, users,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = push_tasks)]
struct TaskRow {
    id: i64,
    app_id: String,
    request_id: Option<String>,
    audience_kind: String,
    strategy: String,
    kind: String,
    title: String,
    body: String,
    big_text: String,
    attachment_url: String,
    badge: String,
    ext: String,
    show_begin: Option<i64>,
    show_end: Option<i64>,
    cursor_user: Option<i64>,
    cursor_device: Option<i64>,
    created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = push_task_entries)]
struct EntryRow {
    app_id: String,
    task_id: i64,
    position: i64,
    entry: String,
}

#[derive(Insertable)]
#[diesel(table_name = push_task_counts)]
struct CountRow {
    app_id: String,
    task_id: i64,
    channel: String,
    target: i64,
    sent: i64,
    received: i64,
}

fn corrupt(what: impl std::fmt::Display) -> RepoError {
    RepoError(anyhow::anyhow!("stored push task is invalid: {what}"))
}

impl TaskRow {
    fn of(task: &Task) -> Self {
        let n = &task.notification;
        Self {
            id: task.id.0,
            app_id: task.app.as_str().to_owned(),
            request_id: task.request_id.clone(),
            audience_kind: task.audience.kind().to_owned(),
            strategy: task.strategy.name().to_owned(),
            kind: n.kind.name().to_owned(),
            title: n.title.clone(),
            body: n.body.clone(),
            big_text: n.big_text.clone(),
            attachment_url: n.attachment_url.clone(),
            badge: n.badge.text(),
            ext: n.ext.clone(),
            show_begin: n.show_begin.map(|t| t.0),
            show_end: n.show_end.map(|t| t.0),
            cursor_user: None,
            cursor_device: None,
            created_at: task.created_at.0,
        }
    }

    fn into_task(self, entries: Vec<String>) -> Result<(Task, Cursor), RepoError> {
        let app = AppId::parse(&self.app_id).map_err(|_| corrupt("app id"))?;
        let audience = Audience::from_kind(&self.audience_kind, entries)
            .map_err(|e| corrupt(format!("audience: {e}")))?;
        let notification = Notification {
            kind: Kind::parse(&self.kind).map_err(|_| corrupt("kind"))?,
            title: self.title,
            body: self.body,
            big_text: self.big_text,
            attachment_url: self.attachment_url,
            badge: Badge::parse(&self.badge).map_err(|_| corrupt("badge"))?,
            ext: self.ext,
            show_begin: self.show_begin.map(Timestamp),
            show_end: self.show_end.map(Timestamp),
        };
        let cursor = self
            .cursor_user
            .zip(self.cursor_device)
            .map(|(u, d)| (UserId(u), DeviceSn(d)));
        let task = Task {
            id: TaskId(self.id),
            app,
            request_id: self.request_id,
            audience,
            strategy: Strategy::parse(&self.strategy).map_err(|_| corrupt("strategy"))?,
            notification,
            created_at: Timestamp(self.created_at),
        };
        Ok((task, cursor))
    }
}

#[async_trait]
impl TaskRepository for Store {
    async fn create(&self, task: &Task, due: Timestamp) -> Result<Option<TaskId>, RepoError> {
        let row = TaskRow::of(task);
        let app = row.app_id.clone();
        let entry_rows: Vec<EntryRow> = task
            .audience
            .entries()
            .into_iter()
            .enumerate()
            .map(|(i, entry)| EntryRow {
                app_id: app.clone(),
                task_id: row.id,
                position: i as i64,
                entry,
            })
            .collect();
        let count_rows: Vec<CountRow> = Channel::ALL
            .iter()
            .map(|c| CountRow {
                app_id: app.clone(),
                task_id: row.id,
                channel: c.name().to_owned(),
                target: 0,
                sent: 0,
                received: 0,
            })
            .collect();
        let delivery = (
            push_deliveries::app_id.eq(app.clone()),
            push_deliveries::task_id.eq(row.id),
            push_deliveries::attempts.eq(0_i64),
            push_deliveries::next_attempt_at.eq(due.0),
            push_deliveries::failed.eq(false),
            push_deliveries::last_error.eq(""),
        );
        let _turn = self.write_turn().await;
        let inserted = with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::insert_into(push_tasks::table)
                    .values(&row)
                    .execute(c)
                    .await?;
                // Row by row: diesel has no multi-row insert on SQLite through diesel-async.
                for entry in &entry_rows {
                    diesel::insert_into(push_task_entries::table)
                        .values(entry)
                        .execute(c)
                        .await?;
                }
                for count in &count_rows {
                    diesel::insert_into(push_task_counts::table)
                        .values(count)
                        .execute(c)
                        .await?;
                }
                diesel::insert_into(push_deliveries::table)
                    .values(delivery.clone())
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
        });
        match inserted {
            Ok(()) => Ok(None),
            // The unique (app, request_id) index decides between concurrent repeats.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) if row.request_id.is_some() => {
                let earlier: Option<i64> = with_conn!(self, |conn| {
                    in_app::push_tasks(&app)
                        .filter(push_tasks::request_id.eq(&row.request_id))
                        .select(push_tasks::id)
                        .first(conn)
                        .await
                        .optional()
                        .map_err(err)?
                });
                earlier
                    .map(|id| Some(TaskId(id)))
                    .ok_or_else(|| RepoError(anyhow::anyhow!("push task id taken")))
            }
            Err(e) => Err(err(e)),
        }
    }

    async fn find(&self, app: &AppId, id: TaskId) -> Result<Option<(Task, Cursor)>, RepoError> {
        let app = app.as_str();
        let (row, entries): (Option<TaskRow>, Vec<String>) = with_conn!(self, |conn| {
            let row = in_app::push_tasks(app)
                .filter(push_tasks::id.eq(id.0))
                .select(TaskRow::as_select())
                .first(conn)
                .await
                .optional()
                .map_err(err)?;
            let entries = in_app::push_task_entries(app)
                .filter(push_task_entries::task_id.eq(id.0))
                .order(push_task_entries::position)
                .select(push_task_entries::entry)
                .load(conn)
                .await
                .map_err(err)?;
            (row, entries)
        });
        row.map(|r| r.into_task(entries)).transpose()
    }

    async fn details(&self, app: &AppId, ids: &[TaskId]) -> Result<Vec<TaskDetail>, RepoError> {
        let raw: Vec<i64> = ids.iter().map(|t| t.0).collect();
        let rows: Vec<(i64, String, i64, i64, i64)> = with_conn!(self, |conn| {
            in_app::push_task_counts(app.as_str())
                .filter(push_task_counts::task_id.eq_any(&raw))
                .select((
                    push_task_counts::task_id,
                    push_task_counts::channel,
                    push_task_counts::target,
                    push_task_counts::sent,
                    push_task_counts::received,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        let mut details: Vec<TaskDetail> = Vec::new();
        for id in ids {
            if details.iter().any(|d| d.task == *id) {
                continue;
            }
            let mut detail = TaskDetail::new(*id);
            let mut found = false;
            for (_, channel, target, sent, received) in rows.iter().filter(|r| r.0 == id.0) {
                let channel = Channel::from_name(channel)
                    .ok_or_else(|| corrupt(format!("channel {channel}")))?;
                *detail.on_mut(channel) = Counts {
                    target: *target,
                    sent: *sent,
                    received: *received,
                };
                found = true;
            }
            if found {
                details.push(detail);
            }
        }
        Ok(details)
    }

    async fn progress(
        &self,
        app: &AppId,
        added: &TaskDetail,
        cursor: Option<Cursor>,
        retries: &[(UserId, DeviceSn)],
    ) -> Result<(), RepoError> {
        let app = app.as_str();
        let task = added.task.0;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let changes: Vec<(Channel, Counts)> = Channel::ALL
            .iter()
            .map(|c| (*c, added.on(*c)))
            .filter(|(_, counts)| !counts.is_zero())
            .collect();
        let _turn = self.write_turn().await;
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                for (channel, counts) in &changes {
                    diesel::update(
                        in_app::push_task_counts(app)
                            .filter(push_task_counts::task_id.eq(task))
                            .filter(push_task_counts::channel.eq(channel.name())),
                    )
                    .set((
                        push_task_counts::target.eq(push_task_counts::target + counts.target),
                        push_task_counts::sent.eq(push_task_counts::sent + counts.sent),
                        push_task_counts::received.eq(push_task_counts::received + counts.received),
                    ))
                    .execute(c)
                    .await?;
                }
                for (user, device) in retries {
                    diesel::insert_into(push_retries::table)
                        .values((
                            push_retries::app_id.eq(app),
                            push_retries::task_id.eq(task),
                            push_retries::message_id.eq(0_i64),
                            push_retries::user_id.eq(user.0),
                            push_retries::device_sn.eq(device.0),
                            push_retries::attempts.eq(1_i64),
                            push_retries::next_attempt_at.eq(now + FIRST_RETRY_MS),
                            push_retries::failed.eq(false),
                            push_retries::last_error.eq("unavailable"),
                        ))
                        .execute(c)
                        .await?;
                }
                if let Some(cursor) = cursor {
                    diesel::update(in_app::push_tasks(app).filter(push_tasks::id.eq(task)))
                        .set((
                            push_tasks::cursor_user.eq(cursor.map(|(u, _)| u.0)),
                            push_tasks::cursor_device.eq(cursor.map(|(_, d)| d.0)),
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

/// A device of an audience: user, serial number, the user's badge, notifier and vendor token.
type DeviceRow = (i64, i64, i64, Option<String>, Option<String>);

const DEVICE_COLUMNS: (
    devices::user_id,
    devices::device_sn,
    users::badge,
    devices::notifier_name,
    devices::vendor_token,
) = (
    devices::user_id,
    devices::device_sn,
    users::badge,
    devices::notifier_name,
    devices::vendor_token,
);

fn recipient((user, device, badge, notifier, token): DeviceRow) -> Recipient {
    Recipient {
        user: UserId(user),
        device: DeviceSn(device),
        badge,
        vendor: notifier
            .zip(token)
            .filter(|(n, t)| !n.is_empty() && !t.is_empty())
            .map(|(notifier, token)| VendorAddress { notifier, token }),
    }
}

/// The first retry of an unavailable vendor is due this long after it was queued; the job
/// runner's policy doubles the wait after each next failure.
const FIRST_RETRY_MS: i64 = 1_000;

#[async_trait]
impl Recipients for Store {
    async fn page(
        &self,
        app: &AppId,
        audience: &Audience,
        after: Cursor,
        limit: i64,
    ) -> Result<Vec<Recipient>, RepoError> {
        let app = app.as_str();
        let rows: Vec<DeviceRow> = with_conn!(self, |conn| {
            let mut query = in_app::devices(app)
                .inner_join(users::table)
                .select(DEVICE_COLUMNS)
                .order((devices::user_id, devices::device_sn))
                .limit(limit)
                .into_boxed();
            if let Some((user, device)) = after {
                query = query.filter(
                    devices::user_id.gt(user.0).or(devices::user_id
                        .eq(user.0)
                        .and(devices::device_sn.gt(device.0))),
                );
            }
            query = match audience {
                Audience::All => query,
                Audience::Users(ids) => {
                    query.filter(devices::user_id.eq_any(ids.iter().map(|u| u.0)))
                }
                Audience::PushTokens(tokens) => query.filter(devices::push_token.eq_any(tokens)),
                Audience::Aliases(aliases) => query.filter(users::push_alias.eq_any(aliases)),
                Audience::Tags(tags) => query.filter(
                    devices::user_id.eq_any(
                        in_app::user_push_tags(app)
                            .filter(user_push_tags::tag.eq_any(tags))
                            .select(user_push_tags::user_id),
                    ),
                ),
            };
            query.load(conn).await.map_err(err)?
        });
        Ok(rows.into_iter().map(recipient).collect())
    }

    async fn device(
        &self,
        app: &AppId,
        user: UserId,
        device: DeviceSn,
    ) -> Result<Option<Recipient>, RepoError> {
        let app = app.as_str();
        let row: Option<DeviceRow> = with_conn!(self, |conn| {
            in_app::devices(app)
                .inner_join(users::table)
                .filter(devices::user_id.eq(user.0))
                .filter(devices::device_sn.eq(device.0))
                .select(DEVICE_COLUMNS)
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(row.map(recipient))
    }

    async fn forget_vendor_token(
        &self,
        app: &AppId,
        user: UserId,
        device: DeviceSn,
        token: &str,
    ) -> Result<(), RepoError> {
        let _turn = self.write_turn().await;
        with_conn!(self, |conn| {
            diesel::update(
                in_app::devices(app.as_str())
                    .filter(devices::user_id.eq(user.0))
                    .filter(devices::device_sn.eq(device.0))
                    .filter(devices::vendor_token.eq(token)),
            )
            .set((
                devices::vendor_token.eq(None::<String>),
                devices::notifier_name.eq(None::<String>),
            ))
            .execute(conn)
            .await
            .map_err(err)?
        });
        Ok(())
    }

    async fn set_badges(&self, app: &AppId, badges: &[(UserId, i64)]) -> Result<(), RepoError> {
        let app = app.as_str();
        // One statement per badge value (a "set" push has one).
        let mut by_value: Vec<(i64, Vec<i64>)> = Vec::new();
        for &(user, badge) in badges {
            match by_value.iter_mut().find(|(b, _)| *b == badge) {
                Some((_, users)) => users.push(user.0),
                None => by_value.push((badge, vec![user.0])),
            }
        }
        let _turn = self.write_turn().await;
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                for (badge, ids) in &by_value {
                    diesel::update(in_app::users(app).filter(users::id.eq_any(ids)))
                        .set(users::badge.eq(badge))
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

#[async_trait]
impl CredentialRepository for Store {
    async fn credentials(&self, app: &AppId) -> Result<Vec<Credential>, RepoError> {
        type Row = (String, String, String, String, String, String);
        let rows: Vec<Row> = with_conn!(self, |conn| {
            in_app::push_credentials(app.as_str())
                .order(push_credentials::provider)
                .select((
                    push_credentials::provider,
                    push_credentials::name,
                    push_credentials::public_app_id,
                    push_credentials::public_app_key,
                    push_credentials::settings,
                    push_credentials::secret,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(provider, name, app_id, app_key, settings, secret)| {
                let provider = Provider::ALL
                    .into_iter()
                    .find(|p| p.name() == provider)
                    .ok_or_else(|| corrupt(format!("provider {provider}")))?;
                Ok(Credential {
                    notifier: Notifier {
                        provider,
                        name,
                        app_id,
                        app_key,
                    },
                    settings,
                    secret: SecretText(secret),
                })
            })
            .collect()
    }

    async fn put_credential(&self, app: &AppId, credential: &Credential) -> Result<(), RepoError> {
        let app = app.as_str();
        let n = &credential.notifier;
        let provider = n.provider.name();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        with_conn!(self, |conn| {
            conn.transaction(async |c| {
                diesel::delete(
                    in_app::push_credentials(app).filter(push_credentials::provider.eq(provider)),
                )
                .execute(c)
                .await?;
                diesel::insert_into(push_credentials::table)
                    .values((
                        push_credentials::app_id.eq(app),
                        push_credentials::provider.eq(provider),
                        push_credentials::name.eq(&n.name),
                        push_credentials::public_app_id.eq(&n.app_id),
                        push_credentials::public_app_key.eq(&n.app_key),
                        push_credentials::settings.eq(&credential.settings),
                        push_credentials::secret.eq(&credential.secret.0),
                        push_credentials::updated_at.eq(now),
                    ))
                    .execute(c)
                    .await?;
                Ok::<_, diesel::result::Error>(())
            })
            .await
            .map_err(err)
        })
    }
}

#[async_trait]
impl JobQueue<VendorRetry> for Store {
    type Error = RepoError;

    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Leased<VendorRetry>>, RepoError> {
        let ids = self
            .lease_ids(&crate::jobs::PUSH_RETRIES, now, lease_until, limit)
            .await
            .map_err(RepoError)?;
        type Row = (i64, i64, String, i64, i64, i64, i64);
        let rows: Vec<Row> = with_conn!(self, |conn| {
            push_retries::table
                .filter(push_retries::id.eq_any(&ids))
                .select((
                    push_retries::id,
                    push_retries::attempts,
                    push_retries::app_id,
                    push_retries::task_id,
                    push_retries::message_id,
                    push_retries::user_id,
                    push_retries::device_sn,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(id, attempts, app, task, message, user, device)| {
                let app = AppId::parse(&app).map_err(|_| corrupt("retry app id"))?;
                Ok(Leased {
                    id,
                    attempts,
                    job: VendorRetry {
                        app,
                        task: TaskId(task),
                        message,
                        user: UserId(user),
                        device: DeviceSn(device),
                    },
                })
            })
            .collect()
    }

    async fn done(&self, ids: &[i64]) -> Result<(), RepoError> {
        self.jobs_done(&crate::jobs::PUSH_RETRIES, ids)
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
        self.job_failed(&crate::jobs::PUSH_RETRIES, id, attempts, next_at, error)
            .await
            .map_err(RepoError)
    }
}

#[async_trait]
impl JobQueue<TaskDelivery> for Store {
    type Error = RepoError;

    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Leased<TaskDelivery>>, RepoError> {
        let ids = self
            .lease_ids(&crate::jobs::PUSH_DELIVERIES, now, lease_until, limit)
            .await
            .map_err(RepoError)?;
        let rows: Vec<(i64, i64, String, i64)> = with_conn!(self, |conn| {
            push_deliveries::table
                .filter(push_deliveries::id.eq_any(&ids))
                .select((
                    push_deliveries::id,
                    push_deliveries::attempts,
                    push_deliveries::app_id,
                    push_deliveries::task_id,
                ))
                .load(conn)
                .await
                .map_err(err)?
        });
        rows.into_iter()
            .map(|(id, attempts, app, task)| {
                let app = AppId::parse(&app).map_err(|_| corrupt("delivery app id"))?;
                Ok(Leased {
                    id,
                    attempts,
                    job: TaskDelivery {
                        app,
                        task: TaskId(task),
                    },
                })
            })
            .collect()
    }

    async fn done(&self, ids: &[i64]) -> Result<(), RepoError> {
        self.jobs_done(&crate::jobs::PUSH_DELIVERIES, ids)
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
        self.job_failed(&crate::jobs::PUSH_DELIVERIES, id, attempts, next_at, error)
            .await
            .map_err(RepoError)
    }
}
