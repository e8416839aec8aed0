//! Message webhooks (NOTES.md §5): every stored message, except read receipts, is queued for
//! the app's callback URL in the transaction that stores it, then POSTed by [`Webhooks`]
//! with retries and backoff until the receiver answers 2xx or the attempts run out, by the
//! kernel's generic job runner (`tidings_kernel::jobs`).

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::jobs::{JobHandler, JobQueue, JobRunner, RetryPolicy};
use tidings_kernel::{AppId, Clock};

use crate::RepoError;
use crate::model::Message;

/// Where an app's messages are POSTed, and the secret that signs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    pub url: String,
    pub secret: String,
}

impl Callback {
    /// # Errors
    /// [`crate::MessageError::InvalidInput`] for a URL that is not http(s) or an empty secret.
    pub fn check(&self) -> Result<(), crate::MessageError> {
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(crate::MessageError::invalid(
                "the callback URL must start with http:// or https://",
            ));
        }
        if self.secret.is_empty() {
            return Err(crate::MessageError::invalid(
                "a callback needs a secret to sign its requests",
            ));
        }
        Ok(())
    }
}

/// A queued delivery of one message to its app's callback (its id in the queue is the
/// message's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookJob {
    pub app: AppId,
    pub message: Message,
    pub callback: Callback,
}

/// Retries, leases and batches of webhook deliveries: the generic job runner's policy.
pub type WebhookPolicy = RetryPolicy;

/// The durable queue of webhook deliveries (a [`JobQueue`] keyed by message id) and the
/// apps' callbacks. The store fills the queue when it appends a message of an app that has
/// a callback.
#[async_trait]
pub trait WebhookOutbox: JobQueue<WebhookJob, Error = RepoError> {
    /// Sets (or with `None` removes, dropping its pending jobs) an app's callback; messages
    /// stored from then on are queued for it.
    async fn set_callback(&self, app: &AppId, callback: Option<Callback>) -> Result<(), RepoError>;
    async fn callback(&self, app: &AppId) -> Result<Option<Callback>, RepoError>;
}

#[cfg(any(test, feature = "mock"))]
mockall::mock! {
    pub WebhookOutbox {}

    #[async_trait]
    impl JobQueue<WebhookJob> for WebhookOutbox {
        type Error = RepoError;
        async fn lease_due(
            &self,
            now: tidings_kernel::Timestamp,
            lease_until: tidings_kernel::Timestamp,
            limit: i64,
        ) -> Result<Vec<tidings_kernel::jobs::Leased<WebhookJob>>, RepoError>;
        async fn done(&self, ids: &[i64]) -> Result<(), RepoError>;
        async fn failed(
            &self,
            id: i64,
            attempts: i64,
            next_at: Option<tidings_kernel::Timestamp>,
            error: &str,
        ) -> Result<(), RepoError>;
    }

    #[async_trait]
    impl WebhookOutbox for WebhookOutbox {
        async fn set_callback(&self, app: &AppId, callback: Option<Callback>) -> Result<(), RepoError>;
        async fn callback(&self, app: &AppId) -> Result<Option<Callback>, RepoError>;
    }
}

/// Posts one message to a callback; `Err` describes a failure (a refused connection, a
/// timeout or a non-2xx answer).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, app: &AppId, callback: &Callback, message: &Message)
    -> Result<(), String>;
}

/// A webhook job is done by posting it.
struct Post(Arc<dyn WebhookSender>);

#[async_trait]
impl JobHandler<WebhookJob> for Post {
    async fn handle(&self, job: &WebhookJob) -> Result<(), String> {
        self.0.post(&job.app, &job.callback, &job.message).await
    }
}

/// Delivers queued webhooks. Run [`Webhooks::run_once`] in a loop; it never blocks senders.
#[derive(Clone)]
pub struct Webhooks {
    outbox: Arc<dyn WebhookOutbox>,
    runner: JobRunner<WebhookJob, dyn WebhookOutbox, Post>,
}

impl Webhooks {
    pub fn new(
        outbox: Arc<dyn WebhookOutbox>,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        policy: WebhookPolicy,
    ) -> Self {
        let runner = JobRunner::new(outbox.clone(), Arc::new(Post(sender)), clock, policy);
        Self { outbox, runner }
    }

    /// Sets or removes an app's callback.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure; a URL that is not http(s) or a callback without a
    /// secret is refused as invalid input.
    pub async fn set_callback(
        &self,
        app: &AppId,
        callback: Option<Callback>,
    ) -> Result<(), crate::MessageError> {
        if let Some(c) = &callback {
            c.check()?;
        }
        Ok(self.outbox.set_callback(app, callback).await?)
    }

    /// Posts the jobs that are due (one batch, concurrently); answers how many were taken.
    ///
    /// # Errors
    /// [`RepoError`] when the queue cannot be read or updated.
    pub async fn run_once(&self) -> Result<usize, RepoError> {
        self.runner.run_once().await
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::{always, eq};
    use tidings_kernel::jobs::Leased;
    use tidings_kernel::{MockClock, Timestamp, UserId};

    use super::*;
    use crate::model::{ContentType, Target};

    fn app() -> AppId {
        AppId::parse("app").unwrap_or_else(|_| unreachable!())
    }

    fn job(id: i64, attempts: i64) -> Leased<WebhookJob> {
        Leased {
            id,
            attempts,
            job: job_of(id),
        }
    }

    fn job_of(id: i64) -> WebhookJob {
        WebhookJob {
            app: app(),
            message: Message {
                id,
                from: UserId(1),
                to: Target::User(UserId(2)),
                content_type: ContentType::Text,
                content: "hi".into(),
                attachment: String::new(),
                config: String::new(),
                ext: String::new(),
                related: 0,
                system: false,
                recalled: false,
                created_at: Timestamp(0),
            },
            callback: Callback {
                url: "http://hook".into(),
                secret: "s".into(),
            },
        }
    }

    fn webhooks(outbox: MockWebhookOutbox, sender: MockWebhookSender) -> Webhooks {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(Timestamp(10_000));
        Webhooks::new(
            Arc::new(outbox),
            Arc::new(sender),
            Arc::new(clock),
            WebhookPolicy {
                max_attempts: 3,
                ..WebhookPolicy::default()
            },
        )
    }

    #[tokio::test]
    async fn delivered_jobs_are_done_and_failures_retry_then_give_up() {
        let mut outbox = MockWebhookOutbox::new();
        outbox
            .expect_lease_due()
            .with(eq(Timestamp(10_000)), eq(Timestamp(70_000)), eq(64))
            .returning(|_, _, _| Ok(vec![job(1, 0), job(2, 0), job(3, 2)]));
        outbox
            .expect_done()
            .withf(|ids| ids == [1])
            .times(1)
            .returning(|_| Ok(()));
        outbox
            .expect_failed()
            .with(eq(2), eq(1), eq(Some(Timestamp(11_000))), always())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        outbox
            .expect_failed()
            .with(eq(3), eq(3), eq(None), eq("HTTP 500"))
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        let mut sender = MockWebhookSender::new();
        sender.expect_post().returning(|_, _, m| {
            if m.id == 1 {
                Ok(())
            } else {
                Err("HTTP 500".into())
            }
        });
        assert_eq!(webhooks(outbox, sender).run_once().await.ok(), Some(3));
    }

    #[tokio::test]
    async fn callbacks_need_an_http_url_and_a_secret() {
        let mut outbox = MockWebhookOutbox::new();
        outbox
            .expect_set_callback()
            .times(1)
            .returning(|_, _| Ok(()));
        let w = webhooks(outbox, MockWebhookSender::new());
        let bad = Callback {
            url: "ftp://x".into(),
            secret: "s".into(),
        };
        assert!(w.set_callback(&app(), Some(bad)).await.is_err());
        let unsigned = Callback {
            url: "https://x".into(),
            secret: String::new(),
        };
        assert!(w.set_callback(&app(), Some(unsigned)).await.is_err());
        assert!(w.set_callback(&app(), None).await.is_ok());
    }
}
