//! Wire types shared by several MaxIM operations (exact field names of the Swagger file).

use serde::{Deserialize, Serialize};
use tidings_users::model::{Device, User, UserSettings};
use tidings_users::{BatchItem, IssuedToken};
use utoipa::ToSchema;

/// `ListRequest«T»`: `{list: [...]}`.
#[derive(Deserialize, ToSchema)]
pub struct ListRequest<T> {
    pub list: Vec<T>,
}

/// `UserSettings`.
#[derive(Serialize, ToSchema)]
pub struct UserSettingsDto {
    /// The settings' id: the user's id.
    pub id: i64,
    pub user_id: i64,
    /// 0 anyone may add, 1 needs consent, 2 must answer the question, 3 reject all.
    pub auth_mode: i64,
    pub auth_question: String,
    pub auth_answer: String,
    pub auto_download: bool,
    /// Invitations into groups need the user's consent.
    pub group_confirm: bool,
    pub no_push: bool,
    pub no_push_detail: bool,
    pub no_push_start_hour: i64,
    pub no_push_end_hour: i64,
    pub silence_start_time: i64,
    pub silence_end_time: i64,
    pub no_sounds: bool,
    pub vibratory: bool,
    pub push_nick_name: String,
    /// Push tokens belong to devices (see `/user/device/list`); always null here.
    pub push_token: Option<String>,
}

impl UserSettingsDto {
    pub fn new(user: i64, s: &UserSettings) -> Self {
        Self {
            id: user,
            user_id: user,
            auth_mode: s.auth_mode.code(),
            auth_question: s.auth_question.clone(),
            auth_answer: s.auth_answer.clone(),
            auto_download: s.auto_download,
            group_confirm: s.group_confirm,
            no_push: s.no_push,
            no_push_detail: s.no_push_detail,
            no_push_start_hour: s.no_push_start_hour.get(),
            no_push_end_hour: s.no_push_end_hour.get(),
            silence_start_time: s.silence_start_time.get(),
            silence_end_time: s.silence_end_time.get(),
            no_sounds: s.no_sounds,
            vibratory: s.vibratory,
            push_nick_name: s.push_nick_name.clone(),
            push_token: None,
        }
    }

    pub fn of(user: &User) -> Self {
        Self::new(user.id.0, &user.settings)
    }
}

/// `UserProfileDto`.
#[derive(Serialize, ToSchema)]
pub struct UserProfileDto {
    pub user_id: i64,
    pub username: String,
    pub nick_name: String,
    pub avatar: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub description: String,
    /// Visible to anyone.
    pub public_info: String,
    /// Visible only to the user.
    pub private_info: String,
}

impl From<&User> for UserProfileDto {
    fn from(u: &User) -> Self {
        let p = &u.profile;
        Self {
            user_id: u.id.0,
            username: u.username.as_str().to_owned(),
            nick_name: p.nick_name.clone(),
            avatar: p.avatar.clone(),
            mobile: p.mobile.as_ref().map(|m| m.as_str().to_owned()),
            email: p.email.as_ref().map(|e| e.as_str().to_owned()),
            description: p.description.clone(),
            public_info: p.public_info.clone(),
            private_info: p.private_info.clone(),
        }
    }
}

/// `BatchRegisterUserDto`, `BatchAvatarDto`, `BatchUserProfileDto`: one item's outcome.
#[derive(Serialize, ToSchema)]
pub struct BatchResultDto {
    pub success: bool,
    /// Why the item failed; null when it succeeded.
    pub reason: Option<String>,
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

impl From<BatchItem> for BatchResultDto {
    fn from(item: BatchItem) -> Self {
        Self {
            success: item.failure.is_none(),
            reason: item.failure,
            user_id: item.user_id.map(|u| u.0),
            username: item.username,
        }
    }
}

/// `TokenDto`.
#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    /// The access-token for later calls.
    pub token: String,
    pub user_id: i64,
    /// When the token expires, in ms since the epoch.
    pub expire: i64,
    /// The device's push token, when the login named a `device_guid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_token: Option<String>,
    /// The device serial number the token is bound to (0: none). Tidings extension.
    pub device_sn: i64,
}

impl From<IssuedToken> for TokenDto {
    fn from(t: IssuedToken) -> Self {
        Self {
            token: t.token,
            user_id: t.user_id.0,
            expire: t.expire.0,
            push_token: t.push_token,
            device_sn: t.device.0,
        }
    }
}

/// `DeviceDto`.
#[derive(Serialize, ToSchema)]
pub struct DeviceDto {
    pub device_sn: i64,
    /// 1 iOS, 2 Android, 3 Windows, 4 macOS, 5 Linux, 6 Web.
    pub platform: i64,
    pub user_agent: String,
    pub user_id: i64,
}

impl From<&Device> for DeviceDto {
    fn from(d: &Device) -> Self {
        Self {
            device_sn: d.sn.0,
            platform: d.platform.code(),
            user_agent: d.user_agent.clone(),
            user_id: d.user.0,
        }
    }
}

/// `Basic user information` of `/user/list`.
#[derive(Serialize, ToSchema)]
pub struct BasicUserDto {
    pub user_id: i64,
    pub username: String,
    /// 0 normal, 1 banned.
    pub status: i32,
}

/// `OnlineStatusDto`.
#[derive(Serialize, ToSchema)]
pub struct OnlineStatusDto {
    pub online: bool,
}
