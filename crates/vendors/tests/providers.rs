//! The APNs and FCM clients against the in-process mock provider (TLS, HTTP/2).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use tidings_kernel::{AppId, Timestamp};
use tidings_push::RepoError;
use tidings_push::model::{Badge, Credential, Kind, Notification, TaskId};
use tidings_push::ports::{CredentialRepository, Sent, VendorChannels, VendorPush};
use tidings_vendors::testing::{self, Answer, MockVendor};
use tidings_vendors::{VendorClients, VendorSettings, apns, fcm, webpush};

/// The app's credentials, held in memory (the store's own tests cover the table).
#[derive(Default)]
struct Held(Mutex<Vec<Credential>>);

#[async_trait]
impl CredentialRepository for Held {
    async fn credentials(&self, _: &AppId) -> Result<Vec<Credential>, RepoError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    async fn put_credential(&self, _: &AppId, c: &Credential) -> Result<(), RepoError> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(c.clone());
        Ok(())
    }
}

fn app() -> AppId {
    AppId::parse("app1").unwrap_or_else(|_| unreachable!())
}

fn push(kind: Kind) -> VendorPush {
    VendorPush {
        task: TaskId(42),
        notification: Arc::new(Notification {
            kind,
            title: "Hello".into(),
            body: "there".into(),
            big_text: String::new(),
            attachment_url: "https://img.example/a.png".into(),
            badge: Badge::Add(1),
            ext: r#"{"k":1}"#.into(),
            show_begin: None,
            show_end: Some(Timestamp(2_000_000_000_000)),
        }),
        badge: 3,
        sound: true,
    }
}

struct Setup {
    mock: MockVendor,
    clients: VendorClients,
    _ca: tempfile_path::Temp,
}

mod tempfile_path {
    /// A file removed when dropped.
    pub struct Temp(pub std::path::PathBuf);
    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// The mock provider and clients pointed at it, with the credential `credential` makes from
/// the mock's URL.
async fn setup(
    credential: impl FnOnce(&str) -> anyhow::Result<Credential>,
) -> anyhow::Result<Setup> {
    setup_with(credential, true).await
}

/// [`setup`], with Web Push allowed to reach private addresses (the mock's) or not.
async fn setup_with(
    credential: impl FnOnce(&str) -> anyhow::Result<Credential>,
    webpush_allow_private: bool,
) -> anyhow::Result<Setup> {
    let mock = MockVendor::start().await?;
    let credential = credential(&mock.url)?;
    let ca = std::env::temp_dir().join(format!(
        "tidings-push-ca-{}-{}.pem",
        std::process::id(),
        mock.url.rsplit(':').next().unwrap_or_default()
    ));
    std::fs::write(&ca, &mock.ca_pem)?;
    let held = Held::default();
    held.put_credential(&app(), &credential).await?;
    let clients = VendorClients::new(
        VendorSettings {
            apns_url: Some(mock.url.clone()),
            fcm_url: Some(mock.url.clone()),
            extra_ca: Some(ca.clone()),
            webpush_allow_private,
            first_backoff: Duration::from_millis(10),
            ..VendorSettings::default()
        },
        Arc::new(held),
    )?;
    Ok(Setup {
        mock,
        clients,
        _ca: tempfile_path::Temp(ca),
    })
}

fn jwt_part(jwt: &str, n: usize) -> serde_json::Value {
    let part = jwt.split('.').nth(n).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_apns_push_is_an_http2_request_signed_with_the_apps_key() -> anyhow::Result<()> {
    let (pem, public) = testing::apns_key()?;
    let s = setup(|_| apns::credential(&pem, "KEY123", "TEAM9", "com.example.app", false)).await?;
    let notifiers = s.clients.notifiers(&app()).await?;
    assert_eq!(notifiers.len(), 1);
    let n = &notifiers[0];
    assert_eq!(
        (n.name.as_str(), n.app_id.as_str(), n.app_key.as_str()),
        ("apns", "com.example.app", "KEY123")
    );
    assert_eq!(
        s.clients
            .send(&app(), n, "dev-tok", &push(Kind::Text))
            .await,
        Sent::Accepted
    );
    assert_eq!(
        s.clients
            .send(&app(), n, "dev-tok-2", &push(Kind::Cmd))
            .await,
        Sent::Accepted
    );
    let pushes = s.mock.pushes();
    assert_eq!(pushes.len(), 2);
    let first = &pushes[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/3/device/dev-tok")
    );
    assert_eq!(first.version, "HTTP/2.0");
    assert_eq!(first.header("apns-topic"), Some("com.example.app"));
    assert_eq!(first.header("apns-push-type"), Some("alert"));
    assert_eq!(first.header("apns-priority"), Some("10"));
    assert_eq!(first.header("apns-expiration"), Some("2000000000"));
    let body = first.json();
    assert_eq!(body["aps"]["alert"]["title"], "Hello");
    assert_eq!(body["aps"]["badge"], 3);
    assert_eq!(
        (&body["task_id"], &body["ext"]["k"]),
        (&serde_json::json!(42), &serde_json::json!(1))
    );
    // The provider token: ES256 under the app's key, its key id and team; reused.
    let jwt = first
        .header("authorization")
        .and_then(|a| {
            a.strip_prefix("bearer ")
                .or_else(|| a.strip_prefix("Bearer "))
        })
        .unwrap_or_default()
        .to_owned();
    let header = jwt_part(&jwt, 0);
    assert_eq!(
        (&header["alg"], &header["kid"]),
        (&serde_json::json!("ES256"), &serde_json::json!("KEY123"))
    );
    let decoding = jsonwebtoken::DecodingKey::from_ec_pem(public.as_bytes())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<serde_json::Value>(&jwt, &decoding, &validation)?.claims;
    assert_eq!(claims["iss"], "TEAM9");
    assert!(claims["iat"].as_i64().is_some_and(|t| t > 1_700_000_000));
    assert_eq!(
        pushes[1].header("authorization"),
        first.header("authorization")
    );
    // A pass-through push wakes the app in the background.
    assert_eq!(pushes[1].header("apns-push-type"), Some("background"));
    assert_eq!(pushes[1].header("apns-priority"), Some("5"));
    assert_eq!(pushes[1].json()["aps"]["content-available"], 1);
    Ok(())
}

#[tokio::test]
async fn dead_tokens_retries_and_a_provider_that_stays_down() -> anyhow::Result<()> {
    let (pem, _) = testing::apns_key()?;
    let s = setup(|_| apns::credential(&pem, "K", "T", "com.x", true)).await?;
    let n = &s.clients.notifiers(&app()).await?[0];
    let (id, text) = (app(), push(Kind::Text));
    let send = |token: &'static str| s.clients.send(&id, n, token, &text);
    s.mock.script([
        Answer::status(410, r#"{"reason":"Unregistered"}"#),
        Answer::status(400, r#"{"reason":"BadDeviceToken"}"#),
        Answer::status(400, r#"{"reason":"BadTopic"}"#),
    ]);
    assert_eq!(send("a").await, Sent::DeadToken);
    assert_eq!(send("b").await, Sent::DeadToken);
    assert!(matches!(send("c").await, Sent::Failed(why) if why.contains("BadTopic")));
    // 429 and 503 are tried again; the third attempt is taken.
    let mut limited = Answer::status(429, r#"{"reason":"TooManyRequests"}"#);
    limited.headers.push(("retry-after".into(), "0".into()));
    s.mock.script([limited, Answer::status(503, "{}")]);
    assert_eq!(send("d").await, Sent::Accepted);
    assert_eq!(
        s.mock
            .pushes()
            .iter()
            .filter(|p| p.path == "/3/device/d")
            .count(),
        3
    );
    // An expired provider token is replaced once.
    s.mock
        .script([Answer::status(403, r#"{"reason":"ExpiredProviderToken"}"#)]);
    assert_eq!(send("e").await, Sent::Accepted);
    // Down for every attempt: unavailable (the caller tries again later).
    s.mock.set_down(true);
    assert!(matches!(send("f").await, Sent::Unavailable(why) if why.contains("503")));
    Ok(())
}

#[tokio::test]
async fn an_fcm_push_uses_an_access_token_from_the_service_account() -> anyhow::Result<()> {
    let key = testing::rsa_key()?;
    let s = setup(|url| {
        let account = serde_json::json!({
            "type": "service_account",
            "project_id": "proj-1",
            "private_key_id": "pk1",
            "private_key": key,
            "client_email": "push@proj-1.iam.gserviceaccount.com",
            "token_uri": format!("{url}/token"),
        });
        fcm::credential(&account.to_string())
    })
    .await?;
    let n = &s.clients.notifiers(&app()).await?[0];
    assert_eq!((n.name.as_str(), n.app_id.as_str()), ("fcm", "proj-1"));
    assert_eq!(
        s.clients.send(&app(), n, "reg-1", &push(Kind::Image)).await,
        Sent::Accepted
    );
    assert_eq!(
        s.clients.send(&app(), n, "reg-2", &push(Kind::Text)).await,
        Sent::Accepted
    );
    let all = s.mock.received();
    let tokens: Vec<_> = all.iter().filter(|r| r.path == "/token").collect();
    assert_eq!(tokens.len(), 1, "the access token is reused");
    assert!(tokens[0].body.starts_with(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
    ));
    let assertion = tokens[0].body.rsplit('=').next().unwrap_or_default();
    let claims = jwt_part(assertion, 1);
    assert_eq!(jwt_part(assertion, 0)["alg"], "RS256");
    assert_eq!(claims["iss"], "push@proj-1.iam.gserviceaccount.com");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    assert_eq!(claims["aud"], format!("{}/token", s.mock.url));
    let pushes = s.mock.pushes();
    assert_eq!(pushes[0].path, "/v1/projects/proj-1/messages:send");
    assert!(
        pushes[0]
            .header("authorization")
            .is_some_and(|a| a.ends_with("mock-token-") || a.contains("mock-token-"))
    );
    let message = &pushes[0].json()["message"];
    assert_eq!(message["token"], "reg-1");
    assert_eq!(
        message["notification"]["image"],
        "https://img.example/a.png"
    );
    assert_eq!(message["android"]["notification"]["notification_count"], 3);
    assert_eq!(message["data"]["task_id"], "42");
    // A dead token, and a refused access token replaced once.
    s.mock.script([Answer::status(
        404,
        r#"{"error":{"status":"NOT_FOUND","details":[{"errorCode":"UNREGISTERED"}]}}"#,
    )]);
    assert_eq!(
        s.clients.send(&app(), n, "reg-3", &push(Kind::Text)).await,
        Sent::DeadToken
    );
    s.mock.script([Answer::status(
        401,
        r#"{"error":{"status":"UNAUTHENTICATED"}}"#,
    )]);
    assert_eq!(
        s.clients.send(&app(), n, "reg-4", &push(Kind::Text)).await,
        Sent::Accepted
    );
    assert_eq!(
        s.mock
            .received()
            .iter()
            .filter(|r| r.path == "/token")
            .count(),
        2
    );
    Ok(())
}

#[test]
fn credentials_are_checked_before_they_are_stored() {
    assert!(apns::credential("not a key", "K", "T", "com.x", false).is_err());
    assert!(fcm::credential("{}").is_err());
    assert!(
        fcm::credential(
            r#"{"project_id":"p","client_email":"e","private_key":"x","token_uri":"https://t"}"#
        )
        .is_err()
    );
    let secret = apns::credential(
        &testing::apns_key().map(|k| k.0).unwrap_or_default(),
        "K",
        "T",
        "com.x",
        false,
    )
    .map(|c| format!("{c:?}"))
    .unwrap_or_default();
    assert!(!secret.contains("PRIVATE KEY"), "{secret}");
}

#[tokio::test]
async fn a_web_push_is_encrypted_for_the_subscription_and_signed_with_the_vapid_key()
-> anyhow::Result<()> {
    let key = testing::vapid_key()?;
    let s = setup(|_| webpush::credential(&key, "mailto:ops@example.com")).await?;
    let n = s.clients.notifiers(&app()).await?.remove(0);
    assert_eq!(
        (n.name.as_str(), n.app_id.as_str()),
        ("webpush", "mailto:ops@example.com")
    );
    let browser = testing::Browser::subscribe(&format!("{}/wp/sub-1?x=1", s.mock.url))?;
    let sent = s
        .clients
        .send(&app(), &n, &browser.subscription, &push(Kind::Text))
        .await;
    assert_eq!(sent, Sent::Accepted);
    let cmd = s
        .clients
        .send(&app(), &n, &browser.subscription, &push(Kind::Cmd))
        .await;
    assert_eq!(cmd, Sent::Accepted);
    let pushes = s.mock.pushes();
    let first = &pushes[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("POST", "/wp/sub-1")
    );
    assert_eq!(first.header("content-encoding"), Some("aes128gcm"));
    assert_eq!(first.header("urgency"), Some("high"));
    assert_eq!(pushes[1].header("urgency"), Some("normal"));
    let ttl: i64 = first.header("ttl").unwrap_or_default().parse()?;
    assert!(ttl > 0 && ttl <= 28 * 24 * 3600, "{ttl}");
    // Only the subscription's keys open it.
    let payload = browser.read(first)?;
    assert_eq!(
        payload,
        serde_json::json!({"title": "Hello", "body": "there", "badge": 3, "silent": false,
            "kind": "text", "task_id": 42, "ext": {"k": 1}})
    );
    let other = testing::Browser::subscribe(&format!("{}/wp/sub-2", s.mock.url))?;
    assert!(other.read(first).is_err());
    // VAPID: `vapid t=JWT, k=public key`; the JWT is ES256 under that key, for the push
    // service's origin, with the operator's contact; reused for the next push.
    let auth = first.header("authorization").unwrap_or_default();
    let (jwt, k) = auth
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .ok_or_else(|| anyhow::anyhow!("authorization {auth}"))?;
    assert_eq!(k, n.app_key);
    let point = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(k)?;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let decoding =
        jsonwebtoken::DecodingKey::from_ec_components(&b64(&point[1..33]), &b64(&point[33..65]))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[s.mock.url.as_str()]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(jwt, &decoding, &validation)?.claims;
    assert_eq!(claims["sub"], "mailto:ops@example.com");
    let exp = claims["exp"].as_i64().unwrap_or_default();
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    assert!(exp > now && exp <= now + 24 * 3600, "exp within a day");
    assert_eq!(pushes[1].header("authorization"), Some(auth));
    Ok(())
}

#[tokio::test]
async fn web_push_forgets_gone_subscriptions_retries_and_reaches_only_public_addresses()
-> anyhow::Result<()> {
    let key = testing::vapid_key()?;
    let s = setup(|_| webpush::credential(&key, "https://ops.example.com/contact")).await?;
    let n = s.clients.notifiers(&app()).await?.remove(0);
    let browser = testing::Browser::subscribe(&format!("{}/wp/gone", s.mock.url))?;
    let send = |token: String| {
        let (clients, n) = (&s.clients, n.clone());
        async move { clients.send(&app(), &n, &token, &push(Kind::Text)).await }
    };
    s.mock.script([Answer::status(410, "")]);
    assert_eq!(send(browser.subscription.clone()).await, Sent::DeadToken);
    s.mock
        .script([Answer::status(429, ""), Answer::status(503, "")]);
    assert_eq!(send(browser.subscription.clone()).await, Sent::Accepted);
    assert_eq!(s.mock.pushes().len(), 4);
    // What is not a subscription can never be sent to: forgotten, nothing sent.
    assert_eq!(send("an-apns-token".into()).await, Sent::DeadToken);
    assert_eq!(s.mock.pushes().len(), 4);

    // Without TIDINGS_WEBPUSH_ALLOW_PRIVATE the mock (127.0.0.1, and `localhost`) is out of
    // reach: a client's endpoint cannot make the server call into its own network.
    let guarded = setup_with(
        |_| webpush::credential(&key, "mailto:ops@example.com"),
        false,
    )
    .await?;
    let n = guarded.clients.notifiers(&app()).await?.remove(0);
    let port = guarded.mock.url.rsplit(':').next().unwrap_or_default();
    for endpoint in [
        format!("https://127.0.0.1:{port}/wp/1"),
        format!("https://localhost:{port}/wp/1"),
    ] {
        let browser = testing::Browser::subscribe(&endpoint)?;
        let sent = guarded
            .clients
            .send(&app(), &n, &browser.subscription, &push(Kind::Text))
            .await;
        assert!(matches!(sent, Sent::Failed(_)), "{endpoint}: {sent:?}");
    }
    assert!(guarded.mock.pushes().is_empty());
    Ok(())
}
