//! Dependencies failing under a running server, and at start.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    CuttableProxy, PrivateRedis, TestApp, TestDatabase, database_server, free_port, problem,
    spawn_app_with, start, unique_email,
};

/// Polls `probe` until it holds; how long that took.
async fn time_until(bound: Duration, mut probe: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !probe().await {
        assert!(started.elapsed() < bound, "not within {bound:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

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

    // Back, empty: the lost session is simply gone, and new ones work.
    let _restarted = PrivateRedis::start_on(redis.port);
    time_until(Duration::from_secs(20), async || {
        app.get("/me").await.status() == 401
    })
    .await;
    assert_eq!(app.register(&unique_email()).await.status(), 201);
    assert_eq!(app.get("/me").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_going_away_gives_503_while_sessions_keep_working() {
    let database = TestDatabase::create().await;
    let proxy = CuttableProxy::start(database_server()).await;
    let app: TestApp = spawn_app_with(&[
        ("DATABASE_URL", &database.url_via(proxy.port)),
        ("DEPENDENCY_TIMEOUT_MS", "500"),
    ])
    .await;
    app.signed_up().await;
    assert_eq!(app.add_status("before").await.status(), 201);

    proxy.cut();
    let started = Instant::now();
    problem(app.add_status("during").await, 503, "unavailable").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "fails fast: {:?}",
        started.elapsed()
    );
    assert_eq!(
        app.get("/me").await.status(),
        200,
        "/me needs only the session"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(
        ready,
        json!({"status": "down", "mysql": "down", "redis": "ok"})
    );

    proxy.restore().await;
    time_until(Duration::from_secs(20), async || {
        app.add_status("after").await.status() == 201
    })
    .await;
    let page: Value = app.get("/fetchStatus").await.json().await.unwrap();
    let texts: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.first(), Some(&"after"));
    assert!(!texts.contains(&"during"), "nothing half-written");
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
