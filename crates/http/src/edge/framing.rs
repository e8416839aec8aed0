//! Where each request head is in a connection's input: HTTP/1.1 framing followed byte by byte
//! as actix-http's parser frames it (a head up to its blank line, then a body of
//! `Content-Length` bytes or in chunks), so a NUL byte is looked for in heads and only in
//! heads, whether a head comes first, after a chunked body, or pipelined behind requests the
//! server is still serving.
//!
//! Wherever the parser would refuse the input or stop framing it as HTTP/1.1 (an upgrade to a
//! WebSocket, `CONNECT`, a malformed length, a head over the parser's size), following stops
//! for the rest of the connection: nothing after it is looked at, so no body byte is ever
//! taken for a head byte.

/// The parser's limits: a head over [`MAX_HEAD`] bytes is refused with 431, and at most
/// [`MAX_HEADERS`] headers are read.
const MAX_HEAD: usize = 128 << 10;
const MAX_HEADERS: usize = 96;

/// The framing of one connection's input so far.
#[derive(Debug)]
pub(super) struct Framing {
    state: State,
    heads: u64,
}

#[derive(Debug)]
enum State {
    Head(Head),
    Body {
        remaining: u64,
    },
    Chunked {
        step: Chunk,
        size: u64,
    },
    /// Not followed any more (see the module docs).
    Unknown,
}

/// A head being read: its bytes so far (kept only when it spans reads), whether its request
/// line has begun (the parser skips empty lines before it), and where its lines end.
#[derive(Debug, Default)]
struct Head {
    bytes: Vec<u8>,
    started: bool,
    /// 0: within a line; 1: after `\n`; 2: after `\n\r`.
    line_end: u8,
}

/// The steps of a chunked body, as actix-http's chunked decoder takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    SizeFirst,
    SizeRest,
    SizeLws,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailer,
    TrailerLf,
    EndCr,
    EndLf,
}

/// What the scan of a head's next bytes found.
enum Scanned {
    /// A NUL byte at this offset.
    Nul(usize),
    /// The head's blank line ends just before this offset.
    Ends(usize),
    /// Neither: the head goes on.
    More,
}

impl Framing {
    pub(super) fn new() -> Self {
        Self {
            state: State::Head(Head::default()),
            heads: 0,
        }
    }

    /// How many whole request heads the input has held so far.
    pub(super) fn heads(&self) -> u64 {
        self.heads
    }

    /// Follows `bytes`, the next bytes of the input: the offset of a NUL byte within a
    /// request head, if there is one (the bytes after it are not followed).
    pub(super) fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            match &mut self.state {
                State::Unknown => return None,
                State::Body { remaining } => {
                    let n = usize::try_from(*remaining).map_or(rest.len(), |r| r.min(rest.len()));
                    *remaining -= n as u64;
                    at += n;
                    if *remaining == 0 {
                        self.state = State::Head(Head::default());
                    }
                }
                State::Chunked { step, size } => {
                    if *step == Chunk::Data {
                        let n = usize::try_from(*size).map_or(rest.len(), |s| s.min(rest.len()));
                        *size -= n as u64;
                        at += n;
                        if *size == 0 {
                            *step = Chunk::DataCr;
                        }
                        continue;
                    }
                    at += 1;
                    self.state = match chunk_step(*step, size, rest[0]) {
                        Some(Some(next)) => State::Chunked {
                            step: next,
                            size: *size,
                        },
                        Some(None) => State::Head(Head::default()),
                        None => State::Unknown,
                    };
                }
                State::Head(head) => match head.scan(rest) {
                    Scanned::Nul(i) => return Some(at + i),
                    Scanned::More => {
                        head.bytes.extend_from_slice(rest);
                        at = bytes.len();
                        if head.bytes.len() > MAX_HEAD {
                            self.state = State::Unknown;
                        }
                    }
                    Scanned::Ends(i) => {
                        let next = if head.bytes.is_empty() {
                            after_head(&rest[..i])
                        } else {
                            head.bytes.extend_from_slice(&rest[..i]);
                            after_head(&head.bytes)
                        };
                        self.heads += 1;
                        at += i;
                        self.state = next;
                    }
                },
            }
        }
        None
    }
}

impl Head {
    fn scan(&mut self, bytes: &[u8]) -> Scanned {
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                return Scanned::Nul(i);
            }
            if !self.started {
                self.started = b != b'\r' && b != b'\n';
                continue;
            }
            match (b, self.line_end) {
                (b'\n', 1 | 2) => return Scanned::Ends(i + 1),
                (b'\n', _) => self.line_end = 1,
                (b'\r', 1) => self.line_end = 2,
                _ => self.line_end = 0,
            }
        }
        Scanned::More
    }
}

/// What follows a whole head, as the parser decides it from the head's framing headers.
fn after_head(head: &[u8]) -> State {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(len)) if len == head.len() => {}
        _ => return State::Unknown,
    }
    let mut length = None;
    let mut encoded = false;
    let mut websocket = false;
    for header in request.headers.iter() {
        let value = std::str::from_utf8(header.value).map(str::trim);
        if header.name.eq_ignore_ascii_case("content-length") {
            match value.ok().filter(|v| !v.starts_with('+')).map(str::parse) {
                Some(Ok(n)) if length.is_none() => length = Some(n),
                _ => return State::Unknown,
            }
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            // Only one `chunked` (on HTTP/1.1, without a length) is framing the parser takes.
            if encoded || !value.is_ok_and(|v| v.eq_ignore_ascii_case("chunked")) {
                return State::Unknown;
            }
            encoded = true;
        } else if header.name.eq_ignore_ascii_case("upgrade") {
            websocket |= value.is_ok_and(|v| v.eq_ignore_ascii_case("websocket"));
        }
    }
    if encoded {
        if length.is_some() || request.version != Some(1) {
            return State::Unknown;
        }
        return State::Chunked {
            step: Chunk::SizeFirst,
            size: 0,
        };
    }
    if websocket || request.method == Some("CONNECT") && length.unwrap_or(0) == 0 {
        return State::Unknown;
    }
    match length {
        Some(n) if n > 0 => State::Body { remaining: n },
        _ => State::Head(Head::default()),
    }
}

/// One byte of a chunked body outside chunk data: the next step (`Some(None)`: the body has
/// ended), or `None` where the decoder refuses the byte.
fn chunk_step(step: Chunk, size: &mut u64, b: u8) -> Option<Option<Chunk>> {
    let hex = char::from(b).to_digit(16).map(u64::from);
    let next = match (step, b) {
        (Chunk::SizeFirst, _) => {
            *size = hex?;
            Chunk::SizeRest
        }
        (Chunk::SizeRest, _) if hex.is_some() => {
            *size = size.checked_mul(16)?.checked_add(hex?)?;
            Chunk::SizeRest
        }
        (Chunk::SizeRest | Chunk::SizeLws, b'\t' | b' ') => Chunk::SizeLws,
        (Chunk::SizeRest | Chunk::SizeLws, b';') => Chunk::Extension,
        (Chunk::SizeRest | Chunk::SizeLws | Chunk::Extension, b'\r') => Chunk::SizeLf,
        (Chunk::Extension, 0x00..=0x08 | 0x0a..=0x1f | 0x7f) => return None,
        (Chunk::Extension, _) => Chunk::Extension,
        (Chunk::SizeLf, b'\n') if *size > 0 => Chunk::Data,
        (Chunk::SizeLf, b'\n') => Chunk::EndCr,
        (Chunk::DataCr, b'\r') => Chunk::DataLf,
        (Chunk::DataLf, b'\n') => Chunk::SizeFirst,
        (Chunk::Trailer, b'\r') => Chunk::TrailerLf,
        (Chunk::Trailer, _) => Chunk::Trailer,
        (Chunk::TrailerLf, b'\n') => Chunk::EndCr,
        (Chunk::EndCr, b'\r') => Chunk::EndLf,
        (Chunk::EndCr, _) => Chunk::Trailer,
        (Chunk::EndLf, b'\n') => return Some(None),
        _ => return None,
    };
    Some(Some(next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nul_at(parts: &[&[u8]]) -> Vec<Option<usize>> {
        let mut framing = Framing::new();
        parts.iter().map(|p| framing.feed(p)).collect()
    }

    #[test]
    fn a_nul_in_a_head_is_found_wherever_the_head_is() {
        // In the first head, split across reads.
        assert_eq!(
            nul_at(&[b"GET / HTTP/1.1\r\nHost: x\r\n", b"X-A: a\0b\r\n\r\n"]),
            [None, Some(6)]
        );
        // Body bytes are the body's, up to its length; the head after it is scanned.
        let mut framing = Framing::new();
        assert_eq!(
            framing.feed(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r"),
            None
        );
        assert_eq!(framing.feed(b"\n\0\0"), None);
        assert_eq!(framing.feed(b"\0GET / HTTP/1.1\r\nX: \0\r\n\r\n"), Some(20));
        assert_eq!(framing.heads(), 1);
        // Pipelined heads in one read: the third one holds the NUL.
        let three = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\nHost: x\n\n\
                      GET /c\0 HTTP/1.1\r\n\r\n";
        let mut framing = Framing::new();
        let at = framing.feed(three);
        assert_eq!(at, three.iter().position(|&b| b == 0));
        assert_eq!(framing.heads(), 2);
    }

    #[test]
    fn a_chunked_body_is_followed_to_its_end_and_the_next_head_scanned() {
        let mut framing = Framing::new();
        let head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(framing.feed(head), None);
        // Chunks with NUL bytes, an extension, a size split across reads, and a trailer.
        assert_eq!(framing.feed(b"3;ext=1\r\n\0\0\0\r\n1"), None);
        assert_eq!(framing.feed(b"0 \r\n"), None);
        assert_eq!(framing.feed(&[0u8; 16]), None);
        assert_eq!(framing.feed(b"\r\n0\r\nX-T: \0\r\n\r\n"), None);
        assert_eq!(framing.heads(), 1);
        assert_eq!(framing.feed(b"GET / HTTP/1.1\r\nA: \0"), Some(19));
        assert_eq!(framing.heads(), 1);
    }

    #[test]
    fn framing_the_parser_refuses_or_does_not_frame_stops_the_scan() {
        for head in [
            // Both lengths, two lengths, a signed one, an encoding other than chunked.
            &b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            // The rest of the connection is a WebSocket's, or a tunnel's.
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
            b"CONNECT x:1 HTTP/1.1\r\n\r\n",
            // Not a head the parser reads at all.
            b"GET / HTTP/1.1\r\nbad header\r\n\r\n",
        ] {
            let mut framing = Framing::new();
            assert_eq!(framing.feed(head), None);
            assert_eq!(framing.feed(b"GET / HTTP/1.1\r\nA: \0\r\n\r\n"), None);
        }
        // A bad chunk size line.
        let mut framing = Framing::new();
        let head = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n";
        assert_eq!(framing.feed(head), None);
        assert_eq!(framing.feed(b"GET / HTTP/1.1\r\nA: \0\r\n\r\n"), None);
    }

    #[test]
    fn empty_lines_before_a_request_line_do_not_end_its_head() {
        let mut framing = Framing::new();
        assert_eq!(framing.feed(b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n"), None);
        assert_eq!(framing.heads(), 0);
        assert_eq!(framing.feed(b"\r\nGET / HTTP/1.1\r\n\0"), Some(18));
        assert_eq!(framing.heads(), 1);
    }
}
