//! Profile fields: the whole profile, avatar, nickname, mobile, username, private and public
//! information, batch changes, and open-id binding.

use actix_web::http::Method;
use actix_web::web::{Bytes, Data, Json, Query};
use serde::Deserialize;
use tidings_kernel::UserId;
use tidings_users::ProfilePatch;
use tidings_users::model::{Mobile, Username};
use utoipa::{IntoParams, ToSchema};

use super::POST_PUT;
use crate::maxim::auth::Caller;
use crate::maxim::body::raw_text;
use crate::maxim::dto::{BatchResultDto, ListRequest, UserProfileDto};
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/user/profile", get_profile);
    ops.extend(op(POST_PUT, "/user/profile", update_profile));
    ops.extend(op(POST_PUT, "/user/profile/batch", update_profiles));
    ops.extend(op(POST_PUT, "/user/avatar", set_avatar));
    ops.extend(op(POST_PUT, "/user/avatar/batch", set_avatars));
    ops.extend(op(POST_PUT, "/user/nickname", set_nickname));
    ops.extend(op(POST_PUT, "/user/mobile", set_mobile));
    ops.extend(op(POST_PUT, "/user/username", set_username));
    ops.extend(op(POST_PUT, "/user/private", set_private_info));
    ops.extend(op(POST_PUT, "/user/public", set_public_info));
    ops.extend(op(&[Method::GET], "/user/bind_openid", bind_openid));
    ops
}

/// `UserProfileRequest`: fields left out are kept.
#[derive(Deserialize, ToSchema)]
pub struct UserProfileRequest {
    pub nick_name: Option<String>,
    pub description: Option<String>,
    pub private_info: Option<String>,
    pub public_info: Option<String>,
}

impl From<UserProfileRequest> for ProfilePatch {
    fn from(r: UserProfileRequest) -> Self {
        ProfilePatch {
            nick_name: r.nick_name,
            avatar: None,
            description: r.description,
            public_info: r.public_info,
            private_info: r.private_info,
            ..ProfilePatch::default()
        }
    }
}

/// `BatchUserProfileRequest`.
#[derive(Deserialize, ToSchema)]
pub struct BatchUserProfileRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    #[serde(flatten)]
    pub profile: UserProfileRequest,
}

/// `AvatarRequest`.
#[derive(Deserialize, ToSchema)]
pub struct AvatarRequest {
    /// The avatar's URL (at most 1024 characters).
    pub avatar: String,
}

/// `BatchAvatarRequest`.
#[derive(Deserialize, ToSchema)]
pub struct BatchAvatarRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    pub avatar: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NickNameQuery {
    /// At most 64 characters.
    pub nick_name: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MobileQuery {
    /// 5–20 digits, optionally after `+`; empty clears the mobile number.
    pub mobile: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsernameQuery {
    pub username: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpenIdQuery {
    pub open_id: String,
    /// The kind of open id, for example `wechat`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: String,
}

/// The caller's profile.
#[utoipa::path(get, path = "/user/profile", tag = "user",
    responses((status = 200, body = Envelope<UserProfileDto>)))]
pub async fn get_profile(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let user = state.users.profile(&caller.0).await?;
    ok(UserProfileDto::from(&user))
}

/// Change profile fields of the caller.
#[utoipa::path(method(post, put), path = "/user/profile", tag = "user",
    request_body = UserProfileRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn update_profile(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<UserProfileRequest>,
) -> ApiResult {
    state
        .users
        .update_profile(&caller.0, body.into_inner().into())
        .await?;
    done()
}

/// Change the profiles of up to 100 users (admin token).
#[utoipa::path(method(post, put), path = "/user/profile/batch", tag = "user",
    request_body = ListRequest<BatchUserProfileRequest>,
    responses((status = 200, body = Envelope<Vec<BatchResultDto>>)))]
pub async fn update_profiles(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ListRequest<BatchUserProfileRequest>>,
) -> ApiResult {
    let items = body
        .into_inner()
        .list
        .into_iter()
        .map(|r| (UserId(r.user_id), ProfilePatch::from(r.profile)))
        .collect();
    let results = state.users.update_profiles(&caller.0, items).await?;
    ok(results
        .into_iter()
        .map(BatchResultDto::from)
        .collect::<Vec<_>>())
}

/// Set the caller's avatar.
#[utoipa::path(method(post, put), path = "/user/avatar", tag = "user",
    request_body = AvatarRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn set_avatar(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<AvatarRequest>,
) -> ApiResult {
    let patch = ProfilePatch {
        avatar: Some(body.into_inner().avatar),
        ..ProfilePatch::default()
    };
    state.users.update_profile(&caller.0, patch).await?;
    done()
}

/// Set the avatars of up to 100 users (admin token).
#[utoipa::path(method(post, put), path = "/user/avatar/batch", tag = "user",
    request_body = ListRequest<BatchAvatarRequest>,
    responses((status = 200, body = Envelope<Vec<BatchResultDto>>)))]
pub async fn set_avatars(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ListRequest<BatchAvatarRequest>>,
) -> ApiResult {
    let items = body
        .into_inner()
        .list
        .into_iter()
        .map(|r| {
            let patch = ProfilePatch {
                avatar: Some(r.avatar),
                ..ProfilePatch::default()
            };
            (UserId(r.user_id), patch)
        })
        .collect();
    let results = state.users.update_profiles(&caller.0, items).await?;
    ok(results
        .into_iter()
        .map(|r| BatchResultDto {
            username: None,
            ..BatchResultDto::from(r)
        })
        .collect::<Vec<_>>())
}

/// Set the caller's nickname.
#[utoipa::path(method(post, put), path = "/user/nickname", tag = "user", params(NickNameQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_nickname(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<NickNameQuery>,
) -> ApiResult {
    let patch = ProfilePatch {
        nick_name: Some(query.into_inner().nick_name),
        ..ProfilePatch::default()
    };
    state.users.update_profile(&caller.0, patch).await?;
    done()
}

/// Set (or, with an empty value, clear) the caller's mobile number; 10011 when another user
/// of the app has it.
#[utoipa::path(method(post, put), path = "/user/mobile", tag = "user", params(MobileQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_mobile(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<MobileQuery>,
) -> ApiResult {
    let raw = query.mobile.trim();
    let mobile = (!raw.is_empty()).then(|| Mobile::parse(raw)).transpose()?;
    state.users.set_mobile(&caller.0, mobile).await?;
    done()
}

/// Rename the caller; 10004 when the name is taken.
#[utoipa::path(method(post, put), path = "/user/username", tag = "user", params(UsernameQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_username(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<UsernameQuery>,
) -> ApiResult {
    let name = Username::parse(&query.username)?;
    state.users.set_username(&caller.0, name).await?;
    done()
}

/// Set the caller's private information (visible only to the caller). The body is the raw
/// text (a JSON string literal is unwrapped).
#[utoipa::path(method(post, put), path = "/user/private", tag = "user",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_private_info(state: Data<ApiState>, caller: Caller, body: Bytes) -> ApiResult {
    let patch = ProfilePatch {
        private_info: Some(raw_text(&body)?),
        ..ProfilePatch::default()
    };
    state.users.update_profile(&caller.0, patch).await?;
    done()
}

/// Set the caller's public information (visible to anyone). The body is the raw text (a JSON
/// string literal is unwrapped).
#[utoipa::path(method(post, put), path = "/user/public", tag = "user",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_public_info(state: Data<ApiState>, caller: Caller, body: Bytes) -> ApiResult {
    let patch = ProfilePatch {
        public_info: Some(raw_text(&body)?),
        ..ProfilePatch::default()
    };
    state.users.update_profile(&caller.0, patch).await?;
    done()
}

/// Bind an external open id (for example a WeChat openid) to the caller; 10011 when it is
/// bound already.
#[utoipa::path(get, path = "/user/bind_openid", tag = "user", params(OpenIdQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn bind_openid(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<OpenIdQuery>,
) -> ApiResult {
    state
        .users
        .bind_open_id(&caller.0, &query.kind, &query.open_id)
        .await?;
    done()
}
