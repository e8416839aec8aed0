//! Passwords, deletion, bans and the user list.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, api_test, text};

async fn a_password_change_needs_the_old_one_and_revokes_every_token(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, t1) = app.user("ann").await?;
    let t2 = text(&app.login("ann", "secret-pw", Some("phone")).await?["token"])?;
    app.post("/user/change_password")
        .token(&t1)
        .json(json!({"old_password": "wrong-pw", "new_password": "new-secret"}))
        .refused(11001)
        .await?;
    app.get("/user/profile").token(&t1).ok().await?;
    app.post("/user/change_password")
        .token(&t1)
        .json(json!({"old_password": "secret-pw", "new_password": "new"}))
        .refused(10002)
        .await?;
    app.post("/user/change_password")
        .token(&t1)
        .json(json!({"old_password": "secret-pw", "new_password": "new-secret"}))
        .ok()
        .await?;
    app.get("/user/profile").token(&t1).refused(10008).await?;
    app.get("/user/profile").token(&t2).refused(10008).await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": "secret-pw"}))
        .refused(11001)
        .await?;
    app.login("ann", "new-secret", None).await?;
    Ok(())
}
api_test!(a_password_change_needs_the_old_one_and_revokes_every_token);

async fn an_admin_sets_a_password_without_the_old_one(app: &TestApp) -> anyhow::Result<()> {
    let (ann, t) = app.user("ann").await?;
    app.post("/user/change_password_admin")
        .token(&t)
        .json(json!({"password": "hijacked"}))
        .refused(10010)
        .await?;
    app.admin_as(ann, Method::POST, "/user/change_password_admin")
        .json(json!({"password": "reset-pw"}))
        .ok()
        .await?;
    app.get("/user/profile").token(&t).refused(10008).await?;
    app.login("ann", "reset-pw", None).await?;
    Ok(())
}
api_test!(an_admin_sets_a_password_without_the_old_one);

async fn a_user_deletes_itself_with_its_password(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    app.post("/user/delete").token(&t).refused(11001).await?;
    app.post("/user/delete")
        .token(&t)
        .json(json!({"password": "wrong-pw"}))
        .refused(11001)
        .await?;
    app.get("/user/profile").token(&t).ok().await?;
    app.post("/user/delete")
        .token(&t)
        .json(json!({"password": "secret-pw"}))
        .ok()
        .await?;
    app.get("/user/profile").token(&t).refused(10008).await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": "secret-pw"}))
        .refused(10000)
        .await?;
    // The name is free again.
    app.register("ann", "other-pw").await?;
    Ok(())
}
api_test!(a_user_deletes_itself_with_its_password);

async fn an_admin_deletes_a_user_without_a_password(app: &TestApp) -> anyhow::Result<()> {
    let (ann, t) = app.user("ann").await?;
    app.admin_as(ann, Method::DELETE, "/user/delete")
        .ok()
        .await?;
    app.get("/user/profile").token(&t).refused(10008).await?;
    app.admin_as(ann, Method::DELETE, "/user/delete")
        .refused(10000)
        .await?;
    Ok(())
}
api_test!(an_admin_deletes_a_user_without_a_password);

async fn banning_is_for_admins_all_or_nothing_and_blocks_login(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, t) = app.user("ann").await?;
    let (bob, _) = app.user("bob").await?;
    app.put("/user/disable")
        .token(&t)
        .json(json!({"list": [bob]}))
        .refused(10010)
        .await?;
    app.admin(Method::PUT, "/user/disable")
        .json(json!({"list": [ann, 4242]}))
        .refused(10000)
        .await?;
    app.get("/user/profile").token(&t).ok().await?;

    app.admin(Method::PUT, "/user/disable")
        .json(json!({"list": [ann]}))
        .ok()
        .await?;
    app.get("/user/profile").token(&t).refused(10008).await?;
    app.post("/token/user")
        .json(json!({"name": "ann", "password": "secret-pw"}))
        .refused(10010)
        .await?;
    let listed = app.admin(Method::GET, "/user/list").ok().await?;
    assert_eq!(
        listed,
        json!([
            {"user_id": ann, "username": "ann", "status": 1},
            {"user_id": bob, "username": "bob", "status": 0}
        ])
    );
    app.admin(Method::PUT, "/user/enable")
        .json(json!({"list": [ann]}))
        .ok()
        .await?;
    app.login("ann", "secret-pw", None).await?;
    Ok(())
}
api_test!(banning_is_for_admins_all_or_nothing_and_blocks_login);

async fn the_user_list_pages_in_id_order(app: &TestApp) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for name in ["u_a", "u_b", "u_c", "u_d", "u_e"] {
        ids.push(app.register(name, "secret-pw").await?);
    }
    let page = |num: &'static str, size: &'static str| {
        app.admin(Method::GET, "/user/list")
            .query(&[("page_num", num), ("page_size", size)])
            .ok()
    };
    let mut seen = Vec::new();
    for num in ["1", "2", "3"] {
        for user in page(num, "2")
            .await?
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            seen.push(user["user_id"].as_i64().unwrap_or_default());
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(page("4", "2").await?, json!([]));
    app.admin(Method::GET, "/user/list")
        .query(&[("page_num", "0")])
        .refused(10002)
        .await?;
    app.admin(Method::GET, "/user/list")
        .query(&[("page_size", "1001")])
        .refused(10002)
        .await?;
    let (_, t) = app.user("viewer").await?;
    app.get("/user/list").token(&t).refused(10010).await?;
    Ok(())
}
api_test!(the_user_list_pages_in_id_order);
