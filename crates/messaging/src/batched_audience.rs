//! [`BatchedAudience`]: the lookups of concurrent sends share one query.
//!
//! Every send to users reads its rules with [`Audience::direct`] (one query). Under load
//! those queries are most of what the database does besides storing; this decorator queues
//! them and lets a few worker tasks answer everything queued with one
//! [`Audience::direct_batch`]. The answers are as fresh as before: each query runs after
//! its send arrived. Every other method goes straight to the wrapped port.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::{AppId, GroupId, UserId};

use crate::RepoError;
use crate::batching::{Queue, Reply};
use crate::ports::{Audience, DirectAudience, DirectQuery, GroupAudience};

/// An [`Audience`] whose [`Audience::direct`] lookups are batched. Create it on a tokio
/// runtime: it spawns its workers there.
#[derive(Clone)]
pub struct BatchedAudience {
    inner: Arc<dyn Audience>,
    queue: Queue<DirectQuery, DirectAudience>,
}

/// Lookups waiting for a worker; beyond this a send waits for room.
const QUEUE: usize = 16_384;

impl BatchedAudience {
    /// Wraps `inner` with `workers` tasks answering at most `max_batch` lookups per query.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(inner: Arc<dyn Audience>, workers: usize, max_batch: usize) -> Self {
        let port = inner.clone();
        let queue = Queue::start(QUEUE, workers, max_batch, move |batch| {
            let port = port.clone();
            async move { look_up(port.as_ref(), batch).await }
        });
        Self { inner, queue }
    }
}

async fn look_up(port: &dyn Audience, batch: Vec<(DirectQuery, Reply<DirectAudience>)>) {
    let (queries, replies): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    match port.direct_batch(&queries).await {
        Ok(answers) if answers.len() == queries.len() => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        outcome => {
            let why = match outcome {
                Err(err) => err.0.to_string(),
                Ok(_) => "the lookup answered the wrong number of sends".to_owned(),
            };
            for reply in replies {
                let _ = reply.send(Err(RepoError(anyhow::anyhow!("{why}"))));
            }
        }
    }
}

#[async_trait]
impl Audience for BatchedAudience {
    async fn user(&self, app: &AppId, id: UserId) -> Result<Option<bool>, RepoError> {
        self.inner.user(app, id).await
    }

    async fn blocked(&self, app: &AppId, owner: UserId, other: UserId) -> Result<bool, RepoError> {
        self.inner.blocked(app, owner, other).await
    }

    async fn direct(
        &self,
        app: &AppId,
        sender: UserId,
        targets: &[UserId],
    ) -> Result<DirectAudience, RepoError> {
        self.queue
            .call(DirectQuery {
                app: app.clone(),
                sender,
                targets: targets.to_vec(),
            })
            .await
    }

    async fn direct_batch(
        &self,
        queries: &[DirectQuery],
    ) -> Result<Vec<DirectAudience>, RepoError> {
        self.inner.direct_batch(queries).await
    }

    async fn group(
        &self,
        app: &AppId,
        group: GroupId,
        sender: UserId,
    ) -> Result<Option<GroupAudience>, RepoError> {
        self.inner.group(app, group, sender).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::MockAudience;

    fn app() -> AppId {
        AppId::parse("app").unwrap_or_else(|_| unreachable!())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_send_gets_its_own_answer_and_a_failure_reaches_every_send() {
        let mut inner = MockAudience::new();
        inner.expect_direct_batch().returning(|queries| {
            if queries.iter().any(|q| q.sender == UserId(99)) {
                return Err(RepoError(anyhow::anyhow!("down")));
            }
            Ok(queries
                .iter()
                .map(|q| DirectAudience {
                    sender: Some(q.sender.0 % 2 == 0),
                    targets: q.targets.iter().map(|&t| (t, false)).collect(),
                })
                .collect())
        });
        let audience = BatchedAudience::new(Arc::new(inner), 1, 100);
        let lookups: Vec<_> = (1..=20)
            .map(|i| {
                let audience = audience.clone();
                tokio::spawn(
                    async move { audience.direct(&app(), UserId(i), &[UserId(i + 100)]).await },
                )
            })
            .collect();
        for (i, lookup) in (1..=20).zip(lookups) {
            let answer = lookup.await.ok().and_then(Result::ok);
            assert_eq!(
                answer,
                Some(DirectAudience {
                    sender: Some(i % 2 == 0),
                    targets: [(UserId(i + 100), false)].into(),
                })
            );
        }
        let failed = audience.direct(&app(), UserId(99), &[UserId(1)]).await;
        assert!(failed.is_err_and(|e| e.0.to_string() == "down"));
    }
}
