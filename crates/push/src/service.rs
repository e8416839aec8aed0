//! The push use cases: creating a task (`/push/notify`), reading its counts
//! (`/push/task/detail`), and delivering it (the durable job [`TaskDelivery`]).

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::jobs::{HandOff, JobHandler, JobQueue, JobRunner, RetryPolicy};
use tidings_kernel::{AppId, Clock, DeviceSn, IdGenerator, Principal, UserId};

use futures_util::StreamExt as _;

use crate::model::{
    Audience, Channel, Kind, Notification, Notifier, Provider, Recipient, Strategy, Task,
    TaskDetail, TaskId,
};
use crate::offline::{MessagePush, OfflineMessage, notification};
use crate::ports::{
    LiveChannel, LivePush, OfflineAudience, Recipients, Sent, TaskRepository, VendorChannels,
    VendorPush,
};
use crate::receipts::Receipts;
use crate::{PushError, RepoError};

#[cfg(test)]
mod tests;

/// Text limits of a notification, in characters.
const MAX_TITLE: usize = 256;
const MAX_BODY: usize = 4_000;
const MAX_URL: usize = 2_048;
/// The most bytes of `ext`.
const MAX_EXT: usize = 4_096;
const MAX_REQUEST_ID: usize = 128;
/// The most task ids one `/push/task/detail` reads.
pub const MAX_DETAIL_IDS: usize = 100;
/// Devices delivered per page of a task.
const PAGE: i64 = 500;
/// Vendor requests of one delivery (a task's page, a wave of messages) in flight at once
/// (the vendor adapter bounds all of a node's together as well).
const VENDOR_IN_FLIGHT: usize = 64;

/// What `/push/notify` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyRequest {
    pub audience: Audience,
    pub strategy: Strategy,
    pub request_id: Option<String>,
    pub notification: Notification,
}

/// The delivery of one task: a durable job, queued with the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDelivery {
    pub app: AppId,
    pub task: TaskId,
}

/// A vendor push to one device, to try again: its vendor was unavailable. It belongs to a
/// task, or (`message` not 0, `task` 0) notifies of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorRetry {
    pub app: AppId,
    pub task: TaskId,
    pub message: i64,
    pub user: UserId,
    pub device: DeviceSn,
}

/// The durable queue of messages to notify offline receivers of (filled by the store in
/// the send transaction).
pub trait MessagePushQueue: JobQueue<MessagePush, Error = RepoError> {}

impl<T: JobQueue<MessagePush, Error = RepoError> + ?Sized> MessagePushQueue for T {}

/// The durable queue of vendor pushes to try again (filled with each page's progress).
pub trait RetryQueue: JobQueue<VendorRetry, Error = RepoError> {}

impl<T: JobQueue<VendorRetry, Error = RepoError> + ?Sized> RetryQueue for T {}

/// The durable queue of task deliveries (filled by the store with each task).
pub trait DeliveryQueue: JobQueue<TaskDelivery, Error = RepoError> {}

impl<T: JobQueue<TaskDelivery, Error = RepoError> + ?Sized> DeliveryQueue for T {}

/// What the push use cases need.
#[derive(Clone)]
pub struct PushDeps {
    pub tasks: Arc<dyn TaskRepository>,
    pub recipients: Arc<dyn Recipients>,
    pub live: Arc<dyn LiveChannel>,
    pub vendors: Arc<dyn VendorChannels>,
    pub offline: Arc<dyn OfflineAudience>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
}

/// The push use cases.
#[derive(Clone)]
pub struct Push {
    deps: PushDeps,
    receipts: Arc<Receipts>,
}

impl Push {
    pub fn new(deps: PushDeps) -> Self {
        Self {
            deps,
            receipts: Arc::default(),
        }
    }

    /// Creates a push task and queues its delivery: the task's id. A request id the app used
    /// before answers that task's id, and nothing more is sent.
    ///
    /// # Errors
    /// [`PushError::NoPermission`] for a user token; [`PushError::AudienceTooLarge`],
    /// [`PushError::InvalidInput`] and the image errors for a bad request;
    /// [`PushError::NotEnabled`] for `ospush_only` when the app has no vendor credentials.
    pub async fn notify(
        &self,
        principal: &Principal,
        request: NotifyRequest,
    ) -> Result<TaskId, PushError> {
        admin_only(principal)?;
        let audience = request.audience.checked()?;
        check_notification(&request.notification)?;
        let request_id = match request.request_id.map(|r| r.trim().to_owned()) {
            Some(r) if r.chars().count() > MAX_REQUEST_ID => {
                return Err(PushError::invalid(format!(
                    "request_id may be at most {MAX_REQUEST_ID} characters"
                )));
            }
            Some(r) if !r.is_empty() => Some(r),
            _ => None,
        };
        if request.strategy == Strategy::OspushOnly
            && self
                .deps
                .vendors
                .notifiers(&principal.app)
                .await?
                .is_empty()
        {
            return Err(PushError::NotEnabled(
                "the app has no vendor push credentials (APNs, FCM): configure them with \
                 `tidings app update`, or use combined or mxpush_only"
                    .into(),
            ));
        }
        let now = self.deps.clock.now();
        let task = Task {
            id: TaskId(self.deps.ids.next_id()),
            app: principal.app.clone(),
            request_id,
            audience,
            strategy: request.strategy,
            notification: request.notification,
            created_at: now,
        };
        let due = task
            .notification
            .show_begin
            .filter(|begin| *begin > now)
            .unwrap_or(now);
        let earlier = self.deps.tasks.create(&task, due).await?;
        Ok(earlier.unwrap_or(task.id))
    }

    /// The counts of the app's tasks among `ids`, in their order (ids of no task of the app
    /// are left out).
    ///
    /// # Errors
    /// [`PushError::NoPermission`] for a user token; [`PushError::InvalidInput`] for no ids
    /// or more than [`MAX_DETAIL_IDS`].
    pub async fn task_details(
        &self,
        principal: &Principal,
        ids: Vec<i64>,
    ) -> Result<Vec<TaskDetail>, PushError> {
        admin_only(principal)?;
        if ids.is_empty() || ids.len() > MAX_DETAIL_IDS {
            return Err(PushError::invalid(format!(
                "list must hold 1 to {MAX_DETAIL_IDS} task ids"
            )));
        }
        let ids: Vec<TaskId> = ids.into_iter().map(TaskId).collect();
        Ok(self.deps.tasks.details(&principal.app, &ids).await?)
    }

    /// What the app has configured for the provider numbered `provider` (1 APNs, 7 FCM):
    /// names and ids, never a key.
    ///
    /// # Errors
    /// [`PushError::NoPermission`] for a user token; [`PushError::InvalidInput`] for another
    /// number.
    pub async fn certificate(
        &self,
        principal: &Principal,
        provider: i64,
    ) -> Result<Option<Notifier>, PushError> {
        admin_only(principal)?;
        let provider = Provider::from_code(provider).ok_or_else(|| {
            PushError::invalid(
                "provider must be 1 (APNs), 7 (FCM) or 8 (Web Push); 2–6 are not served",
            )
        })?;
        let notifiers = self.deps.vendors.notifiers(&principal.app).await?;
        Ok(notifiers.into_iter().find(|n| n.provider == provider))
    }

    /// Adds the pushes written to connections since the last call to their tasks'
    /// `mxpush_received` counts (what cannot be added now is kept for the next call).
    ///
    /// # Errors
    /// [`PushError::Unknown`] when the store cannot be written.
    pub async fn flush_receipts(&self) -> Result<(), PushError> {
        let mut failure = None;
        for (app, task, n) in self.receipts.take() {
            let mut added = TaskDetail::new(task);
            added.on_mut(Channel::Mxpush).received = n;
            if let Err(e) = self.deps.tasks.progress(&app, &added, None, &[]).await {
                self.receipts.add(app, task, n);
                failure = Some(e);
            }
        }
        failure.map_or(Ok(()), |e| Err(e.into()))
    }

    /// The runner of the queue of vendor pushes to try again.
    pub fn retries(&self, queue: Arc<dyn RetryQueue>, policy: RetryPolicy) -> Retries {
        let handler: Arc<dyn JobHandler<VendorRetry>> = Arc::new(self.clone());
        Retries {
            runner: JobRunner::new(queue, handler, self.deps.clock.clone(), policy),
        }
    }

    /// The runner of the queue of messages to notify offline receivers of, and of the
    /// messages handed over in `handoff` by the store that queued them (made with the same
    /// `policy`).
    pub fn message_pushes(
        &self,
        queue: Arc<dyn MessagePushQueue>,
        policy: RetryPolicy,
        handoff: Arc<HandOff<MessagePush>>,
    ) -> MessagePushes {
        let handler: Arc<dyn JobHandler<MessagePush>> = Arc::new(self.clone());
        MessagePushes {
            runner: JobRunner::new(queue, handler, self.deps.clock.clone(), policy),
            handoff,
        }
    }

    /// Notifies the receivers of a wave of messages of one app on their devices without a
    /// connection (see [`crate::offline`]); devices whose vendor is unavailable are queued to
    /// try again. The wave is read and sent together: one read of the messages, their
    /// receivers and the app's notifiers, then every push at once.
    async fn push_messages(&self, app: &AppId, ids: &[i64]) -> Result<(), RepoError> {
        let notifiers = self.deps.vendors.notifiers(app).await?;
        if notifiers.is_empty() {
            return Ok(());
        }
        let messages = self.deps.offline.offline_messages(app, ids).await?;
        let sends: Vec<VendorSend> = messages
            .iter()
            .flat_map(|m| self.message_sends(app, m, &notifiers, None))
            .collect();
        // Once the pushes are out, a failure of what follows must not fail the wave (its
        // jobs would run again and notify everyone twice): settling is logged, and the
        // retries are queued whatever happened to the others.
        let mut retries = Vec::new();
        for (send, sent) in self.send_all(app, sends).await {
            if let Err(e) = self.settle(app, &send, &sent).await {
                tracing::warn!(app = %app, error = %format!("{:#}", e.0),
                    "the outcome of a vendor push was not recorded");
            }
            if let Sent::Unavailable(_) = sent {
                retries.push(VendorRetry {
                    app: app.clone(),
                    task: TaskId(0),
                    message: send.message,
                    user: send.user,
                    device: send.device,
                });
            }
        }
        if !retries.is_empty() {
            self.deps.offline.retry_later(&retries).await?;
        }
        Ok(())
    }

    /// The vendor pushes a message makes: one per device of a receiver the rules let through
    /// (only `only`'s device, with it) that has no connection and a vendor token of one of
    /// `notifiers`.
    fn message_sends(
        &self,
        app: &AppId,
        m: &OfflineMessage,
        notifiers: &[Notifier],
        only: Option<(UserId, DeviceSn)>,
    ) -> Vec<VendorSend> {
        let hour = (self.deps.clock.now().0 / 3_600_000).rem_euclid(24);
        let mut sends = Vec::new();
        for r in &m.receivers {
            if only.is_some_and(|(user, _)| user != r.user) {
                continue;
            }
            let Some(preview) = notification(m, r, hour) else {
                continue;
            };
            let sound = preview.sound;
            let ext = match &m.group {
                Some((group, _)) => format!(
                    r#"{{"msg_id":{},"from":{},"group_id":{group}}}"#,
                    m.id, m.from.0
                ),
                None => format!(r#"{{"msg_id":{},"from":{}}}"#, m.id, m.from.0),
            };
            let shown = Arc::new(Notification {
                kind: Kind::Text,
                title: preview.title,
                body: preview.body,
                big_text: String::new(),
                attachment_url: String::new(),
                badge: crate::model::Badge::Set(r.unread),
                ext,
                show_begin: None,
                show_end: None,
            });
            for (device, vendor) in &r.devices {
                if only.is_some_and(|(_, d)| d != *device)
                    || self.deps.live.is_connected(app, r.user, *device)
                {
                    continue;
                }
                let Some(notifier) = notifiers.iter().find(|n| n.name == vendor.notifier) else {
                    continue;
                };
                sends.push(VendorSend {
                    message: m.id,
                    user: r.user,
                    device: *device,
                    notifier: notifier.clone(),
                    token: vendor.token.clone(),
                    push: VendorPush {
                        task: TaskId(0),
                        notification: shown.clone(),
                        badge: r.unread,
                        sound,
                    },
                });
            }
        }
        sends
    }

    /// Sends the pushes through their vendors, [`VENDOR_IN_FLIGHT`] at a time: each with what
    /// its vendor made of it.
    async fn send_all(&self, app: &AppId, sends: Vec<VendorSend>) -> Vec<(VendorSend, Sent)> {
        futures_util::stream::iter(sends)
            .map(|send| {
                let (vendors, app) = (self.deps.vendors.clone(), app.clone());
                async move {
                    let sent = vendors
                        .send(&app, &send.notifier, &send.token, &send.push)
                        .await;
                    (send, sent)
                }
            })
            .buffer_unordered(VENDOR_IN_FLIGHT)
            .collect()
            .await
    }

    /// What every outcome of a vendor push entails, whoever sent it: a dead token is
    /// forgotten, a refusal for good is logged. (Counting and retrying are the sender's.)
    async fn settle(&self, app: &AppId, send: &VendorSend, sent: &Sent) -> Result<(), RepoError> {
        match sent {
            Sent::DeadToken => {
                self.deps
                    .recipients
                    .forget_vendor_token(app, send.user, send.device, &send.token)
                    .await
            }
            Sent::Failed(why) => {
                tracing::warn!(
                    task = send.push.task.0,
                    channel = send.notifier.provider.channel().name(),
                    error = %why,
                    "a vendor push was not taken"
                );
                Ok(())
            }
            Sent::Accepted | Sent::Unavailable(_) => Ok(()),
        }
    }

    /// Tries a vendor push again (its vendor was unavailable): to the device's token as it is
    /// now, with the user's badge as it is now. `Err` while the vendor is still unavailable
    /// (the job runner waits longer each time).
    async fn retry_vendor(&self, job: &VendorRetry) -> Result<(), String> {
        let repo = |e: RepoError| format!("{:#}", e.0);
        if job.message != 0 {
            return self.retry_message(job).await;
        }
        let Some((task, _)) = self
            .deps
            .tasks
            .find(&job.app, job.task)
            .await
            .map_err(repo)?
        else {
            return Ok(());
        };
        if task
            .notification
            .show_end
            .is_some_and(|end| end <= self.deps.clock.now())
        {
            return Ok(());
        }
        let device = self.deps.recipients.device(&job.app, job.user, job.device);
        let Some(r) = device.await.map_err(repo)? else {
            return Ok(());
        };
        let notifiers = self.deps.vendors.notifiers(&job.app).await.map_err(repo)?;
        let Some((notifier, token)) = r.vendor.as_ref().and_then(|v| {
            notifiers
                .iter()
                .find(|n| n.name == v.notifier)
                .map(|n| (n.clone(), v.token.clone()))
        }) else {
            return Ok(());
        };
        let send = VendorSend {
            message: 0,
            user: job.user,
            device: job.device,
            notifier,
            token,
            push: VendorPush {
                task: task.id,
                notification: Arc::new(task.notification.clone()),
                badge: r.badge,
                sound: true,
            },
        };
        for (send, sent) in self.send_all(&job.app, vec![send]).await {
            self.settle(&job.app, &send, &sent).await.map_err(repo)?;
            match sent {
                Sent::Accepted => {
                    let mut added = TaskDetail::new(task.id);
                    added.on_mut(send.notifier.provider.channel()).received = 1;
                    let progress = self.deps.tasks.progress(&job.app, &added, None, &[]);
                    progress.await.map_err(repo)?;
                }
                Sent::Unavailable(why) => return Err(why),
                Sent::DeadToken | Sent::Failed(_) => {}
            }
        }
        Ok(())
    }

    /// Tries a message's vendor push to one device again, if the rules still let it through.
    async fn retry_message(&self, job: &VendorRetry) -> Result<(), String> {
        let repo = |e: RepoError| format!("{:#}", e.0);
        let ids = [job.message];
        let found = self.deps.offline.offline_messages(&job.app, &ids);
        let Some(m) = found.await.map_err(repo)?.pop() else {
            return Ok(());
        };
        let notifiers = self.deps.vendors.notifiers(&job.app).await.map_err(repo)?;
        let sends = self.message_sends(&job.app, &m, &notifiers, Some((job.user, job.device)));
        for (send, sent) in self.send_all(&job.app, sends).await {
            self.settle(&job.app, &send, &sent).await.map_err(repo)?;
            if let Sent::Unavailable(why) = sent {
                return Err(why);
            }
        }
        Ok(())
    }

    /// The runner of the delivery queue.
    pub fn deliveries(&self, queue: Arc<dyn DeliveryQueue>, policy: RetryPolicy) -> Deliveries {
        let handler: Arc<dyn JobHandler<TaskDelivery>> = Arc::new(self.clone());
        Deliveries {
            runner: JobRunner::new(queue, handler, self.deps.clock.clone(), policy),
        }
    }

    /// Delivers a task from where its delivery stands, a page of devices at a time; each
    /// page's counts and the task's new position are stored together, so a retry resumes
    /// after the last whole page.
    async fn deliver(&self, job: &TaskDelivery) -> Result<(), RepoError> {
        let Some((task, mut cursor)) = self.deps.tasks.find(&job.app, job.task).await? else {
            return Ok(());
        };
        let now = self.deps.clock.now();
        if task.notification.show_end.is_some_and(|end| end <= now) {
            tracing::debug!(
                task = task.id.0,
                "push task past its show_end_time: not sent"
            );
            return Ok(());
        }
        let notification = Arc::new(task.notification.clone());
        let notifiers = if task.strategy == Strategy::MxpushOnly {
            Vec::new()
        } else {
            self.deps.vendors.notifiers(&task.app).await?
        };
        // The badge given to the last user of the previous page (a user's devices may span
        // two pages; the badge changes once per task).
        let mut last_badge: Option<(UserId, i64)> = None;
        loop {
            let page = self
                .deps
                .recipients
                .page(&task.app, &task.audience, cursor, PAGE)
                .await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            cursor = Some((last.user, last.device));
            let routed: Vec<(&Recipient, Route<'_>)> = page
                .iter()
                .filter_map(|r| self.route(&task, &notifiers, r).map(|route| (r, route)))
                .collect();
            // Each routed user's badge with this push, changed once per task: pages are
            // ordered by user, so a user's devices follow one another, across pages too.
            let mut changed: Vec<(UserId, i64)> = Vec::new();
            let mut badged = Vec::with_capacity(routed.len());
            for (r, route) in routed {
                let badge = match last_badge {
                    Some((user, badge)) if user == r.user => badge,
                    _ => {
                        let badge = if task.notification.kind == Kind::Cmd {
                            r.badge
                        } else {
                            task.notification.badge.apply(r.badge)
                        };
                        if badge != r.badge {
                            changed.push((r.user, badge));
                        }
                        last_badge = Some((r.user, badge));
                        badge
                    }
                };
                badged.push((r, route, badge));
            }
            if !changed.is_empty() {
                self.deps.recipients.set_badges(&task.app, &changed).await?;
            }
            let mut added = TaskDetail::new(task.id);
            let mut vendor_sends = Vec::new();
            for (r, route, badge) in badged {
                match route {
                    Route::Live => {
                        let mxpush = added.on_mut(Channel::Mxpush);
                        mxpush.target += 1;
                        let push = LivePush {
                            task: task.id,
                            notification: notification.clone(),
                            badge,
                            receipt: self.receipts.receipt(&task.app, task.id),
                        };
                        if self.deps.live.deliver(&task.app, r.user, r.device, push) > 0 {
                            mxpush.sent += 1;
                        }
                    }
                    Route::Vendor(notifier, token) => {
                        added.on_mut(notifier.provider.channel()).target += 1;
                        vendor_sends.push(VendorSend {
                            message: 0,
                            user: r.user,
                            device: r.device,
                            notifier: notifier.clone(),
                            token: token.to_owned(),
                            push: VendorPush {
                                task: task.id,
                                notification: notification.clone(),
                                badge,
                                sound: true,
                            },
                        });
                    }
                }
            }
            let mut retries = Vec::new();
            for (send, sent) in self.send_all(&task.app, vendor_sends).await {
                self.settle(&task.app, &send, &sent).await?;
                let counts = added.on_mut(send.notifier.provider.channel());
                counts.sent += 1;
                match sent {
                    Sent::Accepted => counts.received += 1,
                    Sent::Unavailable(_) => retries.push((send.user, send.device)),
                    Sent::DeadToken | Sent::Failed(_) => {}
                }
            }
            self.deps
                .tasks
                .progress(&task.app, &added, Some(cursor), &retries)
                .await?;
            if (page.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }

    /// How a task reaches one device, if at all: its own connection where the strategy
    /// allows and one is open, else its vendor where the strategy allows and the device's
    /// token names one of the app's notifiers.
    fn route<'a>(
        &self,
        task: &Task,
        notifiers: &'a [Notifier],
        r: &'a Recipient,
    ) -> Option<Route<'a>> {
        if task.strategy != Strategy::OspushOnly
            && self.deps.live.is_connected(&task.app, r.user, r.device)
        {
            return Some(Route::Live);
        }
        if task.strategy == Strategy::MxpushOnly {
            return None;
        }
        let vendor = r.vendor.as_ref()?;
        let notifier = notifiers.iter().find(|n| n.name == vendor.notifier)?;
        Some(Route::Vendor(notifier, &vendor.token))
    }
}

/// One push to one device through its vendor.
struct VendorSend {
    /// The message it notifies of (0 for a task's push).
    message: i64,
    user: UserId,
    device: DeviceSn,
    notifier: Notifier,
    token: String,
    push: VendorPush,
}

/// How a task reaches one device.
#[derive(Clone, Copy)]
enum Route<'a> {
    Live,
    Vendor(&'a Notifier, &'a str),
}

#[async_trait]
impl JobHandler<TaskDelivery> for Push {
    async fn handle(&self, job: &TaskDelivery) -> Result<(), String> {
        self.deliver(job).await.map_err(|e| format!("{:#}", e.0))
    }
}

#[async_trait]
impl JobHandler<MessagePush> for Push {
    async fn handle(&self, job: &MessagePush) -> Result<(), String> {
        self.push_messages(&job.app, &[job.message])
            .await
            .map_err(|e| format!("{:#}", e.0))
    }

    /// The wave's messages, an app at a time: each app's are read and sent together (a
    /// failure fails that app's jobs only).
    async fn handle_all(&self, jobs: &[&MessagePush]) -> Vec<Result<(), String>> {
        let mut outcomes: Vec<Result<(), String>> = vec![Ok(()); jobs.len()];
        let mut apps: Vec<&AppId> = jobs.iter().map(|j| &j.app).collect();
        apps.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        apps.dedup();
        // The apps side by side: one app's slow vendor does not hold up the others.
        let waves = apps.into_iter().map(|app| async move {
            let of_app: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].app == *app).collect();
            let ids: Vec<i64> = of_app.iter().map(|&i| jobs[i].message).collect();
            (of_app, self.push_messages(app, &ids).await)
        });
        for (of_app, result) in futures_util::future::join_all(waves).await {
            if let Err(e) = result {
                let error = format!("{:#}", e.0);
                for i in of_app {
                    outcomes[i] = Err(error.clone());
                }
            }
        }
        outcomes
    }
}

/// Works the queue of messages to notify offline receivers of.
#[derive(Clone)]
pub struct MessagePushes {
    runner: JobRunner<MessagePush, dyn MessagePushQueue, dyn JobHandler<MessagePush>>,
    handoff: Arc<HandOff<MessagePush>>,
}

impl MessagePushes {
    /// Leases the due messages and works them: how many were taken.
    ///
    /// # Errors
    /// [`RepoError`] when the queue cannot be read or updated.
    pub async fn run_once(&self) -> Result<usize, RepoError> {
        self.runner.run_once().await
    }

    /// Waits for messages handed over by the store that queued them, and works them: how
    /// many were worked.
    ///
    /// # Errors
    /// [`RepoError`] when an outcome cannot be recorded.
    pub async fn run_handed(&self) -> Result<usize, RepoError> {
        self.runner.run_handed(&self.handoff).await
    }
}

#[async_trait]
impl JobHandler<VendorRetry> for Push {
    async fn handle(&self, job: &VendorRetry) -> Result<(), String> {
        self.retry_vendor(job).await
    }
}

/// Works the queue of vendor pushes to try again.
#[derive(Clone)]
pub struct Retries {
    runner: JobRunner<VendorRetry, dyn RetryQueue, dyn JobHandler<VendorRetry>>,
}

impl Retries {
    /// Leases the due retries and works them: how many were taken.
    ///
    /// # Errors
    /// [`RepoError`] when the queue cannot be read or updated.
    pub async fn run_once(&self) -> Result<usize, RepoError> {
        self.runner.run_once().await
    }
}

/// Works the delivery queue.
#[derive(Clone)]
pub struct Deliveries {
    runner: JobRunner<TaskDelivery, dyn DeliveryQueue, dyn JobHandler<TaskDelivery>>,
}

impl Deliveries {
    /// Leases the due deliveries and works them: how many were taken.
    ///
    /// # Errors
    /// [`RepoError`] when the queue cannot be read or updated.
    pub async fn run_once(&self) -> Result<usize, RepoError> {
        self.runner.run_once().await
    }
}

fn admin_only(principal: &Principal) -> Result<(), PushError> {
    if principal.is_admin() {
        Ok(())
    } else {
        Err(PushError::NoPermission(
            "push tasks need the app's admin token".into(),
        ))
    }
}

fn check_notification(n: &Notification) -> Result<(), PushError> {
    let chars = |s: &str| s.chars().count();
    if chars(&n.title) > MAX_TITLE {
        return Err(PushError::invalid(format!(
            "title may be at most {MAX_TITLE} characters"
        )));
    }
    if chars(&n.body) > MAX_BODY || chars(&n.big_text) > MAX_BODY {
        return Err(PushError::invalid(format!(
            "body and big_text may be at most {MAX_BODY} characters each"
        )));
    }
    if n.ext.len() > MAX_EXT {
        return Err(PushError::invalid(format!(
            "ext may be at most {MAX_EXT} bytes"
        )));
    }
    if let (Some(begin), Some(end)) = (n.show_begin, n.show_end)
        && end <= begin
    {
        return Err(PushError::invalid(
            "show_end_time must be after show_begin_time",
        ));
    }
    let url = n.attachment_url.trim();
    if url.is_empty() {
        return if n.kind == Kind::Image {
            Err(PushError::ImageMissing)
        } else {
            Ok(())
        };
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    if url.len() > MAX_URL || rest.is_none_or(|r| r.is_empty() || r.contains(char::is_whitespace)) {
        return Err(PushError::ImageUrl);
    }
    if n.kind == Kind::Image {
        let path = lower.split(['?', '#']).next().unwrap_or_default();
        if ![".jpg", ".jpeg", ".png"]
            .iter()
            .any(|ext| path.ends_with(ext))
        {
            return Err(PushError::ImageType);
        }
    }
    Ok(())
}
