//! What bounds a connection: frames over the limit are refused from their header (close
//! 1009), fragments are reassembled up to the limit, text must be UTF-8 (close 1007), and a
//! connection ends with its token (expired: 4002; revoked where this node was not told: a
//! kick, 4001).

use std::time::Duration;

use futures_util::SinkExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::support::{TestApp, api_test};
use crate::ws::Ws;

const TOO_BIG: u16 = 1009;
const INVALID_TEXT: u16 = 1007;

/// The resident memory of this process (the server runs in it), in bytes.
fn rss() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS"))?;
    Ok(kb * 1024)
}

/// Reads server frames (unmasked) until a close frame; its code.
async fn close_code(read: &mut tokio::net::tcp::OwnedReadHalf) -> anyhow::Result<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        // Parse whole frames at the front of the buffer.
        while buf.len() >= 2 {
            let (len, header) = match buf[1] & 0x7F {
                126 if buf.len() >= 4 => (usize::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
                126 | 127 => anyhow::bail!("unexpected large server frame"),
                n => (usize::from(n), 2),
            };
            if buf.len() < header + len {
                break;
            }
            if buf[0] & 0x0F == 0x8 {
                anyhow::ensure!(len >= 2, "a close frame without a code");
                return Ok(u16::from_be_bytes([buf[header], buf[header + 1]]));
            }
            buf.drain(..header + len);
        }
        let n = tokio::time::timeout(Duration::from_secs(10), read.read(&mut chunk))
            .await
            .map_err(|_| anyhow::anyhow!("no close frame within 10 s"))??;
        anyhow::ensure!(n > 0, "the connection ended without a close frame");
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn a_frame_announcing_a_terabyte_is_refused_before_its_payload(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    let addr = app.base.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut read, mut write) = stream.into_split();
    let handshake = format!(
        "GET /ws?app_id={}&access-token={token} HTTP/1.1\r\nHost: {addr}\r\n\
         Upgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        app.app.app_id
    );
    write.write_all(handshake.as_bytes()).await?;
    // The 101 answer, then frames.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        anyhow::ensure!(read.read(&mut byte).await? == 1, "no handshake answer");
        head.push(byte[0]);
    }
    anyhow::ensure!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );

    let before = rss()?;
    // A text frame of 2^40 bytes, masked, then its payload for as long as the server reads.
    let mut header = vec![0x81u8, 0xFF];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&[7, 7, 7, 7]);
    write.write_all(&header).await?;
    let sender = tokio::spawn(async move {
        let chunk = vec![0u8; 1 << 16];
        let started = std::time::Instant::now();
        // Until the server closes the connection (a server that buffered would take it all).
        while started.elapsed() < Duration::from_secs(30) {
            match tokio::time::timeout(Duration::from_secs(5), write.write_all(&chunk)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => return true,
                Err(_) => {}
            }
        }
        false
    });
    assert_eq!(close_code(&mut read).await?, TOO_BIG);
    // After the close frame the server drops the connection (actix lingers up to 1 s).
    assert!(sender.await?, "the connection stayed open");
    let grown = rss()?.saturating_sub(before);
    // Other tests share this process, so the bound is loose; buffering the frame would grow
    // memory by everything the sender managed to write (gigabytes).
    assert!(grown < 256 << 20, "memory grew by {grown} bytes");
    Ok(())
}
api_test!(a_frame_announcing_a_terabyte_is_refused_before_its_payload);

/// Sends one data frame: a fragment unless `last`.
async fn fragment(ws: &mut Ws, payload: &[u8], kind: Data, last: bool) -> anyhow::Result<()> {
    let frame = Frame::message(payload.to_vec(), OpCode::Data(kind), last);
    ws.socket().send(Message::Frame(frame)).await?;
    Ok(())
}

async fn fragmented_frames_are_reassembled_and_answered(app: &TestApp) -> anyhow::Result<()> {
    let (bob, _) = app.user("bob").await?;
    let (_, token) = app.user("ann").await?;
    let mut ws = Ws::connect(app, &token, None).await?;
    let text = json!({"op": "send", "id": "frag", "targets": [bob], "type": 1, "content": "in three parts"})
        .to_string();
    let bytes = text.as_bytes();
    let (a, rest) = bytes.split_at(10);
    let (b, c) = rest.split_at(10);
    fragment(&mut ws, a, Data::Text, false).await?;
    ws.socket()
        .send(Message::Ping(b"between".to_vec().into()))
        .await?;
    fragment(&mut ws, b, Data::Continue, false).await?;
    fragment(&mut ws, c, Data::Continue, true).await?;
    let sent = ws.next_op("sent").await?;
    assert_eq!(sent["id"], "frag");

    // Fragments adding up to more than the frame limit close the connection with 1009.
    let piece = vec![b' '; app.config.gateway.max_frame_bytes / 2 + 1];
    fragment(&mut ws, &piece, Data::Text, false).await?;
    fragment(&mut ws, &piece, Data::Continue, true).await?;
    let (_, code) = ws.until_closed().await?;
    assert_eq!(code, Some(TOO_BIG));
    Ok(())
}
api_test!(fragmented_frames_are_reassembled_and_answered);

async fn text_frames_that_are_not_utf8_close_with_1007(app: &TestApp) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    let mut ws = Ws::connect(app, &token, None).await?;
    fragment(&mut ws, &[b'{', 0xFF, 0xFE, b'}'], Data::Text, true).await?;
    let (_, code) = ws.until_closed().await?;
    assert_eq!(code, Some(INVALID_TEXT));
    Ok(())
}
api_test!(text_frames_that_are_not_utf8_close_with_1007);

async fn a_socket_is_told_and_closed_when_its_token_expires(app: &TestApp) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    let mut ws = Ws::connect(app, &token, None).await?;
    let (frames, code) = ws.until_closed().await?;
    assert_eq!(
        frames.last().map(|f| f["op"].clone()),
        Some(json!("expired"))
    );
    assert_eq!(code, Some(4002));
    // The token is refused from now on.
    app.get("/user/profile")
        .token(&token)
        .refused(10008)
        .await?;
    Ok(())
}
api_test!(
    a_socket_is_told_and_closed_when_its_token_expires,
    |config: &mut tidings_app::Config| {
        config.token_ttl_secs = 2;
    }
);

async fn a_revocation_on_another_node_ends_the_socket_at_the_next_check(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (ann, token) = app.user("ann").await?;
    let mut ws = Ws::connect(app, &token, None).await?;
    // A second node on the same database kicks: this node's hub is not told.
    let other = TestApp::spawn_on(app).await?;
    other
        .admin_as(ann, reqwest::Method::PUT, "/user/kick")
        .ok()
        .await?;
    let (frames, code) = ws.until_closed().await?;
    assert_eq!(
        frames.last().map(|f| f["op"].clone()),
        Some(json!("kicked"))
    );
    assert_eq!(code, Some(crate::ws::KICKED));
    other.stop_only().await
}
api_test!(
    a_revocation_on_another_node_ends_the_socket_at_the_next_check,
    |config: &mut tidings_app::Config| {
        config.gateway.token_recheck = std::time::Duration::from_secs(1);
        config.token_cache_secs = 0;
    }
);
