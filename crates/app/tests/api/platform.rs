//! The server as a whole: probes, the OpenAPI document, error envelopes, the default app,
//! and persistence across restarts.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{TestApp, api_test};

async fn health_and_readiness_answer(app: &TestApp) -> anyhow::Result<()> {
    let alive = app.get("/healthz").ok().await?;
    assert_eq!(alive, json!({"status": "alive"}));
    let ready = app.get("/readyz").ok().await?;
    assert_eq!(ready, json!({"status": "ready"}));
    Ok(())
}
api_test!(health_and_readiness_answer);

async fn the_openapi_document_and_browser_are_served(app: &TestApp) -> anyhow::Result<()> {
    let (status, doc) = app.get("/openapi.json").raw().await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["info"]["title"], "Tidings");
    assert!(doc["paths"]["/user/register/v2"]["post"].is_object());
    let browser = reqwest::get(format!("{}/docs/", app.base)).await?;
    assert_eq!(browser.status(), StatusCode::OK);
    Ok(())
}
api_test!(the_openapi_document_and_browser_are_served);

async fn malformed_requests_answer_10002_in_the_envelope(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    // Repeated, because a body failing while authentication is in flight once crashed the
    // worker that served it.
    for _ in 0..5 {
        app.post("/token/user")
            .body("{bad json")
            .refused(10002)
            .await?;
        app.post("/user/avatar")
            .token(&t)
            .body("{\"avatar\": 5}")
            .refused(10002)
            .await?;
    }
    app.post("/user/authmode")
        .token(&t)
        .query(&[("value", "x")])
        .refused(10002)
        .await?;
    app.post("/user/kick")
        .token(&t)
        .query(&[("device_sn", "1.5")])
        .refused(10002)
        .await?;
    app.get("/user/profile").token(&t).ok().await?;
    Ok(())
}
api_test!(malformed_requests_answer_10002_in_the_envelope);

async fn unknown_paths_and_methods_answer_in_the_envelope(app: &TestApp) -> anyhow::Result<()> {
    let (status, body) = app.get("/no/such/thing").raw().await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], 404);
    let (status, body) = app.call(Method::PATCH, "/user/profile").raw().await?;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], 405);
    Ok(())
}
api_test!(unknown_paths_and_methods_answer_in_the_envelope);

async fn the_first_start_writes_the_default_app_privately(app: &TestApp) -> anyhow::Result<()> {
    let path = tidings_app::bootstrap::default_app_file(&app.data_dir());
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    assert_eq!(written["app_id"], app.app.app_id);
    assert_eq!(written["admin_token"], app.app.admin_token);
    assert_eq!(written["app_key"].as_str().map(str::len), Some(24));
    assert_eq!(written["master_secret"].as_str().map(str::len), Some(24));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    app.admin(Method::GET, "/user/list").ok().await?;
    Ok(())
}
api_test!(the_first_start_writes_the_default_app_privately);

async fn data_survives_a_restart(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    app.post("/user/nickname")
        .token(&t)
        .query(&[("nick_name", "Kept")])
        .ok()
        .await?;
    // `restart` needs `&mut`; run the rest on a second server on the same database.
    let mut again = TestApp::spawn_on(app).await?;
    again.restart().await?;
    let profile = again.get("/user/profile").token(&t).ok().await?;
    assert_eq!(profile["nick_name"], "Kept");
    again.stop_only().await
}
api_test!(data_survives_a_restart);
