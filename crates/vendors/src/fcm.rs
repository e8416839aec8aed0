//! Firebase Cloud Messaging, HTTP v1: an OAuth2 access token from the app's service account
//! (an RS256 JWT exchanged at the account's `token_uri`, kept until shortly before it
//! expires), then one request per device token.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tidings_push::model::{Credential, Kind, Notifier, Provider, SecretText};
use tidings_push::ports::VendorPush;

/// FCM's host.
pub const FCM_URL: &str = "https://fcm.googleapis.com";
/// The scope of an access token that may send.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// The fields of a service account file this client reads.
#[derive(Deserialize)]
struct ServiceAccount {
    project_id: String,
    client_email: String,
    private_key: String,
    token_uri: String,
}

#[derive(Serialize, Deserialize)]
struct Settings {
    token_uri: String,
}

/// Credentials from an operator's service account file (JSON, as the Firebase console
/// downloads it): checked before anything is stored.
///
/// # Errors
/// When the file is not a service account or its key does not load.
pub fn credential(service_account_json: &str) -> anyhow::Result<Credential> {
    let account: ServiceAccount = serde_json::from_str(service_account_json).map_err(|e| {
        anyhow::anyhow!(
            "not a service account file (project_id, client_email, private_key, token_uri): {e}"
        )
    })?;
    EncodingKey::from_rsa_pem(account.private_key.as_bytes())
        .map_err(|e| anyhow::anyhow!("the service account's private_key is not an RSA key: {e}"))?;
    anyhow::ensure!(
        account.token_uri.starts_with("https://"),
        "the service account's token_uri must be https"
    );
    Ok(Credential {
        notifier: Notifier {
            provider: Provider::Fcm,
            name: Provider::Fcm.name().to_owned(),
            app_id: account.project_id,
            app_key: account.client_email,
        },
        settings: serde_json::to_string(&Settings {
            token_uri: account.token_uri,
        })?,
        secret: SecretText(service_account_json.to_owned()),
    })
}

/// Stored credentials, loaded for sending.
#[derive(Clone)]
pub(crate) struct Fcm {
    pub key: EncodingKey,
    pub project_id: String,
    pub client_email: String,
    pub token_uri: String,
}

impl Fcm {
    pub(crate) fn load(credential: &Credential) -> anyhow::Result<Self> {
        let account: ServiceAccount = serde_json::from_str(&credential.secret.0)?;
        Ok(Self {
            key: EncodingKey::from_rsa_pem(account.private_key.as_bytes())?,
            project_id: account.project_id,
            client_email: account.client_email,
            token_uri: account.token_uri,
        })
    }

    /// The assertion exchanged for an access token.
    pub(crate) fn assertion(&self, issued_at: i64) -> anyhow::Result<String> {
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": issued_at,
            "exp": issued_at + 3600,
        });
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &claims,
            &self.key,
        )?)
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct AccessToken {
    pub access_token: String,
    pub expires_in: i64,
}

/// The body of one push to `token`.
pub(crate) fn request(token: &str, push: &VendorPush) -> Value {
    let n = &push.notification;
    let mut data = json!({"task_id": push.task.0.to_string(), "type": n.kind.name()});
    if !n.ext.is_empty() {
        data["ext"] = json!(n.ext);
    }
    if n.kind == Kind::Cmd {
        data["body"] = json!(n.body);
        return json!({"message": {"token": token, "data": data,
            "android": {"priority": "normal"}}});
    }
    let body = if n.big_text.is_empty() {
        &n.body
    } else {
        &n.big_text
    };
    let mut notification = json!({"title": n.title, "body": body});
    if n.kind == Kind::Image {
        notification["image"] = json!(n.attachment_url);
    }
    json!({"message": {
        "token": token,
        "notification": notification,
        "data": data,
        "android": {"priority": "high", "notification": {"notification_count": push.badge}},
    }})
}

/// FCM's answers that mean the token will never work again: `UNREGISTERED` (HTTP 404).
pub(crate) fn dead_token(status: u16, body: &str) -> bool {
    status == 404 || body.contains("UNREGISTERED")
}
