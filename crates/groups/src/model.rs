//! Group entities and values.

use tidings_kernel::{GroupId, Timestamp, UserId};

use crate::GroupError;

/// Group types MaxIM offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupType {
    Private = 0,
    Chatroom = 2,
}

impl GroupType {
    /// # Errors
    /// [`GroupError::InvalidInput`] for anything but 0 and 2.
    pub fn from_code(code: i64) -> Result<Self, GroupError> {
        match code {
            0 => Ok(Self::Private),
            2 => Ok(Self::Chatroom),
            _ => Err(GroupError::invalid(
                "type must be 0 (private) or 2 (chatroom)",
            )),
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// How applications to join are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyApproval {
    AcceptAll = 0,
    AdminApproves = 1,
    RejectAll = 2,
}

impl ApplyApproval {
    /// # Errors
    /// [`GroupError::InvalidInput`] outside 0–2.
    pub fn from_code(code: i64) -> Result<Self, GroupError> {
        match code {
            0 => Ok(Self::AcceptAll),
            1 => Ok(Self::AdminApproves),
            2 => Ok(Self::RejectAll),
            _ => Err(GroupError::invalid("apply_approval must be 0, 1 or 2")),
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// A group's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSettings {
    /// Members (not only admins) may invite.
    pub member_invite: bool,
    pub apply_approval: ApplyApproval,
    pub read_ack: bool,
    /// New members see the history from before they joined.
    pub history_visible: bool,
    /// Members (not only admins) may change name, description, avatar and ext.
    pub member_modify: bool,
    /// Seconds since the epoch until which only admins may send; 0 none, −1 for ever.
    pub ban_expire_time: i64,
}

impl Default for GroupSettings {
    /// The documented defaults of `/group/create`.
    fn default() -> Self {
        Self {
            member_invite: true,
            apply_approval: ApplyApproval::AdminApproves,
            read_ack: false,
            history_visible: false,
            member_modify: false,
            ban_expire_time: 0,
        }
    }
}

impl GroupSettings {
    /// Whether everyone but admins is muted at `now`.
    pub fn all_banned_at(&self, now: Timestamp) -> bool {
        self.ban_expire_time == -1 || self.ban_expire_time * 1000 > now.0
    }
}

/// A group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: GroupId,
    pub name: String,
    pub description: String,
    pub avatar: String,
    pub ext: String,
    pub kind: GroupType,
    pub owner: UserId,
    pub settings: GroupSettings,
    /// Destroyed groups keep their rows with `destroyed` set (`status` 1).
    pub destroyed: bool,
    pub capacity: i64,
    /// Secret key of the group's QR invitations (never shown).
    pub qr_key: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member = 0,
    Admin = 1,
    Owner = 2,
}

impl Role {
    /// # Errors
    /// When the stored code is not 0–2.
    pub fn from_code(code: i64) -> Result<Self, String> {
        match code {
            0 => Ok(Self::Member),
            1 => Ok(Self::Admin),
            2 => Ok(Self::Owner),
            other => Err(format!("role {other}")),
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// A member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub group: GroupId,
    pub user: UserId,
    pub role: Role,
    pub display_name: String,
    pub joined_at: Timestamp,
    /// Muted (`/group/ban`) until this time (ms); 0 not muted, −1 for ever.
    pub muted_until: i64,
    /// 0 none, 1 no notification, 2 do not receive.
    pub msg_mute_mode: i64,
    /// 0 all, 1 none, 2 admins and @mentions, 3 admins only, 4 @mentions only.
    pub msg_push_mode: i64,
}

impl Member {
    pub fn new(group: GroupId, user: UserId, role: Role, now: Timestamp) -> Self {
        Self {
            group,
            user,
            role,
            display_name: String::new(),
            joined_at: now,
            muted_until: 0,
            msg_mute_mode: 0,
            msg_push_mode: 0,
        }
    }

    pub fn is_muted_at(&self, now: Timestamp) -> bool {
        self.muted_until == -1 || self.muted_until > now.0
    }
}

/// The state of an invitation or application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    Pending = 0,
    Accepted = 1,
    Declined = 2,
}

impl RequestStatus {
    /// # Errors
    /// When the stored code is not 0–2.
    pub fn from_code(code: i64) -> Result<Self, String> {
        match code {
            0 => Ok(Self::Pending),
            1 => Ok(Self::Accepted),
            2 => Ok(Self::Declined),
            other => Err(format!("request status {other}")),
        }
    }

    pub fn code(self) -> i64 {
        self as i64
    }
}

/// An invitation into a group that waits for the invitee (whose `group_confirm` is on).
/// One per group and invitee: inviting again replaces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    pub id: i64,
    pub group: GroupId,
    pub inviter: UserId,
    pub invitee: UserId,
    pub reason: String,
    pub status: RequestStatus,
    pub expires_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An application to join that waits for an admin. One per group and applicant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinRequest {
    pub id: i64,
    pub group: GroupId,
    pub applicant: UserId,
    pub reason: String,
    pub status: RequestStatus,
    pub expires_at: Timestamp,
}

/// Whether an invitation or application still waits at `now`.
pub fn is_open(status: RequestStatus, expires_at: Timestamp, now: Timestamp) -> bool {
    status == RequestStatus::Pending && now < expires_at
}

/// A group announcement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub id: i64,
    pub group: GroupId,
    pub author: UserId,
    pub title: String,
    pub content: String,
    pub created_at: Timestamp,
}

/// A record of a file shared in a group (the bytes live in file storage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedFile {
    pub id: i64,
    pub group: GroupId,
    pub uploader: UserId,
    pub name: String,
    pub size: i64,
    pub kind: String,
    pub url: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A user blacklisted from a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedUser {
    pub group: GroupId,
    pub user: UserId,
    pub created_at: Timestamp,
}

/// One change to a group, written as one conditional statement (never a whole row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupChange {
    Name(String),
    Description(String),
    Avatar(String),
    Ext(String),
    MemberInvite(bool),
    MemberModify(bool),
    ReadAck(bool),
    HistoryVisible(bool),
    ApplyApproval(ApplyApproval),
    /// Seconds since the epoch; 0 none, −1 for ever.
    BanExpireTime(i64),
}

/// One member preference, written on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Preference {
    DisplayName(String),
    MuteMode(i64),
    PushMode(i64),
}

/// The limits a join is checked against, inside the transaction that adds the member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinLimits {
    pub capacity: i64,
    pub kick_limit: i64,
    pub max_joined: i64,
}

/// What came of adding one member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined,
    AlreadyMember,
    Blacklisted,
    KickedTooOften,
    TooManyJoined,
    Full,
    /// Destroyed (or never existed).
    GroupGone,
}

impl JoinOutcome {
    /// `Ok` for [`JoinOutcome::Joined`], else the matching refusal.
    ///
    /// # Errors
    /// The refusal the outcome stands for.
    pub fn into_result(self) -> Result<(), GroupError> {
        Err(match self {
            Self::Joined => return Ok(()),
            Self::AlreadyMember => GroupError::AlreadyMember,
            Self::Blacklisted => GroupError::Blacklisted,
            Self::KickedTooOften => GroupError::KickedTooOften,
            Self::TooManyJoined => GroupError::TooManyJoined,
            Self::Full => GroupError::GroupFull,
            Self::GroupGone => GroupError::GroupNotFound,
        })
    }
}

/// What came of answering an invitation or application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// There was no open one (none, handled, or expired).
    Missing,
    Declined,
    /// Accepted, and the join was refused: nothing changed, the request stays open.
    Refused(JoinOutcome),
    Joined,
}

/// The GroupNotice kinds of the client protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupEventKind {
    Created,
    Destroyed,
    Joined,
    Left,
    Applied,
    ApplyAccepted,
    ApplyDeclined,
    Invited,
    InviteAccepted,
    InviteDeclined,
    Kicked,
    Blocked,
    Unblocked,
    OwnerAssigned,
    AdminGranted,
    AdminRevoked,
    Muted,
    Unmuted,
    Banned,
    Unbanned,
    InfoUpdated,
    AnnouncementUpdated,
    MessageSetting,
    FileUploaded,
    FileDeleted,
    FileUpdated,
}

/// A group change: `from` (0 for an admin token) did `kind` in `group` to `to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupEvent {
    pub kind: GroupEventKind,
    pub group: GroupId,
    pub from: UserId,
    pub to: Vec<UserId>,
    pub content: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = GroupSettings::default();
        assert!(s.member_invite && !s.read_ack && !s.history_visible && !s.member_modify);
        assert_eq!(s.apply_approval, ApplyApproval::AdminApproves);
    }

    #[test]
    fn ban_all_expires_in_seconds_and_minus_one_is_for_ever() {
        let mut s = GroupSettings::default();
        assert!(!s.all_banned_at(Timestamp(5_000)));
        s.ban_expire_time = 10;
        assert!(s.all_banned_at(Timestamp(9_999)));
        assert!(!s.all_banned_at(Timestamp(10_000)));
        s.ban_expire_time = -1;
        assert!(s.all_banned_at(Timestamp(i64::MAX)));
    }

    #[test]
    fn codes_are_checked() {
        assert!(GroupType::from_code(1).is_err());
        assert_eq!(GroupType::from_code(2).map(GroupType::code).ok(), Some(2));
        assert!(ApplyApproval::from_code(3).is_err());
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
    }
}
