use tidings_kernel::{Principal, UserId};

use super::Users;
use crate::UserError;
use crate::model::User;

/// `/user/list` page size bounds.
const DEFAULT_PAGE_SIZE: i64 = 50;
const MAX_PAGE_SIZE: i64 = 1000;

impl Users {
    /// One page of the app's users, ordered by id (admin only). `page_num` starts at 1.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::InvalidInput`] for a page
    /// number below 1 or a page size outside 1–1000.
    pub async fn list_users(
        &self,
        principal: &Principal,
        page_num: Option<i64>,
        page_size: Option<i64>,
    ) -> Result<Vec<User>, UserError> {
        Self::require_admin(principal)?;
        let page_num = page_num.unwrap_or(1);
        let page_size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page_num < 1 {
            return Err(UserError::invalid("page_num starts at 1"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
            return Err(UserError::invalid(format!(
                "page_size must be 1 to {MAX_PAGE_SIZE}"
            )));
        }
        let offset = (page_num - 1).saturating_mul(page_size);
        Ok(self
            .deps
            .users
            .list_users(&principal.app, offset, page_size)
            .await?)
    }

    /// Bans (`true`) or unbans the listed users (admin only), all or none. Banning revokes
    /// their tokens and closes their connections.
    ///
    /// # Errors
    /// [`UserError::NoPermission`] for a user token; [`UserError::InvalidInput`] for an empty
    /// list or one over 1000; [`UserError::UserNotFound`] when any id is not a user of the app.
    pub async fn set_banned(
        &self,
        principal: &Principal,
        ids: Vec<UserId>,
        banned: bool,
    ) -> Result<(), UserError> {
        Self::require_admin(principal)?;
        if ids.is_empty() || ids.len() > 1000 {
            return Err(UserError::invalid("list must hold 1 to 1000 user ids"));
        }
        if !self
            .deps
            .users
            .set_banned(&principal.app, &ids, banned)
            .await?
        {
            return Err(UserError::UserNotFound);
        }
        if banned {
            for id in ids {
                self.tokens_revoked(&principal.app, id, None).await;
            }
        }
        Ok(())
    }
}
