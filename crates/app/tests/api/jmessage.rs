//! The JMessage REST API's edge: HTTP Basic with the app key and master secret, its
//! refusal body and statuses, trailing slashes, unknown paths and methods; and the SDK
//! registration switch, which closes MaxIM's open registration.

use base64::Engine as _;
use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, api_test};

async fn calls_need_the_apps_key_and_master_secret(app: &TestApp) -> anyhow::Result<()> {
    let path = "/v1/sdkregister/status";
    app.without_credentials(Method::GET, path)
        .jm_refused(401, 899007)
        .await?;
    for (key, secret) in [
        (app.app.app_key.as_str(), "wrong"),
        ("nosuchappkeynosuchappkey", app.app.master_secret.as_str()),
        (app.app.app_key.as_str(), ""),
    ] {
        app.without_credentials(Method::GET, path)
            .basic_auth(key, secret)
            .jm_refused(401, 899008)
            .await?;
    }
    // Not Basic, or not base64 of `key:secret`.
    let no_colon = base64::engine::general_purpose::STANDARD.encode(&app.app.app_key);
    for value in [
        format!("Bearer {}", app.app.admin_token),
        "Basic !!!".to_owned(),
        format!("Basic {no_colon}"),
    ] {
        let (status, headers) = app
            .without_credentials(Method::GET, path)
            .header("Authorization", &value)
            .status_and_headers()
            .await?;
        assert_eq!(status, 401, "{value}");
        assert!(headers.contains_key("www-authenticate"), "{value}");
    }
    // The app key is case-insensitive.
    app.without_credentials(Method::GET, path)
        .basic_auth(&app.app.app_key.to_uppercase(), &app.app.master_secret)
        .send()
        .await?;
    Ok(())
}
api_test!(calls_need_the_apps_key_and_master_secret);

async fn one_apps_credentials_never_reach_another_app(app: &TestApp) -> anyhow::Result<()> {
    let users = tidings_app::users_service(&app.config).await?;
    let other = users.create_app("other").await?;
    // The other app closes its registration with its own credentials...
    app.without_credentials(Method::PUT, "/v1/sdkregister/status")
        .basic_auth(&other.app.app_key, &other.master_secret)
        .query(&[("status", "0")])
        .empty(204)
        .await?;
    // ...which changes nothing here, and this app's key with the other's secret is refused.
    let here = app
        .jmessage(Method::GET, "/v1/sdkregister/status")
        .send()
        .await?;
    assert_eq!(here, json!({"status": 1}));
    app.without_credentials(Method::GET, "/v1/sdkregister/status")
        .basic_auth(&app.app.app_key, &other.master_secret)
        .jm_refused(401, 899008)
        .await?;
    Ok(())
}
api_test!(one_apps_credentials_never_reach_another_app);

async fn the_sdk_switch_closes_maxims_open_registration_only(app: &TestApp) -> anyhow::Result<()> {
    let status = "/v1/sdkregister/status";
    assert_eq!(
        app.jmessage(Method::GET, status).send().await?,
        json!({"status": 1})
    );
    // The official client sends the switch as a query parameter with an empty JSON body.
    app.jmessage(Method::PUT, status)
        .query(&[("status", "0")])
        .header("content-type", "application/json; charset=utf-8")
        .empty(204)
        .await?;
    assert_eq!(
        app.jmessage(Method::GET, status).send().await?,
        json!({"status": 0})
    );
    app.post("/user/register/v2")
        .json(json!({"username": "ann", "password": "secret1"}))
        .refused(40001)
        .await?;
    // The app's admin still registers users.
    app.admin(Method::POST, "/user/register/batch")
        .json(json!({"list": [{"username": "ann", "password": "secret1"}]}))
        .ok()
        .await?;
    app.jmessage(Method::PUT, status)
        .query(&[("status", "1")])
        .empty(204)
        .await?;
    app.register("bob", "secret1").await?;
    for bad in ["2", "-1", "yes", ""] {
        app.jmessage(Method::PUT, status)
            .query(&[("status", bad)])
            .jm_refused(400, 899003)
            .await?;
    }
    app.jmessage(Method::PUT, status)
        .jm_refused(400, 899003)
        .await?;
    Ok(())
}
api_test!(the_sdk_switch_closes_maxims_open_registration_only);

async fn paths_methods_and_trailing_slashes_answer_as_jmessage(
    app: &TestApp,
) -> anyhow::Result<()> {
    // A trailing slash never changes the operation.
    assert_eq!(
        app.jmessage(Method::GET, "/v1/sdkregister/status/")
            .send()
            .await?,
        json!({"status": 1})
    );
    // Unknown paths and unserved methods under /v1 and /v2 answer in JMessage's shape.
    app.jmessage(Method::GET, "/v1/no/such/thing")
        .jm_refused(404, 404)
        .await?;
    app.jmessage(Method::GET, "/v2/nothing")
        .jm_refused(404, 404)
        .await?;
    app.jmessage(Method::DELETE, "/v1/sdkregister/status")
        .jm_refused(405, 405)
        .await?;
    // What the edge refuses before any handler, too: a NUL character, a body too large.
    app.jmessage(Method::PUT, "/v1/sdkregister/status?status=%00")
        .jm_refused(400, 899003)
        .await?;
    app.jmessage(Method::PUT, "/v1/sdkregister/status?status=1")
        .body(vec![b' '; 2 << 20])
        .jm_refused(413, 899003)
        .await?;
    // Elsewhere, MaxIM's envelope as before.
    let (status, body) = app.get("/no/such/thing").raw().await?;
    assert_eq!(status, 404);
    assert_eq!(body["code"], 404);
    Ok(())
}
api_test!(paths_methods_and_trailing_slashes_answer_as_jmessage);
