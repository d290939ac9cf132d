//! Dependency outages, logged once when they begin and once when they end
//! rather than on every request that meets them.

use std::sync::atomic::{AtomicBool, Ordering};

pub struct Dependency {
    name: &'static str,
    down: AtomicBool,
}

pub static MYSQL: Dependency = Dependency::new("MySQL");
pub static REDIS: Dependency = Dependency::new("Redis");

impl Dependency {
    const fn new(name: &'static str) -> Self {
        Self {
            name,
            down: AtomicBool::new(false),
        }
    }

    /// A request could not reach the dependency.
    pub fn failed(&self, reason: &dyn std::fmt::Display) {
        if !self.down.swap(true, Ordering::Relaxed) {
            log::error!(
                "{} is unavailable, answering 503 until it is back: {reason}",
                self.name
            );
        }
    }

    /// A request reached the dependency.
    pub fn answered(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            log::info!("{} is back", self.name);
        }
    }
}
