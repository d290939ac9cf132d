//! Email verification: the link registration mails and `POST
//! /email/verify/resend` mails again, read from the mail as an SMTP server
//! of the test's own received it and used through `POST /email/verify`:
//! single use, voided by a newer link or a password change, expiring,
//! stored hashed; the resend limit; email changes; and
//! REQUIRE_VERIFIED_EMAIL on /addStatus.
//!
//! Links to confirm an email change are not mailed yet (`POST /me/email`),
//! so change-email tokens are issued here as the service will issue them
//! (`db::tokens::issue_in`).

use std::time::{Duration, Instant};

use mysql_async::TxOpts;
use mysql_async::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use status_api::db::tokens;
use status_api::domain::{Email, Token, TokenPurpose};

use crate::helpers::{
    PASSWORD, Received, SilentServer, SmtpSink, TestApp, json_of, problem, spawn_app,
    spawn_app_with, unique_email,
};

/// The subject of a verification mail.
const SUBJECT: &str = "Confirm your email address for status-api";

/// How long a test waits for a message to arrive.
const MAIL_WAIT: Duration = Duration::from_secs(15);

/// The app with some settings changed, mailing to an SMTP server of the
/// test's own.
async fn mailing_app(overrides: &[(&str, &str)]) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let mut settings = vec![("MAIL_URL", url.as_str())];
    settings.extend_from_slice(overrides);
    (spawn_app_with(&settings).await, sink)
}

/// The verification mails `to` received, oldest first, once there are at
/// least `count` (failing past `MAIL_WAIT`).
async fn verification_mails(sink: &SmtpSink, to: &str, count: usize) -> Vec<Received> {
    let deadline = Instant::now() + MAIL_WAIT;
    loop {
        let mails: Vec<Received> = sink
            .received()
            .into_iter()
            .filter(|mail| mail.subject == SUBJECT && mail.rcpt_tos == [to])
            .collect();
        if mails.len() >= count {
            return mails;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {count} verification mails to {to}",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The token of a verification mail's link, `<public_url>/verify-email#token=…`,
/// which the plain text has on a line of its own and the HTML as a link.
fn token_in(mail: &Received, public_url: &str) -> String {
    let page = format!("{public_url}/verify-email#token=");
    let text = mail.text.as_deref().expect("a plain text part");
    let link = text
        .lines()
        .find(|line| line.starts_with(&page))
        .unwrap_or_else(|| panic!("no link to {page} in {text}"));
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
    link[page.len()..].to_owned()
}

/// The token of the `nth` (from 1) verification link mailed to `to`.
async fn mailed_token(app: &TestApp, sink: &SmtpSink, to: &str, nth: usize) -> String {
    let mails = verification_mails(sink, to, nth).await;
    token_in(&mails[nth - 1], &app.settings.mail.public_url)
}

/// Registers an account on the app's own browser: its user, and the token
/// of the link mailed to it.
async fn registered(app: &TestApp, sink: &SmtpSink) -> (Value, String) {
    let user = account(app).await;
    let token = mailed_token(app, sink, email_of(&user), 1).await;
    (user, token)
}

/// Asks for a new link on the app's own browser (`202`); its token, that
/// of the `nth` link mailed to the account.
async fn resent(app: &TestApp, sink: &SmtpSink, user: &Value, nth: usize) -> String {
    assert_eq!(app.resend_verification().await.status(), 202);
    mailed_token(app, sink, email_of(user), nth).await
}

/// Registers an account on the app's own browser, whatever it is mailed;
/// its user.
async fn account(app: &TestApp) -> Value {
    json_of(app.register(&unique_email()).await, 201).await
}

/// Issues a change-email token as the service will when it mails a link
/// to confirm a new address; the token as the link will carry it.
async fn change_token(app: &TestApp, user_id: u64, new_email: &str) -> String {
    let email = Email::parse(new_email).expect("a valid address");
    let token = Token::generate().expect("randomness");
    let mut conn = app.db().await;
    let mut transaction = conn.start_transaction(TxOpts::default()).await.unwrap();
    tokens::issue_in(
        &mut transaction,
        user_id,
        &token,
        &TokenPurpose::ChangeEmail(email),
        &app.settings.token_lifetimes,
    )
    .await
    .expect("the token is stored");
    transaction.commit().await.unwrap();
    token.to_string()
}

fn id_of(user: &Value) -> u64 {
    user["id"].as_u64().expect("a user id")
}

fn email_of(user: &Value) -> &str {
    user["email"].as_str().expect("an email")
}

/// How many `verification-sent` events the app's own browser's account has.
async fn verifications_sent(app: &TestApp) -> usize {
    let types = app.security_event_types().await;
    types
        .iter()
        .filter(|kind| *kind == "verification-sent")
        .count()
}

async fn token_rows(app: &TestApp, user_id: u64) -> Option<u64> {
    app.db()
        .await
        .exec_first(
            "SELECT COUNT(*) FROM account_tokens WHERE user_id = ?",
            (user_id,),
        )
        .await
        .unwrap()
}

/// A name and a user agent with characters HTML must escape.
const NAME: &str = "<b>Eve</b> & \"Co\"";
const AGENT: &str = "Mozilla/5.0 <Tester>";

#[tokio::test]
async fn registration_mails_a_link_that_verifies_the_email_on_every_session() {
    let public_url = "https://app.example.com";
    let (app, sink) = mailing_app(&[("PUBLIC_URL", public_url)]).await;
    let browser = app.new_browser_named(AGENT);
    let email = unique_email();
    let user = json_of(browser.register_with(&email, PASSWORD, NAME).await, 201).await;
    assert_eq!(user["email_verified"], false);
    assert_eq!(
        browser.security_event_types().await,
        ["verification-sent", "registered"]
    );

    let mails = verification_mails(&sink, &email, 1).await;
    let mail = &mails[0];
    assert_eq!(mail.content_type, "multipart/alternative");
    let text = mail.text.as_deref().expect("a plain text part");
    let html = mail.html.as_deref().expect("an HTML part");
    assert!(text.starts_with(&format!("Hello {NAME},")), "{text}");
    assert!(text.contains(AGENT), "{text}");
    assert!(
        html.contains("Hello &lt;b&gt;Eve&lt;/b&gt; &amp; &quot;Co&quot;,"),
        "{html}"
    );
    assert!(html.contains("Mozilla/5.0 &lt;Tester&gt;"), "{html}");
    assert!(
        !html.contains("<b>Eve") && !html.contains("<Tester>"),
        "{html}"
    );
    for part in [text, html] {
        assert!(part.contains("127.0.0.1"), "the client's IP: {part}");
    }
    let token = token_in(mail, public_url);
    assert!(Token::parse(&token).is_some(), "{token}");

    // Another browser, logged in before the link is used.
    let laptop = app.new_browser();
    let logged_in = json_of(laptop.login(&email, PASSWORD).await, 200).await;
    assert_eq!(logged_in["email_verified"], false);
    // The link opened in a browser with no session at all.
    let verified = json_of(app.new_browser().verify_email(&token).await, 200).await;
    let mut expected = user.clone();
    expected["email_verified"] = json!(true);
    assert_eq!(verified, expected);
    // Both sessions see it on their next request, without logging in again.
    assert_eq!(json_of(browser.me().await, 200).await, expected);
    assert_eq!(json_of(laptop.me().await, 200).await, expected);
    // And so does a new login, from MySQL.
    let again = app.new_browser().login(&email, PASSWORD).await;
    assert_eq!(json_of(again, 200).await, expected);
    let types = browser.security_event_types().await;
    assert!(types.contains(&"email-verified".to_owned()), "{types:?}");
}

#[tokio::test]
async fn registration_waits_on_no_mail_server() {
    let silent = SilentServer::start().await;
    let url = format!("smtp://127.0.0.1:{}", silent.port);
    let app = spawn_app_with(&[("MAIL_URL", &url), ("MAIL_TIMEOUT_SECS", "10")]).await;
    let email = unique_email();
    let began = Instant::now();
    assert_eq!(app.register(&email).await.status(), 201);
    let answered_in = began.elapsed();
    assert!(
        answered_in < Duration::from_secs(5),
        "the registration waited on the mail server: {answered_in:?}"
    );
    // The link waits in the outbox, committed with the account.
    let rows = app.outbox().await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].kind, "verify-email");
    assert_eq!(rows[0].state, "pending");
    assert_eq!(rows[0].recipient.as_deref(), Some(email.as_str()));
}

#[tokio::test]
async fn a_resent_link_voids_the_first() {
    let (app, sink) = mailing_app(&[]).await;
    let (user, first) = registered(&app, &sink).await;
    let second = resent(&app, &sink, &user, 2).await;
    assert_ne!(first, second);

    problem(app.verify_email(&first).await, 400, "invalid-token").await;
    let verified = json_of(app.verify_email(&second).await, 200).await;
    assert_eq!(verified["email_verified"], true);
    assert_eq!(
        app.security_event_types().await,
        [
            "email-verified",
            "verification-sent",
            "verification-sent",
            "registered"
        ]
    );
}

#[tokio::test]
async fn resending_is_limited_per_account_whatever_the_client() {
    let (app, sink) = mailing_app(&[("VERIFY_RESEND_LIMIT", "2/3600")]).await;
    let (user, _) = registered(&app, &sink).await;
    for _ in 0..2 {
        assert_eq!(app.resend_verification().await.status(), 202);
    }
    let refused = app.resend_verification().await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry_after), "{retry_after}");
    problem(refused, 429, "rate-limited").await;
    // Another session of the account is the same account.
    let laptop = app.new_browser();
    assert_eq!(laptop.login(email_of(&user), PASSWORD).await.status(), 200);
    problem(laptop.resend_verification().await, 429, "rate-limited").await;
    // The refused ones mailed nothing: the registration's link and two more.
    assert_eq!(verifications_sent(&app).await, 3);
    verification_mails(&sink, email_of(&user), 3).await;

    // Another account, from the same client, has its own count.
    let neighbour = app.new_browser();
    neighbour.signed_up().await;
    assert_eq!(neighbour.resend_verification().await.status(), 202);
}

#[tokio::test]
async fn resending_needs_a_live_session() {
    let app = spawn_app().await;
    problem(app.resend_verification().await, 401, "unauthenticated").await;
    app.signed_up().await;
    assert_eq!(app.logout().await.status(), 204);
    problem(app.resend_verification().await, 401, "unauthenticated").await;
    assert_eq!(app.outbox().await.len(), 1, "the registration's link only");
}

#[tokio::test]
async fn another_site_cannot_have_a_link_mailed() {
    let app = spawn_app().await;
    app.signed_up().await;
    for session in [true, false] {
        let client = if session {
            app.client.clone()
        } else {
            app.new_browser().client
        };
        let response = client
            .post(app.url("/email/verify/resend"))
            .header("origin", "http://evil.example")
            .send()
            .await
            .unwrap();
        // Before the 401 of a request without a session, too.
        problem(response, 403, "forbidden-origin").await;
    }
    assert_eq!(verifications_sent(&app).await, 1, "the registration's");
}

#[tokio::test]
async fn a_verified_account_is_answered_202_and_sent_nothing() {
    let (app, sink) = mailing_app(&[]).await;
    let (user, token) = registered(&app, &sink).await;
    assert_eq!(app.verify_email(&token).await.status(), 200);

    assert_eq!(app.resend_verification().await.status(), 202);
    assert_eq!(app.outbox().await.len(), 1, "the registration's link only");
    assert_eq!(token_rows(&app, id_of(&user)).await, Some(1));
    assert_eq!(
        app.security_event_types().await,
        ["email-verified", "verification-sent", "registered"]
    );
}

#[tokio::test]
async fn no_table_holds_a_mailed_token_in_clear() {
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = spawn_app_with(&[("MAIL_URL", &sink.url()), ("MAIL_RETRY_MAX_SECS", "1")]).await;
    let email = app.signed_up().await;
    assert_eq!(app.resend_verification().await.status(), 202);
    // Every column of both tables while the two links wait to be sent.
    let mut conn = app.db().await;
    let mut stored: Vec<mysql_async::Value> = Vec::new();
    for table in ["mail_outbox", "account_tokens"] {
        let rows: Vec<mysql_async::Row> =
            conn.query(format!("SELECT * FROM {table}")).await.unwrap();
        assert_eq!(rows.len(), 2, "{table}");
        stored.extend(rows.into_iter().flat_map(mysql_async::Row::unwrap));
    }
    let outbox = app.outbox().await;
    assert!(
        outbox
            .iter()
            .all(|row| row.state == "pending" && row.sealed_link.is_some()),
        "{outbox:#?}"
    );

    sink.restart();
    let tokens = [
        mailed_token(&app, &sink, &email, 1).await,
        mailed_token(&app, &sink, &email, 2).await,
    ];
    let mut hashes_stored = 0;
    for token in &tokens {
        let raw = hex_bytes(token);
        let hash = Sha256::digest(&raw).to_vec();
        for value in &stored {
            let text = value.as_sql(true).to_lowercase();
            assert!(!text.contains(token.as_str()), "{text}");
            if let mysql_async::Value::Bytes(bytes) = value {
                assert!(!contains(bytes, &raw), "a token's bytes are stored");
                hashes_stored += usize::from(*bytes == hash);
            }
        }
    }
    assert_eq!(hashes_stored, 2, "each token's SHA-256 is its key");
}

#[tokio::test]
async fn with_verification_required_the_mailed_link_unlocks_posting() {
    let (app, sink) = mailing_app(&[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let (_, token) = registered(&app, &sink).await;
    problem(app.add_status("hello").await, 403, "email-unverified").await;
    // 422 before 403.
    problem(app.add_status("").await, 422, "validation").await;

    assert_eq!(app.new_browser().verify_email(&token).await.status(), 200);
    // The same session, not logged in again.
    assert_eq!(app.add_status("hello").await.status(), 201);
}

#[tokio::test]
async fn a_token_works_once() {
    let (app, sink) = mailing_app(&[]).await;
    let (_, token) = registered(&app, &sink).await;
    assert_eq!(app.verify_email(&token).await.status(), 200);
    problem(app.verify_email(&token).await, 400, "invalid-token").await;
    let types = app.security_event_types().await;
    let verified = types.iter().filter(|kind| *kind == "email-verified");
    assert_eq!(verified.count(), 1, "{types:?}");
}

#[tokio::test]
async fn of_ten_uses_at_once_exactly_one_wins() {
    let (app, sink) = mailing_app(&[]).await;
    // A few rounds, each with an account of its own: a race that only
    // sometimes lets two through is caught.
    for _ in 0..3 {
        let email = app.new_browser().signed_up().await;
        let token = mailed_token(&app, &sink, &email, 1).await;
        let statuses = app
            .statuses_at_once(10, |browser| {
                let token = token.clone();
                async move { browser.verify_email(&token).await }
            })
            .await;
        assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    }
}

#[tokio::test]
async fn a_token_expires_after_verify_token_secs() {
    let (app, sink) = mailing_app(&[("VERIFY_TOKEN_SECS", "3")]).await;
    let (user, token) = registered(&app, &sink).await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    problem(app.verify_email(&token).await, 400, "invalid-token").await;

    let fresh = resent(&app, &sink, &user, 2).await;
    // Issuing deleted the expired row: an account keeps only what was
    // issued within a lifetime.
    assert_eq!(token_rows(&app, id_of(&user)).await, Some(1));
    assert_eq!(app.verify_email(&fresh).await.status(), 200);
}

#[tokio::test]
async fn a_newer_token_voids_the_older_ones_of_its_kind_only() {
    let (app, sink) = mailing_app(&[]).await;
    let (user, older) = registered(&app, &sink).await;
    let change = change_token(&app, id_of(&user), &unique_email()).await;
    let newer = resent(&app, &sink, &user, 2).await;

    problem(app.verify_email(&older).await, 400, "invalid-token").await;
    assert_eq!(app.verify_email(&newer).await.status(), 200);
    // Another kind's token was left alone.
    assert_eq!(app.verify_email(&change).await.status(), 200);
}

#[tokio::test]
async fn a_password_change_voids_every_outstanding_token() {
    let (app, sink) = mailing_app(&[]).await;
    let (user, verify) = registered(&app, &sink).await;
    let change = change_token(&app, id_of(&user), &unique_email()).await;

    let changed = app
        .change_password(PASSWORD, "a brand new passphrase")
        .await;
    assert_eq!(changed.status(), 204);
    for token in [&verify, &change] {
        problem(app.verify_email(token).await, 400, "invalid-token").await;
    }
    assert_eq!(json_of(app.me().await, 200).await["email_verified"], false);
}

#[tokio::test]
async fn a_change_email_token_moves_the_account_to_its_address() {
    let (app, sink) = mailing_app(&[]).await;
    let (user, outstanding) = registered(&app, &sink).await;
    let old_email = email_of(&user).to_owned();
    let laptop = app.new_browser();
    assert_eq!(laptop.login(&old_email, PASSWORD).await.status(), 200);
    let typed = format!("Moved-{}", unique_email().to_uppercase());
    let token = change_token(&app, id_of(&user), &typed).await;

    let changed = json_of(app.new_browser().verify_email(&token).await, 200).await;
    let new_email = typed.to_lowercase();
    assert_eq!(changed["email"], new_email, "stored normalised");
    assert_eq!(changed["email_verified"], true);
    assert_eq!(changed["id"], user["id"]);
    assert_eq!(json_of(laptop.me().await, 200).await, changed);

    let elsewhere = app.new_browser();
    assert_eq!(elsewhere.login(&typed, PASSWORD).await.status(), 200);
    problem(
        elsewhere.login(&old_email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
    let check = json_of(app.check_email(&old_email).await, 200).await;
    assert_eq!(check["available"], true);
    // The link mailed to the old address no longer works.
    problem(app.verify_email(&outstanding).await, 400, "invalid-token").await;
    let types = app.security_event_types().await;
    assert!(types.contains(&"email-changed".to_owned()), "{types:?}");
}

#[tokio::test]
async fn an_address_taken_meanwhile_is_409_and_the_token_is_kept() {
    let app = spawn_app().await;
    let user = account(&app).await;
    let wanted = unique_email();
    let token = change_token(&app, id_of(&user), &wanted).await;
    let rival = app.new_browser();
    assert_eq!(rival.register(&wanted).await.status(), 201);

    problem(app.verify_email(&token).await, 409, "email-taken").await;
    assert_eq!(json_of(app.me().await, 200).await["email"], email_of(&user));
    // Once the address is free again, the same link works.
    assert_eq!(rival.delete_account(PASSWORD).await.status(), 204);
    let changed = json_of(app.verify_email(&token).await, 200).await;
    assert_eq!(changed["email"], wanted);
}

#[tokio::test]
async fn the_409_comes_before_the_tokens_own_400() {
    let app = spawn_app().await;
    let user = account(&app).await;
    let wanted = unique_email();
    let token = change_token(&app, id_of(&user), &wanted).await;
    let rival = app.new_browser();
    assert_eq!(rival.register(&wanted).await.status(), 201);
    // Voided by a password change, and its address taken: 409 first.
    let changed = app
        .change_password(PASSWORD, "a brand new passphrase")
        .await;
    assert_eq!(changed.status(), 204);
    problem(app.verify_email(&token).await, 409, "email-taken").await;
    // With the address free again, the token's own state answers.
    assert_eq!(rival.delete_account(PASSWORD).await.status(), 204);
    problem(app.verify_email(&token).await, 400, "invalid-token").await;
}

#[tokio::test]
async fn bad_input_is_422_and_a_malformed_token_is_unknown() {
    let app = spawn_app().await;
    for body in [
        json!({}),
        json!({"token": 5}),
        json!({"token": "0".repeat(64), "extra": true}),
    ] {
        problem(
            app.post_json("/email/verify", &body).await,
            422,
            "validation",
        )
        .await;
    }
    let token = Token::generate().unwrap().to_string();
    for malformed in ["", "not a token", &token.to_uppercase(), &token[1..]] {
        problem(app.verify_email(malformed).await, 400, "invalid-token").await;
    }
    // Well formed, but never issued.
    problem(app.verify_email(&token).await, 400, "invalid-token").await;
}

#[tokio::test]
async fn a_deleted_accounts_tokens_are_unknown_and_go_with_it() {
    let (app, sink) = mailing_app(&[]).await;
    let (user, token) = registered(&app, &sink).await;
    assert_eq!(app.delete_account(PASSWORD).await.status(), 204);
    problem(app.verify_email(&token).await, 400, "invalid-token").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while token_rows(&app, id_of(&user)).await != Some(0) {
        assert!(tokio::time::Instant::now() < deadline, "not purged in time");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn hex_bytes(written: &str) -> Vec<u8> {
    (0..written.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&written[at..at + 2], 16).unwrap())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
