//! Mutes and the group blacklist.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Serialize};
use tidings_kernel::{GroupId, UserId};
use utoipa::ToSchema;

use super::join::rfc3339;
use super::{
    GroupMemberRequest, GroupPageQuery, GroupUserRelationResponse, MemberDto, member_dtos,
    relations,
};
use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, PageEnvelope, ok, ok_page};
use crate::maxim::user::POST_DELETE;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/group/ban", ban);
    ops.extend(op(&[Method::POST], "/group/unban", unban));
    ops.extend(op(&[Method::GET], "/group/banned_list", banned_list));
    ops.extend(op(&[Method::POST], "/group/block", block));
    ops.extend(op(POST_DELETE, "/group/unblock", unblock));
    ops.extend(op(&[Method::GET], "/group/blocked_list", blocked_list));
    ops
}

/// `GroupBannedMemberRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupBannedMemberRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::ints")]
    pub user_list: Vec<i64>,
    /// Minutes; −1 until unbanned.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub duration: i64,
}

/// `GroupBlockedListItem`.
#[derive(Serialize, ToSchema)]
pub struct GroupBlockedListItem {
    pub group_id: i64,
    pub user_id: i64,
    /// RFC 3339.
    pub created_at: String,
}

/// Mute members for `duration` minutes (admins; the owner for admins), each on its own.
#[utoipa::path(post, path = "/group/ban", tag = "group", request_body = GroupBannedMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn ban(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupBannedMemberRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .mute(&caller.0, GroupId(b.group_id), users, b.duration)
        .await?;
    ok(relations(outcomes))
}

/// Lift mutes (admins), each on its own.
#[utoipa::path(post, path = "/group/unban", tag = "group", request_body = GroupMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn unban(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .unmute(&caller.0, GroupId(b.group_id), users)
        .await?;
    ok(relations(outcomes))
}

/// Members muted now (`expired_time` in ms, −1 until unmuted), with `cursor` paging.
#[utoipa::path(get, path = "/group/banned_list", tag = "group", params(GroupPageQuery),
    responses((status = 200, body = PageEnvelope<MemberDto>)))]
pub async fn banned_list(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<GroupPageQuery>,
) -> ApiResult {
    let page = state
        .groups
        .muted(&caller.0, GroupId(q.group_id), q.cursor.as_deref(), q.limit)
        .await?;
    ok_page(member_dtos(&page.items), page.next, page.total)
}

/// Blacklist users (admins; the owner for admins): members are removed, and none can rejoin
/// (20018) until unblocked.
#[utoipa::path(post, path = "/group/block", tag = "group", request_body = GroupMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn block(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .block(&caller.0, GroupId(b.group_id), users)
        .await?;
    ok(relations(outcomes))
}

/// Take users off the blacklist (admins).
#[utoipa::path(method(post, delete), path = "/group/unblock", tag = "group",
    request_body = GroupMemberRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn unblock(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupMemberRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .unblock(&caller.0, GroupId(b.group_id), users)
        .await?;
    ok(relations(outcomes))
}

/// The blacklist (admins), with `cursor` paging.
#[utoipa::path(get, path = "/group/blocked_list", tag = "group", params(GroupPageQuery),
    responses((status = 200, body = PageEnvelope<GroupBlockedListItem>)))]
pub async fn blocked_list(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<GroupPageQuery>,
) -> ApiResult {
    let page = state
        .groups
        .blocked(&caller.0, GroupId(q.group_id), q.cursor.as_deref(), q.limit)
        .await?;
    let data = page
        .items
        .iter()
        .map(|b| GroupBlockedListItem {
            group_id: b.group.0,
            user_id: b.user.0,
            created_at: rfc3339(b.created_at.0),
        })
        .collect();
    ok_page(data, page.next, page.total)
}
