use tidings_kernel::Principal;

use super::Users;
use super::register::validate_alias;
use crate::UserError;

/// At most this many push tags per user; a tag is 1–64 characters.
const MAX_TAGS: usize = 100;
const TAG_MAX_CHARS: usize = 64;

impl Users {
    /// The caller's push tags, sorted.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an admin token without `user_id`.
    pub async fn push_tags(&self, principal: &Principal) -> Result<Vec<String>, UserError> {
        let user = Self::acting_user(principal)?;
        Ok(self.deps.users.push_tags(&principal.app, user).await?)
    }

    /// Adds push tags to the caller.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an empty list, a bad tag, or more than 100 tags in all.
    pub async fn add_push_tags(
        &self,
        principal: &Principal,
        tags: Vec<String>,
    ) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        let tags = validate_tags(tags)?;
        let mut all = self.deps.users.push_tags(&principal.app, user).await?;
        all.extend(tags.iter().cloned());
        all.sort();
        all.dedup();
        if all.len() > MAX_TAGS {
            return Err(UserError::invalid(format!(
                "a user may have at most {MAX_TAGS} push tags"
            )));
        }
        Ok(self
            .deps
            .users
            .add_push_tags(&principal.app, user, &tags)
            .await?)
    }

    /// Removes the listed push tags (or all, with `None`) from the caller.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for an empty list or a bad tag.
    pub async fn remove_push_tags(
        &self,
        principal: &Principal,
        tags: Option<Vec<String>>,
    ) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        let tags = tags.map(validate_tags).transpose()?;
        Ok(self
            .deps
            .users
            .remove_push_tags(&principal.app, user, tags)
            .await?)
    }

    /// Sets the caller's push alias. When `push_token` is given it must be the push token of
    /// one of the caller's devices.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for a bad alias or a push token of no device of the caller.
    pub async fn set_push_alias(
        &self,
        principal: &Principal,
        alias: String,
        push_token: Option<&str>,
    ) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        let alias = validate_alias(alias)?;
        if let Some(token) = push_token.filter(|t| !t.is_empty()) {
            let devices = self.deps.devices.list_devices(&principal.app, user).await?;
            if !devices.iter().any(|d| d.push_token == token) {
                return Err(UserError::invalid(
                    "push_token is not the push token of one of the user's devices",
                ));
            }
        }
        Ok(self
            .deps
            .users
            .set_push_alias(&principal.app, user, &alias)
            .await?)
    }

    /// Sets the caller's app icon badge.
    ///
    /// # Errors
    /// [`UserError::InvalidInput`] for a negative badge or one over 99,999.
    pub async fn set_badge(&self, principal: &Principal, badge: i64) -> Result<(), UserError> {
        let user = Self::acting_user(principal)?;
        if !(0..=99_999).contains(&badge) {
            return Err(UserError::invalid("badge must be 0 to 99999"));
        }
        Ok(self
            .deps
            .users
            .set_badge(&principal.app, user, badge)
            .await?)
    }
}

fn validate_tags(tags: Vec<String>) -> Result<Vec<String>, UserError> {
    if tags.is_empty() || tags.len() > MAX_TAGS {
        return Err(UserError::invalid(format!(
            "tags must hold 1 to {MAX_TAGS} tags"
        )));
    }
    let mut tags: Vec<String> = tags.into_iter().map(|t| t.trim().to_owned()).collect();
    if tags
        .iter()
        .any(|t| t.is_empty() || t.chars().count() > TAG_MAX_CHARS)
    {
        return Err(UserError::invalid(format!(
            "each tag must be 1 to {TAG_MAX_CHARS} characters"
        )));
    }
    tags.sort();
    tags.dedup();
    Ok(tags)
}
