//! Where Redis is: one server (`REDIS_URL`) or a Redis Cluster
//! (`REDIS_CLUSTER_URLS`), and a connection to either that the rest of the
//! service uses alike.
//!
//! On a cluster the redis crate's `ClusterConnection` keeps one multiplexed
//! connection per node, routes each command by its key's slot, follows
//! `MOVED` and `ASK`, and refreshes its slot map when a node fails. What it
//! cannot know is our deadline: every command on it is bounded here by the
//! dependency timeout, so a slot whose primary is gone answers `503` in
//! time while the other slots go on.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use anyhow::Context;
use redis::aio::ConnectionLike;
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, ResponsePolicy, Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr,
};
use redis::{Arg, Cmd, FromRedisValue, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::config::Settings;
use crate::domain::Timestamp;
use crate::tls;

/// Redirects (`MOVED`, `ASK`) and waits (`TRYAGAIN` while a slot migrates,
/// `CLUSTERDOWN` during a failover) a cluster command may go through; the
/// dependency timeout cuts them short anyway.
const CLUSTER_RETRIES: u32 = 25;
/// Waits between such retries, in ms: short, since a migrating key moves
/// in milliseconds, and the timeout, not the count, bounds the whole.
const CLUSTER_RETRY_WAIT_MS: (u64, u64) = (5, 100);

/// The slots of a Redis Cluster.
const SLOTS: u16 = 16384;

#[derive(Clone)]
pub enum RedisTarget {
    Node(redis::Client),
    Cluster(ClusterClient),
}

impl RedisTarget {
    /// The cluster when `REDIS_CLUSTER_URLS` names one, else `REDIS_URL`;
    /// with `REDIS_CA_FILE`, TLS trusts that CA.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let ca_file = settings.redis_ca_file.as_deref();
        if settings.redis_cluster_urls.is_empty() {
            return Ok(Self::Node(tls::redis_client(&settings.redis_url, ca_file)?));
        }
        // The response timeout bounds a whole request, its redirects and
        // its waits for a migrating slot included. Connecting is bounded
        // more tightly: opening a connection connects to every node, and an
        // unreachable one should not take the request's whole time. (A hung
        // one, which accepts but never answers, still can: connections are
        // opened as the service starts, not on a request.)
        let mut builder = ClusterClientBuilder::new(settings.redis_cluster_urls.clone())
            .connection_timeout(settings.dependency_timeout / 4)
            .response_timeout(settings.dependency_timeout)
            .retries(CLUSTER_RETRIES)
            .min_retry_wait(CLUSTER_RETRY_WAIT_MS.0)
            .max_retry_wait(CLUSTER_RETRY_WAIT_MS.1);
        if let Some(certificates) = tls::redis_certificates(ca_file)? {
            builder = builder.certs(certificates);
        }
        Ok(Self::Cluster(
            builder.build().context("REDIS_CLUSTER_URLS")?,
        ))
    }
}

/// A cluster connection whose every command is bounded by `timeout`, and
/// which opens itself anew when a command times out.
///
/// The redis crate refreshes its slot map on `MOVED` and on a refused or
/// reset connection, but a command that times out is only retried on the
/// same node. A primary that hangs, or is cut off without a reset, would
/// keep its slots' requests failing after its replica has taken over; a
/// new connection reads the slot map as the cluster now has it.
#[derive(Clone)]
pub struct TimedCluster(Arc<ClusterState>);

struct ClusterState {
    client: ClusterClient,
    timeout: Duration,
    connection: RwLock<ClusterConnection>,
    /// When a new connection was last asked for (ms since the Unix epoch).
    last_reopen_ms: AtomicU64,
}

/// Timeouts in a row reopen the connection once per this many ms at most.
const REOPEN_INTERVAL_MS: u64 = 1000;

impl TimedCluster {
    /// Connects to the cluster (reads its slot map from a seed node).
    pub async fn connect(client: &ClusterClient, timeout: Duration) -> anyhow::Result<Self> {
        let connection = open(client, timeout).await?;
        Ok(Self(Arc::new(ClusterState {
            client: client.clone(),
            timeout,
            connection: RwLock::new(connection),
            last_reopen_ms: AtomicU64::new(0),
        })))
    }

    async fn bounded<T, Fut>(&self, work: impl FnOnce(ClusterConnection) -> Fut) -> RedisResult<T>
    where
        Fut: Future<Output = RedisResult<T>>,
    {
        let connection = self
            .0
            .connection
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let outcome = tokio::time::timeout(self.0.timeout, work(connection))
            .await
            .unwrap_or_else(|_| Err(timed_out(self.0.timeout)));
        if outcome.as_ref().is_err_and(RedisError::is_timeout) {
            self.reopen_soon();
        }
        outcome
    }

    /// Opens a new connection in the background and uses it once it is
    /// open; meanwhile, and if it fails, the old one goes on.
    fn reopen_soon(&self) {
        let now = Timestamp::unix_millis_now();
        let last = self.0.last_reopen_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) < REOPEN_INTERVAL_MS
            || self
                .0
                .last_reopen_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let state = self.0.clone();
        tokio::spawn(async move {
            match open(&state.client, state.timeout).await {
                Ok(connection) => {
                    *state
                        .connection
                        .write()
                        .unwrap_or_else(PoisonError::into_inner) = connection;
                }
                Err(error) => {
                    log::warn!("could not reopen the Redis Cluster connection: {error:#}")
                }
            }
        });
    }
}

/// Opening waits for every seed node, then for every node of the slot
/// map, each within the timeout: a hung node costs one timeout per step.
async fn open(client: &ClusterClient, timeout: Duration) -> anyhow::Result<ClusterConnection> {
    let within = timeout * 3;
    tokio::time::timeout(within, client.get_async_connection())
        .await
        .map_err(|_| anyhow::anyhow!("no cluster connection within {} ms", within.as_millis()))?
        .map_err(anyhow::Error::from)
}

/// A connection to one Redis server (`N`, whatever kind its user keeps) or
/// to the cluster.
pub enum RedisConnection<N> {
    Node(N),
    Cluster(TimedCluster),
}

impl<N: ConnectionLike + Send> RedisConnection<N> {
    /// Sends `cmd`, which names no key but acts on the keys of one node
    /// (`SCAN`, `ROLE`, `WAIT`), to the primary of `key`'s slot; on one
    /// server, to that server.
    pub async fn query_on_node_of<T: FromRedisValue>(
        &mut self,
        key: &str,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::new(
            slot_of(key),
            SlotAddr::Master,
        )));
        self.routed(cmd, route).await
    }

    /// Whether Redis answers: the server, or any primary of the cluster
    /// (a cluster missing one primary still serves the other slots).
    pub async fn ping(&mut self) -> RedisResult<()> {
        self.routed::<Value>(&redis::cmd("PING"), any_primary())
            .await
            .map(drop)
    }

    async fn routed<T: FromRedisValue>(&mut self, cmd: &Cmd, route: RoutingInfo) -> RedisResult<T> {
        match self {
            Self::Node(connection) => cmd.query_async(connection).await,
            Self::Cluster(cluster) => {
                let value = cluster
                    .bounded(
                        |mut connection| async move { connection.route_command(cmd, route).await },
                    )
                    .await?;
                T::from_redis_value(&value)
            }
        }
    }
}

impl<N: ConnectionLike + Send> ConnectionLike for RedisConnection<N> {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Node(connection) => connection.req_packed_command(cmd),
            // SCRIPT LOAD goes to every primary, as the crate sends it, but
            // one that answers is enough: the node that lacked the script is
            // sent it before the script's retry on the same connection, and
            // one primary unreachable (its own slots down) must not take the
            // other slots' scripts down with it.
            Self::Cluster(cluster) => Box::pin(cluster.bounded(move |mut connection| async move {
                if is_script_load(cmd) {
                    connection.route_command(cmd, any_primary()).await
                } else {
                    connection.req_packed_command(cmd).await
                }
            })),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Node(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(cluster) => Box::pin(cluster.bounded(move |mut connection| async move {
                connection
                    .req_packed_commands(pipeline, offset, count)
                    .await
            })),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Node(connection) => connection.get_db(),
            Self::Cluster(_) => 0,
        }
    }
}

/// Every primary, answered by the first that succeeds.
fn any_primary() -> RoutingInfo {
    RoutingInfo::MultiNode((
        MultipleNodeRoutingInfo::AllMasters,
        Some(ResponsePolicy::OneSucceeded),
    ))
}

/// Whether `cmd` is `SCRIPT LOAD`, which the redis crate sends when a node
/// answers `NOSCRIPT` (a node restarted, or a replica just promoted).
fn is_script_load(cmd: &Cmd) -> bool {
    let mut args = cmd.args_iter();
    matches!(
        (args.next(), args.next()),
        (Some(Arg::Simple(first)), Some(Arg::Simple(second)))
            if first.eq_ignore_ascii_case(b"SCRIPT") && second.eq_ignore_ascii_case(b"LOAD")
    )
}

fn timed_out(timeout: Duration) -> RedisError {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("no answer within {} ms", timeout.as_millis()),
    )
    .into()
}

/// The cluster slot of `key`: the CRC16 of its hash tag (the part between
/// the first `{` and the next `}`, when not empty), else of the whole key.
pub fn slot_of(key: &str) -> u16 {
    let key = key.as_bytes();
    let hashed = key
        .iter()
        .position(|&byte| byte == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            let close = rest.iter().position(|&byte| byte == b'}')?;
            Some(&rest[..close]).filter(|tag| !tag.is_empty())
        })
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(hashed) % SLOTS
}

#[cfg(test)]
mod tests {
    use super::slot_of;

    #[test]
    fn slots_are_those_redis_computes() {
        // Each from `CLUSTER KEYSLOT` on Redis 7.0.
        for (key, slot) in [
            ("foo", 12182),
            ("{user:7}", 2780),
            ("status-api:{user:7}:session:ab", 2780),
            ("{user1000}.following", 3443),
            ("user1000", 3443),
            ("{}key", 14961),
            ("key", 12539),
            ("{user:7", 1426),
            ("a{}b{user:9}", 12119),
        ] {
            assert_eq!(slot_of(key), slot, "{key}");
        }
    }
}
