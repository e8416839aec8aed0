//! MaxIM §4: push tasks to audiences, delivered as `push` frames to the devices with a
//! connection open (the mxpush channel), and their counts per channel.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, api_test, id, text};
use crate::ws::Ws;

/// A user logged in on a device: (user id, token, the device's push token).
async fn on_device(app: &TestApp, name: &str) -> anyhow::Result<(i64, String, String)> {
    let user = app.register(name, "secret-pw").await?;
    let login = app
        .login(name, "secret-pw", Some(&format!("{name}-phone")))
        .await?;
    Ok((user, text(&login["token"])?, text(&login["push_token"])?))
}

/// Creates a push task with the admin token: its id.
pub async fn notify(app: &TestApp, body: Value) -> anyhow::Result<i64> {
    let v = app
        .admin(Method::POST, "/push/notify")
        .json(body)
        .ok()
        .await?;
    id(&v["task_id"])
}

fn push(audience: Value, title: &str, badge: &str) -> Value {
    json!({"audience": audience, "message": {"title": title, "body": "b", "badge": badge}})
}

/// The counts of a task once its count `field` (such as `mxpush_received`) reaches `value`
/// (deliveries and receipts are written after the answer), or after 10 s.
pub async fn detail(app: &TestApp, task: i64, field: &str, value: i64) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let list = app
            .admin(Method::POST, "/push/task/detail")
            .json(json!({"list": [task]}))
            .ok()
            .await?;
        let d = list[0].clone();
        if d[field] == value || tokio::time::Instant::now() > deadline {
            return Ok(d);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_push_reaches_the_connected_devices_of_its_audience(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ann_t, _) = on_device(app, "ann").await?;
    let (_, bob_t, bob_push) = on_device(app, "bob").await?;
    // Cyd is in every audience below but has no connection open.
    let (cyd, cyd_t, _) = on_device(app, "cyd").await?;
    for t in [&ann_t, &cyd_t] {
        app.post("/user/push/tag")
            .token(t)
            .json(json!({"tags": ["vip"]}))
            .ok()
            .await?;
    }
    app.post("/user/push/alias")
        .token(&bob_t)
        .json(json!({"alias": "bobby"}))
        .ok()
        .await?;
    let mut ann_ws = Ws::connect(app, &ann_t, None).await?;
    let mut bob_ws = Ws::connect(app, &bob_t, None).await?;

    let by_tag = notify(app, push(json!({"tag": ["vip"]}), "tag", "")).await?;
    let frame = ann_ws.next_op("push").await?;
    assert_eq!(frame["task_id"], by_tag, "{frame}");
    assert_eq!(
        (
            &frame["type"],
            &frame["title"],
            &frame["body"],
            &frame["badge"]
        ),
        (&json!("text"), &json!("tag"), &json!("b"), &json!(1))
    );
    let by_alias = notify(app, push(json!({"alias": ["bobby"]}), "alias", "+2")).await?;
    let frame = bob_ws.next_op("push").await?;
    assert_eq!(
        (&frame["task_id"], &frame["badge"]),
        (&json!(by_alias), &json!(2))
    );
    let by_user = notify(app, push(json!({"user_id": [ann, cyd]}), "user", "")).await?;
    let frame = ann_ws.next_op("push").await?;
    assert_eq!(
        (&frame["task_id"], &frame["badge"]),
        (&json!(by_user), &json!(2))
    );
    let by_token = notify(app, push(json!({"push_token": [bob_push]}), "token", "")).await?;
    let frame = bob_ws.next_op("push").await?;
    assert_eq!(
        (&frame["task_id"], &frame["badge"]),
        (&json!(by_token), &json!(3))
    );
    // "all" with a badge that sets it; ext reaches the app as an object.
    let everyone = json!({"audience": "all", "message": {"title": "all", "badge": "5",
        "ext": {"k": 1}}});
    let all = notify(app, everyone).await?;
    for ws in [&mut ann_ws, &mut bob_ws] {
        let frame = ws.next_op("push").await?;
        assert_eq!(
            (&frame["task_id"], &frame["badge"]),
            (&json!(all), &json!(5))
        );
        assert_eq!(frame["ext"], json!({"k": 1}));
    }
    // A pass-through push leaves the badge; the next default push adds one to it.
    let cmd = json!({"audience": {"user_id": [ann]}, "message": {"type": "cmd", "body": "x"}});
    let cmd = notify(app, cmd).await?;
    let frame = ann_ws.next_op("push").await?;
    assert_eq!(
        (&frame["task_id"], &frame["type"], &frame["badge"]),
        (&json!(cmd), &json!("cmd"), &json!(5))
    );
    notify(app, push(json!({"user_id": [ann]}), "after", "")).await?;
    assert_eq!(ann_ws.next_op("push").await?["badge"], 6);
    assert_eq!(app.stored_user(ann).await?.badge, 6);

    // Counts: the connected devices only, every push written.
    let d = detail(app, all, "mxpush_received", 2).await?;
    assert_eq!(
        (
            &d["task_id"],
            &d["mxpush_target"],
            &d["mxpush_sent"],
            &d["mxpush_received"]
        ),
        (&json!(all), &json!(2), &json!(2), &json!(2)),
        "{d}"
    );
    assert_eq!(
        (&d["apns_target"], &d["fcm_sent"]),
        (&json!(0), &json!(0)),
        "{d}"
    );
    let d = detail(app, by_tag, "mxpush_received", 1).await?;
    assert_eq!(
        (&d["mxpush_target"], &d["mxpush_received"]),
        (&json!(1), &json!(1)),
        "{d}"
    );
    Ok(())
}
api_test!(a_push_reaches_the_connected_devices_of_its_audience);

async fn a_repeated_request_id_answers_the_first_task_and_sends_nothing(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ann_t, _) = on_device(app, "ann").await?;
    let mut ws = Ws::connect(app, &ann_t, None).await?;
    let once = json!({"audience": {"user_id": [ann]}, "setting": {"request_id": "r-1"},
        "message": {"title": "once"}});
    let first = notify(app, once.clone()).await?;
    assert_eq!(notify(app, once).await?, first);
    assert_eq!(ws.next_op("push").await?["task_id"], first);
    let next = notify(app, push(json!({"user_id": [ann]}), "next", "")).await?;
    let frame = ws.next_op("push").await?;
    assert_eq!(frame["task_id"], next, "the repeat sent nothing: {frame}");
    let d = detail(app, first, "mxpush_received", 1).await?;
    assert_eq!(d["mxpush_sent"], 1, "{d}");
    Ok(())
}
api_test!(a_repeated_request_id_answers_the_first_task_and_sends_nothing);

async fn a_push_waits_for_its_show_time_and_one_past_its_end_is_not_sent(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, ann_t, _) = on_device(app, "ann").await?;
    let mut ws = Ws::connect(app, &ann_t, None).await?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i64;
    let ended = json!({"audience": {"user_id": [ann]},
        "message": {"title": "late", "show_end_time": now - 10}});
    notify(app, ended).await?;
    let later = json!({"audience": {"user_id": [ann]},
        "message": {"title": "later", "show_begin_time": now + 2}});
    let started = tokio::time::Instant::now();
    let later = notify(app, later).await?;
    let frame = ws.next_op("push").await?;
    assert_eq!(frame["task_id"], later, "{frame}");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}
api_test!(a_push_waits_for_its_show_time_and_one_past_its_end_is_not_sent);

async fn bad_push_requests_are_refused_with_their_codes(app: &TestApp) -> anyhow::Result<()> {
    let (ann, ann_t, _) = on_device(app, "ann").await?;
    let refused = |body: Value, code: i64| async move {
        app.admin(Method::POST, "/push/notify")
            .json(body)
            .refused(code)
            .await
    };
    let many: Vec<i64> = (1..=501).collect();
    refused(push(json!({ "user_id": many }), "t", ""), 12005).await?;
    let tags: Vec<String> = (0..501).map(|i| format!("t{i}")).collect();
    refused(push(json!({ "tag": tags }), "t", ""), 12005).await?;
    let image =
        |url: &str| json!({"audience": "all", "message": {"type": "image", "attachment_url": url}});
    refused(image(""), 12001).await?;
    refused(image("ftp://img.example/a.png"), 12002).await?;
    refused(image("https://img.example/a.gif"), 12003).await?;
    let vendors = json!({"audience": "all", "setting": {"distribution_strategy": "ospush_only"},
        "message": {"title": "t"}});
    refused(vendors, 12006).await?;
    for audience in [
        json!("some"),
        json!({"tag": ["a"], "alias": ["b"]}),
        json!({"tag": []}),
        json!({"user_id": ["x"]}),
        json!({"planet": ["a"]}),
    ] {
        refused(push(audience, "t", ""), 10002).await?;
    }
    refused(push(json!("all"), "t", "+x"), 10002).await?;
    let strategy = json!({"audience": "all", "setting": {"distribution_strategy": "both"},
        "message": {}});
    refused(strategy, 10002).await?;

    // Push tasks are the admin's.
    app.post("/push/notify")
        .token(&ann_t)
        .json(push(json!({"user_id": [ann]}), "t", ""))
        .refused(10010)
        .await?;
    app.post("/push/task/detail")
        .token(&ann_t)
        .json(json!({"list": [1]}))
        .refused(10010)
        .await?;
    // Ids of no task are left out; at most 100 at once.
    let none = app
        .admin(Method::POST, "/push/task/detail")
        .json(json!({"list": [12345]}))
        .ok()
        .await?;
    assert_eq!(none, json!([]));
    let ids: Vec<i64> = (1..=101).collect();
    app.admin(Method::POST, "/push/task/detail")
        .json(json!({ "list": ids }))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(bad_push_requests_are_refused_with_their_codes);
