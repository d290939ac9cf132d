//! What is no longer kept, deleted in the background by every instance:
//!
//! - Security events are kept `SECURITY_EVENT_DAYS`: one task deletes older
//!   ones about once an hour. Instances need not agree on who prunes:
//!   deleting in short batches is safe when several do it at once, and the
//!   second finds little left to delete.
//! - Mail: the same task deletes outbox rows sent or given up more than
//!   7 days ago (they lost their body when they were finished).
//! - Deleted accounts: one task purges their statuses and security events
//!   in short batches, then the account row (`db::account_purge`). Each
//!   account is leased to one instance at a time; one that stops mid-way
//!   is taken over when its lease runs out, so a restart resumes the work.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::{Database, DbError, account_purge, outbox, security_events};
use crate::domain::Timestamp;

/// How often an instance prunes.
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// The first pruning comes soon after start, once the instance is serving,
/// so that a fleet restarted more often than hourly still prunes.
pub const FIRST_PRUNE_AFTER: Duration = Duration::from_secs(30);

/// Starts this instance's pruning task on the current runtime, with a
/// pool of its own (one connection at most, idle between runs).
pub fn spawn_pruning(db: Database, retention: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        tokio::time::sleep(FIRST_PRUNE_AFTER).await;
        let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match prune(&db, retention).await {
                Ok(0) => {}
                Ok(deleted) => log::info!("pruned {deleted} security events past retention"),
                // The next run picks up where this one stopped.
                Err(error) => log::warn!("could not prune security events: {error}"),
            }
            match prune_mail(&db).await {
                Ok(0) => {}
                Ok(deleted) => log::info!("pruned {deleted} finished mail outbox rows"),
                Err(error) => log::warn!("could not prune the mail outbox: {error}"),
            }
        }
    })
}

/// Deletes every security event older than `retention`; how many went.
pub async fn prune(db: &Database, retention: Duration) -> Result<u64, DbError> {
    security_events::delete_older_than(db, Timestamp::now().before(retention)).await
}

/// Deletes outbox rows finished (sent or given up) more than 7 days ago;
/// how many went.
pub async fn prune_mail(db: &Database) -> Result<u64, DbError> {
    outbox::delete_finished(db).await
}

/// How often an instance looks for deleted accounts to purge, while it
/// finds none.
pub const PURGE_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Starts this instance's purging of deleted accounts on the current
/// runtime, with a pool of its own.
pub fn spawn_account_purge(db: Database) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PURGE_POLL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match purge_deleted_accounts(&db, account_purge::PURGE_BATCH).await {
                Ok(0) => {}
                Ok(purged) => log::info!("purged {purged} deleted account(s)"),
                // The lease runs out and the next run (here or elsewhere)
                // carries on.
                Err(error) => log::warn!("could not purge deleted accounts: {error}"),
            }
        }
    })
}

/// Purges every deleted account no other instance is purging, `batch`
/// rows per statement; how many accounts are gone.
pub async fn purge_deleted_accounts(db: &Database, batch: u64) -> Result<u64, DbError> {
    let mut purged = 0;
    while let Some(user_id) = account_purge::claim_next(db).await? {
        while account_purge::delete_batch(db, user_id, batch).await? > 0 {}
        account_purge::delete_account_row(db, user_id).await?;
        log::info!("purged deleted user {user_id}");
        purged += 1;
    }
    Ok(purged)
}
