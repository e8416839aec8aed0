//! Outbound ports of the push domain. The diesel store implements [`TaskRepository`] and
//! [`Recipients`] on SQLite and PostgreSQL; the gateway implements [`LiveChannel`]. Every
//! method is scoped by app.

use std::sync::Arc;

use async_trait::async_trait;
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};

use crate::RepoError;
use crate::model::{
    Audience, Credential, Cursor, Notification, Notifier, Recipient, Task, TaskDetail, TaskId,
};
use crate::offline::OfflineMessage;
use crate::receipts::Receipt;
use crate::service::VendorRetry;

/// Push tasks, their counts, and where their delivery stands.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TaskRepository: Send + Sync {
    /// Stores `task` (all counts 0, no cursor) and queues its delivery, due at `due`,
    /// atomically. When the task's request id was used by the app before, stores nothing and
    /// answers the earlier task's id.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn create(&self, task: &Task, due: Timestamp) -> Result<Option<TaskId>, RepoError>;
    /// The task with where its delivery stands.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn find(&self, app: &AppId, id: TaskId) -> Result<Option<(Task, Cursor)>, RepoError>;
    /// The counts of those of `ids` that are tasks of the app, in the order of `ids`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn details(&self, app: &AppId, ids: &[TaskId]) -> Result<Vec<TaskDetail>, RepoError>;
    /// Adds `added` to the task's counts, with `cursor` moves its delivery there, and queues
    /// a later attempt for each device of `retries` (its vendor was unavailable),
    /// atomically.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn progress(
        &self,
        app: &AppId,
        added: &TaskDetail,
        cursor: Option<Cursor>,
        retries: &[(UserId, DeviceSn)],
    ) -> Result<(), RepoError>;
}

/// The devices an audience names, and their users' badges.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Recipients: Send + Sync {
    /// Up to `limit` devices of the audience after `after`, ordered by user, then device.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn page(
        &self,
        app: &AppId,
        audience: &Audience,
        after: Cursor,
        limit: i64,
    ) -> Result<Vec<Recipient>, RepoError>;
    /// One device, as a page names it, if it still exists.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn device(
        &self,
        app: &AppId,
        user: UserId,
        device: DeviceSn,
    ) -> Result<Option<Recipient>, RepoError>;
    /// Forgets a device's vendor token that its vendor reported dead (unless the device has
    /// bound another one meanwhile).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn forget_vendor_token(
        &self,
        app: &AppId,
        user: UserId,
        device: DeviceSn,
        token: &str,
    ) -> Result<(), RepoError>;
    /// Sets each user's app icon badge.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn set_badges(&self, app: &AppId, badges: &[(UserId, i64)]) -> Result<(), RepoError>;
}

/// One push on its way over the server's own connections to one device.
#[derive(Clone, Debug)]
pub struct LivePush {
    pub task: TaskId,
    pub notification: Arc<Notification>,
    /// The user's badge with this push.
    pub badge: i64,
    /// To call once the push was written to a connection.
    pub receipt: Receipt,
}

/// The server's own connections (the "mxpush" channel).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait LiveChannel: Send + Sync {
    /// Whether the device has a connection open.
    fn is_connected(&self, app: &AppId, user: UserId, device: DeviceSn) -> bool;
    /// Hands the push to the device's connections: how many took it (0 when none is open).
    fn deliver(&self, app: &AppId, user: UserId, device: DeviceSn, push: LivePush) -> usize;
}

/// One push on its way to one device through a vendor.
#[derive(Clone, Debug)]
pub struct VendorPush {
    pub task: TaskId,
    pub notification: Arc<Notification>,
    /// The user's badge with this push.
    pub badge: i64,
    /// Whether the device may play a sound.
    pub sound: bool,
}

/// What a vendor made of a push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The vendor took it.
    Accepted,
    /// The vendor says the device token is dead (the app was removed, the token expired).
    DeadToken,
    /// Not taken now (429, 5xx or unreachable, after the adapter's own quick retries): worth
    /// another attempt later.
    Unavailable(String),
    /// Refused for good (a bad request, bad credentials).
    Failed(String),
}

/// The vendors' push services (APNs, FCM), with the app's credentials.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait VendorChannels: Send + Sync {
    /// The app's notifiers.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn notifiers(&self, app: &AppId) -> Result<Vec<Notifier>, RepoError>;
    /// Sends one push to one device token through the notifier's provider.
    async fn send(&self, app: &AppId, notifier: &Notifier, token: &str, push: &VendorPush) -> Sent;
}

/// Apps' vendor credentials, one per provider (the store implements it; the vendor adapter
/// reads it).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CredentialRepository: Send + Sync {
    /// The app's credentials.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn credentials(&self, app: &AppId) -> Result<Vec<Credential>, RepoError>;
    /// Sets (or replaces) the app's credentials for their provider.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn put_credential(&self, app: &AppId, credential: &Credential) -> Result<(), RepoError>;
}

/// Stored messages as their offline receivers' notifications need them (the store).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait OfflineAudience: Send + Sync {
    /// Those of the messages that exist, each with its receivers that could be notified:
    /// everyone who got it but its sender, who has a device with a vendor token (others MAY
    /// be left out). One call for a wave of messages: the implementation SHOULD read them
    /// together, not one by one.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn offline_messages(
        &self,
        app: &AppId,
        messages: &[i64],
    ) -> Result<Vec<OfflineMessage>, RepoError>;
    /// Queues vendor pushes to try again later.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn retry_later(&self, retries: &[VendorRetry]) -> Result<(), RepoError>;
}
