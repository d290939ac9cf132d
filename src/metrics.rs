//! Prometheus metrics, served only on `METRICS_ADDR` (off by default, and
//! never on the public listener): requests by route and status with latency
//! histograms (actix-web-prom), pool use, password hashing, sessions
//! begun and ended, and the mail outbox.

use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use actix_web::{HttpResponse, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{
    Encoder, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::redis_pool::RedisPool;

const NAMESPACE: &str = "status_api";

/// Sessions begun, by how: `login`, `register`, `password-changed` or
/// `password-reset` (the new session of the browser that changed or reset
/// the password).
pub static SESSIONS_BEGUN: LazyLock<IntCounterVec> = LazyLock::new(|| {
    IntCounterVec::new(
        Opts::new(
            "sessions_begun_total",
            "Sessions begun, by login, registration, password change or reset",
        )
        .namespace(NAMESPACE),
        &["how"],
    )
    .unwrap_or_else(|error| unreachable!("a valid metric: {error}"))
});

/// Sessions ended, by how: `logout` or `revoked` by their owner,
/// `evicted` past `MAX_SESSIONS_PER_USER`, `password-changed` or
/// `password-reset` (every session of an account whose password changed
/// or was reset).
pub static SESSIONS_ENDED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    IntCounterVec::new(
        Opts::new(
            "sessions_ended_total",
            "Sessions ended by logout, revocation, eviction, password change or reset",
        )
        .namespace(NAMESPACE),
        &["how"],
    )
    .unwrap_or_else(|error| unreachable!("a valid metric: {error}"))
});

/// MySQL operations holding or waiting for a pooled connection, all
/// workers together (mysql_async exposes no pool statistics of its own).
pub static MYSQL_IN_FLIGHT: LazyLock<IntGauge> = LazyLock::new(|| {
    IntGauge::with_opts(
        Opts::new(
            "mysql_operations_in_flight",
            "MySQL operations using or waiting for a connection",
        )
        .namespace(NAMESPACE),
    )
    .unwrap_or_else(|error| unreachable!("a valid metric: {error}"))
});

/// One instance's bcrypt work: hashes running now, the most that ever ran
/// at once, and how many began. Per instance rather than process-wide, so
/// that each instance reports its own bound.
#[derive(Clone)]
pub struct HashingGauges {
    running: IntGauge,
    peak: IntGauge,
    begun: IntCounter,
    /// Makes "count one more, then raise the peak" one step.
    peak_update: Arc<Mutex<()>>,
}

/// A hash counted as running until this is dropped.
pub struct RunningHash(IntGauge);

impl Drop for RunningHash {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl HashingGauges {
    pub fn new() -> Self {
        let gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help).namespace(NAMESPACE))
                .unwrap_or_else(|error| unreachable!("a valid metric: {error}"))
        };
        Self {
            running: gauge(
                "password_hashes_running",
                "bcrypt hashes and verifications running now",
            ),
            peak: gauge(
                "password_hashes_running_max",
                "The most bcrypt hashes and verifications that ran at once",
            ),
            begun: IntCounter::with_opts(
                Opts::new(
                    "password_hashes_total",
                    "bcrypt hashes and verifications begun",
                )
                .namespace(NAMESPACE),
            )
            .unwrap_or_else(|error| unreachable!("a valid metric: {error}")),
            peak_update: Arc::default(),
        }
    }

    /// A hash begins; it counts as running until the guard is dropped.
    pub fn begin(&self) -> RunningHash {
        let _serialised = self
            .peak_update
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.begun.inc();
        self.running.inc();
        if self.running.get() > self.peak.get() {
            self.peak.set(self.running.get());
        }
        RunningHash(self.running.clone())
    }

    /// Hashes running now, as `/metrics` reports them.
    pub fn running(&self) -> i64 {
        self.running.get()
    }

    /// Hashes begun so far, as `/metrics` reports them.
    pub fn begun(&self) -> u64 {
        self.begun.get()
    }

    fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.running.clone()))?;
        registry.register(Box::new(self.peak.clone()))?;
        registry.register(Box::new(self.begun.clone()))
    }
}

impl Default for HashingGauges {
    fn default() -> Self {
        Self::new()
    }
}

/// One instance's mail: the outbox's depth as its sender last read it, and
/// the messages it sent or gave up, by kind. Per instance, as the hashing
/// gauges are.
#[derive(Clone)]
pub struct MailMetrics {
    pub pending: IntGauge,
    pub sent: IntCounterVec,
    pub failed: IntCounterVec,
}

impl MailMetrics {
    pub fn new() -> Self {
        let by_kind = |name: &str, help: &str| {
            IntCounterVec::new(Opts::new(name, help).namespace(NAMESPACE), &["kind"])
                .unwrap_or_else(|error| unreachable!("a valid metric: {error}"))
        };
        Self {
            pending: IntGauge::with_opts(
                Opts::new(
                    "mail_outbox_pending",
                    "Messages in the outbox not yet sent nor given up (all instances')",
                )
                .namespace(NAMESPACE),
            )
            .unwrap_or_else(|error| unreachable!("a valid metric: {error}")),
            sent: by_kind("mail_sent_total", "Messages this instance sent, by kind"),
            failed: by_kind(
                "mail_failed_total",
                "Messages this instance gave up on, by kind",
            ),
        }
    }

    fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.pending.clone()))?;
        registry.register(Box::new(self.sent.clone()))?;
        registry.register(Box::new(self.failed.clone()))
    }
}

impl Default for MailMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// One instance's session cache (see `session::cache`): reads answered
/// from copies or from Redis, copies Redis said changed, every copy dropped
/// at once, and whether Redis keeps them exact now.
#[derive(Clone)]
pub struct CacheMetrics {
    pub hits: IntCounter,
    pub misses: IntCounter,
    pub invalidations: IntCounter,
    pub flushes: IntCounter,
    pub tracking: IntGauge,
}

impl Default for CacheMetrics {
    fn default() -> Self {
        let counter = |name: &str, help: &str| {
            IntCounter::with_opts(Opts::new(name, help).namespace(NAMESPACE))
                .unwrap_or_else(|error| unreachable!("a valid metric: {error}"))
        };
        Self {
            hits: counter(
                "session_cache_hits_total",
                "Session reads answered from this instance's copies",
            ),
            misses: counter(
                "session_cache_misses_total",
                "Session reads that went to Redis",
            ),
            invalidations: counter(
                "session_cache_invalidations_total",
                "Copies dropped because Redis said their session changed",
            ),
            flushes: counter(
                "session_cache_flushes_total",
                "Times every copy was dropped: the tracking channel broke or went silent, or Redis was flushed",
            ),
            tracking: IntGauge::with_opts(
                Opts::new(
                    "session_cache_tracking",
                    "1 while Redis keeps this instance's copies exact, else 0",
                )
                .namespace(NAMESPACE),
            )
            .unwrap_or_else(|error| unreachable!("a valid metric: {error}")),
        }
    }
}

impl CacheMetrics {
    fn register(&self, registry: &Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.hits.clone()))?;
        registry.register(Box::new(self.misses.clone()))?;
        registry.register(Box::new(self.invalidations.clone()))?;
        registry.register(Box::new(self.flushes.clone()))?;
        registry.register(Box::new(self.tracking.clone()))
    }
}

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    http: PrometheusMetrics,
    redis_pool: IntGaugeVec,
    redis: RedisPool,
}

impl Metrics {
    pub fn new(
        redis: RedisPool,
        mysql_pool_max: usize,
        hashing: &HashingGauges,
        mail: &MailMetrics,
        session_cache: Option<&CacheMetrics>,
    ) -> anyhow::Result<Self> {
        let registry = Registry::new();
        let http = PrometheusMetricsBuilder::new(NAMESPACE)
            .registry(registry.clone())
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        let redis_pool = IntGaugeVec::new(
            Opts::new(
                "redis_pool_connections",
                "deadpool-redis connections by state",
            )
            .namespace(NAMESPACE),
            &["state"],
        )?;
        let mysql_max = IntGauge::with_opts(
            Opts::new("mysql_pool_max_connections", "DATABASE_POOL_MAX").namespace(NAMESPACE),
        )?;
        mysql_max.set(i64::try_from(mysql_pool_max).unwrap_or(i64::MAX));
        registry.register(Box::new(redis_pool.clone()))?;
        registry.register(Box::new(mysql_max))?;
        registry.register(Box::new(MYSQL_IN_FLIGHT.clone()))?;
        registry.register(Box::new(SESSIONS_BEGUN.clone()))?;
        registry.register(Box::new(SESSIONS_ENDED.clone()))?;
        hashing.register(&registry)?;
        mail.register(&registry)?;
        if let Some(session_cache) = session_cache {
            session_cache.register(&registry)?;
        }
        Ok(Self {
            registry,
            http,
            redis_pool,
            redis,
        })
    }

    /// The middleware that records every request of the public app.
    pub fn http(&self) -> PrometheusMetrics {
        self.http.clone()
    }

    /// The text exposition, with the pool gauges read at scrape time.
    pub fn render(&self) -> anyhow::Result<String> {
        if let Some(status) = self.redis.status() {
            for (state, value) in [
                ("open", status.size),
                ("idle", status.available),
                ("waiting", status.waiting),
            ] {
                self.redis_pool
                    .with_label_values(&[state])
                    .set(i64::try_from(value).unwrap_or(i64::MAX));
            }
        }
        let mut text = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut text)?;
        Ok(String::from_utf8(text)?)
    }
}

pub async fn scrape(metrics: web::Data<Metrics>) -> HttpResponse {
    match metrics.render() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(text),
        Err(error) => {
            log::error!("cannot render metrics: {error:#}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_the_most_hashes_that_ran_at_once() {
        let gauges = HashingGauges::new();
        let first = gauges.begin();
        let second = gauges.begin();
        drop((first, second));
        let _third = gauges.begin();
        assert_eq!(gauges.running(), 1);
        assert_eq!(gauges.peak.get(), 2);
        assert_eq!(gauges.begun(), 3);
    }
}
