//! A WebSocket client for the gateway tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::support::TestApp;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Ws {
    socket: Socket,
    /// The `hello` frame.
    pub hello: Value,
}

/// How long a test waits for a frame it expects.
const WAIT: Duration = Duration::from_secs(10);

impl Ws {
    /// Connects with the token as query parameters; `after` asks for a catch-up first.
    pub async fn connect(app: &TestApp, token: &str, after: Option<i64>) -> anyhow::Result<Self> {
        let mut url = format!(
            "{}/ws?app_id={}&access-token={token}",
            app.base.replacen("http", "ws", 1),
            app.app.app_id
        );
        if let Some(after) = after {
            url.push_str(&format!("&after={after}"));
        }
        let (socket, _) = tokio_tungstenite::connect_async(url).await?;
        let mut ws = Self {
            socket,
            hello: Value::Null,
        };
        ws.hello = ws.next().await?;
        anyhow::ensure!(ws.hello["op"] == "hello", "first frame: {}", ws.hello);
        Ok(ws)
    }

    /// The next JSON frame (pings are answered by the client library).
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("no frame within {WAIT:?}"))?
                .ok_or_else(|| anyhow::anyhow!("the connection ended"))??;
            match message {
                Message::Text(text) => return Ok(serde_json::from_str(&text)?),
                Message::Close(frame) => anyhow::bail!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next frame whose `op` is `op`, skipping others.
    pub async fn next_op(&mut self, op: &str) -> anyhow::Result<Value> {
        loop {
            let frame = self.next().await?;
            if frame["op"] == op {
                return Ok(frame);
            }
        }
    }

    /// The next `message` frame.
    pub async fn message(&mut self) -> anyhow::Result<Value> {
        self.next_op("message").await
    }

    /// The socket itself, for frames the helpers do not build.
    pub fn socket(&mut self) -> &mut Socket {
        &mut self.socket
    }

    pub async fn send(&mut self, frame: Value) -> anyhow::Result<()> {
        self.socket.send(Message::text(frame.to_string())).await?;
        Ok(())
    }

    /// Asserts that no frame arrives for a while.
    pub async fn silent(&mut self, wait: Duration) -> anyhow::Result<()> {
        match tokio::time::timeout(wait, self.socket.next()).await {
            Err(_) => Ok(()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => Ok(()),
            Ok(other) => anyhow::bail!("expected silence, got {other:?}"),
        }
    }

    /// Reads until the server closes; returns the frames before the close and its code.
    pub async fn until_closed(&mut self) -> anyhow::Result<(Vec<Value>, Option<u16>)> {
        let mut frames = Vec::new();
        loop {
            let next = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("not closed within {WAIT:?}"))?;
            match next {
                Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text)?),
                Some(Ok(Message::Close(frame))) => {
                    return Ok((frames, frame.map(|f| u16::from(f.code))));
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => return Ok((frames, None)),
            }
        }
    }
}

/// The close code for a kick.
pub const KICKED: u16 = 4001;
/// The close code for a connection that fell behind.
pub const SLOW: u16 = 4008;
pub const AWAY: u16 = 1001;
