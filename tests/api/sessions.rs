//! The session cookie and the rules of session lifetime.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as CookieDuration;
use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use status_api::session::{Epoch, RedisSessionStore, noting_refusal};

use crate::helpers::{
    PASSWORD, TestApp, json_of, problem, session_cookie, session_pair, spawn_app, spawn_app_with,
    unique_email,
};

/// `/me` with nothing but the given `sid=...` pair, from a fresh client.
async fn me_with_cookie(app: &TestApp, pair: &str) -> reqwest::Response {
    app.browser_with_cookie(pair).me().await
}

#[tokio::test]
async fn the_cookie_has_the_contracts_flags() {
    let app = spawn_app_with(&[("COOKIE_SECURE", "true")]).await;
    let response = app.register(&unique_email()).await;
    let cookie = session_cookie(response.headers()).expect("a session cookie");
    for flag in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=1800",
        "Secure",
    ] {
        assert!(
            cookie.split("; ").any(|part| part == flag),
            "{flag} missing: {cookie}"
        );
    }
}

#[tokio::test]
async fn secure_and_samesite_follow_the_settings() {
    let app = spawn_app_with(&[
        ("COOKIE_SECURE", "false"),
        ("COOKIE_SAMESITE", "Strict"),
        ("SESSION_IDLE_SECS", "600"),
    ])
    .await;
    let response = app.register(&unique_email()).await;
    let cookie = session_cookie(response.headers()).unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("SameSite=Strict") && cookie.contains("Max-Age=600"),
        "{cookie}"
    );
}

#[tokio::test]
async fn the_cookie_carries_a_random_key_and_the_state_lives_in_redis() {
    let app = spawn_app().await;
    let email = unique_email();
    let first = session_pair(app.register(&email).await.headers()).unwrap();
    let second = session_pair(app.new_browser().login(&email, PASSWORD).await.headers()).unwrap();
    assert_ne!(first, second);
    assert!(
        !first.contains("example.com"),
        "no user data in the cookie: {first}"
    );
    let keys = app.session_keys().await;
    assert_eq!(keys.len(), 2, "two sessions under the prefix: {keys:?}");
    let mut redis = app.redis().await;
    let state: String = redis.get(&keys[0]).await.unwrap();
    assert!(state.contains(&email), "the state holds the user");
    // Redis names a session by the SHA-256 of its key, never the key itself.
    for key in &keys {
        let name = key.rsplit(':').next().unwrap();
        assert_eq!(name.len(), 64);
        assert!(name.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!first.contains(name) && !second.contains(name));
    }
}

#[tokio::test]
async fn register_and_login_issue_a_new_key_and_retire_the_old_one() {
    let app = spawn_app().await;
    let email = unique_email();
    let registered = session_pair(app.register(&email).await.headers()).unwrap();
    let logged_in = session_pair(app.login(&email, PASSWORD).await.headers()).unwrap();
    assert_ne!(registered, logged_in, "login must not keep the session key");
    problem(
        me_with_cookie(&app, &registered).await,
        401,
        "unauthenticated",
    )
    .await;
    assert_eq!(me_with_cookie(&app, &logged_in).await.status(), 200);

    let other_email = unique_email();
    let again = session_pair(app.register(&other_email).await.headers()).unwrap();
    assert_ne!(again, logged_in, "register must not keep the session key");
    let me = json_of(me_with_cookie(&app, &again).await, 200).await;
    assert_eq!(me["email"], other_email);
    problem(
        me_with_cookie(&app, &logged_in).await,
        401,
        "unauthenticated",
    )
    .await;
}

#[tokio::test]
async fn a_copied_cookie_is_dead_after_logout() {
    let app = spawn_app().await;
    let pair = session_pair(app.register(&unique_email()).await.headers()).unwrap();
    let response = app.logout().await;
    assert_eq!(response.status(), 204);
    let expired = session_cookie(response.headers()).expect("the cookie is expired");
    assert!(expired.contains("Max-Age=0"), "{expired}");
    problem(me_with_cookie(&app, &pair).await, 401, "unauthenticated").await;
    assert!(
        app.session_keys().await.is_empty(),
        "the state is gone from Redis"
    );
}

#[tokio::test]
async fn logout_without_a_session_is_still_204() {
    let app = spawn_app().await;
    assert_eq!(app.logout().await.status(), 204);
    let stale = app.browser_with_cookie("sid=unknown").logout().await;
    assert_eq!(stale.status(), 204);
    let expired = session_cookie(stale.headers()).expect("a stale cookie is expired too");
    assert!(expired.contains("Max-Age=0"));
}

#[tokio::test]
async fn tampered_and_unknown_cookies_are_simply_unauthenticated() {
    let app = spawn_app().await;
    let pair = session_pair(app.register(&unique_email()).await.headers()).unwrap();
    let mut tampered = pair.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for cookie in [
        tampered.as_str(),
        "sid=",
        "sid=garbage",
        "sid=%%%",
        &format!("{pair}x"),
    ] {
        problem(me_with_cookie(&app, cookie).await, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn a_read_does_not_write_the_session() {
    let app = spawn_app().await;
    app.register(&unique_email()).await;
    let key = app.session_keys().await.pop().unwrap();
    let mut redis = app.redis().await;
    let before: String = redis.get(&key).await.unwrap();
    for _ in 0..3 {
        let response = app.me().await;
        assert_eq!(response.status(), 200);
        assert!(
            session_cookie(response.headers()).is_none(),
            "no cookie re-sent on a read"
        );
    }
    let after: String = redis.get(&key).await.unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn use_keeps_an_idle_session_alive_and_idleness_ends_it() {
    let app = spawn_app_with(&[("SESSION_IDLE_SECS", "2")]).await;
    app.register(&unique_email()).await;
    // Four seconds of use, twice the idle timeout.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(app.me().await.status(), 200, "use extends the idle clock");
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    problem(app.me().await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_idle_clock_is_extended_when_due_with_a_fresh_cookie() {
    let app = spawn_app_with(&[("SESSION_IDLE_SECS", "4")]).await;
    app.register(&unique_email()).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = app.me().await;
    let cookie = session_cookie(response.headers()).expect("the extension re-sends the cookie");
    assert!(cookie.contains("Max-Age=4"), "{cookie}");
}

#[tokio::test]
async fn the_absolute_lifetime_ends_even_a_busy_session() {
    let app = spawn_app_with(&[("SESSION_IDLE_SECS", "60"), ("SESSION_LIFETIME_SECS", "2")]).await;
    app.register(&unique_email()).await;
    let key = app.session_keys().await.pop().unwrap();
    let ttl_ms: i64 = app.redis().await.pttl(&key).await.unwrap();
    assert!(
        (1..=2000).contains(&ttl_ms),
        "the TTL is capped by the lifetime: {ttl_ms}"
    );
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(app.me().await.status(), 200);
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    problem(app.me().await, 401, "unauthenticated").await;
}

fn state(began_ms: u64) -> HashMap<String, String> {
    let user = r#"{"id":7,"email":"a@example.com","name":"A","created_at":"2026-01-01T00:00:00Z"}"#;
    HashMap::from([
        ("began_ms".to_owned(), began_ms.to_string()),
        ("user".to_owned(), user.to_owned()),
    ])
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_store_never_brings_an_ended_session_back() {
    let app = spawn_app().await;
    let store = app.session_store(Duration::from_secs(3600)).await;
    let ttl = CookieDuration::seconds(60);
    let key = store.save(state(now_ms()), &ttl).await.unwrap();
    let key_text = key.as_ref().to_owned();
    store.delete(&key).await.unwrap();
    let ended = SessionKey::try_from(key_text.clone()).unwrap();
    store.update(ended, state(now_ms()), &ttl).await.unwrap();
    let again = SessionKey::try_from(key_text).unwrap();
    assert!(store.load(&again).await.unwrap().is_none());
    assert!(app.session_keys().await.is_empty());
}

#[tokio::test]
async fn the_store_caps_ttls_at_the_remaining_lifetime() {
    let app = spawn_app().await;
    let store = app.session_store(Duration::from_secs(10)).await;
    let ttl = CookieDuration::seconds(1800);
    let began_8s_ago = now_ms() - 8000;
    let key = store.save(state(began_8s_ago), &ttl).await.unwrap();
    let redis_key = app.session_keys().await.pop().unwrap();
    let ttl_ms: i64 = app.redis().await.pttl(&redis_key).await.unwrap();
    assert!((1..=2000).contains(&ttl_ms), "about 2 s left: {ttl_ms}");

    // A session whose lifetime is over is removed by an update.
    let key = store
        .update(key, state(now_ms() - 11_000), &ttl)
        .await
        .unwrap();
    assert!(store.load(&key).await.unwrap().is_none());
}

/// `state` as a request begins it in `epoch` (stored as JSON, as the
/// session stores every entry).
fn state_in(epoch: Epoch) -> HashMap<String, String> {
    let mut state = state(now_ms());
    state.insert("epoch".to_owned(), serde_json::to_string(&epoch).unwrap());
    state
}

async fn is_live(store: &RedisSessionStore, key: &SessionKey) -> bool {
    store.load(key).await.unwrap().is_some()
}

/// The session's public id: the SHA-256 of its key.
fn public_id(key: &SessionKey) -> String {
    format!("{:x}", Sha256::digest(key.as_ref().as_bytes()))
}

#[tokio::test]
async fn ending_every_session_refuses_new_ones_begun_in_an_earlier_epoch() {
    const LIFETIME_MS: i64 = 3_600_000;
    let app = spawn_app().await;
    let store = app
        .session_store(Duration::from_millis(LIFETIME_MS as u64))
        .await;
    let ttl = CookieDuration::seconds(60);
    let epoch_key = format!("{}{{user:7}}:epoch", app.redis_prefix);
    // Never ended: epoch 0, which a state written before epochs is in.
    assert_eq!(store.epoch(7).await.unwrap(), Epoch::default());
    let kept = store.save(state(now_ms()), &ttl).await.unwrap();
    assert!(is_live(&store, &kept).await);

    for end in ["all but one", "all", "all and the index"] {
        // What a login reads before the password hash.
        let read = store.epoch(7).await.unwrap();
        // Whatever expiry an earlier end gave the epoch, this one sets its own.
        let _: bool = app.redis().await.persist(&epoch_key).await.unwrap();
        match end {
            "all but one" => store.revoke_all_but(7, &public_id(&kept)).await,
            "all" => store.revoke_all(7).await,
            _ => store.end_all(7).await,
        }
        .unwrap();

        // The login's session, written after: refused, and said so.
        let (late, refused) = noting_refusal(store.save(state_in(read), &ttl)).await;
        assert!(refused, "{end}");
        assert!(!is_live(&store, &late.unwrap()).await, "{end}");
        let unmarked = store.save(state(now_ms()), &ttl).await.unwrap();
        assert!(!is_live(&store, &unmarked).await, "{end}: in epoch 0");
        // One begun in the epoch as it is now is written.
        let now = store.epoch(7).await.unwrap();
        assert_eq!(now, read.next(), "{end}");
        let (fresh, refused) = noting_refusal(store.save(state_in(now), &ttl)).await;
        assert!(!refused, "{end}");
        assert!(is_live(&store, &fresh.unwrap()).await, "{end}");
        // The epoch outlives any login that read the one before.
        let kept_ms: i64 = app.redis().await.pttl(&epoch_key).await.unwrap();
        assert!(
            (LIFETIME_MS - 10_000..=LIFETIME_MS).contains(&kept_ms),
            "{end}: {kept_ms} ms"
        );
    }
}

#[tokio::test]
async fn a_session_kept_while_the_others_end_still_extends_its_idle_clock() {
    let app = spawn_app().await;
    let store = app.session_store(Duration::from_secs(3600)).await;
    let kept = store
        .save(state(now_ms()), &CookieDuration::seconds(5))
        .await
        .unwrap();
    store.revoke_all_but(7, &public_id(&kept)).await.unwrap();

    let key = store
        .update(kept, state(now_ms()), &CookieDuration::seconds(60))
        .await
        .unwrap();
    let redis_key = app.session_keys().await.pop().expect("the kept session");
    let ttl_ms: i64 = app.redis().await.pttl(&redis_key).await.unwrap();
    assert!(ttl_ms > 5000, "extended: {ttl_ms} ms");
    assert!(is_live(&store, &key).await);
}

#[tokio::test]
async fn a_registration_begins_its_session_in_the_accounts_current_epoch() {
    let app = spawn_app().await;
    let first = json_of(app.new_browser().register(&unique_email()).await, 201).await;
    let next_id = first["id"].as_u64().unwrap() + 1;
    // An epoch the next account has already (left by an earlier database
    // under the same prefix, say).
    let epoch_key = format!("{}{{user:{next_id}}}:epoch", app.redis_prefix);
    let _: () = app.redis().await.set(&epoch_key, 3).await.unwrap();

    let browser = app.new_browser();
    let second = json_of(browser.register(&unique_email()).await, 201).await;
    assert_eq!(second["id"].as_u64(), Some(next_id));
    assert_eq!(browser.me().await.status(), 200);
}
