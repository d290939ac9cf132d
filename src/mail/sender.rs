//! The background sender, one per instance with a MySQL pool of its own.
//! It claims due rows with a lease (the claim commits before any SMTP
//! exchange, so no MySQL connection waits on the mail server, and two
//! instances never hold the same row), sends them at once, and marks each
//! sent, due again later, or failed. It wakes as soon as this instance
//! enqueued a message, and otherwise polls about every second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use lettre::message::Mailbox;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Outbox;
use super::message;
use super::schedule::{NextTry, RetryPolicy};
use super::transport::{Delivered, Transport};
use crate::config::MailSettings;
use crate::db::outbox::{self, ClaimedMail};
use crate::db::{Database, DbError};
use crate::domain::{MailKind, OutgoingMail};
use crate::metrics::MailMetrics;
use crate::outage;

/// How often the outbox is looked at when nothing wakes the sender.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Rows claimed at once, then sent at once.
const BATCH: u32 = 10;

/// How often the depth gauge is read from MySQL.
const DEPTH_INTERVAL: Duration = Duration::from_secs(5);

/// A lease outlasts one send (`MAIL_TIMEOUT_SECS`, all of a batch's sends
/// run at once) by this much, which covers marking the rows afterwards.
const LEASE_MARGIN: Duration = Duration::from_secs(60);

/// The running sender; `stop` ends it.
pub struct MailSender {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    /// How long `stop` waits for sends in flight.
    grace: Duration,
}

struct Worker {
    db: Database,
    outbox: Outbox,
    transport: Transport,
    from: Mailbox,
    policy: RetryPolicy,
    timeout: Duration,
    lease: Duration,
    metrics: MailMetrics,
}

/// Starts this instance's sender on the current runtime. `db` is its own
/// pool (two connections are plenty).
pub fn spawn(
    db: Database,
    outbox: Outbox,
    transport: Transport,
    settings: &MailSettings,
    metrics: MailMetrics,
    dependency_timeout: Duration,
) -> MailSender {
    let worker = Arc::new(Worker {
        db,
        outbox,
        transport,
        from: settings.from.clone(),
        policy: RetryPolicy {
            max_delay: settings.retry_max_delay,
            window: settings.retry_window,
        },
        timeout: settings.timeout,
        lease: settings.timeout + LEASE_MARGIN,
        metrics,
    });
    let (stop, stopped) = watch::channel(false);
    MailSender {
        stop,
        task: tokio::spawn(worker.run(stopped)),
        // A send in flight, then marking it (a MySQL round trip or two).
        grace: settings.timeout + dependency_timeout * 2,
    }
}

impl MailSender {
    /// Stops claiming; a batch being sent finishes first (within the
    /// timeouts), so that what was sent is marked sent.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(self.grace, self.task).await.is_err() {
            abort.abort();
            log::warn!("the mail sender did not stop in time; unsent mail stays in the outbox");
        }
    }
}

impl Worker {
    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut depth_read: Option<Instant> = None;
        loop {
            if depth_read.is_none_or(|at| at.elapsed() >= DEPTH_INTERVAL) {
                self.read_depth().await;
                depth_read = Some(Instant::now());
            }
            let claimed = match outbox::claim_due(&self.db, self.lease, BATCH).await {
                Ok(claimed) => claimed,
                // Reported once by `Database::run`; the next poll retries.
                Err(DbError::Unavailable(_)) => Vec::new(),
                Err(error) => {
                    log::warn!("cannot claim mail from the outbox: {error}");
                    Vec::new()
                }
            };
            let found_some = !claimed.is_empty();
            join_all(claimed.into_iter().map(|mail| self.deliver(mail))).await;
            if *stopped.borrow() {
                return;
            }
            if found_some {
                // More may be due; the depth changed.
                depth_read = None;
                continue;
            }
            tokio::select! {
                () = self.outbox.wake.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = stopped.changed() => return,
            }
        }
    }

    async fn read_depth(&self) {
        match outbox::pending_count(&self.db).await {
            Ok(count) => self
                .metrics
                .pending
                .set(i64::try_from(count).unwrap_or(i64::MAX)),
            Err(error) => log::debug!("cannot read the outbox's depth: {error}"),
        }
    }

    /// Sends one claimed row and records what became of it. Never logs the
    /// address (nor a server's answer, which may quote it).
    async fn deliver(&self, claimed: ClaimedMail) {
        let began = Instant::now();
        let Some(mail) = &claimed.mail else {
            // A newer version's row: one of its instances will send it.
            self.try_again(&claimed, began, "this version cannot read it")
                .await;
            return;
        };
        let message = match self.compose(&claimed, mail) {
            Ok(message) => message,
            Err(reason) => {
                self.give_up(&claimed, &reason).await;
                return;
            }
        };
        match self.transport.send(message, self.timeout).await {
            Ok(delivered) => {
                outage::MAIL.answered();
                self.sent(&claimed, delivered).await;
            }
            Err(reason) => {
                outage::MAIL.failed(&reason);
                self.try_again(&claimed, began, &reason).await;
            }
        }
    }

    fn compose(
        &self,
        claimed: &ClaimedMail,
        mail: &OutgoingMail,
    ) -> Result<lettre::Message, String> {
        let rendered = match (mail.kind(), mail.link()) {
            (MailKind::Link(kind), Some(link)) => {
                let link = self
                    .outbox
                    .sealer
                    .open(link, mail.to())
                    .map_err(|error| error.to_string())?;
                message::with_link(kind, mail.details(), &link)
            }
            (MailKind::Notice(kind), _) => message::notice(kind, mail.details()),
            (MailKind::Link(_), None) => return Err("its link is missing".to_owned()),
        };
        message::build(&self.from, mail.to(), self.message_id(claimed), rendered)
    }

    /// `<row id>.<when it was written>@<MAIL_FROM's domain>`: unique to the
    /// row, the same on every try.
    fn message_id(&self, claimed: &ClaimedMail) -> String {
        let written = claimed
            .created_at
            .as_utc()
            .assume_utc()
            .unix_timestamp_nanos()
            / 1000;
        format!("<{}.{written}@{}>", claimed.id, self.from.email.domain())
    }

    async fn sent(&self, claimed: &ClaimedMail, delivered: Delivered) {
        self.metrics
            .sent
            .with_label_values(&[claimed.kind.as_str()])
            .inc();
        match delivered {
            Delivered::Smtp => log::info!("sent mail {} ({})", claimed.id, claimed.kind),
            Delivered::File(path) => log::info!(
                "wrote mail {} ({}) to {}",
                claimed.id,
                claimed.kind,
                path.display()
            ),
        }
        if let Err(error) = outbox::mark_sent(&self.db, claimed.id).await {
            // Its lease runs out and it is sent again: the one duplicate
            // the contract allows.
            log::warn!(
                "mail {} ({}) was sent but cannot be marked so: {error}",
                claimed.id,
                claimed.kind
            );
        }
    }

    async fn try_again(&self, claimed: &ClaimedMail, began: Instant, reason: &str) {
        let age = claimed.age + began.elapsed();
        match self.policy.after_failure(claimed.tries, age) {
            NextTry::After(delay) => {
                log::debug!(
                    "mail {} ({}) not sent on try {}, again in {} s: {reason}",
                    claimed.id,
                    claimed.kind,
                    claimed.tries,
                    delay.as_secs()
                );
                if let Err(error) = outbox::retry_after(&self.db, claimed.id, delay).await {
                    // The lease runs out and it is tried again then.
                    log::warn!("cannot reschedule mail {}: {error}", claimed.id);
                }
            }
            NextTry::GiveUp => self.give_up(claimed, reason).await,
        }
    }

    async fn give_up(&self, claimed: &ClaimedMail, reason: &str) {
        self.metrics
            .failed
            .with_label_values(&[claimed.kind.as_str()])
            .inc();
        log::warn!(
            "gave up on mail {} ({}) after {} tries: {reason}",
            claimed.id,
            claimed.kind,
            claimed.tries
        );
        if let Err(error) = outbox::mark_failed(&self.db, claimed.id).await {
            log::warn!("cannot mark mail {} failed: {error}", claimed.id);
        }
    }
}
