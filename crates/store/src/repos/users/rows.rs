//! Row structs and their conversions to and from domain entities.

use diesel::prelude::*;
use tidings_kernel::{AppId, DeviceSn, Timestamp, UserId};
use tidings_users::RepoError;
use tidings_users::model::{
    App, AuthMode, Birthday, Details, Device, Email, Gender, Hour, Mobile, PasswordHash, Platform,
    Profile, ProfileChange, SettingsPatch, TokenHash, TokenRecord, User, UserSettings, Username,
};

use crate::error::corrupt;
use crate::schema::{access_tokens, apps, devices, user_details, users};

fn app_id(raw: String) -> Result<AppId, RepoError> {
    AppId::parse(&raw).map_err(|_| corrupt(format!("app id {raw:?}")))
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = apps)]
pub(crate) struct AppRow {
    pub id: String,
    pub name: String,
    pub app_key: String,
    pub master_secret_hash: String,
    pub registration_open: bool,
    pub user_limit: i64,
    pub created_at: i64,
}

impl From<&App> for AppRow {
    fn from(app: &App) -> Self {
        Self {
            id: app.id.as_str().to_owned(),
            name: app.name.clone(),
            app_key: app.app_key.clone(),
            master_secret_hash: app.master_secret_hash.clone(),
            registration_open: app.registration_open,
            user_limit: app.user_limit,
            created_at: app.created_at.0,
        }
    }
}

impl TryFrom<AppRow> for App {
    type Error = RepoError;

    fn try_from(row: AppRow) -> Result<Self, RepoError> {
        Ok(App {
            id: app_id(row.id)?,
            name: row.name,
            app_key: row.app_key,
            master_secret_hash: row.master_secret_hash,
            registration_open: row.registration_open,
            user_limit: row.user_limit,
            created_at: Timestamp(row.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: i64,
    pub app_id: String,
    pub username: String,
    pub password_hash: String,
    pub nick_name: String,
    pub avatar: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub description: String,
    pub public_info: String,
    pub private_info: String,
    pub auth_mode: i64,
    pub auth_question: String,
    pub auth_answer: String,
    pub auto_download: bool,
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
    pub banned: bool,
    pub push_alias: Option<String>,
    pub badge: i64,
    pub created_at: i64,
}

/// The profile columns of `users`, as a new row holds them.
pub(crate) struct ProfileColumns {
    pub nick_name: String,
    pub avatar: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub description: String,
    pub public_info: String,
    pub private_info: String,
}

impl From<&Profile> for ProfileColumns {
    fn from(p: &Profile) -> Self {
        Self {
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

/// The settings columns of `users`, as a new row holds them.
pub(crate) struct SettingsColumns {
    pub auth_mode: i64,
    pub auth_question: String,
    pub auth_answer: String,
    pub auto_download: bool,
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
}

impl From<&UserSettings> for SettingsColumns {
    fn from(s: &UserSettings) -> Self {
        Self {
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
        }
    }
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        let p = ProfileColumns::from(&u.profile);
        let s = SettingsColumns::from(&u.settings);
        Self {
            id: u.id.0,
            app_id: u.app.as_str().to_owned(),
            username: u.username.as_str().to_owned(),
            password_hash: u.password_hash.0.clone(),
            nick_name: p.nick_name,
            avatar: p.avatar,
            mobile: p.mobile,
            email: p.email,
            description: p.description,
            public_info: p.public_info,
            private_info: p.private_info,
            auth_mode: s.auth_mode,
            auth_question: s.auth_question,
            auth_answer: s.auth_answer,
            auto_download: s.auto_download,
            group_confirm: s.group_confirm,
            no_push: s.no_push,
            no_push_detail: s.no_push_detail,
            no_push_start_hour: s.no_push_start_hour,
            no_push_end_hour: s.no_push_end_hour,
            silence_start_time: s.silence_start_time,
            silence_end_time: s.silence_end_time,
            no_sounds: s.no_sounds,
            vibratory: s.vibratory,
            push_nick_name: s.push_nick_name,
            banned: u.banned,
            push_alias: u.push_alias.clone(),
            badge: u.badge,
            created_at: u.created_at.0,
        }
    }
}

/// A user's `user_details` row: JMessage's fields and the profile's last change. As a
/// changeset its `None` fields are left out of the `UPDATE` (kept), its key never written.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Identifiable, Clone)]
#[diesel(table_name = user_details, primary_key(user_id))]
pub(crate) struct DetailsRow {
    pub user_id: i64,
    pub app_id: String,
    pub birthday: Option<String>,
    pub gender: Option<i64>,
    pub signature: Option<String>,
    pub region: Option<String>,
    pub address: Option<String>,
    pub extras: Option<String>,
    pub updated_at: i64,
}

impl DetailsRow {
    /// The row written by a change at `at` (`None` fields: kept when the row exists).
    pub(crate) fn new(app: &AppId, user: UserId, d: &Details, at: Timestamp) -> Self {
        Self {
            user_id: user.0,
            app_id: app.as_str().to_owned(),
            birthday: d.birthday.as_ref().map(|b| b.as_str().to_owned()),
            gender: d.gender.map(Gender::code),
            signature: d.signature.clone(),
            region: d.region.clone(),
            address: d.address.clone(),
            extras: d.extras.clone(),
            updated_at: at.0,
        }
    }
}

/// A user from its `users` row and its `user_details` row, if it has one.
pub(crate) fn user_from((r, details): (UserRow, Option<DetailsRow>)) -> Result<User, RepoError> {
    {
        let updated_at = Timestamp(details.as_ref().map_or(r.created_at, |d| d.updated_at));
        let details = match details {
            None => Details::default(),
            Some(d) => Details {
                birthday: d.birthday.map(Birthday::from_stored),
                gender: d
                    .gender
                    .map(Gender::from_code)
                    .transpose()
                    .map_err(corrupt)?,
                signature: d.signature,
                region: d.region,
                address: d.address,
                extras: d.extras,
            },
        };
        let hour = |name: &str, v: i64| Hour::parse(name, v).map_err(corrupt);
        Ok(User {
            id: UserId(r.id),
            app: app_id(r.app_id)?,
            username: Username::from_stored(r.username),
            password_hash: PasswordHash(r.password_hash),
            profile: Profile {
                nick_name: r.nick_name,
                avatar: r.avatar,
                mobile: r.mobile.map(Mobile::from_stored),
                email: r.email.map(Email::from_stored),
                description: r.description,
                public_info: r.public_info,
                private_info: r.private_info,
            },
            settings: UserSettings {
                auth_mode: AuthMode::from_code(r.auth_mode).map_err(corrupt)?,
                auth_question: r.auth_question,
                auth_answer: r.auth_answer,
                auto_download: r.auto_download,
                group_confirm: r.group_confirm,
                no_push: r.no_push,
                no_push_detail: r.no_push_detail,
                no_push_start_hour: hour("no_push_start_hour", r.no_push_start_hour)?,
                no_push_end_hour: hour("no_push_end_hour", r.no_push_end_hour)?,
                silence_start_time: hour("silence_start_time", r.silence_start_time)?,
                silence_end_time: hour("silence_end_time", r.silence_end_time)?,
                no_sounds: r.no_sounds,
                vibratory: r.vibratory,
                push_nick_name: r.push_nick_name,
            },
            banned: r.banned,
            push_alias: r.push_alias,
            badge: r.badge,
            details,
            created_at: Timestamp(r.created_at),
            updated_at,
        })
    }
}

/// A profile change: `None` fields are left out of the `UPDATE`.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub(crate) struct ProfilePatchRow {
    pub nick_name: Option<String>,
    pub avatar: Option<String>,
    pub description: Option<String>,
    pub public_info: Option<String>,
    pub private_info: Option<String>,
    /// `Some(None)` sets NULL.
    pub mobile: Option<Option<String>>,
}

impl ProfilePatchRow {
    /// The `users` columns of a change.
    pub(crate) fn new(c: &ProfileChange) -> Self {
        Self {
            nick_name: c.nick_name.clone(),
            avatar: c.avatar.clone(),
            description: c.description.clone(),
            public_info: c.public_info.clone(),
            private_info: c.private_info.clone(),
            mobile: c
                .mobile
                .as_ref()
                .map(|m| m.as_ref().map(|m| m.as_str().to_owned())),
        }
    }

    /// Whether the change names no `users` column (an `UPDATE` needs one).
    pub(crate) fn is_empty(&self) -> bool {
        self.nick_name.is_none()
            && self.avatar.is_none()
            && self.description.is_none()
            && self.public_info.is_none()
            && self.private_info.is_none()
            && self.mobile.is_none()
    }
}

/// A settings patch: `None` fields are left out of the `UPDATE`.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
pub(crate) struct SettingsPatchRow {
    pub auth_mode: Option<i64>,
    pub auth_question: Option<String>,
    pub auth_answer: Option<String>,
    pub auto_download: Option<bool>,
    pub group_confirm: Option<bool>,
    pub no_push: Option<bool>,
    pub no_push_detail: Option<bool>,
    pub no_push_start_hour: Option<i64>,
    pub no_push_end_hour: Option<i64>,
    pub silence_start_time: Option<i64>,
    pub silence_end_time: Option<i64>,
    pub no_sounds: Option<bool>,
    pub vibratory: Option<bool>,
    pub push_nick_name: Option<String>,
}

impl From<&SettingsPatch> for SettingsPatchRow {
    fn from(p: &SettingsPatch) -> Self {
        Self {
            auth_mode: p.auth_mode.map(AuthMode::code),
            auth_question: p.auth_question.clone(),
            auth_answer: p.auth_answer.clone(),
            auto_download: p.auto_download,
            group_confirm: p.group_confirm,
            no_push: p.no_push,
            no_push_detail: p.no_push_detail,
            no_push_start_hour: p.no_push_start_hour.map(Hour::get),
            no_push_end_hour: p.no_push_end_hour.map(Hour::get),
            silence_start_time: p.silence_start_time.map(Hour::get),
            silence_end_time: p.silence_end_time.map(Hour::get),
            no_sounds: p.no_sounds,
            vibratory: p.vibratory,
            push_nick_name: p.push_nick_name.clone(),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
pub(crate) struct DeviceRow {
    pub app_id: String,
    pub user_id: i64,
    pub device_sn: i64,
    pub device_guid: String,
    pub platform: i64,
    pub user_agent: String,
    pub push_token: String,
    pub vendor_token: Option<String>,
    pub notifier_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<DeviceRow> for Device {
    type Error = RepoError;

    fn try_from(r: DeviceRow) -> Result<Self, RepoError> {
        Ok(Device {
            user: UserId(r.user_id),
            sn: DeviceSn(r.device_sn),
            guid: r.device_guid,
            platform: Platform::from_code(r.platform).map_err(corrupt)?,
            user_agent: r.user_agent,
            push_token: r.push_token,
            vendor_token: r.vendor_token.zip(r.notifier_name),
            created_at: Timestamp(r.created_at),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = access_tokens)]
pub(crate) struct TokenRow {
    pub token_hash: String,
    pub app_id: String,
    pub user_id: Option<i64>,
    pub device_sn: i64,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

impl From<&TokenRecord> for TokenRow {
    fn from(t: &TokenRecord) -> Self {
        Self {
            token_hash: t.hash.0.clone(),
            app_id: t.app.as_str().to_owned(),
            user_id: t.user.map(|u| u.0),
            device_sn: t.device.0,
            expires_at: t.expires_at.map(|e| e.0),
            created_at: t.created_at.0,
        }
    }
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = RepoError;

    fn try_from(r: TokenRow) -> Result<Self, RepoError> {
        Ok(TokenRecord {
            hash: TokenHash(r.token_hash),
            app: app_id(r.app_id)?,
            user: r.user_id.map(UserId),
            device: DeviceSn(r.device_sn),
            expires_at: r.expires_at.map(Timestamp),
            created_at: Timestamp(r.created_at),
        })
    }
}
