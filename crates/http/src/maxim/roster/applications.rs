//! Friend applications: apply, batch, list, accept, decline.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Serialize};
use tidings_kernel::UserId;
use utoipa::{IntoParams, ToSchema};

use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, ListEnvelope, done, ok, ok_list};
use crate::maxim::user::POST_PUT;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/roster/apply", apply);
    ops.extend(op(&[Method::POST], "/roster/apply/batch", apply_batch));
    ops.extend(op(&[Method::GET], "/roster/apply/list", list_applications));
    ops.extend(op(POST_PUT, "/roster/accept", accept));
    ops.extend(op(POST_PUT, "/roster/decline", decline));
    ops
}

/// `RosterApplicationRequest`.
#[derive(Deserialize, ToSchema)]
pub struct RosterApplicationRequest {
    /// The user to befriend.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    /// Up to 256 characters.
    pub reason: Option<String>,
    /// The caller's alias for the user once they are friends (up to 64 characters).
    pub alias: Option<String>,
    /// The answer to the user's question (auth mode 2).
    pub auth_answer: Option<String>,
}

/// `RosterApplication`: one item of a batch.
#[derive(Deserialize, ToSchema)]
pub struct RosterApplication {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    pub reason: Option<String>,
    pub alias: Option<String>,
}

/// `FailDto`.
#[derive(Serialize, ToSchema)]
pub struct FailDto {
    pub user_id: i64,
    pub reason: String,
}

/// `BatchApplyDto`.
#[derive(Serialize, ToSchema)]
pub struct BatchApplyDto {
    /// Users now friends or holding an application.
    pub success: Vec<i64>,
    pub fails: Vec<FailDto>,
}

/// `RosterApplicationDto`: an application the caller received.
#[derive(Serialize, ToSchema)]
pub struct RosterApplicationDto {
    /// The applicant.
    pub user_id: i64,
    pub reason: String,
    /// 0 waiting, 1 accepted, 2 declined.
    pub status: i64,
    /// When it expires (ms since the epoch).
    pub expired_time: i64,
}

/// `DeclineRequest`.
#[derive(Deserialize, ToSchema)]
pub struct DeclineRequest {
    /// The applicant.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    pub reason: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From the previous answer; absent for the first page.
    pub cursor: Option<String>,
    /// 1–1000 (default 200).
    #[param(default = 200)]
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub limit: Option<i64>,
}

/// Apply to befriend a user, by the user's auth mode: 0 friends at once, 1 an application
/// (expiring) the user accepts or declines, 2 friends when `auth_answer` matches (else
/// 10012), 3 refused (10012). 10005 if already friends, 10006 if either blocked the other.
#[utoipa::path(post, path = "/roster/apply", tag = "roster",
    request_body = RosterApplicationRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn apply(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<RosterApplicationRequest>,
) -> ApiResult {
    let b = body.into_inner();
    state
        .roster
        .apply(
            &caller.0,
            UserId(b.user_id),
            b.reason,
            b.alias,
            b.auth_answer,
        )
        .await?;
    done()
}

/// Apply to befriend up to 100 users, each on its own.
#[utoipa::path(post, path = "/roster/apply/batch", tag = "roster",
    request_body = Vec<RosterApplication>, responses((status = 200, body = Envelope<BatchApplyDto>)))]
pub async fn apply_batch(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<Vec<RosterApplication>>,
) -> ApiResult {
    let items = body
        .into_inner()
        .into_iter()
        .map(|a| (UserId(a.user_id), a.reason, a.alias))
        .collect();
    let outcome = state.roster.apply_batch(&caller.0, items).await?;
    ok(BatchApplyDto {
        success: outcome.success.iter().map(|u| u.0).collect(),
        fails: outcome
            .fails
            .into_iter()
            .map(|(user, reason)| FailDto {
                user_id: user.0,
                reason,
            })
            .collect(),
    })
}

/// Applications the caller received, newest first, with `cursor` paging.
#[utoipa::path(get, path = "/roster/apply/list", tag = "roster", params(PageQuery),
    responses((status = 200, body = ListEnvelope<RosterApplicationDto>)))]
pub async fn list_applications(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> ApiResult {
    let (page, next) = state
        .roster
        .applications(&caller.0, query.cursor.as_deref(), query.limit)
        .await?;
    let version = page.iter().map(|a| a.created_at.0).max().unwrap_or(0);
    let data = page
        .into_iter()
        .map(|a| RosterApplicationDto {
            user_id: a.applicant.0,
            reason: a.reason,
            status: a.status.code(),
            expired_time: a.expires_at.0,
        })
        .collect();
    ok_list(data, next, version)
}

/// Accept the open application of `user_id`; 10007 when there is none, or it was handled or
/// has expired.
#[utoipa::path(method(post, put), path = "/roster/accept", tag = "roster", params(UserQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn accept(state: Data<ApiState>, caller: Caller, query: Query<UserQuery>) -> ApiResult {
    state
        .roster
        .accept(&caller.0, UserId(query.user_id))
        .await?;
    done()
}

/// Decline the open application of `user_id`; 10007 when there is none, or it was handled or
/// has expired.
#[utoipa::path(method(post, put), path = "/roster/decline", tag = "roster",
    request_body = DeclineRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn decline(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<DeclineRequest>,
) -> ApiResult {
    let b = body.into_inner();
    state
        .roster
        .decline(&caller.0, UserId(b.user_id), b.reason)
        .await?;
    done()
}
