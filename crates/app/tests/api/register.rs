//! Registration: v1, v2, batch and push users.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, api_test, id};

async fn registration_answers_the_default_settings_and_the_user_can_log_in(
    app: &TestApp,
) -> anyhow::Result<()> {
    let settings = app
        .post("/user/register/v2")
        .json(json!({"username": "ann_李", "password": "secret-pw"}))
        .ok()
        .await?;
    let user_id = id(&settings["user_id"])?;
    assert_eq!(settings["id"], user_id);
    assert_eq!(settings["auth_mode"], 0);
    assert_eq!(settings["group_confirm"], false);
    assert_eq!(settings["vibratory"], true);
    let token = app.login("ann_李", "secret-pw", None).await?;
    assert_eq!(token["user_id"], user_id);
    Ok(())
}
api_test!(registration_answers_the_default_settings_and_the_user_can_log_in);

async fn a_taken_username_is_10004_and_bad_input_10002(app: &TestApp) -> anyhow::Result<()> {
    app.register("ann", "secret-pw").await?;
    app.post("/user/register/v2")
        .json(json!({"username": "ann", "password": "other-pw"}))
        .refused(10004)
        .await?;
    for (username, password) in [("12345", "secret-pw"), ("a b", "secret-pw"), ("bob", "abc")] {
        app.post("/user/register/v2")
            .json(json!({"username": username, "password": password}))
            .refused(10002)
            .await?;
    }
    app.post("/user/register/v2")
        .json(json!({"username": "bob"}))
        .refused(10002)
        .await?;
    // The refused attempt did not overwrite the first user's password.
    app.login("ann", "secret-pw", None).await?;
    Ok(())
}
api_test!(a_taken_username_is_10004_and_bad_input_10002);

async fn v1_registration_stores_mobile_and_email_as_login_names(
    app: &TestApp,
) -> anyhow::Result<()> {
    app.post("/user/register")
        .json(json!({"username": "ann", "password": "secret-pw",
                     "mobile": "+8613800000001", "email": "Ann@Example.com"}))
        .ok()
        .await?;
    for login in ["ann", "+8613800000001", "ann@example.com"] {
        let token = app
            .post("/token/login")
            .json(json!({"login_name": login, "password": "secret-pw"}))
            .ok()
            .await?;
        assert!(token["token"].is_string(), "{login}");
    }
    app.post("/user/register")
        .json(json!({"username": "bob", "password": "secret-pw", "mobile": "+8613800000001"}))
        .refused(10011)
        .await?;
    app.post("/user/register")
        .json(
            json!({"username": "cid", "password": "secret-pw", "mobile": "1380",
            }),
        )
        .refused(10002)
        .await?;
    app.post("/user/register")
        .json(json!({"username": "dan", "password": "secret-pw",
                     "mobile": "+8613800000002", "verification_code": "1234"}))
        .refused(10001)
        .await?;
    Ok(())
}
api_test!(v1_registration_stores_mobile_and_email_as_login_names);

async fn batch_registration_is_for_admins_and_reports_each_user(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    app.post("/user/register/batch")
        .token(&token)
        .json(json!({"list": [{"username": "x1", "password": "secret-pw"}]}))
        .refused(10010)
        .await?;
    let results = app
        .admin(Method::POST, "/user/register/batch")
        .json(json!({"list": [
            {"username": "bob", "password": "secret-pw"},
            {"username": "ann", "password": "secret-pw"},
            {"username": "99", "password": "secret-pw"},
            {"username": "cid", "password": "secret-pw"}
        ]}))
        .ok()
        .await?;
    assert_eq!(results.as_array().map(Vec::len), Some(4));
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[0]["username"], "bob");
    assert!(results[0]["user_id"].is_i64());
    assert_eq!(results[1]["success"], false);
    assert_eq!(results[1]["reason"], "user already exists");
    assert_eq!(results[2]["success"], false);
    assert_eq!(results[3]["success"], true);
    app.login("cid", "secret-pw", None).await?;
    app.admin(Method::POST, "/user/register/batch")
        .json(json!({"list": []}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(batch_registration_is_for_admins_and_reports_each_user);

async fn a_push_user_gets_an_alias_and_a_device_with_its_push_token(
    app: &TestApp,
) -> anyhow::Result<()> {
    let settings = app
        .post("/user/register/push")
        .json(
            json!({"username": "pushy", "password": "secret-pw", "alias": "al-1",
                     "device_guid": "dev-1", "push_token": "vendor-push-1", "sign": "x"}),
        )
        .ok()
        .await?;
    let user_id = id(&settings["user_id"])?;
    let devices = app
        .admin_as(user_id, Method::GET, "/user/device/list")
        .ok()
        .await?;
    assert_eq!(devices[0]["device_sn"], 1);
    let stored = app.stored_user(user_id).await?;
    assert_eq!(stored.push_alias.as_deref(), Some("al-1"));
    // Logging in on that device hands out the push token it was registered with.
    let token = app.login("pushy", "secret-pw", Some("dev-1")).await?;
    assert_eq!(token["push_token"], "vendor-push-1");
    assert_eq!(token["device_sn"], 1);
    Ok(())
}
api_test!(a_push_user_gets_an_alias_and_a_device_with_its_push_token);
