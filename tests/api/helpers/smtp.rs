//! A real SMTP server of the test's own (tests/support/smtp_sink.py, on
//! Debian's python3-aiosmtpd), which a test can stop and start again on the
//! same port, and a mail server that accepts connections and never says a
//! word. Also the outbox as the database holds it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mysql_async::prelude::*;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::task::JoinHandle;

use super::app::{TestApp, free_port, random_hex};

/// Debian's interpreter, which has python3-aiosmtpd (`make test-rust`
/// installs it): not whatever `python3` comes first on PATH.
const PYTHON: &str = "/usr/bin/python3";

/// One message as the sink received it.
#[derive(Debug, Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    /// Whether the session was encrypted (STARTTLS or SMTPS).
    pub tls: bool,
    /// Who logged in, when the sink asked for a login.
    pub login: Option<String>,
    pub subject: String,
    pub from: String,
    pub message_id: String,
    /// The top-level type: `multipart/alternative`.
    pub content_type: String,
    /// The decoded parts.
    pub text: Option<String>,
    pub html: Option<String>,
}

/// A name and a user agent with every character HTML must escape, for
/// tests to register and browse with.
pub const MARKUP_NAME: &str = "<b>Ann</b> & \"Co\"";
pub const MARKUP_AGENT: &str = "Mozilla/5.0 <Tester> & 'friends'";

impl Received {
    /// Checks that the message tells the request as it came, from
    /// 127.0.0.1 by `MARKUP_NAME`'s account with `MARKUP_AGENT`: as typed
    /// in the text, escaped in the HTML. Its two parts.
    pub fn shows_markup_escaped(&self) -> (&str, &str) {
        let text = self.text.as_deref().expect("a plain text part");
        let html = self.html.as_deref().expect("an HTML part");
        assert!(text.contains(MARKUP_NAME), "{text}");
        assert!(text.contains(MARKUP_AGENT), "{text}");
        assert!(
            html.contains("&lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot;"),
            "{html}"
        );
        assert!(
            html.contains("Mozilla/5.0 &lt;Tester&gt; &amp; &#39;friends&#39;"),
            "{html}"
        );
        assert!(!html.contains("<b>Ann"), "{html}");
        assert!(!html.contains("<Tester>"), "{html}");
        for part in [text, html] {
            assert!(part.contains("127.0.0.1"), "the client's IP: {part}");
        }
        (text, html)
    }
}

/// An SMTP server on 127.0.0.1 that keeps what it accepts.
pub struct SmtpSink {
    pub port: u16,
    dir: PathBuf,
    options: Vec<String>,
    child: Option<Child>,
}

impl SmtpSink {
    /// Plain SMTP, no STARTTLS, no login.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// With the script's options: `--starttls CERT KEY`, `--smtps CERT KEY`,
    /// `--auth USER:PASSWORD`, `--delay SECS`.
    pub fn start_with(options: &[&str]) -> Self {
        let mut sink = Self {
            port: free_port(),
            dir: std::env::temp_dir().join(format!("status-api-smtp-{}", random_hex(6))),
            options: options.iter().map(|option| (*option).to_owned()).collect(),
            child: None,
        };
        sink.restart();
        sink
    }

    /// `smtp://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts it again on its port, as a mail server back from an outage.
    pub fn restart(&mut self) {
        let mut child = Command::new(PYTHON)
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/support/smtp_sink.py"
            ))
            .args(["--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .args(&self.options)
            .stdout(Stdio::piped())
            .spawn()
            .expect("/usr/bin/python3 runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("the sink's first line");
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start (apt-get install python3-aiosmtpd)"
        );
        self.child = Some(child);
    }

    /// Gone at once, as a mail server that crashed: connections are
    /// refused until `restart`.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// What arrived so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut numbered: Vec<(u64, PathBuf)> = entries
            .filter_map(|entry| {
                let path = entry.ok()?.path();
                let number = path
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".json")?
                    .parse()
                    .ok()?;
                Some((number, path))
            })
            .collect();
        numbered.sort();
        numbered
            .into_iter()
            .map(|(_, path)| {
                let text = std::fs::read_to_string(&path).expect("a saved message");
                serde_json::from_str(&text).expect("the sink's JSON")
            })
            .collect()
    }

    /// Waits until at least `count` messages arrived (failing past
    /// `within`); all that arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages within {within:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One TCP connection a `SilentServer` took: when it was accepted and when
/// the client closed it.
#[derive(Clone, Copy, Debug)]
pub struct HeldConnection {
    pub accepted: Instant,
    pub closed: Option<Instant>,
}

/// Accepts connections and never sends a byte: a mail server that hangs
/// before its greeting.
pub struct SilentServer {
    pub port: u16,
    connections: Arc<Mutex<Vec<HeldConnection>>>,
    task: JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let port = listener.local_addr().expect("its address").port();
        let connections: Arc<Mutex<Vec<HeldConnection>>> = Arc::default();
        let seen = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let index = {
                    let mut seen = seen.lock().unwrap();
                    seen.push(HeldConnection {
                        accepted: Instant::now(),
                        closed: None,
                    });
                    seen.len() - 1
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    // Reads whatever comes until the client hangs up.
                    let mut buffer = [0u8; 1024];
                    while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
                    seen.lock().unwrap()[index].closed = Some(Instant::now());
                });
            }
        });
        Self {
            port,
            connections,
            task,
        }
    }

    pub fn connections(&self) -> Vec<HeldConnection> {
        self.connections.lock().unwrap().clone()
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One row of `mail_outbox`, as a test looks at it.
#[derive(Debug)]
pub struct OutboxRow {
    pub id: u64,
    pub kind: String,
    pub state: String,
    pub attempts: u32,
    pub lease_until: Option<String>,
    /// Every column of the body, each `None` once it is gone.
    pub recipient: Option<String>,
    pub name: Option<String>,
    pub requested_at: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub sealed_link: Option<Vec<u8>>,
}

impl OutboxRow {
    pub fn has_no_body(&self) -> bool {
        self.recipient.is_none()
            && self.name.is_none()
            && self.requested_at.is_none()
            && self.ip.is_none()
            && self.user_agent.is_none()
            && self.sealed_link.is_none()
    }
}

impl TestApp {
    /// The outbox, oldest row first.
    pub async fn outbox(&self) -> Vec<OutboxRow> {
        outbox_rows(&mut self.db().await).await
    }

    /// Waits until `done` holds for the outbox (failing past `within`).
    pub async fn wait_for_outbox(
        &self,
        within: Duration,
        done: impl Fn(&[OutboxRow]) -> bool,
    ) -> Vec<OutboxRow> {
        let deadline = Instant::now() + within;
        let mut conn = self.db().await;
        loop {
            let rows = outbox_rows(&mut conn).await;
            if done(&rows) {
                return rows;
            }
            assert!(Instant::now() < deadline, "the outbox stayed {rows:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub async fn outbox_rows(conn: &mut mysql_async::Conn) -> Vec<OutboxRow> {
    conn.query_map(
        "SELECT id, kind, state, attempts, CAST(lease_until AS CHAR) AS lease_until, recipient, \
         name, CAST(requested_at AS CHAR) AS requested_at, ip, user_agent, sealed_link \
         FROM mail_outbox ORDER BY id",
        |mut row: mysql_async::Row| OutboxRow {
            id: row.take("id").unwrap(),
            kind: row.take("kind").unwrap(),
            state: row.take("state").unwrap(),
            attempts: row.take("attempts").unwrap(),
            lease_until: row.take("lease_until").unwrap(),
            recipient: row.take("recipient").unwrap(),
            name: row.take("name").unwrap(),
            requested_at: row.take("requested_at").unwrap(),
            ip: row.take("ip").unwrap(),
            user_agent: row.take("user_agent").unwrap(),
            sealed_link: row.take("sealed_link").unwrap(),
        },
    )
    .await
    .expect("the outbox")
}
