//! The queue behind [`crate::group_commit::GroupCommit`] and
//! [`crate::batched_audience::BatchedAudience`]: callers queue a request and wait for its
//! answer; a few worker tasks each take everything queued (up to a limit) and handle it at
//! once. Nothing waits for a batch to fill: a worker takes what is there the moment it is
//! free, so a lone request is handled at once and a busy server handles bigger batches.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::RepoError;

/// Where a request's answer goes.
pub(crate) type Reply<O> = oneshot::Sender<Result<O, RepoError>>;

/// The receiving side, shared by the workers.
type Receiver<I, O> = Arc<Mutex<mpsc::Receiver<(I, Reply<O>)>>>;

/// The sending side of a batching queue.
pub(crate) struct Queue<I, O> {
    pub(crate) sender: mpsc::Sender<(I, Reply<O>)>,
}

impl<I, O> Clone for Queue<I, O> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Queue<I, O> {
    /// A queue of `capacity` requests and `workers` tasks, each handing batches of at most
    /// `max_batch` to `handle`, which must answer every request of its batch. Must be called
    /// on a tokio runtime; the workers stop when the last clone of the queue is dropped.
    pub(crate) fn start<F, Fut>(
        capacity: usize,
        workers: usize,
        max_batch: usize,
        handle: F,
    ) -> Self
    where
        F: Fn(Vec<(I, Reply<O>)>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let receiver = Arc::new(Mutex::new(receiver));
        for _ in 0..workers.max(1) {
            tokio::spawn(work(receiver.clone(), max_batch.max(1), handle.clone()));
        }
        Self { sender }
    }

    /// Queues a request and waits for its answer.
    pub(crate) async fn call(&self, request: I) -> Result<O, RepoError> {
        let stopped = || RepoError(anyhow::anyhow!("the batching workers have stopped"));
        let (reply, answer) = oneshot::channel();
        self.sender
            .send((request, reply))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn work<I, O, F, Fut>(receiver: Receiver<I, O>, max_batch: usize, handle: F)
where
    F: Fn(Vec<(I, Reply<O>)>) -> Fut,
    Fut: Future<Output = ()>,
{
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
        handle(batch).await;
    }
}
