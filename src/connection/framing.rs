//! Where each HTTP/1.1 request begins and ends on a connection's byte
//! stream, followed as the bytes arrive, so that a request's clock can start
//! at its first byte and stop at its last, pipelined requests included.
//!
//! It follows only the framing (the head's end, `Content-Length`, chunked
//! transfer coding); actix parses the requests. Bytes it cannot follow make
//! the stream `Unframeable`: actix refuses such requests itself, and the
//! connection's clock then simply runs out.

/// The longest head, chunk-size line or trailer line followed; actix refuses
/// heads far shorter.
const MAX_LINE_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;

/// What part of a request the stream is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Between requests.
    Idle,
    /// A request's head has begun and not ended.
    Head,
    /// A request's head has ended and its body has not.
    Body,
    /// Bytes that cannot be followed.
    Unframeable,
}

#[derive(Debug)]
enum State {
    Idle,
    Head(Vec<u8>),
    Body(Body),
    Unframeable,
}

#[derive(Debug)]
enum Body {
    Length(u64),
    /// Within a chunk-size line (its bytes so far).
    ChunkSize(Vec<u8>),
    ChunkData(u64),
    /// The line end after a chunk's data (its bytes so far).
    ChunkEnd(Vec<u8>),
    /// Within the trailer section (the current line's bytes so far).
    Trailer(Vec<u8>),
}

#[derive(Debug)]
pub struct RequestFraming {
    state: State,
}

impl Default for RequestFraming {
    fn default() -> Self {
        Self { state: State::Idle }
    }
}

impl RequestFraming {
    pub fn stage(&self) -> Stage {
        match self.state {
            State::Idle => Stage::Idle,
            State::Head(_) => Stage::Head,
            State::Body(_) => Stage::Body,
            State::Unframeable => Stage::Unframeable,
        }
    }

    /// Follows `bytes`; true when a request began in them and has not ended.
    pub fn feed(&mut self, mut bytes: &[u8]) -> bool {
        let mut began = false;
        while !bytes.is_empty() {
            let (used, next) = match std::mem::replace(&mut self.state, State::Unframeable) {
                State::Idle => idle(bytes, &mut began),
                State::Head(head) => head_bytes(head, bytes),
                State::Body(body) => body_bytes(body, bytes),
                State::Unframeable => (bytes.len(), State::Unframeable),
            };
            self.state = next;
            bytes = &bytes[used..];
        }
        began && !matches!(self.state, State::Idle)
    }
}

/// Line ends between requests are ignored, as RFC 9112 allows; anything
/// else begins a request.
fn idle(bytes: &[u8], began: &mut bool) -> (usize, State) {
    if matches!(bytes[0], b'\r' | b'\n') {
        return (1, State::Idle);
    }
    *began = true;
    (0, State::Head(Vec::new()))
}

/// Takes the head a line at a time; an empty line ends it.
fn head_bytes(mut head: Vec<u8>, bytes: &[u8]) -> (usize, State) {
    let Some(used) = bytes
        .iter()
        .position(|&byte| byte == b'\n')
        .map(|at| at + 1)
    else {
        head.extend_from_slice(bytes);
        return (bytes.len(), head_state(head));
    };
    head.extend_from_slice(&bytes[..used]);
    if head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n") {
        (used, after_head(&head))
    } else {
        (used, head_state(head))
    }
}

fn head_state(head: Vec<u8>) -> State {
    if head.len() > MAX_LINE_BYTES {
        State::Unframeable
    } else {
        State::Head(head)
    }
}

/// The body that a complete head announces (RFC 9112, section 6.3).
fn after_head(head: &[u8]) -> State {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(head), Ok(httparse::Status::Complete(_))) {
        return State::Unframeable;
    }
    let named = |name: &str| -> Vec<String> {
        request
            .headers
            .iter()
            .filter(|header| header.name.eq_ignore_ascii_case(name))
            .map(|header| String::from_utf8_lossy(header.value).trim().to_owned())
            .collect()
    };
    let codings = named("transfer-encoding");
    if let Some(last) = codings.last() {
        let chunked = last
            .rsplit(',')
            .next()
            .is_some_and(|coding| coding.trim().eq_ignore_ascii_case("chunked"));
        return if chunked {
            State::Body(Body::ChunkSize(Vec::new()))
        } else {
            State::Unframeable
        };
    }
    match named("content-length").as_slice() {
        [] => State::Idle,
        [length] => match length.parse::<u64>() {
            Ok(0) => State::Idle,
            Ok(length) => State::Body(Body::Length(length)),
            Err(_) => State::Unframeable,
        },
        _ => State::Unframeable,
    }
}

fn body_bytes(body: Body, bytes: &[u8]) -> (usize, State) {
    match body {
        Body::Length(left) | Body::ChunkData(left) => {
            let used = usize::try_from(left).map_or(bytes.len(), |left| left.min(bytes.len()));
            let left = left - used as u64;
            let next = match (matches!(body, Body::Length(_)), left) {
                (true, 0) => State::Idle,
                (true, left) => State::Body(Body::Length(left)),
                (false, 0) => State::Body(Body::ChunkEnd(Vec::new())),
                (false, left) => State::Body(Body::ChunkData(left)),
            };
            (used, next)
        }
        Body::ChunkSize(line) => line_bytes(line, bytes, Body::ChunkSize, chunk_size_line),
        Body::ChunkEnd(line) => line_bytes(line, bytes, Body::ChunkEnd, |line| {
            if line.is_empty() {
                State::Body(Body::ChunkSize(Vec::new()))
            } else {
                State::Unframeable
            }
        }),
        Body::Trailer(line) => line_bytes(line, bytes, Body::Trailer, |line| {
            if line.is_empty() {
                State::Idle
            } else {
                State::Body(Body::Trailer(Vec::new()))
            }
        }),
    }
}

/// Collects a line; once it ends (its CRLF or LF removed), `ended` decides
/// what comes next.
fn line_bytes(
    mut line: Vec<u8>,
    bytes: &[u8],
    unfinished: fn(Vec<u8>) -> Body,
    ended: impl FnOnce(&[u8]) -> State,
) -> (usize, State) {
    match bytes.iter().position(|&byte| byte == b'\n') {
        Some(at) => {
            line.extend_from_slice(&bytes[..at]);
            let line = line.strip_suffix(b"\r").unwrap_or(&line);
            (at + 1, ended(line))
        }
        None if line.len() + bytes.len() > MAX_LINE_BYTES => (bytes.len(), State::Unframeable),
        None => {
            line.extend_from_slice(bytes);
            (bytes.len(), State::Body(unfinished(line)))
        }
    }
}

/// `size[;extensions]`: a chunk of that many bytes follows, or the trailer
/// section when it is the last chunk.
fn chunk_size_line(line: &[u8]) -> State {
    let size = line.split(|&byte| byte == b';').next().unwrap_or_default();
    let size = std::str::from_utf8(size)
        .ok()
        .and_then(|size| u64::from_str_radix(size.trim(), 16).ok());
    match size {
        Some(0) => State::Body(Body::Trailer(Vec::new())),
        Some(size) => State::Body(Body::ChunkData(size)),
        None => State::Unframeable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stages_after(pieces: &[&[u8]]) -> Vec<(bool, Stage)> {
        let mut framing = RequestFraming::default();
        pieces
            .iter()
            .map(|piece| (framing.feed(piece), framing.stage()))
            .collect()
    }

    #[test]
    fn a_head_without_a_body_ends_the_request() {
        assert_eq!(
            stages_after(&[b"GET / HTTP/1.1\r\nHost: a\r", b"\n\r\n"]),
            [(true, Stage::Head), (false, Stage::Idle)]
        );
    }

    #[test]
    fn a_content_length_body_is_counted() {
        assert_eq!(
            stages_after(&[b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", b"cde"]),
            [(true, Stage::Body), (false, Stage::Idle)]
        );
    }

    #[test]
    fn chunked_bodies_end_after_the_trailer_section() {
        assert_eq!(
            stages_after(&[
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nab",
                b"c\r\n0\r\nTrailer: t\r\n",
                b"\r\n",
            ]),
            [
                (true, Stage::Body),
                (false, Stage::Body),
                (false, Stage::Idle)
            ]
        );
    }

    #[test]
    fn a_pipelined_request_begins_a_new_clock() {
        assert_eq!(
            stages_after(&[b"GET / HTTP/1.1\r\n\r\nGET /x HT", b"TP/1.1\r\n\r\n"]),
            [(true, Stage::Head), (false, Stage::Idle)]
        );
    }

    #[test]
    fn line_ends_between_requests_begin_nothing() {
        assert_eq!(stages_after(&[b"\r\n\r\n"]), [(false, Stage::Idle)]);
    }

    #[test]
    fn framing_that_cannot_be_followed_is_unframeable() {
        for head in [
            &b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"[..],
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"NOT HTTP\r\n\r\n",
        ] {
            assert_eq!(stages_after(&[head]), [(true, Stage::Unframeable)]);
        }
    }
}
