//! MaxIM §5: the three logins, devices, and what makes a token stop working.

use serde_json::json;

use crate::support::{TestApp, api_test, text};

async fn the_three_logins_issue_working_tokens(app: &TestApp) -> anyhow::Result<()> {
    let id = app.register("ann", "secret-pw").await?;
    let answers = [
        app.post("/token/user")
            .json(json!({"name": "ann", "password": "secret-pw"}))
            .ok()
            .await?,
        app.post("/token/id")
            .json(json!({"user_id": id, "password": "secret-pw"}))
            .ok()
            .await?,
        app.post("/token/login")
            .json(json!({"login_name": "ann", "password": "secret-pw"}))
            .ok()
            .await?,
    ];
    for answer in answers {
        assert_eq!(answer["user_id"], id);
        assert!(
            answer.get("push_token").is_none(),
            "no device, no push token: {answer}"
        );
        let profile = app
            .get("/user/profile")
            .token(&text(&answer["token"])?)
            .ok()
            .await?;
        assert_eq!(profile["user_id"], id);
    }
    Ok(())
}
api_test!(the_three_logins_issue_working_tokens);

async fn a_wrong_password_is_11001_and_an_unknown_user_10000(app: &TestApp) -> anyhow::Result<()> {
    let id = app.register("ann", "secret-pw").await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": "wrong-pw"}))
        .refused(11001)
        .await?;
    app.post("/token/id")
        .json(json!({"user_id": id, "password": "wrong-pw"}))
        .refused(11001)
        .await?;
    app.post("/token/user")
        .json(json!({"name": "ghost", "password": "secret-pw"}))
        .refused(10000)
        .await?;
    app.post("/token/login")
        .json(json!({"login_name": "ghost@example.com", "password": "secret-pw"}))
        .refused(10000)
        .await?;
    app.post("/token/id")
        .json(json!({"user_id": 12345, "password": "secret-pw"}))
        .refused(10000)
        .await?;
    Ok(())
}
api_test!(a_wrong_password_is_11001_and_an_unknown_user_10000);

async fn each_device_guid_gets_its_own_serial_number(app: &TestApp) -> anyhow::Result<()> {
    app.register("ann", "secret-pw").await?;
    let phone = app.login("ann", "secret-pw", Some("phone")).await?;
    let laptop = app.login("ann", "secret-pw", Some("laptop")).await?;
    let phone_again = app.login("ann", "secret-pw", Some("phone")).await?;
    assert_eq!(phone["device_sn"], 1);
    assert_eq!(laptop["device_sn"], 2);
    assert_eq!(phone_again["device_sn"], 1);
    assert_eq!(phone["push_token"], phone_again["push_token"]);
    assert_ne!(phone["push_token"], laptop["push_token"]);
    let devices = app
        .get("/user/device/list")
        .token(&text(&laptop["token"])?)
        .send()
        .await?;
    assert_eq!(devices["code"], 200);
    assert_eq!(devices["data"].as_array().map(Vec::len), Some(2));
    assert!(devices["version"].is_i64());
    assert!(devices.get("cursor").is_none(), "one page only: {devices}");
    Ok(())
}
api_test!(each_device_guid_gets_its_own_serial_number);
