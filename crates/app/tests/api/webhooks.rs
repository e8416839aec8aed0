//! Message webhooks: configured with `tidings app update`, signed, retried after a failing
//! receiver, never blocking the sender.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::cli::tidings;
use crate::support::{TestApp, api_test, id};

/// One request the receiver got: its `signature` header and body.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    body: Vec<u8>,
}

/// A plain HTTP receiver on a random port that answers 500 to the first `failures`
/// requests and 200 afterwards.
async fn receiver(failures: usize) -> anyhow::Result<(String, Arc<Mutex<Vec<Received>>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    tokio::spawn(async move {
        let mut served = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let Some(request) = read_request(&mut socket).await else {
                continue;
            };
            served += 1;
            let status = if served <= failures {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            if served > failures {
                log.lock().map(|mut l| l.push(request)).ok();
            }
            let answer =
                format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    Ok((url, got))
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(str::to_owned))
        };
        let length: usize = header("content-length")?.trim().parse().ok()?;
        if buffer.len() >= end + 4 + length {
            return Some(Received {
                signature: header("signature").unwrap_or_default(),
                body: buffer[end + 4..end + 4 + length].to_vec(),
            });
        }
    }
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        unreachable!()
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn wait_for(got: &Arc<Mutex<Vec<Received>>>, count: usize) -> anyhow::Result<Vec<Received>> {
    for _ in 0..100 {
        let now = got.lock().map(|l| l.clone()).unwrap_or_default();
        if now.len() >= count {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the receiver did not get {count} requests")
}

async fn messages_reach_the_callback_signed_and_retried(app: &TestApp) -> anyhow::Result<()> {
    let (url, got) = receiver(2).await?;
    let app_id = app.app.app_id.clone();
    let out = tidings(
        app,
        &[
            "app",
            "update",
            &app_id,
            "--message-callback-url",
            &url,
            "--message-callback-secret",
            "hook-secret",
        ],
    )?;
    assert!(out.contains("message callback set"), "{out}");
    let (ann, ta) = app.user("ann").await?;
    let (bob, _) = app.user("bob").await?;
    let answer = app
        .post("/message/send")
        .token(&ta)
        .json(json!({"targets": [bob], "type": 1, "content": "hello hook", "ext": "{\"k\":1}"}))
        .send()
        .await?;
    let msg = id(&answer["msg_ids"][0])?;
    app.post("/message/recall")
        .token(&ta)
        .json(json!({"conversation_id": bob, "msg_id": msg}))
        .ok()
        .await?;

    // Two 500s first: the runner retries with backoff until the receiver takes both.
    let received = wait_for(&got, 2).await?;
    let bodies: Vec<Value> = received
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect();
    for r in &received {
        assert_eq!(r.signature, hmac_hex("hook-secret", &r.body), "signed body");
    }
    let chat = bodies
        .iter()
        .find(|b| b["msgId"] == msg)
        .cloned()
        .unwrap_or_default();
    assert_eq!(chat["appId"], app_id.as_str());
    assert_eq!(chat["from"], json!({"uid": ann}));
    assert_eq!(chat["to"], json!({"uid": bob}));
    assert_eq!(chat["type"], "CHAT");
    assert_eq!(chat["ctype"], "TEXT");
    assert_eq!(chat["content"], "hello hook");
    assert_eq!(chat["ext"], "{\"k\":1}");
    let recall = bodies
        .iter()
        .find(|b| b["type"] == "RECALL")
        .cloned()
        .unwrap_or_default();
    assert_eq!(recall["relatedMid"], msg, "{bodies:?}");

    let out = tidings(app, &["app", "update", &app_id, "--no-message-callback"])?;
    assert!(out.contains("message callback removed"), "{out}");
    let refused = tidings(
        app,
        &[
            "app",
            "update",
            &app_id,
            "--message-callback-url",
            "ftp://x",
            "--message-callback-secret",
            "s",
        ],
    );
    assert!(refused.is_err(), "an ftp URL is refused");
    Ok(())
}
api_test!(messages_reach_the_callback_signed_and_retried, |c| {
    c.webhooks.poll = std::time::Duration::from_millis(50);
    c.webhooks.policy.first_backoff_ms = 100;
});
