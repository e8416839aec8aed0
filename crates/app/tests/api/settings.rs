//! Settings: the whole set and each setting's own endpoint, on POST and PUT.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, api_test};

async fn settings(app: &TestApp, t: &str) -> anyhow::Result<Value> {
    app.get("/user/settings").token(t).ok().await
}

async fn the_settings_set_is_patched_and_read_back(app: &TestApp) -> anyhow::Result<()> {
    let (id, t) = app.user("ann").await?;
    let s = settings(app, &t).await?;
    assert_eq!(s["user_id"], id);
    assert_eq!(s["auto_download"], true);
    app.post("/user/settings")
        .token(&t)
        .json(
            json!({"auth_mode": 2, "auth_question": "1+1?", "auth_answer": "2",
                     "group_confirm": true, "silence_start_time": 22, "silence_end_time": 7}),
        )
        .ok()
        .await?;
    app.put("/user/settings")
        .token(&t)
        .json(json!({"no_push_detail": true, "push_nick_name": "A"}))
        .ok()
        .await?;
    let s = settings(app, &t).await?;
    assert_eq!(s["auth_mode"], 2);
    assert_eq!(s["auth_question"], "1+1?");
    assert_eq!(s["auth_answer"], "2");
    assert_eq!(s["group_confirm"], true);
    assert_eq!(s["silence_start_time"], 22);
    assert_eq!(s["silence_end_time"], 7);
    assert_eq!(s["no_push_detail"], true);
    assert_eq!(s["push_nick_name"], "A");
    Ok(())
}
api_test!(the_settings_set_is_patched_and_read_back);

async fn refused_settings_change_nothing(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    let before = settings(app, &t).await?;
    for body in [
        json!({"auth_mode": 4, "no_push": true}),
        json!({"no_push_start_hour": 24, "no_push": true}),
        json!({"auth_question": "q".repeat(257), "no_push": true}),
        json!({"no_push": "yes"}),
    ] {
        app.post("/user/settings")
            .token(&t)
            .json(body)
            .refused(10002)
            .await?;
    }
    assert_eq!(settings(app, &t).await?, before);
    Ok(())
}
api_test!(refused_settings_change_nothing);

async fn each_setting_has_its_own_endpoint_on_post_and_put(app: &TestApp) -> anyhow::Result<()> {
    let (_, t) = app.user("ann").await?;
    /// (endpoint, its query, the settings field it sets, the value it sets it to)
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, Value);
    let cases: [Case; 7] = [
        ("/user/authmode", &[("value", "1")], "auth_mode", json!(1)),
        (
            "/user/download",
            &[("value", "false")],
            "auto_download",
            json!(false),
        ),
        ("/user/push", &[("value", "true")], "no_push", json!(true)),
        (
            "/user/push/detail",
            &[("value", "true")],
            "no_push_detail",
            json!(true),
        ),
        (
            "/user/push/nickname",
            &[("value", "Pusher")],
            "push_nick_name",
            json!("Pusher"),
        ),
        (
            "/user/sounds",
            &[("value", "true")],
            "no_sounds",
            json!(true),
        ),
        (
            "/user/vibratory",
            &[("value", "false")],
            "vibratory",
            json!(false),
        ),
    ];
    for method in [Method::POST, Method::PUT] {
        for (path, query, field, expected) in &cases {
            // Reset through the whole-set endpoint, then set through the single one.
            app.put("/user/settings")
                .token(&t)
                .json(
                    json!({"auth_mode": 0, "auto_download": true, "no_push": false,
                    "no_push_detail": false, "push_nick_name": "", "no_sounds": false,
                    "vibratory": true}),
                )
                .ok()
                .await?;
            app.call(method.clone(), path)
                .token(&t)
                .query(query)
                .ok()
                .await?;
            assert_eq!(
                &settings(app, &t).await?[*field],
                expected,
                "{method} {path}"
            );
        }
        app.call(method.clone(), "/user/push/limit")
            .token(&t)
            .query(&[("no_push_start_hour", "23"), ("no_push_end_hour", "6")])
            .ok()
            .await?;
        let s = settings(app, &t).await?;
        assert_eq!(
            (
                s["no_push_start_hour"].clone(),
                s["no_push_end_hour"].clone()
            ),
            (json!(23), json!(6))
        );
    }
    app.post("/user/authmode")
        .token(&t)
        .query(&[("value", "7")])
        .refused(10002)
        .await?;
    app.post("/user/push/limit")
        .token(&t)
        .query(&[("no_push_start_hour", "25"), ("no_push_end_hour", "6")])
        .refused(10002)
        .await?;
    app.post("/user/push")
        .token(&t)
        .query(&[("value", "maybe")])
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(each_setting_has_its_own_endpoint_on_post_and_put);
