//! Each accepted connection, watched from the socket up: the per-IP cap, a deadline on every
//! request head (not only the first), and a NUL byte in a request head refused with the
//! envelope.
//!
//! actix-http times only the first request head of a connection (a client could finish one
//! request and then dribble the next head on the same keep-alive connection for ever), and
//! it answers a malformed head, such as a raw NUL byte in a header, with a bare HTTP 400.
//! So the server reads and writes each TCP stream through a [`Connection`], and
//! [`watch_requests`], the outermost middleware, tells the connection's [`ConnectionWatch`]
//! where each request begins and ends.
//!
//! - Between requests (the *head phase*: from the connection's start, or from the end of an
//!   answer) the next head must be complete within `header_timeout` of the connection's
//!   start, or within keep-alive + `header_timeout` of the previous answer; otherwise the
//!   connection answers HTTP 408 with the envelope (code 10002) and closes.
//! - The input is followed as HTTP/1.1 frames it (the `framing` module: heads, bodies of a
//!   known length, chunked bodies), so every head is found wherever it is: first, after a
//!   chunked body, or pipelined behind requests still being served. A NUL byte in a head is
//!   answered HTTP 400 with the envelope (code 10002), and the connection closes: the head is
//!   never passed to the parser, and the answer waits until every request before it has been
//!   answered, so it comes after their answers, in order.

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
use super::framing::Framing;
use crate::maxim::envelope::Envelope;
use crate::maxim::error::code;

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
    /// Where the heads of the input are.
    framing: Framing,
    /// Whether a NUL was found in a head: nothing more is passed to the server, and the
    /// refusal waits until the requests before that head are answered.
    held: bool,
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
    /// How many requests have been answered.
    answers: Cell<u64>,
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
            answers: Cell::new(0),
            deadline: Cell::new(Some(Instant::now() + deadlines.header_timeout)),
            waker: Cell::new(None),
            deadlines,
        }
    }

    /// A request's head was parsed (a request with no body has read it whole already).
    fn request_started(&self, bodiless: bool) {
        let body = if bodiless { Body::Read } else { Body::Reading };
        self.phase.set(Phase::Request { body });
        self.deadline.set(None);
    }

    fn body_ended(&self, whole: bool) {
        if let Phase::Request { .. } = self.phase.get() {
            let body = if whole { Body::Read } else { Body::Abandoned };
            self.phase.set(Phase::Request { body });
        }
    }

    fn answered(&self) {
        self.answers.set(self.answers.get().wrapping_add(1));
        if let Phase::Request { body } = self.phase.get() {
            // A body still open when the answer is done is one nobody will read to its end.
            self.between_requests(body == Body::Read);
        }
    }

    fn between_requests(&self, body_read: bool) {
        if body_read {
            self.phase.set(Phase::Head);
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
            framing: Framing::new(),
            held: false,
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

    /// Notes whether a write blocked. A refusal held for the server's answers waits for them
    /// to be written: a write that completes after blocking polls the read side again.
    fn wrote(&mut self, blocked: bool, cx: &Context<'_>) {
        if self.held && self.write_blocked && !blocked {
            cx.waker().wake_by_ref();
        }
        self.write_blocked = blocked;
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
        if this.held {
            // The requests before the refused head are answered and their answers written:
            // the refusal comes after them. Until then, nothing more is read.
            if this.watch.answers.get() == this.framing.heads() && !this.write_blocked {
                return this.refuse(StatusCode::BAD_REQUEST, NUL_IN_HEAD, cx);
            }
            return Poll::Pending;
        }
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
        if let Some(at) = this.framing.feed(&buf.filled()[before..]) {
            // What came before the NUL (the requests before its head, the head's start) is
            // the server's; the rest is never passed on.
            buf.set_filled(before + at);
            this.held = true;
            if at == 0 {
                return Pin::new(this).poll_read(cx, buf);
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
        this.wrote(written.is_pending(), cx);
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
        this.wrote(written.is_pending(), cx);
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

/// An answer written by the connection itself: the envelope, then the connection closes.
struct Refusal {
    bytes: Vec<u8>,
    written: usize,
    /// Set once the answer is out and the sending side shut.
    linger: Option<Pin<Box<Sleep>>>,
    drained: usize,
}

/// The refusal of a head with a NUL byte.
const NUL_IN_HEAD: &str =
    "a request header contains the NUL character (U+0000), which no field accepts";

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
    watch.request_started(bodiless);
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
