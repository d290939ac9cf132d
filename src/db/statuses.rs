//! The `statuses` table.

use mysql_async::prelude::*;
use time::PrimitiveDateTime;

use super::{Database, DbError};
use crate::domain::{PageRequest, Status, StatusId, StatusPage, StatusText, Timestamp};

/// `user_id` is NULL: the account was deleted (`ER_BAD_NULL_ERROR`).
const ER_BAD_NULL: u16 = 1048;

/// Stores a status of a live account; `None` when the account is deleted
/// (a request that authenticated just before the deletion). The account
/// row is read in the same statement, so a status is either refused or
/// written before the account row goes, and then purged with it (the
/// purge's last batch and the foreign key's cascade see to that).
pub async fn insert(
    db: &Database,
    user_id: u64,
    text: &StatusText,
) -> Result<Option<Status>, DbError> {
    let created_at = Timestamp::now();
    let id = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            // One row from VALUES, so InnoDB treats it as a simple insert
            // (INSERT … SELECT would take the table's AUTO-INC lock for the
            // whole statement, serialising every writer: half the
            // throughput). A deleted account's id reads as NULL, which
            // user_id refuses.
            let inserted = conn
                .exec_drop(
                    "INSERT INTO statuses (user_id, text, created_at) VALUES \
                     ((SELECT id FROM users WHERE id = ? AND deleted_at IS NULL), ?, ?)",
                    (user_id, text.as_str(), created_at.as_utc()),
                )
                .await;
            match inserted {
                Err(mysql_async::Error::Server(error)) if error.code == ER_BAD_NULL => Ok(None),
                Err(error) => Err(error),
                Ok(()) => Ok(Some(conn.last_insert_id())),
            }
        })
        .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let id = id.ok_or(DbError::Unexpected("INSERT returned no id"))?;
    Ok(Some(Status {
        id,
        text: text.as_str().to_owned(),
        created_at,
    }))
}

/// Deletes one of the user's statuses; `false` when there is no such
/// status or it is another user's (the caller cannot tell which).
pub async fn delete(db: &Database, user_id: u64, id: StatusId) -> Result<bool, DbError> {
    let deleted = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            conn.exec_drop(
                "DELETE FROM statuses WHERE id = ? AND user_id = ?",
                (id.get(), user_id),
            )
            .await?;
            Ok(conn.affected_rows())
        })
        .await?;
    Ok(deleted == 1)
}

/// The user's statuses older than the cursor, newest first. One row more
/// than the page is read to learn, in the same round trip, whether an older
/// page exists.
///
/// The index is forced: when the cursor leaves much of a user's history
/// newer than it, MariaDB's optimizer otherwise reads the index from the
/// user's newest status down to the cursor, a cost that grows with the
/// history, instead of seeking straight to the cursor.
pub async fn page(
    db: &Database,
    user_id: u64,
    request: PageRequest,
) -> Result<StatusPage, DbError> {
    let (before, rows) = (request.ids_below(), request.rows_to_read());
    let items: Vec<Status> = db
        .run(|pool| async move {
            pool.get_conn()
                .await?
                .exec_map(
                    "SELECT id, text, created_at FROM statuses \
                     FORCE INDEX (statuses_user_newest) \
                     WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
                    (user_id, before, rows),
                    |(id, text, created_at): (u64, String, PrimitiveDateTime)| Status {
                        id,
                        text,
                        created_at: Timestamp::from_utc(created_at),
                    },
                )
                .await
        })
        .await?;
    let (items, next_before) = request.cut(items, |status| status.id);
    Ok(StatusPage { items, next_before })
}
