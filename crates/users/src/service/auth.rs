use tidings_kernel::{Actor, AppId, DeviceSn, GroupId, Principal, Timestamp, UserId};

use super::Users;
use crate::UserError;
use crate::model::{TokenHash, TokenRecord};

/// What a user token grants a connection that lives on: one device of one user, until the
/// token expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceGrant {
    pub app: AppId,
    pub user: UserId,
    pub device: DeviceSn,
    /// `None`: the token does not expire.
    pub expires_at: Option<Timestamp>,
}

impl DeviceGrant {
    /// The connection's caller: the user on this device.
    pub fn principal(&self) -> Principal {
        Principal {
            app: self.app.clone(),
            actor: Actor::User {
                user: self.user,
                device: self.device,
            },
        }
    }
}

impl Users {
    /// Turns the request's credentials into the acting [`Principal`]
    /// (NOTES §1: `app_id`, `access-token`, and the impersonation headers).
    ///
    /// # Errors
    /// [`UserError::AppNotFound`] (40000) for an unknown app; [`UserError::TokenMissing`]
    /// (10003); [`UserError::TokenInvalid`] (10008) for an unknown, expired or revoked token or
    /// one of another app; [`UserError::NoPermission`] (10010) for impersonation headers with a
    /// user token; [`UserError::UserNotFound`] when the impersonated user does not exist;
    /// [`UserError::InvalidInput`] when both `user_id` and `group_id` are given.
    pub async fn authenticate(
        &self,
        app: &AppId,
        token: Option<&str>,
        as_user: Option<UserId>,
        as_group: Option<GroupId>,
    ) -> Result<Principal, UserError> {
        let record = self.live_token(app, token).await?;
        let actor = match (record.user, as_user, as_group) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return Err(UserError::NoPermission(
                    "the user_id and group_id headers need an admin token".into(),
                ));
            }
            (Some(user), None, None) => Actor::User {
                user,
                device: record.device,
            },
            (None, Some(_), Some(_)) => {
                return Err(UserError::invalid(
                    "send either the user_id or the group_id header, not both",
                ));
            }
            (None, Some(user), None) => {
                self.load_user(app, user).await?;
                Actor::AdminAsUser(user)
            }
            (None, None, Some(group)) => Actor::AdminOfGroup(group),
            (None, None, None) => Actor::Admin,
        };
        Ok(Principal {
            app: app.clone(),
            actor,
        })
    }

    /// Authenticates an app's server with its app key and master secret (the JMessage API's
    /// HTTP Basic credentials); the call then acts as the app's admin. The key is
    /// case-insensitive; the secret is compared with the stored hash in constant time.
    ///
    /// # Errors
    /// [`UserError::AppCredentialsInvalid`] for an unknown key or a wrong secret (the two are
    /// not told apart).
    pub async fn authenticate_app(
        &self,
        app_key: &str,
        master_secret: &str,
    ) -> Result<Principal, UserError> {
        let key = app_key.to_ascii_lowercase();
        match self.deps.apps.find_app_by_key(&key).await? {
            Some(app) if app.master_secret_matches(master_secret) => Ok(Principal {
                app: app.id,
                actor: Actor::Admin,
            }),
            _ => Err(UserError::AppCredentialsInvalid),
        }
    }

    /// [`Self::authenticate`] for a connection that lives on (the WebSocket gateway): a user
    /// token only, and when it expires, so that the connection can end with it.
    ///
    /// # Errors
    /// As [`Self::authenticate`]; [`UserError::NoPermission`] for an admin token.
    pub async fn authenticate_connection(
        &self,
        app: &AppId,
        token: Option<&str>,
    ) -> Result<DeviceGrant, UserError> {
        let record = self.live_token(app, token).await?;
        let Some(user) = record.user else {
            return Err(UserError::NoPermission(
                "the gateway takes a user token: a connection is one device of one user".into(),
            ));
        };
        Ok(DeviceGrant {
            app: app.clone(),
            user,
            device: record.device,
            expires_at: record.expires_at,
        })
    }

    /// The live record of a token of this app: [`UserError::TokenMissing`] without one. A live
    /// token proves the app exists (tokens belong to their app), so the app is looked up only
    /// to tell 40000 from 10003 or 10008.
    async fn live_token(&self, app: &AppId, token: Option<&str>) -> Result<TokenRecord, UserError> {
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            self.find_app(app).await?;
            return Err(UserError::TokenMissing);
        };
        let found = self
            .find_token(&TokenHash::of(token))
            .await?
            .filter(|r| &r.app == app && r.is_live_at(self.deps.clock.now()));
        match found {
            Some(record) => Ok(record),
            None => {
                self.find_app(app).await?;
                Err(UserError::TokenInvalid)
            }
        }
    }

    /// A token by its hash: from this node's cache, else from the store (and then
    /// remembered, if it is a user token).
    async fn find_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, UserError> {
        let cache = &self.deps.token_cache;
        if let Some(record) = cache.get(hash) {
            return Ok(Some(record));
        }
        let generation = cache.generation();
        let found = self.deps.tokens.find_token(hash).await?;
        if let Some(record) = &found {
            cache.remember(record, generation);
        }
        Ok(found)
    }
}
