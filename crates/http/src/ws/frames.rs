//! The JSON text frames of the gateway (docs/PROTOCOL.md). Every frame is an object whose
//! `op` names it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tidings_gateway::Event;
use tidings_groups::model::{GroupEvent, GroupEventKind};
use tidings_messaging::SendRequest;
use tidings_messaging::model::{Message, Target};
use tidings_roster::model::{RosterEvent, RosterEventKind};

/// What a client sends.
#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum ClientFrame {
    /// A message; answered by `sent` (or `error`) echoing `id`.
    Send {
        id: Option<Value>,
        #[serde(flatten)]
        body: SendFrame,
    },
    /// Read up to `msg_id` in `conversation_id`, as `/message/ack`; answered by `ok`.
    Read {
        id: Option<Value>,
        #[serde(deserialize_with = "crate::lenient::int")]
        conversation_id: i64,
        #[serde(deserialize_with = "crate::lenient::int")]
        msg_id: i64,
    },
    /// Everything after position `after`, in order, at most `limit` (default 200, at most
    /// 1000); then `synced`.
    Sync {
        id: Option<Value>,
        #[serde(deserialize_with = "crate::lenient::int")]
        after: i64,
        #[serde(default, deserialize_with = "crate::lenient::opt_int")]
        limit: Option<i64>,
    },
    Ping {
        id: Option<Value>,
    },
}

/// The fields of a `send` frame: those of MaxIM's `/message/send` body, which the protocol
/// keeps so a client writes one message shape for both (docs/PROTOCOL.md).
#[derive(Deserialize)]
pub(crate) struct SendFrame {
    /// 1–100 user ids (`type` 1) or group ids (`type` 2).
    #[serde(default, deserialize_with = "crate::lenient::ints")]
    targets: Vec<i64>,
    /// 1 users, 2 groups.
    #[serde(rename = "type", default, deserialize_with = "crate::lenient::int")]
    kind: i64,
    /// 0–7 content (TEXT … FORWARD), or 9–12 operations on `related_mid`.
    #[serde(default, deserialize_with = "crate::lenient::int")]
    content_type: i64,
    content: Option<String>,
    attachment: Option<String>,
    config: Option<String>,
    ext: Option<String>,
    /// Refused unless it is the connection's own user (a connection holds a user token).
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    from_user_id: Option<i64>,
    /// A repeat within 24 hours is not sent again and answers as the first did.
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    transaction_id: Option<i64>,
    /// Deliver only to devices connected now; nothing is stored.
    online_only: Option<bool>,
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    related_mid: Option<i64>,
}

impl SendFrame {
    /// The domain request.
    pub(crate) fn into_request(self) -> SendRequest {
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
            system: false,
        }
    }
}

/// What the server sends.
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum ServerFrame<'a> {
    /// First frame of every connection: who it is and the position it follows from.
    Hello {
        user_id: i64,
        device_sn: i64,
        position: i64,
    },
    Message {
        /// The receiver's position (0 for an `online_only` message, which has none).
        position: i64,
        /// The conversation as the receiver sees it: the peer, or the group.
        conversation_id: i64,
        message: LiveMessage<'a>,
    },
    Read {
        reader: i64,
        conversation_id: i64,
        msg_id: i64,
    },
    Roster {
        event: &'static str,
        from: i64,
        to: i64,
        content: &'a str,
    },
    Group {
        event: &'static str,
        group_id: i64,
        from: i64,
        to: &'a [i64],
        content: &'a str,
    },
    Sent {
        id: Option<Value>,
        msg_ids: Vec<i64>,
        duplicate: bool,
    },
    Synced {
        id: Option<Value>,
        /// The position of the last message sent; `after` when there was nothing.
        position: i64,
        /// More remain after `position`.
        more: bool,
    },
    Ok {
        id: Option<Value>,
    },
    Pong {
        id: Option<Value>,
    },
    Error {
        id: Option<Value>,
        code: i32,
        message: String,
    },
    /// A push notification of a `/push/notify` task (the "mxpush" channel).
    Push {
        task_id: i64,
        #[serde(rename = "type")]
        kind: &'static str,
        title: &'a str,
        body: &'a str,
        big_text: &'a str,
        attachment_url: &'a str,
        /// The user's app icon badge with this push.
        badge: i64,
        /// The task's `ext` object, or `null`.
        ext: Value,
    },
    /// The connection is closed next: `/user/kick`, device removal, a password change, a
    /// ban or the user's deletion (or a revocation found when the token is looked up again).
    Kicked {},
    /// The connection's token expired: the connection is closed next (4002); log in again.
    Expired {},
}

/// A user and a device (`device_sn` 0: the user as a whole).
#[derive(Serialize)]
pub(crate) struct Xid {
    uid: i64,
    device_sn: i64,
}

/// A message as the gateway sends it: the history's fields and what else a device needs.
#[derive(Serialize)]
pub(crate) struct LiveMessage<'a> {
    msg_id: i64,
    from_xid: Xid,
    to_xid: Xid,
    /// CHAT (1:1) or GROUPCHAT.
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: i64,
    ctype: &'static str,
    content: &'a str,
    config: &'a str,
    ext: &'a str,
    attachment: &'a str,
    /// The message an operation (RECALL, READ_ACK, APPEND, REPLACE) acts on; 0 otherwise.
    related_mid: i64,
    is_system: bool,
    recalled: bool,
}

impl<'a> LiveMessage<'a> {
    pub(crate) fn new(m: &'a Message) -> Self {
        let (kind, to) = match m.to {
            Target::User(u) => ("CHAT", u.0),
            Target::Group(g) => ("GROUPCHAT", g.0),
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
            kind,
            timestamp: m.created_at.0,
            ctype: m.content_type.name(),
            content: &m.content,
            config: &m.config,
            ext: &m.ext,
            attachment: &m.attachment,
            related_mid: m.related,
            is_system: m.system,
            recalled: m.recalled,
        }
    }
}

/// The frame of an event other than a message or a kick (which the session handles).
pub(crate) fn notice(event: &Event) -> Option<String> {
    let frame = match event {
        Event::Read {
            reader,
            conversation,
            message,
        } => ServerFrame::Read {
            reader: reader.0,
            conversation_id: *conversation,
            msg_id: *message,
        },
        Event::Roster(e) => roster(e),
        Event::Group(e) => {
            let to: Vec<i64> = e.to.iter().map(|u| u.0).collect();
            return Some(encode(&group(e, &to)));
        }
        Event::Push(push) => {
            let n = &push.notification;
            ServerFrame::Push {
                task_id: push.task.0,
                kind: n.kind.name(),
                title: &n.title,
                body: &n.body,
                big_text: &n.big_text,
                attachment_url: &n.attachment_url,
                badge: push.badge,
                ext: serde_json::from_str(&n.ext).unwrap_or(Value::Null),
            }
        }
        Event::Message { .. } | Event::Kick { .. } => return None,
    };
    Some(encode(&frame))
}

fn roster(e: &RosterEvent) -> ServerFrame<'_> {
    ServerFrame::Roster {
        event: match e.kind {
            RosterEventKind::Applied => "applied",
            RosterEventKind::Accepted => "accepted",
            RosterEventKind::Declined => "declined",
            RosterEventKind::Added => "added",
            RosterEventKind::Removed => "removed",
            RosterEventKind::Blocked => "blocked",
            RosterEventKind::Unblocked => "unblocked",
            RosterEventKind::InfoUpdated => "info_updated",
        },
        from: e.from.0,
        to: e.to.0,
        content: &e.content,
    }
}

fn group<'a>(e: &'a GroupEvent, to: &'a [i64]) -> ServerFrame<'a> {
    use GroupEventKind as K;
    let event = match e.kind {
        K::Created => "created",
        K::Destroyed => "destroyed",
        K::Joined => "joined",
        K::Left => "left",
        K::Applied => "applied",
        K::ApplyAccepted => "apply_accepted",
        K::ApplyDeclined => "apply_declined",
        K::Invited => "invited",
        K::InviteAccepted => "invite_accepted",
        K::InviteDeclined => "invite_declined",
        K::Kicked => "kicked",
        K::Blocked => "blocked",
        K::Unblocked => "unblocked",
        K::OwnerAssigned => "owner_assigned",
        K::AdminGranted => "admin_granted",
        K::AdminRevoked => "admin_revoked",
        K::Muted => "muted",
        K::Unmuted => "unmuted",
        K::Banned => "banned",
        K::Unbanned => "unbanned",
        K::InfoUpdated => "info_updated",
        K::AnnouncementUpdated => "announcement_updated",
        K::MessageSetting => "message_setting",
        K::FileUploaded => "file_uploaded",
        K::FileDeleted => "file_deleted",
        K::FileUpdated => "file_updated",
    };
    ServerFrame::Group {
        event,
        group_id: e.group.0,
        from: e.from.0,
        to,
        content: &e.content,
    }
}

/// Serializes a frame. Frames hold only strings, numbers and JSON values, which always
/// serialize.
pub(crate) fn encode(frame: &ServerFrame<'_>) -> String {
    serde_json::to_string(frame).unwrap_or_else(|e| {
        tracing::error!(error = %e, "a gateway frame did not serialize");
        r#"{"op":"error","id":null,"code":20000,"message":"internal error"}"#.to_owned()
    })
}
