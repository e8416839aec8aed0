//! Outbound ports of the roster domain. Every method is scoped by app.

use async_trait::async_trait;
use tidings_kernel::{AppId, Timestamp, UserId};

use crate::RepoError;
use crate::model::{Application, ApplicationStatus, FriendEntry, RosterEvent, UserCard};

/// Friend entries, applications and blocks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RosterRepository: Send + Sync {
    /// `owner`'s entry for `friend`, active or deleted.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn entry(
        &self,
        app: &AppId,
        owner: UserId,
        friend: UserId,
    ) -> Result<Option<FriendEntry>, RepoError>;
    /// `owner`'s entries for the listed users (those that exist).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn entries(
        &self,
        app: &AppId,
        owner: UserId,
        friends: &[UserId],
    ) -> Result<Vec<FriendEntry>, RepoError>;
    /// Ids of `owner`'s active friends above `after`, ascending, at most `limit`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn friend_ids(
        &self,
        app: &AppId,
        owner: UserId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<UserId>, RepoError>;
    /// When `owner`'s roster last changed (ms), 0 for never.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn roster_version(&self, app: &AppId, owner: UserId) -> Result<i64, RepoError>;
    /// Makes `a` and `b` friends in both directions, atomically: entries become active (an
    /// alias given replaces the entry's alias) and open applications between them are
    /// marked accepted.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn make_friends(
        &self,
        app: &AppId,
        a: UserId,
        b: UserId,
        alias_of_b: Option<String>,
        alias_of_a: Option<String>,
        now: Timestamp,
    ) -> Result<(), RepoError>;
    /// Ends the friendship in both directions, atomically (entries stay, inactive).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn remove_friends(
        &self,
        app: &AppId,
        a: UserId,
        b: UserId,
        now: Timestamp,
    ) -> Result<(), RepoError>;
    /// Writes `owner`'s alias, ext and mute flag for an existing entry.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn update_entry(&self, app: &AppId, entry: &FriendEntry) -> Result<(), RepoError>;
    /// Stores an application, replacing any earlier one of the same pair.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn save_application(
        &self,
        app: &AppId,
        application: &Application,
    ) -> Result<(), RepoError>;
    /// The application of `applicant` to `target`, if any.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn application(
        &self,
        app: &AppId,
        applicant: UserId,
        target: UserId,
    ) -> Result<Option<Application>, RepoError>;
    /// Sets an application's status.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn set_application_status(
        &self,
        app: &AppId,
        applicant: UserId,
        target: UserId,
        status: ApplicationStatus,
    ) -> Result<(), RepoError>;
    /// Applications received by `target` with ids below `before`, newest first, at most `limit`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn applications_to(
        &self,
        app: &AppId,
        target: UserId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Application>, RepoError>;
    /// `owner` blocks `target` (again: no change).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn block(
        &self,
        app: &AppId,
        owner: UserId,
        target: UserId,
        now: Timestamp,
    ) -> Result<(), RepoError>;
    /// `owner` unblocks `target` (not blocked: no change).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn unblock(&self, app: &AppId, owner: UserId, target: UserId) -> Result<(), RepoError>;
    /// Ids `owner` blocked, ascending.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn blocked(&self, app: &AppId, owner: UserId) -> Result<Vec<UserId>, RepoError>;
    /// Whether `owner` blocked `target`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn is_blocked(
        &self,
        app: &AppId,
        owner: UserId,
        target: UserId,
    ) -> Result<bool, RepoError>;
}

/// Read access to users, as the roster needs them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn user(&self, app: &AppId, id: UserId) -> Result<Option<UserCard>, RepoError>;
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn user_by_name(
        &self,
        app: &AppId,
        username: &str,
    ) -> Result<Option<UserCard>, RepoError>;
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn user_by_mobile(
        &self,
        app: &AppId,
        mobile: &str,
    ) -> Result<Option<UserCard>, RepoError>;
    /// The listed users that exist, in id order.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn users(&self, app: &AppId, ids: &[UserId]) -> Result<Vec<UserCard>, RepoError>;
}

/// Where roster events go. The gateway delivers them to connected devices; until it exists
/// the app wires an adapter that drops them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait RosterEvents: Send + Sync {
    async fn publish(&self, app: &AppId, event: RosterEvent);
}
