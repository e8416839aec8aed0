//! Users, their WebSockets, and the send phases with their measurements.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::server::Server;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub type Sink = SplitSink<Socket, Message>;

pub struct User {
    pub id: i64,
    pub token: String,
}

/// Registers and logs in `n` users, `parallel` at a time.
pub async fn users(server: &Server, n: usize, parallel: usize) -> anyhow::Result<Vec<User>> {
    let client = reqwest::Client::new();
    let run = format!(
        "{:x}",
        Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id())
    );
    let mut out = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(parallel) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (client, base, app) = (client.clone(), server.base.clone(), server.app_id.clone());
            let name = format!("u{run}x{i}");
            tasks.push(tokio::spawn(async move {
                let body = json!({"username": name, "password": "bench-pw"});
                let registered: Value = client
                    .post(format!("{base}/user/register/v2"))
                    .header("app_id", &app)
                    .json(&body)
                    .send()
                    .await?
                    .json()
                    .await?;
                let id = registered["data"]["user_id"]
                    .as_i64()
                    .ok_or_else(|| anyhow::anyhow!("register: {registered}"))?;
                let login: Value = client
                    .post(format!("{base}/token/user"))
                    .header("app_id", &app)
                    .json(&json!({"name": name, "password": "bench-pw"}))
                    .send()
                    .await?
                    .json()
                    .await?;
                let token = login["data"]["token"]
                    .as_str()
                    .ok_or_else(|| anyhow::anyhow!("login: {login}"))?
                    .to_owned();
                Ok::<_, anyhow::Error>(User { id, token })
            }));
        }
        for t in tasks {
            out.push(t.await??);
        }
    }
    Ok(out)
}

pub async fn connect(server: &Server, token: &str) -> anyhow::Result<Socket> {
    let url = format!(
        "{}/ws?app_id={}&access-token={token}",
        server.base.replacen("http", "ws", 1),
        server.app_id
    );
    let (socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true).await?;
    Ok(socket)
}

/// What one receiving connection saw.
#[derive(Default)]
pub struct Seen {
    /// Send → receive latencies, µs, of messages from others.
    pub latencies: Vec<u64>,
    pub received: u64,
    pub duplicates: u64,
    /// Positions that did not follow the previous one.
    pub gaps: u64,
    /// `sent` answers to WebSocket sends.
    pub acks: u64,
}

/// Reads one user's socket until `stop`, measuring messages whose content is a send time.
async fn receive(
    mut stream: SplitStream<Socket>,
    me: i64,
    clock: Instant,
    stop: Arc<AtomicBool>,
) -> Seen {
    let mut seen = Seen::default();
    let mut ids = HashSet::new();
    let mut last_position = None;
    while !stop.load(Ordering::Relaxed) {
        let Ok(next) = tokio::time::timeout(Duration::from_millis(200), stream.next()).await else {
            continue;
        };
        let Some(Ok(Message::Text(text))) = next else {
            if next.is_none() {
                break;
            }
            continue;
        };
        let Ok(frame) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        match frame["op"].as_str() {
            Some("message") => {
                let position = frame["position"].as_i64().unwrap_or(0);
                if last_position.is_some_and(|last| position != last + 1) {
                    seen.gaps += 1;
                }
                last_position = Some(position);
                if frame["message"]["from_xid"]["uid"].as_i64() == Some(me) {
                    continue; // my own copy of what I sent
                }
                let id = frame["message"]["msg_id"].as_i64().unwrap_or(0);
                if !ids.insert(id) {
                    seen.duplicates += 1;
                    continue;
                }
                seen.received += 1;
                if let Some(sent_at) = frame["message"]["content"]
                    .as_str()
                    .and_then(|c| c.parse::<u64>().ok())
                {
                    let now = clock.elapsed().as_micros() as u64;
                    seen.latencies.push(now.saturating_sub(sent_at));
                }
            }
            Some("hello") => {
                last_position = frame["position"].as_i64();
            }
            Some("sent") => seen.acks += 1,
            _ => {}
        }
    }
    seen
}

/// Every user's socket: readers running, writers kept for WebSocket sends.
pub struct Fleet {
    pub sinks: Vec<Arc<Mutex<Sink>>>,
    readers: Vec<tokio::task::JoinHandle<Seen>>,
    stop: Arc<AtomicBool>,
}

impl Fleet {
    pub async fn open(server: &Server, users: &[User], clock: Instant) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut sinks = Vec::new();
        let mut readers = Vec::new();
        for user in users {
            let (sink, stream) = connect(server, &user.token).await?.split();
            sinks.push(Arc::new(Mutex::new(sink)));
            readers.push(tokio::spawn(receive(stream, user.id, clock, stop.clone())));
        }
        Ok(Self {
            sinks,
            readers,
            stop,
        })
    }

    /// Stops the readers and merges what they saw.
    pub async fn finish(self) -> Seen {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Seen::default();
        for r in self.readers {
            if let Ok(seen) = r.await {
                all.latencies.extend(seen.latencies);
                all.received += seen.received;
                all.duplicates += seen.duplicates;
                all.gaps += seen.gaps;
                all.acks += seen.acks;
            }
        }
        for sink in self.sinks {
            let _ = sink.lock().await.close().await;
        }
        all
    }
}

/// How sends go out.
#[derive(Clone, Copy, Debug)]
pub enum Via {
    Rest,
    WebSocket,
}

/// How a send phase runs.
pub struct Phase {
    pub via: Via,
    pub concurrency: usize,
    /// Messages per second in all; `None` for flat out.
    pub rate: Option<u64>,
    pub duration: Duration,
}

/// Sends 1:1 messages from user i to user i + n/2 for `duration`, `concurrency` senders at
/// once, each message's content its send time (µs on `clock`). Answers the sends accepted
/// over REST (WebSocket sends are counted by their `sent` answers).
pub async fn send_phase(
    server: &Server,
    users: &Arc<Vec<User>>,
    fleet: &Fleet,
    phase: &Phase,
    clock: Instant,
) -> u64 {
    let Phase {
        via,
        concurrency,
        rate,
        duration,
    } = *phase;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap_or_default();
    let accepted = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let n = users.len();
    let per_sender_interval = rate.map(|r| Duration::from_secs_f64(concurrency as f64 / r as f64));
    let mut tasks = Vec::new();
    for s in 0..concurrency {
        let (client, users, accepted) = (client.clone(), users.clone(), accepted.clone());
        let (base, app) = (server.base.clone(), server.app_id.clone());
        let sinks = fleet.sinks.clone();
        tasks.push(tokio::spawn(async move {
            let mut k = s;
            let mut next = Instant::now();
            while start.elapsed() < duration {
                if let Some(every) = per_sender_interval {
                    tokio::time::sleep_until(next.into()).await;
                    next += every;
                }
                let from = k % n;
                let to = (from + n / 2) % n;
                k += concurrency;
                let content = clock.elapsed().as_micros().to_string();
                let body = json!({"targets": [users[to].id], "type": 1, "content": content});
                match via {
                    Via::Rest => {
                        let answer = client
                            .post(format!("{base}/message/send"))
                            .header("app_id", &app)
                            .header("access-token", &users[from].token)
                            .json(&body)
                            .send()
                            .await;
                        let code = match answer {
                            Ok(a) => a.json::<Value>().await.ok().map(|v| v["code"].clone()),
                            Err(_) => None,
                        };
                        if code == Some(Value::from(200)) {
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Via::WebSocket => {
                        let mut frame = body;
                        frame["op"] = "send".into();
                        let text = frame.to_string();
                        let _ = sinks[from].lock().await.send(Message::text(text)).await;
                        accepted.fetch_add(1, Ordering::Relaxed);
                        // Paced by the rate, or by a yield so one sender cannot hog a socket.
                        if per_sender_interval.is_none() {
                            tokio::task::yield_now().await;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    accepted.load(Ordering::Relaxed)
}

/// p50, p99 and max of latencies in µs.
pub fn percentiles(latencies: &mut [u64]) -> (u64, u64, u64) {
    if latencies.is_empty() {
        return (0, 0, 0);
    }
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99), latencies[latencies.len() - 1])
}
