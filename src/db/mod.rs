//! Data access: one module per table, every wait bounded by
//! `DEPENDENCY_TIMEOUT_MS` (mysql_async has no acquire or connect timeout).

pub mod account_purge;
pub mod migrations;
pub mod outbox;
pub mod security_events;
pub mod statuses;
pub mod tokens;
pub mod users;

use std::future::Future;
use std::time::Duration;

use mysql_async::prelude::Queryable;

use crate::outage;
use mysql_async::{Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts};

/// MySQL error codes that mean "not now" rather than "never".
const ER_DUP_ENTRY: u16 = 1062;
const TRANSIENT_SERVER_ERRORS: &[u16] = &[
    1040, // too many connections
    1053, // server shutdown in progress
    1205, // lock wait timeout
    1213, // deadlock
    2006, // server has gone away
    2013, // lost connection during query
];

/// How long an idle pooled connection is kept before it is closed.
const IDLE_CONNECTION_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// MySQL is unreachable, too slow or overloaded: worth retrying later.
    #[error("MySQL unavailable: {0}")]
    Unavailable(String),
    /// A unique key refused the row.
    #[error("duplicate key")]
    Duplicate,
    /// MySQL answered something this code does not expect: a bug, not an
    /// outage.
    #[error("unexpected answer from MySQL: {0}")]
    Unexpected(&'static str),
    #[error("MySQL error: {0}")]
    Other(mysql_async::Error),
}

impl From<mysql_async::Error> for DbError {
    fn from(error: mysql_async::Error) -> Self {
        match &error {
            mysql_async::Error::Server(server) if server.code == ER_DUP_ENTRY => Self::Duplicate,
            mysql_async::Error::Server(server)
                if TRANSIENT_SERVER_ERRORS.contains(&server.code) =>
            {
                Self::Unavailable(error.to_string())
            }
            mysql_async::Error::Io(_) | mysql_async::Error::Driver(_) => {
                Self::Unavailable(error.to_string())
            }
            _ => Self::Other(error),
        }
    }
}

/// A connection pool for one runtime.
///
/// actix-web runs one single-threaded runtime per worker, and a mysql_async
/// `Pool` must not straddle runtimes (its connections belong to the reactor
/// that opened them), so every worker builds its own `Database` with an
/// equal share of `DATABASE_POOL_MAX`.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    timeout: Duration,
}

impl Database {
    /// Builds the pool without connecting: connections open on first use.
    pub fn new(opts: &Opts, max_connections: usize, timeout: Duration) -> Self {
        let constraints = PoolConstraints::new(0, max_connections.max(1))
            .unwrap_or_else(|| unreachable!("0 <= max"));
        // Resetting a connection on its way back to the pool would also empty
        // its prepared-statement cache, costing a prepare per query. No query
        // here leaves session state behind, so there is nothing to reset.
        // Without an inactive TTL, mysql_async keeps only `min` idle
        // connections (here none) and closes every other one handed back.
        let pool_opts = PoolOpts::default()
            .with_constraints(constraints)
            .with_inactive_connection_ttl(IDLE_CONNECTION_TTL)
            .with_reset_connection(false);
        let opts = OptsBuilder::from_opts(opts.clone()).pool_opts(pool_opts);
        Self {
            pool: Pool::new(opts),
            timeout,
        }
    }

    /// Runs `work` against the pool, giving up after the dependency timeout.
    pub async fn run<T, F, Fut>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, mysql_async::Error>>,
    {
        crate::metrics::MYSQL_IN_FLIGHT.inc();
        let outcome = tokio::time::timeout(self.timeout, work(self.pool.clone())).await;
        crate::metrics::MYSQL_IN_FLIGHT.dec();
        let outcome = match outcome {
            Ok(result) => result.map_err(DbError::from),
            Err(_) => Err(DbError::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        };
        match &outcome {
            Err(DbError::Unavailable(reason)) => outage::MYSQL.failed(reason),
            _ => outage::MYSQL.answered(),
        }
        outcome
    }

    /// Runs `statement`, a `DELETE … LIMIT ?` whose parameters are
    /// `before` and the batch size, until a run deletes fewer than `batch`
    /// rows; how many went. Each statement commits by itself, so it holds
    /// few locks for little time, and several instances may run it at once:
    /// rows another deleted first are simply not found again.
    pub async fn delete_in_batches(
        &self,
        statement: &'static str,
        before: mysql_async::Value,
        batch: u64,
    ) -> Result<u64, DbError> {
        let mut deleted = 0;
        loop {
            let before = before.clone();
            let run = self
                .run(|pool| async move {
                    let mut conn = pool.get_conn().await?;
                    conn.exec_drop(statement, (before, batch)).await?;
                    Ok(conn.affected_rows())
                })
                .await?;
            deleted += run;
            if run < batch {
                return Ok(deleted);
            }
        }
    }

    /// One round trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.run(|pool| async move { pool.get_conn().await?.query_drop("DO 1").await })
            .await
    }
}
