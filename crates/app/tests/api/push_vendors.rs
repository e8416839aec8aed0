//! Push tasks to devices without a connection, through APNs and FCM: the in-process mock
//! provider (TLS, HTTP/2) stands in for both, trusted through `TIDINGS_PUSH_EXTRA_CA`, and
//! the app's credentials are set with `tidings app update`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tidings_vendors::testing::{Answer, MockVendor};

use crate::cli::tidings;
use crate::push_notify::{detail, notify};
use crate::support::{Backend, TestApp, id, text};
use crate::ws::Ws;

/// A user logged in on one device (serial number 1) that bound a vendor token.
pub async fn with_vendor_token(
    app: &TestApp,
    name: &str,
    notifier: &str,
    token: &str,
) -> anyhow::Result<(i64, String)> {
    let user = app.register(name, "secret-pw").await?;
    let login = app
        .login(name, "secret-pw", Some(&format!("{name}-phone")))
        .await?;
    let t = text(&login["token"])?;
    app.post("/user/token/bind")
        .token(&t)
        .json(json!({"device_sn": 1, "device_token": token, "notifier_name": notifier}))
        .ok()
        .await?;
    Ok((user, t))
}

/// Waits until the mock has received `n` pushes.
pub async fn pushes(
    mock: &MockVendor,
    n: usize,
) -> anyhow::Result<Vec<tidings_vendors::testing::Received>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let pushes = mock.pushes();
        if pushes.len() >= n {
            return Ok(pushes);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} pushes of {n}",
            pushes.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the user's first device has no vendor token (the vendor reported it dead),
/// failing after 5 s.
pub async fn token_forgotten(app: &TestApp, user: i64) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.stored_devices(user).await?[0].vendor_token.is_some() {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the dead token stayed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn counts(d: &Value, channel: &str) -> (Value, Value, Value) {
    (
        d[format!("{channel}_target")].clone(),
        d[format!("{channel}_sent")].clone(),
        d[format!("{channel}_received")].clone(),
    )
}

/// A server pointed at a fresh mock provider, its default app given APNs and FCM
/// credentials with `tidings app update`; the folder of the files it was given.
async fn vendor_app(
    backend: Backend,
) -> anyhow::Result<Option<(TestApp, MockVendor, std::path::PathBuf, String)>> {
    let mock = MockVendor::start().await?;
    let dir = std::env::temp_dir().join(format!(
        "tidings-vendors-{}-{}",
        std::process::id(),
        mock.url.rsplit(':').next().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir)?;
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &mock.ca_pem)?;
    let url = mock.url.clone();
    let Some(app) = TestApp::spawn(backend, move |config| {
        config.push.apns_url = Some(url.clone());
        config.push.fcm_url = Some(url);
        config.push.extra_ca = Some(ca);
        config.push.first_backoff = Duration::from_millis(10);
    })
    .await?
    else {
        return Ok(None);
    };
    let p8 = dir.join("AuthKey.p8");
    std::fs::write(&p8, tidings_vendors::testing::apns_key()?.0)?;
    let account = dir.join("service-account.json");
    let service_account = json!({
        "type": "service_account", "project_id": "chat-proj", "private_key_id": "k1",
        "private_key": tidings_vendors::testing::rsa_key()?,
        "client_email": "push@chat-proj.iam.gserviceaccount.com",
        "token_uri": format!("{}/token", mock.url),
    });
    std::fs::write(&account, service_account.to_string())?;
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let out = tidings(
        &app,
        &[
            "app",
            "update",
            &app.app.app_id,
            "--apns-key-file",
            &path(&p8),
            "--apns-key-id",
            "KEY1",
            "--apns-team-id",
            "TEAM1",
            "--apns-topic",
            "com.example.chat",
            "--fcm-service-account",
            &path(&account),
        ],
    )?;
    Ok(Some((app, mock, dir, out)))
}

async fn offline_devices_are_reached_through_apns_and_fcm(backend: Backend) -> anyhow::Result<()> {
    let Some((app, mock, dir, out)) = vendor_app(backend).await? else {
        return Ok(());
    };
    assert!(out.contains("apns credentials set"), "{out}");
    assert!(!out.contains("PRIVATE"), "{out}");
    let apns = app
        .admin(Method::GET, "/push/certificate")
        .query(&[("provider", "1")])
        .ok()
        .await?;
    assert_eq!(
        apns,
        json!({"name": "apns", "app_id": "com.example.chat", "app_key": "KEY1"})
    );
    let fcm = app
        .admin(Method::GET, "/push/certificate")
        .query(&[("provider", "7")])
        .ok()
        .await?;
    assert_eq!(fcm["app_id"], "chat-proj");
    assert!(!fcm.to_string().contains("PRIVATE"), "{fcm}");
    app.admin(Method::GET, "/push/certificate")
        .query(&[("provider", "3")])
        .refused(10002)
        .await?;

    // Ann's iPhone and Bob's Android are offline; Cyd is connected; Dan's token names a
    // notifier the app has no credentials for.
    let (ann, ann_t) = with_vendor_token(&app, "ann", "apns", "apns-ann").await?;
    let (_, _) = with_vendor_token(&app, "bob", "fcm", "fcm-bob").await?;
    let (_, cyd_t) = with_vendor_token(&app, "cyd", "fcm", "fcm-cyd").await?;
    with_vendor_token(&app, "dan", "huawei", "hw-dan").await?;
    app.get("/push/certificate")
        .token(&ann_t)
        .query(&[("provider", "1")])
        .refused(10010)
        .await?;
    let mut cyd_ws = Ws::connect(&app, &cyd_t, None).await?;
    let all = notify(
        &app,
        json!({"audience": "all", "message": {"title": "Hi", "body": "there"}}),
    )
    .await?;
    let sent = pushes(&mock, 2).await?;
    let to_ann = sent
        .iter()
        .find(|p| p.path == "/3/device/apns-ann")
        .ok_or_else(|| anyhow::anyhow!("no APNs push: {sent:?}"))?;
    assert_eq!(to_ann.version, "HTTP/2.0");
    assert_eq!(to_ann.header("apns-topic"), Some("com.example.chat"));
    assert_eq!(to_ann.json()["aps"]["alert"]["title"], "Hi");
    assert_eq!(to_ann.json()["aps"]["badge"], 1);
    let to_bob = sent
        .iter()
        .find(|p| p.path == "/v1/projects/chat-proj/messages:send")
        .ok_or_else(|| anyhow::anyhow!("no FCM push: {sent:?}"))?;
    assert_eq!(to_bob.json()["message"]["token"], "fcm-bob");
    assert_eq!(cyd_ws.next_op("push").await?["task_id"], all);
    let d = detail(&app, all, "mxpush_received", 1).await?;
    assert_eq!(counts(&d, "apns"), (json!(1), json!(1), json!(1)), "{d}");
    assert_eq!(counts(&d, "fcm"), (json!(1), json!(1), json!(1)), "{d}");
    assert_eq!(counts(&d, "mxpush"), (json!(1), json!(1), json!(1)), "{d}");
    assert_eq!(
        sent.len(),
        2,
        "no push for the connected device or the unknown notifier"
    );

    // ospush_only: the connected device is reached through its vendor instead.
    let vendors_only = json!({"audience": {"user_id": [id(&cyd_ws.hello["user_id"])?]},
        "setting": {"distribution_strategy": "ospush_only"}, "message": {"title": "os"}});
    notify(&app, vendors_only).await?;
    let sent = pushes(&mock, 3).await?;
    assert_eq!(sent[2].json()["message"]["token"], "fcm-cyd");

    // A token APNs reports dead is forgotten: the next task does not try it.
    mock.script([Answer::status(410, r#"{"reason":"Unregistered"}"#)]);
    let dead = notify(
        &app,
        json!({"audience": {"user_id": [ann]}, "message": {"title": "x"}}),
    )
    .await?;
    pushes(&mock, 4).await?;
    let d = detail(&app, dead, "apns_sent", 1).await?;
    assert_eq!(counts(&d, "apns"), (json!(1), json!(1), json!(0)), "{d}");
    token_forgotten(&app, ann).await?;
    let none = notify(
        &app,
        json!({"audience": {"user_id": [ann]}, "message": {"title": "y"}}),
    )
    .await?;
    let d = detail(&app, none, "apns_sent", 0).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.pushes().len(), 4, "{d}");

    // 429 and 503 are retried: the push still arrives.
    let (_, _) = with_vendor_token(&app, "eve", "apns", "apns-eve").await?;
    mock.script([
        Answer::status(429, r#"{"reason":"TooManyRequests"}"#),
        Answer::status(503, r#"{"reason":"ServiceUnavailable"}"#),
    ]);
    let retried = notify(
        &app,
        json!({"audience": {"push_token": [text(&app.login("eve", "secret-pw", Some("eve-phone")).await?["push_token"])?]},
            "message": {"title": "again"}}),
    )
    .await?;
    let d = detail(&app, retried, "apns_received", 1).await?;
    assert_eq!(counts(&d, "apns"), (json!(1), json!(1), json!(1)), "{d}");

    // A provider down for longer than the quick retries: the push waits in the retry queue
    // and arrives once the provider is back.
    mock.set_down(true);
    let later = notify(
        &app,
        json!({"audience": {"user_id": [id(&cyd_ws.hello["user_id"])?]},
            "setting": {"distribution_strategy": "ospush_only"}, "message": {"title": "later"}}),
    )
    .await?;
    let d = detail(&app, later, "fcm_sent", 1).await?;
    assert_eq!(counts(&d, "fcm"), (json!(1), json!(1), json!(0)), "{d}");
    mock.set_down(false);
    let d = detail(&app, later, "fcm_received", 1).await?;
    assert_eq!(counts(&d, "fcm"), (json!(1), json!(1), json!(1)), "{d}");
    let last = mock.pushes().pop().map(|p| p.json()).unwrap_or_default();
    assert_eq!(last["message"]["notification"]["title"], "later");

    let _ = std::fs::remove_dir_all(&dir);
    // Closed first: a graceful stop waits for open WebSockets.
    drop(cyd_ws);
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_devices_are_reached_through_apns_and_fcm_sqlite() -> anyhow::Result<()> {
    offline_devices_are_reached_through_apns_and_fcm(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_devices_are_reached_through_apns_and_fcm_postgres() -> anyhow::Result<()> {
    offline_devices_are_reached_through_apns_and_fcm(Backend::Postgres).await
}

/// The next push the mock receives after `seen` pushes, as JSON.
async fn next_push(mock: &MockVendor, seen: &mut usize) -> anyhow::Result<Value> {
    let all = pushes(mock, *seen + 1).await?;
    *seen += 1;
    Ok(all[*seen - 1].json())
}

/// Waits until the notifications of what was just sent have been decided: the rules are
/// read when the push job runs (milliseconds after the send, the push task being woken by
/// it), so a setting must not change back before.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn send(app: &TestApp, token: &str, body: Value) -> anyhow::Result<()> {
    app.post("/message/send")
        .token(token)
        .json(body)
        .ok()
        .await?;
    Ok(())
}

async fn new_messages_notify_offline_devices_as_the_push_rules_say(
    backend: Backend,
) -> anyhow::Result<()> {
    let Some((app, mock, dir, _)) = vendor_app(backend).await? else {
        return Ok(());
    };
    let (ann, ann_t) = with_vendor_token(&app, "ann", "fcm", "fcm-ann").await?;
    let (bob, bob_t) = with_vendor_token(&app, "bob", "apns", "apns-bob").await?;
    let (cyd, cyd_t) = with_vendor_token(&app, "cyd", "fcm", "fcm-cyd").await?;
    let text = |to: i64, content: &str| json!({"targets": [to], "type": 1, "content_type": 0, "content": content});
    let mut seen = 0;
    // A direct message: the sender's name and the text; the badge is bob's unread count.
    send(&app, &ann_t, text(bob, "hello bob")).await?;
    let p = next_push(&mock, &mut seen).await?;
    assert_eq!(
        p["aps"]["alert"],
        json!({"title": "ann", "body": "hello bob"}),
        "{p}"
    );
    assert_eq!(p["aps"]["badge"], 1);
    assert_eq!(p["ext"]["from"], ann);
    send(&app, &ann_t, text(bob, "again")).await?;
    assert_eq!(next_push(&mock, &mut seen).await?["aps"]["badge"], 2);
    // A push nickname names the sender; no_push_detail hides sender and text.
    app.post("/user/push/nickname")
        .token(&ann_t)
        .query(&[("value", "Annie")])
        .ok()
        .await?;
    send(&app, &ann_t, text(bob, "named")).await?;
    assert_eq!(
        next_push(&mock, &mut seen).await?["aps"]["alert"]["title"],
        "Annie"
    );
    app.post("/user/push/detail")
        .token(&bob_t)
        .query(&[("value", "true")])
        .ok()
        .await?;
    send(&app, &ann_t, text(bob, "secret")).await?;
    let p = next_push(&mock, &mut seen).await?;
    assert_eq!(
        p["aps"]["alert"],
        json!({"title": "New message", "body": "You have a new message"})
    );
    app.post("/user/push/detail")
        .token(&bob_t)
        .query(&[("value", "false")])
        .ok()
        .await?;

    // no_sounds: pushed without a sound.
    assert_eq!(p["aps"]["sound"], "default", "{p}");
    app.post("/user/sounds")
        .token(&bob_t)
        .query(&[("value", "true")])
        .ok()
        .await?;
    send(&app, &ann_t, text(bob, "quietly")).await?;
    let p = next_push(&mock, &mut seen).await?;
    assert_eq!(p["aps"]["alert"]["body"], "quietly", "{p}");
    assert!(p["aps"]["sound"].is_null(), "{p}");
    settle().await;
    app.post("/user/sounds")
        .token(&bob_t)
        .query(&[("value", "false")])
        .ok()
        .await?;

    // Each rule that says no: the next push is the one after it.
    let marker = |n: &str| text(bob, n);
    // no_push
    app.post("/user/push")
        .token(&bob_t)
        .query(&[("value", "true")])
        .ok()
        .await?;
    send(&app, &ann_t, text(bob, "not pushed: no_push")).await?;
    settle().await;
    app.post("/user/push")
        .token(&bob_t)
        .query(&[("value", "false")])
        .ok()
        .await?;
    // quiet hours around the current UTC hour
    let hour = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        / 3600)
        % 24;
    let (start, end) = (hour.to_string(), ((hour + 1) % 24).to_string());
    app.post("/user/push/limit")
        .token(&bob_t)
        .query(&[
            ("no_push_start_hour", start.as_str()),
            ("no_push_end_hour", end.as_str()),
        ])
        .ok()
        .await?;
    send(&app, &ann_t, text(bob, "not pushed: quiet")).await?;
    settle().await;
    app.post("/user/push/limit")
        .token(&bob_t)
        .query(&[("no_push_start_hour", "0"), ("no_push_end_hour", "0")])
        .ok()
        .await?;
    // the friend is muted
    app.post("/roster/apply")
        .token(&bob_t)
        .json(json!({"user_id": ann, "reason": ""}))
        .ok()
        .await?;
    app.put("/roster/ext")
        .token(&bob_t)
        .json(json!({"user_id": ann, "mute_notification": true}))
        .ok()
        .await?;
    send(&app, &ann_t, text(bob, "not pushed: muted friend")).await?;
    settle().await;
    app.put("/roster/ext")
        .token(&bob_t)
        .json(json!({"user_id": ann, "mute_notification": false}))
        .ok()
        .await?;
    // a command message, and a connected device
    send(
        &app,
        &ann_t,
        json!({"targets": [bob], "type": 1, "content_type": 6, "content": "cmd"}),
    )
    .await?;
    let ws = Ws::connect(&app, &bob_t, None).await?;
    send(&app, &ann_t, text(bob, "not pushed: online")).await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    drop(ws);
    tokio::time::sleep(Duration::from_millis(100)).await;
    send(&app, &ann_t, marker("after the rules")).await?;
    let p = next_push(&mock, &mut seen).await?;
    assert_eq!(p["aps"]["alert"]["body"], "after the rules", "{p}");

    // Groups: the member's mute and push modes; the title is the group's name.
    let group = crate::groups::create(&app, &ann_t, &[bob, cyd]).await?;
    let to_group = |content: &str, config: Value| {
        json!({"targets": [group], "type": 2, "content_type": 0, "content": content,
            "config": config.to_string()})
    };
    send(&app, &cyd_t, to_group("hi all", json!({}))).await?;
    // bob (APNs) and ann (FCM, the owner) are notified; cyd sent it.
    let mut got = vec![
        next_push(&mock, &mut seen).await?,
        next_push(&mock, &mut seen).await?,
    ];
    got.sort_by_key(|p| p["aps"].is_null());
    assert_eq!(
        got[0]["aps"]["alert"],
        json!({"title": "team", "body": "cyd: hi all"}),
        "{got:?}"
    );
    assert_eq!(got[1]["message"]["token"], "fcm-ann", "{got:?}");
    app.post("/group/msg/mute_mode")
        .token(&ann_t)
        .json(json!({"group_id": group, "msg_mute_mode": 1}))
        .ok()
        .await?;
    app.post("/group/msg/push_mode")
        .token(&bob_t)
        .json(json!({"group_id": group, "msg_push_mode": 3}))
        .ok()
        .await?;
    // Admins only: cyd is a member, not pushed to bob; ann muted the group.
    send(&app, &cyd_t, to_group("not pushed: member", json!({}))).await?;
    settle().await;
    app.post("/group/msg/push_mode")
        .token(&bob_t)
        .json(json!({"group_id": group, "msg_push_mode": 4}))
        .ok()
        .await?;
    // Mentions only: a mention of bob is pushed.
    send(&app, &cyd_t, to_group("not pushed: no mention", json!({}))).await?;
    settle().await;
    send(
        &app,
        &cyd_t,
        to_group("@bob look", json!({"mentionList": [bob]})),
    )
    .await?;
    let p = next_push(&mock, &mut seen).await?;
    assert_eq!(p["aps"]["alert"]["body"], "cyd: @bob look", "{p}");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(mock.pushes().len(), seen, "nothing else was pushed");
    let _ = std::fs::remove_dir_all(&dir);
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_messages_notify_offline_devices_as_the_push_rules_say_sqlite() -> anyhow::Result<()> {
    new_messages_notify_offline_devices_as_the_push_rules_say(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_messages_notify_offline_devices_as_the_push_rules_say_postgres() -> anyhow::Result<()>
{
    new_messages_notify_offline_devices_as_the_push_rules_say(Backend::Postgres).await
}
