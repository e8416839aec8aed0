//! Users (seed 003, "用户维护"): their password, deletion (one or up to 100), disabling
//! (MaxIM's ban), and online status — one user (`GET /v1/users/{username}/userstat`), or
//! many, by device (`POST /v1/users/userstat`, and `POST /v2/users/statuser`, which reports
//! unknown users in place instead of refusing).
//!
//! A device is logged in while it holds a user token that has not expired (a MaxIM login
//! on that device, until it is kicked, removed or its token expires) and online while it is
//! connected to the gateway.

use actix_web::http::{Method, StatusCode};
use actix_web::web::{Data, Json, Path, Query};
use serde::{Deserialize, Serialize};
use tidings_users::model::{Password, Platform};
use tidings_users::{DeviceStatus, UserStatus};
use utoipa::{IntoParams, ToSchema};

use crate::jmessage::auth::Master;
use crate::jmessage::error::{JmError, code};
use crate::jmessage::reply::{JmResult, no_content, ok};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(
        &[Method::PUT],
        "/v1/users/{username}/password",
        set_password,
    );
    ops.extend(op(&[Method::DELETE], "/v1/users/{username}", delete));
    ops.extend(op(&[Method::DELETE], "/v1/users/", delete_batch));
    ops.extend(op(&[Method::PUT], "/v1/users/{username}/forbidden", forbid));
    ops.extend(op(
        &[Method::GET],
        "/v1/users/{username}/userstat",
        userstat,
    ));
    ops.extend(op(&[Method::POST], "/v1/users/userstat", userstat_batch));
    ops.extend(op(&[Method::POST], "/v2/users/statuser", statuser));
    ops
}

/// The longest username a lookup takes, in bytes. Registering over JMessage allows 4–128
/// bytes of `[A-Za-z0-9_.\-@]`; a lookup also finds users registered over MaxIM, whose
/// names follow MaxIM's rules (up to 64 characters, CJK included).
const MAX_LOOKUP_BYTES: usize = 256;

/// A username to look up: 899003 when it could name no user.
fn lookup_name(raw: &str) -> Result<String, JmError> {
    if raw.is_empty() || raw.len() > MAX_LOOKUP_BYTES || raw.chars().any(char::is_control) {
        return Err(JmError::bad_parameter(format!("invalid username: {raw:?}")));
    }
    Ok(raw.to_owned())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UsernamePath {
    pub username: String,
}

/// One user's status.
#[derive(Serialize, ToSchema)]
pub struct UserStat {
    /// A device of the user is logged in.
    pub login: bool,
    /// A device of the user is connected now.
    pub online: bool,
}

/// One device's status.
#[derive(Serialize, ToSchema)]
pub struct DeviceStat {
    pub login: bool,
    pub online: bool,
    /// The device's platform: `a` Android, `i` iOS, `j` JavaScript (the web), `w` desktop.
    pub platform: &'static str,
}

/// One user's devices.
#[derive(Serialize, ToSchema)]
pub struct UserDevices {
    pub username: String,
    /// Empty for a user who never logged in.
    pub devices: Vec<DeviceStat>,
}

/// One user's devices, or that there is no such user.
#[derive(Serialize, ToSchema)]
pub struct UserDevicesV2 {
    pub username: String,
    pub devices: Vec<DeviceStat>,
    /// 0 the user exists; 1 it does not (with `statusmsg`).
    pub statuscode: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statusmsg: Option<&'static str>,
}

/// `PUT /v1/users/{username}/password`.
#[derive(Deserialize, ToSchema)]
pub struct NewPassword {
    /// 4–128 bytes.
    pub new_password: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForbiddenQuery {
    /// `true` disables the user (no login, every device signed out), `false` enables it
    /// again; in any case.
    #[serde(deserialize_with = "crate::jmessage::query::flag")]
    #[param(value_type = bool)]
    pub disable: bool,
}

/// Sets the user's password (no old password needed); every device is signed out.
#[utoipa::path(put, path = "/v1/users/{username}/password", tag = "users",
    params(UsernamePath), request_body = NewPassword,
    responses((status = 204, description = "changed")))]
pub async fn set_password(
    state: Data<ApiState>,
    master: Master,
    path: Path<UsernamePath>,
    body: Json<NewPassword>,
) -> JmResult {
    let password = Password::parse(&body.new_password)?;
    let user = state
        .users
        .as_user_named(&master.0, &lookup_name(&path.username)?)
        .await?;
    state.users.change_password_admin(&user, password).await?;
    no_content()
}

/// Deletes the user.
#[utoipa::path(delete, path = "/v1/users/{username}", tag = "users", params(UsernamePath),
    responses((status = 204, description = "deleted")))]
pub async fn delete(state: Data<ApiState>, master: Master, path: Path<UsernamePath>) -> JmResult {
    let name = lookup_name(&path.username)?;
    state.users.delete_users_named(&master.0, &[name]).await?;
    no_content()
}

/// Deletes up to 100 users, all or none (899002, nothing deleted, when one does not exist).
#[utoipa::path(delete, path = "/v1/users/", tag = "users", request_body = Vec<String>,
    responses((status = 200, description = "deleted (no body)")))]
pub async fn delete_batch(
    state: Data<ApiState>,
    master: Master,
    body: Json<Vec<String>>,
) -> JmResult {
    let names = body
        .iter()
        .map(|n| lookup_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    state.users.delete_users_named(&master.0, &names).await?;
    Ok(crate::reply::Reply::empty(StatusCode::OK))
}

/// Disables (`disable=true`) or enables (`false`) the user: MaxIM's ban.
#[utoipa::path(put, path = "/v1/users/{username}/forbidden", tag = "users",
    params(UsernamePath, ForbiddenQuery),
    responses((status = 204, description = "switched")))]
pub async fn forbid(
    state: Data<ApiState>,
    master: Master,
    path: Path<UsernamePath>,
    query: Query<ForbiddenQuery>,
) -> JmResult {
    let user = state
        .users
        .as_user_named(&master.0, &lookup_name(&path.username)?)
        .await?;
    let id = user.user().ok_or_else(JmError::internal)?;
    state
        .users
        .set_banned(&master.0, vec![id], query.disable)
        .await?;
    no_content()
}

fn platform(p: Platform) -> &'static str {
    match p {
        Platform::Android => "a",
        Platform::Ios => "i",
        Platform::Web => "j",
        Platform::Windows | Platform::Mac | Platform::Linux => "w",
    }
}

fn device(d: &DeviceStatus) -> DeviceStat {
    DeviceStat {
        login: d.logged_in,
        online: d.online,
        platform: platform(d.platform),
    }
}

fn not_found(username: &str) -> JmError {
    JmError::new(
        code::USER_NOT_FOUND,
        StatusCode::FORBIDDEN,
        format!("user {username} does not exist"),
    )
}

async fn statuses(
    state: &ApiState,
    master: &Master,
    names: Vec<String>,
) -> Result<Vec<UserStatus>, JmError> {
    let names = names
        .iter()
        .map(|n| lookup_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(state.users.device_status(&master.0, &names).await?)
}

/// Whether the user is logged in and online on any device. 899002 for an unknown user.
#[utoipa::path(get, path = "/v1/users/{username}/userstat", tag = "users",
    params(UsernamePath), responses((status = 200, body = UserStat)))]
pub async fn userstat(state: Data<ApiState>, master: Master, path: Path<UsernamePath>) -> JmResult {
    let name = path.into_inner().username;
    let found = statuses(&state, &master, vec![name.clone()]).await?;
    let status = found
        .into_iter()
        .next()
        .filter(|s| s.user.is_some())
        .ok_or_else(|| not_found(&name))?;
    ok(&UserStat {
        login: status.devices.iter().any(|d| d.logged_in),
        online: status.devices.iter().any(|d| d.online),
    })
}

/// Every device of up to 500 users, in the order named. 899002 when one does not exist.
#[utoipa::path(post, path = "/v1/users/userstat", tag = "users",
    request_body = Vec<String>, responses((status = 200, body = Vec<UserDevices>)))]
pub async fn userstat_batch(
    state: Data<ApiState>,
    master: Master,
    body: Json<Vec<String>>,
) -> JmResult {
    let found = statuses(&state, &master, body.into_inner()).await?;
    if let Some(missing) = found.iter().find(|s| s.user.is_none()) {
        return Err(not_found(&missing.username));
    }
    let answer: Vec<UserDevices> = found
        .iter()
        .map(|s| UserDevices {
            username: s.username.clone(),
            devices: s.devices.iter().map(device).collect(),
        })
        .collect();
    ok(&answer)
}

/// Every device of up to 500 users, in the order named; an unknown user is reported in its
/// place (`statuscode` 1, `statusmsg` `no_exist`).
#[utoipa::path(post, path = "/v2/users/statuser", tag = "users",
    request_body = Vec<String>, responses((status = 200, body = Vec<UserDevicesV2>)))]
pub async fn statuser(state: Data<ApiState>, master: Master, body: Json<Vec<String>>) -> JmResult {
    let found = statuses(&state, &master, body.into_inner()).await?;
    let answer: Vec<UserDevicesV2> = found
        .iter()
        .map(|s| UserDevicesV2 {
            username: s.username.clone(),
            devices: s.devices.iter().map(device).collect(),
            statuscode: i64::from(s.user.is_none()),
            statusmsg: s.user.is_none().then_some("no_exist"),
        })
        .collect();
    ok(&answer)
}
