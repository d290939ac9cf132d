//! Slow clients: a request whose headers or body have not fully arrived
//! `REQUEST_TIMEOUT_SECS` after its first byte is answered `408` and its
//! connection closed, on every request of a kept-alive connection.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::helpers::{TestApp, spawn_app_with};

/// Long enough for any loaded machine to notice a one-second timeout; a
/// connection that is never closed fails the test after this.
const MARGIN: Duration = Duration::from_secs(5);

const TIMEOUT_SECS: u64 = 1;

async fn slow_app() -> TestApp {
    spawn_app_with(&[("REQUEST_TIMEOUT_SECS", &TIMEOUT_SECS.to_string())]).await
}

async fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    TcpStream::connect(address).await.unwrap()
}

/// Everything the server sends until it closes the connection; fails if it
/// does not close it within the timeout and the margin.
async fn read_until_closed(stream: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(TIMEOUT_SECS) + MARGIN,
        stream.read_to_end(&mut received),
    )
    .await
    .expect("the server closes the connection in time")
    .expect("the connection ends cleanly");
    String::from_utf8(received).unwrap()
}

/// Checks that `answer` is a complete `408 request-timeout` problem response
/// that closes the connection.
fn assert_request_timeout(answer: &str) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("a complete response, got {answer:?}"));
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 408 "), "{head}");
    for header in [
        "content-type: application/problem+json",
        "connection: close",
        "cache-control: no-store",
        "x-content-type-options: nosniff",
        "x-request-id: ",
    ] {
        assert!(head.contains(header), "{header} missing in {head}");
    }
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .expect("a Content-Length")
        .parse()
        .unwrap();
    assert_eq!(body.len(), length, "{body}");
    let problem: Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["type"], "/problems/request-timeout");
    assert_eq!(problem["status"], 408);
}

/// Reads one complete response with a `Content-Length` and returns its head.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the connection stays open");
        received.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&received).to_string();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .to_ascii_lowercase()
                .lines()
                .find_map(|line| line.strip_prefix("content-length: ")?.parse().ok())
                .expect("a Content-Length");
            if body.len() >= length {
                return head.to_owned();
            }
        }
    }
}

/// A kept-alive connection on which one request has been answered.
async fn kept_alive_connection(app: &TestApp) -> TcpStream {
    let mut stream = connect(app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let head = read_response(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    stream
}

/// Sends `bytes` a few at a time, 300 ms apart, until they run out or the
/// server closes the connection; never sends the end of the request.
fn trickle(mut writer: OwnedWriteHalf, bytes: &'static [u8]) {
    tokio::spawn(async move {
        for piece in bytes.chunks(3) {
            if writer.write_all(piece).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        // Hold the connection open without sending more.
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(writer);
    });
}

const STALLED_LOGIN: &[u8] = b"POST /login HTTP/1.1\r\nHost: localhost\r\n\
    Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";

#[tokio::test]
async fn a_body_that_stops_arriving_gets_408_and_the_connection_closes() {
    let app = slow_app().await;
    let mut stream = connect(&app).await;
    stream.write_all(STALLED_LOGIN).await.unwrap();

    assert_request_timeout(&read_until_closed(&mut stream).await);
}

#[tokio::test]
async fn headers_trickling_in_on_a_kept_alive_connection_get_408() {
    let app = slow_app().await;
    let stream = kept_alive_connection(&app).await;
    let (mut reader, writer) = stream.into_split();
    trickle(
        writer,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    );

    assert_request_timeout(&read_until_closed(&mut reader).await);
}

#[tokio::test]
async fn a_stalled_body_on_a_kept_alive_connection_gets_408() {
    let app = slow_app().await;
    let stream = kept_alive_connection(&app).await;
    let (mut reader, writer) = stream.into_split();
    trickle(writer, STALLED_LOGIN);

    assert_request_timeout(&read_until_closed(&mut reader).await);
}

#[tokio::test]
async fn an_unread_body_does_not_hold_the_connection() {
    let app = slow_app().await;
    let mut stream = connect(&app).await;
    // `/logout` reads no body; the chunked one announced here never ends.
    stream
        .write_all(
            b"POST /logout HTTP/1.1\r\nHost: localhost\r\n\
              Transfer-Encoding: chunked\r\n\r\n10\r\nabc",
        )
        .await
        .unwrap();

    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
}

#[tokio::test]
async fn slow_connections_do_not_stop_others_being_served() {
    let app = spawn_app_with(&[("REQUEST_TIMEOUT_SECS", "3")]).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = connect(&app).await;
        stream.write_all(STALLED_LOGIN).await.unwrap();
        slow.push(stream);
    }

    assert_eq!(app.get("/healthz").await.status(), 200);
    for mut stream in slow {
        let mut received = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(3) + MARGIN,
            stream.read_to_end(&mut received),
        )
        .await
        .expect("every slow connection is closed in time")
        .unwrap();
        assert_request_timeout(&String::from_utf8(received).unwrap());
    }
}
