//! Web Push for browsers (RFC 8030): the notification encrypted for the browser's
//! subscription (RFC 8291, `aes128gcm`, by the `web-push-native` crate) and vouched for by the
//! app's VAPID key (RFC 8292: an ES256 JWT for the push service's origin, reused for hours),
//! POSTed to the subscription's endpoint.
//!
//! A device binds its subscription as its vendor token with `notifier_name` `webpush`: the
//! JSON of the browser's `PushSubscription.toJSON()`,
//! `{"endpoint": "https://…", "keys": {"p256dh": "…", "auth": "…"}}`. The endpoint is a URL
//! the client chose, so the client only reaches HTTPS endpoints at public addresses (see
//! [`is_public`]) unless the operator allows private ones (`TIDINGS_WEBPUSH_ALLOW_PRIVATE`,
//! for tests and private push services).

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use serde::Deserialize;
use serde_json::{Value, json};
use tidings_push::model::{Credential, Kind, Notifier, Provider, SecretText};
use tidings_push::ports::VendorPush;

/// How long a VAPID JWT is valid (push services refuse more than 24 hours).
pub const VAPID_TTL_SECS: i64 = 12 * 3600;
/// How long a push service keeps a push for an offline browser when the push names no end.
pub const DEFAULT_TTL_SECS: i64 = 24 * 3600;
/// The longest a push service is asked to keep a push (4 weeks).
const MAX_TTL_SECS: i64 = 28 * 24 * 3600;
/// The most bytes of a subscription's endpoint.
const MAX_ENDPOINT: usize = 1_024;
/// The most bytes of a payload before encryption (4,096 less the `aes128gcm` header, the
/// padding delimiter and the tag, with room for a long key id).
const MAX_PAYLOAD: usize = 3_800;

/// Credentials from an operator's VAPID private key (a P-256 key as PEM, SEC1 or PKCS#8, or
/// the base64url of its 32 bytes, as `web-push generate-vapid-keys` prints it) and the
/// contact push services may reach the operator at (`mailto:` or `https:`): checked before
/// anything is stored.
///
/// # Errors
/// When the key does not load or the subject is not a `mailto:` or `https:` URL.
pub fn credential(key_text: &str, subject: &str) -> anyhow::Result<Credential> {
    let key = secret_key(key_text)?;
    let subject = subject.trim();
    anyhow::ensure!(
        (subject.starts_with("mailto:") && subject.len() > "mailto:".len())
            || url::Url::parse(subject).is_ok_and(|u| u.scheme() == "https" && u.has_host()),
        "the Web Push subject must be a mailto: or https: URL (push services contact the \
         operator there), not {subject:?}"
    );
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| anyhow::anyhow!("the VAPID key cannot be written as PKCS#8: {e}"))?;
    Ok(Credential {
        notifier: Notifier {
            provider: Provider::WebPush,
            name: Provider::WebPush.name().to_owned(),
            app_id: subject.to_owned(),
            app_key: public_key(&key),
        },
        settings: "{}".to_owned(),
        secret: SecretText(pem.to_string()),
    })
}

/// A P-256 private key from PEM (SEC1 or PKCS#8) or the base64url of its 32 bytes.
fn secret_key(text: &str) -> anyhow::Result<p256::SecretKey> {
    let text = text.trim();
    let loaded = if let Some(start) = text.find("-----BEGIN EC PRIVATE KEY-----") {
        // `openssl ecparam -genkey` writes an `EC PARAMETERS` block first.
        p256::SecretKey::from_sec1_pem(&text[start..]).map_err(|e| e.to_string())
    } else if text.contains("-----BEGIN PRIVATE KEY-----") {
        p256::SecretKey::from_pkcs8_pem(text).map_err(|e| e.to_string())
    } else {
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| e.to_string())
            .and_then(|raw| {
                if raw.len() == 32 {
                    p256::SecretKey::from_slice(&raw).map_err(|e| e.to_string())
                } else {
                    Err(format!("{} bytes, not 32", raw.len()))
                }
            })
    };
    loaded.map_err(|e| {
        anyhow::anyhow!(
            "the VAPID key is not a P-256 private key (PEM, or the base64url of 32 bytes): {e}"
        )
    })
}

/// The uncompressed public key, base64url: the `k` of the VAPID header and the
/// `applicationServerKey` browsers subscribe with.
fn public_key(key: &p256::SecretKey) -> String {
    URL_SAFE_NO_PAD.encode(key.public_key().to_encoded_point(false).as_bytes())
}

/// Stored credentials, loaded for sending.
#[derive(Clone)]
pub(crate) struct WebPush {
    pub key: EncodingKey,
    /// The public key, base64url.
    pub public: String,
    pub subject: String,
}

impl WebPush {
    pub(crate) fn load(credential: &Credential) -> anyhow::Result<Self> {
        let key = secret_key(&credential.secret.0)?;
        let der = key
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("the VAPID key: {e}"))?;
        Ok(Self {
            key: EncodingKey::from_ec_der(der.as_bytes()),
            public: public_key(&key),
            subject: credential.notifier.app_id.clone(),
        })
    }

    /// A VAPID JWT for a push service's origin: `{aud, exp, sub}`, signed ES256.
    pub(crate) fn jwt(&self, audience: &str, now: i64) -> anyhow::Result<String> {
        let claims = json!({"aud": audience, "exp": now + VAPID_TTL_SECS, "sub": self.subject});
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::ES256),
            &claims,
            &self.key,
        )?)
    }
}

/// A browser's push subscription, as bound for its device.
pub struct Subscription {
    pub endpoint: url::Url,
    p256dh: p256::PublicKey,
    auth: [u8; 16],
}

#[derive(Deserialize)]
struct SubscriptionJson {
    endpoint: String,
    keys: KeysJson,
}

#[derive(Deserialize)]
struct KeysJson {
    p256dh: String,
    auth: String,
}

/// Reads a device's vendor token as a subscription.
///
/// # Errors
/// Why it is not one: not the JSON of a `PushSubscription`, an endpoint that is not an
/// `https` URL, or keys that are not a P-256 public key and 16 bytes of secret.
pub fn subscription(token: &str) -> Result<Subscription, String> {
    let json: SubscriptionJson =
        serde_json::from_str(token).map_err(|e| format!("not a PushSubscription's JSON: {e}"))?;
    if json.endpoint.len() > MAX_ENDPOINT {
        return Err(format!("an endpoint over {MAX_ENDPOINT} bytes"));
    }
    let endpoint =
        url::Url::parse(&json.endpoint).map_err(|e| format!("the endpoint is not a URL: {e}"))?;
    if endpoint.scheme() != "https" || !endpoint.has_host() {
        return Err("the endpoint is not an https URL".into());
    }
    let decode = |what: &str, b64: &str| {
        URL_SAFE_NO_PAD
            .decode(b64.trim().trim_end_matches('='))
            .map_err(|e| format!("keys.{what} is not base64url: {e}"))
    };
    let p256dh = p256::PublicKey::from_sec1_bytes(&decode("p256dh", &json.keys.p256dh)?)
        .map_err(|_| "keys.p256dh is not a P-256 public key".to_owned())?;
    let auth: [u8; 16] = decode("auth", &json.keys.auth)?
        .try_into()
        .map_err(|_| "keys.auth is not 16 bytes".to_owned())?;
    Ok(Subscription {
        endpoint,
        p256dh,
        auth,
    })
}

impl Subscription {
    /// The push service's origin: the VAPID JWT's audience.
    pub fn audience(&self) -> String {
        self.endpoint.origin().ascii_serialization()
    }

    /// The payload encrypted for this subscription (`aes128gcm`).
    ///
    /// # Errors
    /// When the encryption fails.
    pub fn encrypt(&self, payload: Vec<u8>) -> Result<Vec<u8>, String> {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        web_push_native::encrypt(payload, &self.p256dh, &auth).map_err(|e| e.to_string())
    }

    /// Whether the endpoint names an address that is not public (an IP literal); names are
    /// checked when resolved (see [`is_public`]).
    pub fn names_private_address(&self) -> bool {
        match self.endpoint.host() {
            Some(url::Host::Ipv4(ip)) => !is_public(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => !is_public(IpAddr::V6(ip)),
            _ => false,
        }
    }
}

/// What the browser's service worker receives (its `push` event's `data.json()`):
/// `title`, `body`, `badge` (the user's badge with this push), `silent` (no sound), `kind`
/// (`text`, `image` or `cmd`), `image` for an image push, `task_id` for a push task, and
/// `ext` (the task's or the message's JSON object).
pub fn payload(push: &VendorPush) -> Value {
    let n = &push.notification;
    let body = if n.big_text.is_empty() {
        &n.body
    } else {
        &n.big_text
    };
    let mut payload = json!({
        "title": n.title,
        "body": body,
        "badge": push.badge,
        "silent": !push.sound,
        "kind": n.kind.name(),
    });
    if n.kind == Kind::Image {
        payload["image"] = json!(n.attachment_url);
    }
    if push.task.0 != 0 {
        payload["task_id"] = json!(push.task.0);
    }
    if let Ok(ext @ Value::Object(_)) = serde_json::from_str::<Value>(&n.ext) {
        payload["ext"] = ext;
    }
    // Push services take at most 4,096 encrypted bytes. What is shown matters most: a
    // large `ext` gives way first, then the body is shortened.
    let size = |p: &Value| p.to_string().len();
    if size(&payload) > MAX_PAYLOAD
        && let Some(p) = payload.as_object_mut()
    {
        p.remove("ext");
    }
    // Cut by raw bytes: the bytes dropped take at least as many in JSON (escapes take more),
    // so one cut is enough.
    if size(&payload) > MAX_PAYLOAD {
        let keep = body
            .len()
            .saturating_sub(size(&payload) - MAX_PAYLOAD + '…'.len_utf8());
        let mut cut: String = body
            .char_indices()
            .take_while(|(i, c)| i + c.len_utf8() <= keep)
            .map(|(_, c)| c)
            .collect();
        cut.push('…');
        payload["body"] = json!(cut);
    }
    payload
}

/// The push's `TTL` (seconds the push service keeps it for a browser that is offline): until
/// the task's `show_end_time`, else a day.
pub fn ttl(push: &VendorPush, now_ms: i64) -> i64 {
    push.notification
        .show_end
        .map_or(DEFAULT_TTL_SECS, |end| (end.0 - now_ms) / 1000)
        .clamp(0, MAX_TTL_SECS)
}

/// The push's `Urgency`: `high` for what is shown, `normal` for a pass-through `cmd`.
pub fn urgency(push: &VendorPush) -> &'static str {
    if push.notification.kind == Kind::Cmd {
        "normal"
    } else {
        "high"
    }
}

/// Whether the push service says the subscription is gone (404, 410).
pub fn dead_subscription(status: u16) -> bool {
    matches!(status, 404 | 410)
}

/// Whether an address may be reached from the server on a client's say-so. IPv4: not
/// loopback, private, link-local, shared (CGNAT), unspecified, multicast, broadcast,
/// documentation or otherwise reserved. IPv6: global unicast only, not Teredo, 6to4 or
/// documentation; IPv4-mapped addresses are judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let [first, second, ..] = v6.segments();
            // Global unicast (2000::/3) only, less the ranges that tunnel or stand for other
            // addresses: Teredo (2001::/32), documentation (2001:db8::/32) and 6to4
            // (2002::/16).
            (first & 0xe000) == 0x2000
                && !(first == 0x2001 && (second == 0 || second == 0x0db8))
                && first != 0x2002
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            "2002:a00:1::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "100::1",
            "::10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = private.parse().unwrap_or_else(|_| unreachable!());
            assert!(!is_public(ip), "{private} is not public");
        }
        for public in [
            "8.8.8.8",
            "142.250.74.78",
            "2a00:1450:4001::200e",
            "::ffff:1.1.1.1",
        ] {
            let ip: IpAddr = public.parse().unwrap_or_else(|_| unreachable!());
            assert!(is_public(ip), "{public} is public");
        }
    }

    #[test]
    fn a_payload_too_large_for_push_services_loses_its_ext_then_its_bodys_end() {
        use std::sync::Arc;
        use tidings_push::model::{Badge, Notification, TaskId};
        let push = |body: String, ext: String| VendorPush {
            task: TaskId(1),
            notification: Arc::new(Notification {
                kind: Kind::Text,
                title: "t".repeat(256),
                body,
                big_text: String::new(),
                attachment_url: String::new(),
                badge: Badge::Add(1),
                ext,
                show_begin: None,
                show_end: None,
            }),
            badge: 1,
            sound: true,
        };
        let ext = format!(r#"{{"k":"{}"}}"#, "x".repeat(100));
        // A large ext gives way, the body stays whole.
        let huge_ext = format!(r#"{{"k":"{}"}}"#, "x".repeat(4_000));
        let p = payload(&push("short".into(), huge_ext));
        assert!(p.to_string().len() <= MAX_PAYLOAD);
        assert!(p.get("ext").is_none());
        assert_eq!(p["body"], "short");
        // A long body is shortened (on a character boundary) to fit.
        let p = payload(&push("é".repeat(4_000), ext.clone()));
        assert!(
            p.to_string().len() <= MAX_PAYLOAD,
            "{}",
            p.to_string().len()
        );
        assert!(
            p["body"]
                .as_str()
                .is_some_and(|b| b.ends_with('…') && b.len() > 3_000)
        );
        // Escaped characters take two bytes in JSON: still made to fit.
        let p = payload(&push(
            format!("{}{}", "a".repeat(2_000), "\n".repeat(1_900)),
            String::new(),
        ));
        assert!(
            p.to_string().len() <= MAX_PAYLOAD,
            "{}",
            p.to_string().len()
        );
        let small = payload(&push("hello".into(), ext));
        assert_eq!(
            (&small["body"], &small["ext"]["k"].as_str().map(str::len)),
            (&json!("hello"), &Some(100))
        );
    }

    #[test]
    fn subscriptions_are_read_strictly() {
        let key = p256::SecretKey::from_slice(&[3u8; 32]).unwrap_or_else(|_| unreachable!());
        let p256dh = public_key(&key);
        let token = |endpoint: &str, auth: &str| {
            json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}).to_string()
        };
        let auth = URL_SAFE_NO_PAD.encode([7u8; 16]);
        let sub = subscription(&token("https://push.example.com:8443/x/y", &auth));
        assert_eq!(
            sub.map(|s| s.audience()).as_deref(),
            Ok("https://push.example.com:8443")
        );
        assert!(subscription(&token("http://push.example.com/x", &auth)).is_err());
        assert!(subscription(&token("https://push.example.com/x", "AAAA")).is_err());
        assert!(subscription("apns-token-abc").is_err());
        let literal = subscription(&token("https://127.0.0.1:9/x", &auth));
        assert!(literal.is_ok_and(|s| s.names_private_address()));
    }

    #[test]
    fn keys_load_from_pem_or_raw_base64url_and_subjects_are_contacts() -> anyhow::Result<()> {
        let key = p256::SecretKey::from_slice(&[5u8; 32])?;
        let raw = URL_SAFE_NO_PAD.encode(key.to_bytes());
        let pkcs8 = key.to_pkcs8_pem(LineEnding::LF)?.to_string();
        let sec1 = key.to_sec1_pem(LineEnding::LF)?.to_string();
        for text in [&raw, &pkcs8, &sec1] {
            let c = credential(text, "mailto:ops@example.com")?;
            assert_eq!(c.notifier.app_key, public_key(&key));
            assert!(WebPush::load(&c).is_ok());
            assert!(!format!("{c:?}").contains(&raw), "the key is never shown");
        }
        assert!(credential(&raw, "ops@example.com").is_err());
        assert!(credential(&raw, "http://example.com").is_err());
        assert!(credential("not a key", "mailto:ops@example.com").is_err());
        Ok(())
    }
}
