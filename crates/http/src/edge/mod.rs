//! The request edge: what one client may make the server wait for, hold or parse before any
//! handler runs.
//!
//! - [`guard`], a middleware in front of every operation: the body must arrive within
//!   [`EdgeSettings::body_timeout`] (else HTTP 408) and stay within
//!   [`EdgeSettings::max_body_bytes`] (else HTTP 413); a NUL character (U+0000) anywhere in
//!   the path, the query or the body is refused, so that no backend ever sees one. Each is
//!   answered as the surface owning the path answers unreadable input (MaxIM: the envelope
//!   with 10002; JMessage: 899003) (PostgreSQL cannot store it in
//!   text, SQLite would). `GET /ws` and `POST /file/upload` are passed through: their
//!   bodies are the WebSocket stream, whose frames the gateway checks itself, and a file,
//!   streamed to the file store within its kind's size limit.
//! - [`connection`], each accepted TCP connection watched from the socket up: the per-IP
//!   cap, a deadline on every request head, and a NUL byte in a header refused with 10002.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut, Data};
use futures_util::StreamExt as _;

pub mod connection;
mod framing;

pub use connection::{Connection, ConnectionLimiter, HeadDeadlines};

use crate::state::ApiState;
use crate::surface::Unserved;

/// A request the edge refuses: the HTTP condition (400, 408, 413) and what was wrong.
struct Refused {
    status: StatusCode,
    message: String,
}

impl Refused {
    fn bad(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message,
        }
    }
}

/// What a client may make the server wait for or hold.
#[derive(Clone, Debug)]
pub struct EdgeSettings {
    /// Each request head must arrive within this time of the connection's start, or of the
    /// end of keep-alive after the previous answer (else HTTP 408 and the connection closes).
    pub header_timeout: Duration,
    /// The whole body must arrive within this time of the end of the request head.
    pub body_timeout: Duration,
    /// The largest body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Open connections one client IP may hold (trusted proxies are not counted).
    pub max_connections_per_ip: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// Browser origins allowed to call the API from another origin (CORS); none by default.
    pub cors_origins: CorsOrigins,
}

impl Default for EdgeSettings {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            max_body_bytes: 1 << 20,
            max_connections_per_ip: 1024,
            trusted_proxies: TrustedProxies::default(),
            cors_origins: CorsOrigins::default(),
        }
    }
}

/// The middleware (`actix_web::middleware::from_fn(guard)`): see the module docs.
///
/// # Errors
/// Only those of the wrapped service; refusals are answers.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match admit(&mut req).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        Err(refused) => {
            let answer = crate::refuse(
                req.path(),
                Unserved::Unreadable(refused.status),
                refused.message,
            );
            Ok(req.into_response(answer))
        }
    }
}

async fn admit(req: &mut ServiceRequest) -> Result<(), Refused> {
    let uri = req.uri();
    if percent_nul(uri.path()) || uri.query().is_some_and(percent_nul) {
        return Err(nul_refused("the path or query"));
    }
    // The WebSocket stream and file uploads are read by their handlers, with their own
    // limits (frames; the upload URL's kind and an idle deadline).
    if req.path() == "/ws" || req.path() == crate::maxim::file::UPLOAD_PATH {
        return Ok(());
    }
    let (limit, deadline) = req
        .app_data::<Data<ApiState>>()
        .map(|state| (state.edge.max_body_bytes, state.edge.body_timeout))
        .unwrap_or_else(|| {
            let d = EdgeSettings::default();
            (d.max_body_bytes, d.body_timeout)
        });
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let body = tokio::time::timeout(deadline, read(req.take_payload(), limit))
        .await
        .map_err(|_| Refused {
            status: StatusCode::REQUEST_TIMEOUT,
            message: format!(
                "the request body did not arrive within {} s",
                deadline.as_secs_f64()
            ),
        })??;
    if has_nul(&body) {
        return Err(nul_refused("the body"));
    }
    req.set_payload(Payload::from(body));
    Ok(())
}

async fn read(mut payload: Payload, limit: usize) -> Result<Bytes, Refused> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| Refused::bad(format!("unreadable body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn too_large(limit: usize) -> Refused {
    Refused {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!("the request body is over {limit} bytes"),
    }
}

fn nul_refused(place: &str) -> Refused {
    Refused::bad(format!(
        "{place} contains the NUL character (U+0000), which no field accepts"
    ))
}

/// Whether a percent-encoded path or query decodes to a NUL (raw NUL bytes never pass the
/// HTTP parser, so `%00` is the only way one can arrive).
fn percent_nul(raw: &str) -> bool {
    raw.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Whether a body (JSON, or raw text) carries U+0000: as a raw byte, or as the JSON escape
/// `\u0000` (an escaped backslash followed by `u0000` is text, not a NUL).
pub(crate) fn has_nul(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            0 => return true,
            b'\\' => {
                if body.get(i + 1..i + 6) == Some(b"u0000") {
                    return true;
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

/// The client's IP address: the peer's, or, when the peer is a trusted proxy, the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy (read from the right, as
/// each proxy appends the address it saw). A client cannot forge it by sending the header
/// itself: untrusted peers' headers are ignored, and a trusted proxy appends after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    pub(crate) fn of(req: &actix_web::HttpRequest, trusted: &TrustedProxies) -> Self {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        if !trusted.contains(peer) {
            return Self(peer);
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        let nearest = forwarded.iter().rev().find(|ip| !trusted.contains(**ip));
        Self(nearest.or(forwarded.first()).copied().unwrap_or(peer))
    }
}

impl actix_web::FromRequest for ClientIp {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = match req.app_data::<Data<ApiState>>() {
            Some(state) => Self::of(req, &state.edge.trusted_proxies),
            None => Self::of(req, &TrustedProxies::default()),
        };
        std::future::ready(Ok(ip))
    }
}

/// The origins (`https://app.example.com`, or `*` for any) whose pages may call the API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorsOrigins(Vec<String>);

impl CorsOrigins {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::str::FromStr for CorsOrigins {
    type Err = String;

    /// A comma-separated list of origins as browsers send them (scheme, host, optional
    /// port; no path), or `*`.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        items(list)
            .map(|item| {
                let valid = item == "*"
                    || (item.starts_with("http://") || item.starts_with("https://"))
                        && !item
                            .trim_end_matches('/')
                            .contains(|c: char| c.is_whitespace())
                        && item.splitn(4, '/').nth(3).is_none_or(str::is_empty);
                valid
                    .then(|| item.trim_end_matches('/').to_owned())
                    .ok_or_else(|| {
                        format!("{item:?} is not an origin such as https://app.example.com")
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// The CORS middleware for the configured origins: preflights answered (the methods the API
/// serves, any request header, cached an hour), `Retry-After` readable by scripts, and
/// requests from other origins served without CORS headers (the browser keeps their answer
/// from the page). Wrap it only when origins are configured.
pub fn cors(origins: &CorsOrigins) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allow_any_header()
        .expose_headers([header::RETRY_AFTER])
        .max_age(3600)
        .block_on_origin_mismatch(false);
    for origin in &origins.0 {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// The items of a comma-separated setting, trimmed, empty ones skipped.
fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
}

/// The reverse proxies whose `X-Forwarded-For` is believed: IP addresses and CIDR ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list such as `10.0.0.0/8, 192.0.2.7, ::1`.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        items(list)
            .map(|item| {
                item.parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_as_a_byte_or_a_json_escape_only() {
        assert!(has_nul(b"{\"a\":\"x\\u0000y\"}"));
        assert!(has_nul(b"raw\0text"));
        assert!(!has_nul(b"{\"a\":\"x\\\\u0000y\"}"), "an escaped backslash");
        assert!(
            has_nul(b"{\"a\":\"\\\\\\u0000\"}"),
            "a backslash, then a NUL"
        );
        assert!(!has_nul(b"{\"a\":\"\\u0001\"}"));
        assert!(percent_nul("/user?name=a%00b"));
        assert!(!percent_nul("/user?name=a%200"));
    }

    #[test]
    fn the_client_ip_comes_from_x_forwarded_for_only_through_a_trusted_proxy() {
        use actix_web::test::TestRequest;
        let trusted: TrustedProxies = "10.0.0.0/8".parse().unwrap_or_default();
        let via = |peer: [u8; 4], xff: &str| {
            let req = TestRequest::default()
                .peer_addr(std::net::SocketAddr::from((peer, 4000)))
                .insert_header(("x-forwarded-for", xff))
                .to_http_request();
            ClientIp::of(&req, &trusted).0
        };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        // An untrusted peer's header is ignored.
        assert_eq!(via([192, 0, 2, 1], "198.51.100.7"), ip("192.0.2.1"));
        // Through two trusted proxies, the nearest untrusted address wins, not the forged one.
        assert_eq!(
            via([10, 0, 0, 1], "1.2.3.4, 198.51.100.7, 10.0.0.2"),
            ip("198.51.100.7")
        );
        // Only proxies: the first address.
        assert_eq!(via([10, 0, 0, 1], "10.0.0.3"), ip("10.0.0.3"));
    }

    #[test]
    fn cors_origins_are_origins_or_a_star() {
        let parsed: Result<CorsOrigins, _> =
            "https://app.example.com, http://localhost:3000/".parse();
        assert_eq!(
            parsed,
            Ok(CorsOrigins(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ]))
        );
        assert!("*".parse::<CorsOrigins>().is_ok());
        assert!("app.example.com".parse::<CorsOrigins>().is_err());
        assert!(
            "https://app.example.com/path"
                .parse::<CorsOrigins>()
                .is_err()
        );
    }
}
