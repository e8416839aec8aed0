//! Blocks: a blocked user cannot apply to, or (with messaging) message, the blocker.

use tidings_kernel::{Principal, UserId};

use super::Roster;
use crate::RosterError;
use crate::model::RosterEventKind;

impl Roster {
    /// Blocks a user (already blocked: no change). Friendship is kept; the relation reads 3.
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000); [`RosterError::InvalidInput`] for oneself.
    pub async fn block(&self, principal: &Principal, target: UserId) -> Result<(), RosterError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        self.other(app, me, target).await?;
        self.deps
            .roster
            .block(app, me, target, self.deps.clock.now())
            .await?;
        self.publish(app, RosterEventKind::Blocked, me, target, "")
            .await;
        Ok(())
    }

    /// Unblocks a user (not blocked: no change).
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000); [`RosterError::InvalidInput`] for oneself.
    pub async fn unblock(&self, principal: &Principal, target: UserId) -> Result<(), RosterError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        self.other(app, me, target).await?;
        self.deps.roster.unblock(app, me, target).await?;
        self.publish(app, RosterEventKind::Unblocked, me, target, "")
            .await;
        Ok(())
    }

    /// The ids the caller blocked, ascending.
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] for an admin token without `user_id`.
    pub async fn blocked_list(&self, principal: &Principal) -> Result<Vec<UserId>, RosterError> {
        let me = Self::me(principal)?;
        Ok(self.deps.roster.blocked(&principal.app, me).await?)
    }
}
