//! Membership: lists, admins, kicks, leaving, ownership, display names and message modes.

use tidings_kernel::{GroupId, Principal, UserId};

use super::{
    Access, Groups, MemberPage, Outcome, finish_page, page_limit, parse_cursor, text, user_list,
};
use crate::GroupError;
use crate::model::{GroupEventKind, Member, Preference, Role};

const DISPLAY_NAME_MAX: usize = 64;

impl Groups {
    /// Members in user id order with `cursor` paging (members, or an admin token).
    ///
    /// # Errors
    /// 20001; 20011 for a non-member; 10002 for a bad cursor or limit.
    pub async fn members(
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
            .member_page(&principal.app, id, after, limit + 1)
            .await?;
        Ok(finish_page(items, limit, total, |m| m.user.0))
    }

    /// The listed users that are members, with their display names (members).
    ///
    /// # Errors
    /// 20001; 20011; 10002 for a bad list.
    pub async fn members_named(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
    ) -> Result<Vec<Member>, GroupError> {
        let users = user_list(users)?;
        self.group_as(principal, id, Role::Member).await?;
        Ok(self
            .deps
            .groups
            .members_of(&principal.app, id, &users)
            .await?)
    }

    /// The group's admins (members).
    ///
    /// # Errors
    /// 20001; 20011.
    pub async fn admins(
        &self,
        principal: &Principal,
        id: GroupId,
    ) -> Result<Vec<Member>, GroupError> {
        self.group_as(principal, id, Role::Member).await?;
        Ok(self.deps.groups.admins(&principal.app, id).await?)
    }

    /// Makes members admins (`grant`) or admins members again (owner only), each on its own.
    ///
    /// # Errors
    /// 20001; 20013; 10002 for a bad list.
    pub async fn set_admins(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
        grant: bool,
    ) -> Result<Vec<Outcome>, GroupError> {
        let users = user_list(users)?;
        let (_, access) = self.group_as(principal, id, Role::Owner).await?;
        let app = &principal.app;
        let (from, to) = if grant {
            (Role::Member, Role::Admin)
        } else {
            (Role::Admin, Role::Member)
        };
        let mut outcomes = Vec::with_capacity(users.len());
        let mut changed = Vec::new();
        for user in users {
            match self.deps.groups.member(app, id, user).await? {
                Some(member)
                    if member.role == from
                        && self.deps.groups.set_role(app, id, user, from, to).await? =>
                {
                    changed.push(user);
                    outcomes.push(Outcome::done(user.0));
                }
                Some(member) => outcomes.push(Outcome::failed(
                    user.0,
                    &GroupError::invalid(match (member.role, grant) {
                        (Role::Owner, _) => "the owner's role cannot change",
                        (_, true) => "already an admin",
                        (_, false) => "not an admin",
                    }),
                )),
                None => outcomes.push(Outcome::failed(user.0, &GroupError::NotMember)),
            }
        }
        if !changed.is_empty() {
            let kind = if grant {
                GroupEventKind::AdminGranted
            } else {
                GroupEventKind::AdminRevoked
            };
            self.publish(app, kind, id, access.author(), changed, "")
                .await;
        }
        Ok(outcomes)
    }

    /// Whether the caller may act on `target` as an admin: admins act on members, the owner
    /// (and the operator) on admins too; nobody on the owner or on themselves.
    pub(crate) fn may_moderate(access: &Access, target: &Member) -> Result<(), GroupError> {
        if target.role == Role::Owner {
            return Err(GroupError::NoPermission(
                "the owner cannot be moderated".into(),
            ));
        }
        if access.user == Some(target.user) {
            return Err(GroupError::invalid("that is the caller itself"));
        }
        if target.role == Role::Admin {
            access.need(Role::Owner)?;
        }
        Ok(())
    }

    /// Removes members (admins); each kick is counted, and a user kicked more than the limit
    /// cannot rejoin.
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a bad list.
    pub async fn kick(
        &self,
        principal: &Principal,
        id: GroupId,
        users: Vec<UserId>,
    ) -> Result<Vec<Outcome>, GroupError> {
        let users = user_list(users)?;
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let app = &principal.app;
        let mut outcomes = Vec::with_capacity(users.len());
        let mut kicked = Vec::new();
        for user in users {
            let checked = match self.deps.groups.member(app, id, user).await? {
                Some(member) => Self::may_moderate(&access, &member),
                None => Err(GroupError::NotMember),
            };
            match checked {
                Ok(()) => {
                    kicked.push(user);
                    outcomes.push(Outcome::done(user.0));
                }
                Err(e) => outcomes.push(Outcome::failed(user.0, &e)),
            }
        }
        if !kicked.is_empty() {
            self.deps
                .groups
                .remove_members(app, id, &kicked, true)
                .await?;
            self.publish(app, GroupEventKind::Kicked, id, access.author(), kicked, "")
                .await;
        }
        Ok(outcomes)
    }

    /// The caller leaves the group.
    ///
    /// # Errors
    /// 20001; 20002 for a non-member; 20004 for the owner.
    pub async fn leave(&self, principal: &Principal, id: GroupId) -> Result<(), GroupError> {
        let me = Self::me(principal)?;
        let group = self.live_group(&principal.app, id).await?;
        let member = self
            .deps
            .groups
            .member(&principal.app, id, me)
            .await?
            .ok_or(GroupError::NotMember)?;
        if member.role == Role::Owner {
            return Err(GroupError::OwnerCannotLeave);
        }
        self.deps
            .groups
            .remove_members(&principal.app, group.id, &[me], false)
            .await?;
        self.publish(&principal.app, GroupEventKind::Left, id, me, vec![me], "")
            .await;
        Ok(())
    }

    /// Hands the group to another member (owner only); the old owner stays as a member.
    ///
    /// # Errors
    /// 20001; 20013; 20005 when the new owner is not a member (also if they left meanwhile);
    /// 20008 when they own as many groups as allowed; 10002 for the owner itself.
    pub async fn transfer(
        &self,
        principal: &Principal,
        id: GroupId,
        to: UserId,
    ) -> Result<(), GroupError> {
        let (group, access) = self.group_as(principal, id, Role::Owner).await?;
        if to == group.owner {
            return Err(GroupError::invalid("the user already owns the group"));
        }
        let app = &principal.app;
        if self.deps.groups.member(app, id, to).await?.is_none() {
            return Err(GroupError::NewOwnerNotMember);
        }
        if self.deps.groups.owned_count(app, to).await? >= self.deps.policy.max_owned {
            return Err(GroupError::TooManyCreated);
        }
        if !self
            .deps
            .groups
            .transfer_owner(app, id, group.owner, to, self.deps.clock.now())
            .await?
        {
            return Err(GroupError::NewOwnerNotMember);
        }
        self.publish(
            app,
            GroupEventKind::OwnerAssigned,
            id,
            access.author(),
            vec![to],
            "",
        )
        .await;
        Ok(())
    }

    /// Sets the caller's display name in the group.
    ///
    /// # Errors
    /// 20001; 20011; 10002 over 64 characters.
    pub async fn set_display_name(
        &self,
        principal: &Principal,
        id: GroupId,
        name: String,
    ) -> Result<(), GroupError> {
        let name = text("display name", name, DISPLAY_NAME_MAX)?;
        self.set_preference(principal, id, Preference::DisplayName(name))
            .await
    }

    /// Sets how the caller receives the group's messages: 0 normally, 1 without
    /// notification, 2 not at all.
    ///
    /// # Errors
    /// 20001; 20011; 10002 outside 0–2.
    pub async fn set_mute_mode(
        &self,
        principal: &Principal,
        id: GroupId,
        mode: i64,
    ) -> Result<(), GroupError> {
        if !(0..=2).contains(&mode) {
            return Err(GroupError::invalid("msg_mute_mode must be 0, 1 or 2"));
        }
        self.set_preference(principal, id, Preference::MuteMode(mode))
            .await
    }

    /// Sets which of the group's messages push to the caller: 0 all, 1 none, 2 admins and
    /// @mentions, 3 admins only, 4 @mentions only.
    ///
    /// # Errors
    /// 20001; 20011; 20003 outside 0–4.
    pub async fn set_push_mode(
        &self,
        principal: &Principal,
        id: GroupId,
        mode: i64,
    ) -> Result<(), GroupError> {
        if !(0..=4).contains(&mode) {
            return Err(GroupError::InvalidPushMode);
        }
        self.set_preference(principal, id, Preference::PushMode(mode))
            .await
    }

    async fn set_preference(
        &self,
        principal: &Principal,
        id: GroupId,
        preference: Preference,
    ) -> Result<(), GroupError> {
        let me = Self::me(principal)?;
        self.group_as(principal, id, Role::Member).await?;
        if !self
            .deps
            .groups
            .set_preference(&principal.app, id, me, &preference)
            .await?
        {
            return Err(GroupError::NeedMember);
        }
        Ok(())
    }
}
