use tidings_kernel::{Actor, Principal, UserId};

use super::{BatchItem, Users};
use crate::UserError;
use crate::model::{Details, Mobile, Password, ProfileChange, User, Username, text_field};

/// Limits of the free-text profile fields, in characters.
const NICK_NAME_MAX: usize = 64;
const AVATAR_MAX: usize = 1024;
const DESCRIPTION_MAX: usize = 1024;
const INFO_MAX: usize = 4096;

/// A change to the profile text fields; `None` keeps the current value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    pub nick_name: Option<String>,
    pub avatar: Option<String>,
    pub description: Option<String>,
    pub public_info: Option<String>,
    pub private_info: Option<String>,
    /// JMessage's fields; `None` fields are kept.
    pub details: Details,
}

impl ProfilePatch {
    /// Checks every field against its limit; nothing is written when one is too long.
    fn validate(self) -> Result<ProfileChange, UserError> {
        let check = |field: &str, value: Option<String>, max: usize| {
            value.map(|v| text_field(field, v, max)).transpose()
        };
        Ok(ProfileChange {
            nick_name: check("nick_name", self.nick_name, NICK_NAME_MAX)?,
            avatar: check("avatar", self.avatar, AVATAR_MAX)?,
            description: check("description", self.description, DESCRIPTION_MAX)?,
            public_info: check("public_info", self.public_info, INFO_MAX)?,
            private_info: check("private_info", self.private_info, INFO_MAX)?,
            mobile: None,
            details: self.details.validate()?,
        })
    }
}

/// At most this many users in one [`Users::delete_users_named`] call.
pub const MAX_DELETE: usize = 100;

impl Users {
    /// The caller's own user, with profile and settings.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an admin token without `user_id`.
    pub async fn profile(&self, principal: &Principal) -> Result<User, UserError> {
        self.acting(principal).await
    }

    /// Changes profile text fields of the caller.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for a field over its limit (nothing is changed then).
    pub async fn update_profile(
        &self,
        principal: &Principal,
        patch: ProfilePatch,
    ) -> Result<(), UserError> {
        let change = patch.validate()?;
        let user = self.acting(principal).await?;
        self.write_profile(&principal.app, user.id, &change).await
    }

    async fn write_profile(
        &self,
        app: &tidings_kernel::AppId,
        id: UserId,
        change: &ProfileChange,
    ) -> Result<(), UserError> {
        if change.is_empty() {
            return Ok(());
        }
        let now = self.deps.clock.now();
        Ok(self.deps.users.update_profile(app, id, change, now).await?)
    }

    /// Sets (or, with `None`, clears) the caller's mobile number.
    ///
    /// # Errors
    /// [`UserError::AlreadyBound`] (10011) when another user has it.
    pub async fn set_mobile(
        &self,
        principal: &Principal,
        mobile: Option<Mobile>,
    ) -> Result<(), UserError> {
        let user = self.acting(principal).await?;
        let change = ProfileChange {
            mobile: Some(mobile),
            ..ProfileChange::default()
        };
        self.write_profile(&principal.app, user.id, &change).await
    }

    /// Renames the caller.
    ///
    /// # Errors
    /// [`UserError::UserExists`] (10004) when the name is taken.
    pub async fn set_username(
        &self,
        principal: &Principal,
        name: Username,
    ) -> Result<(), UserError> {
        let user = self.acting(principal).await?;
        if user.username == name {
            return Ok(());
        }
        let now = self.deps.clock.now();
        Ok(self
            .deps
            .users
            .update_username(&principal.app, user.id, &name, now)
            .await?)
    }

    /// Changes profiles of many users (admin only); each item succeeds or fails on its own.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::InvalidInput`] for an empty
    /// list or one over 100.
    pub async fn update_profiles(
        &self,
        principal: &Principal,
        items: Vec<(UserId, ProfilePatch)>,
    ) -> Result<Vec<BatchItem>, UserError> {
        Self::require_admin(principal)?;
        if items.is_empty() || items.len() > super::register::MAX_BATCH {
            return Err(UserError::invalid("list must hold 1 to 100 items"));
        }
        let mut results = Vec::with_capacity(items.len());
        for (id, patch) in items {
            let outcome = async {
                let change = patch.validate()?;
                self.load_user(&principal.app, id).await?;
                self.write_profile(&principal.app, id, &change).await?;
                Ok::<_, UserError>(())
            }
            .await;
            results.push(match outcome {
                Ok(()) => BatchItem {
                    user_id: Some(id),
                    username: None,
                    failure: None,
                },
                Err(UserError::Unknown(e)) => return Err(UserError::Unknown(e)),
                Err(e) => BatchItem {
                    user_id: Some(id),
                    username: None,
                    failure: Some(e.to_string()),
                },
            });
        }
        Ok(results)
    }

    /// Changes the caller's password after checking the old one; every token of the user is
    /// revoked (the caller logs in again).
    ///
    /// # Errors
    /// [`UserError::WrongPassword`] (11001) when `old` does not match.
    pub async fn change_password(
        &self,
        principal: &Principal,
        old: &str,
        new: Password,
    ) -> Result<(), UserError> {
        let user = self.acting(principal).await?;
        let matches = self
            .deps
            .hasher
            .verify(old, Some(user.password_hash.clone()))
            .await?;
        if !matches {
            return Err(UserError::WrongPassword);
        }
        self.set_password(&user, new).await
    }

    /// Sets a user's password without the old one: an admin token impersonating the user.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token.
    pub async fn change_password_admin(
        &self,
        principal: &Principal,
        new: Password,
    ) -> Result<(), UserError> {
        Self::require_admin(principal)?;
        let user = self.acting(principal).await?;
        self.set_password(&user, new).await
    }

    async fn set_password(&self, user: &User, new: Password) -> Result<(), UserError> {
        let hash = self.deps.hasher.hash(new.expose()).await?;
        self.deps
            .users
            .change_password(&user.app, user.id, &hash)
            .await?;
        self.tokens_revoked(&user.app, user.id, None).await;
        Ok(())
    }

    /// Deletes the caller. A user token must give the password; an admin token does not.
    ///
    /// # Errors
    /// [`UserError::WrongPassword`] (11001) for a user token with a missing or wrong password.
    pub async fn delete_user(
        &self,
        principal: &Principal,
        password: Option<&str>,
    ) -> Result<(), UserError> {
        let user = self.acting(principal).await?;
        if let Actor::User { .. } = principal.actor {
            let hash = Some(user.password_hash.clone());
            let matches = self
                .deps
                .hasher
                .verify(password.unwrap_or_default(), hash)
                .await?;
            if !matches {
                return Err(UserError::WrongPassword);
            }
        }
        self.deps
            .users
            .delete_users(&principal.app, &[user.id])
            .await?;
        self.tokens_revoked(&principal.app, user.id, None).await;
        Ok(())
    }

    /// Deletes the users with these names (admin only), all or none: 1–[`MAX_DELETE`] names,
    /// [`UserError::UserNotFound`] (nothing deleted) when one has no user.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::InvalidInput`] for an empty
    /// or over-long list; [`UserError::UserNotFound`].
    pub async fn delete_users_named(
        &self,
        principal: &Principal,
        names: &[String],
    ) -> Result<(), UserError> {
        Self::require_admin(principal)?;
        if names.is_empty() || names.len() > MAX_DELETE {
            return Err(UserError::invalid(format!(
                "list must hold 1 to {MAX_DELETE} users"
            )));
        }
        let app = &principal.app;
        let found = self.deps.users.ids_by_username(app, names).await?;
        let known: std::collections::HashSet<&str> =
            found.iter().map(|(name, _)| name.as_str()).collect();
        if names.iter().any(|name| !known.contains(name.as_str())) {
            return Err(UserError::UserNotFound);
        }
        let ids: Vec<UserId> = found.iter().map(|(_, id)| *id).collect();
        self.deps.users.delete_users(app, &ids).await?;
        for id in ids {
            self.tokens_revoked(app, id, None).await;
        }
        Ok(())
    }

    /// Binds an external open id of a kind (for example a WeChat openid) to the caller.
    ///
    /// # Errors
    /// [`UserError::AlreadyBound`] (10011) when the open id is bound already;
    /// [`UserError::InvalidInput`] for an empty or over-long id or kind.
    pub async fn bind_open_id(
        &self,
        principal: &Principal,
        kind: &str,
        open_id: &str,
    ) -> Result<(), UserError> {
        for (name, value) in [("type", kind), ("open_id", open_id)] {
            if value.trim().is_empty() || value.len() > 128 {
                return Err(UserError::invalid(format!("{name} must be 1 to 128 bytes")));
            }
        }
        let user = self.acting(principal).await?;
        Ok(self
            .deps
            .users
            .bind_open_id(&principal.app, user.id, kind.trim(), open_id.trim())
            .await?)
    }
}
