//! Schema migrations, embedded in the binary and each applied once, in
//! order, recorded in `schema_migrations`: SQL files from `sql/`, and steps
//! in Rust for data changes SQL cannot express (IDNA, say).

mod normalise_emails;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context, bail};
use mysql_async::prelude::*;
use mysql_async::{Conn, Opts, Transaction, TxOpts};

struct Migration {
    version: u32,
    name: &'static str,
    change: Change,
}

enum Change {
    /// Schema changes. MariaDB commits DDL implicitly, so these run outside
    /// a transaction.
    Sql(&'static str),
    /// Data changes in Rust, run in one transaction with their record in
    /// `schema_migrations`: applied whole and once, or not at all.
    Rust(RustStep),
}

type RustStep = for<'t, 'c> fn(
    &'t mut Transaction<'c>,
) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 't>>;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "create_users",
        change: Change::Sql(include_str!("../../sql/0001_create_users.sql")),
    },
    Migration {
        version: 2,
        name: "create_statuses",
        change: Change::Sql(include_str!("../../sql/0002_create_statuses.sql")),
    },
    Migration {
        version: 3,
        name: "normalise_emails",
        change: Change::Rust(normalise_emails::run),
    },
    Migration {
        version: 4,
        name: "create_security_events",
        change: Change::Sql(include_str!("../../sql/0004_create_security_events.sql")),
    },
    Migration {
        version: 5,
        name: "mark_deleted_users",
        change: Change::Sql(include_str!("../../sql/0005_mark_deleted_users.sql")),
    },
    Migration {
        version: 6,
        name: "create_mail_outbox",
        change: Change::Sql(include_str!("../../sql/0006_create_mail_outbox.sql")),
    },
    Migration {
        version: 7,
        name: "add_email_verified_at",
        change: Change::Sql(include_str!("../../sql/0007_add_email_verified_at.sql")),
    },
    Migration {
        version: 8,
        name: "create_account_tokens",
        change: Change::Sql(include_str!("../../sql/0008_create_account_tokens.sql")),
    },
];

/// How long an instance waits for another one that is migrating the same
/// database.
const LOCK_WAIT_SECS: u32 = 60;

/// Applies pending migrations. Instances starting together take turns under
/// a named lock for this database, so each migration runs exactly once.
pub async fn run(opts: &Opts, connect_timeout: Duration) -> anyhow::Result<()> {
    run_through(opts, connect_timeout, u32::MAX).await
}

/// Applies pending migrations up to `last_version` only: a database as an
/// older release left it.
pub async fn run_through(
    opts: &Opts,
    connect_timeout: Duration,
    last_version: u32,
) -> anyhow::Result<()> {
    let mut conn = tokio::time::timeout(connect_timeout, Conn::new(opts.clone()))
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {} ms", connect_timeout.as_millis()))??;
    let locked: Option<Option<u8>> = conn
        .exec_first(
            "SELECT GET_LOCK(LEFT(CONCAT('status-api migrations ', DATABASE()), 64), ?)",
            (LOCK_WAIT_SECS,),
        )
        .await?;
    if locked.flatten() != Some(1) {
        bail!("another instance held the migration lock for {LOCK_WAIT_SECS} s");
    }
    let outcome = apply_pending(&mut conn, last_version).await;
    conn.query_drop("SELECT RELEASE_ALL_LOCKS()").await?;
    conn.disconnect().await?;
    outcome
}

async fn apply_pending(conn: &mut Conn, last_version: u32) -> anyhow::Result<()> {
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INT UNSIGNED NOT NULL PRIMARY KEY,
            name VARCHAR(255) NOT NULL,
            applied_at DATETIME(6) NOT NULL
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    )
    .await?;
    let applied: Vec<u32> = conn.query("SELECT version FROM schema_migrations").await?;
    let pending = MIGRATIONS
        .iter()
        .filter(|m| m.version <= last_version && !applied.contains(&m.version));
    for migration in pending {
        apply(conn, migration)
            .await
            .with_context(|| format!("migration {} ({})", migration.version, migration.name))?;
        log::info!(
            "applied migration {} ({})",
            migration.version,
            migration.name
        );
    }
    Ok(())
}

async fn apply(conn: &mut Conn, migration: &Migration) -> anyhow::Result<()> {
    match migration.change {
        Change::Sql(sql) => {
            conn.query_drop(sql).await?;
            record(conn, migration).await
        }
        Change::Rust(step) => {
            let mut transaction = conn.start_transaction(TxOpts::default()).await?;
            step(&mut transaction).await?;
            record(&mut transaction, migration).await?;
            Ok(transaction.commit().await?)
        }
    }
}

async fn record(conn: &mut impl Queryable, migration: &Migration) -> anyhow::Result<()> {
    conn.exec_drop(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))",
        (migration.version, migration.name),
    )
    .await?;
    Ok(())
}
