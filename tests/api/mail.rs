//! Mail through the outbox, against a real SMTP server of the test's own
//! (tests/support/smtp_sink.py): the notice a password change mails, a mail
//! server that is down or never answers, several instances on one outbox,
//! TLS, links sealed in the table, bodies gone once sent, `file:` folders,
//! giving up, shutdown and pruning. (The verification link a registration
//! mails is tests/api/email_verification.rs's.)

use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use mysql_async::TxOpts;
use mysql_async::prelude::*;
use status_api::config::{MailUrl, SmtpSecurity, SmtpServer};
use status_api::db::{Database, outbox};
use status_api::domain::{EventOrigin, LinkKind, MailDetails, NoticeKind, OutgoingMail};
use status_api::mail::Outbox;
use status_api::retention;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{
    Certificates, MARKUP_AGENT, MARKUP_NAME, PASSWORD, Received, SilentServer, SmtpSink, TestApp,
    TestDatabase, client, delete_keys, free_port, in_own_runtime, outbox_rows, random_hex,
    spawn_app, spawn_app_with, spawn_app_with_metrics, start, test_settings, unique_email,
};

const NEW_PASSWORD: &str = "staple battery horse";
const SUBJECT: &str = "Your status-api password was changed";

/// Registers an account named `MARKUP_NAME` from a browser that says it is
/// `MARKUP_AGENT`, and changes its password (`204`, however the mail server
/// fares); the account's email. Two messages go to it: the registration's
/// verification link, then the password notice.
async fn password_changed(app: &TestApp) -> String {
    password_changed_in(app).await.0
}

/// `password_changed`, and how long the change took to answer.
async fn password_changed_in(app: &TestApp) -> (String, Duration) {
    let browser = app.new_browser_named(MARKUP_AGENT);
    let email = unique_email();
    let registered = browser.register_with(&email, PASSWORD, MARKUP_NAME).await;
    assert_eq!(registered.status(), 201);
    let began = Instant::now();
    let changed = browser.change_password(PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status(), 204);
    (email, began.elapsed())
}

/// The password notices among what arrived.
fn notices(received: &[Received]) -> Vec<&Received> {
    received
        .iter()
        .filter(|mail| mail.subject == SUBJECT)
        .collect()
}

fn notice_to(to: &str) -> OutgoingMail {
    let origin = EventOrigin::new([192, 0, 2, 1].into(), "a test");
    OutgoingMail::notice(
        NoticeKind::PasswordChanged,
        to,
        MailDetails::now("Test User", &origin),
    )
}

/// Writes `mails` in one transaction, as a change causing them would.
async fn enqueue(conn: &mut mysql_async::Conn, mails: &[OutgoingMail]) {
    let mut transaction = conn.start_transaction(TxOpts::default()).await.unwrap();
    for mail in mails {
        outbox::enqueue(&mut transaction, mail).await.unwrap();
    }
    transaction.commit().await.unwrap();
}

#[tokio::test]
async fn a_password_change_mails_a_notice_with_both_parts_and_no_link() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(&[("MAIL_URL", &sink.url())]).await;
    let email = password_changed(&app).await;

    let received = sink.wait_for(2, Duration::from_secs(15)).await;
    let notices = notices(&received);
    assert_eq!(notices.len(), 1, "{received:#?}");
    let notice = notices[0];
    assert_eq!(notice.rcpt_tos, std::slice::from_ref(&email));
    assert_eq!(notice.mail_from, "no-reply@localhost");
    assert_eq!(notice.from, "status-api <no-reply@localhost>");
    assert_eq!(notice.content_type, "multipart/alternative");
    assert!(!notice.tls, "this sink offers no STARTTLS");
    let (text, html) = notice.shows_markup_escaped();
    for part in [text, html] {
        assert!(!part.contains("http"), "a notice carries no link: {part}");
        assert!(part.contains("If this was not you"), "{part}");
    }
    let when = text
        .lines()
        .find_map(|line| line.strip_prefix("Changed: "))
        .expect("when it happened");
    let when = OffsetDateTime::parse(when, &Rfc3339).expect("RFC 3339");
    assert_eq!(when.offset(), time::UtcOffset::UTC);
    assert!((OffsetDateTime::now_utc() - when).whole_seconds().abs() < 60);

    let rows = app
        .wait_for_outbox(Duration::from_secs(5), |rows| {
            rows.iter().all(|row| row.state == "sent")
        })
        .await;
    let row = rows
        .iter()
        .find(|row| row.kind == "password-changed")
        .expect("the notice's row");
    assert!(row.has_no_body(), "{row:?}");
    assert!(
        notice.message_id.starts_with(&format!("<{}.", row.id))
            && notice.message_id.ends_with("@localhost>"),
        "{}",
        notice.message_id
    );
}

#[tokio::test]
async fn a_mail_server_outage_delays_the_notice_and_fails_no_request() {
    const PENDING: &str = "status_api_mail_outbox_pending";
    const SENT: &str = r#"status_api_mail_sent_total{kind="password-changed"}"#;
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = spawn_app_with_metrics(&[("MAIL_URL", &sink.url())]).await;
    let email = password_changed(&app).await;

    app.wait_for_outbox(Duration::from_secs(10), |rows| {
        rows.iter().any(|row| row.attempts >= 1)
    })
    .await;
    assert_eq!(
        app.get("/readyz").await.status(),
        200,
        "readiness does not depend on the mail server"
    );
    // The verification link and the notice.
    wait_for_metric(&app, PENDING, 2).await;

    sink.restart();
    // The first retry comes 10 s after the failed try.
    let received = sink.wait_for(2, Duration::from_secs(60)).await;
    assert_eq!(notices(&received).len(), 1);
    assert!(
        received
            .iter()
            .all(|mail| mail.rcpt_tos == [email.as_str()])
    );
    wait_for_metric(&app, SENT, 1).await;
    wait_for_metric(&app, PENDING, 0).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.received().len(), 2, "each sent once");
}

async fn wait_for_metric(app: &TestApp, series: &str, value: i64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now = app.metric(series).await;
        if now == Some(value) {
            return;
        }
        assert!(Instant::now() < deadline, "{series} stayed {now:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An instance started on a shared database, stopped when dropped.
struct Instance {
    handle: ServerHandle,
    metrics: String,
}

impl Instance {
    async fn sent(&self) -> i64 {
        let text = client()
            .get(format!("http://{}/metrics", self.metrics))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| {
                line.strip_prefix(r#"status_api_mail_sent_total{kind="password-changed"} "#)
            })
            .map_or(0, |value| value.parse().unwrap())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        in_own_runtime(async move { handle.stop(false).await });
    }
}

#[tokio::test]
async fn two_instances_send_a_burst_each_message_exactly_once() {
    const BURST: usize = 60;
    // Each message takes half a second to accept, so that both instances
    // are busy at once: the second claims while the first is sending.
    let sink = SmtpSink::start_with(&["--delay", "0.5"]);
    let database = TestDatabase::create().await;
    let prefix = format!("status-api-test:{}:", random_hex(8));
    let mut instances = Vec::new();
    for _ in 0..2 {
        let metrics = format!("127.0.0.1:{}", free_port());
        let settings = test_settings(
            &database,
            &prefix,
            &[("MAIL_URL", &sink.url()), ("METRICS_ADDR", &metrics)],
        );
        let (_, handle) = start(settings).await.expect("an instance starts");
        instances.push(Instance { handle, metrics });
    }

    let mut expected: Vec<String> = (0..BURST)
        .map(|n| format!("burst-{n}@example.com"))
        .collect();
    let mails: Vec<_> = expected.iter().map(|to| notice_to(to)).collect();
    let mut conn = database.conn().await;
    enqueue(&mut conn, &mails).await;

    sink.wait_for(BURST, Duration::from_secs(60)).await;
    // Time for a duplicate to arrive, were there one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut recipients: Vec<String> = sink
        .received()
        .into_iter()
        .flat_map(|mail| mail.rcpt_tos)
        .collect();
    recipients.sort();
    expected.sort();
    assert_eq!(recipients, expected, "each message once");
    let (a, b) = (instances[0].sent().await, instances[1].sent().await);
    assert!(a > 0 && b > 0, "both instances sent: {a} and {b}");
    assert_eq!(a + b, BURST as i64);
    let rows = outbox_rows(&mut conn).await;
    assert!(
        rows.iter()
            .all(|row| row.state == "sent" && row.attempts == 1),
        "{rows:#?}"
    );
    drop(instances);
    delete_keys(&prefix).await;
}

/// Whether any column of any outbox row holds `needle`.
async fn outbox_holds(app: &TestApp, needle: &str) -> bool {
    let rows: Vec<mysql_async::Row> = app
        .db()
        .await
        .query("SELECT * FROM mail_outbox")
        .await
        .unwrap();
    rows.into_iter().any(|row| {
        row.unwrap().into_iter().any(|value| match value {
            mysql_async::Value::Bytes(bytes) => bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes()),
            _ => false,
        })
    })
}

#[tokio::test]
async fn a_link_is_stored_sealed_and_the_body_goes_once_sent() {
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = spawn_app_with(&[
        ("MAIL_URL", &sink.url()),
        ("MAIL_RETRY_MAX_SECS", "1"),
        ("PUBLIC_URL", "https://app.example.com/"),
    ])
    .await;
    let token = random_hex(16);
    let to = unique_email();
    let outbox = Outbox::new(&app.settings.session_secret, &app.settings.mail.public_url);
    let origin = EventOrigin::new([198, 51, 100, 7].into(), "Agent/1.0");
    let mail = OutgoingMail::with_link(
        outbox.link(LinkKind::ResetPassword, &to, &token).unwrap(),
        &to,
        MailDetails::now("Bea", &origin),
    );
    enqueue(&mut app.db().await, &[mail]).await;

    let rows = app
        .wait_for_outbox(Duration::from_secs(10), |rows| {
            rows.first().is_some_and(|row| row.attempts >= 1)
        })
        .await;
    assert_eq!(rows[0].state, "pending");
    assert_eq!(rows[0].recipient.as_deref(), Some(to.as_str()));
    assert!(rows[0].sealed_link.is_some());
    assert!(!outbox_holds(&app, &token).await, "the token in clear");
    assert!(
        !outbox_holds(&app, "reset-password#").await,
        "the link in clear"
    );

    sink.restart();
    let received = sink.wait_for(1, Duration::from_secs(15)).await;
    let link = format!("https://app.example.com/reset-password#token={token}");
    let text = received[0].text.as_deref().unwrap();
    let html = received[0].html.as_deref().unwrap();
    assert!(text.lines().any(|line| line == link), "{text}");
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
    assert!(text.contains("198.51.100.7") && text.contains("Agent/1.0"));
    assert_eq!(received[0].subject, "Reset your status-api password");

    let rows = app
        .wait_for_outbox(Duration::from_secs(5), |rows| rows[0].state == "sent")
        .await;
    assert!(rows[0].has_no_body(), "{:?}", rows[0]);
    assert!(!outbox_holds(&app, &to).await, "the address is gone too");
}

#[tokio::test]
async fn a_mail_server_that_never_answers_is_cut_off_after_the_timeout_and_retried() {
    let silent = SilentServer::start().await;
    let app = spawn_app_with(&[
        ("MAIL_URL", &format!("smtp://127.0.0.1:{}", silent.port)),
        ("MAIL_TIMEOUT_SECS", "3"),
        ("MAIL_RETRY_MAX_SECS", "1"),
    ])
    .await;
    let (_, answered_in) = password_changed_in(&app).await;
    assert!(
        answered_in < Duration::from_secs(3),
        "the request waited on the mail server: {answered_in:?}"
    );

    let deadline = Instant::now() + Duration::from_secs(25);
    let connections = loop {
        let connections = silent.connections();
        if connections.len() >= 2 {
            break connections;
        }
        assert!(Instant::now() < deadline, "{connections:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let first = connections[0];
    let held = first.closed.expect("the first was closed by the app") - first.accepted;
    assert!(
        held >= Duration::from_millis(2900) && held < Duration::from_secs(6),
        "held {held:?} for a 3 s MAIL_TIMEOUT_SECS"
    );
    let rows = app
        .wait_for_outbox(Duration::from_secs(25), |rows| {
            rows.iter().all(|row| row.attempts >= 2)
        })
        .await;
    assert!(
        rows.iter().all(|row| row.state == "pending"),
        "still to be sent: {rows:#?}"
    );
}

#[tokio::test]
async fn tls_required_sends_nothing_to_a_server_without_starttls() {
    let sink = SmtpSink::start();
    let app = spawn_app_with(&[
        ("MAIL_URL", &format!("{}?tls=required", sink.url())),
        ("MAIL_RETRY_MAX_SECS", "1"),
    ])
    .await;
    password_changed(&app).await;
    let rows = app
        .wait_for_outbox(Duration::from_secs(20), |rows| {
            rows.iter().any(|row| row.attempts >= 2)
        })
        .await;
    assert_eq!(rows[0].state, "pending");
    assert!(sink.received().is_empty(), "sent in plain text");
}

#[tokio::test]
async fn starttls_is_used_where_offered_and_with_a_login_where_required() {
    let certs = Certificates::generate();
    let (cert, key) = (certs.text("server.pem"), certs.text("server.key"));
    let ca = certs.text("ca.pem");

    let offered = SmtpSink::start_with(&["--starttls", &cert, &key]);
    let app = spawn_app_with(&[("MAIL_URL", &offered.url()), ("MAIL_CA_FILE", &ca)]).await;
    password_changed(&app).await;
    let received = offered.wait_for(1, Duration::from_secs(15)).await;
    assert!(received[0].tls, "STARTTLS where the server offers it");
    drop(app);

    let with_login = SmtpSink::start_with(&["--starttls", &cert, &key, "--auth", "mailer:s3cr:et"]);
    let url = format!(
        "smtp://mailer:s3cr%3Aet@127.0.0.1:{}?tls=required",
        with_login.port
    );
    let app = spawn_app_with(&[("MAIL_URL", &url), ("MAIL_CA_FILE", &ca)]).await;
    let email = password_changed(&app).await;
    let received = with_login.wait_for(1, Duration::from_secs(15)).await;
    assert!(received[0].tls);
    assert_eq!(received[0].login.as_deref(), Some("mailer"));
    assert_eq!(received[0].rcpt_tos, [email]);
}

#[tokio::test]
async fn smtps_trusts_mail_ca_file_and_no_other_ca() {
    let certs = Certificates::generate();
    let sink = SmtpSink::start_with(&[
        "--smtps",
        &certs.text("server.pem"),
        &certs.text("server.key"),
    ]);
    let url = format!("smtps://127.0.0.1:{}", sink.port);

    let untrusting = spawn_app_with(&[
        ("MAIL_URL", &url),
        ("MAIL_CA_FILE", &certs.text("other-ca.pem")),
        ("MAIL_RETRY_MAX_SECS", "1"),
    ])
    .await;
    password_changed(&untrusting).await;
    untrusting
        .wait_for_outbox(Duration::from_secs(20), |rows| {
            rows.iter().any(|row| row.attempts >= 2)
        })
        .await;
    assert!(sink.received().is_empty(), "sent to an untrusted server");
    drop(untrusting);

    let app = spawn_app_with(&[("MAIL_URL", &url), ("MAIL_CA_FILE", &certs.text("ca.pem"))]).await;
    password_changed(&app).await;
    let received = sink.wait_for(1, Duration::from_secs(15)).await;
    assert!(received[0].tls);
}

#[tokio::test]
async fn a_file_mail_url_writes_each_message_as_an_eml_file() {
    let root = std::env::temp_dir().join(format!("status-api-eml-{}", random_hex(6)));
    let dir = root.join("not/there/yet");
    let app = spawn_app_with(&[("MAIL_URL", &format!("file:{}", dir.display()))]).await;
    let email = password_changed(&app).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    // The notice's file, beside the registration's verification link.
    let eml = loop {
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
                .map(|path| std::fs::read_to_string(path).unwrap())
                .find(|eml| eml.contains(&format!("Subject: {SUBJECT}")))
        });
        if let Some(eml) = found {
            break eml;
        }
        assert!(Instant::now() < deadline, "no .eml in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(app);
    let _ = std::fs::remove_dir_all(&root);
    assert!(eml.contains(&format!("To: {email}")), "{eml}");
    assert!(eml.contains(&format!("Subject: {SUBJECT}")), "{eml}");
    assert!(eml.contains("multipart/alternative"), "{eml}");
    assert!(eml.contains("text/html"), "{eml}");
}

#[tokio::test]
async fn mail_settings_that_cannot_work_stop_the_start() {
    let app = spawn_app().await;
    let not_a_folder = app.database.mail_dir().join("a-file");
    std::fs::create_dir_all(app.database.mail_dir()).unwrap();
    std::fs::write(&not_a_folder, "not a certificate").unwrap();

    let mut settings = app.settings.clone();
    settings.mail.url = MailUrl::File(not_a_folder.join("outbox"));
    let error = start(settings.clone()).await.expect_err("no folder there");
    assert!(format!("{error:#}").contains("MAIL_URL"), "{error:#}");

    settings.mail.url = MailUrl::Smtp(SmtpServer {
        host: "127.0.0.1".into(),
        port: 25,
        security: SmtpSecurity::Wrapper,
        credentials: None,
    });
    settings.mail.ca_file = Some(not_a_folder);
    let error = start(settings).await.expect_err("no certificate there");
    assert!(format!("{error:#}").contains("MAIL_CA_FILE"), "{error:#}");
}

#[tokio::test]
async fn a_message_past_mail_retry_hours_is_given_up_and_loses_its_body() {
    const FAILED: &str = r#"status_api_mail_failed_total{kind="password-changed"}"#;
    let mut sink = SmtpSink::start();
    sink.stop();
    let app = spawn_app_with_metrics(&[("MAIL_URL", &sink.url()), ("MAIL_RETRY_HOURS", "1")]).await;
    let mut conn = app.db().await;
    // Written a little over an hour ago: the next try would be too late.
    let mut transaction = conn.start_transaction(TxOpts::default()).await.unwrap();
    outbox::enqueue(&mut transaction, &notice_to("late@example.com"))
        .await
        .unwrap();
    transaction
        .query_drop("UPDATE mail_outbox SET created_at = created_at - INTERVAL 3595 SECOND")
        .await
        .unwrap();
    transaction.commit().await.unwrap();

    let rows = app
        .wait_for_outbox(Duration::from_secs(10), |rows| rows[0].state != "pending")
        .await;
    assert_eq!(rows[0].state, "failed");
    assert_eq!(rows[0].attempts, 1);
    assert!(rows[0].has_no_body(), "{:?}", rows[0]);
    wait_for_metric(&app, FAILED, 1).await;
}

#[tokio::test]
async fn stopping_an_instance_lets_the_send_in_flight_finish() {
    let sink = SmtpSink::start_with(&["--delay", "3"]);
    let database = TestDatabase::create().await;
    let prefix = format!("status-api-test:{}:", random_hex(8));
    let settings = test_settings(&database, &prefix, &[("MAIL_URL", &sink.url())]);
    let (_, handle) = start(settings).await.expect("the app starts");
    let mut conn = database.conn().await;
    enqueue(&mut conn, &[notice_to("in-flight@example.com")]).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox_rows(&mut conn).await[0].lease_until.is_none() {
        assert!(Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    handle.stop(true).await;

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let row = &outbox_rows(&mut conn).await[0];
        if row.state == "sent" {
            break;
        }
        assert!(Instant::now() < deadline, "the send was cut off: {row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sink.received().len(), 1);
    delete_keys(&prefix).await;
}

#[tokio::test]
async fn pruning_deletes_finished_mail_after_seven_days_and_nothing_else() {
    let app = spawn_app().await;
    let mut conn = app.db().await;
    conn.query_drop(
        "INSERT INTO mail_outbox (kind, state, created_at, next_attempt_at, finished_at) VALUES \
         ('password-changed', 'sent', NOW() - INTERVAL 9 DAY, NOW(), UTC_TIMESTAMP(6) - INTERVAL 8 DAY), \
         ('password-changed', 'failed', NOW() - INTERVAL 9 DAY, NOW(), UTC_TIMESTAMP(6) - INTERVAL 8 DAY), \
         ('password-changed', 'sent', NOW() - INTERVAL 7 DAY, NOW(), UTC_TIMESTAMP(6) - INTERVAL 6 DAY)",
    )
    .await
    .unwrap();
    // Pending for a month, not due for another: only sending ends it.
    conn.query_drop(
        "INSERT INTO mail_outbox (kind, recipient, name, requested_at, ip, user_agent, \
         created_at, next_attempt_at) VALUES ('password-changed', 'x@example.com', 'X', NOW(), \
         '192.0.2.1', '', NOW() - INTERVAL 30 DAY, NOW() + INTERVAL 30 DAY)",
    )
    .await
    .unwrap();

    let opts = mysql_async::Opts::from_url(&app.database.url()).unwrap();
    let db = Database::new(&opts, 1, Duration::from_secs(30));
    assert_eq!(retention::prune_mail(&db).await.unwrap(), 2);
    let states: Vec<String> = app
        .outbox()
        .await
        .into_iter()
        .map(|row| row.state)
        .collect();
    assert_eq!(states, ["sent", "pending"]);
    assert_eq!(retention::prune_mail(&db).await.unwrap(), 0);
}
