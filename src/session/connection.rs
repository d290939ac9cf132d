//! The session store's Redis connection: one multiplexed connection per
//! actix worker, opened on that worker's runtime.
//!
//! A multiplexed connection does its I/O in a task on the runtime that
//! opened it. Opened once at startup, every worker's commands would hop to
//! the main thread and back, two cross-thread wake-ups per command; opened
//! by each worker, a command never leaves its thread.
//!
//! A connection that broke while nobody used it (Redis restarted during a
//! quiet spell) is only noticed by the next command, which the manager
//! fails while it reconnects. So a command that fails because its
//! connection is gone is sent once more, on the fresh connection: see
//! [`RecoveringConnection`].

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};
use tokio::sync::OnceCell;

#[derive(Clone)]
pub struct SessionConnection {
    client: redis::Client,
    timeout: Duration,
    connection: Arc<OnceCell<ConnectionManager>>,
}

impl SessionConnection {
    /// Fails fast when Redis does not answer; workers then open their own
    /// connections (`for_this_worker`).
    pub async fn check(client: redis::Client, timeout: Duration) -> anyhow::Result<Self> {
        let checked = Self {
            client,
            timeout,
            connection: Arc::default(),
        };
        checked.get().await?;
        Ok(checked.for_this_worker())
    }

    /// The same Redis, with a connection of its own opened on first use.
    pub fn for_this_worker(&self) -> Self {
        Self {
            client: self.client.clone(),
            timeout: self.timeout,
            connection: Arc::default(),
        }
    }

    /// The connection, opened on first use. It reconnects by itself, and
    /// every command on it is bounded by the dependency timeout.
    pub async fn get(&self) -> anyhow::Result<RecoveringConnection> {
        let connection = self
            .connection
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(self.timeout)
                    .set_response_timeout(self.timeout)
                    .set_number_of_retries(1);
                let connect = ConnectionManager::new_with_config(self.client.clone(), config);
                tokio::time::timeout(self.timeout, connect)
                    .await
                    .map_err(|_| anyhow!("no answer within {} ms", self.timeout.as_millis()))?
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(RecoveringConnection(connection.clone()))
    }
}

/// The worker's connection, sending a command a second time (on the
/// connection the manager has opened meanwhile) when the first attempt
/// failed because the connection was gone.
///
/// Every command of the session store may run twice: reads, and scripts
/// that leave Redis as one run would (the same state written, the same
/// keys deleted), but for ending every session of a user, which then moves
/// its epoch on twice: that refuses no session it should not but the one a
/// password change begins after it, whose browser then logs in again.
/// After an outage the first attempt was never sent at all (its connection
/// had closed before). Timeouts are never retried: Redis
/// may be slow rather than gone, and the command may still run.
pub struct RecoveringConnection(ConnectionManager);

impl ConnectionLike for RecoveringConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            match self.0.send_packed_command(cmd).await {
                Err(error) if connection_lost(&error) => self.0.send_packed_command(cmd).await,
                outcome => outcome,
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            match self.0.send_packed_commands(pipeline, offset, count).await {
                Err(error) if connection_lost(&error) => {
                    self.0.send_packed_commands(pipeline, offset, count).await
                }
                outcome => outcome,
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }
}

/// Whether `error` says the connection is gone (closed, reset, refused),
/// as opposed to Redis answering with an error or answering too late.
fn connection_lost(error: &RedisError) -> bool {
    error.is_io_error() && error.is_unrecoverable_error()
}
