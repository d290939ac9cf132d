//! Sessions answered from each instance's in-process copies, kept exact by
//! Redis (`CLIENT TRACKING`): an ended session is refused by every instance
//! 100 ms after the answer that ended it, a cut from Redis drops every copy,
//! and the copies keep the idle clock and the deadlines as Redis would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::Value;

use crate::helpers::{
    Browser, CuttableProxy, PASSWORD, Sibling, TestApp, json_of, session_pair,
    spawn_app_with_metrics,
};

const HITS: &str = "status_api_session_cache_hits_total";
const FLUSHES: &str = "status_api_session_cache_flushes_total";
const TRACKING: &str = "status_api_session_cache_tracking";

/// The contract's bound: a request this long after the answer that ended
/// its session gets 401 from any instance.
const BOUND: Duration = Duration::from_millis(100);

/// Registers a fresh account through `browser`: its session cookie.
async fn signed_up_cookie(browser: &Browser) -> String {
    let response = browser.register(&crate::helpers::unique_email()).await;
    let cookie = session_pair(response.headers()).expect("a session cookie");
    json_of(response, 201).await;
    cookie
}

/// Clients reading `/me` on each instance until dropped.
struct Load {
    running: Arc<AtomicBool>,
}

impl Load {
    async fn on(instances: &[&Browser]) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        for instance in instances {
            for _ in 0..3 {
                let client = instance.new_browser();
                signed_up_cookie(&client).await;
                let running = running.clone();
                tokio::spawn(async move {
                    while running.load(Ordering::Relaxed) {
                        client.me().await;
                    }
                });
            }
        }
        Self { running }
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
    }
}

/// The ways a session ends that the contract names; each round of the
/// exactness test takes the next.
#[derive(Clone, Copy, Debug)]
enum End {
    Logout,
    Revocation,
    PasswordChange,
    AccountDeletion,
}

impl End {
    const ALL: [Self; 4] = [
        Self::Logout,
        Self::Revocation,
        Self::PasswordChange,
        Self::AccountDeletion,
    ];

    /// Ends the session of `browser` (which holds it) through its instance.
    async fn end(self, browser: &Browser) {
        let response = match self {
            Self::Logout => browser.logout().await,
            Self::Revocation => {
                let sessions = browser.listed_sessions().await;
                let own = sessions
                    .iter()
                    .find(|session| session["current"] == Value::Bool(true))
                    .expect("the current session is listed");
                browser
                    .revoke_session(own["id"].as_str().expect("an id"))
                    .await
            }
            Self::PasswordChange => {
                browser
                    .change_password(PASSWORD, "another horse battery")
                    .await
            }
            Self::AccountDeletion => browser.delete_account(PASSWORD).await,
        };
        assert!(
            response.status().is_success(),
            "{self:?} answered {}",
            response.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ended_on_one_instance_is_refused_by_another_100ms_later_every_time() {
    const ROUNDS: usize = 240;
    let a = spawn_app_with_metrics(&[("REGISTER_IP_LIMIT", "off")]).await;
    let b = a.sibling_with_metrics(|_| {}).await;
    let _load = Load::on(&[&a, &b]).await;
    for round in 0..ROUNDS {
        let end = End::ALL[round % End::ALL.len()];
        let on_a = a.new_browser();
        let cookie = signed_up_cookie(&on_a).await;
        let on_b = b.browser_with_cookie(&cookie);
        for _ in 0..2 {
            assert_eq!(on_b.me().await.status(), 200, "round {round}: live on B");
        }
        end.end(&on_a).await;
        tokio::time::sleep(BOUND).await;
        assert_eq!(
            on_b.me().await.status(),
            401,
            "round {round}: B answered a session {end:?} ended on A {} ms before",
            BOUND.as_millis()
        );
    }
    let hits = b.metric(HITS).await.unwrap_or(0);
    assert!(
        hits >= i64::try_from(ROUNDS / 2).unwrap(),
        "B answered from its copies only {hits} times"
    );
}

/// What the channel-loss tests start from: B has copies of two sessions
/// begun on A, then `cut` cuts B off from Redis, both sessions end on A,
/// and the contract's bound passes. B must then never answer either as
/// live: `read_while_cut` is read while B is cut off, `unread` only once B
/// is back, when only dropped copies keep them from being answered. (A read
/// that finds the channel unconfirmed reads Redis and replaces the copy, so
/// each of them tells only once: there are a few.)
struct EndedWhileCut {
    _a: TestApp,
    b: Sibling,
    proxy: CuttableProxy,
    read_while_cut: Browser,
    unread: Vec<Browser>,
}

impl EndedWhileCut {
    async fn start(cut: impl FnOnce(&CuttableProxy)) -> Self {
        let a = spawn_app_with_metrics(&[]).await;
        let proxy = CuttableProxy::start(redis_server(&a)).await;
        let b = a
            .sibling_with_metrics(|settings| {
                settings.redis_url = format!("redis://127.0.0.1:{}/0", proxy.port);
            })
            .await;
        until_tracking(&b).await;
        let mut on_a = Vec::new();
        let mut on_b = Vec::new();
        for _ in 0..6 {
            let browser = a.new_browser();
            let copy = b.browser_with_cookie(&signed_up_cookie(&browser).await);
            for _ in 0..3 {
                assert_eq!(copy.me().await.status(), 200);
            }
            on_a.push(browser);
            on_b.push(copy);
        }
        cut(&proxy);
        for browser in &on_a {
            assert_eq!(browser.logout().await.status(), 204);
        }
        tokio::time::sleep(BOUND).await;
        let read_while_cut = on_b.pop().expect("sessions");
        Self {
            _a: a,
            b,
            proxy,
            read_while_cut,
            unread: on_b,
        }
    }

    /// Once B answers from copies again: neither session is live there.
    async fn once_back(&self) {
        until_answering_from_copies(&self.b).await;
        for unread in &self.unread {
            assert_eq!(unread.me().await.status(), 401, "a copy kept");
        }
        never_live(
            &self.read_while_cut,
            Duration::from_millis(300),
            "once back",
        )
        .await;
        assert_eq!(self.read_while_cut.me().await.status(), 401);
    }
}

fn redis_server(app: &TestApp) -> std::net::SocketAddr {
    let url = url::Url::parse(&app.settings.redis_url).expect("REDIS_URL");
    format!(
        "{}:{}",
        url.host_str().expect("a host"),
        url.port().unwrap_or(6379)
    )
    .parse()
    .expect("an IP address")
}

async fn until_tracking(instance: &Sibling) {
    let waiting = Instant::now();
    while instance.metric(TRACKING).await != Some(1) {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "the instance never began tracking"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `instance` answers a session of its own from its copy.
async fn until_answering_from_copies(instance: &Sibling) {
    let probe = instance.new_browser();
    signed_up_cookie(&probe).await;
    instance.until_answered_from_a_copy(&probe).await;
}

/// B's answers to `on_b` for `during`: never 200.
async fn never_live(on_b: &Browser, during: Duration, what: &str) {
    let started = Instant::now();
    while started.elapsed() < during {
        let status = on_b.me().await.status();
        assert_ne!(status, 200, "{what}: B answered an ended session");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn an_instance_whose_redis_goes_silent_drops_its_copies_and_answers_none() {
    let cut = EndedWhileCut::start(CuttableProxy::freeze).await;
    // Past the heartbeat's silence limit (half a second): every copy gone.
    never_live(
        &cut.read_while_cut,
        Duration::from_millis(1500),
        "while silent",
    )
    .await;
    assert_eq!(
        cut.b.metric(TRACKING).await,
        Some(0),
        "tracking while silent"
    );
    assert!(cut.b.metric(FLUSHES).await.unwrap_or(0) >= 1, "no flush");
    // What Redis sent meanwhile is lost with the connections that held it.
    cut.proxy.cut();
    // Aborted, the relays stop at their next wake-up: before the thaw.
    tokio::time::sleep(BOUND).await;
    cut.proxy.thaw();
    cut.proxy.restore().await;
    cut.once_back().await;
}

#[tokio::test]
async fn an_instance_whose_redis_connections_break_drops_its_copies_and_answers_none() {
    let cut = EndedWhileCut::start(CuttableProxy::cut).await;
    never_live(&cut.read_while_cut, Duration::from_millis(500), "while cut").await;
    assert!(cut.b.metric(FLUSHES).await.unwrap_or(0) >= 1, "no flush");
    cut.proxy.restore().await;
    cut.once_back().await;
}

/// The `seen_ms` Redis holds for the only session of the app's prefix.
async fn seen_ms(app: &TestApp) -> u64 {
    let keys = app
        .redis_location
        .keys_under(&app.redis_prefix)
        .await
        .expect("keys");
    let session = keys
        .iter()
        .find(|key| key.contains(":session:"))
        .expect("a session key");
    let mut redis = app.redis_location.connect().await.expect("Redis");
    let state: String = redis.get(session).await.expect("the session");
    let state: Value = serde_json::from_str(&state).expect("JSON");
    state["seen_ms"]
        .as_str()
        .and_then(|seen| seen.parse().ok())
        .expect("seen_ms")
}

#[tokio::test]
async fn reads_from_copies_extend_the_idle_clock_at_most_once_per_quarter_of_it() {
    // Idle 2 s: the clock may move once per 500 ms.
    let app = spawn_app_with_metrics(&[("SESSION_IDLE_SECS", "2")]).await;
    app.signed_up().await;
    let mut seen = vec![seen_ms(&app).await];
    let started = Instant::now();
    let mut reads = 0;
    while started.elapsed() < Duration::from_millis(3500) {
        assert_eq!(app.me().await.status(), 200, "live while read");
        reads += 1;
        let now = seen_ms(&app).await;
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let moves = seen.windows(2).map(|pair| pair[1] - pair[0]);
    assert!(
        moves.clone().all(|moved| moved >= 500),
        "the idle clock moved more often than every 500 ms: {seen:?}"
    );
    assert!(
        seen.len() >= 5,
        "the idle clock moved too rarely to keep the session: {seen:?}"
    );
    let hits = app.metric(HITS).await.unwrap_or(0);
    assert!(hits > reads / 2, "{hits} of {reads} reads hit");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(app.me().await.status(), 401, "alive past its idle time");
}

#[tokio::test]
async fn a_copy_is_refused_exactly_when_its_session_lifetime_is_over() {
    let app = spawn_app_with_metrics(&[("SESSION_LIFETIME_SECS", "2")]).await;
    let lifetime = Duration::from_secs(2);
    let before = Instant::now();
    app.signed_up().await;
    let after = Instant::now();
    // Its session began between `before` and `after`.
    let mut answers: Vec<(Instant, Instant, reqwest::StatusCode)> = Vec::new();
    while before.elapsed() < lifetime + Duration::from_millis(500) {
        let sent = Instant::now();
        let status = app.me().await.status();
        answers.push((sent, Instant::now(), status));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let answers_count = answers.len();
    for (sent, answered, status) in answers {
        if answered < before + lifetime {
            assert_eq!(status, 200, "refused before its lifetime was over");
        }
        if sent >= after + lifetime {
            assert_eq!(status, 401, "answered after its lifetime was over");
        }
    }
    let hits = app.metric(HITS).await.unwrap_or(0);
    let reads = i64::try_from(answers_count).unwrap();
    assert!(hits > reads / 2, "{hits} of {reads} reads hit");
}
