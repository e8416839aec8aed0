//! MaxIM §6: sending, history, unread counts, acknowledgements, recall and dedup.

use reqwest::Method;
use serde_json::{Value, json};

use crate::groups::create;
use crate::support::{TestApp, api_test, id};

pub async fn send(
    app: &TestApp,
    token: &str,
    to: i64,
    kind: i64,
    content: &str,
) -> anyhow::Result<i64> {
    let answer = app
        .post("/message/send")
        .token(token)
        .json(json!({"targets": [to], "type": kind, "content_type": 0, "content": content}))
        .send()
        .await?;
    anyhow::ensure!(answer["code"] == 200, "{answer}");
    id(&answer["msg_ids"][0])
}

async fn history(app: &TestApp, token: &str, opposite: i64) -> anyhow::Result<Value> {
    app.get("/message/conversation")
        .token(token)
        .query(&[("opposite_id", opposite)])
        .ok()
        .await
}

async fn a_message_is_stored_read_back_and_counted_unread_until_acked(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let m1 = send(app, &ta, bob, 1, "hello").await?;
    let m2 = send(app, &ta, bob, 1, "are you there?").await?;
    let unread = app.get("/message/unread").token(&tb).ok().await?;
    assert_eq!(unread, json!([{"conversation_id": {"uid": ann}, "num": 2}]));
    assert_eq!(app.get("/message/unread").token(&ta).ok().await?, json!([]));

    let page = history(app, &tb, ann).await?;
    assert_eq!(page["is_last"], true);
    let messages = page["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["msg_id"], m2, "newest first");
    assert_eq!(messages[1]["content"], "hello");
    assert_eq!(messages[1]["ctype"], "TEXT");
    assert_eq!(messages[1]["from_xid"]["uid"], ann);
    assert_eq!(messages[1]["to_xid"]["uid"], bob);
    assert_eq!(messages[1]["status"], "UNREAD");
    assert_eq!(
        history(app, &ta, bob).await?["messages"][0]["status"],
        "UNREAD"
    );

    app.get("/message/ack")
        .token(&tb)
        .query(&[("conversation_id", ann), ("msg_id", m1)])
        .ok()
        .await?;
    let unread = app.get("/message/unread").token(&tb).ok().await?;
    assert_eq!(unread[0]["num"], 1);
    app.get("/message/ack")
        .token(&tb)
        .query(&[("conversation_id", ann), ("msg_id", m2)])
        .ok()
        .await?;
    assert_eq!(app.get("/message/unread").token(&tb).ok().await?, json!([]));
    // The sender now sees READ.
    assert_eq!(
        history(app, &ta, bob).await?["messages"][0]["status"],
        "READ"
    );
    app.get("/message/ack")
        .token(&tb)
        .query(&[("conversation_id", 4242), ("msg_id", m2)])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(a_message_is_stored_read_back_and_counted_unread_until_acked);

async fn history_pages_backwards(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, _) = app.user("bob").await?;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(send(app, &ta, bob, 1, &format!("m{i}")).await?);
    }
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let page = app
            .get("/message/conversation")
            .token(&ta)
            .query(&[("opposite_id", bob), ("msg_id_start", start), ("limit", 2)])
            .ok()
            .await?;
        for m in page["messages"].as_array().cloned().unwrap_or_default() {
            seen.push(id(&m["msg_id"])?);
        }
        if page["is_last"] == true {
            break;
        }
        start = id(&page["next_msg_id"])?;
    }
    ids.reverse();
    assert_eq!(seen, ids);
    app.get("/message/conversation")
        .token(&ta)
        .query(&[("opposite_id", bob), ("limit", 0)])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(history_pages_backwards);

async fn sends_are_refused_by_blocks_unknown_targets_and_bad_input(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    app.post("/roster/block")
        .token(&tb)
        .query(&[("user_id", ann)])
        .ok()
        .await?;
    let body = |to: i64, kind: i64| json!({"targets": [to], "type": kind, "content": "x"});
    app.post("/message/send")
        .token(&ta)
        .json(body(bob, 1))
        .refused(10006)
        .await?;
    app.post("/message/send")
        .token(&ta)
        .json(body(4242, 1))
        .refused(10000)
        .await?;
    app.post("/message/send")
        .token(&ta)
        .json(body(bob, 3))
        .refused(10002)
        .await?;
    app.post("/message/send")
        .token(&ta)
        .json(json!({"targets": [bob], "type": 1, "content_type": 8}))
        .refused(10002)
        .await?;
    app.post("/message/send")
        .token(&ta)
        .json(json!({"targets": [bob], "type": 1, "content": "x".repeat(64 * 1024 + 1)}))
        .refused(10002)
        .await?;
    // online_only follows the same rules.
    app.post("/message/send")
        .token(&ta)
        .json(json!({"targets": [bob], "type": 1, "content": "x", "online_only": true}))
        .refused(10006)
        .await?;
    app.post("/message/send")
        .token(&tb)
        .json(json!({"targets": [ann], "type": 1, "content": "x", "from_user_id": ann}))
        .refused(10010)
        .await?;
    // The blocker may still write; an admin sends as anyone with from_user_id.
    send(app, &tb, ann, 1, "ok").await?;
    let answer = app
        .admin(Method::PUT, "/message/send")
        .json(json!({"targets": [ann], "type": 1, "content": "from admin", "from_user_id": bob}))
        .send()
        .await?;
    assert_eq!(answer["code"], 200);
    assert_eq!(answer["msg_ids"].as_array().map(Vec::len), Some(1));
    let two = app
        .post("/message/send")
        .token(&tb)
        .json(json!({"targets": [ann, ann], "type": 1, "content": "twice"}))
        .send()
        .await?;
    assert_eq!(two["code"], 200);
    assert!(
        two.get("msg_ids").is_none(),
        "msg_ids only for one receiver: {two}"
    );
    Ok(())
}
api_test!(sends_are_refused_by_blocks_unknown_targets_and_bad_input);

async fn group_messages_follow_membership_mutes_and_history_visibility(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, to) = app.user("owner").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    let g = create(app, &to, &[bob]).await?;
    let before = send(app, &to, g, 2, "before cid").await?;
    let unread = app.get("/message/unread").token(&tb).ok().await?;
    assert_eq!(unread, json!([{"conversation_id": {"uid": g}, "num": 1}]));
    let body = json!({"targets": [g], "type": 2, "content": "x"});
    app.post("/message/send")
        .token(&tc)
        .json(body.clone())
        .refused(20002)
        .await?;
    app.post("/message/send")
        .token(&tb)
        .json(json!({"targets": [4242], "type": 2, "content": "x"}))
        .refused(20001)
        .await?;
    app.post("/group/ban")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob], "duration": 5}))
        .ok()
        .await?;
    app.post("/message/send")
        .token(&tb)
        .json(body.clone())
        .refused(10010)
        .await?;
    app.post("/group/unban")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [bob]}))
        .ok()
        .await?;
    app.post("/group/settings/ban_all")
        .token(&to)
        .json(json!({"group_id": g, "duration": 5}))
        .ok()
        .await?;
    app.post("/message/send")
        .token(&tb)
        .json(body.clone())
        .refused(10010)
        .await?;
    send(app, &to, g, 2, "admins still speak").await?;
    app.post("/group/settings/unban_all")
        .token(&to)
        .json(json!({"group_id": g}))
        .ok()
        .await?;
    send(app, &tb, g, 2, "bob speaks").await?;

    // cid joins: without history_visible nothing from before.
    app.post("/group/invite")
        .token(&to)
        .json(json!({"group_id": g, "user_list": [cid]}))
        .ok()
        .await?;
    send(app, &to, g, 2, "after cid").await?;
    let seen = history(app, &tc, g).await?;
    let contents: Vec<Value> = seen["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["content"].clone())
        .collect();
    assert_eq!(contents, vec![json!("after cid")]);
    app.post("/group/settings/history_visible")
        .token(&to)
        .json(json!({"group_id": g, "value": true}))
        .ok()
        .await?;
    let all = history(app, &tc, g).await?;
    let ids: Vec<Value> = all["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|m| m["msg_id"].clone())
        .collect();
    assert!(ids.contains(&json!(before)), "{all}");
    let (_, outsider) = app.user("outsider").await?;
    app.get("/message/conversation")
        .token(&outsider)
        .query(&[("opposite_id", g)])
        .refused(20002)
        .await?;
    Ok(())
}
api_test!(group_messages_follow_membership_mutes_and_history_visibility);

async fn recall_removes_content_everywhere_within_the_window(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let m = send(app, &ta, bob, 1, "oops").await?;
    app.post("/message/recall")
        .token(&tb)
        .json(json!({"conversation_id": ann, "msg_id": m}))
        .refused(10010)
        .await?;
    app.put("/message/recall")
        .token(&ta)
        .json(json!({"conversation_id": bob, "msg_id": m}))
        .ok()
        .await?;
    for (token, peer) in [(&ta, bob), (&tb, ann)] {
        let page = history(app, token, peer).await?;
        let original = page["messages"]
            .as_array()
            .and_then(|all| all.iter().find(|x| x["msg_id"] == m).cloned())
            .unwrap_or_default();
        assert_eq!(original["content"], "", "{page}");
        assert!(
            page["messages"]
                .as_array()
                .is_some_and(|all| all.iter().any(|x| x["ctype"] == "RECALL"))
        );
    }
    app.post("/message/recall")
        .token(&ta)
        .json(json!({"conversation_id": bob, "msg_id": m}))
        .refused(10002)
        .await?;
    // The RECALL notice does not count as unread.
    let unread = app.get("/message/unread").token(&tb).ok().await?;
    assert_eq!(unread[0]["num"], 1);
    Ok(())
}
api_test!(recall_removes_content_everywhere_within_the_window);

async fn a_repeated_transaction_id_is_sent_once(app: &TestApp) -> anyhow::Result<()> {
    let (_, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let body = json!({"targets": [bob], "type": 1, "content": "once", "transaction_id": 99});
    let first = app
        .post("/message/send")
        .token(&ta)
        .json(body.clone())
        .send()
        .await?;
    let again = app
        .post("/message/send")
        .token(&ta)
        .json(body)
        .send()
        .await?;
    assert_eq!(first["msg_ids"], again["msg_ids"]);
    assert_eq!(
        app.get("/message/unread").token(&tb).ok().await?[0]["num"],
        1
    );
    Ok(())
}
api_test!(a_repeated_transaction_id_is_sent_once);

async fn operations_edit_and_acknowledge_earlier_messages(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let m = send(app, &ta, bob, 1, "draft").await?;
    let op = |content_type: i64, content: &str| json!({"targets": [bob], "type": 1, "content_type": content_type, "content": content, "related_mid": m});
    app.post("/message/send")
        .token(&ta)
        .json(op(11, " v2"))
        .ok()
        .await?;
    let page = history(app, &tb, ann).await?;
    let edited = page["messages"]
        .as_array()
        .and_then(|all| all.iter().find(|x| x["msg_id"] == m).cloned())
        .unwrap_or_default();
    assert_eq!(edited["content"], "draft v2");
    app.post("/message/send")
        .token(&ta)
        .json(op(12, "final"))
        .ok()
        .await?;
    app.post("/message/send")
        .token(&tb)
        .json(op(12, "hijack"))
        .refused(10010)
        .await?;
    // A read ack by the receiver marks it read.
    app.post("/message/send")
        .token(&tb)
        .json(json!({"targets": [ann], "type": 1, "content_type": 9, "related_mid": m}))
        .ok()
        .await?;
    assert_eq!(app.get("/message/unread").token(&tb).ok().await?, json!([]));
    Ok(())
}
api_test!(operations_edit_and_acknowledge_earlier_messages);

async fn notify_sends_system_messages_and_conversations_can_be_deleted(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    app.post("/roster/block")
        .token(&tb)
        .query(&[("user_id", ann)])
        .ok()
        .await?;
    let body = json!({"targets": [bob], "type": 1, "content": "system says", "from_user_id": ann});
    app.post("/message/notify")
        .token(&ta)
        .json(body.clone())
        .refused(10010)
        .await?;
    let answer = app
        .admin(Method::POST, "/message/notify")
        .json(body)
        .send()
        .await?;
    assert_eq!(
        answer["code"], 200,
        "blocks do not stop system messages: {answer}"
    );
    assert_eq!(
        history(app, &tb, ann).await?["messages"][0]["content"],
        "system says"
    );
    app.delete("/message/conversation")
        .token(&tb)
        .query(&[("conversation_id", ann)])
        .ok()
        .await?;
    assert_eq!(history(app, &tb, ann).await?["messages"], json!([]));
    assert_eq!(
        history(app, &ta, bob).await?["messages"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    Ok(())
}
api_test!(notify_sends_system_messages_and_conversations_can_be_deleted);

async fn notify_without_a_sender_comes_from_the_system(app: &TestApp) -> anyhow::Result<()> {
    let (bob, tb) = app.user("bob").await?;
    let mut ws = crate::ws::Ws::connect(app, &tb, None).await?;
    let body = json!({"targets": [bob], "type": 1, "content": "maintenance at noon"});
    let answer = app
        .admin(Method::POST, "/message/notify")
        .json(body.clone())
        .send()
        .await?;
    assert_eq!(answer["code"], 200, "{answer}");
    let live = ws.message().await?;
    assert_eq!(live["conversation_id"], 0);
    assert_eq!(live["message"]["from_xid"]["uid"], 0);
    assert_eq!(live["message"]["is_system"], true);
    assert_eq!(
        history(app, &tb, 0).await?["messages"][0]["content"],
        "maintenance at noon"
    );
    let unread = app.get("/message/unread").token(&tb).ok().await?;
    assert_eq!(unread[0]["conversation_id"]["uid"], 0, "{unread}");
    // A plain send from an admin still names its sender.
    app.admin(Method::POST, "/message/send")
        .json(body)
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(notify_without_a_sender_comes_from_the_system);

async fn ids_may_be_sent_as_strings_for_javascript(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    assert!(
        bob > 1 << 53,
        "Snowflake ids are past JavaScript's exact integers"
    );
    // Exact ids as strings, in a body, as a browser must send them.
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob.to_string()}))
        .ok()
        .await?;
    let answer = app
        .post("/message/send")
        .token(&ta)
        .json(json!({"targets": [bob.to_string()], "type": "1", "content": "exact"}))
        .send()
        .await?;
    assert_eq!(answer["code"], 200, "{answer}");
    assert_eq!(
        history(app, &tb, ann).await?["messages"][0]["content"],
        "exact"
    );
    // And over the WebSocket.
    let mut ws = crate::ws::Ws::connect(app, &ta, None).await?;
    ws.send(
        json!({"op": "send", "id": 1, "targets": [bob.to_string()], "type": 1, "content": "ws"}),
    )
    .await?;
    assert!(ws.next_op("sent").await?["msg_ids"][0].is_i64());
    // A string that is not an integer is a bad parameter.
    app.post("/message/send")
        .token(&ta)
        .json(json!({"targets": [format!("{bob}x")], "type": 1, "content": "no"}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(ids_may_be_sent_as_strings_for_javascript);
