//! `GET /ws`: the real-time gateway. A WebSocket authenticated like the REST API (`app_id`
//! and `access-token`, as query parameters or headers) carries JSON frames both ways: see
//! `docs/PROTOCOL.md` and [`frames`].

mod frames;
mod reader;
mod session;

use std::time::Duration;

use actix_web::web::{Data, Payload, Query};
use actix_web::{FromRequest as _, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::maxim::auth::{authenticate_connection, header, parse_app_id};
use crate::maxim::error::ApiError;
use crate::state::ApiState;

/// Timing and limits of gateway connections.
#[derive(Clone, Debug)]
pub struct GatewaySettings {
    /// How often the server pings an idle connection.
    pub heartbeat: Duration,
    /// A connection the client has sent nothing on (not even a pong) for this long is closed.
    pub idle_timeout: Duration,
    /// Sends from one connection that may be in flight at once.
    pub max_in_flight: usize,
    /// Largest frame a client may send, in bytes.
    pub max_frame_bytes: usize,
    /// Events queued for one connection at most; one that falls further behind is closed
    /// and catches up by sync.
    pub queue: usize,
    /// Bytes of events queued for one connection at most (the same close).
    pub queue_bytes: usize,
    /// How often a connection's token is looked up again, so that a revocation this node
    /// was not told of (another node's, without the cluster adapter) still ends it.
    pub token_recheck: Duration,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            max_in_flight: 64,
            max_frame_bytes: 512 * 1024,
            queue: 1024,
            queue_bytes: tidings_gateway::DEFAULT_QUEUE_BYTES,
            token_recheck: Duration::from_secs(120),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct Handshake {
    app_id: Option<String>,
    #[serde(rename = "access-token")]
    access_token: Option<String>,
    /// Start by sending everything after this position (a reconnecting device's last one).
    #[serde(default, deserialize_with = "crate::lenient::opt_int")]
    after: Option<i64>,
}

/// Authenticates, registers the connection with the hub and hands the socket to a session.
pub(crate) async fn upgrade(
    req: HttpRequest,
    body: Payload,
    state: Data<ApiState>,
    q: Query<Handshake>,
) -> Result<HttpResponse, ApiError> {
    let Handshake {
        app_id,
        access_token,
        after,
    } = q.into_inner();
    let app = parse_app_id(app_id.as_deref().or_else(|| header(&req, "app_id")))?;
    let token = access_token.or_else(|| header(&req, "access-token").map(str::to_owned));
    if after.is_some_and(|a| a < 0) {
        return Err(ApiError::bad_parameter("after must be 0 or more"));
    }
    let grant = authenticate_connection(&state, app.clone(), token.clone()).await?;
    let principal = grant.principal();
    state
        .limits
        .ws_connection(state.hub.connections_of(&grant.app, grant.user))?;
    // Registered before the position is read: whatever commits after that read is queued.
    let connection = state
        .hub
        .connect(grant.app.clone(), grant.user, grant.device);
    // A kick that revoked the token between the check above and the registration found no
    // connection to close: check again now that a kick would find it.
    authenticate_connection(&state, app, token.clone()).await?;
    let messaging = state.messaging.clone();
    let me = principal.clone();
    let position = state
        .runtime
        .spawn(async move { messaging.last_position(&me).await })
        .await
        .map_err(|e| ApiError::from_panic(&e))??;
    // actix-ws answers the handshake and writes frames; the client's frames are read by
    // `reader`, which bounds what a frame may make the server buffer.
    let none = Payload::from_request(&req, &mut actix_web::dev::Payload::None)
        .await
        .map_err(|e| ApiError::bad_parameter(e.to_string()))?;
    let (response, ws, _unread) = actix_ws::handle(&req, none)
        .map_err(|e| ApiError::bad_parameter(format!("not a WebSocket handshake: {e}")))?;
    let stream = reader::FrameReader::new(body.into_inner(), state.gateway.max_frame_bytes);
    let token = session::Token {
        raw: token.unwrap_or_default(),
        expires_at: grant.expires_at,
    };
    actix_web::rt::spawn(session::run(
        state.into_inner(),
        (principal, token),
        connection,
        ws,
        stream,
        position,
        after,
    ));
    Ok(response)
}

/// The `/ws` resource. Its handshake refusals answer in the MaxIM envelope with MaxIM codes
/// (docs/PROTOCOL.md), so it takes MaxIM's `answers`.
pub(crate) fn resource(answers: &crate::surface::Answers) -> actix_web::Resource {
    answers
        .resource("/ws")
        .route(actix_web::web::get().to(upgrade))
}
