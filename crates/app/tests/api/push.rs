//! Push preferences: tags, alias and badge.

use serde_json::json;

use crate::support::{TestApp, api_test, text};

async fn push_tags_are_added_listed_and_removed(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    app.post("/user/push/tag")
        .token(&t)
        .json(json!({"tags": ["vip", "beta", "vip"]}))
        .ok()
        .await?;
    app.post("/user/push/tag")
        .token(&t)
        .json(json!({"tags": ["cn"]}))
        .ok()
        .await?;
    let tags = app.get("/user/push/tag").token(&t).ok().await?;
    assert_eq!(tags, json!(["beta", "cn", "vip"]));
    app.delete("/user/push/tag")
        .token(&t)
        .json(json!({"tags": ["beta"]}))
        .ok()
        .await?;
    assert_eq!(
        app.get("/user/push/tag").token(&t).ok().await?,
        json!(["cn", "vip"])
    );
    app.delete("/user/push/tag/all").token(&t).ok().await?;
    assert_eq!(app.get("/user/push/tag").token(&t).ok().await?, json!([]));
    app.post("/user/push/tag")
        .token(&t)
        .json(json!({"tags": []}))
        .refused(10002)
        .await?;
    let too_many: Vec<String> = (0..101).map(|i| format!("t{i}")).collect();
    app.post("/user/push/tag")
        .token(&t)
        .json(json!({"tags": too_many}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(push_tags_are_added_listed_and_removed);

async fn the_alias_and_badge_are_checked_and_stored(app: &TestApp) -> anyhow::Result<()> {
    let id = app.register("ann", "secret-pw").await?;
    let login = app.login("ann", "secret-pw", Some("phone")).await?;
    let t = text(&login["token"])?;
    app.post("/user/push/alias")
        .token(&t)
        .json(json!({"alias": "ann-alias", "push_token": "not-mine"}))
        .refused(10002)
        .await?;
    app.post("/user/push/alias")
        .token(&t)
        .json(json!({"alias": "ann-alias", "push_token": login["push_token"]}))
        .ok()
        .await?;
    app.post("/user/push/badge")
        .token(&t)
        .json(json!({"badge": -1}))
        .refused(10002)
        .await?;
    app.post("/user/push/badge")
        .token(&t)
        .json(json!({"badge": 5}))
        .ok()
        .await?;
    let stored = app.stored_user(id).await?;
    assert_eq!(stored.push_alias.as_deref(), Some("ann-alias"));
    assert_eq!(stored.badge, 5);
    Ok(())
}
api_test!(the_alias_and_badge_are_checked_and_stored);
