//! Joining: invitations (with the invitee's consent when `group_confirm` is on),
//! applications (by `apply_approval`), and QR invitations.

use tidings_kernel::{GroupId, Principal, Timestamp, UserId};

use super::{Groups, MemberPage, Outcome, finish_page, page_limit, parse_cursor, text, user_list};
use crate::model::{
    ApplyApproval, GroupEventKind, Invitation, JoinRequest, Member, RequestStatus, Resolution,
    Role, is_open,
};
use crate::{GroupError, qr};

const REASON_MAX: usize = 256;

/// The outcome of `/group/apply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Joined,
    Waiting,
}

/// A signed QR invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrCode {
    pub qr_info: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

impl Groups {
    /// Invites users, each on its own: one whose `group_confirm` is off joins at once; else an
    /// invitation waits for them. Members invite when `member_invite` is on; admins always.
    ///
    /// # Errors
    /// 20001; 20011; 20012 for a member while `member_invite` is off; 10002 for a bad list.
    pub async fn invite(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
        reason: Option<String>,
    ) -> Result<Vec<Outcome>, GroupError> {
        let users = user_list(users)?;
        let reason = text("reason", reason.unwrap_or_default(), REASON_MAX)?;
        let (group, access) = self.group_as(principal, id, Role::Member).await?;
        if !group.settings.member_invite {
            access.need(Role::Admin)?;
        }
        let app = &principal.app;
        let known = self.deps.users.invitees(app, &users).await?;
        let now = self.deps.clock.now();
        let mut outcomes = Vec::with_capacity(users.len());
        let (mut joined, mut invited) = (Vec::new(), Vec::new());
        let mut failure = None;
        for user in users {
            let outcome = async {
                let confirm = known
                    .iter()
                    .find(|(u, _)| *u == user)
                    .map(|(_, confirm)| *confirm)
                    .ok_or(GroupError::UserNotFound)?;
                if confirm {
                    // Nothing joins yet: refuse now what the join would refuse later.
                    self.check_may_join(app, &group, user).await?;
                    let invitation = Invitation {
                        id: self.deps.ids.next_id(),
                        group: id,
                        inviter: access.author(),
                        invitee: user,
                        reason: reason.clone(),
                        status: RequestStatus::Pending,
                        expires_at: now.plus_secs(self.deps.policy.request_ttl_secs),
                        updated_at: now,
                    };
                    self.deps.groups.save_invitation(app, &invitation).await?;
                    invited.push(user);
                } else {
                    self.join(app, &group, user).await?;
                    joined.push(user);
                }
                Ok::<_, GroupError>(())
            }
            .await;
            outcomes.push(match outcome {
                Ok(()) => Outcome::done(user.0),
                Err(GroupError::Unknown(e)) => {
                    failure = Some(e);
                    break;
                }
                Err(e) => Outcome::failed(user.0, &e),
            });
        }
        // Whatever happened before a storage failure did happen: tell about it either way.
        if !invited.is_empty() {
            self.publish(
                app,
                GroupEventKind::Invited,
                id,
                access.author(),
                invited,
                &reason,
            )
            .await;
        }
        if !joined.is_empty() {
            self.publish(app, GroupEventKind::Joined, id, access.author(), joined, "")
                .await;
        }
        match failure {
            Some(e) => Err(GroupError::Unknown(e)),
            None => Ok(outcomes),
        }
    }

    /// Invitations the caller received, newest first, with `cursor` paging.
    ///
    /// # Errors
    /// 10002 for a bad cursor or limit, or an admin token without `user_id`.
    pub async fn invitations(
        &self,
        principal: &Principal,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<MemberPage<Invitation>, GroupError> {
        let me = Self::me(principal)?;
        let limit = page_limit(limit)?;
        let before = parse_cursor(cursor)?;
        let (items, total) = self
            .deps
            .groups
            .invitations_to(&principal.app, me, before, limit + 1)
            .await?;
        Ok(finish_page(items, limit, total, |i| i.id))
    }

    /// The caller answers an invitation; `named` may be the inviter's id or the caller's own
    /// (clients of the original disagree).
    ///
    /// # Errors
    /// 20001; 20015 when there is no open invitation; on acceptance, 20017, 20018, 20016,
    /// 20009 or 20010 as for any join.
    pub async fn answer_invitation(
        &self,
        principal: &Principal,
        id: GroupId,
        named: UserId,
        accept: bool,
    ) -> Result<(), GroupError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        let group = self.live_group(app, id).await?;
        let now = self.deps.clock.now();
        let invitation = self
            .deps
            .groups
            .invitation(app, id, me)
            .await?
            .filter(|i| (named == me || named == i.inviter) && is_open(i.status, i.expires_at, now))
            .ok_or(GroupError::InvitationMissing)?;
        let member = Member::new(id, me, Role::Member, now);
        let limits = self.limits(&group);
        let resolution = self
            .deps
            .groups
            .resolve_invitation(app, id, me, accept.then_some((&member, &limits)), now)
            .await?;
        let kind = match resolution {
            Resolution::Missing => return Err(GroupError::InvitationMissing),
            Resolution::Refused(outcome) => return outcome.into_result(),
            Resolution::Declined => GroupEventKind::InviteDeclined,
            Resolution::Joined => GroupEventKind::InviteAccepted,
        };
        self.publish(app, kind, id, me, vec![invitation.inviter], "")
            .await;
        if accept {
            self.publish(app, GroupEventKind::Joined, id, me, vec![me], "")
                .await;
        }
        Ok(())
    }

    /// The caller applies to join, by the group's `apply_approval`: 0 joins at once, 1 waits
    /// for an admin, 2 is refused.
    ///
    /// # Errors
    /// 20001; 20017; 20018; 20016; 20009; 20010; 10010 when the group accepts no applications.
    pub async fn apply(
        &self,
        principal: &Principal,
        id: GroupId,
        reason: Option<String>,
    ) -> Result<Applied, GroupError> {
        let me = Self::me(principal)?;
        let reason = text("reason", reason.unwrap_or_default(), REASON_MAX)?;
        let app = &principal.app;
        let group = self.live_group(app, id).await?;
        if group.settings.apply_approval != ApplyApproval::AcceptAll {
            // No join follows at once: refuse now what a join would refuse.
            self.check_may_join(app, &group, me).await?;
        }
        match group.settings.apply_approval {
            ApplyApproval::RejectAll => Err(GroupError::NoPermission(
                "the group accepts no applications".into(),
            )),
            ApplyApproval::AcceptAll => {
                self.join(app, &group, me).await?;
                self.publish(app, GroupEventKind::Joined, id, me, vec![me], "")
                    .await;
                Ok(Applied::Joined)
            }
            ApplyApproval::AdminApproves => {
                let now = self.deps.clock.now();
                let request = JoinRequest {
                    id: self.deps.ids.next_id(),
                    group: id,
                    applicant: me,
                    reason: reason.clone(),
                    status: RequestStatus::Pending,
                    expires_at: now.plus_secs(self.deps.policy.request_ttl_secs),
                };
                self.deps.groups.save_join_request(app, &request).await?;
                self.publish(app, GroupEventKind::Applied, id, me, Vec::new(), &reason)
                    .await;
                Ok(Applied::Waiting)
            }
        }
    }

    /// Applications to the listed groups (the caller must be admin of each), newest first,
    /// with `cursor` paging.
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad list, cursor or limit.
    pub async fn applications(
        &self,
        principal: &Principal,
        ids: Vec<GroupId>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<MemberPage<JoinRequest>, GroupError> {
        if ids.is_empty() || ids.len() > 100 {
            return Err(GroupError::invalid(
                "group_list must hold 1 to 100 group ids",
            ));
        }
        let limit = page_limit(limit)?;
        let before = parse_cursor(cursor)?;
        for id in &ids {
            self.group_as(principal, *id, Role::Admin).await?;
        }
        let (items, total) = self
            .deps
            .groups
            .join_requests(&principal.app, &ids, before, limit + 1)
            .await?;
        Ok(finish_page(items, limit, total, |r| r.id))
    }

    /// An admin approves or declines an application.
    ///
    /// # Errors
    /// 20001; 20012; 20014 when there is no open application; on approval, 20017, 20018,
    /// 20016, 20009 or 20010 as for any join.
    pub async fn answer_application(
        &self,
        principal: &Principal,
        id: GroupId,
        applicant: UserId,
        approve: bool,
    ) -> Result<(), GroupError> {
        let (group, access) = self.group_as(principal, id, Role::Admin).await?;
        let app = &principal.app;
        let now = self.deps.clock.now();
        self.deps
            .groups
            .join_request(app, id, applicant)
            .await?
            .filter(|r| is_open(r.status, r.expires_at, now))
            .ok_or(GroupError::ApplicationMissing)?;
        let member = Member::new(id, applicant, Role::Member, now);
        let limits = self.limits(&group);
        let resolution = self
            .deps
            .groups
            .resolve_join_request(
                app,
                id,
                applicant,
                approve.then_some((&member, &limits)),
                now,
            )
            .await?;
        let kind = match resolution {
            Resolution::Missing => return Err(GroupError::ApplicationMissing),
            Resolution::Refused(outcome) => return outcome.into_result(),
            Resolution::Declined => GroupEventKind::ApplyDeclined,
            Resolution::Joined => GroupEventKind::ApplyAccepted,
        };
        self.publish(app, kind, id, access.author(), vec![applicant], "")
            .await;
        Ok(())
    }

    /// Signs a QR invitation into the group (whoever may invite).
    ///
    /// # Errors
    /// 20001; 20011; 20012 for a member while `member_invite` is off.
    pub async fn sign_qr(&self, principal: &Principal, id: GroupId) -> Result<QrCode, GroupError> {
        let (group, access) = self.group_as(principal, id, Role::Member).await?;
        if !group.settings.member_invite {
            access.need(Role::Admin)?;
        }
        let now = self.deps.clock.now();
        let expires_at = now.plus_secs(self.deps.policy.qr_ttl_secs);
        Ok(QrCode {
            qr_info: qr::sign(&group.qr_key, id, expires_at),
            created_at: now,
            expires_at,
        })
    }

    /// The caller joins through a QR invitation.
    ///
    /// # Errors
    /// 20024 for a forged or malformed one; 20025 for an expired one; 20001; and the refusals of
    /// any join (20017, 20018, 20016, 20009, 20010).
    pub async fn join_by_qr(
        &self,
        principal: &Principal,
        qr_info: &str,
    ) -> Result<GroupId, GroupError> {
        let me = Self::me(principal)?;
        let app = &principal.app;
        let (id, expires_at, signature) = qr::parse(qr_info).ok_or(GroupError::QrInvalid)?;
        let group = match self.deps.groups.group(app, id).await? {
            Some(group) => group,
            None => return Err(GroupError::QrInvalid),
        };
        if !qr::verify(&group.qr_key, id, expires_at, &signature) {
            return Err(GroupError::QrInvalid);
        }
        if self.deps.clock.now() >= expires_at {
            return Err(GroupError::QrExpired);
        }
        if group.destroyed {
            return Err(GroupError::GroupNotFound);
        }
        self.join(app, &group, me).await?;
        self.publish(app, GroupEventKind::Joined, id, me, vec![me], "")
            .await;
        Ok(id)
    }
}
