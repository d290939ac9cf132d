//! The `statuses` table.

use mysql_async::prelude::*;
use time::PrimitiveDateTime;

use super::{Database, DbError};
use crate::domain::{PageRequest, Status, StatusId, StatusPage, StatusText, Timestamp};

/// Stores a status of a live account; `None` when the account is deleted
/// (a request that authenticated just before the deletion). The account
/// row is read in the same statement, under a shared lock, so either the
/// status is written before the deletion (and purged with the account) or
/// it is not written at all.
pub async fn insert(
    db: &Database,
    user_id: u64,
    text: &StatusText,
) -> Result<Option<Status>, DbError> {
    let created_at = Timestamp::now();
    let id = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            conn.exec_drop(
                "INSERT INTO statuses (user_id, text, created_at) \
                 SELECT id, ?, ? FROM users WHERE id = ? AND deleted_at IS NULL",
                (text.as_str(), created_at.as_utc(), user_id),
            )
            .await?;
            Ok((conn.affected_rows() == 1).then(|| conn.last_insert_id()))
        })
        .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    let id = id.ok_or_else(|| DbError::Unavailable("INSERT returned no id".to_owned()))?;
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
