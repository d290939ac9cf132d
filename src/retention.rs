//! Security events are kept `SECURITY_EVENT_DAYS`: every instance runs one
//! task that deletes older ones about once an hour. Instances need not
//! agree on who prunes: deleting in short batches is safe when several do
//! it at once, and the second finds little left to delete.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::db::{Database, DbError, security_events};
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
        }
    })
}

/// Deletes every security event older than `retention`; how many went.
pub async fn prune(db: &Database, retention: Duration) -> Result<u64, DbError> {
    security_events::delete_older_than(db, Timestamp::now().before(retention)).await
}
