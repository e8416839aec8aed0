//! The server under test: a fresh database, the release binary as a child process, and its
//! resident memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::Value;
use tokio::process::{Child, Command};

/// Which database the server runs on.
#[derive(Clone, Debug)]
pub enum Database {
    Sqlite,
    /// A server URL without the database name, and the database to (re)create.
    Postgres {
        server: String,
        name: String,
    },
}

impl Database {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres { .. } => "PostgreSQL",
        }
    }
}

pub struct Server {
    child: Child,
    pub base: String,
    pub app_id: String,
    pub admin_token: String,
    /// What the server was started with, for the `tidings app` commands.
    pub database_url: String,
    pub data_dir: PathBuf,
}

impl Server {
    /// Starts `binary` on a fresh database and waits until it is ready.
    pub async fn start(
        binary: &Path,
        database: &Database,
        extra_env: &[(String, String)],
    ) -> anyhow::Result<Self> {
        let data_dir = std::env::temp_dir().join(format!("tidings-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        std::fs::create_dir_all(&data_dir)?;
        let url = match database {
            Database::Sqlite => format!("sqlite://{}", data_dir.join("bench.db").display()),
            Database::Postgres { server, name } => {
                recreate_postgres_database(server, name).await?;
                format!("{server}/{name}")
            }
        };
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env("TIDINGS_DATABASE_URL", &url)
            .env("TIDINGS_DATA_DIR", &data_dir)
            .env("TIDINGS_LISTEN", format!("127.0.0.1:{port}"))
            .env("TIDINGS_BCRYPT_COST", "4")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..300 {
            let answer = client.get(format!("{base}/readyz")).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::ensure!(ready, "the server did not become ready");
        let credentials: Value =
            serde_json::from_str(&std::fs::read_to_string(data_dir.join("default-app.json"))?)?;
        Ok(Self {
            child,
            base,
            app_id: credentials["app_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            admin_token: credentials["admin_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            database_url: url,
            data_dir,
        })
    }

    /// The server process's resident memory in bytes.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let pid = self.child.id().context("the server exited")?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .context("no VmRSS")?;
        Ok(kb * 1024)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

impl Server {
    /// On PostgreSQL, gathers the planner's statistics of the tables just loaded, as
    /// autovacuum does within a minute on a default server (this machine's runs with it off,
    /// and without statistics a generic plan of `app_id = $1 AND id = ANY($2)` reads every
    /// row of the app). Nothing on SQLite.
    pub async fn analyze(&self) -> anyhow::Result<()> {
        if !self.database_url.starts_with("postgres") {
            return Ok(());
        }
        psql(&self.database_url, "ANALYZE").await
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Runs `sql` on the database at `url`.
async fn psql(url: &str, sql: &str) -> anyhow::Result<()> {
    let status = Command::new("psql")
        .arg(url)
        .args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .stdout(Stdio::null())
        .status()
        .await
        .context("running psql")?;
    anyhow::ensure!(status.success(), "psql failed: {sql}");
    Ok(())
}

pub async fn recreate_postgres_database(server: &str, name: &str) -> anyhow::Result<()> {
    let postgres = format!("{server}/postgres");
    psql(
        &postgres,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await?;
    psql(&postgres, &format!("CREATE DATABASE {name}")).await
}
