//! Deleting the bytes of objects that no record names any more.
//!
//! Deleting a user or destroying a group deletes their file records in the same transaction
//! (so downloads answer "no such file" at once) and queues an [`ObjectDeletion`] for each
//! object those records named. [`Cleanup`] works the queue with the kernel's durable job
//! runner: an object still named by another record (a forward) is kept; otherwise its bytes
//! are deleted from the file store, retried with backoff while the store is unreachable.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::jobs::{JobHandler, JobQueue, JobRunner, RetryPolicy};
use tidings_kernel::{AppId, Clock};

use crate::RepoError;
use crate::model::object_key;
use crate::ports::{FileRepository, FileStore};

/// One object whose records are gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectDeletion {
    pub app: AppId,
    pub object: String,
}

/// The durable queue of object deletions (filled by the store).
pub trait DeletionQueue: JobQueue<ObjectDeletion, Error = RepoError> {}

impl<T: JobQueue<ObjectDeletion, Error = RepoError> + ?Sized> DeletionQueue for T {}

struct Sweep {
    repo: Arc<dyn FileRepository>,
    store: Arc<dyn FileStore>,
}

#[async_trait]
impl JobHandler<ObjectDeletion> for Sweep {
    async fn handle(&self, job: &ObjectDeletion) -> Result<(), String> {
        let named = self
            .repo
            .references(&job.app, &job.object)
            .await
            .map_err(|e| format!("{:#}", e.0))?;
        if named > 0 {
            return Ok(());
        }
        self.store
            .delete(&object_key(&job.app, &job.object))
            .await
            .map_err(|e| format!("{e:#}"))
    }
}

/// Works the deletion queue: see the module docs.
#[derive(Clone)]
pub struct Cleanup {
    runner: JobRunner<ObjectDeletion, dyn DeletionQueue, dyn JobHandler<ObjectDeletion>>,
}

impl Cleanup {
    pub fn new(
        queue: Arc<dyn DeletionQueue>,
        repo: Arc<dyn FileRepository>,
        store: Arc<dyn FileStore>,
        clock: Arc<dyn Clock>,
        policy: RetryPolicy,
    ) -> Self {
        let sweep: Arc<dyn JobHandler<ObjectDeletion>> = Arc::new(Sweep { repo, store });
        Self {
            runner: JobRunner::new(queue, sweep, clock, policy),
        }
    }

    /// Leases the due deletions and works them: how many were taken.
    ///
    /// # Errors
    /// [`RepoError`] when the queue cannot be read or updated.
    pub async fn run_once(&self) -> Result<usize, RepoError> {
        self.runner.run_once().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tidings_kernel::jobs::Leased;
    use tidings_kernel::{MockClock, Timestamp};

    use super::*;
    use crate::ports::{ByteStream, Fetched, MockFileRepository};

    #[derive(Default)]
    struct Recorded {
        done: Mutex<Vec<i64>>,
        failed: Mutex<Vec<i64>>,
        deleted: Mutex<Vec<String>>,
    }

    struct Queue(Arc<Recorded>);

    #[async_trait]
    impl JobQueue<ObjectDeletion> for Queue {
        type Error = RepoError;
        async fn lease_due(
            &self,
            _: Timestamp,
            _: Timestamp,
            _: i64,
        ) -> Result<Vec<Leased<ObjectDeletion>>, RepoError> {
            let app = AppId::parse("a").unwrap_or_else(|_| unreachable!());
            Ok(["chat/shared", "chat/alone", "chat/unreachable"]
                .iter()
                .enumerate()
                .map(|(i, o)| Leased {
                    id: i as i64,
                    attempts: 0,
                    job: ObjectDeletion {
                        app: app.clone(),
                        object: (*o).into(),
                    },
                })
                .collect())
        }
        async fn done(&self, ids: &[i64]) -> Result<(), RepoError> {
            self.0
                .done
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(ids);
            Ok(())
        }
        async fn failed(
            &self,
            id: i64,
            _: i64,
            _: Option<Timestamp>,
            _: &str,
        ) -> Result<(), RepoError> {
            self.0
                .failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id);
            Ok(())
        }
    }

    struct Store(Arc<Recorded>);

    #[async_trait]
    impl FileStore for Store {
        async fn put(&self, _: &str, _: &str, _: ByteStream) -> anyhow::Result<u64> {
            anyhow::bail!("not used")
        }
        async fn fetch(&self, _: &str, _: &str, _: &str) -> anyhow::Result<Option<Fetched>> {
            anyhow::bail!("not used")
        }
        async fn delete(&self, key: &str) -> anyhow::Result<()> {
            anyhow::ensure!(!key.ends_with("unreachable"), "the store is down");
            self.0
                .deleted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(key.into());
            Ok(())
        }
    }

    #[tokio::test]
    async fn objects_still_named_are_kept_and_failures_retried() {
        let recorded = Arc::new(Recorded::default());
        let mut repo = MockFileRepository::new();
        repo.expect_references()
            .returning(|_, object| Ok(i64::from(object == "chat/shared")));
        let mut clock = MockClock::new();
        clock.expect_now().return_const(Timestamp(0));
        let cleanup = Cleanup::new(
            Arc::new(Queue(recorded.clone())),
            Arc::new(repo),
            Arc::new(Store(recorded.clone())),
            Arc::new(clock),
            RetryPolicy::default(),
        );
        assert!(matches!(cleanup.run_once().await, Ok(3)));
        let mut done = recorded
            .done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        done.sort_unstable();
        assert_eq!(done, [0, 1]);
        assert_eq!(
            *recorded.failed.lock().unwrap_or_else(|p| p.into_inner()),
            [2]
        );
        assert_eq!(
            *recorded.deleted.lock().unwrap_or_else(|p| p.into_inner()),
            ["a/chat/alone"]
        );
    }
}
