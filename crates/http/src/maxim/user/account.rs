//! Passwords, deletion, bans and the user list.

use actix_web::http::Method;
use actix_web::web::{Bytes, Data, Json, Query};
use serde::Deserialize;
use tidings_kernel::UserId;
use tidings_users::model::Password;
use utoipa::{IntoParams, ToSchema};

use super::POST_DELETE;
use crate::maxim::auth::Caller;
use crate::maxim::body::optional_json;
use crate::maxim::dto::{BasicUserDto, ListRequest};
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/user/change_password", change_password);
    ops.extend(op(
        &[Method::POST],
        "/user/change_password_admin",
        change_password_admin,
    ));
    ops.extend(op(POST_DELETE, "/user/delete", delete_user));
    ops.extend(op(&[Method::PUT], "/user/disable", disable_users));
    ops.extend(op(&[Method::PUT], "/user/enable", enable_users));
    ops.extend(op(&[Method::GET], "/user/list", list_users));
    ops
}

/// `PasswordChangeRequest`.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    pub old_password: String,
    /// 4–128 bytes.
    pub new_password: String,
}

/// `PasswordDto`.
#[derive(Deserialize, ToSchema)]
pub struct PasswordDto {
    pub password: String,
}

/// `UserDeleteRequest`.
#[derive(Deserialize, ToSchema)]
pub struct UserDeleteRequest {
    /// Needed with a user token; not with an admin token.
    pub password: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1 (default 1).
    #[param(default = 1)]
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub page_num: Option<i64>,
    /// 1–1000 (default 50).
    #[param(default = 50)]
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub page_size: Option<i64>,
}

/// Change the caller's password; every token of the user is revoked.
#[utoipa::path(post, path = "/user/change_password", tag = "user",
    request_body = PasswordChangeRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn change_password(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<PasswordChangeRequest>,
) -> ApiResult {
    let new = Password::parse(&body.new_password)?;
    state
        .users
        .change_password(&caller.0, &body.old_password, new)
        .await?;
    done()
}

/// Set a user's password without the old one (admin token with the `user_id` header); every
/// token of the user is revoked.
#[utoipa::path(post, path = "/user/change_password_admin", tag = "user",
    request_body = PasswordDto, responses((status = 200, body = Envelope<bool>)))]
pub async fn change_password_admin(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<PasswordDto>,
) -> ApiResult {
    let new = Password::parse(&body.password)?;
    state.users.change_password_admin(&caller.0, new).await?;
    done()
}

/// Delete the caller with everything of theirs. A user token must give the password.
#[utoipa::path(method(post, delete), path = "/user/delete", tag = "user",
    request_body(content = UserDeleteRequest, description = "optional with an admin token"),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn delete_user(state: Data<ApiState>, caller: Caller, body: Bytes) -> ApiResult {
    let request: Option<UserDeleteRequest> = optional_json(&body)?;
    let password = request.and_then(|r| r.password);
    state
        .users
        .delete_user(&caller.0, password.as_deref())
        .await?;
    done()
}

/// Ban users (admin token): they cannot log in, and their tokens are revoked. All or none:
/// 10000 when any id is not a user of the app.
#[utoipa::path(put, path = "/user/disable", tag = "user", request_body = ListRequest<i64>,
    responses((status = 200, body = Envelope<bool>)))]
pub async fn disable_users(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ListRequest<i64>>,
) -> ApiResult {
    let ids = body.into_inner().list.into_iter().map(UserId).collect();
    state.users.set_banned(&caller.0, ids, true).await?;
    done()
}

/// Lift bans (admin token). All or none.
#[utoipa::path(put, path = "/user/enable", tag = "user", request_body = ListRequest<i64>,
    responses((status = 200, body = Envelope<bool>)))]
pub async fn enable_users(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ListRequest<i64>>,
) -> ApiResult {
    let ids = body.into_inner().list.into_iter().map(UserId).collect();
    state.users.set_banned(&caller.0, ids, false).await?;
    done()
}

/// One page of the app's users in id order (admin token).
#[utoipa::path(get, path = "/user/list", tag = "user", params(PageQuery),
    responses((status = 200, body = Envelope<Vec<BasicUserDto>>)))]
pub async fn list_users(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> ApiResult {
    let users = state
        .users
        .list_users(&caller.0, query.page_num, query.page_size)
        .await?;
    ok(users
        .iter()
        .map(|u| BasicUserDto {
            user_id: u.id.0,
            username: u.username.as_str().to_owned(),
            status: i32::from(u.banned),
        })
        .collect::<Vec<_>>())
}
