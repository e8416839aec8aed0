//! This node's connections: who is connected on which device, each with a bounded queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use tidings_kernel::{AppId, DeviceSn, UserId};
use tokio::sync::{Notify, mpsc};

use crate::Event;

/// Why the server closes a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// `/user/kick`, device removal, a password change, a ban or the user's deletion.
    Kicked,
    /// Its queue was full: it fell behind, and catches up by sync after reconnecting.
    SlowConsumer,
}

/// What a connection waits for next.
#[derive(Debug)]
pub enum Next {
    Event(Event),
    Close(CloseReason),
}

const OPEN: u8 = 0;
const KICKED: u8 = 1;
const SLOW: u8 = 2;

/// Tells one connection to close, once, with the first reason given.
#[derive(Default)]
struct Closer {
    reason: AtomicU8,
    notify: Notify,
}

impl Closer {
    fn close(&self, reason: CloseReason) {
        let code = match reason {
            CloseReason::Kicked => KICKED,
            CloseReason::SlowConsumer => SLOW,
        };
        if self
            .reason
            .compare_exchange(OPEN, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            // A stored permit: the connection sees it even if it is not waiting now.
            self.notify.notify_one();
        }
    }

    async fn closed(&self) -> CloseReason {
        loop {
            match self.reason.load(Ordering::Acquire) {
                KICKED => return CloseReason::Kicked,
                SLOW => return CloseReason::SlowConsumer,
                _ => self.notify.notified().await,
            }
        }
    }
}

struct Link {
    id: u64,
    device: DeviceSn,
    queue: mpsc::Sender<Event>,
    /// The weight ([`Event::weight`]) of the events queued and not yet taken.
    queued_bytes: Arc<AtomicUsize>,
    closer: Arc<Closer>,
}

enum Enqueued {
    Yes,
    /// Over the queue's events or bytes.
    Full,
    /// The connection has ended.
    Gone,
}

impl Link {
    fn enqueue(&self, event: &Event, max_bytes: usize) -> Enqueued {
        let weight = event.weight();
        if self.queued_bytes.fetch_add(weight, Ordering::AcqRel) + weight > max_bytes {
            self.queued_bytes.fetch_sub(weight, Ordering::AcqRel);
            return Enqueued::Full;
        }
        match self.queue.try_send(event.clone()) {
            Ok(()) => Enqueued::Yes,
            Err(e) => {
                self.queued_bytes.fetch_sub(weight, Ordering::AcqRel);
                match e {
                    mpsc::error::TrySendError::Full(_) => Enqueued::Full,
                    mpsc::error::TrySendError::Closed(_) => Enqueued::Gone,
                }
            }
        }
    }
}

type Key = (AppId, UserId);
type Shard = RwLock<HashMap<Key, Vec<Link>>>;

const SHARDS: usize = 64;

/// The event weight one connection may have queued by default: 4 MiB.
pub const DEFAULT_QUEUE_BYTES: usize = 4 << 20;

/// The registry of this node's connections. Dispatching an event never blocks: each
/// connection has a bounded queue, and one that is full is closed instead of waited for.
pub struct Hub {
    shards: Vec<Shard>,
    capacity: usize,
    max_bytes: usize,
    next_id: AtomicU64,
    count: AtomicUsize,
}

impl Hub {
    /// A hub whose connections queue at most `capacity` events each, and at most
    /// [`DEFAULT_QUEUE_BYTES`] of them.
    pub fn new(capacity: usize) -> Arc<Self> {
        Self::with_limits(capacity, DEFAULT_QUEUE_BYTES)
    }

    /// A hub whose connections queue at most `capacity` events and `max_bytes` of event
    /// weight ([`Event::weight`]) each; a connection over either is closed as a slow
    /// consumer.
    pub fn with_limits(capacity: usize, max_bytes: usize) -> Arc<Self> {
        Arc::new(Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            next_id: AtomicU64::new(1),
            count: AtomicUsize::new(0),
        })
    }

    fn shard(&self, user: UserId) -> &Shard {
        // Snowflake ids keep their low bits busy; a multiplicative mix spreads the rest.
        let mixed = (user.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
        &self.shards[mixed as usize % SHARDS]
    }

    /// Registers a connection of `user` on `device`; it is unregistered when dropped.
    pub fn connect(self: &Arc<Self>, app: AppId, user: UserId, device: DeviceSn) -> Connection {
        let (queue, events) = mpsc::channel(self.capacity);
        let closer = Arc::new(Closer::default());
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let link = Link {
            id,
            device,
            queue,
            queued_bytes: queued_bytes.clone(),
            closer: closer.clone(),
        };
        self.shard(user)
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((app.clone(), user))
            .or_default()
            .push(link);
        self.count.fetch_add(1, Ordering::Relaxed);
        Connection {
            id,
            app,
            user,
            device,
            events,
            queued_bytes,
            closer,
            hub: self.clone(),
        }
    }

    /// How many connections the user has on this node.
    pub fn connections_of(&self, app: &AppId, user: UserId) -> usize {
        self.shard(user)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(app.clone(), user))
            .map_or(0, Vec::len)
    }

    /// Hands `event` to every connection of the user on this node (a kick closes the
    /// matching ones instead). Never waits: a connection whose queue is full is closed as a
    /// slow consumer.
    pub fn dispatch(&self, app: &AppId, user: UserId, event: Event) {
        self.dispatch_to(app, user, None, event);
    }

    /// Hands `event` to the user's connections on `device` only, as [`Self::dispatch`] does:
    /// how many took it.
    pub fn dispatch_to_device(
        &self,
        app: &AppId,
        user: UserId,
        device: DeviceSn,
        event: Event,
    ) -> usize {
        self.dispatch_to(app, user, Some(device), event)
    }

    /// Whether the user has a connection open on `device` on this node.
    pub fn is_connected(&self, app: &AppId, user: UserId, device: DeviceSn) -> bool {
        self.shard(user)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(app.clone(), user))
            .is_some_and(|links| links.iter().any(|l| l.device == device))
    }

    fn dispatch_to(
        &self,
        app: &AppId,
        user: UserId,
        only: Option<DeviceSn>,
        event: Event,
    ) -> usize {
        let key = (app.clone(), user);
        let mut gone = Vec::new();
        let mut taken = 0;
        {
            let shard = self
                .shard(user)
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let Some(links) = shard.get(&key) else {
                return 0;
            };
            for link in links.iter().filter(|l| only.is_none_or(|d| d == l.device)) {
                if let Event::Kick { device } = &event {
                    if device.is_none_or(|d| d == link.device) {
                        link.closer.close(CloseReason::Kicked);
                        gone.push(link.id);
                    }
                    continue;
                }
                match link.enqueue(&event, self.max_bytes) {
                    Enqueued::Yes => taken += 1,
                    Enqueued::Full => {
                        tracing::debug!(user = user.0, "closing a connection that fell behind");
                        link.closer.close(CloseReason::SlowConsumer);
                        gone.push(link.id);
                    }
                    Enqueued::Gone => gone.push(link.id),
                }
            }
        }
        for id in gone {
            self.remove(&key, id);
        }
        taken
    }

    /// Whether at least one device of the user is connected to this node.
    pub fn is_online(&self, app: &AppId, user: UserId) -> bool {
        self.shard(user)
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(app.clone(), user))
            .is_some_and(|links| !links.is_empty())
    }

    /// How many connections this node holds.
    pub fn connections(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    fn remove(&self, key: &Key, id: u64) {
        let mut shard = self
            .shard(key.1)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(links) = shard.get_mut(key) {
            let before = links.len();
            links.retain(|l| l.id != id);
            if links.len() < before {
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            if links.is_empty() {
                shard.remove(key);
            }
        }
    }
}

/// One registered connection: its queue of events and its close signal.
pub struct Connection {
    pub id: u64,
    pub app: AppId,
    pub user: UserId,
    pub device: DeviceSn,
    events: mpsc::Receiver<Event>,
    queued_bytes: Arc<AtomicUsize>,
    closer: Arc<Closer>,
    hub: Arc<Hub>,
}

impl Connection {
    /// Resolves when the hub tells this connection to close.
    pub async fn closed(&self) -> CloseReason {
        self.closer.closed().await
    }

    /// The next event, or the reason to close (which wins over queued events).
    pub async fn next(&mut self) -> Next {
        tokio::select! {
            biased;
            reason = self.closer.closed() => Next::Close(reason),
            event = self.events.recv() => match event {
                Some(event) => {
                    self.queued_bytes.fetch_sub(event.weight(), Ordering::AcqRel);
                    Next::Event(event)
                }
                // Unreachable while registered: the hub holds the sender.
                None => Next::Close(CloseReason::SlowConsumer),
            },
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.hub.remove(&(self.app.clone(), self.user), self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppId {
        AppId::parse("app").unwrap_or_else(|_| unreachable!())
    }

    fn read(n: i64) -> Event {
        Event::Read {
            reader: UserId(n),
            conversation: 1,
            message: n,
        }
    }

    async fn next_read(c: &mut Connection) -> Option<i64> {
        match c.next().await {
            Next::Event(Event::Read { message, .. }) => Some(message),
            _ => None,
        }
    }

    #[tokio::test]
    async fn every_device_of_the_user_gets_each_event_in_order() {
        let hub = Hub::new(8);
        let mut phone = hub.connect(app(), UserId(1), DeviceSn(1));
        let mut laptop = hub.connect(app(), UserId(1), DeviceSn(2));
        let other = hub.connect(app(), UserId(2), DeviceSn(1));
        hub.dispatch(&app(), UserId(1), read(1));
        hub.dispatch(&app(), UserId(1), read(2));
        for c in [&mut phone, &mut laptop] {
            assert_eq!(next_read(c).await, Some(1));
            assert_eq!(next_read(c).await, Some(2));
        }
        assert!(hub.is_online(&app(), UserId(2)));
        drop(other);
        assert!(!hub.is_online(&app(), UserId(2)));
        assert_eq!(hub.connections(), 2);
    }

    #[tokio::test]
    async fn an_event_for_one_device_reaches_only_its_connections() {
        let hub = Hub::new(8);
        let mut phone = hub.connect(app(), UserId(1), DeviceSn(1));
        let mut laptop = hub.connect(app(), UserId(1), DeviceSn(2));
        assert!(hub.is_connected(&app(), UserId(1), DeviceSn(2)));
        assert!(!hub.is_connected(&app(), UserId(1), DeviceSn(3)));
        assert_eq!(
            hub.dispatch_to_device(&app(), UserId(1), DeviceSn(2), read(1)),
            1
        );
        assert_eq!(
            hub.dispatch_to_device(&app(), UserId(1), DeviceSn(3), read(2)),
            0
        );
        assert_eq!(
            hub.dispatch_to_device(&app(), UserId(9), DeviceSn(1), read(3)),
            0
        );
        hub.dispatch(&app(), UserId(1), read(4));
        assert_eq!(next_read(&mut laptop).await, Some(1));
        assert_eq!(next_read(&mut laptop).await, Some(4));
        assert_eq!(next_read(&mut phone).await, Some(4));
    }

    #[tokio::test]
    async fn apps_are_apart() {
        let hub = Hub::new(8);
        let other_app = AppId::parse("other").unwrap_or_else(|_| unreachable!());
        let _c = hub.connect(app(), UserId(1), DeviceSn(1));
        assert!(!hub.is_online(&other_app, UserId(1)));
        hub.dispatch(&other_app, UserId(1), Event::Kick { device: None });
        assert!(hub.is_online(&app(), UserId(1)));
    }

    #[tokio::test]
    async fn a_queue_over_its_bytes_closes_the_connection_and_taking_events_frees_them() {
        use tidings_messaging::model::{ContentType, Message, Target};
        let message = |kb: usize| Event::Message {
            message: Arc::new(Message {
                id: 1,
                from: UserId(2),
                to: Target::User(UserId(1)),
                content_type: ContentType::Text,
                content: "x".repeat(kb << 10),
                attachment: String::new(),
                config: String::new(),
                ext: String::new(),
                related: 0,
                system: false,
                recalled: false,
                created_at: tidings_kernel::Timestamp(0),
            }),
            position: 1,
            conversation: 2,
        };
        let hub = Hub::with_limits(1000, 100 << 10);
        let mut reader = hub.connect(app(), UserId(1), DeviceSn(1));
        let stalled = hub.connect(app(), UserId(1), DeviceSn(2));
        for _ in 0..3 {
            hub.dispatch(&app(), UserId(1), message(30));
            assert!(matches!(reader.next().await, Next::Event(_)));
        }
        // 3 × 30 KiB queued for the stalled one; the fourth goes over 100 KiB.
        hub.dispatch(&app(), UserId(1), message(30));
        assert!(matches!(reader.next().await, Next::Event(_)));
        assert_eq!(stalled.closed().await, CloseReason::SlowConsumer);
        // The reader took each event: it is far from its limit.
        for _ in 0..3 {
            hub.dispatch(&app(), UserId(1), message(30));
            assert!(matches!(reader.next().await, Next::Event(_)));
        }
    }

    #[tokio::test]
    async fn a_full_queue_closes_the_connection_instead_of_blocking() {
        let hub = Hub::new(2);
        let mut slow = hub.connect(app(), UserId(1), DeviceSn(1));
        let mut fast = hub.connect(app(), UserId(1), DeviceSn(2));
        for n in 0..3 {
            hub.dispatch(&app(), UserId(1), read(n));
            if let Next::Event(_) = fast.next().await {
            } else {
                panic!("the fast connection keeps up");
            }
        }
        assert!(matches!(
            slow.next().await,
            Next::Close(CloseReason::SlowConsumer)
        ));
        assert_eq!(hub.connections(), 1);
        hub.dispatch(&app(), UserId(1), read(9));
        assert_eq!(next_read(&mut fast).await, Some(9));
    }

    #[tokio::test]
    async fn a_kick_closes_one_device_or_all() {
        let hub = Hub::new(8);
        let mut phone = hub.connect(app(), UserId(1), DeviceSn(1));
        let mut laptop = hub.connect(app(), UserId(1), DeviceSn(2));
        hub.dispatch(
            &app(),
            UserId(1),
            Event::Kick {
                device: Some(DeviceSn(2)),
            },
        );
        assert!(matches!(
            laptop.next().await,
            Next::Close(CloseReason::Kicked)
        ));
        hub.dispatch(&app(), UserId(1), read(1));
        assert_eq!(next_read(&mut phone).await, Some(1));
        hub.dispatch(&app(), UserId(1), Event::Kick { device: None });
        assert!(matches!(
            phone.next().await,
            Next::Close(CloseReason::Kicked)
        ));
        assert!(!hub.is_online(&app(), UserId(1)));
    }
}
