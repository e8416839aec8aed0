//! The official JMessage Python client (PyPI `jmessage` 2.0.0, from the virtual environment
//! `scripts/python-tools.sh` makes) drives the real server: `tests/jmessage_client.py`.

use std::process::Command;

use crate::support::{TestApp, api_test};

async fn the_official_python_client_works_unchanged(app: &TestApp) -> anyhow::Result<()> {
    app.register("ann", "secret-pw").await?;
    app.login("ann", "secret-pw", Some("phone")).await?;
    app.register("bob", "secret-pw").await?;
    let (base, key, secret) = (
        app.base.clone(),
        app.app.app_key.clone(),
        app.app.master_secret.clone(),
    );
    // The tools and the client block: they run beside the server's runtime.
    let run = tokio::task::spawn_blocking(move || {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let tools = Command::new(format!("{root}/scripts/python-tools.sh")).output()?;
        anyhow::ensure!(
            tools.status.success(),
            "scripts/python-tools.sh failed: {}",
            String::from_utf8_lossy(&tools.stderr)
        );
        let bin = String::from_utf8(tools.stdout)?.trim().to_owned();
        Ok(Command::new(format!("{bin}/python"))
            .arg(format!("{root}/crates/app/tests/jmessage_client.py"))
            .env("TIDINGS_BASE", base)
            .env("TIDINGS_APP_KEY", key)
            .env("TIDINGS_MASTER_SECRET", secret)
            .output()?)
    })
    .await??;
    anyhow::ensure!(
        run.status.success(),
        "the official client got wrong answers:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    Ok(())
}
api_test!(the_official_python_client_works_unchanged);
