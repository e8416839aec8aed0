//! Mutes (`ban`) and the group blacklist (`block`).

use tidings_kernel::{GroupId, Principal, UserId};

use super::{Groups, MemberPage, Outcome, finish_page, page_limit, parse_cursor, user_list};
use crate::GroupError;
use crate::model::{BlockedUser, GroupEventKind, Member, Role};

impl Groups {
    /// Mutes members for `minutes` (−1: until unmuted), each on its own (admins; the owner
    /// for admins).
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad list or duration.
    pub async fn mute(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
        minutes: i64,
    ) -> Result<Vec<Outcome>, GroupError> {
        if minutes != -1 && !(1..=525_600 * 100).contains(&minutes) {
            return Err(GroupError::invalid(
                "duration must be a positive number of minutes, or -1",
            ));
        }
        let until = if minutes == -1 {
            -1
        } else {
            self.deps.clock.now().0 + minutes * 60_000
        };
        self.set_muted(principal, id, users, until, GroupEventKind::Muted)
            .await
    }

    /// Lifts mutes, each on its own.
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad list.
    pub async fn unmute(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
    ) -> Result<Vec<Outcome>, GroupError> {
        self.set_muted(principal, id, users, 0, GroupEventKind::Unmuted)
            .await
    }

    async fn set_muted(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
        until: i64,
        kind: GroupEventKind,
    ) -> Result<Vec<Outcome>, GroupError> {
        let users = user_list(users)?;
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let app = &principal.app;
        let mut outcomes = Vec::with_capacity(users.len());
        let mut changed = Vec::new();
        for user in users {
            let result = match self.deps.groups.member(app, id, user).await? {
                Some(member) => match Self::may_moderate(&access, &member) {
                    Ok(())
                        if self
                            .deps
                            .groups
                            .set_muted(app, id, user, member.role, until)
                            .await? =>
                    {
                        changed.push(user);
                        Ok(())
                    }
                    Ok(()) => Err(GroupError::NotMember),
                    Err(e) => Err(e),
                },
                None => Err(GroupError::NotMember),
            };
            outcomes.push(match result {
                Ok(()) => Outcome::done(user.0),
                Err(e) => Outcome::failed(user.0, &e),
            });
        }
        if !changed.is_empty() {
            self.publish(app, kind, id, access.author(), changed, "")
                .await;
        }
        Ok(outcomes)
    }

    /// Members muted now, in user id order with `cursor` paging (members).
    ///
    /// # Errors
    /// 20001; 20011; 10002 for a bad cursor or limit.
    pub async fn muted(
        &self,
        principal: &Principal,
        id: GroupId,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<MemberPage<Member>, GroupError> {
        let limit = page_limit(limit)?;
        let after = parse_cursor(cursor)?.map(UserId);
        self.group_as(principal, id, Role::Member).await?;
        let (items, total) = self
            .deps
            .groups
            .muted_page(&principal.app, id, self.deps.clock.now(), after, limit + 1)
            .await?;
        Ok(finish_page(items, limit, total, |m| m.user.0))
    }

    /// Blacklists users (admins; the owner for admins): members are removed, and none of them
    /// can apply, be invited or join by QR until unblocked.
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad list.
    pub async fn block(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
    ) -> Result<Vec<Outcome>, GroupError> {
        let users = user_list(users)?;
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let app = &principal.app;
        let known = self.deps.users.invitees(app, &users).await?;
        let mut outcomes = Vec::with_capacity(users.len());
        let mut blocked = Vec::new();
        for user in users {
            let result = if !known.iter().any(|(u, _)| *u == user) {
                Err(GroupError::UserNotFound)
            } else if access.user == Some(user) {
                Err(GroupError::invalid("that is the caller itself"))
            } else {
                match self.deps.groups.member(app, id, user).await? {
                    Some(member) => Self::may_moderate(&access, &member),
                    None => Ok(()),
                }
            };
            match result {
                Ok(()) => {
                    blocked.push(user);
                    outcomes.push(Outcome::done(user.0));
                }
                Err(e) => outcomes.push(Outcome::failed(user.0, &e)),
            }
        }
        if !blocked.is_empty() {
            self.deps
                .groups
                .block_users(app, id, &blocked, self.deps.clock.now())
                .await?;
            self.publish(
                app,
                GroupEventKind::Blocked,
                id,
                access.author(),
                blocked,
                "",
            )
            .await;
        }
        Ok(outcomes)
    }

    /// Takes users off the blacklist (admins).
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad list.
    pub async fn unblock(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
    ) -> Result<Vec<Outcome>, GroupError> {
        let users = user_list(users)?;
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let app = &principal.app;
        self.deps.groups.unblock_users(app, id, &users).await?;
        let outcomes = users.iter().map(|u| Outcome::done(u.0)).collect();
        self.publish(
            app,
            GroupEventKind::Unblocked,
            id,
            access.author(),
            users,
            "",
        )
        .await;
        Ok(outcomes)
    }

    /// The blacklist, in user id order with `cursor` paging (admins).
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad cursor or limit.
    pub async fn blocked(
        &self,
        principal: &Principal,
        id: GroupId,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> Result<MemberPage<BlockedUser>, GroupError> {
        let limit = page_limit(limit)?;
        let after = parse_cursor(cursor)?.map(UserId);
        self.group_as(principal, id, Role::Admin).await?;
        let (items, total) = self
            .deps
            .groups
            .blocked_page(&principal.app, id, after, limit + 1)
            .await?;
        Ok(finish_page(items, limit, total, |b| b.user.0))
    }
}
