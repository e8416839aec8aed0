//! One gateway connection: its events out, the client's frames in, heartbeats, and the
//! position it has sent up to (so that, on this connection, messages arrive once each, in
//! position order, without gaps).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use actix_ws::{CloseCode, Session};
use serde_json::Value;
use tidings_gateway::{CloseReason, Connection, Event, Next};
use tidings_kernel::{Clock as _, Principal, SystemClock, Timestamp};
use tidings_messaging::MessageError;
use tidings_messaging::model::Message;
use tokio::sync::Semaphore;

use super::frames::{self, ClientFrame, LiveMessage, ServerFrame};
use super::reader::{FrameReader, Incoming, ReadError};
use crate::maxim::error::ApiError;
use crate::state::ApiState;

/// How many messages one catch-up query fetches.
const CATCH_UP_BATCH: i64 = 500;

/// How long the last frames (`kicked`, the close) and a send's answer may wait for a client
/// that does not read.
const FINAL_WRITE: std::time::Duration = std::time::Duration::from_secs(5);

enum Control {
    Ping,
    Pong(Vec<u8>),
}

/// The connection's token: it ends when the token expires, and is looked up again now and
/// then in case it was revoked without this node being told.
pub(crate) struct Token {
    pub raw: String,
    pub expires_at: Option<Timestamp>,
}

/// Why a session ends.
enum End {
    Closed(CloseReason),
    Idle,
    /// The token expired.
    Expired,
    /// The client closed or went away.
    Gone,
    /// The client broke the protocol: the frame limit (1009), UTF-8 text (1007) or RFC 6455
    /// itself (1002).
    Refused(ReadError),
}

struct Live {
    state: Arc<ApiState>,
    principal: Principal,
    token: Token,
    ws: Session,
    /// The highest position sent on this connection.
    cursor: i64,
    in_flight: Arc<Semaphore>,
}

pub(crate) async fn run(
    state: Arc<ApiState>,
    (principal, token): (Principal, Token),
    mut connection: Connection,
    ws: Session,
    mut stream: FrameReader,
    position: i64,
    after: Option<i64>,
) {
    let in_flight = Arc::new(Semaphore::new(state.gateway.max_in_flight.max(1)));
    let mut live = Live {
        state,
        principal,
        token,
        ws,
        cursor: position,
        in_flight,
    };
    let end = live.serve(&mut connection, &mut stream, after).await;
    drop(connection);
    let (code, description) = match end {
        End::Closed(CloseReason::Kicked) => {
            let kicked = live.ws.text(frames::encode(&ServerFrame::Kicked {}));
            let _ = tokio::time::timeout(FINAL_WRITE, kicked).await;
            (CloseCode::Other(4001), "kicked".into())
        }
        End::Closed(CloseReason::SlowConsumer) => (
            CloseCode::Other(4008),
            "fell behind: reconnect and sync".into(),
        ),
        End::Idle => (CloseCode::Away, "idle".into()),
        End::Expired => {
            let expired = live.ws.text(frames::encode(&ServerFrame::Expired {}));
            let _ = tokio::time::timeout(FINAL_WRITE, expired).await;
            (CloseCode::Other(4002), "token expired: log in again".into())
        }
        End::Gone | End::Refused(ReadError::Gone) => (CloseCode::Normal, String::new()),
        End::Refused(ReadError::TooBig) => (
            CloseCode::Size,
            format!(
                "a frame or message over {} bytes",
                live.state.gateway.max_frame_bytes
            ),
        ),
        End::Refused(ReadError::InvalidText) => {
            (CloseCode::Invalid, "text frames must be UTF-8".into())
        }
        End::Refused(ReadError::Protocol(why)) => (CloseCode::Protocol, why),
    };
    let reason = actix_ws::CloseReason {
        code,
        description: Some(description),
    };
    let _ = tokio::time::timeout(FINAL_WRITE, live.ws.close(Some(reason))).await;
}

impl Live {
    async fn serve(
        &mut self,
        connection: &mut Connection,
        stream: &mut FrameReader,
        after: Option<i64>,
    ) -> End {
        let hello = ServerFrame::Hello {
            user_id: connection.user.0,
            device_sn: connection.device.0,
            position: self.cursor,
        };
        if let Err(end) = self.write(connection, frames::encode(&hello)).await {
            return end;
        }
        if let Some(after) = after.filter(|a| *a < self.cursor) {
            self.cursor = after;
            if let Err(end) = self.catch_up(connection, i64::MAX).await {
                return end;
            }
        }
        let mut heartbeat = tokio::time::interval(self.state.gateway.heartbeat);
        heartbeat.tick().await;
        let mut recheck = tokio::time::interval(self.state.gateway.token_recheck);
        recheck.tick().await;
        let expiry = until(self.token.expires_at);
        tokio::pin!(expiry);
        let mut last_seen = Instant::now();
        loop {
            let step = tokio::select! {
                () = &mut expiry => Err(End::Expired),
                _ = recheck.tick() => self.recheck().await,
                next = connection.next() => match next {
                    Next::Event(event) => self.event(connection, event).await,
                    Next::Close(reason) => Err(End::Closed(reason)),
                },
                incoming = stream.next() => {
                    last_seen = Instant::now();
                    self.incoming(connection, incoming).await
                }
                _ = heartbeat.tick() => {
                    if last_seen.elapsed() > self.state.gateway.idle_timeout {
                        Err(End::Idle)
                    } else {
                        self.control(connection, Control::Ping).await
                    }
                }
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    /// Looks the token up again: a token revoked meanwhile ends the session like a kick; a
    /// store that does not answer ends nothing.
    async fn recheck(&self) -> Result<(), End> {
        let app = self.principal.app.clone();
        let token = Some(self.token.raw.clone());
        match crate::maxim::auth::authenticate_connection(&self.state, app, token).await {
            Err(e) if e.code == crate::maxim::error::code::TOKEN_INVALID => {
                Err(End::Closed(CloseReason::Kicked))
            }
            _ => Ok(()),
        }
    }

    /// Writes a frame, unless the hub closes the connection meanwhile (a client that does
    /// not read would otherwise hold the session here for ever).
    async fn write(&mut self, connection: &Connection, text: String) -> Result<(), End> {
        tokio::select! {
            written = self.ws.text(text) => written.map_err(|_| End::Gone),
            reason = connection.closed() => Err(End::Closed(reason)),
        }
    }

    /// A ping or pong, abandoned like [`Self::write`] when the hub closes the connection.
    async fn control(&mut self, connection: &Connection, control: Control) -> Result<(), End> {
        let sent = async {
            match &control {
                Control::Ping => self.ws.ping(b"").await,
                Control::Pong(bytes) => self.ws.pong(bytes).await,
            }
        };
        tokio::select! {
            sent = sent => sent.map_err(|_| End::Gone),
            reason = connection.closed() => Err(End::Closed(reason)),
        }
    }

    async fn event(&mut self, connection: &Connection, event: Event) -> Result<(), End> {
        match event {
            Event::Message {
                message,
                position,
                conversation,
            } => {
                if position == 0 {
                    let frame = message_frame(&message, 0, conversation);
                    self.write(connection, frame).await
                } else if position <= self.cursor {
                    Ok(())
                } else if position == self.cursor + 1 {
                    self.cursor = position;
                    let frame = message_frame(&message, position, conversation);
                    self.write(connection, frame).await
                } else {
                    // An earlier position is committed but its event has not arrived (or
                    // was dropped): read the gap from the store.
                    self.catch_up(connection, position).await
                }
            }
            other => match frames::notice(&other) {
                Some(frame) => {
                    self.write(connection, frame).await?;
                    if let Event::Push(push) = &other {
                        push.receipt.written();
                    }
                    Ok(())
                }
                None => Ok(()),
            },
        }
    }

    /// Sends everything after the cursor from the store, until `until` is sent or nothing
    /// is left.
    async fn catch_up(&mut self, connection: &Connection, until: i64) -> Result<(), End> {
        while self.cursor < until {
            let (messaging, me, after) = (
                self.state.messaging.clone(),
                self.principal.clone(),
                self.cursor,
            );
            let batch = self
                .on_runtime(async move { messaging.since(&me, after, CATCH_UP_BATCH).await })
                .await;
            let Ok(items) = batch else {
                // The store failed: the client recovers by sync after reconnecting.
                return Err(End::Closed(CloseReason::SlowConsumer));
            };
            let complete = (items.len() as i64) < CATCH_UP_BATCH;
            for (message, position, conversation) in items {
                self.cursor = position;
                let frame = message_frame(&message, position, conversation);
                self.write(connection, frame).await?;
            }
            if complete {
                break;
            }
        }
        Ok(())
    }

    async fn incoming(
        &mut self,
        connection: &Connection,
        incoming: Result<Incoming, ReadError>,
    ) -> Result<(), End> {
        match incoming {
            Err(ReadError::Gone) | Ok(Incoming::Close) => Err(End::Gone),
            Err(refused) => Err(End::Refused(refused)),
            Ok(Incoming::Text(text)) => self.frame(connection, &text).await,
            Ok(Incoming::Ping(bytes)) => {
                self.control(connection, Control::Pong(bytes.to_vec()))
                    .await
            }
            Ok(Incoming::Binary) => {
                let error = error_frame(None, &ApiError::bad_parameter("frames are JSON text"));
                self.write(connection, error).await
            }
            Ok(Incoming::Pong) => Ok(()),
        }
    }

    async fn frame(&mut self, connection: &Connection, text: &str) -> Result<(), End> {
        if crate::edge::has_nul(text.as_bytes()) {
            let error = ApiError::bad_parameter(
                "the frame contains the NUL character (U+0000), which no field accepts",
            );
            return self.write(connection, error_frame(None, &error)).await;
        }
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(e) => {
                let error = ApiError::bad_parameter(format!("invalid frame: {e}"));
                return self.write(connection, error_frame(None, &error)).await;
            }
        };
        match frame {
            ClientFrame::Send { id, body } => self.send(connection, id, body).await,
            ClientFrame::Read {
                id,
                conversation_id,
                msg_id,
            } => {
                let (messaging, me) = (self.state.messaging.clone(), self.principal.clone());
                let done = self
                    .on_runtime(async move { messaging.ack(&me, conversation_id, msg_id).await })
                    .await;
                let reply = match done {
                    Ok(()) => frames::encode(&ServerFrame::Ok { id }),
                    Err(e) => error_frame(id, &e),
                };
                self.write(connection, reply).await
            }
            ClientFrame::Sync { id, after, limit } => {
                self.sync(connection, id, after, limit.unwrap_or(200)).await
            }
            ClientFrame::Ping { id } => {
                self.write(connection, frames::encode(&ServerFrame::Pong { id }))
                    .await
            }
        }
    }

    /// A send runs beside the session (at most `max_in_flight` at once per connection), so
    /// a client may pipeline sends; each is answered by `sent` or `error` with its `id`.
    async fn send(
        &mut self,
        connection: &Connection,
        id: Option<Value>,
        body: frames::SendFrame,
    ) -> Result<(), End> {
        if let Err(refused) = self.state.limits.send(&self.principal) {
            let error = error_frame(id, &ApiError::from(refused));
            return self.write(connection, error).await;
        }
        let permit = tokio::select! {
            permit = self.in_flight.clone().acquire_owned() => permit.map_err(|_| End::Gone)?,
            reason = connection.closed() => return Err(End::Closed(reason)),
        };
        let (messaging, me, mut ws) = (
            self.state.messaging.clone(),
            self.principal.clone(),
            self.ws.clone(),
        );
        self.state.runtime.spawn(async move {
            let reply = match messaging.send(&me, body.into_request()).await {
                Ok(sent) => frames::encode(&ServerFrame::Sent {
                    id,
                    msg_ids: sent.ids,
                    duplicate: sent.duplicate,
                }),
                Err(e) => error_frame(id, &ApiError::from(e)),
            };
            let _ = tokio::time::timeout(FINAL_WRITE, ws.text(reply)).await;
            drop(permit);
        });
        Ok(())
    }

    async fn sync(
        &mut self,
        connection: &Connection,
        id: Option<Value>,
        after: i64,
        limit: i64,
    ) -> Result<(), End> {
        let (messaging, me) = (self.state.messaging.clone(), self.principal.clone());
        let found = self
            .on_runtime(async move { messaging.since(&me, after, limit).await })
            .await;
        let items = match found {
            Ok(items) => items,
            Err(e) => return self.write(connection, error_frame(id, &e)).await,
        };
        let more = items.len() as i64 == limit;
        let mut position = after;
        for (message, p, conversation) in items {
            position = p;
            // Only a position actually sent moves the cursor.
            self.cursor = self.cursor.max(p);
            self.write(connection, message_frame(&message, p, conversation))
                .await?;
        }
        let done = ServerFrame::Synced { id, position, more };
        self.write(connection, frames::encode(&done)).await
    }

    /// Runs domain work on the server's multi-thread runtime (see `crate::op`).
    async fn on_runtime<T: Send + 'static>(
        &self,
        work: impl Future<Output = Result<T, MessageError>> + Send + 'static,
    ) -> Result<T, ApiError> {
        match self.state.runtime.spawn(work).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(e) => Err(ApiError::from_panic(&e)),
        }
    }
}

/// Resolves when `expires_at` has passed; never without one.
async fn until(expires_at: Option<Timestamp>) {
    let Some(at) = expires_at else {
        return std::future::pending().await;
    };
    let left = u64::try_from(at.0.saturating_sub(SystemClock.now().0)).unwrap_or(0);
    tokio::time::sleep(std::time::Duration::from_millis(left)).await;
}

fn message_frame(message: &Message, position: i64, conversation: i64) -> String {
    frames::encode(&ServerFrame::Message {
        position,
        conversation_id: conversation,
        message: LiveMessage::new(message),
    })
}

fn error_frame(id: Option<Value>, error: &ApiError) -> String {
    frames::encode(&ServerFrame::Error {
        id,
        code: error.code,
        message: error.message.clone(),
    })
}
