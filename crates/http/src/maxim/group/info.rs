//! Creating and destroying groups; information and settings.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Serialize};
use tidings_groups::{InfoField, NewGroup, Setting};
use tidings_kernel::{GroupId, UserId};
use utoipa::ToSchema;

use super::{GroupIdListRequest, GroupInfoAndSettingsDto, GroupProfileDto, GroupQuery};
use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::maxim::user::{POST_DELETE, POST_PUT};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/group/create", create);
    ops.extend(op(POST_DELETE, "/group/destroy", destroy));
    ops.extend(op(&[Method::GET], "/group/info", info));
    ops.extend(op(&[Method::GET], "/group/settings", settings));
    ops.extend(op(&[Method::POST], "/group/info/batch", info_batch));
    ops.extend(op(POST_PUT, "/group/info/name", set_name));
    ops.extend(op(POST_PUT, "/group/info/description", set_description));
    ops.extend(op(POST_PUT, "/group/info/avatar", set_avatar));
    ops.extend(op(POST_PUT, "/group/info/ext", set_ext));
    ops.extend(op(
        POST_PUT,
        "/group/settings/allow_member_invitation",
        allow_member_invitation,
    ));
    ops.extend(op(
        POST_PUT,
        "/group/settings/allow_member_modify",
        allow_member_modify,
    ));
    ops.extend(op(
        POST_PUT,
        "/group/settings/enable_read_ack",
        enable_read_ack,
    ));
    ops.extend(op(
        POST_PUT,
        "/group/settings/history_visible",
        history_visible,
    ));
    ops.extend(op(
        POST_PUT,
        "/group/settings/require_admin_approval",
        require_admin_approval,
    ));
    ops.extend(op(&[Method::POST], "/group/settings/ban_all", ban_all));
    ops.extend(op(&[Method::POST], "/group/settings/unban_all", unban_all));
    ops.extend(op(&[Method::GET], "/group/user_joined", user_joined));
    ops.extend(op(&[Method::GET], "/group/public_list", public_list));
    ops
}

/// `GroupInfoRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupInfoRequest {
    /// Up to 64 characters.
    pub name: Option<String>,
    pub description: Option<String>,
    pub avatar: Option<String>,
    /// 0 private (default), 2 chatroom.
    #[serde(default, rename = "type", deserialize_with = "crate::lenient::opt_int")]
    pub kind: Option<i64>,
    /// Users who join at once.
    #[serde(default, deserialize_with = "crate::lenient::opt_ints")]
    pub user_list: Option<Vec<i64>>,
}

/// `GroupInfoUpdateRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupInfoUpdateRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    pub value: String,
}

/// `GroupSettingUpdateRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupSettingUpdateRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    pub value: bool,
}

/// `GroupSettingsApplyApprovalRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupSettingsApplyApprovalRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// 0 accept all, 1 admins approve, 2 reject all.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub apply_approval: i64,
}

/// `GroupBanAllRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupBanAllRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// Minutes; −1 until `unban_all`.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub duration: i64,
}

/// `GroupUnBanAllRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupUnBanAllRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
}

/// `GroupBanAllResponse`.
#[derive(Serialize, ToSchema)]
pub struct GroupBanAllResponse {
    /// Seconds since the epoch until which only admins may send; −1 until lifted.
    pub ban_expire_time: i64,
}

/// Create a group owned by the caller; `user_list` joins at once. Defaults: `member_invite`
/// true, `apply_approval` 1, `read_ack`, `history_visible` and `member_modify` false.
#[utoipa::path(post, path = "/group/create", tag = "group", request_body = GroupInfoRequest,
    responses((status = 200, body = Envelope<GroupInfoAndSettingsDto>)))]
pub async fn create(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupInfoRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let new = NewGroup {
        name: b.name.unwrap_or_default(),
        description: b.description.unwrap_or_default(),
        avatar: b.avatar.unwrap_or_default(),
        kind: b.kind,
        users: b
            .user_list
            .unwrap_or_default()
            .into_iter()
            .map(UserId)
            .collect(),
    };
    let view = state.groups.create(&caller.0, new).await?;
    ok(GroupInfoAndSettingsDto::from(view))
}

/// Destroy a group (owner): `status` becomes 1 and it leaves every member's list.
#[utoipa::path(method(post, delete), path = "/group/destroy", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn destroy(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    state.groups.destroy(&caller.0, GroupId(q.group_id)).await?;
    done()
}

/// A group's information and settings, with the caller's own message modes.
#[utoipa::path(get, path = "/group/info", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<GroupInfoAndSettingsDto>)))]
pub async fn info(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    let view = state.groups.view(&caller.0, GroupId(q.group_id)).await?;
    ok(GroupInfoAndSettingsDto::from(view))
}

/// A group's settings (the same document as `/group/info`).
#[utoipa::path(get, path = "/group/settings", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<GroupInfoAndSettingsDto>)))]
pub async fn settings(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    let view = state.groups.view(&caller.0, GroupId(q.group_id)).await?;
    ok(GroupInfoAndSettingsDto::from(view))
}

/// Several groups (1–100); unknown ids are left out.
#[utoipa::path(post, path = "/group/info/batch", tag = "group", request_body = GroupIdListRequest,
    responses((status = 200, body = Envelope<Vec<GroupProfileDto>>)))]
pub async fn info_batch(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupIdListRequest>,
) -> ApiResult {
    let ids = body
        .into_inner()
        .group_list
        .into_iter()
        .map(GroupId)
        .collect();
    let views = state.groups.views(&caller.0, ids).await?;
    ok(views
        .into_iter()
        .map(GroupProfileDto::from)
        .collect::<Vec<_>>())
}

macro_rules! info_field {
    ($name:ident, $path:literal, $field:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(method(post, put), path = $path, tag = "group",
            request_body = GroupInfoUpdateRequest, responses((status = 200, body = Envelope<bool>)))]
        pub async fn $name(
            state: Data<ApiState>,
            caller: Caller,
            body: Json<GroupInfoUpdateRequest>,
        ) -> ApiResult {
            let b = body.into_inner();
            state
                .groups
                .update_info(&caller.0, GroupId(b.group_id), $field, b.value)
                .await?;
            done()
        }
    };
}

info_field!(
    set_name,
    "/group/info/name",
    InfoField::Name,
    "Rename the group (admins, or members when `member_modify`); 1–64 characters."
);
info_field!(
    set_description,
    "/group/info/description",
    InfoField::Description,
    "Change the description (admins, or members when `member_modify`)."
);
info_field!(
    set_avatar,
    "/group/info/avatar",
    InfoField::Avatar,
    "Change the avatar URL (admins, or members when `member_modify`)."
);
info_field!(
    set_ext,
    "/group/info/ext",
    InfoField::Ext,
    "Change the extension data (admins, or members when `member_modify`)."
);

macro_rules! setting {
    ($name:ident, $path:literal, $setting:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(method(post, put), path = $path, tag = "group",
            request_body = GroupSettingUpdateRequest, responses((status = 200, body = Envelope<bool>)))]
        pub async fn $name(
            state: Data<ApiState>,
            caller: Caller,
            body: Json<GroupSettingUpdateRequest>,
        ) -> ApiResult {
            let b = body.into_inner();
            state
                .groups
                .update_setting(&caller.0, GroupId(b.group_id), $setting, b.value)
                .await?;
            done()
        }
    };
}

setting!(
    allow_member_invitation,
    "/group/settings/allow_member_invitation",
    Setting::MemberInvite,
    "Whether members (not only admins) may invite (admins)."
);
setting!(
    allow_member_modify,
    "/group/settings/allow_member_modify",
    Setting::MemberModify,
    "Whether members may change the group's information (admins)."
);
setting!(
    enable_read_ack,
    "/group/settings/enable_read_ack",
    Setting::ReadAck,
    "Whether group messages have read receipts (admins)."
);
setting!(
    history_visible,
    "/group/settings/history_visible",
    Setting::HistoryVisible,
    "Whether new members see earlier history (admins)."
);

/// How applications to join are handled (admins): 0 accept all, 1 admins approve, 2 reject all.
#[utoipa::path(method(post, put), path = "/group/settings/require_admin_approval", tag = "group",
    request_body = GroupSettingsApplyApprovalRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn require_admin_approval(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupSettingsApplyApprovalRequest>,
) -> ApiResult {
    state
        .groups
        .set_apply_approval(&caller.0, GroupId(body.group_id), body.apply_approval)
        .await?;
    done()
}

/// Mute everyone but admins for `duration` minutes (−1: until `unban_all`) (admins).
#[utoipa::path(post, path = "/group/settings/ban_all", tag = "group", request_body = GroupBanAllRequest,
    responses((status = 200, body = Envelope<GroupBanAllResponse>)))]
pub async fn ban_all(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupBanAllRequest>,
) -> ApiResult {
    let ban_expire_time = state
        .groups
        .ban_all(&caller.0, GroupId(body.group_id), body.duration)
        .await?;
    ok(GroupBanAllResponse { ban_expire_time })
}

/// Lift `ban_all` (admins).
#[utoipa::path(post, path = "/group/settings/unban_all", tag = "group",
    request_body = GroupUnBanAllRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn unban_all(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupUnBanAllRequest>,
) -> ApiResult {
    state
        .groups
        .unban_all(&caller.0, GroupId(body.group_id))
        .await?;
    done()
}

/// The groups the caller is a member of.
#[utoipa::path(get, path = "/group/user_joined", tag = "group",
    responses((status = 200, body = Envelope<Vec<i64>>)))]
pub async fn user_joined(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let ids = state.groups.joined(&caller.0).await?;
    ok(ids.iter().map(|g| g.0).collect::<Vec<_>>())
}

/// The app's public groups: its chatrooms (type 2).
#[utoipa::path(get, path = "/group/public_list", tag = "group",
    responses((status = 200, body = Envelope<Vec<i64>>)))]
pub async fn public_list(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let ids = state.groups.public_list(&caller.0).await?;
    ok(ids.iter().map(|g| g.0).collect::<Vec<_>>())
}
