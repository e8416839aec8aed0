//! The push phase: one `"all"` task to devices that have no connection and an APNs token,
//! delivered to the in-process mock provider (TLS, HTTP/2), which checks each request's
//! path, topic and provider token.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tidings_vendors::testing::{MockVendor, apns_key};

use crate::load::percentiles;
use crate::server::Server;

/// The mock provider and the file of its certificate, for `TIDINGS_PUSH_EXTRA_CA`.
pub async fn mock() -> anyhow::Result<(MockVendor, PathBuf)> {
    let mock = MockVendor::start().await?;
    let ca = std::env::temp_dir().join(format!("tidings-bench-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, &mock.ca_pem)?;
    Ok((mock, ca))
}

/// Gives the app APNs credentials with the server's own command.
fn credentials(server: &Server, binary: &Path) -> anyhow::Result<()> {
    let key = server.data_dir.join("AuthKey.p8");
    std::fs::write(&key, apns_key()?.0)?;
    let output = std::process::Command::new(binary)
        .args(["app", "update", &server.app_id, "--apns-key-file"])
        .arg(&key)
        .args(["--apns-key-id", "BENCHKEY1", "--apns-team-id", "BENCHTEAM"])
        .args(["--apns-topic", "com.example.bench"])
        .env("TIDINGS_DATABASE_URL", &server.database_url)
        .env("TIDINGS_DATA_DIR", &server.data_dir)
        .env("RUST_LOG", "warn")
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "tidings app update: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

/// `n` users, each with one device (serial number 1) that bound the APNs token `tok-{i}`:
/// their ids.
async fn devices(server: &Server, n: usize, parallel: usize) -> anyhow::Result<Vec<i64>> {
    let client = reqwest::Client::new();
    let run = format!("{:x}", std::process::id());
    let indices: Vec<usize> = (0..n).collect();
    let mut ids = Vec::with_capacity(n);
    for chunk in indices.chunks(parallel) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (client, base) = (client.clone(), server.base.clone());
            let (app, admin) = (server.app_id.clone(), server.admin_token.clone());
            let name = format!("p{run}x{i}");
            tasks.push(tokio::spawn(async move {
                let body = json!({"username": name, "password": "bench-pw",
                    "device_guid": format!("dev-{i}")});
                let registered: Value = client
                    .post(format!("{base}/user/register/push"))
                    .header("app_id", &app)
                    .json(&body)
                    .send()
                    .await?
                    .json()
                    .await?;
                let id = registered["data"]["user_id"]
                    .as_i64()
                    .ok_or_else(|| anyhow::anyhow!("register: {registered}"))?;
                let bind = json!({"device_sn": 1, "device_token": format!("tok-{i}"),
                    "notifier_name": "apns"});
                let bound: Value = client
                    .post(format!("{base}/user/token/bind"))
                    .header("app_id", &app)
                    .header("access-token", &admin)
                    .header("user_id", id.to_string())
                    .json(&bind)
                    .send()
                    .await?
                    .json()
                    .await?;
                anyhow::ensure!(bound["code"] == 200, "bind: {bound}");
                Ok::<_, anyhow::Error>(id)
            }));
        }
        for t in tasks {
            ids.push(t.await??);
        }
    }
    Ok(ids)
}

/// Runs the phase and prints its line.
pub async fn phase(
    server: &Server,
    binary: &Path,
    mock: &MockVendor,
    n: usize,
    rate: u64,
    duration: Duration,
) -> anyhow::Result<()> {
    credentials(server, binary)?;
    let made = Instant::now();
    let users = devices(server, n, 64).await?;
    println!(
        "\npush: {n} devices registered with APNs tokens in {:.1} s",
        made.elapsed().as_secs_f64()
    );
    server.analyze().await?;
    let before = mock.push_count();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let answer: Value = client
        .post(format!("{}/push/notify", server.base))
        .header("app_id", &server.app_id)
        .header("access-token", &server.admin_token)
        .json(&json!({"audience": "all", "message": {"title": "bench", "body": "hello"}}))
        .send()
        .await?
        .json()
        .await?;
    let answered = started.elapsed();
    anyhow::ensure!(answer["code"] == 200, "notify: {answer}");
    let deadline = started + Duration::from_secs(120);
    while mock.push_count() < before + n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pushes: Vec<_> = mock.pushes().into_iter().skip(before).collect();
    let done = pushes.last().map_or(Duration::ZERO, |p| p.at - started);
    let well_formed = pushes
        .iter()
        .filter(|p| {
            p.path.starts_with("/3/device/tok-")
                && p.version == "HTTP/2.0"
                && p.header("apns-topic") == Some("com.example.bench")
                && p.header("authorization")
                    .is_some_and(|a| a.to_ascii_lowercase().starts_with("bearer ey"))
        })
        .count();
    let mut arrivals: Vec<u64> = pushes
        .iter()
        .map(|p| (p.at - started).as_micros() as u64)
        .collect();
    let (p50, p99, _) = percentiles(&mut arrivals);
    println!(
        "push: one \"all\" task answered in {:.1} ms; {} of {n} pushes arrived ({} well formed) \
         in {:.2} s: {:.0} pushes/s; arrival after the request p50 {:.0} ms, p99 {:.0} ms",
        answered.as_secs_f64() * 1000.0,
        pushes.len(),
        well_formed,
        done.as_secs_f64(),
        pushes.len() as f64 / done.as_secs_f64().max(1e-9),
        p50 as f64 / 1000.0,
        p99 as f64 / 1000.0,
    );
    messages(server, mock, &users, rate, duration).await
}

/// Messages between the phase's users, none of whom has a connection, at `rate` a second
/// for `duration`: each one's notification must reach the mock provider. The text is the
/// send time, which the mock's copy of the notification's body carries back.
async fn messages(
    server: &Server,
    mock: &MockVendor,
    users: &[i64],
    rate: u64,
    duration: Duration,
) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let clock = Instant::now();
    let before = mock.push_count();
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    let total = (rate * duration.as_secs()) as usize;
    let mut ticker = tokio::time::interval(Duration::from_millis(1));
    let mut sent = 0usize;
    let mut failed = 0usize;
    let mut tasks = Vec::with_capacity(total);
    while sent < total {
        ticker.tick().await;
        let due = ((clock.elapsed().as_secs_f64() * rate as f64) as usize).min(total);
        while sent < due {
            let (from, to) = (
                users[sent % users.len()],
                users[(sent + users.len() / 2) % users.len()],
            );
            let (client, base) = (client.clone(), server.base.clone());
            let (app, admin) = (server.app_id.clone(), server.admin_token.clone());
            let permit = limit.clone().acquire_owned().await?;
            let text = format!("t{}", clock.elapsed().as_micros());
            tasks.push(tokio::spawn(async move {
                let _permit = permit;
                let answer: Value = client
                    .post(format!("{base}/message/send"))
                    .header("app_id", &app)
                    .header("access-token", &admin)
                    .header("user_id", from.to_string())
                    .json(&json!({"targets": [to], "type": 1, "content_type": 0, "content": text}))
                    .send()
                    .await?
                    .json()
                    .await?;
                anyhow::ensure!(answer["code"] == 200, "send: {answer}");
                Ok::<_, anyhow::Error>(())
            }));
            sent += 1;
        }
    }
    for t in tasks {
        if !matches!(t.await, Ok(Ok(()))) {
            failed += 1;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while mock.push_count() < before + sent - failed && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pushes: Vec<_> = mock.pushes().into_iter().skip(before).collect();
    let mut latencies: Vec<u64> = pushes
        .iter()
        .filter_map(|p| {
            let body = p.json()["aps"]["alert"]["body"].as_str()?.to_owned();
            let sent_at: u64 = body.strip_prefix('t')?.parse().ok()?;
            let arrived = (p.at - clock).as_micros() as u64;
            Some(arrived.saturating_sub(sent_at))
        })
        .collect();
    let (p50, p99, max) = percentiles(&mut latencies);
    println!(
        "push: {sent} messages to offline users at {rate}/s ({failed} refused): {} notifications \
         arrived; send → provider request p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        p50 as f64 / 1000.0,
        p99 as f64 / 1000.0,
        max as f64 / 1000.0,
    );
    Ok(())
}

/// The app's credentials for the client phase, held in memory.
struct Held(tidings_push::model::Credential);

#[async_trait::async_trait]
impl tidings_push::ports::CredentialRepository for Held {
    async fn credentials(
        &self,
        _: &tidings_kernel::AppId,
    ) -> Result<Vec<tidings_push::model::Credential>, tidings_push::RepoError> {
        Ok(vec![self.0.clone()])
    }

    async fn put_credential(
        &self,
        _: &tidings_kernel::AppId,
        _: &tidings_push::model::Credential,
    ) -> Result<(), tidings_push::RepoError> {
        Ok(())
    }
}

/// The provider client alone, as the server runs it: `n` APNs pushes through
/// `VendorClients` to the mock provider with `in_flight` requests at once (the server's
/// `TIDINGS_PUSH_MAX_IN_FLIGHT` default): pushes/s, and each push's latency from the call
/// to the provider's answer.
pub async fn client(
    mock: &MockVendor,
    ca: &Path,
    n: usize,
    in_flight: usize,
) -> anyhow::Result<()> {
    use tidings_push::model::{Badge, Kind, Notification, TaskId};
    use tidings_push::ports::{Sent, VendorChannels as _, VendorPush};
    let credential = tidings_vendors::apns::credential(
        &apns_key()?.0,
        "BENCHKEY1",
        "BENCHTEAM",
        "com.example.bench",
        false,
    )?;
    let clients = std::sync::Arc::new(tidings_vendors::VendorClients::new(
        tidings_vendors::VendorSettings {
            apns_url: Some(mock.url.clone()),
            extra_ca: Some(ca.to_path_buf()),
            max_in_flight: in_flight,
            ..tidings_vendors::VendorSettings::default()
        },
        std::sync::Arc::new(Held(credential)),
    )?);
    let app = tidings_kernel::AppId::parse("benchapp").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let notifier = clients
        .notifiers(&app)
        .await?
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no notifier"))?;
    let push = VendorPush {
        task: TaskId(1),
        notification: std::sync::Arc::new(Notification {
            kind: Kind::Text,
            title: "bench".into(),
            body: "hello".into(),
            big_text: String::new(),
            attachment_url: String::new(),
            badge: Badge::Add(1),
            ext: String::new(),
            show_begin: None,
            show_end: None,
        }),
        badge: 1,
        sound: true,
    };
    // One warm-up push opens the connection and makes the provider token.
    clients.send(&app, &notifier, "warm", &push).await;
    let started = Instant::now();
    let outcomes: Vec<(bool, u64)> = futures_util::stream::iter(0..n)
        .map(|i| {
            let (clients, app, notifier, push) =
                (clients.clone(), app.clone(), notifier.clone(), push.clone());
            async move {
                let at = Instant::now();
                let sent = clients.send(&app, &notifier, &format!("c{i}"), &push).await;
                (sent == Sent::Accepted, at.elapsed().as_micros() as u64)
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let accepted = outcomes.iter().filter(|(ok, _)| *ok).count();
    let mut latencies: Vec<u64> = outcomes.into_iter().map(|(_, us)| us).collect();
    let (p50, p99, max) = percentiles(&mut latencies);
    println!(
        "\npush client: {n} APNs pushes through VendorClients, {in_flight} in flight: {accepted} \
         accepted in {elapsed:.2} s: {:.0} pushes/s; send → answer p50 {:.1} ms, p99 {:.1} ms, \
         max {:.1} ms",
        n as f64 / elapsed.max(1e-9),
        p50 as f64 / 1000.0,
        p99 as f64 / 1000.0,
        max as f64 / 1000.0,
    );
    Ok(())
}
