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

use async_trait::async_trait;
use tidings_kernel::{AppId, GroupId, UserId};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::RepoError;
use crate::model::{Message, Recipient};
use crate::ports::{Append, Appended, DedupKey, MessageStore};

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

type Reply = oneshot::Sender<Result<Appended, RepoError>>;

/// A [`MessageStore`] whose appends are grouped into shared transactions. Create it on a
/// tokio runtime: it spawns its writers there. They stop when the last clone is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    inner: Arc<dyn MessageStore>,
    queue: mpsc::Sender<(Append, Reply)>,
}

impl GroupCommit {
    /// Wraps `inner` and starts `settings.writers` writer tasks.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new(inner: Arc<dyn MessageStore>, settings: &GroupCommitSettings) -> Self {
        let (queue, receiver) = mpsc::channel(settings.queue.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..settings.writers.max(1) {
            tokio::spawn(write_batches(
                inner.clone(),
                receiver.clone(),
                settings.max_batch.max(1),
            ));
        }
        Self { inner, queue }
    }
}

/// One writer: takes everything queued (at most `max_batch`), stores it, answers each send.
async fn write_batches(
    store: Arc<dyn MessageStore>,
    receiver: Arc<Mutex<mpsc::Receiver<(Append, Reply)>>>,
    max_batch: usize,
) {
    loop {
        let batch = {
            let mut receiver = receiver.lock().await;
            let Some(first) = receiver.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        commit(store.as_ref(), batch).await;
    }
}

async fn commit(store: &dyn MessageStore, batch: Vec<(Append, Reply)>) {
    let (appends, replies): (Vec<Append>, Vec<Reply>) = batch.into_iter().unzip();
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
        let (reply, answer) = oneshot::channel();
        let append = Append {
            app: app.clone(),
            sends: sends.to_vec(),
            dedup,
        };
        let stopped = || RepoError(anyhow::anyhow!("the message writers have stopped"));
        self.queue
            .send((append, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
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
