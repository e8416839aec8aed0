//! Outbound ports of the users domain. The diesel store implements the repositories on
//! SQLite and PostgreSQL; `BcryptHasher` implements [`PasswordHasher`]; the gateway will
//! implement [`Presence`]. Every method is scoped by app: no port can reach another app's rows.
//!
//! Multi-row changes that must be atomic are one method each (for example
//! [`UserRepository::change_password`] also revokes the user's tokens).

use async_trait::async_trait;
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};

use crate::RepoError;
use crate::model::{
    App, Device, PasswordHash, ProfileChange, SettingsPatch, TokenHash, TokenRecord, User, Username,
};

/// Apps (tenants) and their settings.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait AppRepository: Send + Sync {
    /// Stores a new app together with its first admin token, atomically.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the id or app key is taken.
    async fn create_app(&self, app: &App, admin_token: &TokenRecord) -> Result<(), RepoError>;
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn find_app(&self, id: &AppId) -> Result<Option<App>, RepoError>;
    /// The app with this app key (stored lowercase; `app_key` is compared as given).
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn find_app_by_key(&self, app_key: &str) -> Result<Option<App>, RepoError>;
    /// All apps, oldest first.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn list_apps(&self) -> Result<Vec<App>, RepoError>;
    /// Writes the app's name, registration switch and user limit.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn update_app(&self, app: &App) -> Result<(), RepoError>;
}

/// Users with their profile, settings, push tags and bound open ids.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a user (and, with `device`, its first device, serial number 1) unless the app
    /// already has `limit` users (`limit` 0: no limit), atomically. Returns `false`, storing
    /// nothing, when the limit is reached.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with [`crate::Unique::Username`], `Mobile`, `Email` or
    /// `PushToken` when taken.
    async fn insert_user<'a>(
        &self,
        user: &User,
        limit: i64,
        device: Option<&'a DeviceLogin>,
    ) -> Result<bool, RepoError>;
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn find_user(&self, app: &AppId, id: UserId) -> Result<Option<User>, RepoError>;
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn find_by_username(&self, app: &AppId, name: &str) -> Result<Option<User>, RepoError>;
    /// The ids of the users with these usernames, as `(username, id)`; names with no user
    /// are left out.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn ids_by_username(
        &self,
        app: &AppId,
        names: &[String],
    ) -> Result<Vec<(String, UserId)>, RepoError>;
    /// Finds by username, mobile or e-mail, in that order of preference.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn find_by_login_name(&self, app: &AppId, login: &str)
    -> Result<Option<User>, RepoError>;
    /// Users ordered by id, skipping `offset`.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn list_users(
        &self,
        app: &AppId,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<User>, RepoError>;
    /// Writes only the profile fields the change names.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with `Mobile` when another user has it.
    async fn update_profile(
        &self,
        app: &AppId,
        id: UserId,
        change: &ProfileChange,
        at: Timestamp,
    ) -> Result<(), RepoError>;
    /// Writes only the settings the patch names.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn update_settings(
        &self,
        app: &AppId,
        id: UserId,
        patch: &SettingsPatch,
    ) -> Result<(), RepoError>;
    /// # Errors
    /// [`RepoError::Conflict`] with `Username` when taken.
    async fn update_username(
        &self,
        app: &AppId,
        id: UserId,
        name: &Username,
        at: Timestamp,
    ) -> Result<(), RepoError>;
    /// Sets the password hash and revokes every token of the user, atomically.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn change_password(
        &self,
        app: &AppId,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), RepoError>;
    /// Bans or unbans every listed user, atomically; banning also revokes their tokens.
    /// Returns `false`, changing nothing, when any id is not a user of the app.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn set_banned(
        &self,
        app: &AppId,
        ids: &[UserId],
        banned: bool,
    ) -> Result<bool, RepoError>;
    /// Deletes the users with their devices, tokens, tags, open ids, inboxes and the files
    /// only they could read, all of them in one transaction.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn delete_users(&self, app: &AppId, ids: &[UserId]) -> Result<(), RepoError>;
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn set_push_alias(&self, app: &AppId, id: UserId, alias: &str) -> Result<(), RepoError>;
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn set_badge(&self, app: &AppId, id: UserId, badge: i64) -> Result<(), RepoError>;
    /// The user's push tags, sorted.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn push_tags(&self, app: &AppId, id: UserId) -> Result<Vec<String>, RepoError>;
    /// Adds tags (already present ones are kept once).
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn add_push_tags(
        &self,
        app: &AppId,
        id: UserId,
        tags: &[String],
    ) -> Result<(), RepoError>;
    /// Removes the listed tags, or all of them when `tags` is `None`.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn remove_push_tags(
        &self,
        app: &AppId,
        id: UserId,
        tags: Option<Vec<String>>,
    ) -> Result<(), RepoError>;
    /// Binds an external open id (for example a WeChat openid) of a kind to the user.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] with `OpenId` when that open id is bound already.
    async fn bind_open_id(
        &self,
        app: &AppId,
        id: UserId,
        kind: &str,
        open_id: &str,
    ) -> Result<(), RepoError>;
}

/// What is known of a device at login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceLogin {
    pub guid: String,
    pub platform: i64,
    pub user_agent: String,
    /// Used as the device's push token if the device is new.
    pub new_push_token: String,
    pub now: Timestamp,
}

/// Devices of users.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DeviceRepository: Send + Sync {
    /// Returns the user's device with this guid, registering it with the next free serial
    /// number if it is new (platform and user agent are refreshed on every login).
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn login_device(
        &self,
        app: &AppId,
        user: UserId,
        login: &DeviceLogin,
    ) -> Result<Device, RepoError>;
    /// The user's devices by serial number.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn list_devices(&self, app: &AppId, user: UserId) -> Result<Vec<Device>, RepoError>;
    /// The devices of these users by user and serial number, each with whether it holds a
    /// user token that has not expired at `now` (the device is logged in).
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn device_logins(
        &self,
        app: &AppId,
        users: &[UserId],
        now: Timestamp,
    ) -> Result<Vec<(Device, bool)>, RepoError>;
    /// Removes a device and revokes its tokens, atomically. `false` when there is no such device.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn remove_device(
        &self,
        app: &AppId,
        user: UserId,
        sn: DeviceSn,
    ) -> Result<bool, RepoError>;
    /// Binds (`Some((token, notifier))`) or unbinds (`None`) a vendor push token.
    /// `false` when there is no such device.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn set_vendor_token(
        &self,
        app: &AppId,
        user: UserId,
        sn: DeviceSn,
        token: Option<(String, String)>,
    ) -> Result<bool, RepoError>;
}

/// Issued access tokens, stored by hash.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TokenRepository: Send + Sync {
    /// Stores an admin token.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn insert_token(&self, token: &TokenRecord) -> Result<(), RepoError>;
    /// Stores a user token only if, at that moment, the user still exists, is not banned and
    /// still has `password_hash` — checked and written in one transaction that holds the
    /// user's row, so a password change, ban or deletion racing with a login never leaves a
    /// live token behind. Returns whether it was stored.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn insert_user_token(
        &self,
        token: &TokenRecord,
        password_hash: &PasswordHash,
    ) -> Result<bool, RepoError>;
    /// Revokes one admin token of the app. Returns whether there was such a token.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn revoke_admin_token(&self, app: &AppId, hash: &TokenHash) -> Result<bool, RepoError>;
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn find_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, RepoError>;
    /// Revokes the user's tokens on one device, or on every device when `device` is `None`.
    /// Returns how many were revoked.
    ///
    /// # Errors
    /// [`RepoError::Unknown`] on storage failure.
    async fn revoke_user_tokens(
        &self,
        app: &AppId,
        user: UserId,
        device: Option<DeviceSn>,
    ) -> Result<u64, RepoError>;
}

/// Password hashing, run off the request threads.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// # Errors
    /// [`anyhow::Error`] when hashing fails.
    async fn hash(&self, password: &str) -> anyhow::Result<PasswordHash>;
    /// Whether `password` matches `hash`. With `hash` `None` (unknown user) it does the same
    /// work against a dummy hash and answers `false`, so timing tells nothing.
    ///
    /// # Errors
    /// [`anyhow::Error`] when verification cannot run.
    async fn verify(&self, password: &str, hash: Option<PasswordHash>) -> anyhow::Result<bool>;
}

/// Live connections of users. Until the gateway exists the app wires an adapter that knows
/// no connections: nobody is online and there is nothing to close.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait Presence: Send + Sync {
    /// Whether at least one device of the user is connected.
    async fn is_online(&self, app: &AppId, user: UserId) -> bool;
    /// Whether this device of the user is connected.
    async fn is_device_online(&self, app: &AppId, user: UserId, device: DeviceSn) -> bool;
    /// Tells the user's connections on one device (or all, with `None`) that they were
    /// kicked, and closes them.
    async fn disconnect(&self, app: &AppId, user: UserId, device: Option<DeviceSn>);
}

/// This node's memory of user tokens already looked up, so that most requests authenticate
/// without a query. [`crate::Users`] makes every revocation of user tokens forget them here
/// (an adapter for several nodes must also tell the other nodes). Admin tokens are never
/// remembered: the command line revokes them from another process.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TokenCache: Send + Sync {
    /// A user token remembered and not forgotten since.
    fn get(&self, hash: &TokenHash) -> Option<TokenRecord>;
    /// How many times tokens were forgotten: read it before the lookup whose result is
    /// then remembered.
    fn generation(&self) -> u64;
    /// Remembers a user token found by a lookup that began at `generation`, unless tokens
    /// were forgotten since (the lookup might then have seen a token being revoked).
    fn remember(&self, record: &TokenRecord, generation: u64);
    /// Forgets the user's tokens (of one device, or all).
    fn forget_user(&self, app: &AppId, user: UserId, device: Option<DeviceSn>);
}
