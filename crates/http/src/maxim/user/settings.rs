//! Settings: the whole set and each setting's own endpoint.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::Deserialize;
use tidings_users::model::{AuthMode, Hour, SettingsPatch};
use utoipa::{IntoParams, ToSchema};

use super::POST_PUT;
use crate::maxim::auth::Caller;
use crate::maxim::dto::UserSettingsDto;
use crate::maxim::envelope::{ApiResult, Envelope, done, ok};
use crate::maxim::error::ApiError;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/user/settings", get_settings);
    ops.extend(op(POST_PUT, "/user/settings", update_settings));
    ops.extend(op(POST_PUT, "/user/authmode", set_auth_mode));
    ops.extend(op(POST_PUT, "/user/download", set_auto_download));
    ops.extend(op(POST_PUT, "/user/push", set_no_push));
    ops.extend(op(POST_PUT, "/user/push/detail", set_no_push_detail));
    ops.extend(op(POST_PUT, "/user/push/limit", set_no_push_hours));
    ops.extend(op(POST_PUT, "/user/push/nickname", set_push_nickname));
    ops.extend(op(POST_PUT, "/user/sounds", set_no_sounds));
    ops.extend(op(POST_PUT, "/user/vibratory", set_vibratory));
    ops
}

/// `UserSettings` as a request: every field is optional and fields left out are kept.
/// `id` and `user_id` are ignored (the caller is the subject), and so is `push_token` (push
/// tokens belong to devices).
#[derive(Deserialize, ToSchema)]
pub struct UserSettingsRequest {
    /// 0 anyone may add, 1 needs consent, 2 must answer the question, 3 reject all.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub auth_mode: Option<i64>,
    pub auth_question: Option<String>,
    pub auth_answer: Option<String>,
    pub auto_download: Option<bool>,
    pub group_confirm: Option<bool>,
    pub no_push: Option<bool>,
    pub no_push_detail: Option<bool>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub no_push_start_hour: Option<i64>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub no_push_end_hour: Option<i64>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub silence_start_time: Option<i64>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub silence_end_time: Option<i64>,
    pub no_sounds: Option<bool>,
    pub vibratory: Option<bool>,
    pub push_nick_name: Option<String>,
}

fn hour(field: &str, value: Option<i64>) -> Result<Option<Hour>, ApiError> {
    Ok(value.map(|v| Hour::parse(field, v)).transpose()?)
}

impl UserSettingsRequest {
    fn into_patch(self) -> Result<SettingsPatch, ApiError> {
        Ok(SettingsPatch {
            auth_mode: self.auth_mode.map(AuthMode::from_code).transpose()?,
            auth_question: self.auth_question,
            auth_answer: self.auth_answer,
            auto_download: self.auto_download,
            group_confirm: self.group_confirm,
            no_push: self.no_push,
            no_push_detail: self.no_push_detail,
            no_push_start_hour: hour("no_push_start_hour", self.no_push_start_hour)?,
            no_push_end_hour: hour("no_push_end_hour", self.no_push_end_hour)?,
            silence_start_time: hour("silence_start_time", self.silence_start_time)?,
            silence_end_time: hour("silence_end_time", self.silence_end_time)?,
            no_sounds: self.no_sounds,
            vibratory: self.vibratory,
            push_nick_name: self.push_nick_name,
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntValue {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub value: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoolValue {
    pub value: bool,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TextValue {
    pub value: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoPushHours {
    /// Hour 0–23 at which pushes stop.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub no_push_start_hour: i64,
    /// Hour 0–23 at which pushes resume.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub no_push_end_hour: i64,
}

async fn apply(state: &ApiState, caller: &Caller, patch: SettingsPatch) -> ApiResult {
    state.users.update_settings(&caller.0, patch).await?;
    done()
}

/// The caller's settings.
#[utoipa::path(get, path = "/user/settings", tag = "user",
    responses((status = 200, body = Envelope<UserSettingsDto>)))]
pub async fn get_settings(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let settings = state.users.settings(&caller.0).await?;
    let user = caller.0.user().map_or(0, |u| u.0);
    ok(UserSettingsDto::new(user, &settings))
}

/// Change any of the caller's settings.
#[utoipa::path(method(post, put), path = "/user/settings", tag = "user",
    request_body = UserSettingsRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn update_settings(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<UserSettingsRequest>,
) -> ApiResult {
    let patch = body.into_inner().into_patch()?;
    apply(&state, &caller, patch).await
}

/// How others may add the caller as a friend (`value` 0–3).
#[utoipa::path(method(post, put), path = "/user/authmode", tag = "user", params(IntValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_auth_mode(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<IntValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        auth_mode: Some(AuthMode::from_code(query.value)?),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// Whether thumbnails and files download automatically.
#[utoipa::path(method(post, put), path = "/user/download", tag = "user", params(BoolValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_auto_download(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<BoolValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        auto_download: Some(query.value),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// Whether pushes are turned off (`value` true: off).
#[utoipa::path(method(post, put), path = "/user/push", tag = "user", params(BoolValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_no_push(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<BoolValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        no_push: Some(query.value),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// Whether push details are turned off (`value` true: pushes say only that a message came).
#[utoipa::path(method(post, put), path = "/user/push/detail", tag = "user", params(BoolValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_no_push_detail(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<BoolValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        no_push_detail: Some(query.value),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// The hours between which no pushes are sent.
#[utoipa::path(method(post, put), path = "/user/push/limit", tag = "user", params(NoPushHours),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_no_push_hours(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<NoPushHours>,
) -> ApiResult {
    let patch = SettingsPatch {
        no_push_start_hour: hour("no_push_start_hour", Some(query.no_push_start_hour))?,
        no_push_end_hour: hour("no_push_end_hour", Some(query.no_push_end_hour))?,
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// The name pushes show for the caller.
#[utoipa::path(method(post, put), path = "/user/push/nickname", tag = "user", params(TextValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_push_nickname(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<TextValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        push_nick_name: Some(query.into_inner().value),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// Whether new messages are silent (`value` true: no sound).
#[utoipa::path(method(post, put), path = "/user/sounds", tag = "user", params(BoolValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_no_sounds(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<BoolValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        no_sounds: Some(query.value),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}

/// Whether new messages vibrate.
#[utoipa::path(method(post, put), path = "/user/vibratory", tag = "user", params(BoolValue),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn set_vibratory(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<BoolValue>,
) -> ApiResult {
    let patch = SettingsPatch {
        vibratory: Some(query.value),
        ..SettingsPatch::default()
    };
    apply(&state, &caller, patch).await
}
