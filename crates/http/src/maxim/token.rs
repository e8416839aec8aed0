//! MaxIM §5: user tokens.

use actix_web::http::Method;
use actix_web::web::{Data, Json};
use serde::Deserialize;
use tidings_kernel::UserId;
use tidings_users::{DeviceInfo, LoginBy};
use utoipa::ToSchema;

use super::dto::TokenDto;
use crate::edge::ClientIp;
use crate::maxim::auth::{OpenApp, UserAgent};
use crate::maxim::envelope::{ApiResult, Envelope, ok};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/token/user", by_username);
    ops.extend(op(&[Method::POST], "/token/id", by_user_id));
    ops.extend(op(&[Method::POST], "/token/login", by_login_name));
    ops
}

/// `TokenUsernameRequest`.
#[derive(Deserialize, ToSchema)]
pub struct TokenUsernameRequest {
    pub name: String,
    pub password: String,
    /// Registers this device (or finds it again) and binds the token to it.
    pub device_guid: Option<String>,
}

/// `TokenUserIdRequest`.
#[derive(Deserialize, ToSchema)]
pub struct TokenUserIdRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub user_id: i64,
    pub password: String,
    pub device_guid: Option<String>,
}

/// `TokenLoginNamePasswordRequest`.
#[derive(Deserialize, ToSchema)]
pub struct TokenLoginNamePasswordRequest {
    /// A username, mobile number or e-mail address.
    pub login_name: String,
    pub password: String,
    pub device_guid: Option<String>,
}

/// A login, held to the rate limits (see [`crate::limits::RateLimits::login`]).
async fn login(
    state: &ApiState,
    (app, ip): (OpenApp, ClientIp),
    by: LoginBy,
    password: &str,
    device_guid: Option<String>,
    user_agent: UserAgent,
) -> ApiResult {
    let name = match &by {
        LoginBy::Username(name) | LoginBy::LoginName(name) => name.clone(),
        LoginBy::UserId(id) => id.0.to_string(),
    };
    let device = DeviceInfo {
        guid: device_guid.filter(|g| !g.is_empty()),
        platform: None,
        user_agent: user_agent.0,
    };
    let attempt = state.users.login(&app.0, by, password, device);
    let issued = state.limits.login(&app.0, ip.0, &name, attempt).await??;
    ok(TokenDto::from(issued))
}

/// Log in by username and password.
#[utoipa::path(post, path = "/token/user", tag = "token", security(("app_id" = [])), request_body = TokenUsernameRequest,
    responses((status = 200, body = Envelope<TokenDto>)))]
pub async fn by_username(
    state: Data<ApiState>,
    app: OpenApp,
    ip: ClientIp,
    ua: UserAgent,
    body: Json<TokenUsernameRequest>,
) -> ApiResult {
    let body = body.into_inner();
    let by = LoginBy::Username(body.name);
    login(&state, (app, ip), by, &body.password, body.device_guid, ua).await
}

/// Log in by user id and password.
#[utoipa::path(post, path = "/token/id", tag = "token", security(("app_id" = [])), request_body = TokenUserIdRequest,
    responses((status = 200, body = Envelope<TokenDto>)))]
pub async fn by_user_id(
    state: Data<ApiState>,
    app: OpenApp,
    ip: ClientIp,
    ua: UserAgent,
    body: Json<TokenUserIdRequest>,
) -> ApiResult {
    let body = body.into_inner();
    let by = LoginBy::UserId(UserId(body.user_id));
    login(&state, (app, ip), by, &body.password, body.device_guid, ua).await
}

/// Log in by username, mobile number or e-mail, and password.
#[utoipa::path(post, path = "/token/login", tag = "token", security(("app_id" = [])),
    request_body = TokenLoginNamePasswordRequest,
    responses((status = 200, body = Envelope<TokenDto>)))]
pub async fn by_login_name(
    state: Data<ApiState>,
    app: OpenApp,
    ip: ClientIp,
    ua: UserAgent,
    body: Json<TokenLoginNamePasswordRequest>,
) -> ApiResult {
    let body = body.into_inner();
    let by = LoginBy::LoginName(body.login_name);
    login(&state, (app, ip), by, &body.password, body.device_guid, ua).await
}
