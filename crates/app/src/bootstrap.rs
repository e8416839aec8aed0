//! First start: a default app, so that a new installation is usable at once.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tidings_users::Users;
use tidings_users::model::AppCredentials;

/// The credentials of an app as printed and written: shown once, stored only hashed.
#[derive(Serialize, Debug, Clone)]
pub struct CredentialsFile {
    pub app_id: String,
    pub name: String,
    pub admin_token: String,
    pub app_key: String,
    pub master_secret: String,
}

impl From<&AppCredentials> for CredentialsFile {
    fn from(c: &AppCredentials) -> Self {
        Self {
            app_id: c.app.id.to_string(),
            name: c.app.name.clone(),
            admin_token: c.admin_token.clone(),
            app_key: c.app.app_key.clone(),
            master_secret: c.master_secret.clone(),
        }
    }
}

/// The file a default app's credentials are written to.
pub fn default_app_file(data_dir: &Path) -> PathBuf {
    data_dir.join("default-app.json")
}

/// Creates a default app when the database has none, and writes its credentials to
/// `default-app.json` in the data folder (mode 0600). Returns them when it did.
///
/// # Errors
/// When the database or the file cannot be written.
pub async fn ensure_default_app(
    users: &Users,
    data_dir: &Path,
) -> anyhow::Result<Option<CredentialsFile>> {
    if !users.list_apps().await?.is_empty() {
        return Ok(None);
    }
    let created = users.create_app("default").await?;
    let credentials = CredentialsFile::from(&created);
    let path = default_app_file(data_dir);
    write_private(&path, &serde_json::to_vec_pretty(&credentials)?)?;
    tracing::info!(
        app_id = %credentials.app_id,
        path = %path.display(),
        "created the default app; its admin token and secrets are in this file (mode 0600)"
    );
    Ok(Some(credentials))
}

/// Writes a file readable by its owner only.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    Ok(())
}
