//! What the server is compared with: PostgreSQL's single-row insert rate (pgbench) and the
//! request rate of a bare endpoint of the same server.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::process::Command;

use crate::server::recreate_postgres_database;

/// `pgbench` TPS of one single-row INSERT per transaction, with `clients` connections.
pub async fn pgbench_insert_tps(server: &str, clients: u32, secs: u32) -> anyhow::Result<f64> {
    let db = "tidings_bench_pgbench";
    recreate_postgres_database(server, db).await?;
    let url = format!("{server}/{db}");
    let create = Command::new("psql")
        .arg(&url)
        .args([
            "-q",
            "-c",
            "CREATE TABLE t (id BIGSERIAL PRIMARY KEY, v BIGINT NOT NULL, body TEXT NOT NULL)",
        ])
        .status()
        .await?;
    anyhow::ensure!(create.success(), "creating the pgbench table");
    let script = std::env::temp_dir().join("tidings-pgbench-insert.sql");
    std::fs::write(
        &script,
        "INSERT INTO t (v, body) VALUES (1, 'hello, this is a message');\n",
    )?;
    let output = Command::new("pgbench")
        .arg(&url)
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &secs.to_string(),
            "-f",
        ])
        .arg(&script)
        .stderr(Stdio::null())
        .output()
        .await
        .context("running pgbench")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no tps in pgbench output: {text}"))
}

/// Requests per second of `GET /healthz`, `concurrency` at a time, for `duration`.
pub async fn bare_endpoint_rps(base: &str, concurrency: usize, duration: Duration) -> f64 {
    let client = reqwest::Client::new();
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, done, url) = (client.clone(), done.clone(), format!("{base}/healthz"));
        tasks.push(tokio::spawn(async move {
            while start.elapsed() < duration {
                if client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|a| a.status().is_success())
                {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}
