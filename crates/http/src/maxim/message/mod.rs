//! MaxIM §6: messages. A send is stored before the answer and then delivered live through
//! the gateway (`crate::ws`).

use actix_web::http::{Method, StatusCode};
use actix_web::web::{Data, Json, Query};
use serde::{Deserialize, Serialize};
use tidings_kernel::Actor;
use tidings_messaging::SendRequest;
use tidings_messaging::model::{HistoryItem, Target};
use utoipa::{IntoParams, ToSchema};

use crate::maxim::auth::Caller;
use crate::maxim::envelope::{ApiResult, Envelope, done, json, ok};
use crate::maxim::error::{ApiError, code};
use crate::maxim::user::POST_PUT;
use crate::state::ApiState;
use crate::surface::{Operation, op};

pub(crate) fn operations() -> Vec<Operation> {
    let mut ops = op(POST_PUT, "/message/send", send);
    ops.extend(op(POST_PUT, "/message/notify", notify));
    ops.extend(op(&[Method::GET], "/message/conversation", conversation));
    ops.extend(op(
        &[Method::DELETE],
        "/message/conversation",
        delete_conversation,
    ));
    ops.extend(op(&[Method::GET], "/message/unread", unread));
    ops.extend(op(&[Method::GET], "/message/ack", ack));
    ops.extend(op(POST_PUT, "/message/recall", recall));
    ops
}

/// `MessageRequest`.
#[derive(Deserialize, ToSchema)]
pub struct MessageRequest {
    /// 1–100 user ids (`type` 1) or group ids (`type` 2).
    #[serde(default, deserialize_with = "crate::lenient::ints")]
    pub targets: Vec<i64>,
    /// 1 users, 2 groups.
    #[serde(rename = "type", default, deserialize_with = "crate::lenient::int")]
    pub kind: i64,
    /// 0–7 content (TEXT … FORWARD), or 9–12 operations on `related_mid`.
    #[serde(default, deserialize_with = "crate::lenient::int")]
    pub content_type: i64,
    pub content: Option<String>,
    /// With an admin token: the sender.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub from_user_id: Option<i64>,
    /// JSON string.
    pub attachment: Option<String>,
    /// JSON string.
    pub config: Option<String>,
    /// JSON string.
    pub ext: Option<String>,
    /// A repeat within 24 hours is not sent again and answers as the first did.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub transaction_id: Option<i64>,
    /// Deliver only to devices connected now; nothing is stored (and `transaction_id` is not
    /// remembered).
    pub online_only: Option<bool>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub related_mid: Option<i64>,
}

/// The answer of `/message/send` and `/message/notify`: `msg_ids` only for one receiver.
#[derive(Serialize, ToSchema)]
pub struct SendEnvelope {
    pub code: i32,
    pub message: Option<String>,
    pub data: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_ids: Option<Vec<i64>>,
}

/// `RecallMessageRequest`.
#[derive(Deserialize, ToSchema)]
pub struct RecallMessageRequest {
    /// The peer's user id or the group id.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub conversation_id: i64,
    #[serde(deserialize_with = "crate::lenient::int")]
    pub msg_id: i64,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationQuery {
    /// The peer's user id or the group id.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub opposite_id: i64,
    /// Page backwards from this message; 0 (default) for the newest.
    #[param(default = 0)]
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub msg_id_start: Option<i64>,
    /// 1–100 (default 20).
    #[param(default = 20)]
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    pub limit: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationIdQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub conversation_id: i64,
}

/// `device_sn` is accepted and ignored: read positions belong to the user, not the device.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AckQuery {
    #[serde(deserialize_with = "crate::lenient::int")]
    pub conversation_id: i64,
    /// Read up to (and including) this message.
    #[serde(deserialize_with = "crate::lenient::int")]
    pub msg_id: i64,
}

/// `User and device` (an XID).
#[derive(Serialize, ToSchema)]
pub struct Xid {
    pub uid: i64,
    pub device_sn: i64,
}

/// `SessionMessage`.
#[derive(Serialize, ToSchema)]
pub struct SessionMessage {
    pub msg_id: i64,
    pub from_xid: Xid,
    pub to_xid: Xid,
    /// ms since the epoch.
    pub timestamp: i64,
    /// TEXT, IMAGE, AUDIO, VIDEO, FILE, LOCATION, COMMAND, FORWARD, or the operation.
    pub ctype: String,
    /// Empty once recalled.
    pub content: String,
    pub config: String,
    pub ext: String,
    pub attachment: String,
    /// UNREAD, DELIVERED or READ.
    pub status: String,
}

impl From<HistoryItem> for SessionMessage {
    fn from(item: HistoryItem) -> Self {
        let m = item.message;
        let to = match m.to {
            Target::User(u) => u.0,
            Target::Group(g) => g.0,
        };
        Self {
            msg_id: m.id,
            from_xid: Xid {
                uid: m.from.0,
                device_sn: 0,
            },
            to_xid: Xid {
                uid: to,
                device_sn: 0,
            },
            timestamp: m.created_at.0,
            ctype: m.content_type.name().to_owned(),
            content: m.content,
            config: m.config,
            ext: m.ext,
            attachment: m.attachment,
            status: item.status.name().to_owned(),
        }
    }
}

/// `SessionMessage list`.
#[derive(Serialize, ToSchema)]
pub struct SessionMessageList {
    pub messages: Vec<SessionMessage>,
    pub is_last: bool,
    /// The `msg_id_start` of the next (older) page.
    pub next_msg_id: i64,
}

/// `Conversation info`.
#[derive(Serialize, ToSchema)]
pub struct ConversationInfo {
    pub uid: i64,
}

/// `UnreadDto`.
#[derive(Serialize, ToSchema)]
pub struct UnreadDto {
    pub conversation_id: ConversationInfo,
    pub num: i64,
}

impl MessageRequest {
    /// The domain request: `/message/notify` passes `system`.
    pub(crate) fn into_request(self, system: bool) -> SendRequest {
        SendRequest {
            targets: self.targets,
            kind: self.kind,
            content_type: self.content_type,
            content: self.content.unwrap_or_default(),
            attachment: self.attachment.unwrap_or_default(),
            config: self.config.unwrap_or_default(),
            ext: self.ext.unwrap_or_default(),
            from_user_id: self.from_user_id,
            transaction_id: self.transaction_id,
            related_mid: self.related_mid,
            online_only: self.online_only.unwrap_or(false),
            system,
        }
    }
}

async fn send_request(
    state: &ApiState,
    caller: &Caller,
    body: MessageRequest,
    system: bool,
) -> ApiResult {
    state.limits.send(&caller.0)?;
    let one_receiver = body.targets.len() == 1;
    let request = body.into_request(system);
    let sent = state.messaging.send(&caller.0, request).await?;
    json(
        StatusCode::OK,
        &SendEnvelope {
            code: 200,
            message: None,
            data: true,
            msg_ids: (one_receiver && sent.ids.len() == 1).then_some(sent.ids),
        },
    )
}

/// Send a message to users (`type` 1) or groups (`type` 2); stored before the answer.
/// Operations 9–12 act on `related_mid`. 10006 when the receiver blocked the sender; 20002
/// for a group the sender is not in; 10010 for a muted sender or a non-admin under `ban_all`.
#[utoipa::path(method(post, put), path = "/message/send", tag = "message",
    request_body = MessageRequest, responses((status = 200, body = SendEnvelope)))]
pub async fn send(state: Data<ApiState>, caller: Caller, body: Json<MessageRequest>) -> ApiResult {
    send_request(&state, &caller, body.into_inner(), false).await
}

/// Send a system message (admin token; `from_user_id` names the sender). Blocks, mutes and
/// membership do not apply.
#[utoipa::path(method(post, put), path = "/message/notify", tag = "message",
    request_body = MessageRequest, responses((status = 200, body = SendEnvelope)))]
pub async fn notify(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<MessageRequest>,
) -> ApiResult {
    if let Actor::User { .. } = caller.0.actor {
        return Err(ApiError::new(
            code::NO_PERMISSION,
            "system messages need an admin token",
        ));
    }
    send_request(&state, &caller, body.into_inner(), true).await
}

/// A conversation, backwards from `msg_id_start` (0: the newest).
#[utoipa::path(get, path = "/message/conversation", tag = "message", params(ConversationQuery),
    responses((status = 200, body = Envelope<SessionMessageList>)))]
pub async fn conversation(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<ConversationQuery>,
) -> ApiResult {
    let page = state
        .messaging
        .history(
            &caller.0,
            q.opposite_id,
            q.msg_id_start.unwrap_or(0),
            q.limit,
        )
        .await?;
    ok(SessionMessageList {
        messages: page.items.into_iter().map(SessionMessage::from).collect(),
        is_last: page.is_last,
        next_msg_id: page.next_msg_id,
    })
}

/// Remove a conversation from the caller's inbox (the other side keeps theirs).
#[utoipa::path(delete, path = "/message/conversation", tag = "message", params(ConversationIdQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn delete_conversation(
    state: Data<ApiState>,
    caller: Caller,
    q: Query<ConversationIdQuery>,
) -> ApiResult {
    state
        .messaging
        .delete_conversation(&caller.0, q.conversation_id)
        .await?;
    done()
}

/// Conversations with unread messages and exactly how many.
#[utoipa::path(get, path = "/message/unread", tag = "message",
    responses((status = 200, body = Envelope<Vec<UnreadDto>>)))]
pub async fn unread(state: Data<ApiState>, caller: Caller) -> ApiResult {
    let counts = state.messaging.unread(&caller.0).await?;
    ok(counts
        .into_iter()
        .map(|(uid, num)| UnreadDto {
            conversation_id: ConversationInfo { uid },
            num,
        })
        .collect::<Vec<_>>())
}

/// Mark a conversation read up to `msg_id`; the sender then sees READ.
#[utoipa::path(get, path = "/message/ack", tag = "message", params(AckQuery),
    responses((status = 200, body = Envelope<bool>)))]
pub async fn ack(state: Data<ApiState>, caller: Caller, q: Query<AckQuery>) -> ApiResult {
    state
        .messaging
        .ack(&caller.0, q.conversation_id, q.msg_id)
        .await?;
    done()
}

/// Recall one of the caller's messages within 5 minutes: its content is gone from every
/// history and a RECALL operation reaches the conversation.
#[utoipa::path(method(post, put), path = "/message/recall", tag = "message",
    request_body = RecallMessageRequest, responses((status = 200, body = Envelope<bool>)))]
pub async fn recall(
    state: Data<ApiState>,
    caller: Caller,
    body: Json<RecallMessageRequest>,
) -> ApiResult {
    state
        .messaging
        .recall(&caller.0, body.conversation_id, body.msg_id)
        .await?;
    done()
}
