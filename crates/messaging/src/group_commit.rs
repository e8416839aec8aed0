//! Group commit: concurrent sends share one transaction.
//!
//! Storing a message costs a handful of statements (the message, the recipients' positions,
//! their inbox rows, the sender's read position, the webhook outbox), and each is a round
//! trip to the database. [`GroupCommit`] wraps a [`MessageStore`]: every
//! [`MessageStore::append`] joins a queue, and a few writer tasks each take everything
//! queued (up to a batch limit) and store it with one [`MessageStore::append_batch`], so a
//! batch of a hundred sends costs about as many round trips as one. Nothing waits for a
//! batch to fill: a writer takes what is there the moment it is free, so an idle server
//! stores a lone send at once, and a busy one stores bigger batches.
//!
//! A batch that fails is retried one append at a time, so a send that the store refuses
//! fails alone. Every other method goes straight to the wrapped store.

use std::sync::Arc;

use crate::RepoError;
use crate::batching::{Queue, Reply};
use crate::model::{Message, Recipient};
use crate::ports::{Append, Appended, DedupKey, MessageStore};
use async_trait::async_trait;
use tidings_kernel::{AppId, GroupId, UserId};

/// How many writers there are and how much each takes at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupCommitSettings {
    /// Batches stored at the same time (each holds one database connection while it runs).
    /// One suits SQLite, which has a single writer anyway; two let PostgreSQL work on one
    /// batch while the next is sent.
    pub writers: usize,
    /// At most this many sends in one transaction.
    pub max_batch: usize,
    /// Sends waiting for a writer; beyond this a send waits for room (back pressure).
    pub queue: usize,
}

impl Default for GroupCommitSettings {
    fn default() -> Self {
        Self {
            writers: 2,
            max_batch: 256,
            queue: 16_384,
        }
    }
}

/// A [`MessageStore`] whose appends are grouped into shared transactions. Create it on a
/// tokio runtime: it spawns its writers there. They stop when the last clone is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    inner: Arc<dyn MessageStore>,
    queue: Queue<Append, Appended>,
}

impl GroupCommit {
    /// Wraps `inner` and starts `settings.writers` writer tasks.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(inner: Arc<dyn MessageStore>, settings: &GroupCommitSettings) -> Self {
        let store = inner.clone();
        let queue = Queue::start(
            settings.queue,
            settings.writers,
            settings.max_batch,
            move |batch| {
                let store = store.clone();
                async move { commit(store.as_ref(), batch).await }
            },
        );
        Self { inner, queue }
    }
}

/// Stores a batch and answers each send.
async fn commit(store: &dyn MessageStore, batch: Vec<(Append, Reply<Appended>)>) {
    let (appends, replies): (Vec<Append>, Vec<Reply<Appended>>) = batch.into_iter().unzip();
    match store.append_batch(&appends).await {
        Ok(outcomes) if outcomes.len() == appends.len() => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                // The sender may have gone (a closed request): the send is stored anyway.
                let _ = reply.send(Ok(outcome));
            }
        }
        Ok(_) => {
            for reply in replies {
                let _ = reply.send(Err(RepoError(anyhow::anyhow!(
                    "the store answered a batch with the wrong number of outcomes"
                ))));
            }
        }
        Err(err) if appends.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(err));
            }
        }
        // Nothing of the batch was stored: each send is tried alone, so one the store
        // refuses fails without the others.
        Err(_) => {
            for (append, reply) in appends.into_iter().zip(replies) {
                let outcome = store
                    .append_batch(std::slice::from_ref(&append))
                    .await
                    .and_then(|mut outcomes| {
                        outcomes.pop().ok_or_else(|| {
                            RepoError(anyhow::anyhow!("the store answered no outcome"))
                        })
                    });
                let _ = reply.send(outcome);
            }
        }
    }
}

#[async_trait]
impl MessageStore for GroupCommit {
    async fn append(
        &self,
        app: &AppId,
        sends: &[(Message, Vec<Recipient>)],
        dedup: Option<DedupKey>,
    ) -> Result<Appended, RepoError> {
        self.queue
            .call(Append {
                app: app.clone(),
                sends: sends.to_vec(),
                dedup,
            })
            .await
    }

    async fn append_batch(&self, batch: &[Append]) -> Result<Vec<Appended>, RepoError> {
        self.inner.append_batch(batch).await
    }

    async fn message(&self, app: &AppId, id: i64) -> Result<Option<Message>, RepoError> {
        self.inner.message(app, id).await
    }

    async fn last_position(&self, app: &AppId, user: UserId) -> Result<i64, RepoError> {
        self.inner.last_position(app, user).await
    }

    async fn history(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(Message, i64)>, RepoError> {
        self.inner
            .history(app, user, conversation, before, limit)
            .await
    }

    async fn group_history(
        &self,
        app: &AppId,
        group: GroupId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>, RepoError> {
        self.inner.group_history(app, group, before, limit).await
    }

    async fn since(
        &self,
        app: &AppId,
        user: UserId,
        position: i64,
        limit: i64,
    ) -> Result<Vec<(Message, i64, i64)>, RepoError> {
        self.inner.since(app, user, position, limit).await
    }

    async fn read_position(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
    ) -> Result<i64, RepoError> {
        self.inner.read_position(app, user, conversation).await
    }

    async fn copy(
        &self,
        app: &AppId,
        user: UserId,
        message: i64,
    ) -> Result<Option<(i64, i64)>, RepoError> {
        self.inner.copy(app, user, message).await
    }

    async fn mark_read(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
        position: i64,
    ) -> Result<(), RepoError> {
        self.inner
            .mark_read(app, user, conversation, position)
            .await
    }

    async fn unread(&self, app: &AppId, user: UserId) -> Result<Vec<(i64, i64)>, RepoError> {
        self.inner.unread(app, user).await
    }

    async fn delete_conversation(
        &self,
        app: &AppId,
        user: UserId,
        conversation: i64,
    ) -> Result<(), RepoError> {
        self.inner
            .delete_conversation(app, user, conversation)
            .await
    }

    async fn recall(&self, app: &AppId, id: i64) -> Result<bool, RepoError> {
        self.inner.recall(app, id).await
    }

    async fn edit(&self, app: &AppId, id: i64, content: &str) -> Result<bool, RepoError> {
        self.inner.edit(app, id, content).await
    }
}

#[cfg(test)]
mod tests;
