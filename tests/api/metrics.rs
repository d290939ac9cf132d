//! /metrics on METRICS_ADDR, never on the public listener.

use crate::helpers::{problem, spawn_app, spawn_app_with_metrics};

#[tokio::test]
async fn metrics_are_served_on_their_own_address() {
    let app = spawn_app_with_metrics(&[]).await;
    app.signed_up().await;
    app.me().await;
    app.get("/no/such/page").await;
    app.logout().await;
    app.get("/readyz").await;

    let text = app.metrics().await;
    for expected in [
        r#"status_api_http_requests_total{endpoint="/me",method="GET",status="200"} 1"#,
        r#"status_api_http_requests_duration_seconds_bucket{endpoint="/me",method="GET",status="200",le="#,
        r#"status_api_http_requests_total{endpoint="UNMATCHED",method="GET",status="404"} 1"#,
        r#"status_api_redis_pool_connections{state="open"}"#,
        r#"status_api_redis_pool_connections{state="waiting"}"#,
        "status_api_mysql_pool_max_connections 20",
        "status_api_mysql_operations_in_flight",
        r#"status_api_sessions_begun_total{how="register"}"#,
        r#"status_api_sessions_ended_total{how="logout"}"#,
        "status_api_password_hashes_running 0",
        "status_api_password_hashes_running_max 1",
        "status_api_password_hashes_total 1",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    problem(app.get("/metrics").await, 404, "not-found").await;
}

#[tokio::test]
async fn without_metrics_addr_there_is_no_metrics_endpoint() {
    let app = spawn_app().await;
    problem(app.get("/metrics").await, 404, "not-found").await;
}

#[tokio::test]
async fn invented_methods_are_refused_and_counted_as_other() {
    let app = spawn_app_with_metrics(&[]).await;
    for (method, path, allow) in [
        ("M123", "/fetchStatus", "GET, HEAD"),
        (
            "M456",
            "/no/such/page",
            "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
        ),
        ("PUT", "/login", "POST"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .client
            .request(method, app.url(path))
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        assert_eq!(headers["allow"], allow, "{path}");
        assert!(headers.contains_key("x-request-id"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        problem(response, 405, "method-not-allowed").await;
    }

    let text = app.metrics().await;
    for endpoint in ["/fetchStatus", "UNMATCHED", "/login"] {
        let line = format!(
            r#"status_api_http_requests_total{{endpoint="{endpoint}",method="other",status="405"}} 1"#
        );
        assert!(text.contains(&line), "{line} missing from:\n{text}");
    }
    for invented in ["M123", "M456", "PUT"] {
        assert!(
            !text.contains(invented),
            "{invented} became a label:\n{text}"
        );
    }
}
