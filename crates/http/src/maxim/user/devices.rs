//! Devices: list, removal, kicks, presence, and vendor push tokens.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::Deserialize;
use tidings_kernel::DeviceSn;
use utoipa::{IntoParams, ToSchema};

use super::{POST_DELETE, POST_PUT};
use crate::maxim::auth::Caller;
use crate::maxim::dto::{DeviceDto, OnlineStatusDto};
use crate::maxim::envelope::{ApiResult, Envelope, ListEnvelope, done, ok, ok_list};
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::GET], "/user/device/list", list_devices);
    ops.extend(op(POST_DELETE, "/user/device/remove", remove_device));
    ops.extend(op(POST_PUT, "/user/kick", kick));
    ops.extend(op(&[Method::GET], "/user/online_status", online_status));
    ops.extend(op(POST_PUT, "/user/token/bind", bind_vendor_token));
    ops.extend(op(POST_DELETE, "/user/token/unbind", unbind_vendor_token));
    ops
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub device_sn: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KickQuery {
    /// Left out: every device of the user.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub device_sn: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnbindQuery {
    #[serde(rename = "deviceSn")]
    #[param(rename = "deviceSn")]
    #[serde(deserialize_with = "crate::lenient::int")]
    pub device_sn: i64,
}

/// `BindPushTokenRequest`.
#[derive(Deserialize, ToSchema)]
pub struct BindPushTokenRequest {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub device_sn: i64,
    /// The vendor's (APNs, FCM, Huawei, …) token for the device.
    pub device_token: String,
    /// The notifier (certificate) name it belongs to.
    pub notifier_name: String,
}

/// The caller's devices. `version` is the newest device's creation time (ms).
#[utoipa::path(get, path = "/user/device/list", tag = "user",
    responses((status = 200, body = ListEnvelope<DeviceDto>)))]
pub async fn list_devices(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let devices = state.users.devices(&caller.0).await?;
    let version = devices.iter().map(|d| d.created_at.0).max().unwrap_or(0);
    ok_list(devices.iter().map(DeviceDto::from).collect(), None, version)
}

/// Remove one of the caller's devices: its tokens are revoked and its connections closed.
#[utoipa::path(method(post, delete), path = "/user/device/remove", tag = "user",
    params(DeviceQuery), responses((status = 200, body = Envelope<bool>)))]
pub async fn remove_device(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<DeviceQuery>,
) -> ApiResult {
    state
        .users
        .remove_device(&caller.0, DeviceSn(query.device_sn))
        .await?;
    done()
}

/// Kick one device (or every device) of the caller offline: their tokens are revoked and
/// their connections closed; the devices stay registered.
#[utoipa::path(method(post, put), path = "/user/kick", tag = "user", params(KickQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn kick(state: Data<ApiState>, caller: Caller, query: Query<KickQuery>) -> ApiResult {
    let device = query.device_sn.filter(|sn| *sn != 0).map(DeviceSn);
    state.users.kick(&caller.0, device).await?;
    done()
}

/// Whether the caller has at least one live connection.
#[utoipa::path(get, path = "/user/online_status", tag = "user",
    responses((status = 200, body = Envelope<OnlineStatusDto>)))]
pub async fn online_status(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let online = state.users.online(&caller.0).await?;
    ok(OnlineStatusDto { online })
}

/// Bind a vendor push token to one of the caller's devices.
#[utoipa::path(method(post, put), path = "/user/token/bind", tag = "user",
    request_body = BindPushTokenRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn bind_vendor_token(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<BindPushTokenRequest>,
) -> ApiResult {
    state
        .users
        .bind_vendor_token(
            &caller.0,
            DeviceSn(body.device_sn),
            &body.device_token,
            &body.notifier_name,
        )
        .await?;
    done()
}

/// Unbind the vendor push token of one of the caller's devices. `data` is null.
#[utoipa::path(method(post, delete), path = "/user/token/unbind", tag = "user",
    params(UnbindQuery), responses((status = 200, body = Envelope<Option<bool>>)))]
pub async fn unbind_vendor_token(
    state: Data<ApiState>,
    caller: Caller,
    query: Query<UnbindQuery>,
) -> ApiResult {
    state
        .users
        .unbind_vendor_token(&caller.0, DeviceSn(query.device_sn))
        .await?;
    ok(serde_json::Value::Null)
}
