//! Dependencies failing under a running server, and at start.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{PrivateRedis, free_port, problem, spawn_app_with, start, unique_email};

#[tokio::test]
async fn redis_going_away_gives_503_not_500_and_healthz_stays_up() {
    let mut redis = PrivateRedis::start();
    let url = redis.url();
    let app = spawn_app_with(&[("REDIS_URL", &url), ("DEPENDENCY_TIMEOUT_MS", "500")]).await;
    app.signed_up().await;
    assert_eq!(app.get("/me").await.status(), 200);

    redis.stop();
    let started = Instant::now();
    let response = app.get("/me").await;
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");
    let body = problem(response, 503, "unavailable").await;
    assert!(!body.to_string().contains("redis://"));
    let login = app.login(&unique_email(), "whatever password").await;
    assert_eq!(login.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        ready,
        json!({"status": "down", "mysql": "ok", "redis": "down"})
    );
}

#[tokio::test]
async fn the_server_refuses_to_start_without_its_dependencies() {
    let closed = format!("redis://127.0.0.1:{}/0", free_port());
    let app = spawn_app_with(&[]).await;
    let mut settings = app.settings.clone();
    settings.redis_url = closed;
    let error = start(settings).await.expect_err("no Redis, no start");
    assert!(format!("{error:#}").contains("REDIS_URL"), "{error:#}");

    let mut settings = app.settings.clone();
    settings.database_url = format!("mysql://nobody@127.0.0.1:{}/nothing", free_port());
    let error = start(settings).await.expect_err("no MySQL, no start");
    assert!(format!("{error:#}").contains("DATABASE_URL"), "{error:#}");
}
