//! Redis connections of their own, from a deadpool pool, for work that
//! cannot share the sessions' multiplexed connection.

use std::time::Duration;

use std::future::Future;

use deadpool_redis::{Config, Connection, Pool, PoolConfig, Runtime, Timeouts};

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
        tokio::time::timeout(self.timeout, attempt)
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "Redis did not answer within {} ms",
                    self.timeout.as_millis()
                )
            })?
    }

    /// Builds the pool without connecting; every wait (for a free
    /// connection, a new one, or a health check of an old one) is bounded.
    pub fn new(url: &str, max_size: usize, timeout: Duration) -> anyhow::Result<Self> {
        let mut config = Config::from_url(url);
        config.pool = Some(PoolConfig {
            max_size,
            timeouts: Timeouts {
                wait: Some(timeout),
                create: Some(timeout),
                recycle: Some(timeout),
            },
            ..PoolConfig::default()
        });
        Ok(Self {
            pool: config.create_pool(Some(Runtime::Tokio1))?,
            timeout,
        })
    }
}
