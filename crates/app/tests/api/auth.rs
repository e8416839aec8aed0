//! NOTES.md §1: apps, tokens and impersonation.

use reqwest::Method;
use serde_json::json;
use tidings_users::model::AppUpdate;

use crate::support::{TestApp, api_test, text};

async fn an_unknown_or_missing_app_id_is_40000(app: &TestApp) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    app.call_in("nosuchapp", Method::GET, "/user/profile")
        .token(&token)
        .refused(40000)
        .await?;
    app.call_in("nosuchapp", Method::POST, "/token/user")
        .json(json!({"name": "ann", "password": "secret-pw"}))
        .refused(40000)
        .await?;
    app.call_in("bad app!", Method::POST, "/user/register/v2")
        .json(json!({"username": "bob", "password": "secret-pw"}))
        .refused(40000)
        .await?;
    let (_, answer) = crate::support::TestApp::raw_without_app_id(app, "/user/profile").await?;
    assert_eq!(answer["code"], 40000);
    Ok(())
}
api_test!(an_unknown_or_missing_app_id_is_40000);

async fn a_missing_token_is_10003_and_a_bad_one_10008(app: &TestApp) -> anyhow::Result<()> {
    app.get("/user/profile").refused(10003).await?;
    app.get("/user/profile")
        .token("not-a-token")
        .refused(10008)
        .await?;
    Ok(())
}
api_test!(a_missing_token_is_10003_and_a_bad_one_10008);

async fn a_token_of_one_app_never_works_in_another(app: &TestApp) -> anyhow::Result<()> {
    let users = tidings_app::users_service(&app.config).await?;
    let other = users.create_app("other").await?;
    let (_, token) = app.user("ann").await?;
    app.call_in(other.app.id.as_str(), Method::GET, "/user/profile")
        .token(&token)
        .refused(10008)
        .await?;
    app.call_in(other.app.id.as_str(), Method::GET, "/user/list")
        .token(&app.app.admin_token)
        .refused(10008)
        .await?;
    // The other app's admin sees none of this app's users.
    let listed = app
        .call_in(other.app.id.as_str(), Method::GET, "/user/list")
        .token(&other.admin_token)
        .ok()
        .await?;
    assert_eq!(listed, json!([]));
    Ok(())
}
api_test!(a_token_of_one_app_never_works_in_another);

async fn a_user_token_cannot_impersonate(app: &TestApp) -> anyhow::Result<()> {
    let (_, ann) = app.user("ann").await?;
    let (bob_id, _) = app.user("bob").await?;
    app.get("/user/profile")
        .token(&ann)
        .header("user_id", &bob_id.to_string())
        .refused(10010)
        .await?;
    app.get("/user/profile")
        .token(&ann)
        .header("group_id", "123")
        .refused(10010)
        .await?;
    Ok(())
}
api_test!(a_user_token_cannot_impersonate);

async fn an_admin_token_acts_as_the_user_named_in_user_id(app: &TestApp) -> anyhow::Result<()> {
    let (ann_id, _) = app.user("ann").await?;
    let profile = app
        .admin_as(ann_id, Method::GET, "/user/profile")
        .ok()
        .await?;
    assert_eq!(profile["username"], "ann");
    app.admin_as(ann_id, Method::POST, "/user/nickname")
        .query(&[("nick_name", "Annie")])
        .ok()
        .await?;
    let profile = app
        .admin_as(ann_id, Method::GET, "/user/profile")
        .ok()
        .await?;
    assert_eq!(profile["nick_name"], "Annie");
    app.admin_as(999, Method::GET, "/user/profile")
        .refused(10000)
        .await?;
    // Without user_id an admin token is no user.
    app.admin(Method::GET, "/user/profile")
        .refused(10002)
        .await?;
    app.admin(Method::GET, "/user/profile")
        .header("user_id", "abc")
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(an_admin_token_acts_as_the_user_named_in_user_id);

async fn a_token_stops_working_when_it_expires(app: &TestApp) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    app.get("/user/profile").token(&token).ok().await?;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.get("/user/profile")
        .token(&token)
        .refused(10008)
        .await?;
    Ok(())
}
api_test!(a_token_stops_working_when_it_expires, |config| config
    .token_ttl_secs =
    1);

async fn the_expire_field_is_the_configured_lifetime_in_ms(app: &TestApp) -> anyhow::Result<()> {
    app.register("ann", "secret-pw").await?;
    let before = chrono_now_ms();
    let token = app.login("ann", "secret-pw", None).await?;
    let expire = token["expire"].as_i64().unwrap_or_default();
    assert!(expire >= before + 3_600_000 && expire <= chrono_now_ms() + 3_600_000);
    assert_eq!(text(&token["token"])?.len(), 43);
    Ok(())
}
api_test!(the_expire_field_is_the_configured_lifetime_in_ms);

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn closed_registration_and_user_limits_are_enforced(app: &TestApp) -> anyhow::Result<()> {
    let users = tidings_app::users_service(&app.config).await?;
    let app_id = tidings_kernel::AppId::parse(&app.app.app_id)?;
    users
        .update_app(
            &app_id,
            AppUpdate {
                registration_open: Some(false),
                ..AppUpdate::default()
            },
        )
        .await?;
    app.post("/user/register/v2")
        .json(json!({"username": "ann", "password": "secret-pw"}))
        .refused(40001)
        .await?;
    // Admins still register users in batch while registration is closed; the limit holds.
    users
        .update_app(
            &app_id,
            AppUpdate {
                user_limit: Some(1),
                ..AppUpdate::default()
            },
        )
        .await?;
    let results = app
        .admin(Method::POST, "/user/register/batch")
        .json(json!({"list": [
            {"username": "bob", "password": "secret-pw"},
            {"username": "cid", "password": "secret-pw"}
        ]}))
        .ok()
        .await?;
    assert_eq!(results[0]["success"], true);
    assert_eq!(results[1]["success"], false);
    users
        .update_app(
            &app_id,
            AppUpdate {
                registration_open: Some(true),
                ..AppUpdate::default()
            },
        )
        .await?;
    app.post("/user/register/v2")
        .json(json!({"username": "dan", "password": "secret-pw"}))
        .refused(40002)
        .await?;
    Ok(())
}
api_test!(closed_registration_and_user_limits_are_enforced);
