//! Rate limits: failed logins back off per name and per client IP (before bcrypt), a flood
//! from one IP leaves another IP's login alone, registrations per IP, sends per user over
//! REST and WebSocket together, WebSocket connections per user. Refusals are HTTP 429,
//! code 10429, with `Retry-After`.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Call, TestApp, api_test, text};
use crate::ws::Ws;

/// Expects a rate-limit refusal; its `Retry-After` in seconds.
async fn limited(call: Call) -> anyhow::Result<u64> {
    let (status, headers, v) = call.with_headers().await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["code"], 10429, "{v}");
    assert!(text(&v["message"])?.contains("retry after"), "{v}");
    let secs = headers
        .get("retry-after")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<u64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no Retry-After: {headers:?}"))?;
    assert!(secs >= 1);
    Ok(secs)
}

fn credentials(name: &str, password: &str) -> Value {
    json!({"name": name, "password": password})
}

async fn failed_logins_back_off_and_the_right_password_waits_too(
    app: &TestApp,
) -> anyhow::Result<()> {
    app.register("ann", "secret-pw").await?;
    for _ in 0..5 {
        app.post("/token/user")
            .json(credentials("ann", "wrong-pw"))
            .refused(11001)
            .await?;
    }
    // The sixth attempt is refused before the password is checked, right or wrong, and
    // from any address (the name backs off), with the name written another way too.
    let wait = limited(
        app.post("/token/user")
            .json(credentials("ANN", "secret-pw")),
    )
    .await?;
    assert!(wait <= 2, "the first backoff is about a second, got {wait}");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    app.login("ann", "secret-pw", None).await?;
    // The success forgot the name's failures.
    app.post("/token/user")
        .json(credentials("ann", "wrong-pw"))
        .refused(11001)
        .await?;
    Ok(())
}
api_test!(
    failed_logins_back_off_and_the_right_password_waits_too,
    |config: &mut tidings_app::Config| {
        config.limits.logins_per_ip = tidings_http::limits::Rate::new(1000, 1000);
    }
);

async fn a_login_flood_from_one_ip_leaves_other_ips_alone(app: &TestApp) -> anyhow::Result<()> {
    app.register("bob", "secret-pw").await?;
    // The test client is a trusted proxy here: X-Forwarded-For names the client.
    let flood = (0..100).map(|i| {
        app.post("/token/user")
            .header("x-forwarded-for", "203.0.113.9")
            .json(credentials(&format!("guess{i}"), "wrong-pw"))
            .raw()
    });
    let answers = futures_util::future::join_all(flood).await;
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Ok((StatusCode::TOO_MANY_REQUESTS, _))))
        .count();
    assert!(
        refused >= 70,
        "only {refused} of 100 flooding logins were refused"
    );
    // Another address logs in at once.
    let token = app
        .post("/token/user")
        .header("x-forwarded-for", "198.51.100.7")
        .json(credentials("bob", "secret-pw"))
        .ok()
        .await?;
    assert!(token["token"].is_string());
    // A client cannot pick its address: an address it puts before the proxy's is ignored.
    limited(
        app.post("/token/user")
            .header("x-forwarded-for", "198.51.100.7, 203.0.113.9")
            .json(credentials("bob", "secret-pw")),
    )
    .await?;
    Ok(())
}
api_test!(
    a_login_flood_from_one_ip_leaves_other_ips_alone,
    |config: &mut tidings_app::Config| {
        config.limits.logins_per_ip = tidings_http::limits::Rate::new(2, 10);
        config.edge.trusted_proxies = "127.0.0.1".parse().unwrap_or_default();
    }
);

async fn registrations_per_ip_are_limited(app: &TestApp) -> anyhow::Result<()> {
    for name in ["ann", "bob", "cid"] {
        app.register(name, "secret-pw").await?;
    }
    let body = json!({"username": "dan", "password": "secret-pw"});
    limited(app.post("/user/register/v2").json(body)).await?;
    // The admin's batch registration is not an open registration.
    app.admin(reqwest::Method::POST, "/user/register/batch")
        .json(json!({"list": [{"username": "dan", "password": "secret-pw"}]}))
        .ok()
        .await?;
    Ok(())
}
api_test!(
    registrations_per_ip_are_limited,
    |config: &mut tidings_app::Config| {
        config.limits.registrations_per_ip = tidings_http::limits::Rate::new(1, 3);
    }
);

async fn sends_over_the_user_rate_are_refused_over_rest_and_websocket_alike(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (bob, _) = app.user("bob").await?;
    let (_, token) = app.user("ann").await?;
    let (_, cid_token) = app.user("cid").await?;
    let mut ws = Ws::connect(app, &token, None).await?;
    for _ in 0..3 {
        crate::messages::send(app, &token, bob, 1, "over REST").await?;
    }
    for i in 0..2 {
        ws.send(json!({"op": "send", "id": i, "targets": [bob], "type": 1, "content": "WS"}))
            .await?;
        ws.next_op("sent").await?;
    }
    let body = json!({"targets": [bob], "type": 1, "content": "one too many"});
    limited(app.post("/message/send").token(&token).json(body)).await?;
    ws.send(json!({"op": "send", "id": "x", "targets": [bob], "type": 1, "content": "WS"}))
        .await?;
    let error = ws.next_op("error").await?;
    assert_eq!(
        (error["id"].clone(), error["code"].clone()),
        (json!("x"), json!(10429))
    );
    // Another user is not held back.
    crate::messages::send(app, &cid_token, bob, 1, "mine").await?;
    Ok(())
}
api_test!(
    sends_over_the_user_rate_are_refused_over_rest_and_websocket_alike,
    |config: &mut tidings_app::Config| {
        config.limits.sends_per_user = tidings_http::limits::Rate::new(1, 5);
    }
);

async fn websocket_connections_per_user_are_capped(app: &TestApp) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    let first = Ws::connect(app, &token, None).await?;
    let _second = Ws::connect(app, &token, None).await?;
    let path = format!("/ws?app_id={}&access-token={token}", app.app.app_id);
    limited(app.get(&path)).await?;
    drop(first);
    // The place is freed once the first connection's session has ended.
    for _ in 0..50 {
        if Ws::connect(app, &token, None).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("a closed connection did not free its place")
}
api_test!(
    websocket_connections_per_user_are_capped,
    |config: &mut tidings_app::Config| {
        config.limits.ws_per_user = 2;
    }
);
