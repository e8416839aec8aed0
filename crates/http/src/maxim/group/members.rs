//! Membership: lists, admins, kicks, leaving, transfer, display names and message modes.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::Deserialize;
use tidings_kernel::{GroupId, UserId};
use utoipa::ToSchema;

use super::{
    GroupMemberRequest, GroupPageQuery, GroupQuery, GroupUserRelationResponse, MemberDto,
    member_dtos, relations,
};
use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, PageEnvelope, done, ok, ok_page};
use crate::maxim::user::{POST_DELETE, POST_PUT};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/group/member_list", member_list);
    ops.extend(op(
        &[Method::POST],
        "/group/members/display_name",
        members_display_name,
    ));
    ops.extend(op(&[Method::GET], "/group/admin_list", admin_list));
    ops.extend(op(&[Method::POST], "/group/admin/add", add_admins));
    ops.extend(op(POST_DELETE, "/group/admin/remove", remove_admins));
    ops.extend(op(POST_DELETE, "/group/kick", kick));
    ops.extend(op(POST_DELETE, "/group/leave", leave));
    ops.extend(op(POST_PUT, "/group/transfer", transfer));
    ops.extend(op(POST_PUT, "/group/display_name", display_name));
    ops.extend(op(POST_PUT, "/group/msg/mute_mode", mute_mode));
    ops.extend(op(POST_PUT, "/group/msg/push_mode", push_mode));
    ops
}

/// `GroupTransferRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupTransferRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub new_owner: i64,
}

/// `GroupInfoUpdateRequest` for the caller's display name.
#[derive(Deserialize, ToSchema)]
pub struct DisplayNameRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// Up to 64 characters.
    pub value: String,
}

/// `GroupMsgMuteModeRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupMsgMuteModeRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// 0 normal, 1 no notification, 2 do not receive.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub msg_mute_mode: i64,
}

/// `GroupMsgPushModeRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupMsgPushModeRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// 0 all, 1 none, 2 admins and @mentions, 3 admins only, 4 @mentions only (else 20003).
    #[serde(deserialize_with = "crate::lenient::int")]
    pub msg_push_mode: i64,
}

/// Members in user id order, with `cursor` paging (absent on the last page) and `total`.
#[utoipa::path(get, path = "/group/member_list", tag = "group", params(GroupPageQuery),
    responses((status = 200, body = PageEnvelope<MemberDto>)))]
pub async fn member_list(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<GroupPageQuery>,
) -> ApiResult {
    let page = state
        .groups
        .members(&caller.0, GroupId(q.group_id), q.cursor.as_deref(), q.limit)
        .await?;
    ok_page(member_dtos(&page.items), page.next, page.total)
}

/// The listed users that are members, with their display names.
#[utoipa::path(post, path = "/group/members/display_name", tag = "group",
    request_body = GroupMemberRequest, responses((status = 200, body = Envelope<Vec<MemberDto>>)))]
pub async fn members_display_name(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let members = state
        .groups
        .members_named(&caller.0, GroupId(b.group_id), users)
        .await?;
    ok(member_dtos(&members))
}

/// The group's admins.
#[utoipa::path(get, path = "/group/admin_list", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<Vec<MemberDto>>)))]
pub async fn admin_list(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    let admins = state.groups.admins(&caller.0, GroupId(q.group_id)).await?;
    ok(member_dtos(&admins))
}

async fn set_admins(
    state: &ApiState,
    caller: &Caller,
    body: GroupMemberRequest,
    grant: bool,
) -> ApiResult {
    let users = body.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .set_admins(&caller.0, GroupId(body.group_id), users, grant)
        .await?;
    ok(relations(outcomes))
}

/// Make members admins (owner), each on its own.
#[utoipa::path(post, path = "/group/admin/add", tag = "group", request_body = GroupMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn add_admins(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    set_admins(&state, &caller, body.into_inner(), true).await
}

/// Make admins plain members again (owner), each on its own.
#[utoipa::path(method(post, delete), path = "/group/admin/remove", tag = "group",
    request_body = GroupMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn remove_admins(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    set_admins(&state, &caller, body.into_inner(), false).await
}

/// Remove members (admins; the owner for admins), each on its own. A user kicked more than
/// 3 times cannot rejoin (20016).
#[utoipa::path(method(post, delete), path = "/group/kick", tag = "group",
    request_body = GroupMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn kick(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .kick(&caller.0, GroupId(b.group_id), users)
        .await?;
    ok(relations(outcomes))
}

/// The caller leaves the group; the owner cannot (20004).
#[utoipa::path(method(post, delete), path = "/group/leave", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn leave(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    state.groups.leave(&caller.0, GroupId(q.group_id)).await?;
    done()
}

/// Hand the group to a member (owner); the old owner stays as a member.
#[utoipa::path(method(post, put), path = "/group/transfer", tag = "group",
    request_body = GroupTransferRequest,
    responses((status = 200, body = Envelope<GroupUserRelationResponse>)))]
pub async fn transfer(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupTransferRequest>,
) -> ApiResult {
    state
        .groups
        .transfer(&caller.0, GroupId(body.group_id), UserId(body.new_owner))
        .await?;
    ok(GroupUserRelationResponse {
        user_id: body.new_owner,
        result: "success",
        reason: None,
    })
}

/// Set the caller's display name in the group.
#[utoipa::path(method(post, put), path = "/group/display_name", tag = "group",
    request_body = DisplayNameRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn display_name(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<DisplayNameRequest>,
) -> ApiResult {
    let b = body.into_inner();
    state
        .groups
        .set_display_name(&caller.0, GroupId(b.group_id), b.value)
        .await?;
    done()
}

/// How the caller receives the group's messages. `data` is null.
#[utoipa::path(method(post, put), path = "/group/msg/mute_mode", tag = "group",
    request_body = GroupMsgMuteModeRequest, responses((status = 200, body = Envelope<Option<bool>>)))]
pub async fn mute_mode(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMsgMuteModeRequest>,
) -> ApiResult {
    state
        .groups
        .set_mute_mode(&caller.0, GroupId(body.group_id), body.msg_mute_mode)
        .await?;
    ok(serde_json::Value::Null)
}

/// Which of the group's messages push to the caller. `data` is null.
#[utoipa::path(method(post, put), path = "/group/msg/push_mode", tag = "group",
    request_body = GroupMsgPushModeRequest, responses((status = 200, body = Envelope<Option<bool>>)))]
pub async fn push_mode(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMsgPushModeRequest>,
) -> ApiResult {
    state
        .groups
        .set_push_mode(&caller.0, GroupId(body.group_id), body.msg_push_mode)
        .await?;
    ok(serde_json::Value::Null)
}
