//! A durable job runner: work that must happen after a request (a webhook POST, a push
//! notification) waits in a store's queue as rows, written in the transaction that made
//! it necessary. A runner leases the jobs that are due, so that no other runner on any node
//! takes one meanwhile, hands the wave to its handler, and records each outcome: done,
//! retried after a doubling backoff, or failed for good after a bounded number of attempts.
//!
//! The store implements [`JobQueue`] for each kind of job, the adapter that does the work
//! implements [`JobHandler`], and [`JobRunner::run_once`] is called in a loop.
//!
//! Jobs that should start at once need not wait for a runner to find them: the code that
//! queues them can lease them to its own node in the same write and hand them over in
//! memory ([`HandOff`]), where [`JobRunner::run_handed`] takes them without reading the
//! queue. The rows stay the truth: a job whose node stops before it is done is taken by a
//! polling runner once its lease ends.

use std::marker::PhantomData;
use std::sync::Arc;

use async_trait::async_trait;

use crate::{Clock, Timestamp};

/// Retries, leases and batch sizes of one kind of job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a job is recorded as failed (default 8).
    pub max_attempts: i64,
    /// The wait after the first failure, doubled after each next one (default 1 s).
    pub first_backoff_ms: i64,
    /// The longest wait between attempts (default 10 minutes).
    pub max_backoff_ms: i64,
    /// How long a runner holds a job it works on (default 60 s); the handler must give up
    /// well before (a job whose lease ran out may be taken again).
    pub lease_ms: i64,
    /// Jobs taken per run (default 64).
    pub batch: i64,
}

impl Default for RetryPolicy {
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

impl RetryPolicy {
    /// The wait after `attempts` failed attempts.
    pub fn backoff_ms(&self, attempts: i64) -> i64 {
        let doublings = (attempts - 1).clamp(0, 30) as u32;
        self.first_backoff_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_backoff_ms)
    }
}

/// A job taken from its queue, with the attempts made before this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leased<J> {
    /// The job's id in its queue.
    pub id: i64,
    pub attempts: i64,
    pub job: J,
}

/// A job its creator leased to this node when it queued it, handed over in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handed<J> {
    /// The end of the lease written with the job.
    pub until: Timestamp,
    pub job: Leased<J>,
}

/// Jobs handed over in memory from the code that queues them to this node's runners (see
/// the module documentation), bounded: when it is full, jobs are queued due at once
/// instead, for the runners that poll.
pub struct HandOff<J> {
    lease_ms: i64,
    sender: tokio::sync::mpsc::Sender<Handed<J>>,
    receiver: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Handed<J>>>,
}

impl<J: Send> HandOff<J> {
    /// A hand-off of at most `capacity` jobs waiting, leased for `policy`'s lease (the
    /// policy of the runner that takes them).
    pub fn new(policy: &RetryPolicy, capacity: usize) -> Self {
        let (sender, receiver) = tokio::sync::mpsc::channel(capacity.max(1));
        Self {
            lease_ms: policy.lease_ms,
            sender,
            receiver: tokio::sync::Mutex::new(receiver),
        }
    }

    /// Room for `n` jobs about to be queued (all or none): `None` when `n` is 0 or the
    /// hand-off has no room for them, and the jobs are then queued due at once. Unused room
    /// is given back when the reservation is dropped (as when the queueing write fails).
    pub fn reserve(&self, n: usize) -> Option<Reservation<'_, J>> {
        if n == 0 {
            return None;
        }
        let permits = self.sender.try_reserve_many(n).ok()?;
        Some(Reservation {
            permits,
            lease_ms: self.lease_ms,
        })
    }

    /// Waits for handed jobs and takes up to `limit` of them.
    async fn take(&self, limit: usize) -> Vec<Handed<J>> {
        let mut receiver = self.receiver.lock().await;
        let mut taken = Vec::with_capacity(limit);
        receiver.recv_many(&mut taken, limit.max(1)).await;
        taken
    }
}

/// Room reserved in a [`HandOff`] for jobs being queued.
pub struct Reservation<'a, J> {
    permits: tokio::sync::mpsc::PermitIterator<'a, Handed<J>>,
    lease_ms: i64,
}

impl<J> Reservation<'_, J> {
    /// How long the jobs are to be leased when queued: due at their creation time plus
    /// this.
    pub fn lease_ms(&self) -> i64 {
        self.lease_ms
    }

    /// Hands the jobs over, once their rows are written (as many as were reserved).
    pub fn hand(self, jobs: impl IntoIterator<Item = Handed<J>>) {
        for (permit, job) in self.permits.zip(jobs) {
            permit.send(job);
        }
    }
}

/// The durable queue of one kind of job `J`.
#[async_trait]
pub trait JobQueue<J>: Send + Sync {
    type Error: Send;

    /// At most `limit` jobs due at `now`, oldest first, each leased until `lease_until`:
    /// MUST NOT return a job another runner holds an unexpired lease on, nor one recorded as
    /// failed.
    async fn lease_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<Leased<J>>, Self::Error>;

    /// The jobs are done: they leave the queue (one write for a wave of jobs).
    async fn done(&self, ids: &[i64]) -> Result<(), Self::Error>;

    /// An attempt failed: `attempts` made so far; due again at `next_at`, or with `None`
    /// never (kept, recorded as failed with `error`).
    async fn failed(
        &self,
        id: i64,
        attempts: i64,
        next_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), Self::Error>;
}

/// Does jobs; `Err` says why one failed (it is retried by the policy).
#[async_trait]
pub trait JobHandler<J: Sync>: Send + Sync {
    /// Does one job.
    async fn handle(&self, job: &J) -> Result<(), String>;

    /// Does a wave of leased jobs: MUST answer one outcome per job, in their order. By
    /// default each job is handled on its own, all at once; a handler that can share the
    /// work of a wave (one read for many jobs) does it here.
    async fn handle_all(&self, jobs: &[&J]) -> Vec<Result<(), String>> {
        futures_util::future::join_all(jobs.iter().map(|job| self.handle(job))).await
    }
}

/// Runs the jobs of one queue with one handler.
pub struct JobRunner<J, Q: ?Sized, H: ?Sized> {
    queue: Arc<Q>,
    handler: Arc<H>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    kind: PhantomData<fn() -> J>,
}

impl<J, Q: ?Sized, H: ?Sized> Clone for JobRunner<J, Q, H> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            handler: self.handler.clone(),
            clock: self.clock.clone(),
            policy: self.policy.clone(),
            kind: PhantomData,
        }
    }
}

impl<J, Q, H> JobRunner<J, Q, H>
where
    J: Send + Sync,
    Q: JobQueue<J> + ?Sized,
    H: JobHandler<J> + ?Sized,
{
    pub fn new(queue: Arc<Q>, handler: Arc<H>, clock: Arc<dyn Clock>, policy: RetryPolicy) -> Self {
        Self {
            queue,
            handler,
            clock,
            policy,
            kind: PhantomData,
        }
    }

    /// Works the jobs that are due (one wave, handed to the handler together); answers how
    /// many were taken. The jobs done leave the queue in one write; each failed one is
    /// retried after its backoff, or recorded as failed after the last attempt.
    ///
    /// # Errors
    /// The queue's error when it cannot be read or updated (the jobs of a failed update
    /// are due again when their lease ends).
    pub async fn run_once(&self) -> Result<usize, Q::Error> {
        let now = self.clock.now();
        let jobs = self
            .queue
            .lease_due(now, now.plus_ms(self.policy.lease_ms), self.policy.batch)
            .await?;
        self.work(jobs).await
    }

    /// Waits for jobs handed over in `handoff` and works them as [`Self::run_once`] does its
    /// wave, without reading the queue; answers how many were worked. A job whose lease is
    /// more than half gone (it waited that long in memory) is left to the polling runners,
    /// which take it when its lease ends: working it now could overlap with them.
    ///
    /// # Errors
    /// The queue's error when an outcome cannot be recorded.
    pub async fn run_handed(&self, handoff: &HandOff<J>) -> Result<usize, Q::Error> {
        let handed = handoff
            .take(usize::try_from(self.policy.batch).unwrap_or(1))
            .await;
        let now = self.clock.now();
        let jobs = handed
            .into_iter()
            .filter(|h| h.until.0.saturating_sub(now.0) > self.policy.lease_ms / 2)
            .map(|h| h.job)
            .collect();
        self.work(jobs).await
    }

    /// Works leased jobs: the handler takes them as one wave, then each outcome is recorded.
    async fn work(&self, jobs: Vec<Leased<J>>) -> Result<usize, Q::Error> {
        if jobs.is_empty() {
            return Ok(0);
        }
        let wave: Vec<&J> = jobs.iter().map(|leased| &leased.job).collect();
        let outcomes = self.handler.handle_all(&wave).await;
        // A job without an outcome (a handler breaking its contract) stays leased, and is
        // due again when its lease ends.
        let mut done = Vec::with_capacity(jobs.len());
        let mut failures = Vec::new();
        for (leased, outcome) in jobs.iter().zip(outcomes) {
            match outcome {
                Ok(()) => done.push(leased.id),
                Err(error) => failures.push(self.failed(leased, error)),
            }
        }
        // Every outcome is written even when one write fails (the first error is answered):
        // a job done and not recorded so would be done again when its lease ends.
        let mut first_error = None;
        if !done.is_empty()
            && let Err(e) = self.queue.done(&done).await
        {
            first_error = Some(e);
        }
        for result in futures_util::future::join_all(failures).await {
            if let Err(e) = result {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(jobs.len()), Err)
    }

    async fn failed(&self, leased: &Leased<J>, error: String) -> Result<(), Q::Error> {
        let attempts = leased.attempts + 1;
        let next = (attempts < self.policy.max_attempts)
            .then(|| self.clock.now().plus_ms(self.policy.backoff_ms(attempts)));
        self.queue.failed(leased.id, attempts, next, &error).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::MockClock;

    /// (id, attempts, next attempt, error) of a failed attempt.
    type Failure = (i64, i64, Option<Timestamp>, String);

    /// A queue in memory that records what the runner told it.
    #[derive(Default)]
    struct Recorded {
        due: Vec<Leased<&'static str>>,
        done: Mutex<Vec<i64>>,
        failed: Mutex<Vec<Failure>>,
        /// Failure records cannot be written.
        refuses_failures: bool,
    }

    #[async_trait]
    impl JobQueue<&'static str> for Recorded {
        type Error = String;

        async fn lease_due(
            &self,
            now: Timestamp,
            lease_until: Timestamp,
            limit: i64,
        ) -> Result<Vec<Leased<&'static str>>, String> {
            assert_eq!(
                (now, lease_until, limit),
                (Timestamp(10_000), Timestamp(70_000), 64)
            );
            Ok(self.due.clone())
        }

        async fn done(&self, ids: &[i64]) -> Result<(), String> {
            self.done
                .lock()
                .map_err(|e| e.to_string())?
                .extend_from_slice(ids);
            Ok(())
        }

        async fn failed(
            &self,
            id: i64,
            attempts: i64,
            next_at: Option<Timestamp>,
            error: &str,
        ) -> Result<(), String> {
            if self.refuses_failures {
                return Err("disk full".into());
            }
            let mut failed = self.failed.lock().map_err(|e| e.to_string())?;
            failed.push((id, attempts, next_at, error.to_owned()));
            Ok(())
        }
    }

    struct SucceedsOn(&'static str);

    #[async_trait]
    impl JobHandler<&'static str> for SucceedsOn {
        async fn handle(&self, job: &&'static str) -> Result<(), String> {
            if *job == self.0 {
                Ok(())
            } else {
                Err("HTTP 500".into())
            }
        }
    }

    #[tokio::test]
    async fn the_done_jobs_are_recorded_even_when_a_failure_cannot_be() -> Result<(), String> {
        let leased = |id, job| Leased {
            id,
            attempts: 0,
            job,
        };
        let queue = Arc::new(Recorded {
            due: vec![leased(1, "ok"), leased(2, "bad"), leased(3, "ok")],
            refuses_failures: true,
            ..Recorded::default()
        });
        let mut clock = MockClock::new();
        clock.expect_now().return_const(Timestamp(10_000));
        let runner = JobRunner::new(
            queue.clone(),
            Arc::new(SucceedsOn("ok")),
            Arc::new(clock),
            RetryPolicy::default(),
        );
        assert_eq!(runner.run_once().await, Err("disk full".to_owned()));
        assert_eq!(*queue.done.lock().map_err(|e| e.to_string())?, vec![1, 3]);
        Ok(())
    }

    #[tokio::test]
    async fn handed_jobs_are_worked_without_reading_the_queue_unless_their_lease_is_half_gone()
    -> Result<(), String> {
        let queue = Arc::new(Recorded::default());
        let mut clock = MockClock::new();
        clock.expect_now().return_const(Timestamp(10_000));
        let policy = RetryPolicy::default();
        let runner = JobRunner::new(
            queue.clone(),
            Arc::new(SucceedsOn("ok")),
            Arc::new(clock),
            policy.clone(),
        );
        let handoff = HandOff::new(&policy, 3);
        // More than the room: none of them is handed (they are queued due at once).
        assert!(handoff.reserve(4).is_none());
        assert!(handoff.reserve(0).is_none());
        let reserved = handoff.reserve(3).ok_or("no room")?;
        assert_eq!(reserved.lease_ms(), 60_000);
        let handed = |id, job, until| Handed {
            until: Timestamp(until),
            job: Leased {
                id,
                attempts: 0,
                job,
            },
        };
        reserved.hand([
            handed(1, "ok", 70_000),
            handed(2, "bad", 70_000),
            // At 10,000, less than half of its 60 s lease is left: the pollers' job.
            handed(3, "ok", 39_999),
        ]);
        assert_eq!(runner.run_handed(&handoff).await, Ok(2));
        assert_eq!(*queue.done.lock().map_err(|e| e.to_string())?, vec![1]);
        let failed = queue.failed.lock().map_err(|e| e.to_string())?.clone();
        assert_eq!(
            failed,
            vec![(2, 1, Some(Timestamp(11_000)), "HTTP 500".to_owned())]
        );
        // The room is back once the jobs are taken; a reservation dropped unused gives it back.
        drop(handoff.reserve(3).ok_or("no room after taking")?);
        assert!(handoff.reserve(3).is_some());
        Ok(())
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(
            (1..=4).map(|a| p.backoff_ms(a)).collect::<Vec<_>>(),
            vec![1_000, 2_000, 4_000, 8_000]
        );
        assert_eq!(p.backoff_ms(40), 600_000);
    }

    #[tokio::test]
    async fn done_jobs_leave_and_failures_retry_with_backoff_then_give_up() -> Result<(), String> {
        let queue = Arc::new(Recorded {
            due: vec![
                Leased {
                    id: 1,
                    attempts: 0,
                    job: "ok",
                },
                Leased {
                    id: 2,
                    attempts: 0,
                    job: "bad",
                },
                Leased {
                    id: 3,
                    attempts: 2,
                    job: "bad",
                },
            ],
            ..Recorded::default()
        });
        let mut clock = MockClock::new();
        clock.expect_now().return_const(Timestamp(10_000));
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let runner = JobRunner::new(
            queue.clone(),
            Arc::new(SucceedsOn("ok")),
            Arc::new(clock),
            policy,
        );
        assert_eq!(runner.run_once().await, Ok(3));
        assert_eq!(*queue.done.lock().map_err(|e| e.to_string())?, vec![1]);
        let failed = queue.failed.lock().map_err(|e| e.to_string())?.clone();
        assert_eq!(
            failed,
            vec![
                (2, 1, Some(Timestamp(11_000)), "HTTP 500".to_owned()),
                (3, 3, None, "HTTP 500".to_owned()),
            ]
        );
        Ok(())
    }
}
