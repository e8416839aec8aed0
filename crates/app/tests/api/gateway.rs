//! The WebSocket gateway: live delivery to every device, gapless catch-up, receipts,
//! recalls, roster and group events, presence, kicks, slow consumers and idle timeouts.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::groups::create;
use crate::messages;
use crate::support::{TestApp, api_test, id, text};
use crate::ws::{AWAY, KICKED, SLOW, Ws};

/// A 1:1 text message over REST; its id.
async fn send(app: &TestApp, token: &str, to: i64, content: &str) -> anyhow::Result<i64> {
    messages::send(app, token, to, 1, content).await
}

/// `online_status` of a user, as the admin sees it.
async fn online(app: &TestApp, user: i64) -> anyhow::Result<Value> {
    let status = app
        .admin_as(user, Method::GET, "/user/online_status")
        .ok()
        .await?;
    Ok(status["online"].clone())
}

/// (position, conversation, msg_id, content) of a message frame.
fn parts(frame: &Value) -> (i64, i64, i64, String) {
    (
        frame["position"].as_i64().unwrap_or(-1),
        frame["conversation_id"].as_i64().unwrap_or(-1),
        frame["message"]["msg_id"].as_i64().unwrap_or(-1),
        frame["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

async fn every_device_of_both_sides_gets_a_message_live(app: &TestApp) -> anyhow::Result<()> {
    let ann = app.register("ann", "secret-pw").await?;
    let phone = text(&app.login("ann", "secret-pw", Some("phone")).await?["token"])?;
    let laptop = text(&app.login("ann", "secret-pw", Some("laptop")).await?["token"])?;
    let (bob, tb) = app.user("bob").await?;
    let mut bob_ws = Ws::connect(app, &tb, None).await?;
    assert_eq!(bob_ws.hello["user_id"], bob);
    assert_eq!(bob_ws.hello["position"], 0);
    let mut ann_phone = Ws::connect(app, &phone, None).await?;
    let mut ann_laptop = Ws::connect(app, &laptop, None).await?;
    assert_eq!(ann_laptop.hello["device_sn"], 2);

    let m1 = send(app, &phone, bob, "over REST").await?;
    let got = bob_ws.message().await?;
    assert_eq!(parts(&got), (1, ann, m1, "over REST".into()));
    assert_eq!(got["message"]["type"], "CHAT");
    assert_eq!(got["message"]["ctype"], "TEXT");
    assert_eq!(got["message"]["from_xid"]["uid"], ann);
    for ws in [&mut ann_phone, &mut ann_laptop] {
        assert_eq!(
            parts(&ws.message().await?),
            (1, bob, m1, "over REST".into())
        );
    }

    // Over the socket, with a client id echoed in the answer.
    ann_laptop
        .send(json!({"op": "send", "id": "c-1", "targets": [bob], "type": 1, "content": "over WS"}))
        .await?;
    let sent = ann_laptop.next_op("sent").await?;
    assert_eq!(sent["id"], "c-1");
    let m2 = id(&sent["msg_ids"][0])?;
    assert_eq!(
        parts(&bob_ws.message().await?),
        (2, ann, m2, "over WS".into())
    );
    assert_eq!(parts(&ann_phone.message().await?).2, m2);

    // The same rules as REST: a refusal carries the spec's code and the client id.
    ann_laptop
        .send(json!({"op": "send", "id": 7, "targets": [424242], "type": 1, "content": "x"}))
        .await?;
    let refused = ann_laptop.next_op("error").await?;
    assert_eq!(
        (refused["id"].clone(), refused["code"].clone()),
        (json!(7), json!(10000))
    );
    ann_laptop.send(json!({"op": "nonsense"})).await?;
    assert_eq!(ann_laptop.next_op("error").await?["code"], 10002);
    ann_laptop.send(json!({"op": "ping", "id": "p"})).await?;
    assert_eq!(ann_laptop.next_op("pong").await?["id"], "p");
    Ok(())
}
api_test!(every_device_of_both_sides_gets_a_message_live);

async fn a_reconnecting_device_gets_exactly_what_it_missed_in_order(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let mut ws = Ws::connect(app, &tb, None).await?;
    send(app, &ta, bob, "m1").await?;
    assert_eq!(parts(&ws.message().await?).0, 1);
    drop(ws);
    for n in 2..=4 {
        send(app, &ta, bob, &format!("m{n}")).await?;
    }
    let mut ws = Ws::connect(app, &tb, Some(1)).await?;
    assert_eq!(ws.hello["position"], 4);
    for n in 2..=4 {
        let (position, conversation, _, content) = parts(&ws.message().await?);
        assert_eq!((position, conversation, content), (n, ann, format!("m{n}")));
    }
    send(app, &ta, bob, "m5").await?;
    assert_eq!(
        parts(&ws.message().await?).0,
        5,
        "live after the catch-up, no repeat"
    );
    ws.silent(Duration::from_millis(300)).await?;

    // An explicit sync from any position, with paging.
    ws.send(json!({"op": "sync", "id": "s", "after": 2, "limit": 2}))
        .await?;
    let first = ws.message().await?;
    let second = ws.message().await?;
    assert_eq!((parts(&first).0, parts(&second).0), (3, 4));
    let done = ws.next_op("synced").await?;
    assert_eq!(
        done,
        json!({"op": "synced", "id": "s", "position": 4, "more": true})
    );
    Ok(())
}
api_test!(a_reconnecting_device_gets_exactly_what_it_missed_in_order);

async fn concurrent_senders_reach_a_device_gapless_and_once(app: &TestApp) -> anyhow::Result<()> {
    let (bob, tb) = app.user("bob").await?;
    let mut senders = Vec::new();
    for name in ["ann", "cid", "dan", "eve"] {
        senders.push(app.user(name).await?.1);
    }
    let mut ws = Ws::connect(app, &tb, None).await?;
    let mut tasks = Vec::new();
    for token in senders {
        for n in 0..10 {
            let (app_base, token) = (app, token.clone());
            tasks.push(async move { send(app_base, &token, bob, &format!("{n}")).await });
        }
    }
    for result in futures_util::future::join_all(tasks).await {
        result?;
    }
    for expected in 1..=40 {
        assert_eq!(parts(&ws.message().await?).0, expected);
    }
    ws.silent(Duration::from_millis(300)).await?;
    Ok(())
}
api_test!(concurrent_senders_reach_a_device_gapless_and_once);

async fn read_receipts_recalls_and_online_only_go_live(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let mut ann_ws = Ws::connect(app, &ta, None).await?;
    let mut bob_ws = Ws::connect(app, &tb, None).await?;
    let m1 = send(app, &ta, bob, "read me").await?;
    bob_ws.message().await?;
    ann_ws.message().await?;

    bob_ws
        .send(json!({"op": "read", "id": 1, "conversation_id": ann, "msg_id": m1}))
        .await?;
    assert_eq!(bob_ws.next_op("ok").await?["id"], 1);
    let receipt = ann_ws.next_op("read").await?;
    assert_eq!(
        receipt,
        json!({"op": "read", "reader": bob, "conversation_id": ann, "msg_id": m1})
    );
    assert_eq!(app.get("/message/unread").token(&tb).ok().await?, json!([]));

    app.post("/message/recall")
        .token(&ta)
        .json(json!({"conversation_id": bob, "msg_id": m1}))
        .ok()
        .await?;
    let recall = bob_ws.message().await?;
    assert_eq!(recall["message"]["ctype"], "RECALL");
    assert_eq!(recall["message"]["related_mid"], m1);
    assert_eq!(ann_ws.message().await?["message"]["ctype"], "RECALL");

    // online_only: delivered to connected devices, never stored.
    let answer = app
        .post("/message/send")
        .token(&ta)
        .json(json!({"targets": [bob], "type": 1, "content": "typing", "content_type": 6, "online_only": true}))
        .ok()
        .await?;
    assert_eq!(answer, json!(true));
    let live = bob_ws.message().await?;
    assert_eq!(
        (live["position"].clone(), live["message"]["content"].clone()),
        (json!(0), json!("typing"))
    );
    let history = app
        .get("/message/conversation")
        .token(&tb)
        .query(&[("opposite_id", ann)])
        .ok()
        .await?;
    let contents: Vec<&Value> = history["messages"]
        .as_array()
        .map(|m| m.iter().map(|m| &m["ctype"]).collect())
        .unwrap_or_default();
    assert_eq!(
        contents,
        vec!["RECALL", "TEXT"],
        "the online_only message was not stored"
    );
    Ok(())
}
api_test!(read_receipts_recalls_and_online_only_go_live);

async fn roster_and_group_events_reach_connected_devices(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let (cid, tc) = app.user("cid").await?;
    let mut bob_ws = Ws::connect(app, &tb, None).await?;
    let mut cid_ws = Ws::connect(app, &tc, None).await?;
    app.post("/roster/apply")
        .token(&ta)
        .json(json!({"user_id": bob, "reason": "hi"}))
        .ok()
        .await?;
    let event = bob_ws.next_op("roster").await?;
    assert_eq!(
        (event["from"].clone(), event["to"].clone()),
        (json!(ann), json!(bob))
    );

    let group = create(app, &ta, &[bob]).await?;
    let created = bob_ws.next_op("group").await?;
    assert_eq!(
        (created["event"].clone(), created["group_id"].clone()),
        (json!("created"), json!(group))
    );
    app.post("/group/invite")
        .token(&ta)
        .json(json!({"group_id": group, "user_list": [cid]}))
        .ok()
        .await?;
    let to_cid = cid_ws.next_op("group").await?;
    assert_eq!(to_cid["group_id"], group);
    let seen_by_bob = bob_ws.next_op("group").await?;
    assert_eq!(seen_by_bob["group_id"], group);

    // A group message reaches every member's device with each one's own position.
    let answer = app
        .post("/message/send")
        .token(&ta)
        .json(json!({"targets": [group], "type": 2, "content": "all hands"}))
        .send()
        .await?;
    anyhow::ensure!(answer["code"] == 200, "{answer}");
    let got = bob_ws.message().await?;
    assert_eq!(got["conversation_id"], group);
    assert_eq!(got["message"]["type"], "GROUPCHAT");
    Ok(())
}
api_test!(roster_and_group_events_reach_connected_devices);

async fn presence_and_kicks_close_the_right_connections(app: &TestApp) -> anyhow::Result<()> {
    let id = app.register("ann", "secret-pw").await?;
    let phone = text(&app.login("ann", "secret-pw", Some("phone")).await?["token"])?;
    let laptop = text(&app.login("ann", "secret-pw", Some("laptop")).await?["token"])?;
    assert_eq!(online(app, id).await?, json!(false));
    let mut phone_ws = Ws::connect(app, &phone, None).await?;
    let mut laptop_ws = Ws::connect(app, &laptop, None).await?;
    assert_eq!(online(app, id).await?, json!(true));

    app.post("/user/kick")
        .token(&laptop)
        .query(&[("device_sn", "1")])
        .ok()
        .await?;
    let (frames, code) = phone_ws.until_closed().await?;
    assert_eq!(
        frames.last().map(|f| f["op"].clone()),
        Some(json!("kicked"))
    );
    assert_eq!(code, Some(KICKED));
    assert_eq!(
        online(app, id).await?,
        json!(true),
        "the laptop is still connected"
    );
    laptop_ws.send(json!({"op": "ping"})).await?;
    laptop_ws.next_op("pong").await?;

    // The kicked token no longer opens a socket; removing a device closes its socket.
    assert!(Ws::connect(app, &phone, None).await.is_err());
    app.delete("/user/device/remove")
        .token(&laptop)
        .query(&[("device_sn", "2")])
        .ok()
        .await?;
    assert_eq!(laptop_ws.until_closed().await?.1, Some(KICKED));
    assert_eq!(online(app, id).await?, json!(false));
    Ok(())
}
api_test!(presence_and_kicks_close_the_right_connections);

async fn only_user_tokens_open_a_socket(app: &TestApp) -> anyhow::Result<()> {
    let url = format!("{}/ws", app.base.replacen("http", "ws", 1));
    assert!(tokio_tungstenite::connect_async(url.clone()).await.is_err());
    let admin = format!(
        "{url}?app_id={}&access-token={}",
        app.app.app_id, app.app.admin_token
    );
    assert!(tokio_tungstenite::connect_async(admin).await.is_err());
    let (status, body) = app.raw_without_app_id("/ws").await?;
    assert_eq!((status.as_u16(), body["code"].clone()), (200, json!(40000)));
    Ok(())
}
api_test!(only_user_tokens_open_a_socket);

async fn a_consumer_that_falls_behind_is_closed_and_loses_nothing(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ta) = app.user("ann").await?;
    let (bob, tb) = app.user("bob").await?;
    let mut ws = Ws::connect(app, &tb, None).await?;
    // Bob does not read while large messages pile up past the socket buffers and the
    // 4-event queue.
    let big = "x".repeat(60_000);
    for _ in 0..150 {
        send(app, &ta, bob, &big).await?;
    }
    let (frames, code) = ws.until_closed().await?;
    assert_eq!(code, Some(SLOW));
    let last = frames
        .iter()
        .filter(|f| f["op"] == "message")
        .map(|f| parts(f).0)
        .collect::<Vec<_>>();
    assert!(last.len() < 150, "closed before everything was sent");
    assert!(
        last.iter().enumerate().all(|(i, p)| *p == i as i64 + 1),
        "in order"
    );
    let seen = last.last().copied().unwrap_or(0);
    let mut ws = Ws::connect(app, &tb, Some(seen)).await?;
    for expected in seen + 1..=150 {
        let (position, conversation, _, _) = parts(&ws.message().await?);
        assert_eq!((position, conversation), (expected, ann));
    }
    Ok(())
}
api_test!(
    a_consumer_that_falls_behind_is_closed_and_loses_nothing,
    |c| {
        c.gateway.queue = 4;
    }
);

/// The same, with room for 1024 events but only 256 KiB of them.
async fn a_consumer_over_its_queue_bytes_is_closed_and_loses_nothing(
    app: &TestApp,
) -> anyhow::Result<()> {
    a_consumer_that_falls_behind_is_closed_and_loses_nothing(app).await
}
api_test!(
    a_consumer_over_its_queue_bytes_is_closed_and_loses_nothing,
    |c| {
        c.gateway.queue = 1024;
        c.gateway.queue_bytes = 256 << 10;
    }
);

async fn a_silent_client_is_closed_after_the_idle_timeout(app: &TestApp) -> anyhow::Result<()> {
    let (bob, tb) = app.user("bob").await?;
    let mut ws = Ws::connect(app, &tb, None).await?;
    assert_eq!(online(app, bob).await?, json!(true));
    // Not reading, so the client library answers no ping: the server gives up on it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(online(app, bob).await?, json!(false));
    let (_, code) = ws.until_closed().await?;
    // The close frame may be lost to the reset that the late pongs provoke.
    assert!(matches!(code, None | Some(AWAY)), "{code:?}");
    Ok(())
}
api_test!(a_silent_client_is_closed_after_the_idle_timeout, |c| {
    c.gateway.heartbeat = std::time::Duration::from_millis(500);
    c.gateway.idle_timeout = std::time::Duration::from_millis(1500);
});
