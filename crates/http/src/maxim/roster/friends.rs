//! Friends: list, details, search, per-friend settings, deletion, may-message.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::Deserialize;
use tidings_kernel::UserId;
use utoipa::{IntoParams, ToSchema};

use super::RosterItemDto;
use super::applications::{PageQuery, UserQuery};
use crate::maxim::auth::Caller;
use crate::maxim::dto::ListRequest;
use crate::maxim::envelope::{ApiResult, Envelope, ListEnvelope, done, ok, ok_list};
use crate::maxim::user::{POST_DELETE, POST_PUT};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/roster/list", list_friends);
    ops.extend(op(&[Method::POST], "/roster/list", friend_details));
    ops.extend(op(&[Method::GET], "/roster/id", find_by_id));
    ops.extend(op(&[Method::GET], "/roster/name", find_by_name));
    ops.extend(op(&[Method::GET], "/roster/mobile", find_by_mobile));
    ops.extend(op(POST_PUT, "/roster/ext", update_friend));
    ops.extend(op(POST_DELETE, "/roster/delete", delete_friend));
    ops.extend(op(&[Method::GET], "/roster/may_message", may_message));
    ops
}

/// `RosterExtRequest`: fields left out are kept.
#[derive(Deserialize, ToSchema)]
pub struct RosterExtRequest {
    /// The friend.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    /// Up to 64 characters.
    pub alias: Option<String>,
    /// Up to 1024 characters.
    pub ext: Option<String>,
    pub mute_notification: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NameQuery {
    pub username: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MobileQuery {
    pub mobile: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MayMessageQuery {
    /// The sender.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    /// The receiver.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub roster_id: i64,
}

/// The caller's friends' ids, ascending, with `cursor` paging (absent on the last page).
#[utoipa::path(get, path = "/roster/list", tag = "roster", params(PageQuery),
    responses((status = 200, body = ListEnvelope<i64>)))]
pub async fn list_friends(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<PageQuery>,
) -> ApiResult {
    let page = state
        .roster
        .friends(&caller.0, query.cursor.as_deref(), query.limit)
        .await?;
    ok_list(
        page.ids.iter().map(|id| id.0).collect(),
        page.next,
        page.version,
    )
}

/// The listed users (up to 1000) as the caller sees them; unknown ids are left out.
#[utoipa::path(post, path = "/roster/list", tag = "roster", request_body = ListRequest<i64>,
    responses((status = 200, body = Envelope<Vec<RosterItemDto>>)))]
pub async fn friend_details(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ListRequest<i64>>,
) -> ApiResult {
    let ids = body.into_inner().list.into_iter().map(UserId).collect();
    let items = state.roster.details(&caller.0, ids).await?;
    ok(items
        .into_iter()
        .map(RosterItemDto::from)
        .collect::<Vec<_>>())
}

/// Find a user by id; 10000 when there is none.
#[utoipa::path(get, path = "/roster/id", tag = "roster", params(UserQuery),
    responses((status = 200, body = Envelope<RosterItemDto>)))]
pub async fn find_by_id(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<UserQuery>,
) -> ApiResult {
    let item = state
        .roster
        .find_by_id(&caller.0, UserId(query.user_id))
        .await?;
    ok(RosterItemDto::from(item))
}

/// Find a user by username; 10000 when there is none.
#[utoipa::path(get, path = "/roster/name", tag = "roster", params(NameQuery),
    responses((status = 200, body = Envelope<RosterItemDto>)))]
pub async fn find_by_name(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<NameQuery>,
) -> ApiResult {
    let item = state
        .roster
        .find_by_name(&caller.0, &query.username)
        .await?;
    ok(RosterItemDto::from(item))
}

/// Find a user by mobile number; 10000 when there is none.
#[utoipa::path(get, path = "/roster/mobile", tag = "roster", params(MobileQuery),
    responses((status = 200, body = Envelope<RosterItemDto>)))]
pub async fn find_by_mobile(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<MobileQuery>,
) -> ApiResult {
    let item = state
        .roster
        .find_by_mobile(&caller.0, &query.mobile)
        .await?;
    ok(RosterItemDto::from(item))
}

/// Change the caller's alias, ext and mute flag for a friend; 10002 for a non-friend.
#[utoipa::path(method(post, put), path = "/roster/ext", tag = "roster",
    request_body = RosterExtRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn update_friend(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<RosterExtRequest>,
) -> ApiResult {
    let b = body.into_inner();
    state
        .roster
        .update_friend(
            &caller.0,
            UserId(b.user_id),
            b.alias,
            b.ext,
            b.mute_notification,
        )
        .await?;
    done()
}

/// End a friendship, in both directions; 10002 for a non-friend.
#[utoipa::path(method(post, delete), path = "/roster/delete", tag = "roster", params(UserQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn delete_friend(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<UserQuery>,
) -> ApiResult {
    state
        .roster
        .delete_friend(&caller.0, UserId(query.user_id))
        .await?;
    done()
}

/// Whether `user_id` may message `roster_id`: false when either blocked the other.
#[utoipa::path(get, path = "/roster/may_message", tag = "roster", params(MayMessageQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn may_message(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<MayMessageQuery>,
) -> ApiResult {
    let allowed = state
        .roster
        .may_message(&caller.0, UserId(query.user_id), UserId(query.roster_id))
        .await?;
    ok(allowed)
}
