//! Dependency outages, logged once when they begin and once when they end
//! rather than on every request that meets them. A flapping dependency
//! (timeouts between successes) is reported at most once per
//! `REPORT_INTERVAL_MS`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::domain::Timestamp;

const REPORT_INTERVAL_MS: u64 = 30_000;

pub struct Dependency {
    name: &'static str,
    /// What the service does meanwhile, for the log.
    meanwhile: &'static str,
    down: AtomicBool,
    /// Whether the current outage was reported, so its end is too.
    reported: AtomicBool,
    last_report_ms: AtomicU64,
}

pub static MYSQL: Dependency = Dependency::new("MySQL", ANSWERING_503);
pub static REDIS: Dependency = Dependency::new("Redis", ANSWERING_503);
/// The mail server (or the `file:` folder): no request waits on it.
pub static MAIL: Dependency = Dependency::new("The mail server", "messages wait in the outbox");

const ANSWERING_503: &str = "answering 503";

impl Dependency {
    const fn new(name: &'static str, meanwhile: &'static str) -> Self {
        Self {
            name,
            meanwhile,
            down: AtomicBool::new(false),
            reported: AtomicBool::new(false),
            last_report_ms: AtomicU64::new(0),
        }
    }

    /// A request could not reach the dependency.
    pub fn failed(&self, reason: &dyn std::fmt::Display) {
        if self.down.swap(true, Ordering::Relaxed) {
            return;
        }
        let now = Timestamp::unix_millis_now();
        let last = self.last_report_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= REPORT_INTERVAL_MS
            && self
                .last_report_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.reported.store(true, Ordering::Relaxed);
            log::error!(
                "{} is unavailable, {} until it is back: {reason}",
                self.name,
                self.meanwhile
            );
        }
    }

    /// A request reached the dependency.
    pub fn answered(&self) {
        // Read before writing: every request lands here, and a write from
        // each worker would bounce the flag's cache line between cores.
        if self.down.load(Ordering::Relaxed)
            && self.down.swap(false, Ordering::Relaxed)
            && self.reported.swap(false, Ordering::Relaxed)
        {
            log::info!("{} is back", self.name);
        }
    }
}
