//! Registration: single (two versions), batch and push users.

use actix_web::http::Method;
use actix_web::web::{Data, Json};
use serde::Deserialize;
use tidings_users::RegisterRequest;
use tidings_users::model::{Email, Mobile, Password, Username};
use utoipa::ToSchema;

use crate::edge::ClientIp;
use crate::maxim::auth::{Caller, OpenApp, UserAgent};
use crate::maxim::dto::{BatchResultDto, ListRequest, UserSettingsDto};
use crate::maxim::envelope::{ApiResult, Envelope, ok};
use crate::maxim::error::{ApiError, code};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/user/register", register_v1);
    ops.extend(op(&[Method::POST], "/user/register/v2", register_v2));
    ops.extend(op(&[Method::POST], "/user/register/batch", register_batch));
    ops.extend(op(&[Method::POST], "/user/register/push", register_push));
    ops
}

/// `UserRegisterRequest`.
#[derive(Deserialize, ToSchema)]
pub struct UserRegisterRequest {
    /// Letters, digits and `_` (CJK too), 1–64 characters, not all digits.
    pub username: String,
    /// 4–128 bytes.
    pub password: String,
}

impl UserRegisterRequest {
    fn parse(&self) -> Result<RegisterRequest, ApiError> {
        Ok(RegisterRequest {
            username: Username::parse(&self.username)?,
            password: Password::parse(&self.password)?,
            mobile: None,
            email: None,
        })
    }
}

/// The original (v1) registration body.
#[derive(Deserialize, ToSchema)]
pub struct UserRegisterV1Request {
    pub username: String,
    pub password: String,
    /// Stored as a login name (unique in the app).
    pub mobile: Option<String>,
    /// Stored as a login name (unique in the app).
    pub email: Option<String>,
    /// Tidings sends no verification codes, so any code given is refused with 10001.
    pub verification_code: Option<String>,
}

/// `PushUserRegisterRequest`. Its `sign` field is accepted and not checked: the original's
/// signature algorithm is unpublished.
#[derive(Deserialize, ToSchema)]
pub struct PushUserRegisterRequest {
    pub username: String,
    pub password: String,
    pub alias: Option<String>,
    pub device_guid: Option<String>,
    pub push_token: Option<String>,
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Register a user (v1: with optional mobile and e-mail). Open: needs only `app_id`.
#[utoipa::path(post, path = "/user/register", tag = "user", security(("app_id" = [])), request_body = UserRegisterV1Request,
    responses((status = 200, body = Envelope<UserSettingsDto>)))]
pub async fn register_v1(
    state: Data<ApiState>,
    app: OpenApp,
    ip: ClientIp,
    body: Json<UserRegisterV1Request>,
) -> ApiResult {
    state.limits.registration(&app.0, ip.0)?;
    if non_empty(&body.verification_code).is_some() {
        return Err(ApiError::new(
            code::WRONG_VERIFICATION_CODE,
            "this server issues no verification codes; register without verification_code",
        ));
    }
    let request = RegisterRequest {
        username: Username::parse(&body.username)?,
        password: Password::parse(&body.password)?,
        mobile: non_empty(&body.mobile).map(Mobile::parse).transpose()?,
        email: non_empty(&body.email).map(Email::parse).transpose()?,
    };
    let user = state.users.register(&app.0, request).await?;
    ok(UserSettingsDto::of(&user))
}

/// Register a user. Open: needs only `app_id`.
#[utoipa::path(post, path = "/user/register/v2", tag = "user", security(("app_id" = [])), request_body = UserRegisterRequest,
    responses((status = 200, body = Envelope<UserSettingsDto>)))]
pub async fn register_v2(
    state: Data<ApiState>,
    app: OpenApp,
    ip: ClientIp,
    body: Json<UserRegisterRequest>,
) -> ApiResult {
    state.limits.registration(&app.0, ip.0)?;
    let user = state.users.register(&app.0, body.parse()?).await?;
    ok(UserSettingsDto::of(&user))
}

/// Register up to 100 users (admin token); each item succeeds or fails on its own.
#[utoipa::path(post, path = "/user/register/batch", tag = "user",
    request_body = ListRequest<UserRegisterRequest>,
    responses((status = 200, body = Envelope<Vec<BatchResultDto>>)))]
pub async fn register_batch(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<ListRequest<UserRegisterRequest>>,
) -> ApiResult {
    let items = body
        .into_inner()
        .list
        .into_iter()
        .map(|r| (r.username, r.password))
        .collect();
    let results = state.users.register_batch(&caller.0, items).await?;
    ok(results
        .into_iter()
        .map(BatchResultDto::from)
        .collect::<Vec<_>>())
}

/// Register a push user: a user with a push alias and, with `device_guid`, a device holding
/// `push_token`. Open: needs only `app_id`.
#[utoipa::path(post, path = "/user/register/push", tag = "user", security(("app_id" = [])),
    request_body = PushUserRegisterRequest,
    responses((status = 200, body = Envelope<UserSettingsDto>)))]
pub async fn register_push(
    state: Data<ApiState>,
    app: OpenApp,
    ip: ClientIp,
    ua: UserAgent,
    body: Json<PushUserRegisterRequest>,
) -> ApiResult {
    state.limits.registration(&app.0, ip.0)?;
    let body = body.into_inner();
    let request = UserRegisterRequest {
        username: body.username,
        password: body.password,
    }
    .parse()?;
    let user = state
        .users
        .register_push_user(
            &app.0,
            request,
            body.alias,
            body.device_guid.filter(|g| !g.is_empty()),
            body.push_token.filter(|t| !t.is_empty()),
            &ua.0,
        )
        .await?;
    ok(UserSettingsDto::of(&user))
}
