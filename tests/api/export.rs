//! `GET /me/export`: the whole account as one streamed JSON document, a
//! limit on exports running at once, slow readers that hold no MySQL
//! connection, and a failure midway that cuts the stream.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mysql_async::prelude::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{
    CuttableProxy, TestApp, TestDatabase, database_server, json_of, problem, session_pair,
    spawn_app, spawn_app_on, spawn_app_with, unique_email,
};

/// More rows than one page of the export (100): the document spans pages.
const MORE_THAN_A_PAGE: u64 = 250;

/// Statuses of 400 characters: several megabytes, more than the sockets
/// between the app and a client that stops reading can buffer, so that
/// such an export stalls midway.
const MEGABYTES_OF_STATUSES: u64 = 20_000;

/// Bounds how long a released slot or a cut stream takes to show.
const MARGIN: Duration = Duration::from_secs(20);

/// Writes `count` statuses of `user_id` straight into MySQL (far faster
/// than the API), oldest first.
async fn insert_statuses(app: &TestApp, user_id: u64, count: u64, chars: usize) {
    app.db()
        .await
        .exec_drop(
            format!(
                "INSERT INTO statuses (user_id, text, created_at) \
                 SELECT ?, CONCAT('status ', seq, ' ', REPEAT('x', ?)), UTC_TIMESTAMP() \
                 FROM seq_1_to_{count} ORDER BY seq"
            ),
            (user_id, chars),
        )
        .await
        .expect("statuses inserted");
}

/// Registers an account in `app`'s own browser; its id and `sid=…` cookie.
async fn account(app: &TestApp) -> (u64, String) {
    let response = app.register(&unique_email()).await;
    let cookie = session_pair(response.headers()).expect("a session cookie");
    let user = json_of(response, 201).await;
    (user["id"].as_u64().expect("an id"), cookie)
}

/// Starts an export on a raw connection that reads only the first bytes
/// of the answer and then stops reading, as a slow client does.
async fn stalled_export(app: &TestApp, cookie: &str) -> TcpStream {
    let address: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(address).await.unwrap();
    let request = format!("GET /me/export HTTP/1.1\r\nHost: {address}\r\nCookie: {cookie}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut first = vec![0; 256];
    let read = stream.read(&mut first).await.unwrap();
    let first = String::from_utf8_lossy(&first[..read]);
    assert!(first.starts_with("HTTP/1.1 200 "), "{first}");
    stream
}

#[tokio::test]
async fn the_export_holds_the_user_every_status_newest_first_the_sessions_and_the_events() {
    let app = spawn_app().await;
    let (user_id, _) = account(&app).await;
    insert_statuses(&app, user_id, MORE_THAN_A_PAGE, 10).await;
    assert_eq!(app.add_status("the newest").await.status(), 201);
    let user = json_of(app.me().await, 200).await;
    let other_device = app.new_browser();
    let email = user["email"].as_str().unwrap();
    assert_eq!(
        other_device
            .login(email, crate::helpers::PASSWORD)
            .await
            .status(),
        200
    );

    let response = app.export().await;
    assert_eq!(
        response.headers()["content-disposition"],
        r#"attachment; filename="status-api-export.json""#
    );
    let document = json_of(response, 200).await;

    let keys: Vec<&String> = document.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["security_events", "sessions", "statuses", "user"]);
    assert_eq!(document["user"], user);
    let statuses = document["statuses"].as_array().unwrap();
    assert_eq!(statuses.len() as u64, MORE_THAN_A_PAGE + 1);
    assert_eq!(statuses[0]["text"], "the newest");
    let ids: Vec<u64> = statuses.iter().map(|s| s["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "newest first");
    let session_ids = |sessions: &[Value]| -> Vec<(Value, Value)> {
        sessions
            .iter()
            .map(|s| (s["id"].clone(), s["current"].clone()))
            .collect()
    };
    let exported_sessions = document["sessions"].as_array().unwrap();
    assert_eq!(exported_sessions.len(), 2);
    assert_eq!(
        session_ids(exported_sessions),
        session_ids(&app.listed_sessions().await)
    );
    let events = json_of(app.security_events("?limit=100").await, 200).await;
    assert_eq!(document["security_events"], events["items"]);
    let kinds = ["login", "verification-sent", "registered"];
    assert_eq!(events["items"].as_array().unwrap().len(), kinds.len());
}

#[tokio::test]
async fn an_empty_account_exports_empty_lists() {
    let app = spawn_app().await;
    app.signed_up().await;
    let document = json_of(app.export().await, 200).await;
    assert_eq!(document["statuses"], serde_json::json!([]));
    // Registered, and its verification link sent.
    assert_eq!(document["security_events"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_export_needs_a_session() {
    let app = spawn_app().await;
    problem(app.export().await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_fifth_export_waits_while_four_slow_readers_hold_theirs_and_no_mysql_connection() {
    // One MySQL connection per worker: an export that kept one while its
    // reader is slow would starve every other request.
    let app = spawn_app_with(&[("DATABASE_POOL_MAX", "2")]).await;
    let (user_id, cookie) = account(&app).await;
    insert_statuses(&app, user_id, MEGABYTES_OF_STATUSES, 400).await;
    let mut readers = Vec::new();
    for _ in 0..4 {
        readers.push(stalled_export(&app, &cookie).await);
    }

    assert_eq!(app.fetch_status("?limit=1").await.status(), 200);
    let refused = app.export().await;
    assert_eq!(refused.headers()["retry-after"], "1");
    problem(refused, 429, "rate-limited").await;
    // HEAD reads nothing and takes no slot.
    let head = app.client.head(app.url("/me/export")).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("content-disposition"));

    // A reader that goes away gives its slot back.
    readers.pop();
    let started = Instant::now();
    while app.export().await.status() == 429 {
        assert!(started.elapsed() < MARGIN, "the slot is never given back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_export_that_fails_midway_is_cut_never_a_shorter_document() {
    let database = TestDatabase::create().await;
    let proxy = CuttableProxy::start(database_server()).await;
    let through_proxy = database.url_via(proxy.port);
    let settings = [
        ("DATABASE_URL", through_proxy.as_str()),
        ("DEPENDENCY_TIMEOUT_MS", "2000"),
    ];
    let app = spawn_app_on(database, &settings).await;
    let (user_id, cookie) = account(&app).await;
    insert_statuses(&app, user_id, MEGABYTES_OF_STATUSES, 400).await;
    let mut reader = stalled_export(&app, &cookie).await;

    proxy.cut();
    let mut rest = Vec::new();
    tokio::time::timeout(MARGIN, reader.read_to_end(&mut rest))
        .await
        .expect("the stream ends")
        .ok();
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        !rest.ends_with("0\r\n\r\n"),
        "the chunked body is never ended"
    );
    assert!(
        !rest.contains("\"security_events\""),
        "no closing is written"
    );
}
