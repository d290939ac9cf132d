//! The session store's Redis connection: one multiplexed connection per
//! actix worker, opened on that worker's runtime.
//!
//! A multiplexed connection does its I/O in a task on the runtime that
//! opened it. Opened once at startup, every worker's commands would hop to
//! the main thread and back, two cross-thread wake-ups per command; opened
//! by each worker, a command never leaves its thread.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
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
    pub async fn get(&self) -> anyhow::Result<ConnectionManager> {
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
        Ok(connection.clone())
    }
}
