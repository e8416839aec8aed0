//! JMessage users over the same store as MaxIM's: online status by user and by device.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, api_test, text};
use crate::ws::Ws;

async fn online_status_follows_logins_and_connections(app: &TestApp) -> anyhow::Result<()> {
    // Users registered over MaxIM are the same users here.
    app.register("ann", "secret-pw").await?;
    app.register("bob", "secret-pw").await?;
    let userstat = |name: &str| app.jmessage(Method::GET, &format!("/v1/users/{name}/userstat"));
    assert_eq!(
        userstat("ann").send().await?,
        json!({"login": false, "online": false})
    );
    let phone = text(&app.login("ann", "secret-pw", Some("phone")).await?["token"])?;
    let laptop = text(&app.login("ann", "secret-pw", Some("laptop")).await?["token"])?;
    assert_eq!(
        userstat("ann").send().await?,
        json!({"login": true, "online": false})
    );
    let ws = Ws::connect(app, &laptop, None).await?;
    assert_eq!(
        userstat("ann").send().await?,
        json!({"login": true, "online": true})
    );
    // By device: the phone is logged in, the laptop logged in and connected; bob never
    // logged in.
    let devices = json!([
        {"username": "ann", "devices": [
            {"login": true, "online": false, "platform": "j"},
            {"login": true, "online": true, "platform": "j"}
        ]},
        {"username": "bob", "devices": []}
    ]);
    assert_eq!(
        app.jmessage(Method::POST, "/v1/users/userstat")
            .json(json!(["ann", "bob"]))
            .send()
            .await?,
        devices
    );
    let v2 = app
        .jmessage(Method::POST, "/v2/users/statuser")
        .json(json!(["nobody", "ann"]))
        .send()
        .await?;
    assert_eq!(
        v2[0],
        json!({"username": "nobody", "devices": [], "statuscode": 1, "statusmsg": "no_exist"})
    );
    assert_eq!(v2[1]["statuscode"], 0);
    assert!(v2[1].get("statusmsg").is_none());
    assert_eq!(v2[1]["devices"], devices[0]["devices"]);
    // Kicking the phone logs it out.
    app.post("/user/kick")
        .token(&laptop)
        .query(&[("device_sn", "1")])
        .ok()
        .await?;
    let after = app
        .jmessage(Method::POST, "/v1/users/userstat")
        .json(json!(["ann"]))
        .send()
        .await?;
    assert_eq!(after[0]["devices"][0]["login"], false);
    assert_eq!(after[0]["devices"][1]["login"], true);
    drop((ws, phone));
    Ok(())
}
api_test!(online_status_follows_logins_and_connections);

async fn online_status_refuses_unknown_users_and_bad_lists(app: &TestApp) -> anyhow::Result<()> {
    app.register("ann", "secret-pw").await?;
    app.jmessage(Method::GET, "/v1/users/nobody/userstat")
        .jm_refused(403, 899002)
        .await?;
    app.jmessage(Method::POST, "/v1/users/userstat")
        .json(json!(["ann", "nobody"]))
        .jm_refused(403, 899002)
        .await?;
    let too_many: Vec<String> = (0..501).map(|i| format!("user{i}")).collect();
    for bad in [json!([]), json!("ann"), json!([1, 2]), json!(too_many)] {
        for path in ["/v1/users/userstat", "/v2/users/statuser"] {
            app.jmessage(Method::POST, path)
                .json(bad.clone())
                .jm_refused(400, 899003)
                .await?;
        }
    }
    // Another app's credentials do not see this app's users.
    let users = tidings_app::users_service(&app.config).await?;
    let other = users.create_app("other").await?;
    app.without_credentials(Method::GET, "/v1/users/ann/userstat")
        .basic_auth(&other.app.app_key, &other.master_secret)
        .jm_refused(403, 899002)
        .await?;
    Ok(())
}
api_test!(online_status_refuses_unknown_users_and_bad_lists);

async fn passwords_are_set_and_users_disabled_and_deleted(app: &TestApp) -> anyhow::Result<()> {
    let ann = app.register("ann", "secret-pw").await?;
    app.register("bob", "secret-pw").await?;
    app.register("cid", "secret-pw").await?;
    // A new password, up to 128 bytes, every byte counting; the old one stops working.
    let long = format!("{}!", "p".repeat(120));
    app.jmessage(Method::PUT, "/v1/users/ann/password")
        .json(json!({"new_password": long}))
        .empty(204)
        .await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": "secret-pw"}))
        .refused(11001)
        .await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": format!("{}?", "p".repeat(120))}))
        .refused(11001)
        .await?;
    let token = text(&app.login("ann", &long, None).await?["token"])?;
    for bad in [
        json!({"new_password": "abc"}),
        json!({"new_password": "p".repeat(129)}),
        json!({}),
    ] {
        app.jmessage(Method::PUT, "/v1/users/ann/password")
            .json(bad)
            .jm_refused(400, 899003)
            .await?;
    }
    app.jmessage(Method::PUT, "/v1/users/nobody/password")
        .json(json!({"new_password": "secret-pw"}))
        .jm_refused(403, 899002)
        .await?;

    // Disabled: no login, and the token already given stops working; `True` in any case.
    app.jmessage(Method::PUT, "/v1/users/ann/forbidden?disable=True")
        .empty(204)
        .await?;
    app.get("/user/profile")
        .token(&token)
        .refused(10008)
        .await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": long}))
        .refused(10010)
        .await?;
    app.jmessage(Method::PUT, "/v1/users/ann/forbidden?disable=false")
        .empty(204)
        .await?;
    app.login("ann", &long, None).await?;
    for bad in ["disable=1", "disable=yes", ""] {
        app.jmessage(Method::PUT, &format!("/v1/users/ann/forbidden?{bad}"))
            .jm_refused(400, 899003)
            .await?;
    }

    // Deleted, one or several, all or none.
    app.jmessage(Method::DELETE, "/v1/users/")
        .json(json!(["bob", "nobody"]))
        .jm_refused(403, 899002)
        .await?;
    app.login("bob", "secret-pw", None).await?;
    app.jmessage(Method::DELETE, "/v1/users/")
        .json(json!(["bob", "cid"]))
        .empty(200)
        .await?;
    app.jmessage(Method::DELETE, "/v1/users/ann")
        .empty(204)
        .await?;
    for name in ["ann", "bob", "cid"] {
        app.jmessage(Method::GET, &format!("/v1/users/{name}/userstat"))
            .jm_refused(403, 899002)
            .await?;
    }
    app.admin_as(ann, Method::GET, "/user/profile")
        .refused(10000)
        .await?;
    app.jmessage(Method::DELETE, "/v1/users/ann")
        .jm_refused(403, 899002)
        .await?;
    let too_many: Vec<String> = (0..101).map(|i| format!("user{i}")).collect();
    for bad in [json!([]), json!(too_many)] {
        app.jmessage(Method::DELETE, "/v1/users")
            .json(bad)
            .jm_refused(400, 899003)
            .await?;
    }
    Ok(())
}
api_test!(passwords_are_set_and_users_disabled_and_deleted);
