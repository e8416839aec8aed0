//! MaxIM §8: friends, applications, blocks and search.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, api_test, id};

/// Sets a user's auth mode (and question and answer).
async fn auth_mode(app: &TestApp, token: &str, mode: i64) -> anyhow::Result<()> {
    app.post("/user/settings")
        .token(token)
        .json(json!({"auth_mode": mode, "auth_question": "6*7?", "auth_answer": "42"}))
        .ok()
        .await?;
    Ok(())
}

/// Every friend id, following the cursor page by page.
async fn all_friends(app: &TestApp, token: &str, limit: &str) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut query = vec![("limit", limit.to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = app
            .get("/roster/list")
            .token(token)
            .query(&query)
            .send()
            .await?;
        anyhow::ensure!(page["code"] == 200, "{page}");
        assert!(page["version"].is_i64(), "{page}");
        for item in page["data"].as_array().cloned().unwrap_or_default() {
            ids.push(id(&item)?);
        }
        match page.get("cursor").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_owned()),
            None => return Ok(ids),
        }
    }
    anyhow::bail!("the cursor never ended")
}

async fn relation(app: &TestApp, token: &str, other: i64) -> anyhow::Result<Value> {
    let item = app
        .get("/roster/id")
        .token(token)
        .query(&[("user_id", &other.to_string())])
        .ok()
        .await?;
    Ok(item["relation"].clone())
}

async fn mode_0_makes_friends_at_once_both_ways(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob, "reason": "hi", "alias": "Bobby"}))
        .ok()
        .await?;
    assert_eq!(all_friends(app, &ta, "10").await?, vec![bob]);
    assert_eq!(all_friends(app, &tb, "10").await?, vec![ann]);
    assert_eq!(relation(app, &ta, bob).await?, 0);
    let item = app
        .get("/roster/id")
        .token(&ta)
        .query(&[("user_id", &bob.to_string())])
        .ok()
        .await?;
    assert_eq!(item["alias"], "Bobby");
    assert_eq!(item["username"], "bob");
    assert!(
        item.get("auth_answer").is_none(),
        "the answer is never shown: {item}"
    );
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .refused(10005)
        .await?;
    Ok(())
}
api_test!(mode_0_makes_friends_at_once_both_ways);

async fn mode_1_waits_for_accept_or_decline(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    auth_mode(app, &tb, 1).await?;
    for token in [&ta, &tc] {
        app.post("/roster/apply")
            .token(token)
            .json(json!({"user_id": bob, "reason": "let us talk"}))
            .ok()
            .await?;
    }
    assert!(all_friends(app, &ta, "10").await?.is_empty());
    let list = app.get("/roster/apply/list").token(&tb).send().await?;
    let data = list["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["user_id"], cid, "newest first");
    assert_eq!(data[1]["user_id"], ann);
    assert_eq!(data[1]["status"], 0);
    assert_eq!(data[1]["reason"], "let us talk");
    assert!(data[1]["expired_time"].as_i64().unwrap_or_default() > 0);
    assert!(list.get("cursor").is_none());

    app.post("/roster/accept")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .ok()
        .await?;
    assert_eq!(all_friends(app, &ta, "10").await?, vec![bob]);
    app.put("/roster/accept")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .refused(10007)
        .await?;
    app.put("/roster/decline")
        .token(&tb)
        .json(json!({"user_id": cid, "reason": "no"}))
        .ok()
        .await?;
    app.post("/roster/accept")
        .token(&tb)
        .query(&[("user_id", &cid.to_string())])
        .refused(10007)
        .await?;
    app.post("/roster/decline")
        .token(&tb)
        .json(json!({"user_id": cid}))
        .refused(10007)
        .await?;
    let list = app.get("/roster/apply/list").token(&tb).ok().await?;
    let statuses: Vec<Value> = list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| a["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!(2), json!(1)]);
    assert_eq!(relation(app, &tc, bob).await?, 2);
    Ok(())
}
api_test!(mode_1_waits_for_accept_or_decline);

async fn a_block_after_the_application_stops_its_acceptance(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    auth_mode(app, &tb, 1).await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .ok()
        .await?;
    app.post("/roster/block")
        .token(&ta)
        .query(&[("user_id", &bob.to_string())])
        .ok()
        .await?;
    app.post("/roster/accept")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .refused(10006)
        .await?;
    assert!(all_friends(app, &tb, "10").await?.is_empty());
    Ok(())
}
api_test!(a_block_after_the_application_stops_its_acceptance);

async fn question_mode_may_come_before_its_question_and_refuses_until_then(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    // As clients do it: the mode first, the question and answer in a later call.
    app.put("/user/authmode")
        .token(&tb)
        .query(&[("value", "2")])
        .ok()
        .await?;
    let apply = json!({"user_id": bob, "auth_answer": "42"});
    app.post("/roster/apply")
        .token(&ta)
        .json(apply.clone())
        .refused(10012)
        .await?;
    app.post("/user/settings")
        .token(&tb)
        .json(json!({"auth_question": "6*7?", "auth_answer": "42"}))
        .ok()
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(apply)
        .ok()
        .await?;
    Ok(())
}
api_test!(question_mode_may_come_before_its_question_and_refuses_until_then);

async fn an_expired_application_cannot_be_accepted(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    auth_mode(app, &tb, 1).await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .ok()
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.post("/roster/accept")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .refused(10007)
        .await?;
    // Applying again opens a fresh application.
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .ok()
        .await?;
    app.post("/roster/accept")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .ok()
        .await?;
    Ok(())
}
api_test!(an_expired_application_cannot_be_accepted, |config| config
    .friend_application_ttl_secs =
    1);

async fn mutual_applications_make_friends(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    auth_mode(app, &ta, 1).await?;
    auth_mode(app, &tb, 1).await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .ok()
        .await?;
    app.post("/roster/apply")
        .token(&tb)
        .json(json!({"user_id": ann}))
        .ok()
        .await?;
    assert_eq!(all_friends(app, &ta, "10").await?, vec![bob]);
    Ok(())
}
api_test!(mutual_applications_make_friends);

async fn mode_2_needs_the_answer_and_mode_3_refuses(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    auth_mode(app, &tb, 2).await?;
    auth_mode(app, &tc, 3).await?;
    let question = app
        .get("/roster/name")
        .token(&ta)
        .query(&[("username", "bob")])
        .ok()
        .await?;
    assert_eq!(question["auth_mode"], 2);
    assert_eq!(question["auth_question"], "6*7?");
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob, "auth_answer": "41"}))
        .refused(10012)
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob, "auth_answer": "42"}))
        .ok()
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": cid}))
        .refused(10012)
        .await?;
    assert_eq!(all_friends(app, &ta, "10").await?, vec![bob]);
    Ok(())
}
api_test!(mode_2_needs_the_answer_and_mode_3_refuses);

async fn applying_is_refused_to_unknown_users_oneself_and_blockers(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": 4242}))
        .refused(10000)
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": ann}))
        .refused(10002)
        .await?;
    app.post("/roster/block")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .ok()
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .refused(10006)
        .await?;
    app.post("/roster/apply")
        .token(&tb)
        .json(json!({"user_id": ann}))
        .refused(10006)
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob, "reason": "r".repeat(257)}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(applying_is_refused_to_unknown_users_oneself_and_blockers);

async fn batch_applications_report_success_and_failures(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, _) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    auth_mode(app, &tc, 3).await?;
    let outcome = app
        .post("/roster/apply/batch")
        .token(&ta)
        .json(json!([
            {"user_id": bob, "reason": "hi"},
            {"user_id": cid},
            {"user_id": 4242}
        ]))
        .ok()
        .await?;
    assert_eq!(outcome["success"], json!([bob]));
    assert_eq!(outcome["fails"][0]["user_id"], cid);
    assert_eq!(
        outcome["fails"][1],
        json!({"user_id": 4242, "reason": "user does not exist"})
    );
    app.post("/roster/apply/batch")
        .token(&ta)
        .json(json!([]))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(batch_applications_report_success_and_failures);

async fn cursor_paging_returns_each_friend_once(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let mut expected = Vec::new();
    for i in 0..7 {
        let (friend, _) = app.user(&format!("friend_{i}")).await?;
        app.post("/roster/apply")
            .token(&ta)
            .json(json!({"user_id": friend}))
            .ok()
            .await?;
        expected.push(friend);
    }
    expected.sort_unstable();
    for limit in ["1", "2", "3", "7", "100"] {
        assert_eq!(
            all_friends(app, &ta, limit).await?,
            expected,
            "limit {limit}"
        );
    }
    app.get("/roster/list")
        .token(&ta)
        .query(&[("cursor", "not-a-cursor")])
        .refused(10002)
        .await?;
    app.get("/roster/list")
        .token(&ta)
        .query(&[("limit", "0")])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(cursor_paging_returns_each_friend_once);

async fn application_lists_page_by_cursor(app: &TestApp) -> anyhow::Result<()> {
    let (target, tt) = app.user("target").await?;
    auth_mode(app, &tt, 1).await?;
    let mut applicants = Vec::new();
    for i in 0..5 {
        let (who, token) = app.user(&format!("fan_{i}")).await?;
        app.post("/roster/apply")
            .token(&token)
            .json(json!({"user_id": target}))
            .ok()
            .await?;
        applicants.push(who);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let mut query = vec![("limit", "2")];
        if !cursor.is_empty() {
            query.push(("cursor", cursor.as_str()));
        }
        let page = app
            .get("/roster/apply/list")
            .token(&tt)
            .query(&query)
            .send()
            .await?;
        for item in page["data"].as_array().cloned().unwrap_or_default() {
            seen.push(id(&item["user_id"])?);
        }
        match page.get("cursor").and_then(Value::as_str) {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    applicants.reverse();
    assert_eq!(seen, applicants);
    Ok(())
}
api_test!(application_lists_page_by_cursor);

async fn search_details_and_friend_settings(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, _) = app.user("cid").await?;
    app.post("/user/mobile")
        .token(&tb)
        .query(&[("mobile", "+15550199")])
        .ok()
        .await?;
    app.post("/user/public")
        .token(&tb)
        .body("hello world")
        .ok()
        .await?;
    let found = app
        .get("/roster/mobile")
        .token(&ta)
        .query(&[("mobile", "+15550199")])
        .ok()
        .await?;
    assert_eq!(found["user_id"], bob);
    assert_eq!(found["public_info"], "hello world");
    assert_eq!(found["relation"], 2);
    for (path, key, value) in [
        ("/roster/mobile", "mobile", "+19999"),
        ("/roster/name", "username", "nobody"),
        ("/roster/id", "user_id", "4242"),
    ] {
        app.get(path)
            .token(&ta)
            .query(&[(key, value)])
            .refused(10000)
            .await?;
    }
    app.post("/roster/ext")
        .token(&ta)
        .json(json!({"user_id": bob, "alias": "B"}))
        .refused(10002)
        .await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob}))
        .ok()
        .await?;
    app.post("/roster/ext")
        .token(&ta)
        .json(json!({"user_id": bob, "alias": "B", "ext": "{\"k\":1}"}))
        .ok()
        .await?;
    app.put("/roster/ext")
        .token(&ta)
        .json(json!({"user_id": bob, "mute_notification": true}))
        .ok()
        .await?;
    let details = app
        .post("/roster/list")
        .token(&ta)
        .json(json!({"list": [bob, cid, 4242]}))
        .ok()
        .await?;
    assert_eq!(details.as_array().map(Vec::len), Some(2));
    assert_eq!(details[0]["user_id"], bob);
    assert_eq!(details[0]["alias"], "B");
    assert_eq!(details[0]["ext"], "{\"k\":1}");
    assert_eq!(details[0]["mute_notification"], true);
    assert_eq!(details[0]["relation"], 0);
    assert_eq!(details[1]["relation"], 2);
    Ok(())
}
api_test!(search_details_and_friend_settings);

async fn deleting_a_friend_ends_it_both_ways(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, _) = app.user("cid").await?;
    for friend in [bob, cid] {
        app.post("/roster/apply")
            .token(&ta)
            .json(json!({"user_id": friend}))
            .ok()
            .await?;
    }
    app.post("/roster/delete")
        .token(&tb)
        .query(&[("user_id", &ann.to_string())])
        .ok()
        .await?;
    app.delete("/roster/delete")
        .token(&ta)
        .query(&[("user_id", &cid.to_string())])
        .ok()
        .await?;
    assert!(all_friends(app, &ta, "10").await?.is_empty());
    assert!(all_friends(app, &tb, "10").await?.is_empty());
    assert_eq!(relation(app, &ta, bob).await?, 1);
    assert_eq!(relation(app, &tb, ann).await?, 1);
    app.post("/roster/delete")
        .token(&ta)
        .query(&[("user_id", &bob.to_string())])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(deleting_a_friend_ends_it_both_ways);

async fn blocks_list_relate_and_stop_messaging(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, _) = app.user("cid").await?;
    let may = |from: i64, to: i64| {
        app.get("/roster/may_message")
            .token(&tb)
            .query(&[("user_id", from.to_string()), ("roster_id", to.to_string())])
            .ok()
    };
    assert_eq!(may(ann, bob).await?, true);
    app.post("/roster/block")
        .token(&ta)
        .query(&[("user_id", &bob.to_string())])
        .ok()
        .await?;
    app.put("/roster/block")
        .token(&ta)
        .query(&[("user_id", &cid.to_string())])
        .ok()
        .await?;
    let mut expected = vec![bob, cid];
    expected.sort_unstable();
    assert_eq!(
        app.get("/roster/blocked_list").token(&ta).ok().await?,
        json!(expected)
    );
    assert_eq!(relation(app, &ta, bob).await?, 3);
    assert_eq!(
        relation(app, &tb, ann).await?,
        2,
        "the blocked side sees a stranger"
    );
    assert_eq!(may(ann, bob).await?, false);
    assert_eq!(may(bob, ann).await?, false);
    app.get("/roster/may_message")
        .token(&tb)
        .query(&[("user_id", "4242"), ("roster_id", &ann.to_string())])
        .refused(10000)
        .await?;
    app.post("/roster/unblock")
        .token(&ta)
        .query(&[("user_id", &bob.to_string())])
        .ok()
        .await?;
    app.delete("/roster/unblock")
        .token(&ta)
        .query(&[("user_id", &cid.to_string())])
        .ok()
        .await?;
    assert_eq!(
        app.get("/roster/blocked_list").token(&ta).ok().await?,
        json!([])
    );
    assert_eq!(may(bob, ann).await?, true);
    app.post("/roster/block")
        .token(&ta)
        .query(&[("user_id", "4242")])
        .refused(10000)
        .await?;
    Ok(())
}
api_test!(blocks_list_relate_and_stop_messaging);

async fn admins_act_as_users_and_apps_stay_apart(app: &TestApp) -> anyhow::Result<()> {
    let (ann, _) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    app.admin_as(ann, Method::POST, "/roster/apply")
        .json(json!({"user_id": bob}))
        .ok()
        .await?;
    let friends = app.admin_as(ann, Method::GET, "/roster/list").ok().await?;
    assert_eq!(friends, json!([bob]));
    app.admin(Method::GET, "/roster/list")
        .refused(10002)
        .await?;
    app.get("/roster/list")
        .token(&tb)
        .header("user_id", &ann.to_string())
        .refused(10010)
        .await?;

    let users = tidings_app::users_service(&app.config).await?;
    let other = users.create_app("other").await?;
    let outsider = app
        .call_in(other.app.id.as_str(), Method::POST, "/user/register/v2")
        .json(json!({"username": "zed", "password": "secret-pw"}))
        .ok()
        .await?;
    app.post("/roster/apply")
        .token(&tb)
        .json(json!({"user_id": outsider["user_id"]}))
        .refused(10000)
        .await?;
    app.get("/roster/id")
        .token(&tb)
        .query(&[("user_id", &outsider["user_id"].to_string())])
        .refused(10000)
        .await?;
    Ok(())
}
api_test!(admins_act_as_users_and_apps_stay_apart);
