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
