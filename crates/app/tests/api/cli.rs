//! The `tidings` binary's app subcommands, run against the test server's database.

use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, api_test, text};

pub fn tidings(app: &TestApp, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(args)
        .env("TIDINGS_DATABASE_URL", app.config.database_url.expose())
        .env("TIDINGS_DATA_DIR", app.data_dir())
        .env("TIDINGS_BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "tidings {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?)
}

async fn apps_are_created_listed_given_tokens_and_updated(app: &TestApp) -> anyhow::Result<()> {
    let out = tidings(app, &["app", "create", "--name", "Second app", "--json"])?;
    let last = out.lines().last().unwrap_or_default();
    let created: Value = serde_json::from_str(last)?;
    let app_id = text(&created["app_id"])?;
    for key in ["app_key", "master_secret"] {
        let value = text(&created[key])?;
        assert_eq!(value.len(), 24, "{key}");
        assert!(value.bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
    }
    let admin = text(&created["admin_token"])?;
    app.call_in(&app_id, Method::POST, "/user/register/batch")
        .token(&admin)
        .json(json!({"list": [{"username": "zed", "password": "secret-pw"}]}))
        .ok()
        .await?;

    let listed = tidings(app, &["app", "list"])?;
    assert!(
        listed.contains(&app_id) && listed.contains("Second app"),
        "{listed}"
    );
    assert!(listed.contains(&app.app.app_id), "{listed}");

    let minted = tidings(app, &["app", "token", &app_id])?;
    let minted = minted.trim();
    assert_ne!(minted, admin);
    let users = app
        .call_in(&app_id, Method::GET, "/user/list")
        .token(minted)
        .ok()
        .await?;
    assert_eq!(users[0]["username"], "zed");

    let revoked = tidings(app, &["app", "revoke-token", &app_id, minted])?;
    assert_eq!(revoked.trim(), "revoked");
    app.call_in(&app_id, Method::GET, "/user/list")
        .token(minted)
        .refused(10008)
        .await?;
    // A user token is not an admin token and cannot be revoked this way.
    assert!(tidings(app, &["app", "revoke-token", &app_id, "not-a-token"]).is_err());

    let updated = tidings(
        app,
        &[
            "app",
            "update",
            &app_id,
            "--registration",
            "closed",
            "--user-limit",
            "5",
        ],
    )?;
    assert!(updated.contains("registration closed"), "{updated}");
    app.call_in(&app_id, Method::POST, "/user/register/v2")
        .json(json!({"username": "yan", "password": "secret-pw"}))
        .refused(40001)
        .await?;
    // The default app is untouched.
    app.post("/user/register/v2")
        .json(json!({"username": "yan", "password": "secret-pw"}))
        .ok()
        .await?;
    Ok(())
}
api_test!(apps_are_created_listed_given_tokens_and_updated);

async fn a_token_for_an_unknown_app_is_refused(app: &TestApp) -> anyhow::Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["app", "token", "nosuchapp"])
        .env("TIDINGS_DATABASE_URL", app.config.database_url.expose())
        .env("RUST_LOG", "warn")
        .output()?;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("app_id does not exist"));
    Ok(())
}
api_test!(a_token_for_an_unknown_app_is_refused);
