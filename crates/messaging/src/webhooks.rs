//! Message webhooks (NOTES.md §5): every stored message, except read receipts, is queued for
//! the app's callback URL in the transaction that stores it, then POSTed by [`Webhooks`]
//! with retries and backoff until the receiver answers 2xx or the attempts run out.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::{AppId, Clock, Timestamp};

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

/// A queued delivery of one message to its app's callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookJob {
    pub app: AppId,
    pub message: Message,
    pub callback: Callback,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// The durable queue of webhook deliveries. The store fills it when it appends a message of
/// an app that has a callback.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookOutbox: Send + Sync {
    /// Sets (or with `None` removes) an app's callback; messages stored from then on are
    /// queued for it.
    async fn set_callback(&self, app: &AppId, callback: Option<Callback>) -> Result<(), RepoError>;
    async fn callback(&self, app: &AppId) -> Result<Option<Callback>, RepoError>;
    /// At most `limit` jobs due at `now`, oldest first, each leased until `lease_until` so
    /// that no other runner (on this node or another) takes it meanwhile.
    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<WebhookJob>, RepoError>;
    /// The receiver took it: the job is done.
    async fn delivered(&self, message: i64) -> Result<(), RepoError>;
    /// An attempt failed: try again at `next_at` (or, with `None`, never: recorded as
    /// failed).
    async fn attempt_failed(
        &self,
        message: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError>;
}

/// Posts one message to a callback; `Err` describes a failure (a refused connection, a
/// timeout or a non-2xx answer).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, app: &AppId, callback: &Callback, message: &Message)
    -> Result<(), String>;
}

/// Retries and batch sizes.
#[derive(Clone, Debug)]
pub struct WebhookPolicy {
    /// Attempts before a job is recorded as failed (default 8).
    pub max_attempts: i64,
    /// The wait after the first failure, doubled after each next one (default 1 s).
    pub first_backoff_ms: i64,
    /// The longest wait between attempts (default 10 minutes).
    pub max_backoff_ms: i64,
    /// How long a runner holds a job it is posting (default 60 s).
    pub lease_ms: i64,
    /// Jobs taken per run (default 64).
    pub batch: i64,
}

impl Default for WebhookPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_backoff_ms: 1_000,
            max_backoff_ms: 600_000,
            lease_ms: 60_000,
            batch: 64,
        }
    }
}

impl WebhookPolicy {
    /// The wait after `attempts` failed attempts.
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        let doublings = (attempts - 1).clamp(0, 30) as u32;
        self.first_backoff_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_backoff_ms)
    }
}

/// Delivers queued webhooks. Run [`Webhooks::run_once`] in a loop; it never blocks senders.
#[derive(Clone)]
pub struct Webhooks {
    outbox: Arc<dyn WebhookOutbox>,
    sender: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    policy: WebhookPolicy,
}

impl Webhooks {
    pub fn new(
        outbox: Arc<dyn WebhookOutbox>,
        sender: Arc<dyn WebhookSender>,
        clock: Arc<dyn Clock>,
        policy: WebhookPolicy,
    ) -> Self {
        Self {
            outbox,
            sender,
            clock,
            policy,
        }
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
        let now = self.clock.now();
        let jobs = self
            .outbox
            .lease_due(now, now.plus_ms(self.policy.lease_ms), self.policy.batch)
            .await?;
        let taken = jobs.len();
        let attempts = jobs.into_iter().map(|job| self.attempt(job));
        for result in futures_util::future::join_all(attempts).await {
            result?;
        }
        Ok(taken)
    }

    async fn attempt(&self, job: WebhookJob) -> Result<(), RepoError> {
        let id = job.message.id;
        match self
            .sender
            .post(&job.app, &job.callback, &job.message)
            .await
        {
            Ok(()) => self.outbox.delivered(id).await,
            Err(error) => {
                let attempts = job.attempts + 1;
                let next = (attempts < self.policy.max_attempts)
                    .then(|| self.clock.now().plus_ms(self.policy.backoff_ms(attempts)));
                self.outbox.attempt_failed(id, attempts, next, &error).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::{always, eq};
    use tidings_kernel::{MockClock, UserId};

    use super::*;
    use crate::model::{ContentType, Target};

    fn app() -> AppId {
        AppId::parse("app").unwrap_or_else(|_| unreachable!())
    }

    fn job(id: i64, attempts: i64) -> WebhookJob {
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
            attempts,
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

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = WebhookPolicy::default();
        assert_eq!(
            (1..=4).map(|a| p.backoff_ms(a)).collect::<Vec<_>>(),
            vec![1_000, 2_000, 4_000, 8_000]
        );
        assert_eq!(p.backoff_ms(40), 600_000);
    }

    #[tokio::test]
    async fn delivered_jobs_are_done_and_failures_retry_then_give_up() {
        let mut outbox = MockWebhookOutbox::new();
        outbox
            .expect_lease_due()
            .with(eq(Timestamp(10_000)), eq(Timestamp(70_000)), eq(64))
            .returning(|_, _, _| Ok(vec![job(1, 0), job(2, 0), job(3, 2)]));
        outbox
            .expect_delivered()
            .with(eq(1))
            .times(1)
            .returning(|_| Ok(()));
        outbox
            .expect_attempt_failed()
            .with(eq(2), eq(1), eq(Some(Timestamp(11_000))), always())
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        outbox
            .expect_attempt_failed()
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
