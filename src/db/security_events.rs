//! The `security_events` table: written with the change an event records
//! (in its transaction where there is one), read a page at a time by the
//! account's owner, and pruned past `SECURITY_EVENT_DAYS`.

use mysql_async::Transaction;
use mysql_async::prelude::*;
use time::PrimitiveDateTime;

use super::{Database, DbError};
use crate::domain::{
    EventOrigin, PageRequest, SecurityEvent, SecurityEventKind, SecurityEventPage, Timestamp,
};

/// Rows one pruning statement deletes: short statements hold few locks, so
/// instances pruning at once, and the requests writing events meanwhile,
/// wait on each other only briefly.
pub const PRUNE_BATCH: u64 = 1000;

const INSERT: &str = "INSERT INTO security_events (user_id, type, at, ip, user_agent) VALUES ";
const ROW: &str = "(?, ?, ?, ?, ?)";

/// Records an event inside the caller's transaction, so that it is stored
/// exactly when the change it records is (a registration, a password
/// change).
pub async fn record_in(
    transaction: &mut Transaction<'_>,
    user_id: u64,
    kind: SecurityEventKind,
    origin: &EventOrigin,
) -> Result<(), mysql_async::Error> {
    transaction
        .exec_drop(format!("{INSERT}{ROW}"), row(user_id, kind, origin))
        .await
}

/// Records an event right after a change that has no transaction of its
/// own (a login, a logout: those live in Redis).
pub async fn record(
    db: &Database,
    user_id: u64,
    kind: SecurityEventKind,
    origin: &EventOrigin,
) -> Result<(), DbError> {
    record_times(db, user_id, kind, origin, 1).await
}

/// Records `count` alike events in one statement (one per session that a
/// request ended, say).
pub async fn record_times(
    db: &Database,
    user_id: u64,
    kind: SecurityEventKind,
    origin: &EventOrigin,
    count: usize,
) -> Result<(), DbError> {
    if count == 0 {
        return Ok(());
    }
    let statement = format!("{INSERT}{}", vec![ROW; count].join(", "));
    let params: Vec<mysql_async::Value> = (0..count)
        .flat_map(|_| row(user_id, kind, origin))
        .collect();
    db.run(|pool| async move { pool.get_conn().await?.exec_drop(statement, params).await })
        .await
}

fn row(user_id: u64, kind: SecurityEventKind, origin: &EventOrigin) -> Vec<mysql_async::Value> {
    vec![
        user_id.into(),
        kind.as_str().into(),
        Timestamp::now().as_utc().into(),
        origin.ip().into(),
        origin.user_agent().into(),
    ]
}

/// The user's events older than the cursor, newest first.
pub async fn page(
    db: &Database,
    user_id: u64,
    request: PageRequest,
) -> Result<SecurityEventPage, DbError> {
    let (before, rows) = (request.ids_below(), request.rows_to_read());
    let rows: Vec<(u64, String, PrimitiveDateTime, String, String)> = db
        .run(|pool| async move {
            pool.get_conn()
                .await?
                .exec(
                    "SELECT id, type, at, ip, user_agent FROM security_events \
                     FORCE INDEX (security_events_user_newest) \
                     WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                    (user_id, before, rows),
                )
                .await
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|(id, kind, at, ip, user_agent)| {
            Ok(SecurityEvent {
                id,
                kind: SecurityEventKind::parse(&kind)
                    .ok_or(DbError::Unexpected("an unknown security event type"))?,
                at: Timestamp::from_utc(at),
                ip,
                user_agent,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let (items, next_before) = request.cut(items, |event| event.id);
    Ok(SecurityEventPage { items, next_before })
}

/// Deletes every event from before `cutoff`, `PRUNE_BATCH` rows per
/// statement; how many went. Several instances may run this at once.
pub async fn delete_older_than(db: &Database, cutoff: Timestamp) -> Result<u64, DbError> {
    db.delete_in_batches(
        "DELETE FROM security_events WHERE at < ? LIMIT ?",
        cutoff.as_utc().into(),
        PRUNE_BATCH,
    )
    .await
}
