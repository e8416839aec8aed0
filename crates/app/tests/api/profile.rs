//! Profile fields, batch changes and open ids.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, api_test};

async fn the_profile_is_read_and_changed_field_by_field(app: &TestApp) -> anyhow::Result<()> {
    let (id, t) = app.user("ann").await?;
    let profile = app.get("/user/profile").token(&t).ok().await?;
    assert_eq!(profile["user_id"], id);
    assert_eq!(profile["username"], "ann");
    assert_eq!(profile["nick_name"], "");

    app.post("/user/profile")
        .token(&t)
        .json(json!({"nick_name": "Ann", "description": "hi"}))
        .ok()
        .await?;
    app.put("/user/profile")
        .token(&t)
        .json(json!({"public_info": "pub", "private_info": "priv"}))
        .ok()
        .await?;
    app.post("/user/avatar")
        .token(&t)
        .json(json!({"avatar": "https://cdn/a.png"}))
        .ok()
        .await?;
    app.put("/user/avatar")
        .token(&t)
        .json(json!({"avatar": "https://cdn/b.png"}))
        .ok()
        .await?;
    app.put("/user/nickname")
        .token(&t)
        .query(&[("nick_name", "Annie")])
        .ok()
        .await?;
    let profile = app.get("/user/profile").token(&t).ok().await?;
    assert_eq!(profile["nick_name"], "Annie");
    assert_eq!(profile["description"], "hi");
    assert_eq!(profile["public_info"], "pub");
    assert_eq!(profile["private_info"], "priv");
    assert_eq!(profile["avatar"], "https://cdn/b.png");
    Ok(())
}
api_test!(the_profile_is_read_and_changed_field_by_field);

async fn an_over_long_field_is_10002_and_changes_nothing(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    app.post("/user/nickname")
        .token(&t)
        .query(&[("nick_name", "Ann")])
        .ok()
        .await?;
    let long = "x".repeat(65);
    app.post("/user/profile")
        .token(&t)
        .json(json!({"nick_name": long, "description": "changed"}))
        .refused(10002)
        .await?;
    let profile = app.get("/user/profile").token(&t).ok().await?;
    assert_eq!(profile["nick_name"], "Ann");
    assert_eq!(profile["description"], "");
    Ok(())
}
api_test!(an_over_long_field_is_10002_and_changes_nothing);

async fn private_and_public_info_take_raw_or_json_string_bodies(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    app.post("/user/private")
        .token(&t)
        .header("content-type", "text/plain")
        .body("only {mine}")
        .ok()
        .await?;
    app.put("/user/public")
        .token(&t)
        .header("content-type", "application/json")
        .body("\"for \\\"all\\\"\"")
        .ok()
        .await?;
    let profile = app.get("/user/profile").token(&t).ok().await?;
    assert_eq!(profile["private_info"], "only {mine}");
    assert_eq!(profile["public_info"], "for \"all\"");
    app.put("/user/private")
        .token(&t)
        .body("second")
        .ok()
        .await?;
    app.post("/user/public")
        .token(&t)
        .body("third")
        .ok()
        .await?;
    let profile = app.get("/user/profile").token(&t).ok().await?;
    assert_eq!(profile["private_info"], "second");
    assert_eq!(profile["public_info"], "third");
    Ok(())
}
api_test!(private_and_public_info_take_raw_or_json_string_bodies);

async fn a_mobile_is_unique_in_the_app_and_can_be_cleared(app: &TestApp) -> anyhow::Result<()> {
    let (_, ann) = app.user("ann").await?;
    let (_, bob) = app.user("bob").await?;
    app.post("/user/mobile")
        .token(&ann)
        .query(&[("mobile", "+15550100")])
        .ok()
        .await?;
    app.put("/user/mobile")
        .token(&bob)
        .query(&[("mobile", "+15550100")])
        .refused(10011)
        .await?;
    app.put("/user/mobile")
        .token(&bob)
        .query(&[("mobile", "12ab")])
        .refused(10002)
        .await?;
    let profile = app.get("/user/profile").token(&ann).ok().await?;
    assert_eq!(profile["mobile"], "+15550100");
    app.post("/token/login")
        .json(json!({"login_name": "+15550100", "password": "secret-pw"}))
        .ok()
        .await?;
    app.post("/user/mobile")
        .token(&ann)
        .query(&[("mobile", "")])
        .ok()
        .await?;
    app.put("/user/mobile")
        .token(&bob)
        .query(&[("mobile", "+15550100")])
        .ok()
        .await?;
    let profile = app.get("/user/profile").token(&ann).ok().await?;
    assert!(profile["mobile"].is_null());
    Ok(())
}
api_test!(a_mobile_is_unique_in_the_app_and_can_be_cleared);

async fn a_username_change_is_unique_and_changes_the_login(app: &TestApp) -> anyhow::Result<()> {
    let (_, ann) = app.user("ann").await?;
    app.user("bob").await?;
    app.post("/user/username")
        .token(&ann)
        .query(&[("username", "bob")])
        .refused(10004)
        .await?;
    app.post("/user/username")
        .token(&ann)
        .query(&[("username", "123")])
        .refused(10002)
        .await?;
    app.put("/user/username")
        .token(&ann)
        .query(&[("username", "anna")])
        .ok()
        .await?;
    app.login("anna", "secret-pw", None).await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": "secret-pw"}))
        .refused(10000)
        .await?;
    app.post("/user/username")
        .token(&ann)
        .query(&[("username", "anna")])
        .ok()
        .await?;
    Ok(())
}
api_test!(a_username_change_is_unique_and_changes_the_login);

async fn batch_avatar_and_profile_changes_are_for_admins(app: &TestApp) -> anyhow::Result<()> {
    let (ann, t) = app.user("ann").await?;
    let (bob, _) = app.user("bob").await?;
    for method in [Method::POST, Method::PUT] {
        app.call(method.clone(), "/user/avatar/batch")
            .token(&t)
            .json(json!({"list": [{"user_id": ann, "avatar": "a"}]}))
            .refused(10010)
            .await?;
        app.call(method.clone(), "/user/profile/batch")
            .token(&t)
            .json(json!({"list": [{"user_id": ann, "nick_name": "a"}]}))
            .refused(10010)
            .await?;
    }
    let results = app
        .admin(Method::POST, "/user/avatar/batch")
        .json(json!({"list": [
            {"user_id": ann, "avatar": "https://a"},
            {"user_id": 42, "avatar": "https://x"},
            {"user_id": bob, "avatar": "https://b"}
        ]}))
        .ok()
        .await?;
    assert_eq!(
        results[0],
        json!({"success": true, "reason": null, "user_id": ann})
    );
    assert_eq!(results[1]["success"], false);
    assert_eq!(results[1]["reason"], "user does not exist");
    assert_eq!(results[2]["success"], true);
    let results = app
        .admin(Method::PUT, "/user/profile/batch")
        .json(json!({"list": [
            {"user_id": ann, "nick_name": "A", "public_info": "p"},
            {"user_id": bob, "nick_name": "b".repeat(65)}
        ]}))
        .ok()
        .await?;
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[1]["success"], false);
    let a = app.admin_as(ann, Method::GET, "/user/profile").ok().await?;
    assert_eq!(
        (a["avatar"].clone(), a["nick_name"].clone()),
        (json!("https://a"), json!("A"))
    );
    assert_eq!(a["public_info"], "p");
    let b = app.admin_as(bob, Method::GET, "/user/profile").ok().await?;
    assert_eq!(b["avatar"], "https://b");
    assert_eq!(b["nick_name"], "");
    app.admin(Method::PUT, "/user/avatar/batch")
        .json(json!({"list": [{"user_id": ann, "avatar": "https://c"}]}))
        .ok()
        .await?;
    Ok(())
}
api_test!(batch_avatar_and_profile_changes_are_for_admins);

async fn an_open_id_binds_to_one_user_only(app: &TestApp) -> anyhow::Result<()> {
    let (_, ann) = app.user("ann").await?;
    let (_, bob) = app.user("bob").await?;
    app.get("/user/bind_openid")
        .token(&ann)
        .query(&[("open_id", "oX1"), ("type", "wechat")])
        .ok()
        .await?;
    app.get("/user/bind_openid")
        .token(&bob)
        .query(&[("open_id", "oX1"), ("type", "wechat")])
        .refused(10011)
        .await?;
    app.get("/user/bind_openid")
        .token(&bob)
        .query(&[("open_id", "oX1"), ("type", "qq")])
        .ok()
        .await?;
    app.get("/user/bind_openid")
        .token(&bob)
        .query(&[("open_id", "oX2")])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(an_open_id_binds_to_one_user_only);
