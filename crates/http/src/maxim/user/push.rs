//! Push preferences: tags, alias and badge.

use actix_web::http::Method;
use actix_web::web::{Data, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/user/push/tag", list_tags);
    ops.extend(op(&[Method::POST], "/user/push/tag", add_tags));
    ops.extend(op(&[Method::DELETE], "/user/push/tag", remove_tags));
    ops.extend(op(&[Method::DELETE], "/user/push/tag/all", remove_all_tags));
    ops.extend(op(&[Method::POST], "/user/push/alias", set_alias));
    ops.extend(op(&[Method::POST], "/user/push/badge", set_badge));
    ops
}

/// `TagListRequest`.
#[derive(Deserialize, ToSchema)]
pub struct TagListRequest {
    /// 1–100 tags of 1–64 characters.
    pub tags: Vec<String>,
}

/// `AliasRequest`.
#[derive(Deserialize, ToSchema)]
pub struct AliasRequest {
    /// 1–64 characters.
    pub alias: String,
    /// When given, must be the push token of one of the caller's devices.
    pub push_token: Option<String>,
}

/// `BadgeRequest`.
#[derive(Deserialize, ToSchema)]
pub struct BadgeRequest {
    /// 0–99999.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub badge: i64,
}

/// The caller's push tags, sorted.
#[utoipa::path(get, path = "/user/push/tag", tag = "user",
    responses((status = 200, body = Envelope<Vec<String>>)))]
pub async fn list_tags(state: Data<ApiState>, caller: Caller) -> ApiResult {
    ok(state.users.push_tags(&caller.0).await?)
}

/// Add push tags to the caller (at most 100 in all).
#[utoipa::path(post, path = "/user/push/tag", tag = "user", request_body = TagListRequest,
    responses((status = 200, body = Envelope<bool>)))]
pub async fn add_tags(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<TagListRequest>,
) -> ApiResult {
    state
        .users
        .add_push_tags(&caller.0, body.into_inner().tags)
        .await?;
    done()
}

/// Remove the listed push tags from the caller.
#[utoipa::path(delete, path = "/user/push/tag", tag = "user", request_body = TagListRequest,
    responses((status = 200, body = Envelope<bool>)))]
pub async fn remove_tags(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<TagListRequest>,
) -> ApiResult {
    state
        .users
        .remove_push_tags(&caller.0, Some(body.into_inner().tags))
        .await?;
    done()
}

/// Remove every push tag of the caller.
#[utoipa::path(delete, path = "/user/push/tag/all", tag = "user",
    responses((status = 200, body = Envelope<bool>)))]
pub async fn remove_all_tags(state: Data<ApiState>, caller: Caller) -> ApiResult {
    state.users.remove_push_tags(&caller.0, None).await?;
    done()
}

/// Set the caller's push alias.
#[utoipa::path(post, path = "/user/push/alias", tag = "user", request_body = AliasRequest,
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_alias(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<AliasRequest>,
) -> ApiResult {
    let body = body.into_inner();
    state
        .users
        .set_push_alias(&caller.0, body.alias, body.push_token.as_deref())
        .await?;
    done()
}

/// Set the caller's app icon badge.
#[utoipa::path(post, path = "/user/push/badge", tag = "user", request_body = BadgeRequest,
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_badge(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<BadgeRequest>,
) -> ApiResult {
    state.users.set_badge(&caller.0, body.badge).await?;
    done()
}
