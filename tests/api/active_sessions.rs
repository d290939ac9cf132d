//! GET /sessions, DELETE /sessions/{id}, DELETE /sessions.

use std::time::Duration;

use actix_web::cookie::{Cookie, CookieJar, Key};
use redis::AsyncCommands;
use serde_json::Value;

use crate::helpers::{
    Browser, PASSWORD, TestApp, problem, session_cookie, session_pair, spawn_app, spawn_app_with,
    spawn_app_with_metrics, unique_email,
};

/// The id of the one session in `items` that is not the caller's.
fn other_session(items: &[Value]) -> String {
    let other = items.iter().find(|item| item["current"] == false);
    other.expect("another session")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_list_shows_each_live_session_newest_first() {
    let app = spawn_app().await;
    let laptop = app.new_browser_named("Laptop/1.0");
    let email = laptop.signed_up().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let phone = app.new_browser_named(&format!("Phone/{}", "x".repeat(300)));
    assert_eq!(phone.login(&email, PASSWORD).await.status(), 200);

    let items = laptop.listed_sessions().await;
    assert_eq!(items.len(), 2);
    let (newest, oldest) = (&items[0], &items[1]);
    assert_eq!(
        newest["user_agent"].as_str().unwrap().chars().count(),
        256,
        "cut to 256"
    );
    assert!(newest["user_agent"].as_str().unwrap().starts_with("Phone/"));
    assert_eq!(oldest["user_agent"], "Laptop/1.0");
    assert_eq!(
        (newest["current"].as_bool(), oldest["current"].as_bool()),
        (Some(false), Some(true))
    );
    for item in &items {
        assert!(item["id"].as_str().unwrap().len() >= 16);
        assert_eq!(item["ip"], "127.0.0.1");
        assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
        assert!(item["last_seen_at"].as_str().unwrap().ends_with('Z'));
    }
    assert!(newest["created_at"].as_str() > oldest["created_at"].as_str());
    problem(app.new_browser().sessions().await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_session_id_is_not_a_key_even_when_signed() {
    let app = spawn_app().await;
    let cookie = session_pair(app.register(&unique_email()).await.headers()).unwrap();
    let id = app.listed_sessions().await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!cookie.contains(&id));
    let mut jar = CookieJar::new();
    jar.signed_mut(&Key::from(&app.settings.session_secret))
        .add(Cookie::new("sid", id));
    let forged = jar.get("sid").unwrap().encoded().to_string();
    let response = app.browser_with_cookie(&forged).me().await;
    problem(response, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_revoked_session_is_dead_on_its_next_request() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    let other = app.new_browser();
    other.login(&email, PASSWORD).await;
    let other_id = other_session(&app.listed_sessions().await);
    assert_eq!(app.revoke_session(&other_id).await.status(), 204);
    problem(other.me().await, 401, "unauthenticated").await;
    assert_eq!(app.me().await.status(), 200);
    problem(app.revoke_session(&other_id).await, 404, "not-found").await;
    problem(app.revoke_session("not-a-session").await, 404, "not-found").await;
}

#[tokio::test]
async fn nobody_can_revoke_anothers_session() {
    let app = spawn_app().await;
    app.signed_up().await;
    let stranger = app.new_browser();
    stranger.signed_up().await;
    let victim_id = app.listed_sessions().await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    problem(stranger.revoke_session(&victim_id).await, 404, "not-found").await;
    assert_eq!(app.me().await.status(), 200);
}

#[tokio::test]
async fn revoking_the_current_session_is_a_logout() {
    let app = spawn_app().await;
    app.signed_up().await;
    let id = app.listed_sessions().await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = app.revoke_session(&id).await;
    assert_eq!(response.status(), 204);
    let expired = session_cookie(response.headers()).expect("the cookie is expired");
    assert!(expired.contains("Max-Age=0"));
    problem(app.me().await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn logging_out_every_other_device() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    let others = [app.new_browser(), app.new_browser()];
    for other in &others {
        other.login(&email, PASSWORD).await;
    }
    assert_eq!(app.listed_sessions().await.len(), 3);
    assert_eq!(app.revoke_other_sessions().await.status(), 204);
    for other in &others {
        problem(other.me().await, 401, "unauthenticated").await;
    }
    let left = app.listed_sessions().await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["current"], true);
}

#[tokio::test]
async fn logging_out_every_other_device_is_counted_in_the_metrics() {
    const REVOKED: &str = r#"status_api_sessions_ended_total{how="revoked"}"#;
    let app = spawn_app_with_metrics(&[]).await;
    let email = app.signed_up().await;
    for other in [app.new_browser(), app.new_browser()] {
        other.login(&email, PASSWORD).await;
    }
    // The counter is the process's, shared with tests running beside this
    // one: only its growth is this test's.
    let before = app.metric(REVOKED).await.unwrap_or(0);
    assert_eq!(app.revoke_other_sessions().await.status(), 204);
    let after = app.metric(REVOKED).await.unwrap_or(0);
    assert!(after - before >= 2, "{before} -> {after}");
}

#[tokio::test]
async fn expired_sessions_drop_out_and_leave_no_index_entry() {
    let app = spawn_app_with(&[("SESSION_IDLE_SECS", "2")]).await;
    let email = app.signed_up().await;
    let idle = app.new_browser();
    idle.login(&email, PASSWORD).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(app.me().await.status(), 200);
    }
    let items = app.listed_sessions().await;
    assert_eq!(items.len(), 1, "the idle session expired: {items:?}");
    let index = app
        .redis_keys()
        .await
        .into_iter()
        .find(|key| key.ends_with(":sessions"))
        .expect("the index");
    let entries: u64 = app.redis().await.zcard(&index).await.unwrap();
    assert_eq!(entries, 1, "no dead entries in the index");
    let ttl_ms: i64 = app.redis().await.pttl(&index).await.unwrap();
    assert!(
        ttl_ms > 0,
        "the index expires by itself when its sessions do"
    );
}

/// One account logged in from three browsers, each then used in turn
/// `spacing` apart (past the idle clock's refresh interval, so each use
/// moves that browser's last-seen time). Returned least recently seen
/// first, which is not the order the sessions began in.
async fn three_sessions_seen_in_turn(app: &TestApp, spacing: Duration) -> (String, [Browser; 3]) {
    let first = app.new_browser();
    let email = first.signed_up().await;
    let (second, third) = (app.new_browser(), app.new_browser());
    for browser in [&second, &third] {
        assert_eq!(browser.login(&email, PASSWORD).await.status(), 200);
    }
    for browser in [&third, &first] {
        tokio::time::sleep(spacing).await;
        assert_eq!(browser.me().await.status(), 200);
    }
    (email, [second, third, first])
}

async fn sessions_ended_by_eviction(app: &TestApp) -> i64 {
    let series = r#"status_api_sessions_ended_total{how="evicted"}"#;
    app.metric(series).await.unwrap_or(0)
}

#[tokio::test]
async fn past_the_cap_a_new_session_ends_the_least_recently_seen() {
    let app = spawn_app_with_metrics(&[
        ("MAX_SESSIONS_PER_USER", "3"),
        // The idle clock moves at most once per idle ÷ 4: once a second.
        ("SESSION_IDLE_SECS", "4"),
    ])
    .await;
    let (email, [least_recent, older, recent]) =
        three_sessions_seen_in_turn(&app, Duration::from_millis(1100)).await;
    let evicted_before = sessions_ended_by_eviction(&app).await;

    let newest = app.new_browser();
    assert_eq!(newest.login(&email, PASSWORD).await.status(), 200);

    problem(least_recent.me().await, 401, "unauthenticated").await;
    for browser in [&older, &recent, &newest] {
        assert_eq!(browser.me().await.status(), 200);
    }
    assert_eq!(newest.listed_sessions().await.len(), 3);
    assert_eq!(
        app.session_keys().await.len(),
        3,
        "the evicted session's state is deleted"
    );
    assert!(sessions_ended_by_eviction(&app).await > evicted_before);
}

#[tokio::test]
async fn eviction_follows_last_seen_even_when_the_lifetime_cuts_a_ttl_short() {
    // The oldest session, seen last, has the earliest expiry: its lifetime
    // began first, so it ends first. It must still be the one kept.
    let app = spawn_app_with(&[
        ("MAX_SESSIONS_PER_USER", "3"),
        ("SESSION_IDLE_SECS", "8"),
        ("SESSION_LIFETIME_SECS", "8"),
    ])
    .await;
    let (email, [least_recent, older, recent]) =
        three_sessions_seen_in_turn(&app, Duration::from_millis(2100)).await;

    let newest = app.new_browser();
    assert_eq!(newest.login(&email, PASSWORD).await.status(), 200);

    problem(least_recent.me().await, 401, "unauthenticated").await;
    for browser in [&older, &recent, &newest] {
        assert_eq!(browser.me().await.status(), 200);
    }
}

#[tokio::test]
async fn sessions_already_gone_do_not_count_against_the_cap() {
    let app = spawn_app_with(&[("MAX_SESSIONS_PER_USER", "2")]).await;
    let email = app.signed_up().await;
    let other = app.new_browser();
    assert_eq!(other.login(&email, PASSWORD).await.status(), 200);
    // The other session's state vanishes (as when its lifetime ends) while
    // its index entry is still there.
    let other_id = other_session(&app.listed_sessions().await);
    let other_key = app
        .session_keys()
        .await
        .into_iter()
        .find(|key| key.ends_with(&other_id))
        .unwrap();
    let _: u64 = app.redis().await.del(&other_key).await.unwrap();

    let newest = app.new_browser();
    assert_eq!(newest.login(&email, PASSWORD).await.status(), 200);
    assert_eq!(app.me().await.status(), 200, "one live session had room");
    assert_eq!(newest.listed_sessions().await.len(), 2);
}

#[tokio::test]
async fn the_list_shows_the_real_address_behind_a_proxy() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let email = app.signed_up().await;
    // One non-ASCII byte to the left must not hide the proxy's own entry;
    // and rate limits count the /64, but the session shows the address.
    let forwarded = reqwest::header::HeaderValue::from_bytes(b"\xff, 2001:db8::abcd").unwrap();
    let response = app
        .client
        .post(app.url("/login"))
        .header("x-forwarded-for", forwarded)
        .json(&serde_json::json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let items = app.listed_sessions().await;
    assert_eq!(items[0]["ip"], "2001:db8::abcd", "{items:?}");
}
