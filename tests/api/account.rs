//! PATCH /me: renaming the account, and every live session seeing it.
//! POST /me/password: changing the password, which ends every session of
//! the account and counts a wrong current password as a failed login.

use std::time::Duration;

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, CookieJar, Key};
use mysql_async::prelude::*;
use redis::AsyncCommands;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, PASSWORD, TestApp, client, json_of, problem, session_cookie, session_pair, spawn_app,
    spawn_app_with, spawn_app_with_metrics, unique_email, until_logged_out,
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
    let store = app.session_store(Duration::from_secs(3600)).await;
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

/// A password no rule refuses, for the accounts of these tests.
const NEW_PASSWORD: &str = "staple battery horse";

/// Registers an account on the app's own browser; its email and the
/// `sid=…` pair of its session.
async fn signed_up_with_cookie(app: &TestApp) -> (String, String) {
    let email = unique_email();
    let response = app.register(&email).await;
    let pair = session_pair(response.headers()).expect("a session cookie");
    json_of(response, 201).await;
    (email, pair)
}

#[tokio::test]
async fn a_password_change_renews_this_session_and_ends_every_other_at_once() {
    const ENDED: &str = r#"status_api_sessions_ended_total{how="password-changed"}"#;
    let app = spawn_app_with_metrics(&[]).await;
    let (email, old_pair) = signed_up_with_cookie(&app).await;
    let other = app.new_browser();
    assert_eq!(other.login(&email, PASSWORD).await.status(), 200);
    // The counter is the process's, shared with tests running beside this
    // one: only its growth is this test's.
    let ended_before = app.metric(ENDED).await.unwrap_or(0);

    let response = app.change_password(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(response.status(), 204);
    let new_pair = session_pair(response.headers()).expect("a new session cookie");
    assert_ne!(new_pair, old_pair, "a new key");

    assert_eq!(app.me().await.status(), 200, "this browser stays logged in");
    let copied = app.browser_with_cookie(&old_pair);
    problem(copied.me().await, 401, "unauthenticated").await;
    problem(other.me().await, 401, "unauthenticated").await;
    let left = app.listed_sessions().await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["current"], true);
    let ended_after = app.metric(ENDED).await.unwrap_or(0);
    assert!(
        ended_after - ended_before >= 2,
        "{ended_before} -> {ended_after}"
    );
}

#[tokio::test]
async fn the_new_password_logs_in_the_old_one_does_not_and_the_change_is_recorded() {
    let app = spawn_app().await;
    let (email, _) = signed_up_with_cookie(&app).await;
    assert_eq!(
        app.change_password(PASSWORD, NEW_PASSWORD).await.status(),
        204
    );
    let types = app.security_event_types().await;
    assert_eq!(types.first().map(String::as_str), Some("password-changed"));

    let fresh = app.new_browser();
    problem(
        fresh.login(&email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
    assert_eq!(fresh.login(&email, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_wrong_current_password_is_403_and_counts_as_a_failed_login() {
    let app = spawn_app().await;
    let (email, _) = signed_up_with_cookie(&app).await;
    problem(
        app.change_password("not the password", NEW_PASSWORD).await,
        403,
        "wrong-password",
    )
    .await;
    let types = app.security_event_types().await;
    assert_eq!(types.first().map(String::as_str), Some("login-failed"));
    assert!(!types.iter().any(|kind| kind == "password-changed"));
    // Nothing else changed: this session lives, the password is the old one.
    assert_eq!(app.me().await.status(), 200);
    assert_eq!(
        app.new_browser().login(&email, PASSWORD).await.status(),
        200
    );
}

#[tokio::test]
async fn wrong_current_passwords_lock_out_the_change_and_the_login_alike() {
    let app = spawn_app().await;
    let (email, _) = signed_up_with_cookie(&app).await;
    for _ in 0..5 {
        problem(
            app.change_password("not the password", NEW_PASSWORD).await,
            403,
            "wrong-password",
        )
        .await;
    }
    let body = problem(
        app.change_password(PASSWORD, NEW_PASSWORD).await,
        429,
        "rate-limited",
    )
    .await;
    assert!(body["detail"].is_string());
    problem(
        app.new_browser().login(&email, PASSWORD).await,
        429,
        "rate-limited",
    )
    .await;
    // The fields are judged before the lockout.
    problem(
        app.change_password(PASSWORD, "short").await,
        422,
        "validation",
    )
    .await;
    assert!(
        app.security_event_types()
            .await
            .contains(&"locked-out".to_owned())
    );
}

#[tokio::test]
async fn the_right_current_password_clears_the_failures_as_a_login_does() {
    let app = spawn_app().await;
    signed_up_with_cookie(&app).await;
    // Four failures each time: past five, the pair would be locked out.
    for (current, new) in [(PASSWORD, NEW_PASSWORD), (NEW_PASSWORD, PASSWORD)] {
        for _ in 0..4 {
            problem(
                app.change_password("not the password", new).await,
                403,
                "wrong-password",
            )
            .await;
        }
        assert_eq!(app.change_password(current, new).await.status(), 204);
    }
}

#[tokio::test]
async fn the_new_password_differs_from_the_current_one_as_sent_never_as_stored() {
    let app = spawn_app().await;
    signed_up_with_cookie(&app).await;
    let body = problem(
        app.change_password(PASSWORD, PASSWORD).await,
        422,
        "validation",
    )
    .await;
    assert_eq!(
        body["errors"],
        json!({"new_password": ["must differ from current_password"]})
    );
    // The new password is the stored one, the current one is a wrong guess:
    // only the check against the hash, counted, may say so.
    problem(
        app.change_password("a wrong guess", PASSWORD).await,
        403,
        "wrong-password",
    )
    .await;
}

#[tokio::test]
async fn the_new_password_follows_the_registration_rules() {
    let app = spawn_app().await;
    let (email, _) = signed_up_with_cookie(&app).await;
    let too_long = "x9".repeat(36) + "y";
    let shouting = email.to_uppercase();
    for new in ["seven77", "Password123", &too_long, &shouting] {
        let body = problem(app.change_password(PASSWORD, new).await, 422, "validation").await;
        let errors = body["errors"].as_object().unwrap();
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["new_password"],
            "{new:?}"
        );
    }
    let body = problem(
        app.post_json(
            "/me/password",
            &json!({"current_password": 5, "password": NEW_PASSWORD}),
        )
        .await,
        422,
        "validation",
    )
    .await;
    assert_eq!(
        body["errors"],
        json!({
            "current_password": ["must be a string"],
            "new_password": ["is required"],
            "password": ["is not a known field"],
        })
    );
    assert_eq!(
        app.new_browser().login(&email, PASSWORD).await.status(),
        200,
        "nothing changed"
    );
}

#[tokio::test]
async fn changing_the_password_needs_a_session_and_judges_the_body_first() {
    let app = spawn_app().await;
    let post = |browser: &Browser, content_type: &str, body: &str| {
        browser
            .client
            .post(browser.url("/me/password"))
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
    };
    let valid = json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}).to_string();
    let stranger = app.new_browser();
    let response = post(&stranger, "text/plain", &valid).await.unwrap();
    problem(response, 415, "unsupported-media-type").await;
    let response = post(&stranger, "application/json", "[]").await.unwrap();
    problem(response, 400, "bad-request").await;
    let response = post(&stranger, "application/json", r#"{"new_password": ""}"#)
        .await
        .unwrap();
    problem(response, 401, "unauthenticated").await;
    problem(
        stranger.change_password(PASSWORD, NEW_PASSWORD).await,
        401,
        "unauthenticated",
    )
    .await;

    signed_up_with_cookie(&app).await;
    let response = post(&app, "application/json", r#"{"new_password": ""}"#)
        .await
        .unwrap();
    problem(response, 422, "validation").await;
}

/// Password change tests that stop requests on MySQL locks: the app waits
/// on them longer than the test holds them.
const PATIENT: [(&str, &str); 1] = [("DEPENDENCY_TIMEOUT_MS", "20000")];

/// An account signed up on the app's browser and logged in on another,
/// whose logging out shows when every session has ended: its email and
/// that other browser.
async fn signed_up_twice(app: &TestApp) -> (String, Browser) {
    let (email, _) = signed_up_with_cookie(app).await;
    let other = app.new_browser();
    assert_eq!(other.login(&email, PASSWORD).await.status(), 200);
    (email, other)
}

#[tokio::test]
async fn a_login_that_checked_the_old_password_before_the_change_begins_no_session() {
    let app = spawn_app_with(&PATIENT).await;
    let (email, other) = signed_up_twice(&app).await;
    let held = app.hold_security_events().await;
    let late = app.new_browser();

    // The login checks the old password, then waits to record its event;
    // the change ends every session (the other browser's shows it), then
    // waits to record its own; then both go on.
    let logging_in = late.login(&email, PASSWORD);
    let changing = async {
        app.until_waiting("INSERT INTO security_events", 1).await;
        let change = app.change_password(PASSWORD, NEW_PASSWORD);
        let releasing = async {
            until_logged_out(&other).await;
            held.release().await;
        };
        tokio::join!(change, releasing).0
    };
    let (login, changed) = tokio::join!(logging_in, changing);

    assert_eq!(changed.status(), 204);
    let cookie = session_cookie(login.headers()).expect("the cookie is expired");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    problem(login, 401, "invalid-credentials").await;
    problem(late.me().await, 401, "unauthenticated").await;
    let left = app.listed_sessions().await;
    assert_eq!(left.len(), 1, "only the changing browser's: {left:?}");
}

#[tokio::test]
async fn a_login_that_read_the_old_hash_after_the_first_end_keeps_no_session() {
    let app = spawn_app_with(&PATIENT).await;
    let (email, other) = signed_up_twice(&app).await;
    let held = app.hold_security_events().await;
    let late = app.new_browser();

    // The change ends every session, then waits to commit the new hash; a
    // login reads the old one, checks the old password and waits to record
    // its event; then both go on.
    let changing = app.change_password(PASSWORD, NEW_PASSWORD);
    let logging_in = async {
        until_logged_out(&other).await;
        let login = late.login(&email, PASSWORD);
        let releasing = async {
            app.until_waiting("INSERT INTO security_events", 2).await;
            held.release().await;
        };
        tokio::join!(login, releasing).0
    };
    let (changed, login) = tokio::join!(changing, logging_in);

    assert_eq!(changed.status(), 204);
    // Its session was written before the change's last end, which ended
    // it, or after, and refused.
    if login.status() != 200 {
        problem(login, 401, "invalid-credentials").await;
    }
    problem(late.me().await, 401, "unauthenticated").await;
    assert_eq!(app.me().await.status(), 200, "the changing browser's lives");
}

#[tokio::test]
async fn a_change_overtaken_by_another_end_of_every_session_begins_no_session() {
    let app = spawn_app_with(&PATIENT).await;
    let (_, other) = signed_up_twice(&app).await;
    let user_id = json_of(app.me().await, 200).await["id"].as_u64().unwrap();
    let store = app.session_store(Duration::from_secs(3600)).await;
    let held = app.hold_security_events().await;

    // The change ends every session, then waits to commit; meanwhile
    // another request ends every session too, as a deletion from another
    // of the account's sessions does.
    let changing = app.change_password(PASSWORD, NEW_PASSWORD);
    let overtaking = async {
        until_logged_out(&other).await;
        store.end_all(user_id).await.unwrap();
        held.release().await;
    };
    let (changed, ()) = tokio::join!(changing, overtaking);

    assert_eq!(changed.status(), 204);
    problem(app.me().await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_change_that_cannot_be_stored_leaves_the_user_logged_out_with_the_old_password() {
    let app = spawn_app().await;
    let (email, _) = signed_up_with_cookie(&app).await;
    let other = app.new_browser();
    assert_eq!(other.login(&email, PASSWORD).await.status(), 200);
    // The password-changed event cannot be written, so neither can the hash.
    app.db()
        .await
        .query_drop("RENAME TABLE security_events TO security_events_away")
        .await
        .unwrap();

    let response = app.change_password(PASSWORD, NEW_PASSWORD).await;
    let cookie = session_cookie(response.headers()).expect("the cookie is expired");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    problem(response, 500, "internal").await;
    problem(app.me().await, 401, "unauthenticated").await;
    problem(other.me().await, 401, "unauthenticated").await;
    app.db()
        .await
        .query_drop("RENAME TABLE security_events_away TO security_events")
        .await
        .unwrap();
    assert_eq!(
        app.new_browser().login(&email, PASSWORD).await.status(),
        200
    );
}
