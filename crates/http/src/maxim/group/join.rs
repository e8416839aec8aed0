//! Invitations, applications and QR invitations.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Serialize};
use tidings_groups::Applied;
use tidings_kernel::{GroupId, UserId};
use utoipa::ToSchema;

use super::{GroupIdListRequest, GroupQuery, GroupUserRelationResponse, PageQuery, relations};
use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, PageEnvelope, done, ok, ok_page};
use crate::maxim::user::POST_PUT;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/group/invite", invite);
    ops.extend(op(
        &[Method::GET],
        "/group/invitation_list",
        invitation_list,
    ));
    ops.extend(op(POST_PUT, "/group/invite/handle", handle_invitation));
    ops.extend(op(&[Method::POST], "/group/apply", apply));
    ops.extend(op(
        &[Method::POST],
        "/group/application_list",
        application_list,
    ));
    ops.extend(op(POST_PUT, "/group/apply/handle", handle_application));
    ops.extend(op(&[Method::GET], "/group/qrcode/sign", qrcode_sign));
    ops.extend(op(&[Method::POST], "/group/qrcode/invite", qrcode_invite));
    ops
}

/// `GroupInvitationRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupInvitationRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    #[serde(deserialize_with = "crate::lenient::ints")]
    pub user_list: Vec<i64>,
    pub reason: Option<String>,
}

/// `ApprovalRequest`.
#[derive(Deserialize, ToSchema)]
pub struct ApprovalRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    /// For an invitation: the inviter's id or the invitee's own; for an application: the
    /// applicant.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    pub approval: bool,
}

/// `GroupApplicationRequest`.
#[derive(Deserialize, ToSchema)]
pub struct GroupApplicationRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub group_id: i64,
    pub reason: Option<String>,
}

/// `QrInviteRequest`.
#[derive(Deserialize, ToSchema)]
pub struct QrInviteRequest {
    /// From `/group/qrcode/sign`.
    pub qr_info: String,
}

/// `GroupInvitation`.
#[derive(Serialize, ToSchema)]
pub struct GroupInvitationDto {
    pub group_id: i64,
    pub inviter_id: i64,
    pub invitee_id: i64,
    pub reason: String,
    /// 0 waiting, 1 accepted, 2 declined.
    pub status: i64,
    /// Expiry (ms).
    pub expired_time: i64,
    /// RFC 3339.
    pub updated_at: String,
}

/// `GroupApplication`.
#[derive(Serialize, ToSchema)]
pub struct GroupApplicationDto {
    pub group_id: i64,
    pub applicant_id: i64,
    pub reason: String,
    /// 0 waiting, 1 accepted, 2 declined.
    pub status: i64,
    /// Expiry (ms).
    pub expired_time: i64,
}

/// `QrCodeDto`.
#[derive(Serialize, ToSchema)]
pub struct QrCodeDto {
    pub qr_info: String,
    pub create_at: i64,
    pub expire_at: i64,
}

pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Invite users, each on its own: one whose `group_confirm` is off joins at once, else an
/// invitation waits for them (members when `member_invite`; admins always).
#[utoipa::path(post, path = "/group/invite", tag = "group", request_body = GroupInvitationRequest,
    responses((status = 200, body = Envelope<Vec<GroupUserRelationResponse>>)))]
pub async fn invite(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupInvitationRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let users = b.user_list.into_iter().map(UserId).collect();
    let outcomes = state
        .groups
        .invite(&caller.0, GroupId(b.group_id), users, b.reason)
        .await?;
    ok(relations(outcomes))
}

/// Invitations the caller received, newest first, with `cursor` paging and `total`.
#[utoipa::path(get, path = "/group/invitation_list", tag = "group", params(PageQuery),
    responses((status = 200, body = PageEnvelope<GroupInvitationDto>)))]
pub async fn invitation_list(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<PageQuery>,
) -> ApiResult {
    let page = state
        .groups
        .invitations(&caller.0, q.cursor.as_deref(), q.limit)
        .await?;
    let data = page
        .items
        .iter()
        .map(|i| GroupInvitationDto {
            group_id: i.group.0,
            inviter_id: i.inviter.0,
            invitee_id: i.invitee.0,
            reason: i.reason.clone(),
            status: i.status.code(),
            expired_time: i.expires_at.0,
            updated_at: rfc3339(i.updated_at.0),
        })
        .collect();
    ok_page(data, page.next, page.total)
}

/// The caller accepts or declines an invitation (20015 when none is open).
#[utoipa::path(method(post, put), path = "/group/invite/handle", tag = "group",
    request_body = ApprovalRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn handle_invitation(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ApprovalRequest>,
) -> ApiResult {
    state
        .groups
        .answer_invitation(
            &caller.0,
            GroupId(body.group_id),
            UserId(body.user_id),
            body.approval,
        )
        .await?;
    done()
}

/// Apply to join, by the group's `apply_approval`: 0 joins at once, 1 waits for an admin
/// (`reason` says so), 2 is refused (10010).
#[utoipa::path(post, path = "/group/apply", tag = "group", request_body = GroupApplicationRequest,
    responses((status = 200, body = Envelope<GroupUserRelationResponse>)))]
pub async fn apply(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<GroupApplicationRequest>,
) -> ApiResult {
    let b = body.into_inner();
    let applied = state
        .groups
        .apply(&caller.0, GroupId(b.group_id), b.reason)
        .await?;
    ok(GroupUserRelationResponse {
        user_id: caller.0.user().map_or(0, |u| u.0),
        result: "success",
        reason: match applied {
            Applied::Joined => None,
            Applied::Waiting => Some("waiting for an admin's approval".into()),
        },
    })
}

/// Applications to the listed groups (admins of each), newest first, with `cursor` paging.
#[utoipa::path(post, path = "/group/application_list", tag = "group", params(PageQuery),
    request_body = GroupIdListRequest, responses((status = 200, body = PageEnvelope<GroupApplicationDto>)))]
pub async fn application_list(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<PageQuery>,
    body: Json<GroupIdListRequest>,
) -> ApiResult {
    let ids = body
        .into_inner()
        .group_list
        .into_iter()
        .map(GroupId)
        .collect();
    let page = state
        .groups
        .applications(&caller.0, ids, q.cursor.as_deref(), q.limit)
        .await?;
    let data = page
        .items
        .iter()
        .map(|r| GroupApplicationDto {
            group_id: r.group.0,
            applicant_id: r.applicant.0,
            reason: r.reason.clone(),
            status: r.status.code(),
            expired_time: r.expires_at.0,
        })
        .collect();
    ok_page(data, page.next, page.total)
}

/// An admin approves or declines an application (20014 when none is open).
#[utoipa::path(method(post, put), path = "/group/apply/handle", tag = "group",
    request_body = ApprovalRequest, responses((status = 200, body = Envelope<GroupUserRelationResponse>)))]
pub async fn handle_application(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ApprovalRequest>,
) -> ApiResult {
    state
        .groups
        .answer_application(
            &caller.0,
            GroupId(body.group_id),
            UserId(body.user_id),
            body.approval,
        )
        .await?;
    ok(GroupUserRelationResponse {
        user_id: body.user_id,
        result: "success",
        reason: None,
    })
}

/// A signed, expiring QR invitation into the group (whoever may invite).
#[utoipa::path(get, path = "/group/qrcode/sign", tag = "group", params(GroupQuery),
    responses((status = 200, body = Envelope<QrCodeDto>)))]
pub async fn qrcode_sign(state: Data<ApiState>, caller: Caller, q: Query<GroupQuery>) -> ApiResult {
    let code = state.groups.sign_qr(&caller.0, GroupId(q.group_id)).await?;
    ok(QrCodeDto {
        qr_info: code.qr_info,
        create_at: code.created_at.0,
        expire_at: code.expires_at.0,
    })
}

/// Join through a QR invitation (20024 forged, 20025 expired). `data` is the group id.
#[utoipa::path(post, path = "/group/qrcode/invite", tag = "group", request_body = QrInviteRequest,
    responses((status = 200, body = Envelope<i64>)))]
pub async fn qrcode_invite(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<QrInviteRequest>,
) -> ApiResult {
    let group = state.groups.join_by_qr(&caller.0, &body.qr_info).await?;
    ok(group.0)
}
