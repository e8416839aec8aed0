//! The groups service, [`Groups`]; its operations are split by area into the modules below.

mod content;
mod info;
mod join;
mod members;
mod moderation;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use tidings_kernel::{Actor, AppId, Clock, GroupId, IdGenerator, Principal, UserId};

pub use content::NewFile;
pub use info::{GroupView, InfoField, NewGroup, Setting};
pub use join::{Applied, QrCode};

use crate::GroupError;
use crate::model::{Group, GroupChange, GroupEvent, GroupEventKind, JoinLimits, Member, Role};
use crate::ports::{GroupEvents, GroupRepository, GroupUsers};

/// Limits and lifetimes of the groups domain.
#[derive(Clone, Debug)]
pub struct GroupsPolicy {
    /// Members a new group may hold (20010 beyond).
    pub capacity: i64,
    /// Groups one user may own (20008 beyond).
    pub max_owned: i64,
    /// Groups one user may be a member of (20009 beyond).
    pub max_joined: i64,
    /// A user kicked out of a group more often than this cannot rejoin it (20016).
    pub kick_limit: i64,
    /// Lifetime of invitations and applications, in seconds.
    pub request_ttl_secs: i64,
    /// Lifetime of QR invitations, in seconds.
    pub qr_ttl_secs: i64,
}

impl Default for GroupsPolicy {
    fn default() -> Self {
        Self {
            capacity: 2000,
            max_owned: 100,
            max_joined: 500,
            kick_limit: 3,
            request_ttl_secs: 7 * 24 * 3600,
            qr_ttl_secs: 7 * 24 * 3600,
        }
    }
}

/// Everything [`Groups`] needs from outside.
pub struct GroupsDeps {
    pub groups: Arc<dyn GroupRepository>,
    pub users: Arc<dyn GroupUsers>,
    pub events: Arc<dyn GroupEvents>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub policy: GroupsPolicy,
}

/// The groups service.
#[derive(Clone)]
pub struct Groups {
    deps: Arc<GroupsDeps>,
}

/// The outcome for one user (or file) of a batch operation: `failure` is `None` on success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub id: i64,
    pub failure: Option<String>,
}

impl Outcome {
    fn done(id: i64) -> Self {
        Self { id, failure: None }
    }

    fn failed(id: i64, error: &GroupError) -> Self {
        Self {
            id,
            failure: Some(error.to_string()),
        }
    }
}

/// One page of a cursor-paged list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberPage<T> {
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
    pub total: i64,
}

/// How the caller stands in one group.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    /// The user the call acts as; `None` for an admin token acting as group admin or operator.
    pub user: Option<UserId>,
    /// The rights the call has: the member's role, `Admin` for an admin token with this
    /// group's `group_id`, `Owner` for a bare admin token (the operator).
    pub rights: Option<Role>,
}

impl Access {
    /// Who events name as their author: the user, or 0 for an admin token.
    pub fn author(&self) -> UserId {
        self.user.unwrap_or(UserId(0))
    }

    pub fn need(&self, role: Role) -> Result<(), GroupError> {
        if self.rights.is_some_and(|r| r >= role) {
            return Ok(());
        }
        Err(match role {
            Role::Member => GroupError::NeedMember,
            Role::Admin => GroupError::NeedAdmin,
            Role::Owner => GroupError::NeedOwner,
        })
    }
}

const DEFAULT_LIMIT: i64 = 1000;

impl Groups {
    pub fn new(deps: GroupsDeps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    /// The user the call acts as.
    pub(crate) fn me(principal: &Principal) -> Result<UserId, GroupError> {
        principal.user().ok_or_else(|| {
            GroupError::invalid(
                "this operation acts as a user: send the user_id header with an admin token",
            )
        })
    }

    /// A group that exists (destroyed or not).
    pub(crate) async fn any_group(&self, app: &AppId, id: GroupId) -> Result<Group, GroupError> {
        self.deps
            .groups
            .group(app, id)
            .await?
            .ok_or(GroupError::GroupNotFound)
    }

    /// A group that exists and is not destroyed.
    pub(crate) async fn live_group(&self, app: &AppId, id: GroupId) -> Result<Group, GroupError> {
        let group = self.any_group(app, id).await?;
        if group.destroyed {
            return Err(GroupError::GroupNotFound);
        }
        Ok(group)
    }

    /// How the caller stands in `group`.
    pub(crate) async fn access(
        &self,
        principal: &Principal,
        group: &Group,
    ) -> Result<Access, GroupError> {
        let app = &principal.app;
        match principal.actor {
            Actor::User { user, .. } | Actor::AdminAsUser(user) => {
                let member = self.deps.groups.member(app, group.id, user).await?;
                Ok(Access {
                    user: Some(user),
                    rights: member.map(|m| m.role),
                })
            }
            Actor::AdminOfGroup(id) if id == group.id => Ok(Access {
                user: None,
                rights: Some(Role::Admin),
            }),
            Actor::AdminOfGroup(_) => Err(GroupError::NoPermission(
                "the group_id header names another group".into(),
            )),
            Actor::Admin => Ok(Access {
                user: None,
                rights: Some(Role::Owner),
            }),
        }
    }

    /// A live group and the caller's access to it, which must be at least `role`.
    pub(crate) async fn group_as(
        &self,
        principal: &Principal,
        id: GroupId,
        role: Role,
    ) -> Result<(Group, Access), GroupError> {
        let group = self.live_group(&principal.app, id).await?;
        let access = self.access(principal, &group).await?;
        access.need(role)?;
        Ok((group, access))
    }

    pub(crate) async fn publish(
        &self,
        app: &AppId,
        kind: GroupEventKind,
        group: GroupId,
        from: UserId,
        to: Vec<UserId>,
        content: &str,
    ) {
        self.deps
            .events
            .publish(
                app,
                GroupEvent {
                    kind,
                    group,
                    from,
                    to,
                    content: content.to_owned(),
                },
            )
            .await;
    }

    /// Checks that `user` may join `group` now: not a member, not blacklisted, not kicked too
    /// often, and under the joined-groups limit. Only for flows where no join follows at once
    /// (an invitation or application that waits): every join re-checks these rules inside its
    /// own transaction (`GroupRepository::join`).
    pub(crate) async fn check_may_join(
        &self,
        app: &AppId,
        group: &Group,
        user: UserId,
    ) -> Result<(), GroupError> {
        let repo = &self.deps.groups;
        if repo.member(app, group.id, user).await?.is_some() {
            return Err(GroupError::AlreadyMember);
        }
        if repo.is_blocked(app, group.id, user).await? {
            return Err(GroupError::Blacklisted);
        }
        if repo.kick_count(app, group.id, user).await? > self.deps.policy.kick_limit {
            return Err(GroupError::KickedTooOften);
        }
        if repo.joined_groups(app, user).await?.len() as i64 >= self.deps.policy.max_joined {
            return Err(GroupError::TooManyJoined);
        }
        Ok(())
    }

    /// The limits a join into `group` is checked against.
    pub(crate) fn limits(&self, group: &Group) -> JoinLimits {
        JoinLimits {
            capacity: group.capacity,
            kick_limit: self.deps.policy.kick_limit,
            max_joined: self.deps.policy.max_joined,
        }
    }

    /// Adds one member; the store checks every join rule again inside its transaction.
    pub(crate) async fn join(
        &self,
        app: &AppId,
        group: &Group,
        user: UserId,
    ) -> Result<(), GroupError> {
        let member = Member::new(group.id, user, Role::Member, self.deps.clock.now());
        self.deps
            .groups
            .join(app, &member, &self.limits(group))
            .await?
            .into_result()
    }

    /// Applies one change to a live group.
    pub(crate) async fn change(
        &self,
        principal: &Principal,
        group: GroupId,
        change: GroupChange,
        access: &Access,
        kind: GroupEventKind,
    ) -> Result<(), GroupError> {
        let now = self.deps.clock.now();
        if !self
            .deps
            .groups
            .change_group(&principal.app, group, &change, now)
            .await?
        {
            return Err(GroupError::GroupNotFound);
        }
        self.publish(&principal.app, kind, group, access.author(), Vec::new(), "")
            .await;
        Ok(())
    }
}

/// Checks a page size: default 1000, 1–1000.
pub(crate) fn page_limit(limit: Option<i64>) -> Result<i64, GroupError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=DEFAULT_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(GroupError::invalid("limit must be 1 to 1000"))
    }
}

/// A cursor is the last id of the previous page.
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, GroupError> {
    cursor
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| GroupError::invalid("cursor is not one this server gave"))
        })
        .transpose()
}

/// Trims a fetched `limit + 1` page to `limit` and names the next cursor.
pub(crate) fn finish_page<T>(
    mut items: Vec<T>,
    limit: i64,
    total: i64,
    key: impl Fn(&T) -> i64,
) -> MemberPage<T> {
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|i| key(i).to_string())
    } else {
        None
    };
    MemberPage { items, next, total }
}

/// Checks a free-text field against its limit in characters.
pub(crate) fn text(field: &str, value: String, max: usize) -> Result<String, GroupError> {
    if value.chars().count() > max {
        return Err(GroupError::invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(value)
}

/// Checks a user list: 1–500 ids, duplicates removed, order kept.
pub(crate) fn user_list(users: Vec<UserId>) -> Result<Vec<UserId>, GroupError> {
    if users.is_empty() || users.len() > 500 {
        return Err(GroupError::invalid("user_list must hold 1 to 500 user ids"));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(users.into_iter().filter(|u| seen.insert(*u)).collect())
}
