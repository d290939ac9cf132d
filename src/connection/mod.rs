//! Connections whose requests must arrive in time (`REQUEST_TIMEOUT_SECS`).
//!
//! actix bounds only the first request's head, so every accepted stream
//! (plain TCP, or TLS once decrypted) is wrapped in a [`TimedStream`] that
//! follows where each request begins and ends on the wire and gives it
//! `timeout` from its first byte:
//! - a head still incomplete then is answered `408` here, since actix has no
//!   request to hand the application yet, and the connection ends;
//! - a body still incomplete then ends the stream for actix, so that the
//!   body reader fails and, seeing [`ConnectionClock::timed_out`], answers
//!   `408` itself (a handler that reads no body just has its connection
//!   closed after its answer);
//! - a connection that sends nothing at all is closed after `timeout` too.

mod framing;

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use actix_web::ResponseError;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep_until};

use crate::error::{ApiError, PROBLEM_JSON};
use framing::{RequestFraming, Stage};

/// Whether the connection's current request ran out of time. The
/// application finds it in the request's connection data.
#[derive(Clone, Debug, Default)]
pub struct ConnectionClock(Rc<Cell<bool>>);

impl ConnectionClock {
    pub fn timed_out(&self) -> bool {
        self.0.get()
    }
}

/// The complete `408` for a request whose head did not arrive in time,
/// with the headers every response carries.
#[derive(Clone, Debug)]
pub struct TimeoutAnswer {
    headers: String,
    body: Vec<u8>,
}

impl TimeoutAnswer {
    /// `headers`: the name and value of each header every response carries.
    pub fn new<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let body = serde_json::to_vec(&ApiError::RequestTimeout.problem())
            .unwrap_or_else(|error| unreachable!("a problem serializes: {error}"));
        let headers = headers
            .into_iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        Self { headers, body }
    }

    fn render(&self, request_id: &str) -> Vec<u8> {
        let status = ApiError::RequestTimeout.status_code();
        let mut answer = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {PROBLEM_JSON}\r\nContent-Length: {}\r\n\
             Connection: close\r\nX-Request-Id: {request_id}\r\n{}\r\n",
            status.as_str(),
            status.canonical_reason().unwrap_or_default(),
            self.body.len(),
            self.headers,
        )
        .into_bytes();
        answer.extend_from_slice(&self.body);
        answer
    }
}

/// A connection's stream, with the deadline of the request arriving on it.
pub struct TimedStream<S> {
    inner: S,
    peer: Option<SocketAddr>,
    timeout: Duration,
    framing: RequestFraming,
    /// Runs while a request is arriving, and before the first byte.
    deadline: Option<Pin<Box<Sleep>>>,
    /// Once the deadline passed, the stream reads as ended.
    expired: bool,
    /// What is left to write of the `408` answer, if one is due.
    answer: Vec<u8>,
    answer_written: usize,
    clock: ConnectionClock,
    timeout_answer: Rc<TimeoutAnswer>,
}

impl<S> TimedStream<S> {
    pub fn new(
        inner: S,
        peer: Option<SocketAddr>,
        timeout: Duration,
        timeout_answer: Rc<TimeoutAnswer>,
    ) -> Self {
        Self {
            inner,
            peer,
            timeout,
            framing: RequestFraming::default(),
            deadline: Some(Box::pin(sleep_until(Instant::now() + timeout))),
            expired: false,
            answer: Vec::new(),
            answer_written: 0,
            clock: ConnectionClock::default(),
            timeout_answer,
        }
    }

    pub fn clock(&self) -> ConnectionClock {
        self.clock.clone()
    }

    /// Follows bytes just read: a request that begins gets its deadline, and
    /// one that has fully arrived stops it.
    fn follow(&mut self, received: &[u8]) {
        let began = self.framing.feed(received);
        if self.framing.stage() == Stage::Idle {
            self.deadline = None;
        } else if began {
            let deadline = Instant::now() + self.timeout;
            match &mut self.deadline {
                Some(sleep) => sleep.as_mut().reset(deadline),
                None => self.deadline = Some(Box::pin(sleep_until(deadline))),
            }
        }
    }

    fn expire(&mut self) {
        self.expired = true;
        self.deadline = None;
        match self.framing.stage() {
            Stage::Head => {
                let request_id = crate::middleware::new_request_id();
                let peer = self
                    .peer
                    .map_or_else(|| "-".to_owned(), |peer| peer.ip().to_string());
                log::info!(
                    target: "access",
                    "{peer} request head incomplete after {}s: 408 ({request_id})",
                    self.timeout.as_secs_f64()
                );
                self.answer = self.timeout_answer.render(&request_id);
            }
            Stage::Body => self.clock.0.set(true),
            Stage::Idle | Stage::Unframeable => {}
        }
    }
}

impl<S: AsyncWrite + Unpin> TimedStream<S> {
    /// Writes what is left of the `408` answer, if any, and flushes it.
    fn poll_write_answer(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.answer_written < self.answer.len() {
            let rest = &self.answer[self.answer_written..];
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.answer_written += written;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TimedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let due = this
            .deadline
            .as_mut()
            .is_some_and(|sleep| sleep.as_mut().poll(cx).is_ready());
        if due {
            this.expire();
        }
        if this.expired {
            // An empty read: the end of the stream, as far as actix knows.
            return this.poll_write_answer(cx);
        }
        let filled = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.follow(&buf.filled()[filled..]);
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_answer(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
