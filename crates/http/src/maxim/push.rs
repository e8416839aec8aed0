//! MaxIM §4, push: push tasks to audiences of devices (`/push/notify`) and their counts per
//! channel (`/push/task/detail`). Admin tokens only.

use actix_web::http::Method;
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tidings_kernel::Timestamp;
use tidings_push::NotifyRequest;
use tidings_push::model::{Audience, Badge, Channel, Kind, Notification, Strategy, TaskDetail};
use utoipa::{IntoParams, ToSchema};

use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, ok};
use crate::maxim::error::ApiError;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(&[Method::POST], "/push/notify", notify);
    ops.extend(op(&[Method::POST], "/push/task/detail", task_detail));
    ops.extend(op(&[Method::GET], "/push/certificate", certificate));
    ops
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CertificateQuery {
    /// 1 APNs, 7 FCM, 8 Web Push (a Tidings addition); 2 Huawei, 3 Xiaomi, 4 Meizu, 5 vivo
    /// and 6 OPPO are not served (10002).
    #[serde(deserialize_with = "crate::lenient::int")]
    pub provider: i64,
    /// 0 development, 1 production (default): accepted; an APNs key serves both, and
    /// `tidings app update --apns-sandbox` chooses where pushes go.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub environment: Option<i64>,
}

/// `NotifierDto`: what the app has configured for a provider, never a private key.
#[derive(Serialize, ToSchema)]
pub struct NotifierDto {
    /// The `notifier_name` devices bind their tokens with (`/user/token/bind`).
    pub name: String,
    /// APNs: the bundle id (topic); FCM: the project id; Web Push: the VAPID subject.
    pub app_id: String,
    /// APNs: the key id; FCM: the service account's e-mail; Web Push: the VAPID public key
    /// (base64url), the `applicationServerKey` a browser subscribes with.
    pub app_key: String,
}

/// `PushNotifyRequest`.
#[derive(Deserialize, ToSchema)]
pub struct PushNotifyRequest {
    /// `"all"`, or one of `{"tag": [...]}`, `{"alias": [...]}`, `{"user_id": [...]}`,
    /// `{"push_token": [...]}` (at most 500 entries; 12005 over).
    #[schema(value_type = Object)]
    pub audience: Value,
    #[serde(default)]
    pub setting: Option<PushSetting>,
    pub message: PushMessage,
}

/// `Setting`. `ospush_sequence` (the vendors' order) is accepted and not used: a device has
/// one vendor token, bound with `/user/token/bind`.
#[derive(Deserialize, ToSchema, Default)]
pub struct PushSetting {
    /// A repeat of a request id answers the first task's id and sends nothing.
    pub request_id: Option<String>,
    /// `combined` (default), `mxpush_only` or `ospush_only`.
    pub distribution_strategy: Option<String>,
}

/// `PushMessage`. The per-vendor blocks (`ios`, `android`, `huawei`, `xiaomi`, `oppo`,
/// `vivo`, `flyme`, `fcm`) are accepted and not used yet: APNs and FCM pushes use their
/// defaults (sound `default`, high priority; `cmd` as a background push).
#[derive(Deserialize, ToSchema)]
pub struct PushMessage {
    /// `text` (default), `image` or `cmd` (pass-through, never shown).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub body: Option<String>,
    /// An `http(s)` URL; for `image`, of a `.jpg`, `.jpeg` or `.png` file (12001 missing,
    /// 12002 not a URL, 12003 another type).
    pub attachment_url: Option<String>,
    pub big_text: Option<String>,
    /// `"N"` sets the badge, `"+N"` adds N, empty adds 1.
    #[serde(default, deserialize_with = "badge_text")]
    #[schema(value_type = Option<String>)]
    pub badge: Option<String>,
    /// A JSON object for the app.
    #[schema(value_type = Option<Object>)]
    pub ext: Option<Value>,
    /// Seconds since the epoch: not delivered before.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub show_begin_time: Option<i64>,
    /// Seconds since the epoch: not delivered after.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub show_end_time: Option<i64>,
}

/// A badge given as text (`"+2"`) or as a number (`3`).
fn badge_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            return Err(serde::de::Error::custom(
                "badge must be text such as \"+1\"",
            ));
        }
    })
}

/// `PushResults`.
#[derive(Serialize, ToSchema)]
pub struct PushResults {
    pub task_id: i64,
}

/// `ListRequest«long»`: task ids.
#[derive(Deserialize, ToSchema)]
pub struct TaskIdList {
    /// 1 to 100 task ids.
    #[serde(default, deserialize_with = "crate::lenient::ints")]
    pub list: Vec<i64>,
}

/// `TaskDetail`: per channel, `*_target` devices routed to it, `*_sent` pushes handed to it,
/// `*_received` pushes it confirmed (mxpush: written to the device's connection).
#[derive(Serialize, ToSchema)]
pub struct TaskDetailDto {
    pub task_id: i64,
    pub apns_target: i64,
    pub apns_sent: i64,
    pub apns_received: i64,
    pub fcm_target: i64,
    pub fcm_sent: i64,
    pub fcm_received: i64,
    pub huawei_target: i64,
    pub huawei_sent: i64,
    pub huawei_received: i64,
    pub xiaomi_target: i64,
    pub xiaomi_sent: i64,
    pub xiaomi_received: i64,
    pub oppo_target: i64,
    pub oppo_sent: i64,
    pub oppo_received: i64,
    pub vivo_target: i64,
    pub vivo_sent: i64,
    pub vivo_received: i64,
    pub flyme_target: i64,
    pub flyme_sent: i64,
    pub flyme_received: i64,
    pub mxpush_target: i64,
    pub mxpush_sent: i64,
    pub mxpush_received: i64,
    /// Web Push to browsers (a Tidings addition; `received`: the push service answered 2xx).
    pub webpush_target: i64,
    pub webpush_sent: i64,
    pub webpush_received: i64,
}

impl From<&TaskDetail> for TaskDetailDto {
    fn from(d: &TaskDetail) -> Self {
        let c = |channel: Channel| d.on(channel);
        let (apns, fcm, huawei, xiaomi) = (
            c(Channel::Apns),
            c(Channel::Fcm),
            c(Channel::Huawei),
            c(Channel::Xiaomi),
        );
        let (oppo, vivo, flyme, mxpush, webpush) = (
            c(Channel::Oppo),
            c(Channel::Vivo),
            c(Channel::Flyme),
            c(Channel::Mxpush),
            c(Channel::WebPush),
        );
        Self {
            task_id: d.task.0,
            apns_target: apns.target,
            apns_sent: apns.sent,
            apns_received: apns.received,
            fcm_target: fcm.target,
            fcm_sent: fcm.sent,
            fcm_received: fcm.received,
            huawei_target: huawei.target,
            huawei_sent: huawei.sent,
            huawei_received: huawei.received,
            xiaomi_target: xiaomi.target,
            xiaomi_sent: xiaomi.sent,
            xiaomi_received: xiaomi.received,
            oppo_target: oppo.target,
            oppo_sent: oppo.sent,
            oppo_received: oppo.received,
            vivo_target: vivo.target,
            vivo_sent: vivo.sent,
            vivo_received: vivo.received,
            flyme_target: flyme.target,
            flyme_sent: flyme.sent,
            flyme_received: flyme.received,
            mxpush_target: mxpush.target,
            mxpush_sent: mxpush.sent,
            mxpush_received: mxpush.received,
            webpush_target: webpush.target,
            webpush_sent: webpush.sent,
            webpush_received: webpush.received,
        }
    }
}

/// The audience as the request writes it.
fn audience(raw: &Value) -> Result<Audience, ApiError> {
    let bad = || {
        ApiError::bad_parameter(
            "audience must be \"all\" or one of {\"tag\"|\"alias\"|\"user_id\"|\"push_token\": [...]}",
        )
    };
    let texts = |v: &Value| -> Result<Vec<String>, ApiError> {
        v.as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|e| match e {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad()),
            })
            .collect()
    };
    match raw {
        Value::String(s) if s.trim().eq_ignore_ascii_case("all") => Ok(Audience::All),
        Value::Object(map) if map.len() == 1 => {
            let (key, list) = map.iter().next().ok_or_else(bad)?;
            if key == "all" {
                return Err(bad());
            }
            Ok(Audience::from_kind(key, texts(list)?)?)
        }
        _ => Err(bad()),
    }
}

/// Seconds since the epoch as a timestamp.
fn seconds(raw: Option<i64>, name: &str) -> Result<Option<Timestamp>, ApiError> {
    raw.filter(|s| *s != 0)
        .map(|s| {
            s.checked_mul(1000)
                .filter(|_| s > 0)
                .map(Timestamp)
                .ok_or_else(|| {
                    ApiError::bad_parameter(format!("{name} must be seconds since the epoch"))
                })
        })
        .transpose()
}

fn notify_request(body: PushNotifyRequest) -> Result<NotifyRequest, ApiError> {
    let audience = audience(&body.audience)?;
    let setting = body.setting.unwrap_or_default();
    let m = body.message;
    let ext = match m.ext {
        None | Some(Value::Null) => String::new(),
        Some(Value::Object(map)) => Value::Object(map).to_string(),
        Some(_) => return Err(ApiError::bad_parameter("ext must be a JSON object")),
    };
    let notification = Notification {
        kind: Kind::parse(m.kind.as_deref().unwrap_or_default())?,
        title: m.title.unwrap_or_default(),
        body: m.body.unwrap_or_default(),
        big_text: m.big_text.unwrap_or_default(),
        attachment_url: m.attachment_url.unwrap_or_default(),
        badge: Badge::parse(m.badge.as_deref().unwrap_or_default())?,
        ext,
        show_begin: seconds(m.show_begin_time, "show_begin_time")?,
        show_end: seconds(m.show_end_time, "show_end_time")?,
    };
    Ok(NotifyRequest {
        audience,
        strategy: Strategy::parse(setting.distribution_strategy.as_deref().unwrap_or_default())?,
        request_id: setting.request_id,
        notification,
    })
}

/// Send a push notification to an audience (admin token): the task's id. Devices with a
/// connection open get a `push` frame (the mxpush channel, unless `ospush_only`); others
/// are reached through APNs or FCM when they bound a vendor token whose `notifier_name` the
/// app has credentials for (unless `mxpush_only`). `ospush_only` without credentials
/// answers 12006; 12005 for an audience list over 500.
#[utoipa::path(post, path = "/push/notify", tag = "push", request_body = PushNotifyRequest,
    responses((status = 200, body = Envelope<PushResults>)))]
pub async fn notify(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<PushNotifyRequest>,
) -> ApiResult {
    let request = notify_request(body.into_inner())?;
    let task = state.push.notify(&caller.0, request).await?;
    ok(PushResults { task_id: task.0 })
}

/// What the app has configured for a push provider (admin token): names and ids, never a
/// key; `data` is null when nothing is configured.
#[utoipa::path(get, path = "/push/certificate", tag = "push", params(CertificateQuery),
    responses((status = 200, body = Envelope<NotifierDto>)))]
pub async fn certificate(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<CertificateQuery>,
) -> ApiResult {
    if q.environment.is_some_and(|e| !(0..=1).contains(&e)) {
        return Err(ApiError::bad_parameter("environment must be 0 or 1"));
    }
    let notifier = state.push.certificate(&caller.0, q.provider).await?;
    ok(notifier.map(|n| NotifierDto {
        name: n.name,
        app_id: n.app_id,
        app_key: n.app_key,
    }))
}

/// The counts of push tasks per channel (admin token); ids of no task of the app are left
/// out.
#[utoipa::path(post, path = "/push/task/detail", tag = "push", request_body = TaskIdList,
    responses((status = 200, body = Envelope<Vec<TaskDetailDto>>)))]
pub async fn task_detail(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<TaskIdList>,
) -> ApiResult {
    let details = state
        .push
        .task_details(&caller.0, body.into_inner().list)
        .await?;
    ok(details.iter().map(TaskDetailDto::from).collect::<Vec<_>>())
}
