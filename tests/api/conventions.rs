//! The contract's cross-cutting rules: errors, content types, precedence,
//! request ids, caching, HEAD.

use serde_json::{Value, json};

use crate::helpers::{client, problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_paths_are_404_problems() {
    let app = spawn_app().await;
    let response = client()
        .get(app.url("/no/such/path"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    problem(response, 404, "not-found").await;
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let cases = [
        (reqwest::Method::GET, "/register", "POST"),
        (reqwest::Method::PUT, "/login", "POST"),
        (reqwest::Method::PUT, "/me", "GET, HEAD, PATCH, DELETE"),
        (reqwest::Method::GET, "/statuses/1", "DELETE"),
        (reqwest::Method::POST, "/fetchStatus", "GET, HEAD"),
        (reqwest::Method::POST, "/healthz", "GET, HEAD"),
    ];
    for (method, path, allow) in cases {
        let response = client()
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], allow, "{path}");
        problem(response, 405, "method-not-allowed").await;
    }
}

#[tokio::test]
async fn bodies_must_be_sent_as_json() {
    let app = spawn_app().await;
    let body = json!({"email": "a@example.com"}).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/json; charset=latin1"),
    ] {
        let mut request = client().post(app.url("/checkemail")).body(body.clone());
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        problem(request.send().await.unwrap(), 415, "unsupported-media-type").await;
    }
    for content_type in [
        "application/json",
        "application/json; charset=UTF-8",
        "application/vnd.example+json",
    ] {
        let response = client()
            .post(app.url("/checkemail"))
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{content_type}");
    }
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let app = spawn_app().await;
    for body in [
        "",
        "{",
        "not json",
        "[1, 2]",
        "\"text\"",
        "null",
        "{\"a\":1} trailing",
    ] {
        let response = client()
            .post(app.url("/register"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        problem(response, 400, "bad-request").await;
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = spawn_app_with(&[("BODY_LIMIT_BYTES", "64")]).await;
    let big = json!({"email": format!("{}@example.com", "a".repeat(100))}).to_string();
    let response = client()
        .post(app.url("/checkemail"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    problem(response, 413, "payload-too-large").await;
    // Without a Content-Length the limit still holds while reading.
    let chunked = format!(
        "POST /checkemail HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    let answer = raw_http(&app.address, &chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("/problems/payload-too-large"), "{answer}");
    assert_eq!(app.check_email("a@b.co").await.status(), 200);
}

/// Sends `request` as written and reads the whole answer.
async fn raw_http(address: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn errors_come_in_the_contracts_order() {
    let app = spawn_app().await;
    // 415 before 401: no session and no JSON.
    let response = client()
        .post(app.url("/addStatus"))
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    problem(response, 415, "unsupported-media-type").await;
    // 400 before 401.
    let response = client()
        .post(app.url("/addStatus"))
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    problem(response, 400, "bad-request").await;
    // 401 before 422.
    problem(
        app.post_json("/addStatus", &json!({"txt": 1})).await,
        401,
        "unauthenticated",
    )
    .await;
    problem(app.fetch_status("?limit=0").await, 401, "unauthenticated").await;
    // 422 before the endpoint's own outcome (409).
    let email = app.signed_up().await;
    let response = app.register_with(&email, "x", "N").await;
    problem(response, 422, "validation").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let kept = client()
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42.a:b_c")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.headers()["x-request-id"], "trace-42.a:b_c");
    for bad in ["has space", &"x".repeat(129), "semi;colon"] {
        let response = client()
            .get(app.url("/nowhere"))
            .header("x-request-id", bad)
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, bad);
        assert!(!id.is_empty() && id.len() <= 128);
    }
    let generated = client().post(app.url("/login")).send().await.unwrap();
    assert!(generated.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn api_responses_are_not_cached() {
    let app = spawn_app().await;
    for response in [
        app.get("/healthz").await,
        app.me().await,
        app.get("/nope").await,
    ] {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}

#[tokio::test]
async fn head_works_wherever_get_does() {
    let app = spawn_app().await;
    let health = client().head(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.bytes().await.unwrap().is_empty());
    app.signed_up().await;
    for path in [
        "/me",
        "/fetchStatus",
        "/readyz",
        "/api-docs/openapi.json",
        "/api-docs/",
        "/api-docs/swagger-ui.css",
    ] {
        let get = app.get(path).await;
        let response = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "HEAD {path}");
        assert_eq!(
            response.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(response.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
}

#[tokio::test]
async fn a_500_never_carries_internals() {
    let app = spawn_app().await;
    app.signed_up().await;
    let mut db = app.db().await;
    mysql_async::prelude::Queryable::query_drop(&mut db, "DROP TABLE statuses")
        .await
        .unwrap();
    let response = app.add_status("into the void").await;
    let body = problem(response, 500, "internal").await;
    let text = body.to_string().to_lowercase();
    for leak in ["statuses", "sql", "table", "mysql", "error 1146"] {
        assert!(!text.contains(leak), "{leak} leaked: {body}");
    }
    assert_eq!(body.as_object().unwrap().len(), 4, "{body}");
    let _: Value = body;
}
