//! Schema migrations.

use std::time::Duration;

use mysql_async::prelude::*;
use status_api::db::migrations;

use crate::helpers::TestDatabase;

#[tokio::test]
async fn instances_starting_together_apply_each_migration_once() {
    let database = TestDatabase::create().await;
    let opts = mysql_async::Opts::from_url(&database.url()).unwrap();
    let runs = (0..4).map(|_| {
        let opts = opts.clone();
        tokio::spawn(async move { migrations::run(&opts, Duration::from_secs(5)).await })
    });
    for run in runs.collect::<Vec<_>>() {
        run.await.unwrap().expect("every instance starts");
    }
    migrations::run(&opts, Duration::from_secs(5))
        .await
        .expect("a re-run is a no-op");
    let mut conn = database.conn().await;
    let versions: Vec<u32> = conn
        .query("SELECT version FROM schema_migrations ORDER BY version")
        .await
        .unwrap();
    assert_eq!(versions, [1, 2]);
}

#[tokio::test]
async fn the_schema_is_utf8mb4_binary_emails_and_microsecond_utc_times() {
    let database = TestDatabase::create().await;
    let opts = mysql_async::Opts::from_url(&database.url()).unwrap();
    migrations::run(&opts, Duration::from_secs(5))
        .await
        .unwrap();
    let mut conn = database.conn().await;
    let columns: Vec<(String, String, String, Option<String>)> = conn
        .exec(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?",
            (&database.name,),
        )
        .await
        .unwrap();
    let column = |table: &str, name: &str| {
        columns
            .iter()
            .find(|c| c.0 == table && c.1 == name)
            .unwrap_or_else(|| panic!("{table}.{name}"))
            .clone()
    };
    assert_eq!(column("users", "email").3.as_deref(), Some("utf8mb4_bin"));
    assert_eq!(column("users", "created_at").2, "datetime(6)");
    assert_eq!(column("statuses", "created_at").2, "datetime(6)");
    assert!(column("statuses", "text").3.unwrap().starts_with("utf8mb4"));
    let index: Vec<String> = conn
        .exec(
            "SELECT COLUMN_NAME FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'statuses' AND INDEX_NAME = 'statuses_user_newest' \
             ORDER BY SEQ_IN_INDEX",
            (&database.name,),
        )
        .await
        .unwrap();
    assert_eq!(index, ["user_id", "id"]);
}
