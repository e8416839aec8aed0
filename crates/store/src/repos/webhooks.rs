//! The webhook outbox: app callbacks and queued deliveries.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::{AppId, Timestamp};
use tidings_messaging::RepoError;
use tidings_messaging::model::Message;
use tidings_messaging::webhooks::{Callback, WebhookJob, WebhookOutbox};

use super::messages::MessageRow;
use crate::Store;
use crate::db::with_conn;
use crate::error::messaging_error as err;
use crate::schema::{message_callbacks, messages, webhook_outbox};

fn app_id(raw: String) -> Result<AppId, RepoError> {
    AppId::parse(&raw).map_err(|e| RepoError(anyhow::anyhow!("stored app id {raw:?}: {e}")))
}

#[async_trait]
impl WebhookOutbox for Store {
    async fn set_callback(&self, app: &AppId, callback: Option<Callback>) -> Result<(), RepoError> {
        let app = app.as_str();
        with_conn!(self, |conn| {
            match &callback {
                Some(c) => diesel::insert_into(message_callbacks::table)
                    .values((
                        message_callbacks::app_id.eq(app),
                        message_callbacks::url.eq(&c.url),
                        message_callbacks::secret.eq(&c.secret),
                    ))
                    .on_conflict(message_callbacks::app_id)
                    .do_update()
                    .set((
                        message_callbacks::url.eq(&c.url),
                        message_callbacks::secret.eq(&c.secret),
                    ))
                    .execute(conn)
                    .await
                    .map_err(err)?,
                // Without a callback the app's pending jobs have nowhere to go: they are
                // dropped with it (failed ones stay on record).
                None => conn
                    .transaction(async |c| {
                        diesel::delete(
                            webhook_outbox::table
                                .filter(webhook_outbox::app_id.eq(app))
                                .filter(webhook_outbox::failed.eq(false)),
                        )
                        .execute(c)
                        .await?;
                        diesel::delete(
                            message_callbacks::table.filter(message_callbacks::app_id.eq(app)),
                        )
                        .execute(c)
                        .await
                    })
                    .await
                    .map_err(err)?,
            }
        });
        Ok(())
    }

    async fn callback(&self, app: &AppId) -> Result<Option<Callback>, RepoError> {
        let row: Option<(String, String)> = with_conn!(self, |conn| {
            message_callbacks::table
                .filter(message_callbacks::app_id.eq(app.as_str()))
                .select((message_callbacks::url, message_callbacks::secret))
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(row.map(|(url, secret)| Callback { url, secret }))
    }

    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<WebhookJob>, RepoError> {
        type Row = (
            MessageRow,
            i64,
            String,
            String,
            (String, String, String, String),
        );
        let rows: Vec<Row> = with_conn!(self, |conn| {
            conn.transaction(async |c| {
                let due: Vec<(i64, i64)> = webhook_outbox::table
                    .inner_join(
                        message_callbacks::table
                            .on(message_callbacks::app_id.eq(webhook_outbox::app_id)),
                    )
                    .filter(webhook_outbox::failed.eq(false))
                    .filter(webhook_outbox::next_attempt_at.le(now.0))
                    .order(webhook_outbox::next_attempt_at)
                    .limit(limit)
                    .select((webhook_outbox::message_id, webhook_outbox::next_attempt_at))
                    .load(c)
                    .await?;
                // A conditional write per job: a job another runner leased meanwhile is
                // left to it.
                let mut leased = Vec::with_capacity(due.len());
                for (id, at) in due {
                    let taken = diesel::update(
                        webhook_outbox::table
                            .filter(webhook_outbox::message_id.eq(id))
                            .filter(webhook_outbox::next_attempt_at.eq(at)),
                    )
                    .set(webhook_outbox::next_attempt_at.eq(lease_until.0))
                    .execute(c)
                    .await?;
                    if taken == 1 {
                        leased.push(id);
                    }
                }
                webhook_outbox::table
                    .inner_join(messages::table.on(messages::id.eq(webhook_outbox::message_id)))
                    .inner_join(
                        message_callbacks::table
                            .on(message_callbacks::app_id.eq(webhook_outbox::app_id)),
                    )
                    .filter(webhook_outbox::message_id.eq_any(&leased))
                    .order(webhook_outbox::message_id)
                    .select((
                        MessageRow::as_select(),
                        webhook_outbox::attempts,
                        message_callbacks::url,
                        message_callbacks::secret,
                        (
                            webhook_outbox::content,
                            webhook_outbox::attachment,
                            webhook_outbox::config,
                            webhook_outbox::ext,
                        ),
                    ))
                    .load(c)
                    .await
            })
            .await
            .map_err(err)?
        });
        rows.into_iter()
            .map(|(row, attempts, url, secret, sent)| {
                let app = app_id(row.app_id.clone())?;
                // As sent: a recall or edit since then does not change what is posted.
                let (content, attachment, config, ext) = sent;
                let message = Message {
                    content,
                    attachment,
                    config,
                    ext,
                    ..Message::try_from(row)?
                };
                Ok(WebhookJob {
                    app,
                    message,
                    callback: Callback { url, secret },
                    attempts,
                })
            })
            .collect()
    }

    async fn delivered(&self, message: i64) -> Result<(), RepoError> {
        with_conn!(self, |conn| {
            diesel::delete(webhook_outbox::table.filter(webhook_outbox::message_id.eq(message)))
                .execute(conn)
                .await
                .map_err(err)?
        });
        Ok(())
    }

    async fn attempt_failed(
        &self,
        message: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError> {
        let error: String = error.chars().take(500).collect();
        with_conn!(self, |conn| {
            diesel::update(webhook_outbox::table.filter(webhook_outbox::message_id.eq(message)))
                .set((
                    webhook_outbox::attempts.eq(attempts),
                    webhook_outbox::next_attempt_at.eq(next_at.map_or(0, |t| t.0)),
                    webhook_outbox::failed.eq(next_at.is_none()),
                    webhook_outbox::last_error.eq(&error),
                ))
                .execute(conn)
                .await
                .map_err(err)?
        });
        Ok(())
    }
}
