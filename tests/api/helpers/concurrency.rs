//! Requests sent all at once, each from a browser of its own, a client
//! that goes away mid-request, and waiting for a session to end.

use std::future::Future;
use std::time::Duration;

use reqwest::Response;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::app::TestApp;
use super::browser::Browser;

impl TestApp {
    /// Sends `count` requests at once, each made by `request` from a fresh
    /// browser on a task of its own; their responses, in the order made.
    pub async fn at_once<Fut>(
        &self,
        count: usize,
        request: impl Fn(Browser) -> Fut,
    ) -> Vec<Response>
    where
        Fut: Future<Output = Response> + Send + 'static,
    {
        let tasks: Vec<_> = (0..count)
            .map(|_| tokio::spawn(request(self.new_browser())))
            .collect();
        let mut responses = Vec::with_capacity(count);
        for task in tasks {
            responses.push(task.await.expect("the request's task"));
        }
        responses
    }

    /// The statuses of `at_once`, sorted: the order requests finish in is
    /// not theirs to keep.
    pub async fn statuses_at_once<Fut>(
        &self,
        count: usize,
        request: impl Fn(Browser) -> Fut,
    ) -> Vec<u16>
    where
        Fut: Future<Output = Response> + Send + 'static,
    {
        let responses = self.at_once(count, request).await;
        let mut statuses: Vec<u16> = responses
            .iter()
            .map(|response| response.status().as_u16())
            .collect();
        statuses.sort_unstable();
        statuses
    }
}

/// POSTs `body` to `path` on a connection of its own, which is then reset
/// (RST, not FIN: the server notices at once) once `reset_when` resolves,
/// without reading any answer: a client that goes away mid-request.
pub async fn post_then_reset(
    app_address: &str,
    path: &str,
    body: &Value,
    reset_when: impl Future<Output = ()>,
) {
    let body = body.to_string();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let address = app_address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.set_zero_linger().expect("SO_LINGER 0");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    reset_when.await;
    drop(stream);
}

/// Waits until `browser`'s session has ended (failing past 30 s).
pub async fn until_logged_out(browser: &Browser) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while browser.me().await.status() != 401 {
        assert!(tokio::time::Instant::now() < deadline, "never logged out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
