//! Schema migrations from `sql/`, embedded in the binary and each applied
//! once, in order, recorded in `schema_migrations`.

use std::time::Duration;

use anyhow::{Context, bail};
use mysql_async::prelude::*;
use mysql_async::{Conn, Opts};

struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "create_users",
        sql: include_str!("../../sql/0001_create_users.sql"),
    },
    Migration {
        version: 2,
        name: "create_statuses",
        sql: include_str!("../../sql/0002_create_statuses.sql"),
    },
];

/// How long an instance waits for another one that is migrating the same
/// database.
const LOCK_WAIT_SECS: u32 = 60;

/// Applies pending migrations. Instances starting together take turns under
/// a named lock for this database, so each migration runs exactly once.
pub async fn run(opts: &Opts, connect_timeout: Duration) -> anyhow::Result<()> {
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
    let outcome = apply_pending(&mut conn).await;
    conn.query_drop("SELECT RELEASE_ALL_LOCKS()").await?;
    conn.disconnect().await?;
    outcome
}

async fn apply_pending(conn: &mut Conn) -> anyhow::Result<()> {
    conn.query_drop(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INT UNSIGNED NOT NULL PRIMARY KEY,
            name VARCHAR(255) NOT NULL,
            applied_at DATETIME(6) NOT NULL
        ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    )
    .await?;
    let applied: Vec<u32> = conn.query("SELECT version FROM schema_migrations").await?;
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        conn.query_drop(migration.sql)
            .await
            .with_context(|| format!("migration {} ({})", migration.version, migration.name))?;
        conn.exec_drop(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))",
            (migration.version, migration.name),
        )
        .await?;
        log::info!(
            "applied migration {} ({})",
            migration.version,
            migration.name
        );
    }
    Ok(())
}
