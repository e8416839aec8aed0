//! The webhook outbox: app callbacks and queued deliveries.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use tidings_kernel::jobs::{JobQueue, Leased};
use tidings_kernel::{AppId, Timestamp};
use tidings_messaging::RepoError;
use tidings_messaging::model::Message;
use tidings_messaging::webhooks::{Callback, WebhookJob, WebhookOutbox};

use super::MessageRow;
use crate::Store;
use crate::db::with_conn;
use crate::error::messaging_error as err;
use crate::in_app;
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
                            in_app::webhook_outbox(app).filter(webhook_outbox::failed.eq(false)),
                        )
                        .execute(c)
                        .await?;
                        diesel::delete(in_app::message_callbacks(app))
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
            in_app::message_callbacks(app.as_str())
                .select((message_callbacks::url, message_callbacks::secret))
                .first(conn)
                .await
                .optional()
                .map_err(err)?
        });
        Ok(row.map(|(url, secret)| Callback { url, secret }))
    }
}

#[async_trait]
impl JobQueue<WebhookJob> for Store {
    type Error = RepoError;

    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Leased<WebhookJob>>, RepoError> {
        let leased = self
            .lease_ids(&crate::jobs::WEBHOOKS, now, lease_until, limit)
            .await
            .map_err(RepoError)?;
        type Row = (
            MessageRow,
            i64,
            String,
            String,
            (String, String, String, String),
        );
        let rows: Vec<Row> = with_conn!(self, |conn| {
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
                .load(conn)
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
                Ok(Leased {
                    id: message.id,
                    attempts,
                    job: WebhookJob {
                        app,
                        message,
                        callback: Callback { url, secret },
                    },
                })
            })
            .collect()
    }

    async fn done(&self, ids: &[i64]) -> Result<(), RepoError> {
        self.jobs_done(&crate::jobs::WEBHOOKS, ids)
            .await
            .map_err(RepoError)
    }

    async fn failed(
        &self,
        message: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError> {
        self.job_failed(&crate::jobs::WEBHOOKS, message, attempts, next_at, error)
            .await
            .map_err(RepoError)
    }
}
