//! DELETE /me: the account ends at once (sessions, email, limits), and its
//! rows are purged in the background, resuming after a restart.

use std::time::Duration;

use mysql_async::prelude::*;
use redis::AsyncCommands;
use serde_json::{Value, json};
use status_api::db::{Database, account_purge, statuses, users};
use status_api::domain::StatusText;

use crate::helpers::{
    PASSWORD, TestApp, TestDatabase, client, delete_keys, json_of, problem, random_hex,
    session_cookie, session_pair, spawn_app, spawn_app_with, spawn_app_with_metrics, start,
    test_settings, unique_email,
};

/// How long a test waits for the background purge (it looks every 5 s).
const PURGE_WAIT: Duration = Duration::from_secs(30);

/// Registers an account on the app's own browser; its user.
async fn registered(app: &TestApp) -> Value {
    json_of(app.register(&unique_email()).await, 201).await
}

fn id_of(user: &Value) -> u64 {
    user["id"].as_u64().expect("a user id")
}

/// A pool on the test's database, as an instance of the app has.
fn database(test_db: &TestDatabase) -> Database {
    let opts = mysql_async::Opts::from_url(&test_db.url()).expect("a database URL");
    Database::new(&opts, 2, Duration::from_secs(5))
}

/// The rows the account still has: (users, statuses, security events).
async fn rows_of(conn: &mut mysql_async::Conn, user_id: u64) -> (u64, u64, u64) {
    let count = |table: &str, column: &str| {
        format!("SELECT COUNT(*) FROM {table} WHERE {column} = {user_id}")
    };
    let users: Option<u64> = conn.query_first(count("users", "id")).await.unwrap();
    let statuses: Option<u64> = conn
        .query_first(count("statuses", "user_id"))
        .await
        .unwrap();
    let events: Option<u64> = conn
        .query_first(count("security_events", "user_id"))
        .await
        .unwrap();
    (users.unwrap(), statuses.unwrap(), events.unwrap())
}

/// Waits, at most `PURGE_WAIT`, until the account has no rows left.
async fn until_purged(conn: &mut mysql_async::Conn, user_id: u64) {
    let deadline = tokio::time::Instant::now() + PURGE_WAIT;
    loop {
        let rows = rows_of(conn, user_id).await;
        if rows == (0, 0, 0) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not purged in time: {rows:?} rows left"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Inserts `count` statuses of the user straight into MySQL.
async fn insert_statuses(conn: &mut mysql_async::Conn, user_id: u64, count: usize) {
    let rows = vec!["(?, 'bulk', UTC_TIMESTAMP(6))"; count].join(", ");
    let params: Vec<u64> = vec![user_id; count];
    conn.exec_drop(
        format!("INSERT INTO statuses (user_id, text, created_at) VALUES {rows}"),
        params,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn deleting_ends_every_session_at_once_and_expires_the_cookie() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    let elsewhere = session_pair(app.new_browser().login(email, PASSWORD).await.headers())
        .expect("a second session");
    let copied = app.browser_with_cookie(&elsewhere);
    assert_eq!(copied.me().await.status(), 200);

    let deleted = app.delete_account(PASSWORD).await;
    assert_eq!(deleted.status(), 204);
    let cookie = session_cookie(deleted.headers()).expect("the cookie is expired");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");

    problem(copied.me().await, 401, "unauthenticated").await;
    problem(app.me().await, 401, "unauthenticated").await;
    // No session, no index: nothing of the user's is left in Redis but the
    // epoch that refuses logins still under way, and it expires.
    let tag = format!("{{user:{}}}", id_of(&user));
    let mut keys = app.redis_keys().await;
    keys.retain(|key| key.contains(&tag));
    assert_eq!(keys, [format!("{}{tag}:epoch", app.redis_prefix)]);
    let ttl_ms: i64 = app.redis().await.pttl(&keys[0]).await.unwrap();
    assert!(ttl_ms > 0, "{ttl_ms}");
}

/// Deletion tests that stop requests on MySQL locks: the app waits on them
/// longer than the test holds them.
const PATIENT: [(&str, &str); 1] = [("DEPENDENCY_TIMEOUT_MS", "20000")];

#[tokio::test]
async fn a_login_that_checked_the_password_before_the_deletion_begins_no_session() {
    let app = spawn_app_with(&PATIENT).await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    let held = app.hold_security_events().await;
    let late = app.new_browser();

    // The login reads the account and checks the password, then waits to
    // record its event while the whole deletion happens; only then is its
    // session written.
    let logging_in = late.login(email, PASSWORD);
    let deleting = async {
        app.until_waiting("INSERT INTO security_events", 1).await;
        let deleted = app.delete_account(PASSWORD).await;
        held.release().await;
        deleted
    };
    let (login, deleted) = tokio::join!(logging_in, deleting);

    assert_eq!(deleted.status(), 204);
    let cookie = session_cookie(login.headers()).expect("the cookie is expired");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    problem(login, 401, "invalid-credentials").await;
    problem(late.me().await, 401, "unauthenticated").await;
    assert!(app.session_keys().await.is_empty());
}

#[tokio::test]
async fn a_login_that_read_the_account_between_the_first_end_and_the_deletion_keeps_no_session() {
    let app = spawn_app_with(&PATIENT).await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    let held = app.hold_account_row(id_of(&user)).await;
    let late = app.new_browser();

    // The deletion ends every session, then waits to mark the account
    // deleted; a login reads the account, still there, checks the password
    // and waits to record its event; then both go on.
    let deleting = app.delete_account(PASSWORD);
    let logging_in = async {
        app.until_waiting("UPDATE users SET email", 1).await;
        let login = late.login(email, PASSWORD);
        let releasing = async {
            app.until_waiting("INSERT INTO security_events", 1).await;
            held.release().await;
        };
        tokio::join!(login, releasing).0
    };
    let (deleted, login) = tokio::join!(deleting, logging_in);

    assert_eq!(deleted.status(), 204);
    // Its session was written before the deletion's last end, which ended
    // it, or after, and refused.
    if login.status() != 200 {
        problem(login, 401, "invalid-credentials").await;
    }
    problem(late.me().await, 401, "unauthenticated").await;
    assert!(app.session_keys().await.is_empty());
}

#[tokio::test]
async fn the_email_is_free_at_once_and_the_old_credentials_fail() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    assert_eq!(app.delete_account(PASSWORD).await.status(), 204);

    let again = app.new_browser();
    problem(
        again.login(email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
    let check = json_of(again.check_email(email).await, 200).await;
    assert_eq!(check["available"], true);
    let new_account = json_of(again.register(email).await, 201).await;
    assert_ne!(new_account["id"], user["id"]);
    assert_eq!(json_of(again.me().await, 200).await["email"], email);
    // The tombstone no longer holds the address.
    let stored: Option<String> = app
        .db()
        .await
        .exec_first("SELECT email FROM users WHERE id = ?", (id_of(&user),))
        .await
        .unwrap();
    assert_ne!(stored.as_deref(), Some(email));
}

#[tokio::test]
async fn without_a_session_it_is_401() {
    let app = spawn_app().await;
    problem(app.delete_account(PASSWORD).await, 401, "unauthenticated").await;
}

#[tokio::test]
async fn a_wrong_password_is_403_and_counts_as_a_failed_login() {
    let app = spawn_app_with(&[("LOGIN_FAILURE_LIMIT", "5/900")]).await;
    let user = registered(&app).await;
    for _ in 0..5 {
        problem(
            app.delete_account("not the password").await,
            403,
            "wrong-password",
        )
        .await;
    }
    // Past the limit the pair is locked out, the right password included,
    // and logging in is locked out alike.
    problem(app.delete_account(PASSWORD).await, 429, "rate-limited").await;
    let email = user["email"].as_str().unwrap();
    problem(app.login(email, PASSWORD).await, 429, "rate-limited").await;
    let types = app.security_event_types().await;
    assert_eq!(
        types.iter().filter(|kind| *kind == "login-failed").count(),
        5
    );
    assert!(types.contains(&"locked-out".to_owned()));
    assert_eq!(json_of(app.me().await, 200).await["id"], user["id"]);
}

#[tokio::test]
async fn the_accounts_limit_counters_go_and_the_clients_stay() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1/32")]).await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    // Failures from another client: the deleting request's own success
    // would clear only its own pair.
    let failed = client()
        .post(app.url("/login"))
        .header("X-Forwarded-For", "203.0.113.7")
        .json(&json!({"email": email, "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 401);
    assert_eq!(app.resend_verification().await.status(), 202);
    let account_keys = |keys: &[String]| -> Vec<String> {
        keys.iter()
            .filter(|key| key.contains("{login:") || key.contains("{verify-resend:"))
            .cloned()
            .collect()
    };
    let counted = account_keys(&app.redis_keys().await);
    for kind in ["{login:", "{verify-resend:"] {
        assert!(counted.iter().any(|key| key.contains(kind)), "{counted:?}");
    }

    assert_eq!(app.delete_account(PASSWORD).await.status(), 204);
    let keys = app.redis_keys().await;
    assert!(account_keys(&keys).is_empty(), "{keys:?}");
    assert!(
        keys.iter().any(|key| key.contains("{login-ip:203.0.113.7")),
        "the client's own counter stays: {keys:?}"
    );
}

#[tokio::test]
async fn statuses_and_security_events_are_purged_in_the_background() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    for text in ["one", "two", "three"] {
        assert_eq!(app.add_status(text).await.status(), 201);
    }
    let mut conn = app.db().await;
    let (_, statuses, events) = rows_of(&mut conn, id_of(&user)).await;
    assert_eq!((statuses, events), (3, 2), "registered, verification-sent");

    assert_eq!(app.delete_account(PASSWORD).await.status(), 204);
    until_purged(&mut conn, id_of(&user)).await;
}

#[tokio::test]
async fn the_purge_resumes_after_a_restart() {
    let test_db = TestDatabase::create().await;
    let prefix = format!("status-api-test:{}:", random_hex(8));
    let settings = test_settings(&test_db, &prefix, &[]);
    let (address, first) = start(settings.clone()).await.expect("the app starts");
    let browser = client();
    let user: Value = json_of(
        browser
            .post(format!("http://{address}/register"))
            .json(&json!({"email": unique_email(), "password": PASSWORD, "name": "Many"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let user_id = id_of(&user);
    let mut conn = test_db.conn().await;
    insert_statuses(&mut conn, user_id, 2500).await;
    first.stop(true).await;

    // An instance deletes the account, claims its purge, gets through one
    // batch, and stops.
    let db = database(&test_db);
    assert!(users::mark_deleted(&db, user_id).await.unwrap());
    assert_eq!(account_purge::claim_next(&db).await.unwrap(), Some(user_id));
    assert_eq!(
        account_purge::claim_next(&db).await.unwrap(),
        None,
        "no other instance takes a leased account"
    );
    assert_eq!(
        account_purge::delete_batch(&db, user_id, 100)
            .await
            .unwrap(),
        100
    );
    // Events: registered, verification-sent.
    assert_eq!(rows_of(&mut conn, user_id).await, (1, 2400, 2));
    // As when the lease (a minute) has run out.
    conn.exec_drop(
        "UPDATE users SET purge_lease_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?",
        (user_id,),
    )
    .await
    .unwrap();

    let (_, second) = start(settings).await.expect("the app starts again");
    until_purged(&mut conn, user_id).await;
    second.stop(true).await;
    delete_keys(&prefix).await;
}

#[tokio::test]
async fn a_status_posted_after_the_deletion_is_purged_then_refused() {
    let app = spawn_app().await;
    let user_id = id_of(&registered(&app).await);
    let db = database(&app.database);
    let text = StatusText::parse("too late").unwrap();
    // Between the deletion and the purge: stored, and then purged with the
    // account by the app's background purge (or refused, had it run already).
    assert!(users::mark_deleted(&db, user_id).await.unwrap());
    statuses::insert(&db, user_id, &text).await.unwrap();
    until_purged(&mut app.db().await, user_id).await;
    // After the purge: refused, not an error.
    assert!(
        statuses::insert(&db, user_id, &text)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn statuses_posted_while_the_account_is_deleted_never_fail_or_stay() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    let other = app.new_browser();
    assert_eq!(other.login(email, PASSWORD).await.status(), 200);

    let posting = async {
        let mut answers = Vec::new();
        for n in 0..40 {
            answers.push(other.add_status(&format!("status {n}")).await.status());
        }
        answers
    };
    let (answers, deleted) = tokio::join!(posting, app.delete_account(PASSWORD));
    assert_eq!(deleted.status(), 204);
    for status in &answers {
        assert!(*status == 201 || *status == 401, "{status} in {answers:?}");
    }
    until_purged(&mut app.db().await, id_of(&user)).await;
}

#[tokio::test]
async fn sessions_ended_by_deletion_are_counted() {
    const DELETED: &str = r#"status_api_sessions_ended_total{how="account-deleted"}"#;
    let app = spawn_app_with_metrics(&[]).await;
    let user = registered(&app).await;
    let email = user["email"].as_str().unwrap();
    assert_eq!(app.new_browser().login(email, PASSWORD).await.status(), 200);
    // The counter is the process's, shared with the deletion tests running
    // beside this one: only its growth is this test's, and at least ours.
    let before = app.metric(DELETED).await.unwrap_or(0);
    assert_eq!(app.delete_account(PASSWORD).await.status(), 204);
    let grown = app.metric(DELETED).await.unwrap_or(0) - before;
    assert!(grown >= 2, "{grown}");
}
