//! What handlers and middleware share: one [`ApiContext`] per worker, the
//! only application state (realworld-axum-sqlx's `ApiContext`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::db::Database;
use crate::hashing::PasswordHasher;
use crate::protection::{AllowedOrigins, RateLimiter, TrustedProxies};
use crate::redis_pool::RedisPool;
use crate::session::{CookieSettings, RedisSessionStore, SessionPolicy};

pub struct ApiContext {
    /// This worker's MySQL pool.
    pub db: Database,
    pub redis: RedisPool,
    pub hasher: PasswordHasher,
    pub limiter: RateLimiter,
    /// The session store on this worker's Redis connection.
    pub sessions: RedisSessionStore,
    pub session_policy: SessionPolicy,
    pub cookie: CookieSettings,
    pub readiness: Readiness,
    /// `BODY_LIMIT_BYTES`.
    pub body_limit: usize,
    pub trusted_proxies: TrustedProxies,
    pub allowed_origins: AllowedOrigins,
}

/// Turns `/readyz` to 503 once shutdown has begun.
#[derive(Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub fn start_draining(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn draining(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
