//! The webhook adapter: POSTs a message to an app's callback as MaxIM's message subscription
//! does, signed with HMAC-SHA256, and the loop that drains the outbox.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use tidings_kernel::AppId;
use tidings_messaging::model::{ContentType, Message, Target};
use tidings_messaging::webhooks::{Callback, WebhookSender};

/// The JSON body of a webhook request (NOTES.md §5).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    app_id: &'a str,
    msg_id: i64,
    from: Uid,
    /// The receiver, or the group for group chats.
    to: Uid,
    /// CHAT, GROUPCHAT, or the operation: RECALL, APPEND, REPLACE.
    #[serde(rename = "type")]
    kind: &'static str,
    ctype: &'static str,
    content: &'a str,
    config: &'a str,
    ext: &'a str,
    attachment: &'a str,
    /// The message an operation acts on (0 otherwise).
    related_mid: i64,
    timestamp: i64,
}

#[derive(Serialize)]
struct Uid {
    uid: i64,
}

/// The body of a webhook request for `message`.
pub fn body(app: &AppId, message: &Message) -> Vec<u8> {
    let kind = match (message.content_type, message.to) {
        (ContentType::Recall | ContentType::Append | ContentType::Replace, _) => {
            message.content_type.name()
        }
        (_, Target::User(_)) => "CHAT",
        (_, Target::Group(_)) => "GROUPCHAT",
    };
    let body = Body {
        app_id: app.as_str(),
        msg_id: message.id,
        from: Uid {
            uid: message.from.0,
        },
        to: Uid {
            uid: message.to.id(),
        },
        kind,
        ctype: message.content_type.name(),
        content: &message.content,
        config: &message.config,
        ext: &message.ext,
        attachment: &message.attachment,
        related_mid: message.related,
        timestamp: message.created_at.0,
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Hex HMAC-SHA256 of `body` keyed by `secret`: the `signature` header.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Posts with reqwest; anything but a 2xx answer within the timeout is a failure.
pub(crate) struct HttpSender {
    client: reqwest::Client,
}

impl HttpSender {
    pub(crate) fn new(timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder()
                .timeout(timeout)
                .user_agent(concat!("tidings/", env!("CARGO_PKG_VERSION")))
                .build()?,
        })
    }
}

#[async_trait]
impl WebhookSender for HttpSender {
    async fn post(
        &self,
        app: &AppId,
        callback: &Callback,
        message: &Message,
    ) -> Result<(), String> {
        let body = body(app, message);
        let answer = self
            .client
            .post(&callback.url)
            .header("content-type", "application/json")
            .header("signature", signature(&callback.secret, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("request failed: {e}"))?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", answer.status().as_u16()))
        }
    }
}

/// The adapter as a trait object.
pub(crate) fn sender(timeout: Duration) -> anyhow::Result<Arc<dyn WebhookSender>> {
    Ok(Arc::new(HttpSender::new(timeout)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
