//! The `mail_outbox` table: a message is written in the transaction of the
//! change that causes it (`enqueue`), claimed by one instance's sender at a
//! time with a lease (`claim_due`: `FOR UPDATE SKIP LOCKED` in a short
//! transaction committed before any SMTP exchange), and then marked sent,
//! retried later or failed. A sent or failed row loses its body at once
//! and is deleted 7 days later. Every time is MySQL's clock, so instances
//! whose clocks differ agree on what is due.

use std::time::Duration;

use mysql_async::prelude::*;
use mysql_async::{IsolationLevel, Transaction, TxOpts};
use time::PrimitiveDateTime;

use super::{Database, DbError};
use crate::domain::{MailDetails, MailKind, OutgoingMail, SealedLink, Timestamp};

/// How long a sent or failed row is kept, without its body.
pub const KEEP_FINISHED: Duration = Duration::from_secs(7 * 86_400);

/// Rows one pruning statement deletes.
pub const PRUNE_BATCH: u64 = 1000;

/// Sets every column of a message's body to NULL, and the lease with it.
const WITHOUT_BODY: &str = "recipient = NULL, name = NULL, requested_at = NULL, ip = NULL, \
                            user_agent = NULL, sealed_link = NULL, lease_until = NULL, \
                            finished_at = UTC_TIMESTAMP(6)";

/// Writes `mail` inside the caller's transaction, due at once: it is in
/// the outbox exactly when the change that causes it is committed.
pub async fn enqueue(
    transaction: &mut Transaction<'_>,
    mail: &OutgoingMail,
) -> Result<(), mysql_async::Error> {
    let details = mail.details();
    transaction
        .exec_drop(
            "INSERT INTO mail_outbox \
             (kind, recipient, name, requested_at, ip, user_agent, sealed_link, \
              created_at, next_attempt_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
            (
                mail.kind().as_str(),
                mail.to(),
                details.name.as_str(),
                details.requested_at.as_utc(),
                details.ip.as_str(),
                details.user_agent.as_str(),
                mail.link().map(SealedLink::as_bytes),
            ),
        )
        .await
}

/// A row this instance now holds until its lease runs out.
pub struct ClaimedMail {
    pub id: u64,
    /// The row's `kind` as stored, for the log.
    pub kind: String,
    /// What to send; `None` when this version cannot read the row (a kind
    /// only a newer version knows, say).
    pub mail: Option<OutgoingMail>,
    /// Tries so far, this one included.
    pub tries: u32,
    pub created_at: Timestamp,
    /// How long ago the row was written, when it was claimed.
    pub age: Duration,
}

type ClaimedRow = (
    u64,
    String,
    Option<String>,
    Option<String>,
    Option<PrimitiveDateTime>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    u32,
    PrimitiveDateTime,
    i64,
);

/// Claims up to `limit` rows that are due and that no live lease holds,
/// for `lease`, counting a try for each. The transaction commits before
/// this returns: no lock is held while the messages are sent, and rows
/// another instance is claiming at the same moment are skipped, not waited
/// for.
pub async fn claim_due(
    db: &Database,
    lease: Duration,
    limit: u32,
) -> Result<Vec<ClaimedMail>, DbError> {
    let rows: Vec<ClaimedRow> = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            // READ COMMITTED: the locking read takes the due rows' locks
            // and no gap locks. Under REPEATABLE READ it locked the gaps of
            // the due index, where every request that mails inserts its
            // row, and such a request lost the deadlock with a 503.
            let mut options = TxOpts::default();
            options.with_isolation_level(IsolationLevel::ReadCommitted);
            let mut transaction = conn.start_transaction(options).await?;
            let rows: Vec<ClaimedRow> = transaction
                .exec(
                    "SELECT id, kind, recipient, name, requested_at, ip, user_agent, sealed_link, \
                     attempts + 1, created_at, \
                     TIMESTAMPDIFF(MICROSECOND, created_at, UTC_TIMESTAMP(6)) \
                     FROM mail_outbox \
                     WHERE state = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(6) \
                     AND (lease_until IS NULL OR lease_until <= UTC_TIMESTAMP(6)) \
                     ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED",
                    (limit,),
                )
                .await?;
            if !rows.is_empty() {
                let placeholders = vec!["?"; rows.len()].join(", ");
                let mut params: Vec<mysql_async::Value> = vec![lease.as_secs().into()];
                params.extend(rows.iter().map(|row| row.0.into()));
                transaction
                    .exec_drop(
                        format!(
                            "UPDATE mail_outbox \
                             SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, \
                             attempts = attempts + 1 WHERE id IN ({placeholders})"
                        ),
                        params,
                    )
                    .await?;
            }
            transaction.commit().await?;
            Ok(rows)
        })
        .await?;
    Ok(rows.into_iter().map(claimed).collect())
}

fn claimed(row: ClaimedRow) -> ClaimedMail {
    let (id, kind, recipient, name, requested_at, ip, user_agent, link, tries, created_at, age) =
        row;
    let mail = match (
        MailKind::parse(&kind),
        recipient,
        name,
        requested_at,
        ip,
        user_agent,
    ) {
        (Some(parsed), Some(to), Some(name), Some(requested_at), Some(ip), Some(user_agent)) => {
            let details = MailDetails {
                name,
                requested_at: Timestamp::from_utc(requested_at),
                ip,
                user_agent,
            };
            match (parsed, link) {
                (MailKind::Notice(notice), None) => {
                    Some(OutgoingMail::notice(notice, &to, details))
                }
                (MailKind::Link(kind), Some(bytes)) => Some(OutgoingMail::with_link(
                    SealedLink::from_bytes(kind, bytes),
                    &to,
                    details,
                )),
                _ => None,
            }
        }
        _ => None,
    };
    ClaimedMail {
        id,
        kind,
        mail,
        tries,
        created_at: Timestamp::from_utc(created_at),
        age: Duration::from_micros(u64::try_from(age).unwrap_or(0)),
    }
}

/// The message went: its body goes, the row stays a while as a record.
pub async fn mark_sent(db: &Database, id: u64) -> Result<(), DbError> {
    finish(db, id, "sent").await
}

/// Given up: the body goes as it does once sent.
pub async fn mark_failed(db: &Database, id: u64) -> Result<(), DbError> {
    finish(db, id, "failed").await
}

async fn finish(db: &Database, id: u64, state: &'static str) -> Result<(), DbError> {
    db.run(|pool| async move {
        pool.get_conn()
            .await?
            .exec_drop(
                format!(
                    "UPDATE mail_outbox SET state = ?, {WITHOUT_BODY} \
                     WHERE id = ? AND state = 'pending'"
                ),
                (state, id),
            )
            .await
    })
    .await
}

/// Due again `delay` from now, and free for any instance to claim then.
pub async fn retry_after(db: &Database, id: u64, delay: Duration) -> Result<(), DbError> {
    db.run(|pool| async move {
        pool.get_conn()
            .await?
            .exec_drop(
                "UPDATE mail_outbox \
                 SET next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND, lease_until = NULL \
                 WHERE id = ? AND state = 'pending'",
                (delay.as_secs(), id),
            )
            .await
    })
    .await
}

/// Messages not yet sent nor given up: the outbox's depth.
pub async fn pending_count(db: &Database) -> Result<u64, DbError> {
    let count: Option<u64> = db
        .run(|pool| async move {
            pool.get_conn()
                .await?
                .query_first("SELECT COUNT(*) FROM mail_outbox WHERE state = 'pending'")
                .await
        })
        .await?;
    Ok(count.unwrap_or(0))
}

/// Deletes rows finished longer than `KEEP_FINISHED` ago, `PRUNE_BATCH`
/// per statement; how many went. Several instances may run this at once.
pub async fn delete_finished(db: &Database) -> Result<u64, DbError> {
    db.delete_in_batches(
        "DELETE FROM mail_outbox \
         WHERE finished_at < UTC_TIMESTAMP(6) - INTERVAL ? SECOND LIMIT ?",
        KEEP_FINISHED.as_secs().into(),
        PRUNE_BATCH,
    )
    .await
}
