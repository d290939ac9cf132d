//! Redis connections of their own, from a deadpool pool, for work that
//! cannot share the sessions' multiplexed connection.

use std::time::Duration;

use std::future::Future;

use deadpool_redis::{Connection, Manager, Pool, Runtime};

use crate::outage;

/// A Redis pool for work that needs a connection of its own, and the bound
/// on every wait for it.
#[derive(Clone)]
pub struct RedisPool {
    pool: Pool,
    timeout: Duration,
}

impl RedisPool {
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.run(
            |mut conn| async move { redis::cmd("PING").query_async::<String>(&mut conn).await },
        )
        .await
        .map(drop)
    }

    /// How many connections are open, idle, and waited for.
    pub fn status(&self) -> deadpool_redis::Status {
        self.pool.status()
    }

    /// Runs `work` on a pooled connection; the wait for the connection and
    /// the work together are bounded by the dependency timeout.
    pub async fn run<T, F, Fut>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(Connection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let conn = self.pool.get().await?;
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

    /// Builds the pool without connecting, on `client`'s address and TLS
    /// settings; every wait (for a free connection, a new one, or a health
    /// check of an old one) is bounded.
    pub fn new(client: &redis::Client, max_size: usize, timeout: Duration) -> anyhow::Result<Self> {
        let manager = Manager::new(client.get_connection_info().clone())?;
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()?;
        Ok(Self { pool, timeout })
    }
}
