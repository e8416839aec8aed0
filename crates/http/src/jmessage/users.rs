//! Users (seed 003, "用户维护"): their profile (`GET`/`PUT /v1/users/{username}`: MaxIM's
//! nickname and avatar, and JMessage's own fields), password, deletion (one or up to 100), disabling
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
use serde_json::{Map, Value};
use tidings_users::model::{Birthday, Details, Gender, Password, Platform, User};
use tidings_users::{DeviceStatus, ProfilePatch, UserStatus};
use utoipa::{IntoParams, ToSchema};

use crate::jmessage::auth::Master;
use crate::jmessage::error::{JmError, code};
use crate::jmessage::reply::{JmResult, no_content, ok};
use crate::jmessage::rules::{self, lookup_name, lookup_names};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/v1/users/{username}", get);
    ops.extend(op(&[Method::PUT], "/v1/users/{username}", update));
    ops.extend(op(
        &[Method::PUT],
        "/v1/users/{username}/password",
        set_password,
    ));
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

/// A user as JMessage shows one. Fields never set are left out, but for `username`,
/// `mtime` and `ctime`.
#[derive(Serialize, ToSchema)]
pub struct UserInfo {
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// `yyyy-MM-dd HH:mm:ss`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// 0 unknown, 1 male, 2 female.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The user's own JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub extras: Option<Value>,
    /// When the profile last changed, `yyyy-MM-dd HH:mm:ss` (UTC).
    pub mtime: String,
    /// When the user registered, `yyyy-MM-dd HH:mm:ss` (UTC).
    pub ctime: String,
}

/// A time as JMessage writes it: `yyyy-MM-dd HH:mm:ss`, UTC.
fn jm_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

impl From<&User> for UserInfo {
    fn from(u: &User) -> Self {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let d = &u.details;
        Self {
            username: u.username.as_str().to_owned(),
            nickname: some(&u.profile.nick_name),
            avatar: some(&u.profile.avatar),
            birthday: d
                .birthday
                .as_ref()
                .map(|b| format!("{} 00:00:00", b.as_str())),
            gender: d.gender.map(Gender::code),
            signature: d.signature.clone(),
            region: d.region.clone(),
            address: d.address.clone(),
            extras: d
                .extras
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok()),
            mtime: jm_time(u.updated_at.0),
            ctime: jm_time(u.created_at.0),
        }
    }
}

/// `PUT /v1/users/{username}`: the fields to change; those left out are kept.
#[derive(Deserialize, ToSchema)]
pub struct UserUpdate {
    /// At most 64 bytes, no line breaks.
    pub nickname: Option<String>,
    /// A `media_id` from the media upload.
    pub avatar: Option<String>,
    /// `yyyy-MM-dd`.
    pub birthday: Option<String>,
    /// 0 unknown, 1 male, 2 female.
    pub gender: Option<i64>,
    pub signature: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    /// A JSON object of at most 512 bytes.
    #[schema(value_type = Option<Object>)]
    pub extras: Option<Map<String, Value>>,
}

impl UserUpdate {
    fn into_patch(self) -> Result<ProfilePatch, JmError> {
        Ok(ProfilePatch {
            nick_name: rules::name("nickname", self.nickname)?,
            avatar: rules::other("avatar", self.avatar)?,
            details: Details {
                birthday: self.birthday.as_deref().map(Birthday::parse).transpose()?,
                gender: self.gender.map(Gender::from_code).transpose()?,
                signature: rules::other("signature", self.signature)?,
                region: rules::other("region", self.region)?,
                address: rules::other("address", self.address)?,
                extras: rules::extras(self.extras)?,
            },
            ..ProfilePatch::default()
        })
    }
}

/// The user, as JMessage shows one: also users registered over MaxIM.
#[utoipa::path(get, path = "/v1/users/{username}", tag = "users", params(UsernamePath),
    responses((status = 200, body = UserInfo)))]
pub async fn get(state: Data<ApiState>, master: Master, path: Path<UsernamePath>) -> JmResult {
    let found = state
        .users
        .user_named(&master.0, &lookup_name(&path.username)?)
        .await?;
    ok(&UserInfo::from(&found))
}

/// Changes the fields given; `nickname` and `avatar` are the user's MaxIM nickname and avatar.
#[utoipa::path(put, path = "/v1/users/{username}", tag = "users", params(UsernamePath),
    request_body = UserUpdate, responses((status = 204, description = "changed")))]
pub async fn update(
    state: Data<ApiState>,
    master: Master,
    path: Path<UsernamePath>,
    body: Json<UserUpdate>,
) -> JmResult {
    let patch = body.into_inner().into_patch()?;
    let user = state
        .users
        .as_user_named(&master.0, &lookup_name(&path.username)?)
        .await?;
    state.users.update_profile(&user, patch).await?;
    no_content()
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
    let names = lookup_names(&body)?;
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
        .user_named(&master.0, &lookup_name(&path.username)?)
        .await?;
    state
        .users
        .set_banned(&master.0, vec![user.id], query.disable)
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
    names: &[String],
) -> Result<Vec<UserStatus>, JmError> {
    let names = lookup_names(names)?;
    Ok(state.users.device_status(&master.0, &names).await?)
}

/// Whether the user is logged in and online on any device. 899002 for an unknown user.
#[utoipa::path(get, path = "/v1/users/{username}/userstat", tag = "users",
    params(UsernamePath), responses((status = 200, body = UserStat)))]
pub async fn userstat(state: Data<ApiState>, master: Master, path: Path<UsernamePath>) -> JmResult {
    let name = path.into_inner().username;
    let found = statuses(&state, &master, std::slice::from_ref(&name)).await?;
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
    let found = statuses(&state, &master, &body).await?;
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
    let found = statuses(&state, &master, &body).await?;
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
