//! Each accepted connection, watched from the socket up: the per-IP cap, a deadline on every
//! request head (not only the first), and a NUL byte in a request head refused with the
//! envelope.
//!
//! actix-http times only the first request head of a connection (a client could finish one
//! request and then dribble the next head on the same keep-alive connection for ever), and
//! it answers a malformed head, such as a raw NUL byte in a header, with a bare HTTP 400.
//! So the server reads and writes each TCP stream through a [`Connection`], and
//! [`watch_requests`], the outermost middleware, tells the connection's [`ConnectionWatch`]
//! where each request begins and ends. Between requests (the *head phase*: from the
//! connection's start, or from the end of an answer whose request body was read to its end)
//! every byte that arrives belongs to the next request head, up to its blank line. So:
//!
//! - the head must be complete within `header_timeout` of the connection's start, or within
//!   keep-alive + `header_timeout` of the previous answer; otherwise the connection answers
//!   HTTP 408 with the envelope (code 10002) and closes;
//! - a NUL byte in a head is answered HTTP 400 with the envelope (code 10002), and the
//!   connection closes (the request is never parsed).
//!
//! A head pipelined behind a request still being served is not scanned (the HTTP parser still
//! refuses a NUL in it, with a bare 400). When a request's body was left unread, the server
//! drains or closes the connection; the next head is timed but not scanned.

use std::cell::Cell;
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_util::Stream;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use super::TrustedProxies;
use crate::envelope::Envelope;
use crate::error::code;

/// How long a request head may take to arrive.
#[derive(Clone, Copy, Debug)]
pub struct HeadDeadlines {
    /// From the connection's start, or (added to `keep_alive`) from the previous answer.
    pub header_timeout: Duration,
    /// How long the server keeps an idle connection open between requests.
    pub keep_alive: Duration,
}

/// A TCP stream as the HTTP server reads and writes it: see the module docs.
pub struct Connection {
    io: TcpStream,
    watch: Rc<ConnectionWatch>,
    timer: Pin<Box<Sleep>>,
    /// Where the scan of the current head is (reset when a new head phase begins).
    scan: HeadScan,
    /// Bytes passed to the server so far.
    read_total: u64,
    /// An answer the connection gives itself, then closes.
    refusal: Option<Refusal>,
    /// Whether the last write to the socket could not complete: then an answer of the
    /// server's may still be queued, and the connection closes without one of its own.
    write_blocked: bool,
    _slot: ConnectionSlot,
}

/// Where each request of one connection is, as the middleware reports it.
pub struct ConnectionWatch {
    phase: Cell<Phase>,
    /// Counts the head phases, so the connection knows when to scan a new head.
    heads: Cell<u64>,
    /// The length of the last request's body, when it was known.
    body_len: Cell<Option<u64>>,
    deadline: Cell<Option<Instant>>,
    waker: Cell<Option<Waker>>,
    deadlines: HeadDeadlines,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Every byte that arrives belongs to the next request head.
    Head,
    /// A request is being served.
    Request { body: Body },
    /// The last request's body was not read to its end: the server drains or closes.
    Draining,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    Reading,
    Read,
    Abandoned,
}

impl ConnectionWatch {
    fn new(deadlines: HeadDeadlines) -> Self {
        Self {
            phase: Cell::new(Phase::Head),
            heads: Cell::new(0),
            body_len: Cell::new(Some(0)),
            deadline: Cell::new(Some(Instant::now() + deadlines.header_timeout)),
            waker: Cell::new(None),
            deadlines,
        }
    }

    /// A request's head was parsed; its body is `body_len` bytes long (`None`: unknown, as
    /// chunked bodies and upgraded connections are).
    fn request_started(&self, body_len: Option<u64>) {
        let body = if body_len == Some(0) {
            Body::Read
        } else {
            Body::Reading
        };
        self.phase.set(Phase::Request { body });
        self.body_len.set(body_len);
        self.deadline.set(None);
    }

    fn body_ended(&self, whole: bool) {
        if let Phase::Request { .. } = self.phase.get() {
            let body = if whole { Body::Read } else { Body::Abandoned };
            self.phase.set(Phase::Request { body });
        }
    }

    fn answered(&self) {
        if let Phase::Request { body } = self.phase.get() {
            // A body still open when the answer is done is one nobody will read to its end.
            self.between_requests(body == Body::Read);
        }
    }

    fn between_requests(&self, body_read: bool) {
        if body_read {
            self.phase.set(Phase::Head);
            self.heads.set(self.heads.get().wrapping_add(1));
        } else {
            self.phase.set(Phase::Draining);
        }
        let d = self.deadlines;
        self.deadline
            .set(Some(Instant::now() + d.keep_alive + d.header_timeout));
        // The connection's task may be waiting on the socket with the old deadline.
        if let Some(waker) = self.waker.take() {
            waker.wake_by_ref();
            self.waker.set(Some(waker));
        }
    }

    fn remember(&self, waker: &Waker) {
        let known = self.waker.take();
        match known {
            Some(w) if w.will_wake(waker) => self.waker.set(Some(w)),
            _ => self.waker.set(Some(waker.clone())),
        }
    }
}

impl Connection {
    /// Admits a newly accepted stream: `Err` when its IP is at the cap (the stream is then
    /// dropped, which closes it without an answer).
    ///
    /// # Errors
    /// When the IP holds its cap of connections, or the peer address cannot be read.
    pub fn accept(
        io: TcpStream,
        limiter: &ConnectionLimiter,
        deadlines: HeadDeadlines,
    ) -> io::Result<(Self, Option<SocketAddr>)> {
        let peer = io.peer_addr()?;
        let slot = limiter.admit(peer.ip()).ok_or_else(|| {
            tracing::debug!(ip = %peer.ip(), "connection over the per-IP cap closed");
            io::Error::other("over the per-IP connection cap")
        })?;
        // Frames and answers are small: send them at once rather than wait for the peer's
        // delayed ACK (Nagle), which costs up to 40 ms a message.
        io.set_nodelay(true)?;
        let watch = Rc::new(ConnectionWatch::new(deadlines));
        let first = watch
            .deadline
            .get()
            .unwrap_or_else(|| Instant::now() + deadlines.header_timeout);
        let connection = Self {
            io,
            watch,
            timer: Box::pin(tokio::time::sleep_until(first)),
            scan: HeadScan::new(0, 0),
            read_total: 0,
            refusal: None,
            write_blocked: false,
            _slot: slot,
        };
        Ok((connection, Some(peer)))
    }

    /// What the middleware reports to: put it in the connection's data
    /// (`HttpServiceBuilder::on_connect_ext`).
    pub fn watch(&self) -> Rc<ConnectionWatch> {
        self.watch.clone()
    }

    fn refuse(
        &mut self,
        status: StatusCode,
        message: &str,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        if self.write_blocked {
            // An answer of the server's may be half-written: close without another.
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                message.to_owned(),
            )));
        }
        tracing::debug!(%status, message, "request head refused by the connection");
        self.refusal = Some(Refusal::new(status, message));
        self.poll_refusal(cx)
    }

    /// Writes the refusal and ends the connection's sending side; then, for a moment, reads
    /// and drops what the client still sends (closing with unread bytes would reset the
    /// connection, and the client could lose the answer before reading it). Once done, the
    /// server reads the end of the stream.
    fn poll_refusal(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Self { io, refusal, .. } = self;
        let Some(refusal) = refusal.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        while refusal.written < refusal.bytes.len() {
            let n = std::task::ready!(
                Pin::new(&mut *io).poll_write(cx, &refusal.bytes[refusal.written..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            refusal.written += n;
        }
        if refusal.linger.is_none() {
            std::task::ready!(Pin::new(&mut *io).poll_flush(cx))?;
            std::task::ready!(Pin::new(&mut *io).poll_shutdown(cx))?;
            refusal.linger = Some(Box::pin(tokio::time::sleep(LINGER)));
        }
        let Some(linger) = refusal.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 4096];
        while refusal.drained < LINGER_BYTES {
            if linger.as_mut().poll(cx).is_ready() {
                break;
            }
            let mut drop_buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut *io).poll_read(cx, &mut drop_buf) {
                Poll::Ready(Ok(())) if drop_buf.filled().is_empty() => break,
                Poll::Ready(Ok(())) => refusal.drained += drop_buf.filled().len(),
                Poll::Ready(Err(_)) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            // Nothing more is read: the end of the stream, once the refusal is written.
            return this.poll_refusal(cx);
        }
        this.watch.remember(cx.waker());
        let phase = this.watch.phase.get();
        if let Some(deadline) = this.watch.deadline.get() {
            if this.timer.deadline() != deadline {
                this.timer.as_mut().reset(deadline);
            }
            if this.timer.as_mut().poll(cx).is_ready() {
                let d = this.watch.deadlines;
                if this.write_blocked {
                    // The client is still reading the last answer: the next head's time
                    // has not begun.
                    this.watch
                        .deadline
                        .set(Some(Instant::now() + d.keep_alive + d.header_timeout));
                    return Pin::new(this).poll_read(cx, buf);
                }
                if phase != Phase::Head {
                    return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
                }
                let secs = this.watch.deadlines.header_timeout.as_secs_f64();
                let message = format!("the request head did not arrive within {secs} s");
                return this.refuse(StatusCode::REQUEST_TIMEOUT, &message, cx);
            }
        }
        let before = buf.filled().len();
        std::task::ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
        let start = this.read_total;
        this.read_total += (buf.filled().len() - before) as u64;
        if phase == Phase::Head {
            let heads = this.watch.heads.get();
            if this.scan.head != heads {
                // The new head starts exactly here only if the server has been given
                // precisely the last head and its body; otherwise (a pipelined head, a body
                // of unknown length) this head is not scanned, rather than risk reading a
                // body as a head.
                let expected = this
                    .scan
                    .end
                    .zip(this.watch.body_len.get())
                    .map(|(end, body)| end + body);
                this.scan = HeadScan::new(heads, start);
                if expected != Some(start) {
                    this.scan.done = true;
                }
            }
            if this.scan.finds_nul(&buf.filled()[before..]) {
                buf.set_filled(before);
                return this.refuse(
                    StatusCode::BAD_REQUEST,
                    "a request header contains the NUL character (U+0000), which no field accepts",
                    cx,
                );
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            // The connection answers for itself now; the server has nothing to say.
            return Poll::Ready(Ok(buf.len()));
        }
        let written = Pin::new(&mut this.io).poll_write(cx, buf);
        this.write_blocked = written.is_pending();
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        let written = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.write_blocked = written.is_pending();
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.refusal.is_some() {
            // Its sending side is shut already.
            return this.poll_refusal(cx);
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The scan of one request head for NUL bytes, up to its blank line (`\n\n` or `\n\r\n`, as
/// the HTTP parser accepts both).
#[derive(Debug)]
struct HeadScan {
    /// The head phase it belongs to.
    head: u64,
    /// The stream position of the next byte it will see.
    at: u64,
    /// The stream position just past the head's blank line, once found.
    end: Option<u64>,
    /// 0: within a line; 1: after `\n`; 2: after `\n\r`.
    line_end: u8,
    done: bool,
}

impl HeadScan {
    fn new(head: u64, at: u64) -> Self {
        Self {
            head,
            at,
            end: None,
            line_end: 0,
            done: false,
        }
    }

    /// Whether `bytes`, the next bytes of the stream, hold a NUL before the head's end.
    fn finds_nul(&mut self, bytes: &[u8]) -> bool {
        for &b in bytes {
            if self.done {
                return false;
            }
            self.at += 1;
            match (b, self.line_end) {
                (0, _) => return true,
                (b'\n', 1 | 2) => {
                    self.done = true;
                    self.end = Some(self.at);
                }
                (b'\n', _) => self.line_end = 1,
                (b'\r', 1) => self.line_end = 2,
                _ => self.line_end = 0,
            }
        }
        false
    }
}

/// An answer written by the connection itself: the envelope, then the connection closes.
struct Refusal {
    bytes: Vec<u8>,
    written: usize,
    /// Set once the answer is out and the sending side shut.
    linger: Option<Pin<Box<Sleep>>>,
    drained: usize,
}

/// How long, and how much, a refusing connection reads and drops before it closes.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 1 << 20;

impl Refusal {
    fn new(status: StatusCode, message: &str) -> Self {
        let body = serde_json::to_vec(&Envelope {
            code: code::BAD_PARAMETER,
            message: Some(message.to_owned()),
            data: Value::Null,
        })
        .unwrap_or_default();
        let mut bytes = format!(
            "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n",
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(&body);
        Self {
            bytes,
            written: 0,
            linger: None,
            drained: 0,
        }
    }
}

/// The outermost middleware (`actix_web::middleware::from_fn(watch_requests)`): reports
/// where each request begins and ends to its connection's [`ConnectionWatch`].
///
/// # Errors
/// Only those of the wrapped service.
pub async fn watch_requests(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(watch) = req.conn_data::<Rc<ConnectionWatch>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let payload = req.take_payload();
    let bodiless = matches!(payload, Payload::None);
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    watch.request_started(if bodiless { Some(0) } else { declared });
    if !bodiless {
        req.set_payload(Payload::Stream {
            payload: Box::pin(WatchedBody {
                inner: payload,
                watch: Some(watch.clone()),
            }),
        });
    }
    // Reports the answer done when dropped: with the answer's body once it is written, or at
    // once if the service fails.
    let answered = Answered(watch);
    let response = next.call(req).await?;
    Ok(response.map_body(move |_, body| {
        WatchedAnswer {
            body: body.boxed(),
            _answered: answered,
        }
        .boxed()
    }))
}

/// A request body that reports whether it was read to its end.
struct WatchedBody {
    inner: Payload,
    watch: Option<Rc<ConnectionWatch>>,
}

impl Stream for WatchedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let next = Pin::new(&mut this.inner).poll_next(cx);
        if let Poll::Ready(None) = next
            && let Some(watch) = this.watch.take()
        {
            watch.body_ended(true);
        }
        next
    }
}

impl Drop for WatchedBody {
    fn drop(&mut self) {
        if let Some(watch) = self.watch.take() {
            watch.body_ended(false);
        }
    }
}

struct Answered(Rc<ConnectionWatch>);

impl Drop for Answered {
    fn drop(&mut self) {
        self.0.answered();
    }
}

struct WatchedAnswer {
    body: BoxBody,
    _answered: Answered,
}

impl MessageBody for WatchedAnswer {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// Counts open connections per client IP; a connection over the cap is refused as it is
/// accepted. Trusted proxies are not counted (their clients are many).
#[derive(Clone, Debug)]
pub struct ConnectionLimiter {
    per_ip: usize,
    trusted: TrustedProxies,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One admitted connection; dropping it (when the connection closes) frees its place.
#[derive(Debug)]
pub struct ConnectionSlot {
    ip: Option<IpAddr>,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl ConnectionLimiter {
    /// At most `per_ip` connections per IP, except for trusted proxies.
    pub fn new(per_ip: usize, trusted: TrustedProxies) -> Self {
        Self {
            per_ip,
            trusted,
            open: Arc::default(),
        }
    }

    /// A place for a new connection from `ip`, or `None` when the IP is at its cap.
    pub fn admit(&self, ip: IpAddr) -> Option<ConnectionSlot> {
        if self.trusted.contains(ip) {
            return Some(ConnectionSlot {
                ip: None,
                open: self.open.clone(),
            });
        }
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= self.per_ip {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot {
            ip: Some(ip),
            open: self.open.clone(),
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_scanned_for_nul_up_to_its_blank_line_only() {
        let mut scan = HeadScan::new(0, 0);
        assert!(!scan.finds_nul(b"GET / HTTP/1.1\r\nHost: x\r\n"));
        assert!(scan.finds_nul(b"X-A: a\0b\r\n\r\n"));
        // Split across reads, and a body with NUL bytes after the blank line.
        let mut scan = HeadScan::new(0, 0);
        assert!(!scan.finds_nul(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r"));
        assert!(!scan.finds_nul(b"\n\0\0\0"));
        assert!(!scan.finds_nul(b"\0"));
        assert_eq!(scan.end, Some(38), "just past the blank line");
        // Bare line feeds end a head too.
        let mut scan = HeadScan::new(0, 0);
        assert!(!scan.finds_nul(b"GET / HTTP/1.1\nHost: x\n\n\0"));
    }

    #[test]
    fn a_refusal_is_a_whole_http_answer_in_the_envelope() {
        let refusal = Refusal::new(StatusCode::BAD_REQUEST, "no");
        let text = String::from_utf8_lossy(&refusal.bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head}");
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert_eq!(body, r#"{"code":10002,"message":"no","data":null}"#);
    }

    #[test]
    fn each_ip_holds_at_most_its_cap_and_a_closed_connection_frees_its_place() {
        let trusted: TrustedProxies = "10.0.0.0/8, ::1".parse().unwrap_or_default();
        assert!(trusted.contains(IpAddr::from([10, 0, 0, 1])));
        assert!("10.0.0.0/8, nonsense".parse::<TrustedProxies>().is_err());
        let limiter = ConnectionLimiter::new(2, trusted);
        let ip = IpAddr::from([192, 0, 2, 7]);
        let first = limiter.admit(ip);
        let second = limiter.admit(ip);
        assert!(first.is_some() && second.is_some());
        assert!(limiter.admit(ip).is_none());
        assert!(limiter.admit(IpAddr::from([192, 0, 2, 8])).is_some());
        drop(first);
        assert!(limiter.admit(ip).is_some());
        let proxy: Vec<_> = (0..10)
            .map(|_| limiter.admit(IpAddr::from([10, 0, 0, 1])))
            .collect();
        assert!(proxy.iter().all(Option::is_some));
    }
}
