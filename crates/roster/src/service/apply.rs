//! Friend applications: apply (by the target's auth mode), batch, list, accept, decline.

use tidings_kernel::{AppId, Principal, UserId};

use super::{Roster, page_limit, text};
use crate::RosterError;
use crate::model::{Application, ApplicationStatus, RosterEventKind, UserCard};

/// The outcome of `/roster/apply/batch`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchApply {
    /// Targets now friends or holding an application.
    pub success: Vec<UserId>,
    /// Targets refused, with the reason.
    pub fails: Vec<(UserId, String)>,
}

/// Limits of application texts, in characters.
const REASON_MAX: usize = 256;
const ALIAS_MAX: usize = 64;

impl Roster {
    /// Applies to befriend `target`, following the target's `auth_mode`: 0 friends at once;
    /// 1 an application the target answers (if the target had applied to the caller, they
    /// become friends at once); 2 friends at once when `answer` matches, else refused; 3
    /// refused. Returns `true` when they are friends now, `false` when an application waits.
    ///
    /// # Errors
    /// [`RosterError::UserNotFound`] (10000); [`RosterError::AlreadyFriends`] (10005);
    /// [`RosterError::Blocked`] (10006) when either blocked the other;
    /// [`RosterError::Rejected`] (10012) for mode 3, a wrong answer, or mode 2 before its
    /// answer is set;
    /// [`RosterError::InvalidInput`] for oneself or over-long texts.
    pub async fn apply(
        &self,
        principal: &Principal,
        target: UserId,
        reason: Option<String>,
        alias: Option<String>,
        answer: Option<String>,
    ) -> Result<bool, RosterError> {
        let me = Self::me(principal)?;
        let reason = text("reason", reason, REASON_MAX)?;
        let alias = text("alias", alias, ALIAS_MAX)?;
        let app = &principal.app;
        let card = self.other(app, me, target).await?;
        self.check_may_apply(app, me, target).await?;
        let now = self.deps.clock.now();
        let alias = (!alias.is_empty()).then_some(alias);
        let mut their_alias = None;
        let befriend = match card.auth_mode {
            0 => true,
            2 => {
                if card.auth_answer.trim().is_empty() {
                    return Err(RosterError::Rejected(
                        "the user asks a verification question but has not set it yet".into(),
                    ));
                }
                let given = answer.as_deref().map(str::trim).unwrap_or_default();
                if given.is_empty() || given != card.auth_answer.trim() {
                    return Err(RosterError::Rejected(
                        "the answer to the verification question is wrong".into(),
                    ));
                }
                true
            }
            3 => {
                return Err(RosterError::Rejected(
                    "the user accepts no friend applications".into(),
                ));
            }
            _ => match self.deps.roster.application(app, target, me).await? {
                Some(theirs) if theirs.is_open_at(now) => {
                    their_alias = (!theirs.alias.is_empty()).then_some(theirs.alias);
                    true
                }
                _ => false,
            },
        };
        if befriend {
            self.befriend(app, me, &card, alias, their_alias).await?;
            return Ok(true);
        }
        let application = Application {
            id: self.deps.ids.next_id(),
            applicant: me,
            target,
            reason: reason.clone(),
            alias: alias.unwrap_or_default(),
            status: ApplicationStatus::Pending,
            expires_at: now.plus_secs(self.deps.policy.application_ttl_secs),
            created_at: now,
        };
        self.deps.roster.save_application(app, &application).await?;
        self.publish(app, RosterEventKind::Applied, me, target, &reason)
            .await;
        Ok(false)
    }

    async fn check_may_apply(
        &self,
        app: &AppId,
        me: UserId,
        target: UserId,
    ) -> Result<(), RosterError> {
        if self
            .deps
            .roster
            .entry(app, me, target)
            .await?
            .is_some_and(|e| e.active)
        {
            return Err(RosterError::AlreadyFriends);
        }
        self.check_not_blocked(app, me, target).await
    }

    /// Refuses with 10006 when either user blocked the other.
    async fn check_not_blocked(
        &self,
        app: &AppId,
        me: UserId,
        target: UserId,
    ) -> Result<(), RosterError> {
        if self.deps.roster.is_blocked(app, target, me).await? {
            return Err(RosterError::Blocked("the user blocked you".into()));
        }
        if self.deps.roster.is_blocked(app, me, target).await? {
            return Err(RosterError::Blocked(
                "you blocked the user: unblock first".into(),
            ));
        }
        Ok(())
    }

    async fn befriend(
        &self,
        app: &AppId,
        me: UserId,
        card: &UserCard,
        my_alias: Option<String>,
        their_alias: Option<String>,
    ) -> Result<(), RosterError> {
        let now = self.deps.clock.now();
        self.deps
            .roster
            .make_friends(app, me, card.id, my_alias, their_alias, now)
            .await?;
        self.publish(app, RosterEventKind::Added, me, card.id, "")
            .await;
        Ok(())
    }

    /// Applies to several users, each on its own.
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] for an empty list or one over 100.
    pub async fn apply_batch(
        &self,
        principal: &Principal,
        items: Vec<(UserId, Option<String>, Option<String>)>,
    ) -> Result<BatchApply, RosterError> {
        Self::me(principal)?;
        if items.is_empty() || items.len() > 100 {
            return Err(RosterError::invalid(
                "the list must hold 1 to 100 applications",
            ));
        }
        let mut outcome = BatchApply::default();
        for (target, reason, alias) in items {
            match self.apply(principal, target, reason, alias, None).await {
                Ok(_) => outcome.success.push(target),
                Err(RosterError::Unknown(e)) => return Err(RosterError::Unknown(e)),
                Err(e) => outcome.fails.push((target, e.to_string())),
            }
        }
        Ok(outcome)
    }

    /// Applications the caller received, newest first, paged by `cursor` (the last id seen).
    /// Returns the page and the cursor of the next page, `None` on the last.
    ///
    /// # Errors
    /// [`RosterError::InvalidInput`] for a bad cursor or limit.
    pub async fn applications(
        &self,
        principal: &Principal,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<(Vec<Application>, Option<String>), RosterError> {
        let me = Self::me(principal)?;
        let limit = page_limit(limit)?;
        let before = parse_cursor(cursor)?;
        let mut page = self
            .deps
            .roster
            .applications_to(&principal.app, me, before, limit + 1)
            .await?;
        let next = if page.len() as i64 > limit {
            page.truncate(limit as usize);
            page.last().map(|a| a.id.to_string())
        } else {
            None
        };
        Ok((page, next))
    }

    /// Accepts the open application of `applicant`: both become friends.
    ///
    /// # Errors
    /// [`RosterError::ApplicationMissing`] (10007) when there is none, or it was handled or
    /// has expired; [`RosterError::Blocked`] (10006) when either blocked the other since.
    pub async fn accept(
        &self,
        principal: &Principal,
        applicant: UserId,
    ) -> Result<(), RosterError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        let application = self.open_application(app, applicant, me).await?;
        let card = self.other(app, me, applicant).await?;
        self.check_not_blocked(app, me, applicant).await?;
        self.deps
            .roster
            .make_friends(
                app,
                applicant,
                me,
                (!application.alias.is_empty()).then_some(application.alias),
                None,
                self.deps.clock.now(),
            )
            .await?;
        self.publish(app, RosterEventKind::Accepted, me, card.id, "")
            .await;
        Ok(())
    }

    /// Declines the open application of `applicant`.
    ///
    /// # Errors
    /// [`RosterError::ApplicationMissing`] (10007) when there is none, or it was handled or
    /// has expired.
    pub async fn decline(
        &self,
        principal: &Principal,
        applicant: UserId,
        reason: Option<String>,
    ) -> Result<(), RosterError> {
        let me = Self::me(principal)?;
        let reason = text("reason", reason, REASON_MAX)?;
        let app = &principal.app;
        self.open_application(app, applicant, me).await?;
        self.deps
            .roster
            .set_application_status(app, applicant, me, ApplicationStatus::Declined)
            .await?;
        self.publish(app, RosterEventKind::Declined, me, applicant, &reason)
            .await;
        Ok(())
    }

    async fn open_application(
        &self,
        app: &AppId,
        applicant: UserId,
        target: UserId,
    ) -> Result<Application, RosterError> {
        self.deps
            .roster
            .application(app, applicant, target)
            .await?
            .filter(|a| a.is_open_at(self.deps.clock.now()))
            .ok_or(RosterError::ApplicationMissing)
    }
}

/// A cursor is the last id of the previous page.
pub(super) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, RosterError> {
    cursor
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| RosterError::invalid("cursor is not one this server gave"))
        })
        .transpose()
}
