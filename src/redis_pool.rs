//! Redis connections for work that does not go through the session store
//! (limits, readiness): on one server, connections of their own from a
//! deadpool pool; on a cluster, one cluster connection per instance, which
//! multiplexes per node already.

use std::future::Future;
use std::time::Duration;

use deadpool_redis::{Connection, Manager, Pool, Runtime};

use crate::outage;
use crate::redis_target::{RedisConnection, RedisTarget, TimedCluster};

/// A pooled connection, or the cluster's.
pub type PooledConnection = RedisConnection<Connection>;

#[derive(Clone)]
enum Connections {
    Pool(Pool),
    Cluster(TimedCluster),
}

/// Redis for work that needs no session, and the bound on every wait for it.
#[derive(Clone)]
pub struct RedisPool {
    connections: Connections,
    timeout: Duration,
}

impl RedisPool {
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.run(|mut conn| async move { conn.ping().await }).await
    }

    /// How many pooled connections are open, idle, and waited for; `None`
    /// on a cluster, which keeps no pool.
    pub fn status(&self) -> Option<deadpool_redis::Status> {
        match &self.connections {
            Connections::Pool(pool) => Some(pool.status()),
            Connections::Cluster(_) => None,
        }
    }

    /// Runs `work` on a connection; the wait for the connection and the
    /// work together are bounded by the dependency timeout.
    pub async fn run<T, F, Fut>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(PooledConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let conn = match &self.connections {
                Connections::Pool(pool) => RedisConnection::Node(pool.get().await?),
                Connections::Cluster(cluster) => RedisConnection::Cluster(cluster.clone()),
            };
            anyhow::Ok(work(conn).await?)
        };
        let outcome = tokio::time::timeout(self.timeout, attempt)
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {} ms", self.timeout.as_millis()))
            .and_then(|result| result);
        match &outcome {
            Ok(_) => outage::REDIS.answered(),
            Err(error) => outage::REDIS.failed(error),
        }
        outcome
    }

    /// On one server, builds the pool without connecting; every wait (for
    /// a free connection, a new one, or a health check of an old one) is
    /// bounded. On a cluster, connects.
    pub async fn connect(
        target: &RedisTarget,
        max_size: usize,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let connections = match target {
            RedisTarget::Node(client) => {
                let manager = Manager::new(client.get_connection_info().clone())?;
                let pool = Pool::builder(manager)
                    .max_size(max_size)
                    .wait_timeout(Some(timeout))
                    .create_timeout(Some(timeout))
                    .recycle_timeout(Some(timeout))
                    .runtime(Runtime::Tokio1)
                    .build()?;
                Connections::Pool(pool)
            }
            RedisTarget::Cluster(client) => {
                Connections::Cluster(TimedCluster::connect(client, timeout).await?)
            }
        };
        Ok(Self {
            connections,
            timeout,
        })
    }
}
