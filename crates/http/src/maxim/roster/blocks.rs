//! Blocks.

use actix_web::http::Method;
use actix_web::web::{Data, Query};

use super::applications::UserQuery;
use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::maxim::user::{POST_DELETE, POST_PUT};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(POST_PUT, "/roster/block", block);
    ops.extend(op(POST_DELETE, "/roster/unblock", unblock));
    ops.extend(op(&[Method::GET], "/roster/blocked_list", blocked_list));
    ops
}

/// Block a user: they can no longer apply to, or message, the caller.
#[utoipa::path(method(post, put), path = "/roster/block", tag = "roster", params(UserQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn block(state: Data<ApiState>, caller: Caller, query: Query<UserQuery>) -> ApiResult {
    state
        .roster
        .block(&caller.0, tidings_kernel::UserId(query.user_id))
        .await?;
    done()
}

/// Unblock a user.
#[utoipa::path(method(post, delete), path = "/roster/unblock", tag = "roster", params(UserQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn unblock(state: Data<ApiState>, caller: Caller, query: Query<UserQuery>) -> ApiResult {
    state
        .roster
        .unblock(&caller.0, tidings_kernel::UserId(query.user_id))
        .await?;
    done()
}

/// The ids the caller blocked, ascending.
#[utoipa::path(get, path = "/roster/blocked_list", tag = "roster",
    responses((status = 200, body = Envelope<Vec<i64>>)))]
pub async fn blocked_list(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let ids = state.roster.blocked_list(&caller.0).await?;
    ok(ids.iter().map(|id| id.0).collect::<Vec<_>>())
}
