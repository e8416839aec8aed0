//! Row structs of the groups tables and their conversions.

use diesel::prelude::*;
use tidings_groups::RepoError;
use tidings_groups::model::{
    Announcement, ApplyApproval, BlockedUser, Group, GroupSettings, GroupType, Invitation,
    JoinRequest, Member, RequestStatus, Role, SharedFile,
};
use tidings_kernel::{GroupId, Timestamp, UserId};

use crate::schema::{
    chat_groups, group_announcements, group_blocks, group_files, group_invitations,
    group_join_requests, group_members,
};

fn corrupt(what: impl std::fmt::Display) -> RepoError {
    RepoError(anyhow::anyhow!("stored data is invalid: {what}"))
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = chat_groups)]
pub(crate) struct GroupRow {
    pub id: i64,
    pub app_id: String,
    pub name: String,
    pub description: String,
    pub avatar: String,
    pub ext: String,
    pub kind: i64,
    pub owner_id: i64,
    pub member_invite: bool,
    pub apply_approval: i64,
    pub read_ack: bool,
    pub history_visible: bool,
    pub member_modify: bool,
    pub ban_expire_time: i64,
    pub destroyed: bool,
    pub capacity: i64,
    pub qr_key: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl GroupRow {
    pub fn new(app: &str, g: &Group) -> Self {
        let s = &g.settings;
        Self {
            id: g.id.0,
            app_id: app.to_owned(),
            name: g.name.clone(),
            description: g.description.clone(),
            avatar: g.avatar.clone(),
            ext: g.ext.clone(),
            kind: g.kind.code(),
            owner_id: g.owner.0,
            member_invite: s.member_invite,
            apply_approval: s.apply_approval.code(),
            read_ack: s.read_ack,
            history_visible: s.history_visible,
            member_modify: s.member_modify,
            ban_expire_time: s.ban_expire_time,
            destroyed: g.destroyed,
            capacity: g.capacity,
            qr_key: g.qr_key.clone(),
            created_at: g.created_at.0,
            updated_at: g.updated_at.0,
        }
    }
}

impl TryFrom<GroupRow> for Group {
    type Error = RepoError;

    fn try_from(r: GroupRow) -> Result<Self, RepoError> {
        Ok(Group {
            id: GroupId(r.id),
            name: r.name,
            description: r.description,
            avatar: r.avatar,
            ext: r.ext,
            kind: GroupType::from_code(r.kind).map_err(corrupt)?,
            owner: UserId(r.owner_id),
            settings: GroupSettings {
                member_invite: r.member_invite,
                apply_approval: ApplyApproval::from_code(r.apply_approval).map_err(corrupt)?,
                read_ack: r.read_ack,
                history_visible: r.history_visible,
                member_modify: r.member_modify,
                ban_expire_time: r.ban_expire_time,
            },
            destroyed: r.destroyed,
            capacity: r.capacity,
            qr_key: r.qr_key,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub(crate) struct MemberRow {
    pub app_id: String,
    pub group_id: i64,
    pub user_id: i64,
    pub role: i64,
    pub display_name: String,
    pub joined_at: i64,
    pub muted_until: i64,
    pub msg_mute_mode: i64,
    pub msg_push_mode: i64,
}

impl MemberRow {
    pub fn new(app: &str, m: &Member) -> Self {
        Self {
            app_id: app.to_owned(),
            group_id: m.group.0,
            user_id: m.user.0,
            role: m.role.code(),
            display_name: m.display_name.clone(),
            joined_at: m.joined_at.0,
            muted_until: m.muted_until,
            msg_mute_mode: m.msg_mute_mode,
            msg_push_mode: m.msg_push_mode,
        }
    }
}

impl TryFrom<MemberRow> for Member {
    type Error = RepoError;

    fn try_from(r: MemberRow) -> Result<Self, RepoError> {
        Ok(Member {
            group: GroupId(r.group_id),
            user: UserId(r.user_id),
            role: Role::from_code(r.role).map_err(corrupt)?,
            display_name: r.display_name,
            joined_at: Timestamp(r.joined_at),
            muted_until: r.muted_until,
            msg_mute_mode: r.msg_mute_mode,
            msg_push_mode: r.msg_push_mode,
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = group_blocks)]
pub(crate) struct BlockRow {
    pub group_id: i64,
    pub user_id: i64,
    pub created_at: i64,
}

impl From<BlockRow> for BlockedUser {
    fn from(r: BlockRow) -> Self {
        BlockedUser {
            group: GroupId(r.group_id),
            user: UserId(r.user_id),
            created_at: Timestamp(r.created_at),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = group_invitations)]
pub(crate) struct InvitationRow {
    pub id: i64,
    pub app_id: String,
    pub group_id: i64,
    pub inviter_id: i64,
    pub invitee_id: i64,
    pub reason: String,
    pub status: i64,
    pub expires_at: i64,
    pub updated_at: i64,
}

impl InvitationRow {
    pub fn new(app: &str, i: &Invitation) -> Self {
        Self {
            id: i.id,
            app_id: app.to_owned(),
            group_id: i.group.0,
            inviter_id: i.inviter.0,
            invitee_id: i.invitee.0,
            reason: i.reason.clone(),
            status: i.status.code(),
            expires_at: i.expires_at.0,
            updated_at: i.updated_at.0,
        }
    }
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = RepoError;

    fn try_from(r: InvitationRow) -> Result<Self, RepoError> {
        Ok(Invitation {
            id: r.id,
            group: GroupId(r.group_id),
            inviter: UserId(r.inviter_id),
            invitee: UserId(r.invitee_id),
            reason: r.reason,
            status: RequestStatus::from_code(r.status).map_err(corrupt)?,
            expires_at: Timestamp(r.expires_at),
            updated_at: Timestamp(r.updated_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = group_join_requests)]
pub(crate) struct JoinRequestRow {
    pub id: i64,
    pub app_id: String,
    pub group_id: i64,
    pub applicant_id: i64,
    pub reason: String,
    pub status: i64,
    pub expires_at: i64,
}

impl JoinRequestRow {
    pub fn new(app: &str, r: &JoinRequest) -> Self {
        Self {
            id: r.id,
            app_id: app.to_owned(),
            group_id: r.group.0,
            applicant_id: r.applicant.0,
            reason: r.reason.clone(),
            status: r.status.code(),
            expires_at: r.expires_at.0,
        }
    }
}

impl TryFrom<JoinRequestRow> for JoinRequest {
    type Error = RepoError;

    fn try_from(r: JoinRequestRow) -> Result<Self, RepoError> {
        Ok(JoinRequest {
            id: r.id,
            group: GroupId(r.group_id),
            applicant: UserId(r.applicant_id),
            reason: r.reason,
            status: RequestStatus::from_code(r.status).map_err(corrupt)?,
            expires_at: Timestamp(r.expires_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = group_announcements)]
pub(crate) struct AnnouncementRow {
    pub id: i64,
    pub app_id: String,
    pub group_id: i64,
    pub author_id: i64,
    pub title: String,
    pub content: String,
    pub created_at: i64,
}

impl From<AnnouncementRow> for Announcement {
    fn from(r: AnnouncementRow) -> Self {
        Announcement {
            id: r.id,
            group: GroupId(r.group_id),
            author: UserId(r.author_id),
            title: r.title,
            content: r.content,
            created_at: Timestamp(r.created_at),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = group_files)]
pub(crate) struct FileRow {
    pub id: i64,
    pub app_id: String,
    pub group_id: i64,
    pub uploader_id: i64,
    pub name: String,
    pub size: i64,
    pub kind: String,
    pub url: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FileRow {
    pub fn new(app: &str, f: &SharedFile) -> Self {
        Self {
            id: f.id,
            app_id: app.to_owned(),
            group_id: f.group.0,
            uploader_id: f.uploader.0,
            name: f.name.clone(),
            size: f.size,
            kind: f.kind.clone(),
            url: f.url.clone(),
            created_at: f.created_at.0,
            updated_at: f.updated_at.0,
        }
    }
}

impl From<FileRow> for SharedFile {
    fn from(r: FileRow) -> Self {
        SharedFile {
            id: r.id,
            group: GroupId(r.group_id),
            uploader: UserId(r.uploader_id),
            name: r.name,
            size: r.size,
            kind: r.kind,
            url: r.url,
            created_at: Timestamp(r.created_at),
            updated_at: Timestamp(r.updated_at),
        }
    }
}
