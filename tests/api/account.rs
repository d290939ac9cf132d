//! PATCH /me: renaming the account, and every live session seeing it.

use std::time::Duration;

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, CookieJar, Key};
use redis::AsyncCommands;
use serde_json::{Value, json};
use status_api::session::{RedisSessionStore, SessionConnection};

use crate::helpers::{
    Browser, PASSWORD, TestApp, client, json_of, problem, redis_url, session_pair, spawn_app,
    spawn_app_with, unique_email,
};

/// Registers an account on the app's own browser; the user it returns.
async fn registered(app: &TestApp) -> Value {
    json_of(app.register(&unique_email()).await, 201).await
}

fn index_key(app: &TestApp, user_id: u64) -> String {
    format!("{}{{user:{user_id}}}:sessions", app.redis_prefix)
}

fn session_key(app: &TestApp, user_id: u64, id: &str) -> String {
    format!("{}{{user:{user_id}}}:session:{id}", app.redis_prefix)
}

#[tokio::test]
async fn renaming_answers_the_user_as_stored() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let renamed = json_of(app.rename("  Alice Liddell  ").await, 200).await;
    let mut expected = user.clone();
    expected["name"] = json!("Alice Liddell");
    assert_eq!(renamed, expected);
    assert_eq!(json_of(app.me().await, 200).await, expected);
    // Stored in MySQL: a new login reads it from there.
    let email = user["email"].as_str().unwrap();
    let fresh = app.new_browser();
    assert_eq!(
        json_of(fresh.login(email, PASSWORD).await, 200).await["name"],
        "Alice Liddell"
    );
}

#[tokio::test]
async fn every_live_session_shows_the_new_name_at_once() {
    // A short idle time makes the renaming request's own session due an
    // idle-clock refresh, which writes its state at the end of the request.
    let app = spawn_app_with(&[("SESSION_IDLE_SECS", "4")]).await;
    let user = registered(&app).await;
    let other = app.new_browser();
    let email = user["email"].as_str().unwrap();
    assert_eq!(other.login(email, PASSWORD).await.status(), 200);
    tokio::time::sleep(Duration::from_millis(1100)).await;

    assert_eq!(app.rename("Renamed").await.status(), 200);
    assert_eq!(json_of(other.me().await, 200).await["name"], "Renamed");
    assert_eq!(json_of(app.me().await, 200).await["name"], "Renamed");
}

/// The id of `browser`'s own session, as `GET /sessions` shows it.
async fn own_session_id(browser: &Browser) -> String {
    let items = browser.listed_sessions().await;
    let own = items.iter().find(|item| item["current"] == true);
    own.expect("the current session")["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_session_that_ended_is_not_brought_back_and_live_ones_keep_their_ttl() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let user_id = user["id"].as_u64().unwrap();
    let email = user["email"].as_str().unwrap();
    let (ended, live) = (app.new_browser(), app.new_browser());
    for browser in [&ended, &live] {
        assert_eq!(browser.login(email, PASSWORD).await.status(), 200);
    }
    let (ended_id, live_id) = (own_session_id(&ended).await, own_session_id(&live).await);
    let mut redis = app.redis().await;
    // One session's key expires, its index entry left behind.
    let _: u64 = redis
        .del(session_key(&app, user_id, &ended_id))
        .await
        .unwrap();
    let ttl_before: i64 = redis
        .pttl(session_key(&app, user_id, &live_id))
        .await
        .unwrap();

    assert_eq!(app.rename("Renamed").await.status(), 200);

    let exists: bool = redis
        .exists(session_key(&app, user_id, &ended_id))
        .await
        .unwrap();
    assert!(!exists, "an ended session was written back");
    problem(ended.me().await, 401, "unauthenticated").await;
    let indexed: Vec<String> = redis.zrange(index_key(&app, user_id), 0, -1).await.unwrap();
    assert!(!indexed.contains(&ended_id), "the dead entry is pruned");
    assert_eq!(indexed.len(), 2);
    let ttl_after: i64 = redis
        .pttl(session_key(&app, user_id, &live_id))
        .await
        .unwrap();
    assert!(
        0 < ttl_after && ttl_after <= ttl_before,
        "the live session kept its TTL: {ttl_before} ms, then {ttl_after} ms"
    );
    assert_eq!(json_of(live.me().await, 200).await["name"], "Renamed");
}

/// The raw session key inside a `sid=…` pair (actix-session encrypts it).
fn raw_key(app: &TestApp, pair: &str) -> SessionKey {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::parse_encoded(pair.to_owned()).unwrap());
    let private = jar.private(&Key::from(&app.settings.session_secret));
    let value = private
        .get("sid")
        .expect("a readable sid")
        .value()
        .to_owned();
    SessionKey::try_from(value).unwrap()
}

#[tokio::test]
async fn a_request_that_loaded_its_session_before_a_rename_does_not_write_the_old_name_back() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let other = app.new_browser();
    let email = user["email"].as_str().unwrap();
    let pair = session_pair(other.login(email, PASSWORD).await.headers()).unwrap();
    let store = RedisSessionStore::new(
        SessionConnection::check(
            redis::Client::open(redis_url()).unwrap(),
            Duration::from_secs(2),
        )
        .await
        .unwrap(),
        &app.redis_prefix,
        Duration::from_secs(3600),
        50,
    );
    let key = raw_key(&app, &pair);
    // The other browser's request loads its session, then the rename
    // happens, then that request refreshes its idle clock.
    let loaded = store.load(&key).await.unwrap().expect("a live session");
    assert_eq!(app.rename("Renamed").await.status(), 200);
    store
        .update(key, loaded, &CookieDuration::minutes(30))
        .await
        .unwrap();

    assert_eq!(json_of(other.me().await, 200).await["name"], "Renamed");
}

#[tokio::test]
async fn names_follow_the_registration_rules_and_unknown_fields_are_refused() {
    let app = spawn_app().await;
    registered(&app).await;
    for name in ["", "   ", "tab\there", &"n".repeat(65)] {
        let body = problem(app.rename(name).await, 422, "validation").await;
        assert!(body["errors"]["name"].is_array(), "{name:?}: {body}");
    }
    let body = problem(
        app.patch_me(&json!({"name": 5, "email": "x@example.com"}))
            .await,
        422,
        "validation",
    )
    .await;
    assert_eq!(body["errors"]["name"], json!(["must be a string"]));
    assert_eq!(body["errors"]["email"], json!(["is not a known field"]));
    let body = problem(app.patch_me(&json!({})).await, 422, "validation").await;
    assert_eq!(body["errors"]["name"], json!(["is required"]));
    assert_eq!(
        json_of(app.rename(&"é".repeat(64)).await, 200).await["name"],
        "é".repeat(64)
    );
    assert_eq!(json_of(app.me().await, 200).await["name"], "é".repeat(64));
}

#[tokio::test]
async fn renaming_needs_a_session() {
    let app = spawn_app().await;
    problem(app.rename("Nobody").await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn the_body_is_judged_before_the_session_and_the_session_before_the_fields() {
    let app = spawn_app().await;
    let patch = |browser: &Browser, content_type: &str, body: &str| {
        browser
            .client
            .patch(browser.url("/me"))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
    };
    let stranger = app.new_browser();
    let response = patch(&stranger, "text/plain", r#"{"name": "X"}"#)
        .await
        .unwrap();
    problem(response, 415, "unsupported-media-type").await;
    let response = patch(&stranger, "application/json", "{").await.unwrap();
    problem(response, 400, "bad-request").await;
    let response = patch(&stranger, "application/json", r#"{"name": ""}"#)
        .await
        .unwrap();
    problem(response, 401, "unauthenticated").await;

    registered(&app).await;
    let response = patch(&app, "application/json", r#"{"name": ""}"#)
        .await
        .unwrap();
    problem(response, 422, "validation").await;
    let response = patch(
        &app,
        "application/merge-patch+json",
        r#"{"name": "Merged"}"#,
    )
    .await
    .unwrap();
    assert_eq!(json_of(response, 200).await["name"], "Merged");
}

#[tokio::test]
async fn other_sites_cannot_rename_but_allowed_origins_may_preflight_patch() {
    let app = spawn_app_with(&[("ALLOWED_ORIGINS", "http://app.example")]).await;
    registered(&app).await;
    let response = app
        .client
        .patch(app.url("/me"))
        .header("origin", "http://evil.example")
        .json(&json!({"name": "Evil"}))
        .send()
        .await
        .unwrap();
    problem(response, 403, "forbidden-origin").await;
    assert_ne!(json_of(app.me().await, 200).await["name"], "Evil");

    let preflight = client()
        .request(reqwest::Method::OPTIONS, app.url("/me"))
        .header("origin", "http://app.example")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed = preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(allowed.contains("PATCH"), "{allowed}");
}
