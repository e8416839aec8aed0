//! Group commit against a mockall store: sends queued while a batch runs share the next
//! one, and a failing batch is retried one send at a time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, mpsc as std_mpsc};
use std::time::Duration;

use tidings_kernel::AppId;

use super::*;
use crate::ports::MockMessageStore;

fn app(name: &str) -> AppId {
    AppId::parse(name).unwrap_or_else(|_| unreachable!())
}

fn settings(writers: usize) -> GroupCommitSettings {
    GroupCommitSettings {
        writers,
        max_batch: 100,
        queue: 100,
    }
}

/// Holds the store's first batch until the test opens it.
struct Gate {
    started: AtomicBool,
    open: StdMutex<std_mpsc::Receiver<()>>,
}

impl Gate {
    fn new() -> (Arc<Self>, std_mpsc::Sender<()>) {
        let (sender, receiver) = std_mpsc::channel();
        let gate = Self {
            started: AtomicBool::new(false),
            open: StdMutex::new(receiver),
        };
        (Arc::new(gate), sender)
    }

    /// Called by the store: blocks the writer (a runtime worker) until opened.
    fn hold(&self) {
        self.started.store(true, Ordering::SeqCst);
        let _ = self.open.lock().map(|open| open.recv());
    }

    async fn started(&self) {
        wait_for(|| self.started.load(Ordering::SeqCst)).await;
    }
}

async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("waited in vain");
}

/// Waits until `n` sends are queued.
async fn queued(store: &GroupCommit, n: usize) {
    let queue = &store.queue.sender;
    wait_for(|| queue.max_capacity() - queue.capacity() == n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_queued_while_a_batch_runs_share_the_next_transaction() {
    let sizes = Arc::new(StdMutex::new(Vec::new()));
    let (gate, open_gate) = Gate::new();
    let held = gate.clone();
    let mut inner = MockMessageStore::new();
    let seen = sizes.clone();
    inner.expect_append_batch().returning(move |batch| {
        let first = seen.lock().map(|mut s| {
            s.push(batch.len());
            s.len() == 1
        });
        if first.unwrap_or(false) {
            // The first batch holds the writer until the test has queued more sends.
            held.hold();
        }
        Ok(batch
            .iter()
            .map(|a| Appended::Duplicate(vec![a.dedup.map_or(0, |d| d.0)]))
            .collect())
    });
    let store = GroupCommit::new(Arc::new(inner), &settings(1));
    let send = |n: i64| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(&app("app"), &[], Some((n, tidings_kernel::Timestamp(0))))
                .await
        })
    };
    let first = send(0);
    gate.started().await;
    let later: Vec<_> = (1..=3).map(send).collect();
    queued(&store, 3).await;
    open_gate.send(()).unwrap_or_else(|_| unreachable!());
    assert_eq!(
        first.await.ok().and_then(Result::ok),
        Some(Appended::Duplicate(vec![0]))
    );
    for (n, handle) in (1..=3).zip(later) {
        // Each send gets its own outcome back.
        assert_eq!(
            handle.await.ok().and_then(Result::ok),
            Some(Appended::Duplicate(vec![n]))
        );
    }
    assert_eq!(*sizes.lock().unwrap_or_else(|_| unreachable!()), vec![1, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_is_retried_one_send_at_a_time() {
    let (gate, open_gate) = Gate::new();
    let held = gate.clone();
    let calls = Arc::new(StdMutex::new(0));
    let mut inner = MockMessageStore::new();
    let counted = calls.clone();
    inner.expect_append_batch().returning(move |batch| {
        let call = counted.lock().map(|mut c| {
            *c += 1;
            *c
        });
        if call.unwrap_or(0) == 1 {
            held.hold();
        }
        if batch.iter().any(|a| a.app.as_str() == "bad") {
            return Err(RepoError(anyhow::anyhow!("refused")));
        }
        Ok(vec![Appended::Stored(Vec::new()); batch.len()])
    });
    let store = GroupCommit::new(Arc::new(inner), &settings(1));
    let send = |name: &'static str| {
        let store = store.clone();
        tokio::spawn(async move { store.append(&app(name), &[], None).await })
    };
    let first = send("good");
    gate.started().await;
    let batch = [send("good"), send("bad"), send("good")];
    queued(&store, 3).await;
    open_gate.send(()).unwrap_or_else(|_| unreachable!());
    assert!(matches!(first.await, Ok(Ok(Appended::Stored(_)))));
    let [a, bad, b] = batch;
    assert!(matches!(a.await, Ok(Ok(Appended::Stored(_)))));
    assert!(matches!(bad.await, Ok(Err(_))));
    assert!(matches!(b.await, Ok(Ok(Appended::Stored(_)))));
    // The first send alone, the batch of three, then each of the three again.
    assert_eq!(*calls.lock().unwrap_or_else(|_| unreachable!()), 5);
}

#[tokio::test]
async fn every_other_method_goes_to_the_wrapped_store() {
    let mut inner = MockMessageStore::new();
    inner
        .expect_last_position()
        .returning(|_, user| Ok(user.0 * 10));
    let store = GroupCommit::new(Arc::new(inner), &settings(1));
    assert_eq!(
        store.last_position(&app("app"), UserId(4)).await.ok(),
        Some(40)
    );
}
