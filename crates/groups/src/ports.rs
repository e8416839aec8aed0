//! Outbound ports of the groups domain. Every method is scoped by app.

use async_trait::async_trait;
use tidings_kernel::{AppId, GroupId, Timestamp, UserId};

use crate::RepoError;
use crate::model::{
    Announcement, BlockedUser, Group, GroupChange, GroupEvent, Invitation, JoinLimits, JoinOutcome,
    JoinRequest, Member, Preference, Resolution, Role, SharedFile,
};

/// Groups and everything in them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GroupRepository: Send + Sync {
    /// Stores a new group with its first members (the owner among them), atomically.
    async fn create_group(
        &self,
        app: &AppId,
        group: &Group,
        members: &[Member],
    ) -> Result<(), RepoError>;
    /// A group, destroyed or not.
    async fn group(&self, app: &AppId, id: GroupId) -> Result<Option<Group>, RepoError>;
    /// The listed groups that exist, in id order.
    async fn groups(&self, app: &AppId, ids: &[GroupId]) -> Result<Vec<Group>, RepoError>;
    /// Applies one change to a group that is not destroyed; `false` when it is (or is gone).
    async fn change_group(
        &self,
        app: &AppId,
        group: GroupId,
        change: &GroupChange,
        now: Timestamp,
    ) -> Result<bool, RepoError>;
    /// Marks a group destroyed; `false` when it already was (or is gone).
    async fn destroy_group(
        &self,
        app: &AppId,
        group: GroupId,
        now: Timestamp,
    ) -> Result<bool, RepoError>;
    /// Hands the group to `to` (who must still be a member: else `false` and nothing changes)
    /// and makes the owner `from` a plain member, atomically.
    async fn transfer_owner(
        &self,
        app: &AppId,
        group: GroupId,
        from: UserId,
        to: UserId,
        now: Timestamp,
    ) -> Result<bool, RepoError>;

    async fn member(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<Option<Member>, RepoError>;
    /// The listed users that are members, in user id order.
    async fn members_of(
        &self,
        app: &AppId,
        group: GroupId,
        users: &[UserId],
    ) -> Result<Vec<Member>, RepoError>;
    /// How many members the group has.
    async fn member_count(&self, app: &AppId, group: GroupId) -> Result<i64, RepoError>;
    /// Members with user ids above `after`, ascending, at most `limit`; and the member count.
    async fn member_page(
        &self,
        app: &AppId,
        group: GroupId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<(Vec<Member>, i64), RepoError>;
    /// Members muted at `now`, like [`Self::member_page`].
    async fn muted_page(
        &self,
        app: &AppId,
        group: GroupId,
        now: Timestamp,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<(Vec<Member>, i64), RepoError>;
    /// Members with the admin role, in user id order.
    async fn admins(&self, app: &AppId, group: GroupId) -> Result<Vec<Member>, RepoError>;
    /// Adds one member, checking inside the transaction that holds the group row that the
    /// group is not destroyed and not full, and that the user is not a member, not
    /// blacklisted, not kicked more than the limit and not in too many groups.
    async fn join(
        &self,
        app: &AppId,
        member: &Member,
        limits: &JoinLimits,
    ) -> Result<JoinOutcome, RepoError>;
    /// Removes members, atomically; with `kicked`, counts one kick for each.
    async fn remove_members(
        &self,
        app: &AppId,
        group: GroupId,
        users: &[UserId],
        kicked: bool,
    ) -> Result<(), RepoError>;
    /// How often the user was kicked out of the group.
    async fn kick_count(&self, app: &AppId, group: GroupId, user: UserId)
    -> Result<i64, RepoError>;
    /// Changes a member's role from `from` to `to`; `false` when the member's role is not
    /// `from` (any more).
    async fn set_role(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
        from: Role,
        to: Role,
    ) -> Result<bool, RepoError>;
    /// Mutes a member whose role is still `role` until `until` (ms; 0 lifts it, −1 for ever);
    /// `false` when there is no such member.
    async fn set_muted(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
        role: Role,
        until: i64,
    ) -> Result<bool, RepoError>;
    /// Writes one preference of a member; `false` when there is no such member.
    async fn set_preference(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
        preference: &Preference,
    ) -> Result<bool, RepoError>;
    /// Groups the user is a member of and that are not destroyed, ascending.
    async fn joined_groups(&self, app: &AppId, user: UserId) -> Result<Vec<GroupId>, RepoError>;
    /// How many groups, not destroyed, the user owns.
    async fn owned_count(&self, app: &AppId, user: UserId) -> Result<i64, RepoError>;
    /// Chatrooms (type 2) that are not destroyed, ascending.
    async fn chatrooms(&self, app: &AppId) -> Result<Vec<GroupId>, RepoError>;

    /// Blacklists users and removes their membership, atomically.
    async fn block_users(
        &self,
        app: &AppId,
        group: GroupId,
        users: &[UserId],
        now: Timestamp,
    ) -> Result<(), RepoError>;
    async fn unblock_users(
        &self,
        app: &AppId,
        group: GroupId,
        users: &[UserId],
    ) -> Result<(), RepoError>;
    async fn is_blocked(
        &self,
        app: &AppId,
        group: GroupId,
        user: UserId,
    ) -> Result<bool, RepoError>;
    /// Blacklisted users above `after`, ascending, at most `limit`; and their count.
    async fn blocked_page(
        &self,
        app: &AppId,
        group: GroupId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<(Vec<BlockedUser>, i64), RepoError>;

    /// Stores an invitation, replacing an earlier one of the same group and invitee (which
    /// keeps its id, so paged lists stay stable).
    async fn save_invitation(&self, app: &AppId, invitation: &Invitation) -> Result<(), RepoError>;
    async fn invitation(
        &self,
        app: &AppId,
        group: GroupId,
        invitee: UserId,
    ) -> Result<Option<Invitation>, RepoError>;
    /// Answers the invitee's open invitation: declines it, or (with `join`) accepts it and
    /// adds the member as [`Self::join`] does — all in one transaction. A refused join
    /// changes nothing.
    async fn resolve_invitation<'a>(
        &self,
        app: &AppId,
        group: GroupId,
        invitee: UserId,
        join: Option<(&'a Member, &'a JoinLimits)>,
        now: Timestamp,
    ) -> Result<Resolution, RepoError>;
    /// Invitations of `invitee` with ids below `before`, newest first, at most `limit`; and
    /// their count.
    async fn invitations_to(
        &self,
        app: &AppId,
        invitee: UserId,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<Invitation>, i64), RepoError>;

    /// Stores an application, replacing an earlier one of the same group and applicant (which
    /// keeps its id).
    async fn save_join_request(&self, app: &AppId, request: &JoinRequest) -> Result<(), RepoError>;
    async fn join_request(
        &self,
        app: &AppId,
        group: GroupId,
        applicant: UserId,
    ) -> Result<Option<JoinRequest>, RepoError>;
    /// Answers the applicant's open application, like [`Self::resolve_invitation`].
    async fn resolve_join_request<'a>(
        &self,
        app: &AppId,
        group: GroupId,
        applicant: UserId,
        join: Option<(&'a Member, &'a JoinLimits)>,
        now: Timestamp,
    ) -> Result<Resolution, RepoError>;
    /// Applications to the listed groups with ids below `before`, newest first, at most
    /// `limit`; and their count.
    async fn join_requests(
        &self,
        app: &AppId,
        groups: &[GroupId],
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<JoinRequest>, i64), RepoError>;

    async fn save_announcement(
        &self,
        app: &AppId,
        announcement: &Announcement,
    ) -> Result<(), RepoError>;
    async fn announcement(
        &self,
        app: &AppId,
        group: GroupId,
        id: i64,
    ) -> Result<Option<Announcement>, RepoError>;
    /// The group's announcements, newest first.
    async fn announcements(
        &self,
        app: &AppId,
        group: GroupId,
    ) -> Result<Vec<Announcement>, RepoError>;
    /// `false` when there was no such announcement.
    async fn delete_announcement(
        &self,
        app: &AppId,
        group: GroupId,
        id: i64,
    ) -> Result<bool, RepoError>;

    async fn save_file(&self, app: &AppId, file: &SharedFile) -> Result<(), RepoError>;
    async fn file(
        &self,
        app: &AppId,
        group: GroupId,
        id: i64,
    ) -> Result<Option<SharedFile>, RepoError>;
    /// The group's files, newest first.
    async fn files(&self, app: &AppId, group: GroupId) -> Result<Vec<SharedFile>, RepoError>;
    /// Writes a file's name and `updated_at`.
    async fn rename_file(&self, app: &AppId, file: &SharedFile) -> Result<(), RepoError>;
    async fn delete_file(&self, app: &AppId, group: GroupId, id: i64) -> Result<(), RepoError>;
}

/// What the groups domain needs to know of users.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GroupUsers: Send + Sync {
    /// The listed users that exist, with their `group_confirm` setting (whether invitations
    /// wait for their consent).
    async fn invitees(&self, app: &AppId, ids: &[UserId])
    -> Result<Vec<(UserId, bool)>, RepoError>;
}

/// Where group events go. The gateway delivers them; until it exists the app drops them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait GroupEvents: Send + Sync {
    async fn publish(&self, app: &AppId, event: GroupEvent);
}
