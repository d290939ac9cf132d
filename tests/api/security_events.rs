//! Security events: written beside the changes they report, listed by
//! GET /me/security-events, never holding a secret, pruned past
//! SECURITY_EVENT_DAYS.

use std::time::Duration;

use mysql_async::prelude::*;
use serde_json::Value;
use status_api::db::Database;
use status_api::retention;

use crate::helpers::{
    Browser, PASSWORD, TestApp, json_of, problem, session_pair, spawn_app, spawn_app_with,
    unique_email,
};

const AGENT: &str = "EventsTest/1.0";

/// The caller's user id.
async fn user_id(browser: &Browser) -> u64 {
    json_of(browser.me().await, 200).await["id"]
        .as_u64()
        .unwrap()
}

/// The user's event ids in the table, newest first.
async fn stored_ids(app: &TestApp, user_id: u64) -> Vec<u64> {
    app.db()
        .await
        .exec(
            "SELECT id FROM security_events WHERE user_id = ? ORDER BY id DESC",
            (user_id,),
        )
        .await
        .unwrap()
}

async fn event_count(app: &TestApp) -> u64 {
    let count: Option<u64> = app
        .db()
        .await
        .query_first("SELECT COUNT(*) FROM security_events")
        .await
        .unwrap();
    count.unwrap()
}

/// `count` events for the user, `days_ago` days old, in one statement.
async fn insert_events(app: &TestApp, user_id: u64, count: usize, days_ago: u32) {
    let row = format!(
        "({user_id}, 'login', UTC_TIMESTAMP(6) - INTERVAL {days_ago} DAY, '192.0.2.1', 'old')"
    );
    let rows = vec![row; count].join(", ");
    app.db()
        .await
        .query_drop(format!(
            "INSERT INTO security_events (user_id, type, at, ip, user_agent) VALUES {rows}"
        ))
        .await
        .unwrap();
}

async fn page(browser: &Browser, query: &str) -> Value {
    json_of(browser.security_events(query).await, 200).await
}

fn ids(page: &Value) -> Vec<u64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn each_action_leaves_its_event_with_ip_and_user_agent() {
    let app = spawn_app().await;
    let laptop = app.new_browser_named(AGENT);
    let email = laptop.signed_up().await;
    assert_eq!(laptop.logout().await.status(), 204);
    assert_eq!(laptop.login(&email, "not the password").await.status(), 401);
    assert_eq!(laptop.login(&email, PASSWORD).await.status(), 200);
    let phone = app.new_browser_named("Phone/2.0");
    assert_eq!(phone.login(&email, PASSWORD).await.status(), 200);
    let phone_session = laptop
        .listed_sessions()
        .await
        .into_iter()
        .find(|session| session["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(laptop.revoke_session(&phone_session).await.status(), 204);
    for _ in 0..2 {
        let tablet = app.new_browser_named("Tablet/3.0");
        assert_eq!(tablet.login(&email, PASSWORD).await.status(), 200);
    }
    assert_eq!(laptop.revoke_other_sessions().await.status(), 204);

    let events = page(&laptop, "?limit=100").await;
    let items = events["items"].as_array().unwrap();
    let types: Vec<&str> = items.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "session-revoked",
            "session-revoked",
            "login",
            "login",
            "session-revoked",
            "login",
            "login",
            "login-failed",
            "logout",
            "verification-sent",
            "registered",
        ],
        "one event per action, newest first; one per session DELETE /sessions ended"
    );
    let agents: Vec<&str> = items
        .iter()
        .map(|e| e["user_agent"].as_str().unwrap())
        .collect();
    assert_eq!(agents[2..4], ["Tablet/3.0", "Tablet/3.0"]);
    assert_eq!(agents[5], "Phone/2.0");
    for event in items {
        assert_eq!(event["ip"], "127.0.0.1");
        assert!(event["at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(
            event.as_object().unwrap().len(),
            5,
            "id, type, at, ip, user_agent: {event}"
        );
    }
    assert_eq!(events["next_before"], Value::Null);

    // Revoking the current session this way is a logout.
    let own = laptop.listed_sessions().await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(laptop.revoke_session(&own).await.status(), 204);
    assert_eq!(laptop.login(&email, PASSWORD).await.status(), 200);
    assert_eq!(
        laptop.security_event_types().await[..2],
        ["login", "logout"]
    );
}

#[tokio::test]
async fn a_failed_login_for_an_unknown_email_or_without_a_session_writes_nothing() {
    let app = spawn_app().await;
    app.signed_up().await;
    assert_eq!(event_count(&app).await, 2, "registered, verification-sent");
    let stranger = app.new_browser();
    let unknown = unique_email();
    assert_eq!(stranger.login(&unknown, PASSWORD).await.status(), 401);
    assert_eq!(stranger.logout().await.status(), 204);
    assert_eq!(event_count(&app).await, 2, "nothing more");
}

#[tokio::test]
async fn the_failure_that_begins_a_lockout_is_recorded_once() {
    let app = spawn_app_with(&[("LOGIN_FAILURE_LIMIT", "2/900")]).await;
    let email = app.signed_up().await;
    let guesser = app.new_browser_named("Guesser/1.0");
    for _ in 0..2 {
        assert_eq!(guesser.login(&email, "wrong guess 1").await.status(), 401);
    }
    problem(
        guesser.login(&email, "wrong guess 2").await,
        429,
        "rate-limited",
    )
    .await;
    assert_eq!(
        app.security_event_types().await,
        [
            "locked-out",
            "login-failed",
            "login-failed",
            "verification-sent",
            "registered"
        ],
        "a login refused by the lockout is no failure of its own"
    );
}

#[tokio::test]
async fn pages_like_fetch_status() {
    let app = spawn_app().await;
    app.signed_up().await;
    let user = user_id(&app).await;
    insert_events(&app, user, 5, 0).await;
    let all = stored_ids(&app, user).await;
    assert_eq!(all.len(), 7, "registered, verification-sent and five more");

    let first = page(&app, "?limit=4").await;
    assert_eq!(ids(&first), all[..4]);
    assert_eq!(first["next_before"], all[3]);
    let second = page(&app, &format!("?limit=4&before={}", all[3])).await;
    assert_eq!(ids(&second), all[4..]);
    assert_eq!(second["next_before"], Value::Null, "no older event");
    assert_eq!(ids(&page(&app, "").await), all, "20 by default");

    let body = problem(
        app.security_events("?limit=0&before=0").await,
        422,
        "validation",
    )
    .await;
    let named: Vec<&String> = body["errors"].as_object().unwrap().keys().collect();
    assert_eq!(named, ["before", "limit"]);
    for query in [
        "?limit=101",
        "?limit=x",
        "?before=-1",
        "?before=9223372036854775808",
    ] {
        problem(app.security_events(query).await, 422, "validation").await;
    }
}

#[tokio::test]
async fn only_the_callers_own_events_are_listed() {
    let app = spawn_app().await;
    let alice = app.new_browser();
    alice.signed_up().await;
    let bob = app.new_browser();
    bob.signed_up().await;
    let (alice_id, bob_id) = (user_id(&alice).await, user_id(&bob).await);
    insert_events(&app, alice_id, 3, 0).await;
    insert_events(&app, bob_id, 3, 0).await;
    insert_events(&app, alice_id, 3, 0).await;

    let bobs = stored_ids(&app, bob_id).await;
    assert_eq!(
        ids(&page(&alice, "").await),
        stored_ids(&app, alice_id).await
    );
    assert_eq!(ids(&page(&bob, "").await), bobs);
    // A cursor past Bob's newest event still finds only Alice's.
    let older = page(&alice, &format!("?before={}", bobs[0] + 1)).await;
    assert!(!ids(&older).is_empty());
    assert!(
        ids(&older).iter().all(|id| !bobs.contains(id)),
        "never another user's"
    );
}

#[tokio::test]
async fn the_list_needs_a_session() {
    let app = spawn_app().await;
    let anonymous = app.new_browser();
    problem(anonymous.security_events("").await, 401, "unauthenticated").await;
    let head = anonymous
        .client
        .head(anonymous.url("/me/security-events"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 401);
    app.signed_up().await;
    let head = app
        .client
        .head(app.url("/me/security-events"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
}

#[tokio::test]
async fn no_password_cookie_key_or_hash_reaches_the_table() {
    let app = spawn_app_with(&[("LOGIN_FAILURE_LIMIT", "1/900")]).await;
    let email = unique_email();
    let browser = app.new_browser_named(AGENT);
    let registered = browser.register(&email).await;
    let cookie = session_pair(registered.headers()).unwrap();
    let wrong = "a wrong password 42";
    assert_eq!(browser.login(&email, wrong).await.status(), 401);
    browser.logout().await;
    let stranger = app.new_browser();
    problem(stranger.login(&email, PASSWORD).await, 429, "rate-limited").await;

    let hash: Option<String> = app
        .db()
        .await
        .exec_first(
            "SELECT password_hash FROM users WHERE email = ?",
            (email.as_str(),),
        )
        .await
        .unwrap();
    let value = cookie.strip_prefix("sid=").unwrap().to_owned();
    // A signed cookie is the signature's 44 base64 characters, then the key.
    let key = value[44..].to_owned();
    let secrets = [
        PASSWORD.to_owned(),
        wrong.to_owned(),
        value,
        key,
        hash.unwrap(),
    ];
    let rows: Vec<String> = app
        .db()
        .await
        .query("SELECT CONCAT_WS('|', id, user_id, type, at, ip, user_agent) FROM security_events")
        .await
        .unwrap();
    assert!(
        rows.len() >= 3,
        "registered, login-failed, locked-out: {rows:?}"
    );
    for row in &rows {
        for secret in &secrets {
            assert!(!row.contains(secret.as_str()), "{row:?} holds a secret");
        }
    }
}

#[tokio::test]
async fn registration_and_its_event_commit_together_and_a_lost_event_fails_no_login() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    app.db()
        .await
        .query_drop("RENAME TABLE security_events TO security_events_away")
        .await
        .unwrap();

    let newcomer = unique_email();
    let response = app.new_browser().register(&newcomer).await;
    assert_eq!(response.status(), 500, "the event could not be stored");
    let stored: Option<u64> = app
        .db()
        .await
        .exec_first("SELECT id FROM users WHERE email = ?", (newcomer.as_str(),))
        .await
        .unwrap();
    assert_eq!(stored, None, "no account without its registered event");

    let returning = app.new_browser();
    assert_eq!(returning.login(&email, PASSWORD).await.status(), 200);
    assert_eq!(
        returning.login(&email, "wrong password").await.status(),
        401
    );
    assert_eq!(returning.logout().await.status(), 204);
}

#[tokio::test]
async fn pruning_deletes_only_what_is_past_retention_even_run_twice_at_once() {
    let app = spawn_app().await;
    app.signed_up().await;
    let user = user_id(&app).await;
    let old = 2 * status_api::db::security_events::PRUNE_BATCH as usize + 100;
    insert_events(&app, user, old, 91).await;
    insert_events(&app, user, 7, 89).await;
    let keep = stored_ids(&app, user).await.len() - old;

    let opts = mysql_async::Opts::from_url(&app.database.url()).unwrap();
    let instance = || Database::new(&opts, 1, Duration::from_secs(30));
    let (one, other) = (instance(), instance());
    let retention = Duration::from_secs(90 * 86_400);
    let (first, second) = tokio::join!(
        retention::prune(&one, retention),
        retention::prune(&other, retention)
    );
    assert_eq!(
        first.unwrap() + second.unwrap(),
        old as u64,
        "each row once"
    );
    assert_eq!(stored_ids(&app, user).await.len(), keep);
    assert_eq!(retention::prune(&one, retention).await.unwrap(), 0);
    assert!(
        page(&app, "?limit=100").await["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["type"] == "registered"),
        "today's events stay"
    );
}
