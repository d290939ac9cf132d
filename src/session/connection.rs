//! The session store's Redis connection: one multiplexed connection per
//! actix worker, opened on that worker's runtime (on a cluster, one cluster
//! connection per worker, which multiplexes per node).
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

use crate::redis_target::{RedisConnection, RedisTarget, TimedCluster};

/// The store's connection: on one server, the worker's recovering one; on
/// a cluster, a cluster connection.
pub type SessionRedis = RedisConnection<RecoveringConnection>;

#[derive(Clone)]
pub struct SessionConnection {
    target: RedisTarget,
    timeout: Duration,
    connection: Arc<OnceCell<SessionRedisHandle>>,
    /// On a cluster, the connection that writes ending sessions go
    /// through: one per instance, shared by its workers, used for nothing
    /// else (see [`SessionConnection::replicated`]).
    ending: Arc<OnceCell<TimedCluster>>,
}

#[derive(Clone)]
enum SessionRedisHandle {
    Node(ConnectionManager),
    Cluster(TimedCluster),
}

impl SessionConnection {
    /// Fails fast when Redis does not answer; workers then open their own
    /// connections (`for_this_worker`).
    pub async fn check(target: RedisTarget, timeout: Duration) -> anyhow::Result<Self> {
        let checked = Self {
            target,
            timeout,
            connection: Arc::default(),
            ending: Arc::default(),
        };
        checked.get().await?;
        // Opened now rather than at the first logout: opening a cluster
        // connection waits for every node, and a hung one would then turn
        // that logout into a 503.
        checked.for_ending().await?;
        Ok(checked.for_this_worker())
    }

    /// The same Redis, with a connection of its own opened on first use
    /// (and, on a cluster, the instance's connection for ending sessions).
    pub fn for_this_worker(&self) -> Self {
        Self {
            target: self.target.clone(),
            timeout: self.timeout,
            connection: Arc::default(),
            ending: self.ending.clone(),
        }
    }

    /// The connection, opened on first use. It reconnects by itself, and
    /// every command on it is bounded by the dependency timeout.
    pub async fn get(&self) -> anyhow::Result<SessionRedis> {
        let handle = self
            .connection
            .get_or_try_init(|| async {
                match &self.target {
                    RedisTarget::Node(client) => anyhow::Ok(SessionRedisHandle::Node(
                        self.connect_node(client.clone()).await?,
                    )),
                    RedisTarget::Cluster(client) => Ok(SessionRedisHandle::Cluster(
                        TimedCluster::connect(client, self.timeout).await?,
                    )),
                }
            })
            .await?;
        Ok(match handle {
            SessionRedisHandle::Node(manager) => {
                RedisConnection::Node(RecoveringConnection(manager.clone()))
            }
            SessionRedisHandle::Cluster(cluster) => RedisConnection::Cluster(cluster.clone()),
        })
    }

    /// Bounds `work`, which may send several commands, as a whole by the
    /// dependency timeout: each of them is bounded alone.
    pub async fn within_timeout<T>(
        &self,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| anyhow!("no answer within {} ms", self.timeout.as_millis()))?
    }

    /// Whether writes that end sessions wait for replicas: on a cluster.
    pub fn waits_for_replicas(&self) -> bool {
        matches!(self.target, RedisTarget::Cluster(_))
    }

    /// The connection for writes that end sessions: the worker's on one
    /// server, the instance's own for them on a cluster.
    pub async fn for_ending(&self) -> anyhow::Result<SessionRedis> {
        let RedisTarget::Cluster(client) = &self.target else {
            return self.get().await;
        };
        let ending = self
            .ending
            .get_or_try_init(|| TimedCluster::connect(client, self.timeout))
            .await?;
        Ok(RedisConnection::Cluster(ending.clone()))
    }

    /// Returns once every connected replica of the primary of `key`'s slot
    /// holds what was written through [`for_ending`](Self::for_ending), so
    /// that no failover brings an ended session back; an error when they
    /// do not confirm within the dependency timeout. Nothing to wait for
    /// on one server.
    ///
    /// `WAIT` counts the writes made on its own connection, and blocks it
    /// meanwhile: hence one connection per primary for these writes alone,
    /// through which a retried logout, whose delete finds nothing left to
    /// delete, still waits for the first one's.
    pub async fn replicated(&self, key: &str) -> anyhow::Result<()> {
        if !self.waits_for_replicas() {
            return Ok(());
        }
        let mut ending = self.for_ending().await?;
        let (_, _, replicas): (String, u64, Vec<Value>) =
            ending.query_on_node_of(key, &redis::cmd("ROLE")).await?;
        // Short of the dependency timeout, which bounds every command, by
        // more than Redis's timer resolution (100 ms at its default hz).
        let wait_ms = self.timeout.as_millis() * 3 / 4;
        let confirmed: usize = ending
            .query_on_node_of(
                key,
                redis::cmd("WAIT").arg(replicas.len()).arg(wait_ms as u64),
            )
            .await?;
        if confirmed < replicas.len() {
            return Err(anyhow!(
                "{confirmed} of {} replicas confirmed the end of a session within {wait_ms} ms",
                replicas.len()
            ));
        }
        Ok(())
    }

    async fn connect_node(&self, client: redis::Client) -> anyhow::Result<ConnectionManager> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let connect = ConnectionManager::new_with_config(client, config);
        tokio::time::timeout(self.timeout, connect)
            .await
            .map_err(|_| anyhow!("no answer within {} ms", self.timeout.as_millis()))?
            .map_err(anyhow::Error::from)
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
