//! actix-session's storage, on Redis, with two guarantees its own Redis store
//! lacks: a session whose key is gone (logged out, revoked, expired) is never
//! written back, and no session outlives `SESSION_LIFETIME_SECS`.

use std::collections::HashMap;
use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use anyhow::anyhow;
use rand::Rng;
use rand::distr::Alphanumeric;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, ExistenceCheck, SetExpiry, SetOptions};

use super::{BEGAN_MS, now_ms};

type SessionState = HashMap<String, String>;

/// 64 alphanumeric characters: about 381 bits of entropy.
const KEY_LENGTH: usize = 64;

#[derive(Clone)]
pub struct RedisSessionStore {
    redis: ConnectionManager,
    key_prefix: String,
    lifetime: Duration,
}

impl RedisSessionStore {
    pub fn new(redis: ConnectionManager, redis_prefix: &str, lifetime: Duration) -> Self {
        Self {
            redis,
            key_prefix: format!("{redis_prefix}session:"),
            lifetime,
        }
    }

    fn redis_key(&self, key: &SessionKey) -> String {
        format!("{}{}", self.key_prefix, key.as_ref())
    }

    /// The idle TTL, cut to what is left of the session's lifetime; `None`
    /// when nothing is left.
    fn capped_ttl_ms(&self, state: &SessionState, idle: &CookieDuration) -> Option<u64> {
        let idle_ms = u64::try_from(idle.whole_milliseconds()).unwrap_or(0);
        let remaining_ms = match state.get(BEGAN_MS).and_then(|v| v.parse::<u64>().ok()) {
            Some(began) => {
                let ends = began
                    .saturating_add(u64::try_from(self.lifetime.as_millis()).unwrap_or(u64::MAX));
                ends.saturating_sub(now_ms())
            }
            None => idle_ms,
        };
        Some(idle_ms.min(remaining_ms)).filter(|ttl| *ttl > 0)
    }

    async fn set(
        &self,
        key: &str,
        state: &SessionState,
        ttl_ms: u64,
        check: ExistenceCheck,
    ) -> anyhow::Result<bool> {
        let body = serde_json::to_string(state)?;
        let options = SetOptions::default()
            .conditional_set(check)
            .with_expiration(SetExpiry::PX(ttl_ms));
        let written: Option<String> = self.redis.clone().set_options(key, body, options).await?;
        Ok(written.is_some())
    }

    async fn remove(&self, key: &SessionKey) -> anyhow::Result<()> {
        let _: u64 = self.redis.clone().del(self.redis_key(key)).await?;
        Ok(())
    }
}

fn new_session_key() -> Result<SessionKey, SaveError> {
    let key: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(KEY_LENGTH)
        .map(char::from)
        .collect();
    SessionKey::try_from(key).map_err(|error| SaveError::Other(error.into()))
}

impl SessionStore for RedisSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let body: Option<String> = self
            .redis
            .clone()
            .get(self.redis_key(key))
            .await
            .map_err(|error| LoadError::Other(error.into()))?;
        // State that does not parse is no session at all, never an error page.
        Ok(body.and_then(|body| serde_json::from_str(&body).ok()))
    }

    async fn save(
        &self,
        state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let key = new_session_key()?;
        let Some(ttl_ms) = self.capped_ttl_ms(&state, ttl) else {
            return Ok(key);
        };
        let written = self
            .set(&self.redis_key(&key), &state, ttl_ms, ExistenceCheck::NX)
            .await
            .map_err(SaveError::Other)?;
        if written {
            Ok(key)
        } else {
            Err(SaveError::Other(anyhow!("a fresh session key collided")))
        }
    }

    async fn update(
        &self,
        key: SessionKey,
        state: SessionState,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        // Only the idle clock changes a live session here, and the response
        // is already made: a failed write must not turn it into an error.
        // The session then ends a little sooner, nothing worse.
        let outcome = match self.capped_ttl_ms(&state, ttl) {
            // XX: if the key is gone, the session ended; leave it ended.
            Some(ttl_ms) => self
                .set(&self.redis_key(&key), &state, ttl_ms, ExistenceCheck::XX)
                .await
                .map(drop),
            None => self.remove(&key).await,
        };
        if let Err(error) = outcome {
            log::warn!("could not extend a session's idle clock: {error:#}");
        }
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &CookieDuration) -> anyhow::Result<()> {
        let Some(state) = self.load(key).await? else {
            return Ok(());
        };
        match self.capped_ttl_ms(&state, ttl) {
            Some(ttl_ms) => {
                let ttl_ms = i64::try_from(ttl_ms)?;
                let _: bool = self
                    .redis
                    .clone()
                    .pexpire(self.redis_key(key), ttl_ms)
                    .await?;
                Ok(())
            }
            None => self.remove(key).await,
        }
    }

    async fn delete(&self, key: &SessionKey) -> anyhow::Result<()> {
        self.remove(key).await
    }
}
