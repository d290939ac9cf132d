//! Dependencies failing under a running server, and at start.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    CuttableProxy, PASSWORD, PrivateRedis, TestApp, TestDatabase, database_server, free_port,
    json_of, problem, session_pair, spawn_app_on, spawn_app_with, start, unique_email,
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

/// The app on a database of its own that it reaches through a proxy the
/// test can cut.
async fn app_behind_a_cuttable_mysql() -> (TestApp, CuttableProxy) {
    let database = TestDatabase::create().await;
    let proxy = CuttableProxy::start(database_server()).await;
    let through_proxy = database.url_via(proxy.port);
    // A cut refuses at once; the timeout only has to outlast a first
    // connection on a busy machine.
    let settings = [
        ("DATABASE_URL", through_proxy.as_str()),
        ("DEPENDENCY_TIMEOUT_MS", "2000"),
    ];
    (spawn_app_on(database, &settings).await, proxy)
}

#[tokio::test]
async fn redis_going_away_gives_503_not_500_and_healthz_stays_up() {
    let mut redis = PrivateRedis::start();
    let url = redis.url();
    // A stopped Redis refuses at once; the timeout only has to outlast a
    // first connection on a busy machine.
    let app = spawn_app_with(&[("REDIS_URL", &url), ("DEPENDENCY_TIMEOUT_MS", "2000")]).await;
    app.signed_up().await;
    assert_eq!(app.me().await.status(), 200);

    redis.stop();
    let started = Instant::now();
    let response = app.me().await;
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");
    let body = problem(response, 503, "unavailable").await;
    assert!(!body.to_string().contains("redis://"));
    let login = app.login(&unique_email(), "whatever password").await;
    assert_eq!(login.status(), 503);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = json_of(app.get("/readyz").await, 503).await;
    assert_eq!(
        ready,
        json!({"status": "down", "mysql": "ok", "redis": "down"})
    );

    // Back, empty: the lost session is simply gone, and new ones work.
    let _restarted = PrivateRedis::start_on(redis.port);
    time_until(Duration::from_secs(20), async || {
        app.me().await.status() == 401
    })
    .await;
    assert_eq!(app.register(&unique_email()).await.status(), 201);
    assert_eq!(app.me().await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_going_away_gives_503_while_sessions_keep_working() {
    let (app, proxy) = app_behind_a_cuttable_mysql().await;
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
    assert_eq!(app.me().await.status(), 200, "/me needs only the session");
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = json_of(app.get("/readyz").await, 503).await;
    assert_eq!(
        ready,
        json!({"status": "down", "mysql": "down", "redis": "ok"})
    );

    proxy.restore().await;
    time_until(Duration::from_secs(20), async || {
        app.add_status("after").await.status() == 201
    })
    .await;
    let page = json_of(app.fetch_status("").await, 200).await;
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

/// More fresh connections than the app has workers (one per core), so that
/// every worker serves some of them.
const CONNECTIONS_PER_PROBE: usize = 6;

/// The statuses of `CONNECTIONS_PER_PROBE` requests, each on a connection
/// of its own, with `cookie` when there is one.
async fn on_fresh_connections(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    cookie: Option<&str>,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..CONNECTIONS_PER_PROBE {
        let mut request = reqwest::Client::new().request(method.clone(), app.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        statuses.push(
            request
                .send()
                .await
                .expect("request sent")
                .status()
                .as_u16(),
        );
    }
    statuses
}

/// The statuses of GET `path` with `cookie` on fresh connections.
async fn reads_on_fresh_connections(app: &TestApp, path: &str, cookie: &str) -> Vec<u16> {
    on_fresh_connections(app, reqwest::Method::GET, path, None, Some(cookie)).await
}

/// The statuses of POST /checkemail, of a fresh email, on fresh connections.
async fn email_checks_on_fresh_connections(app: &TestApp) -> Vec<u16> {
    let check = json!({"email": unique_email()});
    on_fresh_connections(
        app,
        reqwest::Method::POST,
        "/checkemail",
        Some(&check),
        None,
    )
    .await
}

/// A new account's session on `app`: its email and `sid=…` pair.
async fn session_on(app: &TestApp) -> (String, String) {
    let email = unique_email();
    let response = app.new_browser().register(&email).await;
    assert_eq!(response.status(), 201);
    let cookie = session_pair(response.headers()).expect("a session cookie");
    (email, cookie)
}

/// Every worker of `app` opens its Redis and MySQL connections.
async fn warm_up(app: &TestApp, cookie: &str) {
    let me = reads_on_fresh_connections(app, "/me", cookie).await;
    assert!(me.iter().all(|status| *status == 200), "{me:?}");
    let checks = email_checks_on_fresh_connections(app).await;
    assert!(checks.iter().all(|status| *status == 200), "{checks:?}");
}

fn assert_no_503(what: &str, statuses: &[u16]) {
    assert!(
        !statuses.contains(&503),
        "{what} after the outage: {statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_redis_is_back_no_instance_answers_503_for_it() {
    let mut redis = PrivateRedis::start();
    let url = redis.url();
    // Redis stopped refuses at once; the timeout only has to outlast a
    // first connection on a busy machine.
    let settings = [
        ("REDIS_URL", url.as_str()),
        ("DEPENDENCY_TIMEOUT_MS", "2000"),
    ];
    let idle = spawn_app_with(&settings).await;
    let busy = spawn_app_with(&settings).await;
    let (_, idle_cookie) = session_on(&idle).await;
    let (_, busy_cookie) = session_on(&busy).await;
    warm_up(&idle, &idle_cookie).await;
    warm_up(&busy, &busy_cookie).await;

    redis.stop();
    let during = reads_on_fresh_connections(&busy, "/me", &busy_cookie).await;
    assert!(during.iter().all(|status| *status == 503), "{during:?}");
    problem(
        busy.login(&unique_email(), "whatever password").await,
        503,
        "unavailable",
    )
    .await;

    // `start_on` returns once a fresh TCP connection to it works.
    let _restarted = PrivateRedis::start_on(redis.port);
    for app in [&idle, &busy] {
        let cookie = if std::ptr::eq(app, &idle) {
            &idle_cookie
        } else {
            &busy_cookie
        };
        let me = reads_on_fresh_connections(app, "/me", cookie).await;
        assert_no_503("/me", &me);
        assert!(
            me.iter().all(|status| *status == 401),
            "the state is gone: {me:?}"
        );
        let login = json!({"email": unique_email(), "password": "whatever password"});
        let logins =
            on_fresh_connections(app, reqwest::Method::POST, "/login", Some(&login), None).await;
        assert_no_503("/login", &logins);
        let checks = email_checks_on_fresh_connections(app).await;
        assert_no_503("/checkemail", &checks);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_mysql_is_back_an_idle_instance_answers_without_503() {
    let (app, proxy) = app_behind_a_cuttable_mysql().await;
    let (email, cookie) = session_on(&app).await;
    warm_up(&app, &cookie).await;
    let statuses = reads_on_fresh_connections(&app, "/fetchStatus", &cookie).await;
    assert!(statuses.iter().all(|status| *status == 200), "{statuses:?}");

    proxy.cut();
    time_until(Duration::from_secs(10), async || {
        std::net::TcpListener::bind(("127.0.0.1", proxy.port)).is_ok()
    })
    .await;
    proxy.restore().await;
    let statuses = reads_on_fresh_connections(&app, "/fetchStatus", &cookie).await;
    assert_no_503("/fetchStatus", &statuses);
    let login = json!({"email": email, "password": PASSWORD});
    let logins =
        on_fresh_connections(&app, reqwest::Method::POST, "/login", Some(&login), None).await;
    assert_no_503("/login", &logins);
    assert!(logins.iter().all(|status| *status == 200), "{logins:?}");
}
