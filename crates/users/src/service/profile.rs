use tidings_kernel::{Actor, Principal, UserId};

use super::{BatchItem, Users};
use crate::UserError;
use crate::model::{Mobile, Password, Profile, User, Username, text_field};

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
}

impl ProfilePatch {
    fn apply_to(self, profile: &mut Profile) -> Result<(), UserError> {
        let mut next = profile.clone();
        if let Some(v) = self.nick_name {
            next.nick_name = text_field("nick_name", v, NICK_NAME_MAX)?;
        }
        if let Some(v) = self.avatar {
            next.avatar = text_field("avatar", v, AVATAR_MAX)?;
        }
        if let Some(v) = self.description {
            next.description = text_field("description", v, DESCRIPTION_MAX)?;
        }
        if let Some(v) = self.public_info {
            next.public_info = text_field("public_info", v, INFO_MAX)?;
        }
        if let Some(v) = self.private_info {
            next.private_info = text_field("private_info", v, INFO_MAX)?;
        }
        *profile = next;
        Ok(())
    }
}

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
        let mut user = self.acting(principal).await?;
        patch.apply_to(&mut user.profile)?;
        Ok(self
            .deps
            .users
            .update_profile(&principal.app, user.id, &user.profile)
            .await?)
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
        let mut user = self.acting(principal).await?;
        user.profile.mobile = mobile;
        Ok(self
            .deps
            .users
            .update_profile(&principal.app, user.id, &user.profile)
            .await?)
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
        Ok(self
            .deps
            .users
            .update_username(&principal.app, user.id, &name)
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
                let mut user = self.load_user(&principal.app, id).await?;
                patch.apply_to(&mut user.profile)?;
                self.deps
                    .users
                    .update_profile(&principal.app, id, &user.profile)
                    .await?;
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
        self.deps
            .presence
            .disconnect(&user.app, user.id, None)
            .await;
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
        self.deps.users.delete_user(&principal.app, user.id).await?;
        self.deps
            .presence
            .disconnect(&principal.app, user.id, None)
            .await;
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
