//! Authentication extractors. Handlers say what they need by taking it as a parameter:
//! [`Caller`] for authenticated operations, [`OpenApp`] for the open ones (registration and
//! login), which still name their app.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use tidings_kernel::{AppId, GroupId, Principal, UserId};
use tidings_users::DeviceGrant;

use crate::maxim::error::{ApiError, code};
use crate::state::ApiState;

/// The authenticated caller, impersonation applied (NOTES.md §1).
pub struct Caller(pub Principal);

/// The app an open (unauthenticated) operation runs in, known to exist.
pub struct OpenApp(pub AppId);

/// The `User-Agent` header, or empty.
pub struct UserAgent(pub String);

pub(crate) fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn app_id(req: &HttpRequest) -> Result<AppId, ApiError> {
    parse_app_id(header(req, "app_id"))
}

/// An app id as given (header or, for the gateway, query parameter): 40000 when missing or
/// malformed.
pub(crate) fn parse_app_id(raw: Option<&str>) -> Result<AppId, ApiError> {
    let raw = raw.ok_or_else(|| ApiError::new(code::APP_NOT_FOUND, "app_id is missing"))?;
    AppId::parse(raw).map_err(|_| ApiError::new(code::APP_NOT_FOUND, "app_id does not exist"))
}

/// Authenticates on the server's multi-thread runtime (see `crate::op`).
pub(crate) async fn authenticate(
    state: &ApiState,
    app: AppId,
    token: Option<String>,
    as_user: Option<UserId>,
    as_group: Option<GroupId>,
) -> Result<Principal, ApiError> {
    let users = state.users.clone();
    state
        .runtime
        .spawn(async move {
            users
                .authenticate(&app, token.as_deref(), as_user, as_group)
                .await
        })
        .await
        .map_err(|e| ApiError::from_panic(&e))?
        .map_err(ApiError::from)
}

/// [`authenticate`] for a gateway connection: a user token only, and when it expires.
pub(crate) async fn authenticate_connection(
    state: &ApiState,
    app: AppId,
    token: Option<String>,
) -> Result<DeviceGrant, ApiError> {
    let users = state.users.clone();
    state
        .runtime
        .spawn(async move { users.authenticate_connection(&app, token.as_deref()).await })
        .await
        .map_err(|e| ApiError::from_panic(&e))?
        .map_err(ApiError::from)
}

pub(crate) fn id_header(req: &HttpRequest, name: &str) -> Result<Option<i64>, ApiError> {
    header(req, name)
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                ApiError::bad_parameter(format!("the {name} header must be an integer"))
            })
        })
        .transpose()
}

fn state(req: &HttpRequest) -> Result<web::Data<ApiState>, ApiError> {
    ApiState::of(req).ok_or_else(|| ApiError::new(code::INTERNAL, "server state is missing"))
}

type Extracting<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = (|| {
            Ok::<_, ApiError>((
                state(req)?,
                app_id(req)?,
                header(req, "access-token").map(str::to_owned),
                id_header(req, "user_id")?.map(UserId),
                id_header(req, "group_id")?.map(GroupId),
            ))
        })();
        Box::pin(async move {
            let (state, app, token, as_user, as_group) = parsed?;
            let principal = authenticate(&state, app, token, as_user, as_group).await?;
            Ok(Caller(principal))
        })
    }
}

impl FromRequest for OpenApp {
    type Error = ApiError;
    type Future = Extracting<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = state(req).and_then(|s| Ok((s, app_id(req)?)));
        Box::pin(async move {
            let (state, app) = parsed?;
            let users = state.users.clone();
            let found = state
                .runtime
                .spawn(async move { users.find_app(&app).await })
                .await
                .map_err(|e| ApiError::from_panic(&e))??;
            Ok(OpenApp(found.id))
        })
    }
}

impl FromRequest for UserAgent {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(UserAgent(
            header(req, "user-agent").unwrap_or_default().to_owned(),
        )))
    }
}
