//! Password hashing is bounded by work: clients that reset their
//! connections cannot make more hashes run at once, nor guess for free.

use std::time::{Duration, Instant};

use redis::AsyncCommands;
use serde_json::json;
use tokio::task::JoinSet;

use crate::helpers::{PASSWORD, TestApp, post_then_reset, spawn_app_with_metrics, unique_email};

/// Clients of a reset flood, and how they are spaced: each stays long
/// enough to be admitted, so abandoned requests keep replacing each other.
const FLOOD_CLIENTS: usize = 40;
const FLOOD_SPACING: Duration = Duration::from_millis(5);
const RESET_AFTER: Duration = Duration::from_millis(20);

/// An app with one hashing slot and its metrics on a port of their own.
async fn app_with_one_slot(cost: &str, extra: &[(&str, &str)]) -> TestApp {
    // A busy machine must not turn a slow Redis answer into a failure that
    // was never recorded.
    let one_slot = [
        ("BCRYPT_COST", cost),
        ("HASH_CONCURRENCY", "1"),
        ("DEPENDENCY_TIMEOUT_MS", "5000"),
    ];
    let settings = [&one_slot[..], extra].concat();
    spawn_app_with_metrics(&settings).await
}

/// The value of a metric the app always shows.
async fn metric(app: &TestApp, name: &str) -> i64 {
    let value = app.metric(name).await;
    value.unwrap_or_else(|| panic!("{name} missing from the metrics"))
}

/// Sends a login with a wrong password on a connection of its own, which
/// is then reset once `reset_when` resolves.
async fn login_then_reset(app_address: &str, email: &str, reset_when: impl Future<Output = ()>) {
    let body = json!({"email": email, "password": "not the password"});
    post_then_reset(app_address, "/login", &body, reset_when).await;
}

/// Failed logins recorded for the client IP across accounts.
async fn failures_recorded(app: &TestApp) -> i64 {
    let key = format!("{}limit:{{login-ip:127.0.0.1/32}}", app.redis_prefix);
    app.redis().await.zcard(key).await.expect("ZCARD")
}

/// Waits until no hash runs and no more begin for a while: the flood's
/// work, and the recording of its outcomes, are over.
async fn settled(app: &TestApp) -> i64 {
    let started = Instant::now();
    let mut last = (-1, -1);
    let mut quiet_since = Instant::now();
    loop {
        let now = (
            metric(app, "status_api_password_hashes_total").await,
            metric(app, "status_api_password_hashes_running").await,
        );
        if now != last || now.1 != 0 {
            quiet_since = Instant::now();
            last = now;
        } else if quiet_since.elapsed() > Duration::from_secs(1) {
            return now.0;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "never settles");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_flood_never_runs_more_hashes_than_hash_concurrency() {
    let app = app_with_one_slot("10", &[]).await;
    let email = app.signed_up().await;

    let mut clients = JoinSet::new();
    for _ in 0..FLOOD_CLIENTS {
        let (address, email) = (app.address.clone(), email.clone());
        clients.spawn(async move {
            login_then_reset(&address, &email, tokio::time::sleep(RESET_AFTER)).await;
        });
        tokio::time::sleep(FLOOD_SPACING).await;
    }
    clients.join_all().await;

    // Every verification that began is counted as a failed login (the
    // registration's hash aside), whether or not its client stayed; wait
    // for the last ones to finish and be recorded.
    let started = Instant::now();
    loop {
        let begun = settled(&app).await;
        let failures = failures_recorded(&app).await;
        if failures == begun - 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{} verifications began, {failures} failures were counted",
            begun - 1
        );
    }
    assert_eq!(
        metric(&app, "status_api_password_hashes_running_max").await,
        1,
        "more hashes than HASH_CONCURRENCY ran at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guess_counts_once_its_check_began_even_if_the_client_resets() {
    let app = app_with_one_slot("12", &[("LOGIN_FAILURE_LIMIT", "2/900")]).await;
    let email = app.signed_up().await;

    for guess in 1..=2 {
        let verifying = async {
            let started = Instant::now();
            while metric(&app, "status_api_password_hashes_running").await == 0 {
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "never verifies"
                );
            }
        };
        login_then_reset(&app.address, &email, verifying).await;
        // The next guess waits for this one's slot, so it begins after.
        assert_eq!(settled(&app).await, 1 + guess);
    }

    let response = app.login(&email, PASSWORD).await;
    assert_eq!(
        response.status(),
        429,
        "two guesses past the limit lock the account for this IP"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_turned_away_by_a_full_queue_is_not_counted() {
    let app = app_with_one_slot("10", &[("REGISTER_IP_LIMIT", "1000/3600")]).await;
    let statuses = app
        .statuses_at_once(20, |browser| async move {
            browser.register(&unique_email()).await
        })
        .await;
    let refused = statuses.iter().filter(|status| **status == 503).count();
    assert!(refused > 0, "the queue never filled: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|status| *status == 201 || *status == 503)
    );
    let key = format!("{}limit:{{register:127.0.0.1/32}}", app.redis_prefix);
    let counted: usize = app.redis().await.zcard(key).await.expect("ZCARD");
    assert_eq!(counted, statuses.len() - refused, "{statuses:?}");
}
