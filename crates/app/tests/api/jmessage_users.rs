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

async fn a_users_profile_is_one_across_both_apis(app: &TestApp) -> anyhow::Result<()> {
    let ann = app.register("ann", "secret-pw").await?;
    // Only username, mtime and ctime until something is set.
    let fresh = app.jmessage(Method::GET, "/v1/users/ann").send().await?;
    let keys: Vec<&str> = fresh
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys.len(), 3, "{fresh}");
    assert_eq!(fresh["username"], "ann");
    assert_eq!(fresh["mtime"], fresh["ctime"]);
    let ctime = fresh["ctime"].as_str().unwrap_or_default().to_owned();
    assert_eq!(ctime.len(), "2015-01-01 00:00:00".len(), "{ctime}");

    // MaxIM's nickname is JMessage's, and the other way round.
    app.admin_as(ann, Method::POST, "/user/profile")
        .json(json!({"nick_name": "Annie"}))
        .ok()
        .await?;
    assert_eq!(
        app.jmessage(Method::GET, "/v1/users/ann").send().await?["nickname"],
        "Annie"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.jmessage(Method::PUT, "/v1/users/ann")
        .json(json!({
            "nickname": "Ann", "birthday": "1990-01-24", "gender": 2, "signature": "orz",
            "region": "shenzhen", "address": "深圳", "extras": {"key": "value"}
        }))
        .empty(204)
        .await?;
    let got = app.jmessage(Method::GET, "/v1/users/ann").send().await?;
    assert_eq!(got["nickname"], "Ann");
    assert_eq!(got["birthday"], "1990-01-24 00:00:00");
    assert_eq!(got["gender"], 2);
    assert_eq!(got["signature"], "orz");
    assert_eq!(got["region"], "shenzhen");
    assert_eq!(got["address"], "深圳");
    assert_eq!(got["extras"], json!({"key": "value"}));
    assert_eq!(got["ctime"], ctime.as_str());
    assert!(
        got["mtime"].as_str().unwrap_or_default() > ctime.as_str(),
        "{got}"
    );
    let profile = app.admin_as(ann, Method::GET, "/user/profile").ok().await?;
    assert_eq!(profile["nick_name"], "Ann");
    // Fields left out are kept.
    app.jmessage(Method::PUT, "/v1/users/ann")
        .json(json!({"region": "beijing"}))
        .empty(204)
        .await?;
    let kept = app.jmessage(Method::GET, "/v1/users/ann").send().await?;
    assert_eq!(
        (kept["region"].clone(), kept["gender"].clone()),
        (json!("beijing"), json!(2))
    );

    // Seed 003's rules, in bytes; nothing is written when one is broken.
    for bad in [
        json!({"nickname": "好".repeat(22)}),
        json!({"nickname": "a\nb"}),
        json!({"signature": "x".repeat(251)}),
        json!({"gender": 3}),
        json!({"birthday": "1990-02-30"}),
        json!({"birthday": "24/01/1990"}),
        json!({"extras": {"k": "v".repeat(600)}}),
        json!({"extras": "not an object"}),
        json!({"region": "x", "gender": 9}),
    ] {
        app.jmessage(Method::PUT, "/v1/users/ann")
            .json(bad.clone())
            .jm_refused(400, 899003)
            .await
            .map_err(|e| anyhow::anyhow!("{bad}: {e}"))?;
    }
    assert_eq!(
        app.jmessage(Method::GET, "/v1/users/ann").send().await?["region"],
        "beijing"
    );
    app.jmessage(Method::GET, "/v1/users/nobody")
        .jm_refused(403, 899002)
        .await?;
    app.jmessage(Method::PUT, "/v1/users/nobody")
        .json(json!({"region": "x"}))
        .jm_refused(403, 899002)
        .await?;
    Ok(())
}
api_test!(a_users_profile_is_one_across_both_apis);
