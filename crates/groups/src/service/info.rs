//! Creating and destroying groups; their information and settings.

use rand::Rng;
use rand::distr::Alphanumeric;
use tidings_kernel::{GroupId, Principal, UserId};

use super::{Groups, text, user_list};
use crate::GroupError;
use crate::model::{
    ApplyApproval, Group, GroupChange, GroupEventKind, GroupSettings, GroupType, Member, Role,
};

/// What `/group/create` takes.
#[derive(Clone, Debug, Default)]
pub struct NewGroup {
    pub name: String,
    pub description: String,
    pub avatar: String,
    pub kind: Option<i64>,
    pub users: Vec<UserId>,
}

/// One editable text of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InfoField {
    Name,
    Description,
    Avatar,
    Ext,
}

/// One boolean setting of a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    MemberInvite,
    MemberModify,
    ReadAck,
    HistoryVisible,
}

const NAME_MAX: usize = 64;
const DESCRIPTION_MAX: usize = 1024;
const AVATAR_MAX: usize = 1024;
const EXT_MAX: usize = 4096;

/// A group as the caller sees it: the group and the caller's own membership, if any.
#[derive(Clone, Debug)]
pub struct GroupView {
    pub group: Group,
    pub member_count: i64,
    pub me: Option<Member>,
}

impl Groups {
    /// Creates a group owned by the caller, with `users` as members at once.
    ///
    /// # Errors
    /// 10002 for bad input or an admin token without `user_id`; 10000 for an unknown listed
    /// user; 20008 when the caller owns too many groups; 20009 when the caller or a listed user
    /// is in too many; 20010 when the list exceeds the capacity.
    pub async fn create(
        &self,
        principal: &Principal,
        new: NewGroup,
    ) -> Result<GroupView, GroupError> {
        let owner = Self::me(principal)?;
        let app = &principal.app;
        let kind = GroupType::from_code(new.kind.unwrap_or(0))?;
        let name = text("name", new.name, NAME_MAX)?;
        let description = text("description", new.description, DESCRIPTION_MAX)?;
        let avatar = text("avatar", new.avatar, AVATAR_MAX)?;
        let policy = &self.deps.policy;
        let repo = &self.deps.groups;
        if repo.owned_count(app, owner).await? >= policy.max_owned {
            return Err(GroupError::TooManyCreated);
        }
        let mut users: Vec<UserId> = if new.users.is_empty() {
            Vec::new()
        } else {
            user_list(new.users)?
        };
        users.retain(|u| *u != owner);
        let found = self.deps.users.invitees(app, &users).await?;
        if found.len() != users.len() {
            return Err(GroupError::UserNotFound);
        }
        if 1 + users.len() as i64 > policy.capacity {
            return Err(GroupError::GroupFull);
        }
        for user in std::iter::once(owner).chain(users.iter().copied()) {
            if repo.joined_groups(app, user).await?.len() as i64 >= policy.max_joined {
                return Err(GroupError::TooManyJoined);
            }
        }
        let now = self.deps.clock.now();
        let group = Group {
            id: GroupId(self.deps.ids.next_id()),
            name,
            description,
            avatar,
            ext: String::new(),
            kind,
            owner,
            settings: GroupSettings::default(),
            destroyed: false,
            capacity: policy.capacity,
            qr_key: rand::rng()
                .sample_iter(&Alphanumeric)
                .take(32)
                .map(char::from)
                .collect(),
            created_at: now,
            updated_at: now,
        };
        let mut members = vec![Member::new(group.id, owner, Role::Owner, now)];
        members.extend(
            users
                .iter()
                .map(|u| Member::new(group.id, *u, Role::Member, now)),
        );
        repo.create_group(app, &group, &members).await?;
        self.publish(app, GroupEventKind::Created, group.id, owner, users, "")
            .await;
        let me = members.first().cloned();
        Ok(GroupView {
            member_count: members.len() as i64,
            group,
            me,
        })
    }

    /// Destroys a group (owner only): it keeps its rows with status 1 and leaves every
    /// member's joined list.
    ///
    /// # Errors
    /// 20001 for an unknown or destroyed group; 20013 for anyone but the owner.
    pub async fn destroy(&self, principal: &Principal, id: GroupId) -> Result<(), GroupError> {
        let (_, access) = self.group_as(principal, id, Role::Owner).await?;
        // Who to tell: the members are gone from the group once it is destroyed.
        let (members, _) = self
            .deps
            .groups
            .member_page(&principal.app, id, None, i64::MAX)
            .await?;
        if !self
            .deps
            .groups
            .destroy_group(&principal.app, id, self.deps.clock.now())
            .await?
        {
            return Err(GroupError::GroupNotFound);
        }
        self.publish(
            &principal.app,
            GroupEventKind::Destroyed,
            id,
            access.author(),
            members.into_iter().map(|m| m.user).collect(),
            "",
        )
        .await;
        Ok(())
    }

    /// A group (destroyed ones too, with status 1) with the caller's own member settings.
    ///
    /// # Errors
    /// 20001 for an unknown group.
    pub async fn view(&self, principal: &Principal, id: GroupId) -> Result<GroupView, GroupError> {
        let group = self.any_group(&principal.app, id).await?;
        self.view_of(principal, group).await
    }

    async fn view_of(&self, principal: &Principal, group: Group) -> Result<GroupView, GroupError> {
        let me = match principal.user() {
            Some(user) => {
                self.deps
                    .groups
                    .member(&principal.app, group.id, user)
                    .await?
            }
            None => None,
        };
        let member_count = self
            .deps
            .groups
            .member_count(&principal.app, group.id)
            .await?;
        Ok(GroupView {
            group,
            member_count,
            me,
        })
    }

    /// Several groups (up to 100); unknown ids are left out.
    ///
    /// # Errors
    /// 10002 for an empty or over-long list.
    pub async fn views(
        &self,
        principal: &Principal,
        ids: Vec<GroupId>,
    ) -> Result<Vec<GroupView>, GroupError> {
        if ids.is_empty() || ids.len() > 100 {
            return Err(GroupError::invalid(
                "group_list must hold 1 to 100 group ids",
            ));
        }
        let groups = self.deps.groups.groups(&principal.app, &ids).await?;
        let mut views = Vec::with_capacity(groups.len());
        for group in groups {
            views.push(self.view_of(principal, group).await?);
        }
        Ok(views)
    }

    /// Changes the name, description, avatar or ext: admins, or members when `member_modify`.
    ///
    /// # Errors
    /// 20001; 20011 for a non-member; 20012 for a member while `member_modify` is off; 10002
    /// for an over-long value or an empty name.
    pub async fn update_info(
        &self,
        principal: &Principal,
        id: GroupId,
        field: InfoField,
        value: String,
    ) -> Result<(), GroupError> {
        let (group, access) = self.group_as(principal, id, Role::Member).await?;
        if !group.settings.member_modify {
            access.need(Role::Admin)?;
        }
        let change = match field {
            InfoField::Name => {
                let value = text("name", value, NAME_MAX)?;
                if value.trim().is_empty() {
                    return Err(GroupError::invalid("name must not be empty"));
                }
                GroupChange::Name(value)
            }
            InfoField::Description => {
                GroupChange::Description(text("description", value, DESCRIPTION_MAX)?)
            }
            InfoField::Avatar => GroupChange::Avatar(text("avatar", value, AVATAR_MAX)?),
            InfoField::Ext => GroupChange::Ext(text("ext", value, EXT_MAX)?),
        };
        self.change(principal, id, change, &access, GroupEventKind::InfoUpdated)
            .await
    }

    /// Turns a boolean setting on or off (admins).
    ///
    /// # Errors
    /// 20001; 20012 for anyone but an admin.
    pub async fn update_setting(
        &self,
        principal: &Principal,
        id: GroupId,
        setting: Setting,
        value: bool,
    ) -> Result<(), GroupError> {
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let change = match setting {
            Setting::MemberInvite => GroupChange::MemberInvite(value),
            Setting::MemberModify => GroupChange::MemberModify(value),
            Setting::ReadAck => GroupChange::ReadAck(value),
            Setting::HistoryVisible => GroupChange::HistoryVisible(value),
        };
        self.change(principal, id, change, &access, GroupEventKind::InfoUpdated)
            .await
    }

    /// Sets how applications are handled (admins): 0 accept all, 1 admins approve, 2 reject all.
    ///
    /// # Errors
    /// 20001; 20012; 10002 outside 0–2.
    pub async fn set_apply_approval(
        &self,
        principal: &Principal,
        id: GroupId,
        code: i64,
    ) -> Result<(), GroupError> {
        let approval = ApplyApproval::from_code(code)?;
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        self.change(
            principal,
            id,
            GroupChange::ApplyApproval(approval),
            &access,
            GroupEventKind::InfoUpdated,
        )
        .await
    }

    /// Mutes everyone but admins for `minutes` (−1: until `unban_all`). Returns the new
    /// `ban_expire_time` in seconds since the epoch (−1 for ever).
    ///
    /// # Errors
    /// 20001; 20012; 10002 for a duration that is neither positive nor −1.
    pub async fn ban_all(
        &self,
        principal: &Principal,
        id: GroupId,
        minutes: i64,
    ) -> Result<i64, GroupError> {
        if minutes != -1 && !(1..=525_600 * 100).contains(&minutes) {
            return Err(GroupError::invalid(
                "duration must be a positive number of minutes, or -1",
            ));
        }
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        let expire = if minutes == -1 {
            -1
        } else {
            self.deps.clock.now().0 / 1000 + minutes * 60
        };
        self.change(
            principal,
            id,
            GroupChange::BanExpireTime(expire),
            &access,
            GroupEventKind::Banned,
        )
        .await?;
        Ok(expire)
    }

    /// Lifts `ban_all`.
    ///
    /// # Errors
    /// 20001; 20012.
    pub async fn unban_all(&self, principal: &Principal, id: GroupId) -> Result<(), GroupError> {
        let (_, access) = self.group_as(principal, id, Role::Admin).await?;
        self.change(
            principal,
            id,
            GroupChange::BanExpireTime(0),
            &access,
            GroupEventKind::Unbanned,
        )
        .await
    }

    /// The groups the caller is a member of (not destroyed).
    ///
    /// # Errors
    /// 10002 for an admin token without `user_id`.
    pub async fn joined(&self, principal: &Principal) -> Result<Vec<GroupId>, GroupError> {
        let me = Self::me(principal)?;
        Ok(self.deps.groups.joined_groups(&principal.app, me).await?)
    }

    /// The app's public groups: its chatrooms (type 2), not destroyed.
    ///
    /// # Errors
    /// Storage failures only.
    pub async fn public_list(&self, principal: &Principal) -> Result<Vec<GroupId>, GroupError> {
        Ok(self.deps.groups.chatrooms(&principal.app).await?)
    }
}
