//! Devices: removal, kicks, presence and vendor push tokens.

use reqwest::Method;
use serde_json::json;

use crate::support::{TestApp, api_test, text};

async fn two_devices(app: &TestApp) -> anyhow::Result<(i64, String, String)> {
    let id = app.register("ann", "secret-pw").await?;
    let phone = text(&app.login("ann", "secret-pw", Some("phone")).await?["token"])?;
    let laptop = text(&app.login("ann", "secret-pw", Some("laptop")).await?["token"])?;
    Ok((id, phone, laptop))
}

async fn removing_a_device_revokes_its_tokens_only(app: &TestApp) -> anyhow::Result<()> {
    let (id, phone, laptop) = two_devices(app).await?;
    let listed = app.get("/user/device/list").token(&phone).ok().await?;
    assert_eq!(listed[0]["device_sn"], 1);
    assert_eq!(listed[0]["user_id"], id);
    assert!(listed[0]["platform"].is_i64());
    app.post("/user/device/remove")
        .token(&laptop)
        .query(&[("device_sn", "1")])
        .ok()
        .await?;
    app.get("/user/profile")
        .token(&phone)
        .refused(10008)
        .await?;
    app.get("/user/profile").token(&laptop).ok().await?;
    let listed = app.get("/user/device/list").token(&laptop).ok().await?;
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["device_sn"], 2);
    app.delete("/user/device/remove")
        .token(&laptop)
        .query(&[("device_sn", "9")])
        .refused(10002)
        .await?;
    app.delete("/user/device/remove")
        .token(&laptop)
        .query(&[("device_sn", "2")])
        .ok()
        .await?;
    app.get("/user/profile")
        .token(&laptop)
        .refused(10008)
        .await?;
    Ok(())
}
api_test!(removing_a_device_revokes_its_tokens_only);

async fn kicking_one_device_or_all(app: &TestApp) -> anyhow::Result<()> {
    let (id, phone, laptop) = two_devices(app).await?;
    app.post("/user/kick")
        .token(&laptop)
        .query(&[("device_sn", "1")])
        .ok()
        .await?;
    app.get("/user/profile")
        .token(&phone)
        .refused(10008)
        .await?;
    app.get("/user/profile").token(&laptop).ok().await?;
    // A kicked device stays registered and may log in again.
    let listed = app.get("/user/device/list").token(&laptop).ok().await?;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
    let phone = text(&app.login("ann", "secret-pw", Some("phone")).await?["token"])?;
    app.put("/user/kick")
        .token(&laptop)
        .query(&[("device_sn", "7")])
        .refused(10002)
        .await?;
    app.admin_as(id, Method::PUT, "/user/kick").ok().await?;
    app.get("/user/profile")
        .token(&phone)
        .refused(10008)
        .await?;
    app.get("/user/profile")
        .token(&laptop)
        .refused(10008)
        .await?;
    Ok(())
}
api_test!(kicking_one_device_or_all);

async fn vendor_tokens_bind_to_the_callers_devices(app: &TestApp) -> anyhow::Result<()> {
    let (id, phone, _) = two_devices(app).await?;
    let bind = |method: Method, sn: i64| {
        app.call(method, "/user/token/bind")
            .token(&phone)
            .json(json!({
                "device_sn": sn, "device_token": "apns-token", "notifier_name": "prod-cert"
            }))
    };
    bind(Method::POST, 1).ok().await?;
    bind(Method::PUT, 2).ok().await?;
    bind(Method::POST, 3).refused(10002).await?;
    let devices = app.stored_devices(id).await?;
    assert_eq!(
        devices[0].vendor_token,
        Some(("apns-token".to_owned(), "prod-cert".to_owned()))
    );
    let unbound = app
        .post("/user/token/unbind")
        .token(&phone)
        .query(&[("deviceSn", "1")])
        .ok()
        .await?;
    assert!(unbound.is_null());
    app.delete("/user/token/unbind")
        .token(&phone)
        .query(&[("deviceSn", "2")])
        .ok()
        .await?;
    app.delete("/user/token/unbind")
        .token(&phone)
        .query(&[("deviceSn", "5")])
        .refused(10002)
        .await?;
    let devices = app.stored_devices(id).await?;
    assert!(devices.iter().all(|d| d.vendor_token.is_none()));
    app.post("/user/token/bind")
        .token(&phone)
        .json(json!({"device_sn": 1, "device_token": "", "notifier_name": "x"}))
        .refused(10002)
        .await?;
    Ok(())
}
api_test!(vendor_tokens_bind_to_the_callers_devices);
