//! MaxIM §7: groups — creation, information and settings, membership flows, roles, mutes
//! and the blacklist.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, api_test, id};

/// Creates a group owned by `token`'s user with `users` as members; returns its id.
pub async fn create(app: &TestApp, token: &str, users: &[i64]) -> anyhow::Result<i64> {
    let info = app
        .post("/group/create")
        .token(token)
        .json(json!({"name": "team", "description": "d", "user_list": users}))
        .ok()
        .await?;
    id(&info["group_id"])
}

pub async fn info(app: &TestApp, token: &str, group: i64) -> anyhow::Result<Value> {
    app.get("/group/info")
        .token(token)
        .query(&[("group_id", group)])
        .ok()
        .await
}

fn results(outcomes: &Value) -> Vec<&str> {
    outcomes
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| o["result"].as_str().unwrap_or("?"))
                .collect()
        })
        .unwrap_or_default()
}

async fn member_ids(
    app: &TestApp,
    token: &str,
    group: i64,
    limit: &str,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    let mut cursor = String::new();
    for _ in 0..50 {
        let mut query = vec![("group_id", group.to_string()), ("limit", limit.to_owned())];
        if !cursor.is_empty() {
            query.push(("cursor", cursor.clone()));
        }
        let page = app
            .get("/group/member_list")
            .token(token)
            .query(&query)
            .send()
            .await?;
        anyhow::ensure!(page["code"] == 200, "{page}");
        assert!(page["total"].is_i64(), "{page}");
        for m in page["data"].as_array().cloned().unwrap_or_default() {
            ids.push(id(&m["user_id"])?);
        }
        match page.get("cursor").and_then(Value::as_str) {
            Some(next) => cursor = next.to_owned(),
            None => return Ok(ids),
        }
    }
    anyhow::bail!("the cursor never ended")
}

async fn creating_applies_defaults_and_destroying_keeps_status_1(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let g = create(app, &to, &[bob, 4242]).await.err();
    assert!(g.is_some(), "an unknown listed user refuses the creation");
    let created = app
        .post("/group/create")
        .token(&to)
        .json(json!({"name": "team", "user_list": [bob], "type": 0}))
        .ok()
        .await?;
    let g = id(&created["group_id"])?;
    assert_eq!(created["owner_id"], owner);
    assert_eq!(created["count"], 2);
    assert_eq!(created["member_invite"], true);
    assert_eq!(created["apply_approval"], 1);
    assert_eq!(
        (
            created["read_ack"].clone(),
            created["history_visible"].clone(),
            created["member_modify"].clone()
        ),
        (json!(false), json!(false), json!(false))
    );
    assert_eq!(created["status"], 0);
    let settings = app
        .get("/group/settings")
        .token(&tb)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(settings["group_id"], g);
    assert_eq!(
        app.get("/group/user_joined").token(&tb).ok().await?,
        json!([g])
    );
    let batch = app
        .post("/group/info/batch")
        .token(&tb)
        .json(json!({"group_list": [g, 4242]}))
        .ok()
        .await?;
    assert_eq!(batch.as_array().map(Vec::len), Some(1));
    assert_eq!(batch[0]["owner"], owner);
    app.post("/group/create")
        .token(&to)
        .json(json!({"type": 1}))
        .refused(10002)
        .await?;

    app.post("/group/destroy")
        .token(&tb)
        .query(&[("group_id", g)])
        .refused(20013)
        .await?;
    app.delete("/group/destroy")
        .token(&to)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(info(app, &to, g).await?["status"], 1);
    assert_eq!(
        app.get("/group/user_joined").token(&tb).ok().await?,
        json!([])
    );
    app.post("/group/info/name")
        .token(&to)
        .json(json!({"group_id": g, "value": "x"}))
        .refused(20001)
        .await?;
    app.get("/group/info")
        .token(&to)
        .query(&[("group_id", 4242)])
        .refused(20001)
        .await?;
    Ok(())
}
api_test!(creating_applies_defaults_and_destroying_keeps_status_1);

async fn information_and_settings_follow_roles(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let g = create(app, &to, &[bob]).await?;
    for (path, value) in [
        ("/group/info/name", "Team"),
        ("/group/info/description", "about"),
        ("/group/info/avatar", "https://a/b.png"),
        ("/group/info/ext", "{\"k\":1}"),
    ] {
        app.post(path)
            .token(&tb)
            .json(json!({"group_id": g, "value": value}))
            .refused(20012)
            .await?;
        app.put(path)
            .token(&to)
            .json(json!({"group_id": g, "value": value}))
            .ok()
            .await?;
    }
    let i = info(app, &tb, g).await?;
    assert_eq!(
        (i["name"].clone(), i["description"].clone()),
        (json!("Team"), json!("about"))
    );
    assert_eq!(
        (i["avatar"].clone(), i["ext"].clone()),
        (json!("https://a/b.png"), json!("{\"k\":1}"))
    );
    app.post("/group/info/name")
        .token(&to)
        .json(json!({"group_id": g, "value": ""}))
        .refused(10002)
        .await?;

    for (method, path, field) in [
        (
            Method::POST,
            "/group/settings/allow_member_invitation",
            "member_invite",
        ),
        (
            Method::PUT,
            "/group/settings/allow_member_modify",
            "member_modify",
        ),
        (Method::POST, "/group/settings/enable_read_ack", "read_ack"),
        (
            Method::PUT,
            "/group/settings/history_visible",
            "history_visible",
        ),
    ] {
        app.call(method.clone(), path)
            .token(&tb)
            .json(json!({"group_id": g, "value": true}))
            .refused(20012)
            .await?;
        let value = field != "member_invite";
        app.call(method, path)
            .token(&to)
            .json(json!({"group_id": g, "value": value}))
            .ok()
            .await?;
        assert_eq!(info(app, &tb, g).await?[field], value, "{path}");
    }
    // With member_modify on, members edit the information too.
    app.post("/group/info/name")
        .token(&tb)
        .json(json!({"group_id": g, "value": "By Bob"}))
        .ok()
        .await?;
    for (method, value) in [(Method::POST, 0), (Method::PUT, 2)] {
        app.call(method, "/group/settings/require_admin_approval")
            .token(&to)
            .json(json!({"group_id": g, "apply_approval": value}))
            .ok()
            .await?;
        assert_eq!(info(app, &tb, g).await?["apply_approval"], value);
    }
    app.post("/group/settings/require_admin_approval")
        .token(&to)
        .json(json!({"group_id": g, "apply_approval": 3}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(information_and_settings_follow_roles);

async fn ban_all_mutes_for_minutes_until_lifted(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let g = create(app, &to, &[bob]).await?;
    app.post("/group/settings/ban_all")
        .token(&tb)
        .json(json!({"group_id": g, "duration": 10}))
        .refused(20012)
        .await?;
    let before = chrono_now_secs();
    let banned = app
        .post("/group/settings/ban_all")
        .token(&to)
        .json(json!({"group_id": g, "duration": 10}))
        .ok()
        .await?;
    let expire = banned["ban_expire_time"].as_i64().unwrap_or_default();
    assert!(
        expire >= before + 600 && expire <= chrono_now_secs() + 600,
        "{banned}"
    );
    assert_eq!(info(app, &tb, g).await?["ban_expire_time"], expire);
    app.post("/group/settings/unban_all")
        .token(&to)
        .json(json!({"group_id": g}))
        .ok()
        .await?;
    assert_eq!(info(app, &tb, g).await?["ban_expire_time"], 0);
    app.post("/group/settings/ban_all")
        .token(&to)
        .json(json!({"group_id": g, "duration": 0}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(ban_all_mutes_for_minutes_until_lifted);

fn chrono_now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

async fn member_lists_page_each_member_once(app: &TestApp) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let mut everyone = vec![owner];
    for i in 0..6 {
        everyone.push(app.user(&format!("m{i}")).await?.0);
    }
    let g = create(app, &to, &everyone[1..]).await?;
    everyone.sort_unstable();
    for limit in ["1", "3", "7", "1000"] {
        assert_eq!(
            member_ids(app, &to, g, limit).await?,
            everyone,
            "limit {limit}"
        );
    }
    let page = app
        .get("/group/member_list")
        .token(&to)
        .query(&[("group_id", g.to_string()), ("limit", "3".into())])
        .send()
        .await?;
    assert_eq!(page["total"], 7);
    assert_eq!(page["data"][0]["user_id"], everyone[0]);
    assert!(page["data"][0]["join_time"].is_i64());
    let (_, outsider) = app.user("outsider").await?;
    app.get("/group/member_list")
        .token(&outsider)
        .query(&[("group_id", g)])
        .refused(20011)
        .await?;
    app.get("/group/member_list")
        .token(&to)
        .query(&[("group_id", g.to_string()), ("limit", "0".into())])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(member_lists_page_each_member_once);

async fn the_owner_names_and_removes_admins(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, _) = app.user("cid").await?;
    let (dan, _) = app.user("dan").await?;
    let g = create(app, &to, &[bob, cid]).await?;
    app.post("/group/admin/add")
        .token(&tb)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .refused(20013)
        .await?;
    let outcomes = app
        .post("/group/admin/add")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob, dan, bob]}))
        .ok()
        .await?;
    assert_eq!(results(&outcomes), vec!["success", "fail"]);
    assert_eq!(outcomes[1]["reason"], "not a member of the group");
    let admins = app
        .get("/group/admin_list")
        .token(&tb)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(
        admins
            .as_array()
            .map(|a| a.iter().map(|m| m["user_id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(bob)])
    );
    // An admin invites and kicks members but not other admins.
    let kicked = app
        .post("/group/kick")
        .token(&tb)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .ok()
        .await?;
    assert_eq!(results(&kicked), vec!["success"]);
    let removed = app
        .delete("/group/admin/remove")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob, cid]}))
        .ok()
        .await?;
    assert_eq!(results(&removed), vec!["success", "fail"]);
    app.post("/group/admin/remove")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob]}))
        .ok()
        .await?;
    let admins = app
        .get("/group/admin_list")
        .token(&tb)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert_eq!(admins, json!([]));
    Ok(())
}
api_test!(the_owner_names_and_removes_admins);

async fn kicks_are_limited_and_the_owner_leaves_only_after_a_transfer(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, _) = app.user("cid").await?;
    let g = create(app, &to, &[]).await?;
    app.post("/group/settings/require_admin_approval")
        .token(&to)
        .json(json!({"group_id": g, "apply_approval": 0}))
        .ok()
        .await?;
    for round in 0..4 {
        app.post("/group/apply")
            .token(&tb)
            .json(json!({"group_id": g}))
            .ok()
            .await?;
        let method = if round % 2 == 0 {
            Method::POST
        } else {
            Method::DELETE
        };
        let kicked = app
            .call(method, "/group/kick")
            .token(&to)
            .json(json!({"group_id": g, "user_list": [bob]}))
            .ok()
            .await?;
        assert_eq!(results(&kicked), vec!["success"]);
    }
    app.post("/group/apply")
        .token(&tb)
        .json(json!({"group_id": g}))
        .refused(20016)
        .await?;

    app.post("/group/leave")
        .token(&to)
        .query(&[("group_id", g)])
        .refused(20004)
        .await?;
    app.post("/group/leave")
        .token(&tb)
        .query(&[("group_id", g)])
        .refused(20002)
        .await?;
    app.post("/group/transfer")
        .token(&to)
        .json(json!({"group_id": g, "new_owner": cid}))
        .refused(20005)
        .await?;
    let (dan, td) = app.user("dan").await?;
    app.post("/group/apply")
        .token(&td)
        .json(json!({"group_id": g}))
        .ok()
        .await?;
    app.post("/group/transfer")
        .token(&td)
        .json(json!({"group_id": g, "new_owner": dan}))
        .refused(20013)
        .await?;
    let moved = app
        .put("/group/transfer")
        .token(&to)
        .json(json!({"group_id": g, "new_owner": dan}))
        .ok()
        .await?;
    assert_eq!(moved["user_id"], dan);
    assert_eq!(info(app, &td, g).await?["owner_id"], dan);
    app.delete("/group/leave")
        .token(&to)
        .query(&[("group_id", g)])
        .ok()
        .await?;
    assert!(!member_ids(app, &td, g, "10").await?.contains(&owner));
    Ok(())
}
api_test!(kicks_are_limited_and_the_owner_leaves_only_after_a_transfer);

async fn invitations_wait_for_consent(app: &TestApp) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    let (dan, _) = app.user("dan").await?;
    for token in [&tb, &tc] {
        app.post("/user/settings")
            .token(token)
            .json(json!({"group_confirm": true}))
            .ok()
            .await?;
    }
    let g = create(app, &to, &[]).await?;
    let outcomes = app
        .post("/group/invite")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob, cid, dan, 4242], "reason": "join us"}))
        .ok()
        .await?;
    assert_eq!(
        results(&outcomes),
        vec!["success", "success", "success", "fail"]
    );
    let members = member_ids(app, &to, g, "10").await?;
    assert!(
        members.contains(&dan) && !members.contains(&bob),
        "{members:?}"
    );
    let list = app.get("/group/invitation_list").token(&tb).send().await?;
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["group_id"], g);
    assert_eq!(list["data"][0]["inviter_id"], owner);
    assert_eq!(list["data"][0]["reason"], "join us");
    assert_eq!(list["data"][0]["status"], 0);
    assert!(
        list["data"][0]["updated_at"]
            .as_str()
            .is_some_and(|t| t.contains('T'))
    );
    // Accept naming the inviter; decline naming oneself.
    app.post("/group/invite/handle")
        .token(&tb)
        .json(json!({"group_id": g, "user_id": owner, "approval": true}))
        .ok()
        .await?;
    app.put("/group/invite/handle")
        .token(&tc)
        .json(json!({"group_id": g, "user_id": cid, "approval": false}))
        .ok()
        .await?;
    app.post("/group/invite/handle")
        .token(&tc)
        .json(json!({"group_id": g, "user_id": cid, "approval": true}))
        .refused(20015)
        .await?;
    let members = member_ids(app, &to, g, "10").await?;
    assert!(members.contains(&bob) && !members.contains(&cid));
    // With member_invite off only admins invite.
    app.post("/group/settings/allow_member_invitation")
        .token(&to)
        .json(json!({"group_id": g, "value": false}))
        .ok()
        .await?;
    app.post("/group/invite")
        .token(&tb)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .refused(20012)
        .await?;
    let again = app
        .post("/group/invite")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob]}))
        .ok()
        .await?;
    assert_eq!(again[0]["reason"], "already a member of the group");
    Ok(())
}
api_test!(invitations_wait_for_consent);

async fn applications_follow_apply_approval(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    let g = create(app, &to, &[]).await?;
    let h = create(app, &to, &[]).await?;
    let waiting = app
        .post("/group/apply")
        .token(&tb)
        .json(json!({"group_id": g, "reason": "let me in"}))
        .ok()
        .await?;
    assert_eq!(waiting["result"], "success");
    assert!(waiting["reason"].is_string());
    app.post("/group/apply")
        .token(&tc)
        .json(json!({"group_id": h}))
        .ok()
        .await?;
    let list = app
        .post("/group/application_list")
        .token(&to)
        .json(json!({"group_list": [g, h]}))
        .send()
        .await?;
    assert_eq!(list["total"], 2);
    assert_eq!(list["data"][0]["applicant_id"], cid, "newest first");
    assert_eq!(list["data"][1]["reason"], "let me in");
    app.post("/group/application_list")
        .token(&tb)
        .json(json!({"group_list": [g]}))
        .refused(20012)
        .await?;
    app.post("/group/apply/handle")
        .token(&to)
        .json(json!({"group_id": g, "user_id": bob, "approval": true}))
        .ok()
        .await?;
    app.put("/group/apply/handle")
        .token(&to)
        .json(json!({"group_id": h, "user_id": cid, "approval": false}))
        .ok()
        .await?;
    app.post("/group/apply/handle")
        .token(&to)
        .json(json!({"group_id": h, "user_id": cid, "approval": true}))
        .refused(20014)
        .await?;
    assert!(member_ids(app, &to, g, "10").await?.contains(&bob));
    assert!(!member_ids(app, &to, h, "10").await?.contains(&cid));
    app.post("/group/apply")
        .token(&tb)
        .json(json!({"group_id": g}))
        .refused(20017)
        .await?;
    app.post("/group/settings/require_admin_approval")
        .token(&to)
        .json(json!({"group_id": h, "apply_approval": 2}))
        .ok()
        .await?;
    app.post("/group/apply")
        .token(&tc)
        .json(json!({"group_id": h}))
        .refused(10010)
        .await?;
    app.post("/group/apply")
        .token(&tc)
        .json(json!({"group_id": 4242}))
        .refused(20001)
        .await?;
    Ok(())
}
api_test!(applications_follow_apply_approval);

async fn mutes_and_the_blacklist(app: &TestApp) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    let g = create(app, &to, &[bob, cid]).await?;
    app.post("/group/ban")
        .token(&tb)
        .json(json!({"group_id": g, "user_list": [cid], "duration": 5}))
        .refused(20012)
        .await?;
    let muted = app
        .post("/group/ban")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [cid, owner], "duration": 5}))
        .ok()
        .await?;
    assert_eq!(results(&muted), vec!["success", "fail"]);
    let list = app
        .get("/group/banned_list")
        .token(&tb)
        .query(&[("group_id", g)])
        .send()
        .await?;
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["user_id"], cid);
    assert!(list["data"][0]["expired_time"].as_i64().unwrap_or_default() > 0);
    app.post("/group/unban")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .ok()
        .await?;
    assert_eq!(
        app.get("/group/banned_list")
            .token(&tb)
            .query(&[("group_id", g)])
            .ok()
            .await?,
        json!([])
    );

    let blocked = app
        .post("/group/block")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [cid, 4242]}))
        .ok()
        .await?;
    assert_eq!(results(&blocked), vec!["success", "fail"]);
    assert!(!member_ids(app, &to, g, "10").await?.contains(&cid));
    app.post("/group/settings/require_admin_approval")
        .token(&to)
        .json(json!({"group_id": g, "apply_approval": 0}))
        .ok()
        .await?;
    app.post("/group/apply")
        .token(&tc)
        .json(json!({"group_id": g}))
        .refused(20018)
        .await?;
    let invited = app
        .post("/group/invite")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .ok()
        .await?;
    assert_eq!(invited[0]["reason"], "in the group's blacklist");
    let list = app
        .get("/group/blocked_list")
        .token(&to)
        .query(&[("group_id", g)])
        .send()
        .await?;
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["user_id"], cid);
    assert!(
        list["data"][0]["created_at"]
            .as_str()
            .is_some_and(|t| t.contains('T'))
    );
    app.get("/group/blocked_list")
        .token(&tb)
        .query(&[("group_id", g)])
        .refused(20012)
        .await?;
    app.delete("/group/unblock")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .ok()
        .await?;
    app.post("/group/apply")
        .token(&tc)
        .json(json!({"group_id": g}))
        .ok()
        .await?;
    app.post("/group/unblock")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob]}))
        .ok()
        .await?;
    Ok(())
}
api_test!(mutes_and_the_blacklist);

async fn per_member_names_and_message_modes(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let g = create(app, &to, &[bob]).await?;
    app.post("/group/display_name")
        .token(&tb)
        .json(json!({"group_id": g, "value": "Bobby"}))
        .ok()
        .await?;
    app.put("/group/display_name")
        .token(&tb)
        .json(json!({"group_id": g, "value": "Robert"}))
        .ok()
        .await?;
    let named = app
        .post("/group/members/display_name")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob, 4242]}))
        .ok()
        .await?;
    assert_eq!(named.as_array().map(Vec::len), Some(1));
    assert_eq!(named[0]["display_name"], "Robert");
    for method in [Method::POST, Method::PUT] {
        let mute = app
            .call(method.clone(), "/group/msg/mute_mode")
            .token(&tb)
            .json(json!({"group_id": g, "msg_mute_mode": 2}))
            .ok()
            .await?;
        assert!(mute.is_null());
        app.call(method, "/group/msg/push_mode")
            .token(&tb)
            .json(json!({"group_id": g, "msg_push_mode": 4}))
            .ok()
            .await?;
    }
    let mine = info(app, &tb, g).await?;
    assert_eq!(
        (mine["msg_mute_mode"].clone(), mine["msg_push_mode"].clone()),
        (json!(2), json!(4))
    );
    assert_eq!(
        info(app, &to, g).await?["msg_push_mode"],
        0,
        "modes are per member"
    );
    app.post("/group/msg/push_mode")
        .token(&tb)
        .json(json!({"group_id": g, "msg_push_mode": 5}))
        .refused(20003)
        .await?;
    app.post("/group/msg/mute_mode")
        .token(&tb)
        .json(json!({"group_id": g, "msg_mute_mode": 3}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(per_member_names_and_message_modes);

async fn limits_refuse_with_their_codes(app: &TestApp) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let mut users = Vec::new();
    for i in 0..3 {
        users.push(app.user(&format!("u{i}")).await?.0);
    }
    app.post("/group/create")
        .token(&to)
        .json(json!({"user_list": users}))
        .refused(20010)
        .await?;
    let g = create(app, &to, &users[..1]).await?;
    let outcomes = app
        .post("/group/invite")
        .token(&to)
        .json(json!({"group_id": g, "user_list": users[1..]}))
        .ok()
        .await?;
    assert_eq!(results(&outcomes), vec!["success", "fail"]);
    assert_eq!(outcomes[1]["reason"], "the group is full");
    create(app, &to, &[]).await?;
    app.post("/group/create")
        .token(&to)
        .json(json!({}))
        .refused(20008)
        .await?;
    Ok(())
}
api_test!(limits_refuse_with_their_codes, |config| {
    config.groups.capacity = 3;
    config.groups.max_owned = 2;
});

async fn admin_tokens_act_as_group_admin_and_apps_stay_apart(app: &TestApp) -> anyhow::Result<()> {
    let (owner, to) = app.user("owner").await?;
    let (bob, _) = app.user("bob").await?;
    let g = create(app, &to, &[bob]).await?;
    let as_group_admin = app
        .admin(Method::POST, "/group/kick")
        .header("group_id", &g.to_string())
        .json(json!({"group_id": g, "user_list": [bob]}))
        .ok()
        .await?;
    assert_eq!(results(&as_group_admin), vec!["success"]);
    app.admin(Method::POST, "/group/destroy")
        .header("group_id", &g.to_string())
        .query(&[("group_id", g)])
        .refused(20013)
        .await?;
    let room = app
        .admin_as(owner, Method::POST, "/group/create")
        .json(json!({"name": "lobby", "type": 2}))
        .ok()
        .await?;
    let public = app.get("/group/public_list").token(&to).ok().await?;
    assert_eq!(public, json!([room["group_id"]]));

    let users = tidings_app::users_service(&app.config).await?;
    let other = users.create_app("other").await?;
    app.call_in(other.app.id.as_str(), Method::GET, "/group/info")
        .token(&other.admin_token)
        .query(&[("group_id", g)])
        .refused(20001)
        .await?;
    Ok(())
}
api_test!(admin_tokens_act_as_group_admin_and_apps_stay_apart);
