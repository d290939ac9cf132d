//! Redis connections of their own, from a deadpool pool, for work that
//! cannot share the sessions' multiplexed connection.

use std::time::Duration;

use deadpool_redis::{Config, Pool, PoolConfig, Runtime, Timeouts};

/// A Redis pool for work that needs a connection of its own, and the bound
/// on every wait for it.
#[derive(Clone)]
pub struct RedisPool {
    pool: Pool,
    timeout: Duration,
}

impl RedisPool {
    pub async fn ping(&self) -> anyhow::Result<()> {
        let ping = async {
            let mut conn = self.pool.get().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await?;
            anyhow::Ok(())
        };
        tokio::time::timeout(self.timeout, ping).await?
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
