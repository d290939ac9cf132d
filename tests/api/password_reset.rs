//! POST /password/forgot and POST /password/reset, end to end through the
//! mail that an SMTP server of the test's own receives: the link, its
//! single use, what a reset ends and begins, the answers that must not tell
//! addresses apart, the limits, a mail server outage, and resets overtaken
//! by other changes of the account.

use std::collections::BTreeMap;
use std::time::Duration;

use mysql_async::TxOpts;
use mysql_async::prelude::*;
use reqwest::Response;
use serde_json::json;
use status_api::db::{Database, tokens, users};
use status_api::domain::{EventOrigin, MailDetails, NoticeKind, OutgoingMail, Token, TokenPurpose};

use crate::helpers::{
    Browser, MARKUP_AGENT, MARKUP_NAME, PASSWORD, Received, SmtpSink, TestApp, free_port, json_of,
    post_then_reset, problem, random_hex, session_cookie, spawn_app_with, unique_email,
    until_logged_out,
};

const NEW_PASSWORD: &str = "staple battery horse";
const LINK_SUBJECT: &str = "Reset your status-api password";
const NOTICE_SUBJECT: &str = "Your status-api password was reset";
/// Long enough for a request that waits on a lock the test holds.
const PATIENT: (&str, &str) = ("DEPENDENCY_TIMEOUT_MS", "20000");

/// The app mailing to an SMTP server of the test's own.
async fn app_with_sink(overrides: &[(&str, &str)]) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let mut settings = vec![("MAIL_URL", sink.url())];
    settings.extend(
        overrides
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    (spawn_app_with(&settings).await, sink)
}

/// Registers an account on a browser of its own, which stays logged in;
/// its email and that browser.
async fn account(app: &TestApp) -> (String, Browser) {
    let browser = app.new_browser();
    let email = browser.signed_up().await;
    (email, browser)
}

/// The id of the account `browser` is logged in to.
async fn user_id(browser: &Browser) -> u64 {
    json_of(browser.me().await, 200).await["id"]
        .as_u64()
        .expect("a user id")
}

fn reset_links(received: &[Received]) -> Vec<&Received> {
    received
        .iter()
        .filter(|mail| mail.subject == LINK_SUBJECT)
        .collect()
}

/// Waits until `count` reset links have arrived in all (failing past
/// 15 s); the token of each, oldest first, read from the link in the
/// plain text part.
async fn reset_tokens(app: &TestApp, sink: &SmtpSink, count: usize) -> Vec<String> {
    let prefix = format!("{}/reset-password#token=", app.settings.mail.public_url);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let received = sink.received();
        let links = reset_links(&received);
        if links.len() >= count {
            return links
                .iter()
                .map(|mail| {
                    let text = mail.text.as_deref().expect("a plain text part");
                    text.lines()
                        .find_map(|line| line.strip_prefix(&prefix))
                        .unwrap_or_else(|| panic!("no link to {prefix} in {text}"))
                        .to_owned()
                })
                .collect();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} reset links arrived: {received:#?}",
            links.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asks for a link for `email` (`202`) and waits for it: its token.
async fn mailed_token(app: &TestApp, sink: &SmtpSink, email: &str) -> String {
    let before = reset_links(&sink.received()).len();
    assert_eq!(app.new_browser().forgot_password(email).await.status(), 202);
    reset_tokens(app, sink, before + 1).await.pop().unwrap()
}

/// A `400 invalid-token` answer.
async fn invalid_token(response: Response) {
    problem(response, 400, "invalid-token").await;
}

/// How many reset links have been mailed to `email` so far.
fn links_to(sink: &SmtpSink, email: &str) -> usize {
    reset_links(&sink.received())
        .iter()
        .filter(|mail| mail.rcpt_tos == [email])
        .count()
}

#[tokio::test]
async fn a_mailed_link_resets_the_password_and_logs_this_browser_in_alone() {
    let (app, sink) = app_with_sink(&[("PUBLIC_URL", "https://app.example.com/")]).await;
    let owner = app.new_browser_named(MARKUP_AGENT);
    let email = unique_email();
    let registered = owner.register_with(&email, PASSWORD, MARKUP_NAME).await;
    let user = json_of(registered, 201).await;
    assert_eq!(user["email_verified"], false);
    let laptop = app.new_browser();
    assert_eq!(laptop.login(&email, PASSWORD).await.status(), 200);

    let asking = app.new_browser_named(MARKUP_AGENT);
    let asked = asking.forgot_password(&email.to_uppercase()).await;
    assert_eq!(asked.status(), 202);
    let token = reset_tokens(&app, &sink, 1).await.pop().unwrap();
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    let received = sink.received();
    let mail = reset_links(&received)[0];
    assert_eq!(mail.rcpt_tos, std::slice::from_ref(&email));
    let (_, html) = mail.shows_markup_escaped();
    let link = format!("https://app.example.com/reset-password#token={token}");
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");

    // The link opened in yet another browser.
    let opener = app.new_browser_named(MARKUP_AGENT);
    let reset = opener.reset_password(&token, NEW_PASSWORD).await;
    assert!(session_cookie(reset.headers()).is_some(), "a new session");
    let reset_user = json_of(reset, 200).await;
    let mut expected = user.clone();
    expected["email_verified"] = json!(true);
    assert_eq!(reset_user, expected);
    assert_eq!(json_of(opener.me().await, 200).await, expected);
    // Every other session ended at once.
    problem(laptop.me().await, 401, "unauthenticated").await;
    problem(owner.me().await, 401, "unauthenticated").await;
    assert_eq!(opener.listed_sessions().await.len(), 1);

    problem(
        app.new_browser().login(&email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
    let again = app.new_browser().login(&email, NEW_PASSWORD).await;
    assert_eq!(json_of(again, 200).await, expected);
    let used = app.new_browser();
    invalid_token(used.reset_password(&token, "yet another passphrase").await).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let notice = loop {
        let received = sink.received();
        if let Some(notice) = received
            .into_iter()
            .find(|mail| mail.subject == NOTICE_SUBJECT)
        {
            break notice;
        }
        assert!(tokio::time::Instant::now() < deadline, "no notice");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(notice.rcpt_tos, [email]);
    let notice_text = notice.text.as_deref().unwrap();
    assert!(notice_text.contains(MARKUP_AGENT), "{notice_text}");
    assert!(!notice_text.contains("http"), "no link: {notice_text}");
    let types = opener.security_event_types().await;
    let resets: Vec<&String> = types.iter().filter(|kind| kind.contains("reset")).collect();
    assert_eq!(resets, ["password-reset", "reset-requested"], "{types:?}");
}

#[tokio::test]
async fn of_several_resets_with_one_link_at_once_exactly_one_wins() {
    let (app, sink) = app_with_sink(&[("RESET_IP_LIMIT", "off")]).await;
    let (email, _) = account(&app).await;
    // A few rounds: a race that only sometimes lets two through is caught.
    for round in 0..3 {
        let token = mailed_token(&app, &sink, &email).await;
        let password = format!("round {round} passphrase");
        let responses = app
            .at_once(5, |browser| {
                let (token, password) = (token.clone(), password.clone());
                async move { browser.reset_password(&token, &password).await }
            })
            .await;
        let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400, 400, 400, 400], "round {round}");
        let login = app.new_browser().login(&email, &password).await;
        assert_eq!(login.status(), 200, "round {round}");
    }
}

#[tokio::test]
async fn a_link_expires_after_reset_token_secs() {
    let (app, sink) = app_with_sink(&[("RESET_TOKEN_SECS", "1")]).await;
    let (email, _) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    invalid_token(app.reset_password(&token, NEW_PASSWORD).await).await;
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_newer_link_voids_the_older_one() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, _) = account(&app).await;
    let older = mailed_token(&app, &sink, &email).await;
    let newer = mailed_token(&app, &sink, &email).await;
    invalid_token(app.reset_password(&older, NEW_PASSWORD).await).await;
    assert_eq!(app.reset_password(&newer, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_password_change_voids_an_outstanding_link() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, owner) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    assert_eq!(
        owner.change_password(PASSWORD, NEW_PASSWORD).await.status(),
        204
    );
    invalid_token(app.reset_password(&token, "yet another passphrase").await).await;
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_reset_link_verifies_nothing_and_a_verification_link_resets_nothing() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, owner) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    invalid_token(app.verify_email(&token).await).await;
    assert_eq!(
        json_of(owner.me().await, 200).await["email_verified"],
        false
    );

    // A verification token, stored as the service stores the ones it
    // mails: the reset route does not take it, and leaves it usable.
    let user_id = user_id(&owner).await;
    let verify = Token::generate().unwrap();
    let mut conn = app.db().await;
    let mut transaction = conn.start_transaction(TxOpts::default()).await.unwrap();
    tokens::issue_in(
        &mut transaction,
        user_id,
        &verify,
        &TokenPurpose::VerifyEmail,
        &app.settings.token_lifetimes,
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();
    invalid_token(app.reset_password(&verify.to_string(), NEW_PASSWORD).await).await;
    assert_eq!(app.verify_email(&verify.to_string()).await.status(), 200);
    // The reset link was left as it was by /email/verify too.
    assert_eq!(app.reset_password(&token, NEW_PASSWORD).await.status(), 200);
}

/// What a `202` of /password/forgot shows a client: its status, its headers
/// but the per-response ones, and its body.
async fn answer(response: Response) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    let body = response.bytes().await.unwrap().to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn the_answer_is_the_same_whether_the_address_has_an_account_or_not() {
    let (app, sink) = app_with_sink(&[]).await;
    let (unverified, _) = account(&app).await;
    let (verified, _) = account(&app).await;
    let token = mailed_token(&app, &sink, &verified).await;
    let reset = json_of(app.reset_password(&token, PASSWORD).await, 200).await;
    assert_eq!(reset["email_verified"], true);
    let (deleted, deleting) = account(&app).await;
    assert_eq!(deleting.delete_account(PASSWORD).await.status(), 204);
    let unknown = unique_email();

    let asking = app.new_browser();
    let expected = answer(asking.forgot_password(&unknown).await).await;
    assert_eq!(expected.0, 202);
    assert!(expected.2.is_empty(), "{expected:?}");
    assert!(!expected.1.contains_key("set-cookie"), "{expected:?}");
    for email in [&unverified, &verified, &deleted, &unknown] {
        let response = asking.forgot_password(email).await;
        assert_eq!(answer(response).await, expected, "{email}");
    }

    reset_tokens(&app, &sink, 3).await;
    // Time for mail that should not come.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.received();
    let mut recipients: Vec<&str> = reset_links(&received)
        .iter()
        .map(|mail| mail.rcpt_tos[0].as_str())
        .collect();
    recipients.sort_unstable();
    let mut mailed = vec![verified.as_str(), verified.as_str(), unverified.as_str()];
    mailed.sort_unstable();
    assert_eq!(recipients, mailed);
}

#[tokio::test]
async fn the_answer_does_not_wait_for_the_link_to_be_issued() {
    let (app, sink) = app_with_sink(&[PATIENT]).await;
    let (email, owner) = account(&app).await;
    let user_id = user_id(&owner).await;
    // Issuing the token waits on the account's row (its foreign key), as
    // a slow commit would: an unknown address has nothing to wait for.
    let held = app.hold_account_row(user_id).await;
    let asked = tokio::time::timeout(
        Duration::from_secs(5),
        app.new_browser().forgot_password(&email),
    )
    .await
    .expect("answered while the link was being issued");
    assert_eq!(asked.status(), 202);
    app.until_waiting("INSERT INTO account_tokens", 1).await;
    assert!(
        reset_links(&sink.received()).is_empty(),
        "a link issued while the row was held"
    );
    held.release().await;
    let token = reset_tokens(&app, &sink, 1).await.pop().unwrap();
    assert_eq!(app.reset_password(&token, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn past_reset_email_limit_nothing_is_mailed_and_the_answer_is_the_same() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, _) = account(&app).await;
    let (other, _) = account(&app).await;
    let asking = app.new_browser();
    let first = answer(asking.forgot_password(&email).await).await;
    for _ in 0..2 {
        assert_eq!(answer(asking.forgot_password(&email).await).await, first);
    }
    reset_tokens(&app, &sink, 3).await;

    // The fourth within the hour: the same answer, and no mail.
    assert_eq!(answer(asking.forgot_password(&email).await).await, first);
    // Another address is counted on its own.
    assert_eq!(asking.forgot_password(&other).await.status(), 202);
    reset_tokens(&app, &sink, 4).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(links_to(&sink, &email), 3);
    assert_eq!(links_to(&sink, &other), 1);
    let rows = app.outbox().await;
    let links = rows.iter().filter(|row| row.kind == "reset-password");
    assert_eq!(links.count(), 4, "{rows:#?}");
}

#[tokio::test]
async fn deleting_the_account_forgets_the_links_mailed_to_it() {
    let (app, sink) = app_with_sink(&[("RESET_EMAIL_LIMIT", "1/3600")]).await;
    let (email, owner) = account(&app).await;
    mailed_token(&app, &sink, &email).await;
    assert_eq!(owner.delete_account(PASSWORD).await.status(), 204);
    assert_eq!(app.new_browser().register(&email).await.status(), 201);
    // A new account at the address starts with a clean count.
    mailed_token(&app, &sink, &email).await;
}

#[tokio::test]
async fn reset_ip_limit_counts_requests_for_links_and_resets_together() {
    let (app, _sink) = app_with_sink(&[("RESET_IP_LIMIT", "3/3600")]).await;
    let (email, _) = account(&app).await;
    let unknown_token = Token::generate().unwrap().to_string();
    assert_eq!(app.forgot_password(&email).await.status(), 202);
    invalid_token(app.reset_password(&unknown_token, NEW_PASSWORD).await).await;
    assert_eq!(app.forgot_password(&unique_email()).await.status(), 202);

    for response in [
        app.forgot_password(&email).await,
        app.reset_password(&unknown_token, NEW_PASSWORD).await,
    ] {
        let retry_after: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 3500 && retry_after <= 3600, "{retry_after}");
        problem(response, 429, "rate-limited").await;
    }
    // 422 comes before 429.
    problem(
        app.post_json("/password/forgot", &json!({"email": "nope"}))
            .await,
        422,
        "validation",
    )
    .await;
    problem(
        app.reset_password(&unknown_token, "short").await,
        422,
        "validation",
    )
    .await;
}

#[tokio::test]
async fn a_mail_server_outage_delays_the_link_and_fails_no_request() {
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = spawn_app_with(&[("MAIL_URL", &sink.url())]).await;
    let (email, _) = account(&app).await;
    assert_eq!(app.forgot_password(&email).await.status(), 202);
    app.wait_for_outbox(Duration::from_secs(10), |rows| {
        rows.iter().any(|row| row.attempts >= 1)
    })
    .await;

    sink.restart();
    // The first retry comes 10 s after the failed try. Two messages wait:
    // the registration's verification link and the reset link.
    sink.wait_for(2, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.received();
    assert_eq!(received.len(), 2, "each sent once: {received:#?}");
    let links = reset_links(&received);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].rcpt_tos, std::slice::from_ref(&email));
    let token = reset_tokens(&app, &sink, 1).await.pop().unwrap();
    assert_eq!(app.reset_password(&token, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn events_are_written_with_the_change_and_hold_no_token() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, owner) = account(&app).await;
    let user_id = user_id(&owner).await;
    let token = mailed_token(&app, &sink, &email).await;
    let opener = app.new_browser_named(MARKUP_AGENT);
    assert_eq!(
        opener.reset_password(&token, NEW_PASSWORD).await.status(),
        200
    );

    let mut conn = app.db().await;
    let events: Vec<(String, String, String)> = conn
        .exec(
            "SELECT type, ip, user_agent FROM security_events WHERE user_id = ? ORDER BY id",
            (user_id,),
        )
        .await
        .unwrap();
    let reset_events: Vec<_> = events
        .iter()
        .filter(|(kind, _, _)| kind.contains("reset"))
        .collect();
    assert_eq!(reset_events.len(), 2, "{events:?}");
    assert_eq!(reset_events[0].0, "reset-requested");
    assert_eq!(reset_events[1].0, "password-reset");
    assert_eq!(reset_events[1].1, "127.0.0.1");
    assert_eq!(reset_events[1].2, MARKUP_AGENT);

    let raw: Vec<u8> = (0..token.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&token[at..at + 2], 16).unwrap())
        .collect();
    let rows: Vec<mysql_async::Row> = conn.query("SELECT * FROM security_events").await.unwrap();
    for row in rows {
        for value in row.unwrap() {
            if let mysql_async::Value::Bytes(bytes) = value {
                let text = String::from_utf8_lossy(&bytes).to_lowercase();
                assert!(!text.contains(&token), "{text}");
                assert!(
                    !bytes.windows(raw.len()).any(|w| w == raw),
                    "the token's bytes"
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_input_is_422_before_a_token_is_looked_at() {
    let (app, sink) = app_with_sink(&[("RESET_IP_LIMIT", "off")]).await;
    for body in [
        json!({}),
        json!({"email": 5}),
        json!({"email": "not an address"}),
        json!({"email": "a@example.com", "extra": true}),
    ] {
        problem(
            app.post_json("/password/forgot", &body).await,
            422,
            "validation",
        )
        .await;
    }
    let unknown = Token::generate().unwrap().to_string();
    for body in [
        json!({}),
        json!({"token": 5, "new_password": NEW_PASSWORD}),
        json!({"token": unknown, "new_password": NEW_PASSWORD, "extra": true}),
        // Invalid on its face: 422, whatever the token.
        json!({"token": "not a token", "new_password": "short"}),
        json!({"token": unknown, "new_password": "password1"}),
        json!({"token": unknown, "new_password": "x".repeat(73)}),
    ] {
        let body = problem(
            app.post_json("/password/reset", &body).await,
            422,
            "validation",
        )
        .await;
        assert!(body["errors"].is_object(), "{body}");
    }
    for malformed in ["", "not a token", &unknown.to_uppercase(), &unknown[1..]] {
        invalid_token(app.reset_password(malformed, NEW_PASSWORD).await).await;
    }
    invalid_token(app.reset_password(&unknown, NEW_PASSWORD).await).await;

    // The account's email as its password is known only with the token:
    // 422, and the link stays good.
    let (email, _) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    let refused = problem(
        app.reset_password(&token, &email.to_uppercase()).await,
        422,
        "validation",
    )
    .await;
    assert!(refused["errors"]["new_password"].is_array(), "{refused}");
    assert_eq!(app.reset_password(&token, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_reset_overtaken_by_another_end_of_every_session_begins_no_session() {
    let (app, sink) = app_with_sink(&[PATIENT]).await;
    let (email, owner) = account(&app).await;
    let user_id = user_id(&owner).await;
    let token = mailed_token(&app, &sink, &email).await;
    let store = app.session_store(Duration::from_secs(3600)).await;
    let held = app.hold_security_events().await;

    // The reset ends every session, then waits to commit; meanwhile
    // another request ends every session too (a deletion, say).
    let opener = app.new_browser();
    let resetting = opener.reset_password(&token, NEW_PASSWORD);
    let overtaking = async {
        until_logged_out(&owner).await;
        store.end_all(user_id).await.unwrap();
        held.release().await;
    };
    let (reset, ()) = tokio::join!(resetting, overtaking);

    assert_eq!(reset.status(), 200, "the password is reset");
    problem(opener.me().await, 401, "unauthenticated").await;
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_login_that_read_the_old_hash_during_a_reset_keeps_no_session() {
    let (app, sink) = app_with_sink(&[PATIENT]).await;
    let (email, owner) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    let held = app.hold_security_events().await;
    let late = app.new_browser();

    // The reset ends every session, then waits to commit the new hash; a
    // login reads the old one, checks the old password and waits to record
    // its event; then both go on.
    let opener = app.new_browser();
    let resetting = opener.reset_password(&token, NEW_PASSWORD);
    let logging_in = async {
        until_logged_out(&owner).await;
        let login = late.login(&email, PASSWORD);
        let releasing = async {
            app.until_waiting("INSERT INTO security_events", 2).await;
            held.release().await;
        };
        tokio::join!(login, releasing).0
    };
    let (reset, login) = tokio::join!(resetting, logging_in);

    assert_eq!(reset.status(), 200);
    if login.status() != 200 {
        problem(login, 401, "invalid-credentials").await;
    }
    problem(late.me().await, 401, "unauthenticated").await;
    assert_eq!(opener.me().await.status(), 200, "the reset's session lives");
}

#[tokio::test]
async fn a_reset_overtaken_by_a_password_change_after_its_claim_stores_nothing() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, owner) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    let opts = mysql_async::Opts::from_url(&app.database.url()).unwrap();
    let db = Database::new(&opts, 1, Duration::from_secs(10));

    // Claimed, as POST /password/reset does before it hashes; then the
    // password changes from a session; then the reset would store its own.
    let token = Token::parse(&token).unwrap();
    let claimed = users::claim_reset_token(&db, &token, |_| Ok::<_, ()>(()))
        .await
        .unwrap();
    let users::ResetClaimed::Claimed(claim, ()) = claimed else {
        panic!("the mailed token is claimed");
    };
    assert_eq!(
        owner.change_password(PASSWORD, NEW_PASSWORD).await.status(),
        204
    );
    let origin = EventOrigin::new([127, 0, 0, 1].into(), "a test");
    let notice = OutgoingMail::notice(
        NoticeKind::PasswordReset,
        &email,
        MailDetails::now("Test User", &origin),
    );
    let hash = format!("not a hash {}", random_hex(4));
    let stored = users::reset_password(&db, &claim, &hash, &origin, &notice)
        .await
        .unwrap();
    assert!(stored.is_none(), "a reset overtaken by a change");
    assert_eq!(app.login(&email, NEW_PASSWORD).await.status(), 200);
    let types = app.security_event_types().await;
    assert!(!types.contains(&"password-reset".to_owned()), "{types:?}");
}

#[tokio::test]
async fn a_reset_whose_client_goes_away_after_the_claim_still_completes() {
    let (app, sink) = app_with_sink(&[PATIENT]).await;
    let (email, _) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    let held = app.hold_security_events().await;

    // The reset has claimed the link and waits to commit when its client
    // hangs up.
    let body = json!({"token": token, "new_password": NEW_PASSWORD});
    let waiting = app.until_waiting("INSERT INTO security_events", 1);
    post_then_reset(&app.address, "/password/reset", &body, waiting).await;
    // Time for the server to notice, and drop what it would drop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    held.release().await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while app.new_browser().login(&email, NEW_PASSWORD).await.status() != 200 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the used link left the old password"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    problem(
        app.new_browser().login(&email, PASSWORD).await,
        401,
        "invalid-credentials",
    )
    .await;
}

#[tokio::test]
async fn sessions_a_reset_ends_and_begins_are_counted() {
    const ENDED: &str = r#"status_api_sessions_ended_total{how="password-reset"}"#;
    const BEGUN: &str = r#"status_api_sessions_begun_total{how="password-reset"}"#;
    let metrics = format!("127.0.0.1:{}", free_port());
    let (app, sink) = app_with_sink(&[("METRICS_ADDR", &metrics)]).await;
    let (email, _) = account(&app).await;
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    let token = mailed_token(&app, &sink, &email).await;
    // The counters are the process's, shared with tests running beside
    // this one: only their growth is this test's.
    let ended_before = app.metric(ENDED).await.unwrap_or(0);
    let begun_before = app.metric(BEGUN).await.unwrap_or(0);

    let opener = app.new_browser();
    assert_eq!(
        opener.reset_password(&token, NEW_PASSWORD).await.status(),
        200
    );
    let ended = app.metric(ENDED).await.unwrap_or(0) - ended_before;
    let begun = app.metric(BEGUN).await.unwrap_or(0) - begun_before;
    assert!(ended >= 2, "{ended} sessions ended");
    assert!(begun >= 1, "{begun} sessions begun");
}

#[tokio::test]
async fn a_reset_that_cannot_be_stored_leaves_the_old_password_and_no_old_session() {
    let (app, sink) = app_with_sink(&[]).await;
    let (email, owner) = account(&app).await;
    let token = mailed_token(&app, &sink, &email).await;
    // The password-reset event cannot be written, so neither can the hash.
    let rename = |from: &str, to: &str| format!("RENAME TABLE {from} TO {to}");
    let mut conn = app.db().await;
    conn.query_drop(rename("security_events", "security_events_away"))
        .await
        .unwrap();

    let opener = app.new_browser();
    problem(
        opener.reset_password(&token, NEW_PASSWORD).await,
        500,
        "internal",
    )
    .await;
    // Sessions ended first: the owner is logged out, with the old password.
    problem(owner.me().await, 401, "unauthenticated").await;
    problem(opener.me().await, 401, "unauthenticated").await;
    conn.query_drop(rename("security_events_away", "security_events"))
        .await
        .unwrap();
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
    // The link was used by the claim: a new one is needed.
    invalid_token(app.reset_password(&token, NEW_PASSWORD).await).await;
}
