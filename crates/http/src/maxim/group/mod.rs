//! MaxIM §7: groups.

pub(crate) mod content;
pub(crate) mod info;
pub(crate) mod join;
pub(crate) mod members;
pub(crate) mod moderation;

use serde::{Deserialize, Serialize};
use tidings_groups::model::Member;
use tidings_groups::{GroupView, Outcome};
use utoipa::{IntoParams, ToSchema};

use crate::Operation;

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = info::operations();
    ops.extend(members::operations());
    ops.extend(join::operations());
    ops.extend(moderation::operations());
    ops.extend(content::operations());
    ops
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
}

/// Paging of one group's lists; `version` is accepted and ignored, as in [`PageQuery`].
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupPageQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// From the previous answer; absent for the first page.
    pub cursor: Option<String>,
    /// 1–1000 (default 1000).
    #[param(default = 1000)]
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub limit: Option<i64>,
}

/// Paging of lists that are not of one group. The original's `version` parameter is
/// reserved there; it is accepted and ignored.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub limit: Option<i64>,
}

/// `GroupMemberRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupMemberRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// 1–500 user ids.
    #[serde(deserialize_with = "crate::lenient::ints")]
    pub user_list: Vec<i64>,
}

/// `GroupIdListRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupIdListRequest {
    /// 1–100 group ids.
    #[serde(deserialize_with = "crate::lenient::ints")]
    pub group_list: Vec<i64>,
}

/// `GroupUserRelationResponse`: one user's outcome.
#[derive(Serialize, ToSchema)]
pub struct GroupUserRelationResponse {
    pub user_id: i64,
    /// `success` or `fail`.
    pub result: &'static str,
    /// Why it failed; null on success.
    pub reason: Option<String>,
}

impl From<Outcome> for GroupUserRelationResponse {
    fn from(o: Outcome) -> Self {
        Self {
            user_id: o.id,
            result: if o.failure.is_none() {
                "success"
            } else {
                "fail"
            },
            reason: o.failure,
        }
    }
}

pub(crate) fn relations(outcomes: Vec<Outcome>) -> Vec<GroupUserRelationResponse> {
    outcomes.into_iter().map(Into::into).collect()
}

/// `Group member format`.
#[derive(Serialize, ToSchema)]
pub struct MemberDto {
    pub user_id: i64,
    /// The member's display name in the group.
    pub display_name: String,
    /// When the member joined (ms).
    pub join_time: i64,
    /// Muted until (ms); 0 not muted, −1 until unmuted.
    pub expired_time: i64,
}

impl From<&Member> for MemberDto {
    fn from(m: &Member) -> Self {
        Self {
            user_id: m.user.0,
            display_name: m.display_name.clone(),
            join_time: m.joined_at.0,
            expired_time: m.muted_until,
        }
    }
}

pub(crate) fn member_dtos(members: &[Member]) -> Vec<MemberDto> {
    members.iter().map(MemberDto::from).collect()
}

/// `GroupInfoAndSettingsDto`.
#[derive(Serialize, ToSchema)]
pub struct GroupInfoAndSettingsDto {
    pub group_id: i64,
    pub name: String,
    pub description: String,
    pub avatar: String,
    pub ext: String,
    /// 0 private, 2 chatroom.
    #[serde(rename = "type")]
    pub kind: i64,
    pub owner_id: i64,
    /// 0 accept all, 1 admins approve, 2 reject all.
    pub apply_approval: i64,
    pub member_invite: bool,
    pub member_modify: bool,
    pub read_ack: bool,
    pub history_visible: bool,
    /// Seconds since the epoch until which only admins may send; 0 none, −1 until lifted.
    pub ban_expire_time: i64,
    pub capacity: i64,
    pub count: i64,
    /// 0 normal, 1 destroyed.
    pub status: i64,
    /// The caller's own mute mode in the group (0 when not a member).
    pub msg_mute_mode: i64,
    /// The caller's own push mode in the group (0 when not a member).
    pub msg_push_mode: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<GroupView> for GroupInfoAndSettingsDto {
    fn from(v: GroupView) -> Self {
        let (g, s) = (&v.group, &v.group.settings);
        Self {
            group_id: g.id.0,
            name: g.name.clone(),
            description: g.description.clone(),
            avatar: g.avatar.clone(),
            ext: g.ext.clone(),
            kind: g.kind.code(),
            owner_id: g.owner.0,
            apply_approval: s.apply_approval.code(),
            member_invite: s.member_invite,
            member_modify: s.member_modify,
            read_ack: s.read_ack,
            history_visible: s.history_visible,
            ban_expire_time: s.ban_expire_time,
            capacity: g.capacity,
            count: v.member_count,
            status: i64::from(g.destroyed),
            msg_mute_mode: v.me.as_ref().map_or(0, |m| m.msg_mute_mode),
            msg_push_mode: v.me.as_ref().map_or(0, |m| m.msg_push_mode),
            created_at: g.created_at.0,
            updated_at: g.updated_at.0,
        }
    }
}

/// `Group profile and user settings` (`/group/info/batch`).
#[derive(Serialize, ToSchema)]
pub struct GroupProfileDto {
    pub group_id: i64,
    pub name: String,
    pub avatar: String,
    pub owner: i64,
    #[serde(rename = "type")]
    pub kind: i64,
    pub status: i64,
    pub apply_approval: i64,
    pub capacity: i64,
    pub count: i64,
    pub msg_mute_mode: i64,
    pub msg_push_mode: i64,
}

impl From<GroupView> for GroupProfileDto {
    fn from(v: GroupView) -> Self {
        let full = GroupInfoAndSettingsDto::from(v);
        Self {
            group_id: full.group_id,
            name: full.name,
            avatar: full.avatar,
            owner: full.owner_id,
            kind: full.kind,
            status: full.status,
            apply_approval: full.apply_approval,
            capacity: full.capacity,
            count: full.count,
            msg_mute_mode: full.msg_mute_mode,
            msg_push_mode: full.msg_push_mode,
        }
    }
}
