//! POST /me/email: an email change asked for with the account's password,
//! confirmed through the link mailed to the new address (read here from the
//! mail, as its owner would read it), with a notice to the current address;
//! the password checked as a login checks it; links voided by a newer
//! request and by a password change; no token in clear in MySQL.

use std::time::{Duration, Instant};

use mysql_async::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, PASSWORD, Received, SmtpSink, TestApp, json_of, problem, spawn_app, spawn_app_with,
    unique_email,
};

/// A name and a user agent with every character HTML must escape.
const NAME: &str = "<b>Ann</b> & \"Co\"";
const AGENT: &str = "Mozilla/5.0 <Tester> & 'friends'";
const CONFIRMATION: &str = "Confirm your new email address for status-api";
const NOTICE: &str = "A new email address was requested for your status-api account";
/// How long a test waits for a message (a first try that failed is
/// retried after 10 s).
const MAIL_WAIT: Duration = Duration::from_secs(30);

/// An app that mails through an SMTP server of the test's own.
async fn app_with_sink() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let app = spawn_app_with(&[("MAIL_URL", &sink.url())]).await;
    (app, sink)
}

/// Registers an account on the app's own browser; its user.
async fn registered(app: &TestApp) -> Value {
    json_of(app.register(&unique_email()).await, 201).await
}

fn email_of(user: &Value) -> &str {
    user["email"].as_str().expect("an email")
}

/// Waits for the message with `subject` to `to`, which must be the only one.
async fn mail_to(sink: &SmtpSink, to: &str, subject: &str) -> Received {
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let mut matching: Vec<Received> = sink
            .received()
            .into_iter()
            .filter(|mail| mail.rcpt_tos == [to] && mail.subject == subject)
            .collect();
        if let Some(mail) = matching.pop() {
            assert!(matching.is_empty(), "one {subject:?} to {to}");
            return mail;
        }
        assert!(
            Instant::now() < deadline,
            "no {subject:?} to {to} within {MAIL_WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The token of the confirmation link in `mail`, which both parts carry
/// as `PUBLIC_URL/verify-email#token=…`.
fn token_in(app: &TestApp, mail: &Received) -> String {
    let prefix = format!("{}/verify-email#token=", app.settings.mail.public_url);
    let text = mail.text.as_deref().expect("a plain text part");
    let at = text.find(&prefix).expect("the link") + prefix.len();
    let token: String = text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{text}");
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(
        html.contains(&format!("<a href=\"{prefix}{token}\">")),
        "{html}"
    );
    token
}

/// `browser` asks to move its account to `new_email` (`202`); the token of
/// the link mailed there.
async fn requested(app: &TestApp, sink: &SmtpSink, browser: &Browser, new_email: &str) -> String {
    let response = browser.change_email(new_email, PASSWORD).await;
    assert_eq!(response.status(), 202);
    token_in(app, &mail_to(sink, new_email, CONFIRMATION).await)
}

/// The outbox's rows of the two kinds an email change mails.
async fn change_mails(app: &TestApp) -> Vec<String> {
    app.outbox()
        .await
        .into_iter()
        .map(|row| row.kind)
        .filter(|kind| kind == "confirm-email-change" || kind == "email-change-requested")
        .collect()
}

#[tokio::test]
async fn a_change_is_made_by_the_link_mailed_to_the_new_address_and_noticed_at_the_old() {
    let (app, sink) = app_with_sink().await;
    let browser = app.new_browser_named(AGENT);
    let old_email = unique_email();
    let user = json_of(browser.register_with(&old_email, PASSWORD, NAME).await, 201).await;
    let laptop = app.new_browser();
    assert_eq!(laptop.login(&old_email, PASSWORD).await.status(), 200);
    let new_email = unique_email();

    // Typed in another case: the link goes to the normalised address.
    let response = browser
        .change_email(&new_email.to_uppercase(), PASSWORD)
        .await;
    assert_eq!(response.status(), 202);
    let confirmation = mail_to(&sink, &new_email, CONFIRMATION).await;
    let notice = mail_to(&sink, &old_email, NOTICE).await;
    let token = token_in(&app, &confirmation);
    for mail in [&confirmation, &notice] {
        let text = mail.text.as_deref().expect("a plain text part");
        let html = mail.html.as_deref().expect("an HTML part");
        assert!(text.contains(NAME) && text.contains(AGENT), "{text}");
        assert!(
            html.contains("&lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot;"),
            "{html}"
        );
        assert!(
            html.contains("Mozilla/5.0 &lt;Tester&gt; &amp; &#39;friends&#39;"),
            "{html}"
        );
        assert!(!html.contains("<b>Ann") && !html.contains("<Tester>"));
        for part in [text, html] {
            assert!(part.contains("127.0.0.1"), "the client's IP: {part}");
            assert!(part.contains("If "), "what to do if it was not you: {part}");
        }
    }
    for part in [notice.text.unwrap(), notice.html.unwrap()] {
        assert!(!part.contains("http"), "a notice carries no link: {part}");
        assert!(part.contains("If this was not you"), "{part}");
    }

    // Nothing changes until the link is used.
    assert_eq!(json_of(laptop.me().await, 200).await, user);
    let elsewhere = app.new_browser();
    problem(
        elsewhere.login(&new_email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;

    // The link opened in a browser with no session at all.
    let changed = json_of(app.new_browser().verify_email(&token).await, 200).await;
    let mut expected = user.clone();
    expected["email"] = json!(new_email);
    expected["email_verified"] = json!(true);
    assert_eq!(changed, expected);
    // Every session shows it at once, without logging in again.
    assert_eq!(json_of(laptop.me().await, 200).await, expected);
    assert_eq!(json_of(browser.me().await, 200).await, expected);
    problem(
        elsewhere.login(&old_email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
    let logged_in = json_of(elsewhere.login(&new_email, PASSWORD).await, 200).await;
    assert_eq!(logged_in, expected);

    // The request and the change are both on record, in that order.
    let types = browser.security_event_types().await;
    let position = |kind: &str| types.iter().position(|found| found == kind);
    let (Some(change), Some(request)) = (position("email-changed"), position("verification-sent"))
    else {
        panic!("both recorded: {types:?}");
    };
    assert!(change < request, "newest first: {types:?}");
    let mut kinds = change_mails(&app).await;
    kinds.sort_unstable();
    assert_eq!(kinds, ["confirm-email-change", "email-change-requested"]);
}

#[tokio::test]
async fn a_wrong_password_is_403_even_for_a_taken_address_and_counts_as_a_failed_login() {
    let app = spawn_app().await;
    let user = registered(&app).await;
    let taken = app.new_browser().signed_up().await;

    problem(
        app.change_email(&taken, "not the password").await,
        403,
        "wrong-password",
    )
    .await;
    let types = app.security_event_types().await;
    assert_eq!(types.first().map(String::as_str), Some("login-failed"));
    // The right password, and only then, learns that the address is taken.
    problem(app.change_email(&taken, PASSWORD).await, 409, "email-taken").await;

    // Neither mailed anything nor issued a token.
    assert_eq!(change_mails(&app).await, Vec::<String>::new());
    let tokens: Option<u64> = app
        .db()
        .await
        .query_first("SELECT COUNT(*) FROM account_tokens WHERE kind = 'change-email'")
        .await
        .unwrap();
    assert_eq!(tokens, Some(0));
    assert_eq!(json_of(app.me().await, 200).await, user);
}

#[tokio::test]
async fn five_wrong_passwords_lock_out_the_change_and_the_login_alike() {
    let app = spawn_app().await;
    let email = app.signed_up().await;
    let wanted = unique_email();
    for _ in 0..5 {
        problem(
            app.change_email(&wanted, "not the password").await,
            403,
            "wrong-password",
        )
        .await;
    }
    let locked = app.change_email(&wanted, PASSWORD).await;
    assert!(locked.headers().contains_key("retry-after"));
    problem(locked, 429, "rate-limited").await;
    problem(
        app.new_browser().login(&email, PASSWORD).await,
        429,
        "rate-limited",
    )
    .await;
    // The fields are judged before the lockout.
    problem(
        app.change_email("not an address", PASSWORD).await,
        422,
        "validation",
    )
    .await;
    let types = app.security_event_types().await;
    assert!(types.contains(&"locked-out".to_owned()), "{types:?}");
}

#[tokio::test]
async fn links_to_new_addresses_count_with_the_accounts_resends() {
    let app = spawn_app_with(&[("VERIFY_RESEND_LIMIT", "2/3600")]).await;
    registered(&app).await;
    assert_eq!(app.resend_verification().await.status(), 202);
    assert_eq!(
        app.change_email(&unique_email(), PASSWORD).await.status(),
        202
    );
    // A wrong password is judged first and costs nothing from the count.
    problem(
        app.change_email(&unique_email(), "not the password").await,
        403,
        "wrong-password",
    )
    .await;
    let limited = app.change_email(&unique_email(), PASSWORD).await;
    assert!(limited.headers().contains_key("retry-after"));
    problem(limited, 429, "rate-limited").await;
}

#[tokio::test]
async fn the_right_password_clears_the_failures_as_a_login_does() {
    let app = spawn_app().await;
    registered(&app).await;
    // Four failures each time: past five, the pair would be locked out.
    for _ in 0..2 {
        let wanted = unique_email();
        for _ in 0..4 {
            problem(
                app.change_email(&wanted, "not the password").await,
                403,
                "wrong-password",
            )
            .await;
        }
        assert_eq!(app.change_email(&wanted, PASSWORD).await.status(), 202);
    }
}

#[tokio::test]
async fn an_address_taken_before_the_link_is_used_is_409_there() {
    let (app, sink) = app_with_sink().await;
    let user = registered(&app).await;
    let wanted = unique_email();
    let token = requested(&app, &sink, &app, &wanted).await;
    assert_eq!(app.new_browser().register(&wanted).await.status(), 201);

    problem(
        app.new_browser().verify_email(&token).await,
        409,
        "email-taken",
    )
    .await;
    assert_eq!(json_of(app.me().await, 200).await, user);
}

#[tokio::test]
async fn a_newer_request_voids_the_older_link() {
    let (app, sink) = app_with_sink().await;
    registered(&app).await;
    let (first, second) = (unique_email(), unique_email());
    let older = requested(&app, &sink, &app, &first).await;
    let newer = requested(&app, &sink, &app, &second).await;

    problem(app.verify_email(&older).await, 400, "invalid-token").await;
    let changed = json_of(app.verify_email(&newer).await, 200).await;
    assert_eq!(changed["email"], second);
}

#[tokio::test]
async fn a_password_change_voids_an_outstanding_change_link() {
    let (app, sink) = app_with_sink().await;
    let user = registered(&app).await;
    let token = requested(&app, &sink, &app, &unique_email()).await;
    let changed = app
        .change_password(PASSWORD, "a brand new passphrase")
        .await;
    assert_eq!(changed.status(), 204);

    problem(app.verify_email(&token).await, 400, "invalid-token").await;
    assert_eq!(json_of(app.me().await, 200).await["email"], email_of(&user));
}

/// Every value of every row of every table of the app's database, as bytes.
async fn everything_stored(conn: &mut mysql_async::Conn) -> Vec<Vec<u8>> {
    let tables: Vec<String> = conn.query("SHOW TABLES").await.unwrap();
    let mut values = Vec::new();
    for table in tables {
        let rows: Vec<mysql_async::Row> = conn
            .query(format!("SELECT * FROM `{table}`"))
            .await
            .unwrap();
        for row in rows {
            for value in row.unwrap() {
                values.push(match value {
                    mysql_async::Value::Bytes(bytes) => bytes,
                    other => other.as_sql(true).into_bytes(),
                });
            }
        }
    }
    values
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn no_token_is_stored_in_clear_while_its_mail_waits_or_after() {
    let (app, mut sink) = app_with_sink().await;
    let user = registered(&app).await;
    let wanted = unique_email();
    // The mail server is down: the link waits in the outbox.
    sink.stop();
    assert_eq!(app.change_email(&wanted, PASSWORD).await.status(), 202);
    let mut conn = app.db().await;
    let pending: Option<u64> = conn
        .query_first(
            "SELECT COUNT(*) FROM mail_outbox \
             WHERE kind = 'confirm-email-change' AND sealed_link IS NOT NULL",
        )
        .await
        .unwrap();
    assert_eq!(pending, Some(1), "the link is still in the outbox");
    let while_waiting = everything_stored(&mut conn).await;

    sink.restart();
    let token = token_in(&app, &mail_to(&sink, &wanted, CONFIRMATION).await);
    let raw: Vec<u8> = (0..token.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&token[at..at + 2], 16).unwrap())
        .collect();
    let after = everything_stored(&mut conn).await;
    for value in while_waiting.iter().chain(&after) {
        assert!(
            !contains(&value.to_ascii_lowercase(), token.as_bytes()),
            "the token in clear: {}",
            String::from_utf8_lossy(value)
        );
        assert!(!contains(value, &raw), "the token's bytes are stored");
    }
    // Its SHA-256 is what finds it.
    let changed = json_of(app.verify_email(&token).await, 200).await;
    assert_eq!(changed["id"], user["id"]);
}

#[tokio::test]
async fn the_fields_are_judged_after_the_session_and_before_the_password() {
    let app = spawn_app().await;
    let wanted = unique_email();
    // Without a session, 401 comes before the fields.
    let stranger = app.new_browser();
    problem(stranger.change_email("", "").await, 401, "unauthenticated").await;
    problem(
        stranger.change_email(&wanted, PASSWORD).await,
        401,
        "unauthenticated",
    )
    .await;

    let user = registered(&app).await;
    let current = email_of(&user);
    let cases = [
        (json!({}), vec!["new_email", "password"]),
        (
            json!({"new_email": 5, "password": PASSWORD}),
            vec!["new_email"],
        ),
        (
            json!({"new_email": wanted, "password": null}),
            vec!["password"],
        ),
        (
            json!({"new_email": wanted, "password": PASSWORD, "email": wanted}),
            vec!["email"],
        ),
        (
            json!({"new_email": "no at sign", "password": PASSWORD}),
            vec!["new_email"],
        ),
        (
            json!({"new_email": "   ", "password": PASSWORD}),
            vec!["new_email"],
        ),
        (
            json!({"new_email": format!("{}@example.com", "a".repeat(243)), "password": PASSWORD}),
            vec!["new_email"],
        ),
        // The account's own address, however it is spelled.
        (
            json!({"new_email": current, "password": PASSWORD}),
            vec!["new_email"],
        ),
        (
            json!({"new_email": format!(" {} ", current.to_uppercase()), "password": "wrong"}),
            vec!["new_email"],
        ),
        // An address that is the password sent with it.
        (
            json!({"new_email": "Pass.Word@Example.com", "password": "pass.word@example.com"}),
            vec!["new_email"],
        ),
    ];
    for (body, fields) in cases {
        let answer = problem(app.post_json("/me/email", &body).await, 422, "validation").await;
        let mut named: Vec<&str> = answer["errors"]
            .as_object()
            .expect("errors")
            .keys()
            .map(String::as_str)
            .collect();
        named.sort_unstable();
        assert_eq!(named, fields, "{body}");
    }
    // None of them was a password check.
    let types = app.security_event_types().await;
    assert!(!types.contains(&"login-failed".to_owned()), "{types:?}");
    assert_eq!(change_mails(&app).await, Vec::<String>::new());
}

/// Requests stopped on MySQL locks: the app waits on them longer than the
/// test holds them.
const PATIENT: [(&str, &str); 1] = [("DEPENDENCY_TIMEOUT_MS", "20000")];

#[tokio::test]
async fn a_password_changed_while_the_old_one_was_checked_issues_no_link() {
    let app = spawn_app_with(&PATIENT).await;
    let user = registered(&app).await;
    let user_id = user["id"].as_u64().unwrap();
    let other = json_of(
        app.new_browser()
            .register_with(&unique_email(), "another passphrase", "Other")
            .await,
        201,
    )
    .await;
    let mut conn = app.db().await;
    let new_hash: Option<String> = conn
        .exec_first(
            "SELECT password_hash FROM users WHERE id = ?",
            (other["id"].as_u64().unwrap(),),
        )
        .await
        .unwrap();

    // The request checks the current password, then waits on the
    // account's row, which a password change commits meanwhile.
    conn.query_drop("BEGIN").await.unwrap();
    conn.exec_drop("SELECT id FROM users WHERE id = ? FOR UPDATE", (user_id,))
        .await
        .unwrap();
    let wanted = unique_email();
    let requesting = app.change_email(&wanted, PASSWORD);
    let changing = async {
        app.until_waiting("INSERT INTO account_tokens", 1).await;
        conn.exec_drop(
            "UPDATE users SET password_hash = ? WHERE id = ?",
            (new_hash, user_id),
        )
        .await
        .unwrap();
        conn.query_drop("COMMIT").await.unwrap();
    };
    let (response, ()) = tokio::join!(requesting, changing);

    problem(response, 401, "unauthenticated").await;
    let tokens: Option<u64> = app
        .db()
        .await
        .query_first("SELECT COUNT(*) FROM account_tokens WHERE kind = 'change-email'")
        .await
        .unwrap();
    assert_eq!(tokens, Some(0));
    assert_eq!(change_mails(&app).await, Vec::<String>::new());
}
