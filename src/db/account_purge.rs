//! Purging deleted accounts: each is claimed by one instance at a time
//! with a lease (taken under `FOR UPDATE SKIP LOCKED` in a short
//! transaction, and renewed with every batch), and its rows are deleted in
//! short batches, each statement committing by itself, so that a user with
//! a million statuses holds no long lock. All the state is in MySQL: after a
//! crash or a restart, another instance (or the same one) takes the account
//! over once the lease has run out, and carries on where it stopped.

use std::time::Duration;

use mysql_async::TxOpts;
use mysql_async::prelude::*;

use super::{Database, DbError};

/// Rows one purging statement deletes.
pub const PURGE_BATCH: u64 = 1000;

/// How long a claim lasts without being renewed: far longer than one batch
/// takes, so only an instance that stopped loses it.
pub const LEASE: Duration = Duration::from_secs(60);

/// The tables that hold an account's rows, each keyed by `user_id`.
const OWNED_TABLES: [&str; 2] = ["statuses", "security_events"];

/// Claims a deleted account that no live lease holds; its id.
pub async fn claim_next(db: &Database) -> Result<Option<u64>, DbError> {
    db.run(|pool| async move {
        let mut conn = pool.get_conn().await?;
        let mut transaction = conn.start_transaction(TxOpts::default()).await?;
        let found: Option<u64> = transaction
            .exec_first(
                "SELECT id FROM users \
                 WHERE deleted_at IS NOT NULL \
                 AND (purge_lease_until IS NULL OR purge_lease_until < UTC_TIMESTAMP(6)) \
                 ORDER BY deleted_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                (),
            )
            .await?;
        if let Some(id) = found {
            transaction
                .exec_drop(
                    "UPDATE users SET purge_lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND \
                     WHERE id = ?",
                    (LEASE.as_secs(), id),
                )
                .await?;
        }
        transaction.commit().await?;
        Ok(found)
    })
    .await
}

/// Deletes up to `batch` of the claimed account's rows, the first table
/// that still has some first, and renews the lease; how many rows went (0:
/// none are left, the account row can go).
pub async fn delete_batch(db: &Database, user_id: u64, batch: u64) -> Result<u64, DbError> {
    for table in OWNED_TABLES {
        let deleted = db
            .run(|pool| async move {
                let mut conn = pool.get_conn().await?;
                conn.exec_drop(
                    format!("DELETE FROM {table} WHERE user_id = ? LIMIT ?"),
                    (user_id, batch),
                )
                .await?;
                let deleted = conn.affected_rows();
                conn.exec_drop(
                    "UPDATE users SET purge_lease_until = UTC_TIMESTAMP(6) + INTERVAL ? SECOND \
                     WHERE id = ?",
                    (LEASE.as_secs(), user_id),
                )
                .await?;
                Ok(deleted)
            })
            .await?;
        if deleted > 0 {
            return Ok(deleted);
        }
    }
    Ok(0)
}

/// Deletes the account row once its rows are gone. The foreign keys
/// cascade to any row written since the last batch (a request that began
/// before the deletion), so none is left behind; and once the row is gone,
/// such a write fails.
pub async fn delete_account_row(db: &Database, user_id: u64) -> Result<(), DbError> {
    db.run(|pool| async move {
        pool.get_conn()
            .await?
            .exec_drop(
                "DELETE FROM users WHERE id = ? AND deleted_at IS NOT NULL",
                (user_id,),
            )
            .await
    })
    .await
}
