//! Web Push to browsers: the app's VAPID key set with `tidings app update`, a browser's
//! subscription bound as its device's vendor token, and pushes (of tasks and of new
//! messages) encrypted for it, arriving at the in-process mock push service.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tidings_vendors::testing::{Answer, Browser, MockVendor};

use crate::cli::tidings;
use crate::push_notify::{detail, notify};
use crate::push_vendors::{pushes, token_forgotten, with_vendor_token};
use crate::support::{Backend, TestApp, text};

/// A user logged in on a device (serial number 1) whose browser subscribed at the mock: the
/// user, the token and the browser.
async fn subscribed(
    app: &TestApp,
    mock: &MockVendor,
    name: &str,
) -> anyhow::Result<(i64, String, Browser)> {
    let browser = Browser::subscribe(&format!("{}/push/v2/{name}", mock.url))?;
    let (user, token) = with_vendor_token(app, name, "webpush", &browser.subscription).await?;
    Ok((user, token, browser))
}

async fn browsers_are_reached_through_web_push(backend: Backend) -> anyhow::Result<()> {
    let mock = MockVendor::start().await?;
    let dir = std::env::temp_dir().join(format!(
        "tidings-webpush-{}-{}",
        std::process::id(),
        mock.url.rsplit(':').next().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &mock.ca_pem)?;
    let Some(app) = TestApp::spawn(backend, move |config| {
        config.push.extra_ca = Some(ca);
        // The mock listens on 127.0.0.1.
        config.push.webpush_allow_private = true;
        config.push.first_backoff = Duration::from_millis(10);
    })
    .await?
    else {
        return Ok(());
    };
    let key = tidings_vendors::testing::vapid_key()?;
    let key_file = dir.join("vapid.key");
    std::fs::write(&key_file, &key)?;
    let out = tidings(
        &app,
        &[
            "app",
            "update",
            &app.app.app_id,
            "--webpush-vapid-key",
            &key_file.to_string_lossy(),
            "--webpush-subject",
            "mailto:ops@example.com",
        ],
    )?;
    assert!(out.contains("webpush credentials set"), "{out}");
    assert!(
        !out.contains(&key),
        "the private key is never printed: {out}"
    );
    let certificate = app
        .admin(Method::GET, "/push/certificate")
        .query(&[("provider", "8")])
        .ok()
        .await?;
    assert_eq!(certificate["name"], "webpush");
    assert_eq!(certificate["app_id"], "mailto:ops@example.com");
    let public = text(&certificate["app_key"])?;
    assert!(
        out.contains(&public),
        "the applicationServerKey is printed: {out}"
    );
    assert!(!certificate.to_string().contains(&key));

    // A message to Ann, whose only device is a browser without a connection.
    let (ann, _, ann_browser) = subscribed(&app, &mock, "ann").await?;
    let (_, bob_t, _) = subscribed(&app, &mock, "bob").await?;
    app.post("/message/send")
        .token(&bob_t)
        .json(json!({"targets": [ann], "type": 1, "content_type": 0, "content": "hi ann"}))
        .ok()
        .await?;
    let sent = pushes(&mock, 1).await?;
    assert_eq!(sent[0].path, "/push/v2/ann");
    assert_eq!(sent[0].header("content-encoding"), Some("aes128gcm"));
    let auth = sent[0].header("authorization").unwrap_or_default();
    assert!(auth.ends_with(&format!(", k={public}")), "{auth}");
    let payload: Value = ann_browser.read(&sent[0])?;
    assert_eq!(
        (&payload["title"], &payload["body"], &payload["badge"]),
        (&json!("bob"), &json!("hi ann"), &json!(1)),
        "{payload}"
    );

    // A task: counted on the webpush channel.
    let task = notify(
        &app,
        json!({"audience": {"user_id": [ann]}, "message": {"title": "News", "body": "b"}}),
    )
    .await?;
    let d = detail(&app, task, "webpush_received", 1).await?;
    assert_eq!(
        (
            &d["webpush_target"],
            &d["webpush_sent"],
            &d["webpush_received"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{d}"
    );
    let sent = pushes(&mock, 2).await?;
    assert_eq!(ann_browser.read(&sent[1])?["task_id"].as_i64(), Some(task));

    // A subscription the push service says is gone is forgotten.
    mock.script([Answer::status(410, "")]);
    notify(
        &app,
        json!({"audience": {"user_id": [ann]}, "message": {"title": "x"}}),
    )
    .await?;
    token_forgotten(&app, ann).await?;
    let _ = std::fs::remove_dir_all(&dir);
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_are_reached_through_web_push_sqlite() -> anyhow::Result<()> {
    browsers_are_reached_through_web_push(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_are_reached_through_web_push_postgres() -> anyhow::Result<()> {
    browsers_are_reached_through_web_push(Backend::Postgres).await
}
