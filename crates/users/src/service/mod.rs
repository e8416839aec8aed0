//! The inbound side of the users domain: one service, [`Users`], whose operations are
//! split by area into the modules below.

mod admin;
mod apps;
mod auth;
mod devices;
mod login;
mod profile;
mod push;
mod register;
mod settings;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tidings_kernel::{Actor, AppId, Clock, DeviceSn, IdGenerator, Principal, UserId};

use crate::UserError;
use crate::model::User;
use crate::ports::{
    AppRepository, DeviceRepository, PasswordHasher, Presence, TokenCache, TokenRepository,
    UserRepository,
};

pub use auth::DeviceGrant;
pub use devices::{DeviceStatus, MAX_STATUS_USERS, UserStatus};
pub use login::{DeviceInfo, IssuedToken, LoginBy};
pub use profile::{MAX_DELETE, ProfilePatch};
pub use register::RegisterRequest;

/// Tunables of the users domain.
#[derive(Clone, Debug)]
pub struct UsersPolicy {
    /// Lifetime of a user token, in seconds (default 7 days).
    pub token_ttl_secs: i64,
}

impl Default for UsersPolicy {
    fn default() -> Self {
        Self {
            token_ttl_secs: 7 * 24 * 3600,
        }
    }
}

/// Everything [`Users`] needs from outside.
pub struct UsersDeps {
    pub apps: Arc<dyn AppRepository>,
    pub users: Arc<dyn UserRepository>,
    pub devices: Arc<dyn DeviceRepository>,
    pub tokens: Arc<dyn TokenRepository>,
    /// User tokens already looked up ([`crate::LocalTokenCache`] on one node).
    pub token_cache: Arc<dyn TokenCache>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub presence: Arc<dyn Presence>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub policy: UsersPolicy,
}

/// The users service: apps, authentication, registration, profiles, settings, devices,
/// push preferences and administration.
#[derive(Clone)]
pub struct Users {
    deps: Arc<UsersDeps>,
}

/// The outcome for one item of a batch operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchItem {
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    /// `None` when the item succeeded, else why it failed.
    pub failure: Option<String>,
}

impl Users {
    pub fn new(deps: UsersDeps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    /// After the user's tokens (of one device, or all) were revoked in the store: forgets
    /// them on this node, so they stop working at once, and closes those connections.
    pub(crate) async fn tokens_revoked(&self, app: &AppId, user: UserId, device: Option<DeviceSn>) {
        self.deps.token_cache.forget_user(app, user, device);
        self.deps.presence.disconnect(app, user, device).await;
    }

    /// The user this call acts as.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an admin token without the `user_id` header.
    pub(crate) fn acting_user(principal: &Principal) -> Result<UserId, UserError> {
        principal.user().ok_or_else(|| {
            UserError::invalid(
                "this operation acts as a user: send the user_id header with an admin token",
            )
        })
    }

    /// Refuses callers that do not hold an admin token.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token.
    pub(crate) fn require_admin(principal: &Principal) -> Result<(), UserError> {
        if principal.is_admin() {
            Ok(())
        } else {
            Err(UserError::NoPermission(
                "this operation needs an admin token".into(),
            ))
        }
    }

    /// Loads a user of the app.
    ///
    /// # Errors
    /// [`UserError::UserNotFound`] when there is none.
    pub(crate) async fn load_user(&self, app: &AppId, id: UserId) -> Result<User, UserError> {
        self.deps
            .users
            .find_user(app, id)
            .await?
            .ok_or(UserError::UserNotFound)
    }

    /// The user with this name, for an admin `principal`: how a surface that names users by
    /// username (JMessage) reaches one.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::UserNotFound`].
    pub async fn user_named(&self, principal: &Principal, name: &str) -> Result<User, UserError> {
        Self::require_admin(principal)?;
        self.deps
            .users
            .find_by_username(&principal.app, name)
            .await?
            .ok_or(UserError::UserNotFound)
    }

    /// The admin `principal` acting as the user with this name: how such a surface runs a
    /// user's operation.
    ///
    /// # Errors
    /// As [`Self::user_named`].
    pub async fn as_user_named(
        &self,
        principal: &Principal,
        name: &str,
    ) -> Result<Principal, UserError> {
        let user = self.user_named(principal, name).await?;
        Ok(Principal {
            app: principal.app.clone(),
            actor: Actor::AdminAsUser(user.id),
        })
    }

    /// Loads the user the call acts as.
    ///
    /// # Errors
    /// As [`Self::acting_user`] and [`Self::load_user`].
    pub(crate) async fn acting(&self, principal: &Principal) -> Result<User, UserError> {
        let id = Self::acting_user(principal)?;
        self.load_user(&principal.app, id).await
    }
}
