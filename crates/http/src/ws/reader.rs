//! Reading the client's frames with bounded memory.
//!
//! `actix-ws`'s message stream reads everything the socket has before it parses, and the
//! frame parser waits for a whole frame before it compares the frame's length with the
//! limit, so a client that announces a 2^40-byte frame and keeps sending makes the server
//! buffer all of it. This reader parses after every chunk and checks the length announced
//! in the frame header against the limit as soon as the header has arrived, before any of
//! the payload is kept: at most one frame of the limit plus one chunk is ever buffered.
//! Fragmented messages are reassembled up to the same limit, and text is checked to be
//! UTF-8 once it is whole. The frames themselves are decoded by actix-http's codec.

use actix_codec::Decoder as _;
use actix_http::ws::{Codec, Frame, Item, ProtocolError};
use actix_web::dev;
use actix_web::web::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::StreamExt;

/// A whole message from the client (control frames are messages of their own).
#[derive(Debug)]
pub(crate) enum Incoming {
    Text(ByteString),
    Binary,
    Ping(Bytes),
    Pong,
    Close,
}

/// Why reading stopped.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// A frame or a reassembled message is larger than the limit (close code 1009).
    TooBig,
    /// A text message is not UTF-8 (close code 1007).
    InvalidText,
    /// The client broke RFC 6455 (close code 1002).
    Protocol(String),
    /// The connection ended or failed.
    Gone,
}

enum Kind {
    Text,
    Binary,
}

pub(crate) struct FrameReader<S = dev::Payload> {
    payload: S,
    codec: Codec,
    buf: BytesMut,
    max: usize,
    /// A fragmented message being reassembled.
    partial: Option<(Kind, BytesMut)>,
}

impl<S> FrameReader<S>
where
    S: futures_util::Stream<Item = Result<Bytes, actix_web::error::PayloadError>> + Unpin,
{
    /// Reads frames of at most `max` bytes (and messages reassembled to at most `max`).
    pub(crate) fn new(payload: S, max: usize) -> Self {
        Self {
            payload,
            codec: Codec::new().max_size(max),
            buf: BytesMut::new(),
            max,
            partial: None,
        }
    }

    /// The next whole message.
    pub(crate) async fn next(&mut self) -> Result<Incoming, ReadError> {
        loop {
            if let Some(message) = self.decode()? {
                return Ok(message);
            }
            match self.payload.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                None | Some(Err(_)) => return Err(ReadError::Gone),
            }
        }
    }

    /// Decodes what is buffered: a message, or `None` when more bytes are needed.
    fn decode(&mut self) -> Result<Option<Incoming>, ReadError> {
        loop {
            let Some(announced) = announced_len(&self.buf) else {
                return Ok(None);
            };
            let so_far = self.partial.as_ref().map_or(0, |(_, b)| b.len() as u64);
            if announced.saturating_add(so_far) > self.max as u64 {
                return Err(ReadError::TooBig);
            }
            let frame = match self.codec.decode(&mut self.buf) {
                Ok(Some(frame)) => frame,
                Ok(None) => return Ok(None),
                Err(ProtocolError::Overflow) => return Err(ReadError::TooBig),
                Err(e) => return Err(ReadError::Protocol(e.to_string())),
            };
            let message = match frame {
                Frame::Text(bytes) => Some(text(bytes)?),
                Frame::Binary(_) => Some(Incoming::Binary),
                Frame::Ping(bytes) => Some(Incoming::Ping(bytes)),
                Frame::Pong(_) => Some(Incoming::Pong),
                Frame::Close(_) => Some(Incoming::Close),
                Frame::Continuation(item) => self.continuation(item)?,
            };
            if message.is_some() {
                return Ok(message);
            }
        }
    }

    /// Adds a fragment; the message once its last fragment has arrived.
    fn continuation(&mut self, item: Item) -> Result<Option<Incoming>, ReadError> {
        match item {
            Item::FirstText(bytes) => {
                self.partial = Some((Kind::Text, BytesMut::from(&bytes[..])));
                Ok(None)
            }
            Item::FirstBinary(bytes) => {
                self.partial = Some((Kind::Binary, BytesMut::from(&bytes[..])));
                Ok(None)
            }
            Item::Continue(bytes) => {
                let (_, so_far) = self.partial.as_mut().ok_or_else(not_started)?;
                so_far.extend_from_slice(&bytes);
                Ok(None)
            }
            Item::Last(bytes) => {
                let (kind, mut whole) = self.partial.take().ok_or_else(not_started)?;
                whole.extend_from_slice(&bytes);
                match kind {
                    Kind::Text => text(whole.freeze()).map(Some),
                    Kind::Binary => Ok(Some(Incoming::Binary)),
                }
            }
        }
    }
}

fn not_started() -> ReadError {
    ReadError::Protocol("a continuation frame without a first fragment".into())
}

fn text(bytes: Bytes) -> Result<Incoming, ReadError> {
    ByteString::try_from(bytes)
        .map(Incoming::Text)
        .map_err(|_| ReadError::InvalidText)
}

/// The payload length a frame header announces (RFC 6455 §5.2), once the header's length
/// bytes have arrived.
fn announced_len(buf: &[u8]) -> Option<u64> {
    let len = buf.get(1)? & 0x7F;
    match len {
        126 => Some(u64::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?]))),
        127 => {
            let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            Some(u64::from_be_bytes(bytes))
        }
        short => Some(u64::from(short)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_http::ws::Message;

    type Chunks = futures_util::stream::Iter<
        std::vec::IntoIter<Result<Bytes, actix_web::error::PayloadError>>,
    >;

    /// A client's bytes: masked frames as a client encodes them.
    fn client_frames(messages: Vec<Message>) -> Bytes {
        let mut codec = Codec::new().client_mode();
        let mut buf = BytesMut::new();
        for message in messages {
            let _ = actix_codec::Encoder::encode(&mut codec, message, &mut buf);
        }
        buf.freeze()
    }

    fn reader(chunks: Vec<Bytes>, max: usize) -> FrameReader<Chunks> {
        FrameReader::new(
            futures_util::stream::iter(chunks.into_iter().map(Ok).collect::<Vec<_>>()),
            max,
        )
    }

    #[actix_web::test]
    async fn a_huge_frame_is_refused_from_its_header_alone() {
        // Only the header of a 2^40-byte frame: nothing more ever arrives.
        let mut header = vec![0x81, 0xFF];
        header.extend_from_slice(&(1u64 << 40).to_be_bytes());
        header.extend_from_slice(&[1, 2, 3, 4]);
        let mut r = reader(vec![Bytes::from(header)], 1024);
        assert_eq!(r.next().await.err(), Some(ReadError::TooBig));
    }

    #[actix_web::test]
    async fn fragments_are_reassembled_up_to_the_limit() {
        use actix_http::ws::Item as I;
        let bytes = client_frames(vec![
            Message::Continuation(I::FirstText(Bytes::from_static(b"{\"op\":"))),
            Message::Ping(Bytes::from_static(b"p")),
            Message::Continuation(I::Continue(Bytes::from_static(b"\"pi"))),
            Message::Continuation(I::Last(Bytes::from_static(b"ng\"}"))),
        ]);
        // Byte by byte: the reader must never need a whole frame in one chunk.
        let chunks = bytes
            .iter()
            .map(|b| Bytes::copy_from_slice(&[*b]))
            .collect();
        let mut r = reader(chunks, 64);
        assert!(matches!(r.next().await, Ok(Incoming::Ping(_))));
        match r.next().await {
            Ok(Incoming::Text(t)) => assert_eq!(&*t, "{\"op\":\"ping\"}"),
            other => panic!("expected the whole text, got {other:?}"),
        }
        assert_eq!(r.next().await.err(), Some(ReadError::Gone));

        let too_long = client_frames(vec![
            Message::Continuation(I::FirstText(Bytes::from(vec![b'a'; 40]))),
            Message::Continuation(I::Last(Bytes::from(vec![b'a'; 40]))),
        ]);
        let mut r = reader(vec![too_long], 64);
        assert_eq!(r.next().await.err(), Some(ReadError::TooBig));
    }

    #[actix_web::test]
    async fn text_that_is_not_utf8_is_refused() {
        let bytes = client_frames(vec![Message::Text("ok".into())]);
        let mut raw = bytes.to_vec();
        // Unmasked payload "ok" is masked in place: replace it by a masked 0xFF 0xFE.
        let mask = [raw[2], raw[3], raw[4], raw[5]];
        raw[6] = 0xFF ^ mask[0];
        raw[7] = 0xFE ^ mask[1];
        let mut r = reader(vec![Bytes::from(raw)], 64);
        assert_eq!(r.next().await.err(), Some(ReadError::InvalidText));
    }
}
