//! The request edge: NUL characters refused in every field family alike on both databases
//! (in a header wherever its head is: first, pipelined, or after a chunked body),
//! bodies over the limit or too slow answered in the envelope, slow heads cut off, and a
//! cap on each client IP's connections.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::support::{Backend, TestApp, api_test, text};
use crate::ws::Ws;

fn addr(app: &TestApp) -> anyhow::Result<SocketAddr> {
    Ok(app.base.trim_start_matches("http://").parse()?)
}

/// A raw connection to the server from a chosen loopback address (127.0.0.x).
async fn connect_from(app: &TestApp, from: [u8; 4]) -> anyhow::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    Ok(socket.connect(addr(app)?).await?)
}

/// Everything the server sends until it closes the connection (or `wait` passes: `None`).
async fn until_eof(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(wait, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    });
    read.await
        .ok()
        .map(|()| String::from_utf8_lossy(&answer).into_owned())
}

/// The JSON body of a raw HTTP/1.1 answer.
fn body_of(answer: &str) -> serde_json::Value {
    answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or_default()
}

/// Reads one answer on a kept-alive connection: the refusal of a body holding NUL bytes.
async fn body_refused(raw: &mut TcpStream) -> anyhow::Result<()> {
    let mut answer = Vec::new();
    while !String::from_utf8_lossy(&answer).contains("U+0000") {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(10), raw.read(&mut chunk)).await??;
        anyhow::ensure!(n > 0, "closed after {:?}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&chunk[..n]);
    }
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        body_of(&answer)["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("the body")),
        "{answer}"
    );
    Ok(())
}

async fn nul_is_refused_with_10002_in_every_field_family(app: &TestApp) -> anyhow::Result<()> {
    let (ann, token) = app.user("ann").await?;
    let refused =
        |m: &serde_json::Value| m["message"].as_str().is_some_and(|m| m.contains("U+0000"));
    // A JSON body: register and profile.
    let v = app
        .post("/user/register/v2")
        .json(json!({"username": "nul\u{0}name", "password": "secret-pw"}))
        .refused(10002)
        .await?;
    assert!(refused(&v), "{v}");
    app.post("/user/profile")
        .token(&token)
        .json(json!({"nick_name": "a\u{0}b", "description": "kept?"}))
        .refused(10002)
        .await?;
    // A raw text body.
    app.put("/user/private")
        .token(&token)
        .body("secret\0")
        .refused(10002)
        .await?;
    // The query.
    app.put("/user/nickname?nick_name=a%00b")
        .token(&token)
        .refused(10002)
        .await?;
    // The path (before any route is looked up).
    let v = app.get("/user/%00").token(&token).refused(10002).await?;
    assert!(refused(&v), "{v}");
    // Nothing of it was stored.
    let profile = app.get("/user/profile").token(&token).ok().await?;
    assert_eq!(profile["nick_name"], "");
    assert_eq!(profile["description"], "");
    let found = app
        .admin(Method::GET, "/user/list")
        .query(&[("page_size", "100")])
        .ok()
        .await?;
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");

    // A header (HTTP 400: the request cannot be parsed), on a new connection and on a
    // kept-alive one after an ordinary request whose body held NUL bytes past its head.
    let header_nul = format!(
        "GET /user/profile HTTP/1.1\r\nHost: x\r\napp_id: {}\r\naccess-token: a\0b\r\n\r\n",
        app.app.app_id
    );
    let mut raw = connect_from(app, [127, 0, 0, 1]).await?;
    raw.write_all(header_nul.as_bytes()).await?;
    // More keeps coming after the refused head: the answer still arrives whole.
    raw.write_all(&vec![b'x'; 64 << 10]).await?;
    let answer = until_eof(&mut raw, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(refused(&body_of(&answer)), "{answer}");
    assert_eq!(body_of(&answer)["code"], 10002, "{answer}");
    let mut raw = connect_from(app, [127, 0, 0, 1]).await?;
    let first = format!(
        "POST /no/such/operation HTTP/1.1\r\nHost: x\r\napp_id: {}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\n",
        app.app.app_id
    );
    raw.write_all(&[first.as_bytes(), b"\0\0\0"].concat())
        .await?;
    // The body's refusal (not the header's: the NUL bytes after the head are the body's).
    body_refused(&mut raw).await?;
    raw.write_all(header_nul.as_bytes()).await?;
    let answer = until_eof(&mut raw, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(refused(&body_of(&answer)), "{answer}");

    // A WebSocket frame: an error frame, and the connection stays open.
    let mut ws = Ws::connect(app, &token, None).await?;
    ws.send(json!({"op": "send", "id": 1, "targets": [ann], "type": 1, "content": "x\u{0}"}))
        .await?;
    let error = ws.next_op("error").await?;
    assert_eq!(error["code"], 10002);
    ws.send(json!({"op": "ping", "id": 2})).await?;
    assert_eq!(ws.next_op("pong").await?["id"], 2);
    Ok(())
}
api_test!(nul_is_refused_with_10002_in_every_field_family);

async fn a_body_over_the_limit_is_answered_413_in_the_envelope(
    app: &TestApp,
) -> anyhow::Result<()> {
    let (_, token) = app.user("ann").await?;
    let big = "x".repeat(app.config.edge.max_body_bytes + 1);
    let (status, v) = app
        .put("/user/private")
        .token(&token)
        .body(big)
        .raw()
        .await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(v["code"], 10002, "{v}");
    assert!(text(&v["message"])?.contains("bytes"));
    Ok(())
}
api_test!(a_body_over_the_limit_is_answered_413_in_the_envelope);

/// Short deadlines for the slow-client tests.
fn short_deadlines(config: &mut tidings_app::Config) {
    config.edge.header_timeout = Duration::from_secs(1);
    config.edge.body_timeout = Duration::from_secs(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_never_finishes_is_answered_408_and_its_connection_closed() -> anyhow::Result<()>
{
    let Some(app) = TestApp::spawn(Backend::Sqlite, short_deadlines).await? else {
        return Ok(());
    };
    let request = format!(
        "POST /token/user HTTP/1.1\r\nHost: x\r\napp_id: {}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"name\":",
        app.app.app_id
    );
    // A body that never finishes, and a head that never finishes: 408 in the envelope.
    let unfinished = [request.as_bytes(), b"GET /healthz HTTP/1.1\r\nHost: x\r\n"];
    for sent in unfinished {
        let mut raw = connect_from(&app, [127, 0, 0, 1]).await?;
        raw.write_all(sent).await?;
        let answer = until_eof(&mut raw, Duration::from_secs(10))
            .await
            .ok_or_else(|| anyhow::anyhow!("the connection stayed open"))?;
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert_eq!(body_of(&answer)["code"], 10002, "{answer}");
    }

    // So is the second head of a kept-alive connection, dribbled a byte a time after the
    // first request was answered.
    let mut raw = connect_from(&app, [127, 0, 0, 1]).await?;
    raw.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await?;
    let mut answered = [0u8; 12];
    raw.read_exact(&mut answered).await?;
    assert_eq!(&answered, b"HTTP/1.1 200");
    let started = std::time::Instant::now();
    let dribble = async {
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: ".iter().cycle() {
            if raw.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    // Keep-alive (5 s) + the head deadline (1 s), and the connection is closed.
    let cut = tokio::time::timeout(Duration::from_secs(15), dribble).await;
    assert!(cut.is_ok(), "the dribbled head was never cut off");
    assert!(
        started.elapsed() >= Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_slow_clients_do_not_delay_an_ordinary_request() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(Backend::Sqlite, |config| {
        config.edge.body_timeout = Duration::from_secs(60);
        config.edge.max_connections_per_ip = 2000;
    })
    .await?
    else {
        return Ok(());
    };
    let request = format!(
        "POST /token/user HTTP/1.1\r\nHost: x\r\napp_id: {}\r\nContent-Length: 100\r\n\r\n{{",
        app.app.app_id
    );
    let mut slow = Vec::new();
    for _ in 0..1000 {
        let mut raw = connect_from(&app, [127, 0, 0, 2]).await?;
        raw.write_all(request.as_bytes()).await?;
        slow.push(raw);
    }
    // All of them are being read when the ordinary request comes.
    let started = std::time::Instant::now();
    let answered = tokio::time::timeout(Duration::from_secs(10), app.get("/healthz").send()).await;
    assert!(
        matches!(answered, Ok(Ok(_))),
        "not answered within 10 s: {answered:?}"
    );
    println!(
        "ordinary request beside 1000 slow clients: {:?}",
        started.elapsed()
    );
    // The slow ones are still held (not closed to make room).
    let mut probe = slow.swap_remove(0);
    assert!(
        until_eof(&mut probe, Duration::from_millis(200))
            .await
            .is_none()
    );
    drop((probe, slow));
    app.finish().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_ip_cap_are_closed_and_others_served() -> anyhow::Result<()> {
    let Some(app) = TestApp::spawn(Backend::Sqlite, |config| {
        config.edge.max_connections_per_ip = 10;
    })
    .await?
    else {
        return Ok(());
    };
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(connect_from(&app, [127, 0, 0, 3]).await?);
    }
    // Accepted at the TCP level, then closed at once without an answer.
    let mut over = connect_from(&app, [127, 0, 0, 3]).await?;
    let answer = until_eof(&mut over, Duration::from_secs(5)).await;
    assert_eq!(
        answer.as_deref(),
        Some(""),
        "the 11th connection was served"
    );
    // Another IP is served.
    app.get("/healthz").send().await?;
    // A closed connection frees its place (once the server has seen it close).
    drop(held.pop());
    let mut served = None;
    for _ in 0..50 {
        let mut again = connect_from(&app, [127, 0, 0, 3]).await?;
        again
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await?;
        served = until_eof(&mut again, Duration::from_secs(5)).await;
        if served
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{served:?}"
    );
    drop(held);
    app.finish().await
}

/// A preflight from `origin` for a POST with the API's headers.
fn preflight(app: &TestApp, origin: &str) -> crate::support::Call {
    app.call(Method::OPTIONS, "/user/profile")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "app_id, access-token, content-type",
        )
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn browsers_on_configured_origins_may_call_the_api(app: &TestApp) -> anyhow::Result<()> {
    let origin = "https://chat.example.com";
    let (status, headers) = preflight(app, origin).status_and_headers().await?;
    assert!(status.is_success(), "{status}");
    assert_eq!(header(&headers, "access-control-allow-origin"), origin);
    let allowed = header(&headers, "access-control-allow-headers").to_lowercase();
    assert!(
        allowed.contains("access-token") && allowed.contains("app_id"),
        "{allowed}"
    );
    assert!(header(&headers, "access-control-allow-methods").contains("POST"));

    // The answer itself carries the origin, and scripts may read Retry-After.
    let (_, token) = app.user("ann").await?;
    let (status, headers, v) = app
        .get("/user/profile")
        .token(&token)
        .header("origin", origin)
        .with_headers()
        .await?;
    assert_eq!((status, v["code"].clone()), (StatusCode::OK, json!(200)));
    assert_eq!(header(&headers, "access-control-allow-origin"), origin);
    assert!(
        header(&headers, "access-control-expose-headers")
            .to_lowercase()
            .contains("retry-after")
    );

    // Another origin gets no CORS headers: its page cannot read the answer.
    let (_, headers) = preflight(app, "https://evil.example")
        .status_and_headers()
        .await?;
    assert_eq!(header(&headers, "access-control-allow-origin"), "");
    Ok(())
}
api_test!(
    browsers_on_configured_origins_may_call_the_api,
    |config: &mut tidings_app::Config| {
        config.edge.cors_origins = "https://chat.example.com".parse().unwrap_or_default();
    }
);

async fn without_configured_origins_there_is_no_cors(app: &TestApp) -> anyhow::Result<()> {
    let (status, headers) = preflight(app, "https://chat.example.com")
        .status_and_headers()
        .await?;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&headers, "access-control-allow-origin"), "");
    Ok(())
}
api_test!(without_configured_origins_there_is_no_cors);

async fn pipelined_requests_are_served_in_order_without_false_refusals(
    app: &TestApp,
) -> anyhow::Result<()> {
    // A body of binary bytes (NUL among them) and a second request in one write: the body's
    // bytes are the body's, not a head's; the second request is served normally.
    let mut raw = connect_from(app, [127, 0, 0, 1]).await?;
    let both = [
        format!(
            "POST /user/private HTTP/1.1\r\nHost: x\r\napp_id: {}\r\n\
             Content-Length: 4\r\n\r\n",
            app.app.app_id
        )
        .into_bytes(),
        b"a\0b\0".to_vec(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(),
    ]
    .concat();
    raw.write_all(&both).await?;
    let answer = until_eof(&mut raw, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    let answers: Vec<&str> = answer.matches("HTTP/1.1 ").collect();
    assert_eq!(answers.len(), 2, "{answer}");
    let second = answer.rsplit("HTTP/1.1 ").next().unwrap_or_default();
    assert!(second.starts_with("200"), "{answer}");
    Ok(())
}
api_test!(pipelined_requests_are_served_in_order_without_false_refusals);

async fn a_nul_in_a_pipelined_head_or_after_a_chunked_body_is_refused_in_order(
    app: &TestApp,
) -> anyhow::Result<()> {
    let nul_head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\0b\r\n\r\n".to_vec();
    let refused = |answer: &str| {
        let last = answer.rsplit("HTTP/1.1 ").next().unwrap_or_default();
        last.starts_with("400")
            && body_of(&format!("HTTP/1.1 {last}"))["message"]
                .as_str()
                .is_some_and(|m| m.contains("U+0000"))
    };
    // Pipelined: two ordinary requests and the refused head in one write. Both are answered,
    // in order, then the refusal in the envelope.
    let mut raw = connect_from(app, [127, 0, 0, 1]).await?;
    let ordinary = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    raw.write_all(&[ordinary.clone(), ordinary.clone(), nul_head.clone()].concat())
        .await?;
    let answer = until_eof(&mut raw, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    let statuses: Vec<&str> = answer
        .split("HTTP/1.1 ")
        .skip(1)
        .map(|a| a.get(..3).unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["200", "200", "400"], "{answer}");
    assert!(refused(&answer), "{answer}");

    // After a chunked body whose chunks hold NUL bytes (and a trailer): the body is the
    // body's, the next head is refused.
    let mut raw = connect_from(app, [127, 0, 0, 1]).await?;
    let chunked = [
        format!(
            "POST /no/such/operation HTTP/1.1\r\nHost: x\r\napp_id: {}\r\n\
             Transfer-Encoding: chunked\r\n\r\n",
            app.app.app_id
        )
        .into_bytes(),
        b"3\r\n\0\0\0\r\n5;x=y\r\n\0a\0b\0\r\n0\r\nX-Trailer: t\r\n\r\n".to_vec(),
    ]
    .concat();
    raw.write_all(&chunked).await?;
    // The first answer arrives before the next head is sent (not pipelined this time).
    // The body's refusal, not the header's.
    body_refused(&mut raw).await?;
    raw.write_all(&nul_head).await?;
    let answer = until_eof(&mut raw, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(refused(&answer), "{answer}");

    // A chunked body and the refused head pipelined behind it.
    let mut raw = connect_from(app, [127, 0, 0, 1]).await?;
    raw.write_all(&[chunked, nul_head].concat()).await?;
    let answer = until_eof(&mut raw, Duration::from_secs(10))
        .await
        .unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 2, "{answer}");
    assert!(refused(&answer), "{answer}");
    Ok(())
}
api_test!(a_nul_in_a_pipelined_head_or_after_a_chunked_body_is_refused_in_order);
