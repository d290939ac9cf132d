//! The Redis keys an app wrote under its prefix: read by tests, deleted
//! when the app is dropped.

use std::time::Duration;

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use status_api::redis_target::RedisTarget;
use status_api::session::{RedisSessionStore, SessionConnection};

use super::app::TestApp;

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())
}

impl TestApp {
    pub async fn redis(&self) -> MultiplexedConnection {
        redis::Client::open(redis_url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to Redis")
    }

    /// A session store on this app's prefix, as an instance of the app has,
    /// for sessions that live `lifetime` at most.
    pub async fn session_store(&self, lifetime: Duration) -> RedisSessionStore {
        let client = redis::Client::open(redis_url()).expect("redis url");
        let connection =
            SessionConnection::check(RedisTarget::Node(client), Duration::from_secs(5))
                .await
                .expect("connect to Redis");
        RedisSessionStore::new(connection, &self.redis_prefix, lifetime, 50)
    }

    /// The Redis keys of this app's sessions (not the index, not limits).
    pub async fn session_keys(&self) -> Vec<String> {
        let mut keys = self.redis_keys().await;
        keys.retain(|key| key.contains(":session:"));
        keys
    }

    /// Every Redis key this app wrote.
    pub async fn redis_keys(&self) -> Vec<String> {
        keys_under(&mut self.redis().await, &self.redis_prefix)
            .await
            .expect("scan")
    }
}

/// Every key that starts with `prefix`.
async fn keys_under(
    redis: &mut MultiplexedConnection,
    prefix: &str,
) -> redis::RedisResult<Vec<String>> {
    let mut iter = redis.scan_match::<_, String>(format!("{prefix}*")).await?;
    let mut keys = Vec::new();
    while let Some(key) = iter.next_item().await {
        keys.push(key);
    }
    Ok(keys)
}

/// Deletes every key under `prefix`; a cleanup, so it gives up quietly.
pub async fn delete_keys(prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    let Ok(mut redis) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let Ok(keys) = keys_under(&mut redis, prefix).await else {
        return;
    };
    if !keys.is_empty() {
        let _: Result<u64, _> = redis.del(keys).await;
    }
}
