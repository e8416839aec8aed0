//! Apple Push Notification service: HTTP/2, token authentication (an ES256 JWT signed with
//! the app's `.p8` key, reused for most of its hour), one request per device token.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tidings_push::model::{Credential, Kind, Notifier, Provider, SecretText};
use tidings_push::ports::VendorPush;

/// APNs' production and development hosts.
pub const PRODUCTION_URL: &str = "https://api.push.apple.com";
pub const SANDBOX_URL: &str = "https://api.sandbox.push.apple.com";

/// The settings kept beside the key.
#[derive(Serialize, Deserialize)]
struct Settings {
    team_id: String,
    sandbox: bool,
}

/// Credentials from an operator's `.p8` key file and its ids: checked (the key must be a
/// P-256 private key in PKCS#8 PEM) before anything is stored.
///
/// # Errors
/// When the key does not load or an id is empty.
pub fn credential(
    key_pem: &str,
    key_id: &str,
    team_id: &str,
    topic: &str,
    sandbox: bool,
) -> anyhow::Result<Credential> {
    EncodingKey::from_ec_pem(key_pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("the APNs key is not a P-256 private key in PEM: {e}"))?;
    for (what, value) in [("key id", key_id), ("team id", team_id), ("topic", topic)] {
        anyhow::ensure!(!value.trim().is_empty(), "the APNs {what} is empty");
    }
    Ok(Credential {
        notifier: Notifier {
            provider: Provider::Apns,
            name: Provider::Apns.name().to_owned(),
            app_id: topic.trim().to_owned(),
            app_key: key_id.trim().to_owned(),
        },
        settings: serde_json::to_string(&Settings {
            team_id: team_id.trim().to_owned(),
            sandbox,
        })?,
        secret: SecretText(key_pem.to_owned()),
    })
}

/// Stored credentials, loaded for sending.
#[derive(Clone)]
pub(crate) struct Apns {
    pub key: EncodingKey,
    pub key_id: String,
    pub team_id: String,
    pub topic: String,
    pub sandbox: bool,
}

impl Apns {
    pub(crate) fn load(credential: &Credential) -> anyhow::Result<Self> {
        let settings: Settings = serde_json::from_str(&credential.settings)?;
        Ok(Self {
            key: EncodingKey::from_ec_pem(credential.secret.0.as_bytes())?,
            key_id: credential.notifier.app_key.clone(),
            team_id: settings.team_id,
            topic: credential.notifier.app_id.clone(),
            sandbox: settings.sandbox,
        })
    }

    /// A provider token: `{alg: ES256, kid}` `{iss: team, iat}`.
    pub(crate) fn jwt(&self, issued_at: i64) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = json!({"iss": self.team_id, "iat": issued_at});
        Ok(jsonwebtoken::encode(&header, &claims, &self.key)?)
    }
}

/// The request of one push: `apns-push-type`, `apns-priority` and the JSON payload.
pub(crate) fn request(push: &VendorPush) -> (&'static str, &'static str, Value) {
    let n = &push.notification;
    let mut payload = match n.kind {
        // Pass-through: wakes the app in the background, shows nothing.
        Kind::Cmd => json!({"aps": {"content-available": 1}, "body": n.body}),
        Kind::Text | Kind::Image => {
            let body = if n.big_text.is_empty() {
                &n.body
            } else {
                &n.big_text
            };
            let mut aps = json!({
                "alert": {"title": n.title, "body": body},
                "badge": push.badge,
            });
            if push.sound {
                aps["sound"] = json!("default");
            }
            if n.kind == Kind::Image {
                aps["mutable-content"] = json!(1);
            }
            let mut payload = json!({"aps": aps});
            if n.kind == Kind::Image {
                payload["attachment_url"] = json!(n.attachment_url);
            }
            payload
        }
    };
    payload["task_id"] = json!(push.task.0);
    if let Ok(ext) = serde_json::from_str::<Value>(&n.ext) {
        payload["ext"] = ext;
    }
    match n.kind {
        Kind::Cmd => ("background", "5", payload),
        Kind::Text | Kind::Image => ("alert", "10", payload),
    }
}

/// APNs' reasons that mean the device token will never work again.
pub(crate) fn dead_token(status: u16, reason: &str) -> bool {
    status == 410
        || (status == 400
            && matches!(
                reason,
                "BadDeviceToken" | "DeviceTokenNotForTopic" | "Unregistered"
            ))
}
