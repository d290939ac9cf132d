//! What handlers and middleware share: one [`ApiContext`] per worker, the
//! only application state (realworld-axum-sqlx's `ApiContext`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::db::Database;
use crate::domain::TokenLifetimes;
use crate::hashing::PasswordHasher;
use crate::mail::Outbox;
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
    /// This instance's running exports, shared by its workers.
    pub exports: ExportSlots,
    /// `REQUIRE_VERIFIED_EMAIL`: `/addStatus` refuses unverified accounts.
    pub require_verified_email: bool,
    /// Sealed links for mail, and the sender to wake once mail is enqueued.
    pub outbox: Outbox,
    /// How long each kind of mailed token can be used.
    pub token_lifetimes: TokenLifetimes,
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

/// Exports one instance streams at once (`GET /me/export`): each holds a
/// client connection and, a page at a time, a MySQL connection.
pub const MAX_CONCURRENT_EXPORTS: usize = 4;

/// The exports running on this instance, shared by its workers.
#[derive(Clone)]
pub struct ExportSlots(Arc<Semaphore>);

impl Default for ExportSlots {
    fn default() -> Self {
        Self(Arc::new(Semaphore::new(MAX_CONCURRENT_EXPORTS)))
    }
}

impl ExportSlots {
    /// A slot, given back when dropped; `None` when every one is taken.
    pub fn take(&self) -> Option<OwnedSemaphorePermit> {
        Arc::clone(&self.0).try_acquire_owned().ok()
    }
}
