//! The `statuses` table.

use mysql_async::prelude::*;
use time::PrimitiveDateTime;

use super::{Database, DbError};
use crate::domain::{PageRequest, Status, StatusId, StatusPage, StatusText, Timestamp};

/// `user_id` names no account row: the account is deleted and purged
/// (`ER_NO_REFERENCED_ROW_2`).
const ER_NO_REFERENCED_ROW: u16 = 1452;

/// Stores a status; `None` when the account is gone (a request that
/// authenticated just before a deletion). It is stored while the account
/// is a tombstone: the purge deletes it with the account's other statuses
/// (its last batch, then the foreign key's cascade), which the contract
/// allows. Checking the tombstone here instead would read the users row in
/// every insert, for a race that lasts milliseconds.
pub async fn insert(
    db: &Database,
    user_id: u64,
    text: &StatusText,
) -> Result<Option<Status>, DbError> {
    let created_at = Timestamp::now();
    let id = db
        .run(|pool| async move {
            let mut conn = pool.get_conn().await?;
            let inserted = conn
                .exec_drop(
                    "INSERT INTO statuses (user_id, text, created_at) VALUES (?, ?, ?)",
                    (user_id, text.as_str(), created_at.as_utc()),
                )
                .await;
            match inserted {
                Err(mysql_async::Error::Server(error)) if error.code == ER_NO_REFERENCED_ROW => {
                    Ok(None)
                }
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
