//! Schema migrations.

use std::process::Command;
use std::time::Duration;

use mysql_async::prelude::*;
use serde_json::{Value, json};
use status_api::db::migrations;

use crate::helpers::{PASSWORD, TestDatabase, free_port, json_of, random_hex, spawn_app_on};

/// The versions of the migrations the binary embeds, read from its
/// migration table (private to the crate), which must embed every file in
/// `sql/`.
fn embedded_versions() -> Vec<u32> {
    let source = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/migrations.rs"));
    let table = source
        .split_once("const MIGRATIONS")
        .and_then(|(_, rest)| rest.split_once("];"))
        .expect("the MIGRATIONS table")
        .0;
    let sql = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/sql")).expect("sql/");
    for file in sql {
        let name = file.unwrap().file_name().into_string().unwrap();
        assert!(
            table.contains(&format!("/sql/{name}\")")),
            "{name} is not in the migration table"
        );
    }
    let mut versions: Vec<u32> = table
        .lines()
        .filter_map(|line| line.trim().strip_prefix("version: ")?.strip_suffix(','))
        .map(|version| version.parse().expect("a version number"))
        .collect();
    assert_eq!(
        versions.len(),
        table.matches("Migration {").count(),
        "each migration has a version"
    );
    versions.sort_unstable();
    versions
}

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
    assert_eq!(versions, embedded_versions());
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

/// Accounts as the release before normalisation stored them: as typed,
/// trimmed and lowercased. Their ids are 1, 2, … in this order.
fn accounts_registered_before_normalisation() -> Vec<String> {
    let local = "a".repeat(60);
    let labels = ["b", "c", "d"].map(|letter| letter.repeat(60)).join(".");
    vec![
        "Alice@Example.com".to_owned(),
        // The same as 1 once normalised: kept.
        "ALICE@ＥＸＡＭＰＬＥ.com".to_owned(),
        "bob@ｅｘａｍｐｌｅ.com".to_owned(),
        "carol@ｅｘａｍｐｌｅ.com".to_owned(),
        // The same as 4 once normalised, and 4 comes first: kept.
        "Carol@ｅxample.COM".to_owned(),
        "hans@straße.de".to_owned(),
        // Valid then; too long once in punycode: kept.
        format!("{local}@{labels}.é.com"),
    ]
}

/// A database migrated as far as the release before normalisation, with
/// accounts that release registered.
async fn database_with_old_accounts(typed: &[String]) -> TestDatabase {
    let database = TestDatabase::create().await;
    let opts = mysql_async::Opts::from_url(&database.url()).unwrap();
    migrations::run_through(&opts, Duration::from_secs(5), 2)
        .await
        .unwrap();
    let password_hash = bcrypt::hash(PASSWORD, 4).unwrap();
    let mut conn = database.conn().await;
    for (index, address) in typed.iter().enumerate() {
        conn.exec_drop(
            "INSERT INTO users (email, name, password_hash, created_at) \
             VALUES (?, ?, ?, UTC_TIMESTAMP(6))",
            (
                address.trim().to_lowercase(),
                format!("Old {}", index + 1),
                &password_hash,
            ),
        )
        .await
        .unwrap();
    }
    database
}

/// Runs the real binary on `database` until it gives up on an unreachable
/// Redis, which it tries after migrating; what it logged.
fn migrate_with_the_binary(database: &TestDatabase) -> String {
    let cwd = std::env::temp_dir().join(format!("status-api-cwd-{}", random_hex(8)));
    std::fs::create_dir_all(&cwd).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_status-api"))
        .current_dir(&cwd)
        .env("RUST_LOG", "info")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("DATABASE_URL", database.url())
        .env("REDIS_URL", format!("redis://127.0.0.1:{}", free_port()))
        .env("SESSION_SECRET", random_hex(48))
        .env("COOKIE_SECURE", "false")
        .env("DEPENDENCY_TIMEOUT_MS", "1000")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&cwd);
    assert!(!output.status.success(), "no Redis, no start");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn old_emails_are_normalised_and_collisions_reported_and_kept() {
    let typed = accounts_registered_before_normalisation();
    let database = database_with_old_accounts(&typed).await;
    let log = migrate_with_the_binary(&database);

    let mut conn = database.conn().await;
    let stored: Vec<String> = conn
        .query("SELECT email FROM users ORDER BY id")
        .await
        .unwrap();
    let expected = [
        "alice@example.com",
        "alice@ｅｘａｍｐｌｅ.com",
        "bob@example.com",
        "carol@example.com",
        "carol@ｅxample.com",
        "hans@xn--strae-oqa.de",
        &typed[6],
    ];
    assert_eq!(stored, expected);
    let applied: Vec<u32> = conn
        .query("SELECT version FROM schema_migrations ORDER BY version")
        .await
        .unwrap();
    assert_eq!(applied, embedded_versions());

    assert!(
        log.contains("user 2 keeps its stored email: its normalised form is user 1's"),
        "{log}"
    );
    assert!(
        log.contains("user 5 keeps its stored email: its normalised form is user 4's"),
        "{log}"
    );
    assert!(
        log.contains("user 7 keeps its stored email: it has no valid normalised form"),
        "{log}"
    );
    assert!(log.contains("3 rewritten, 3 kept as registered"), "{log}");
    for address in &typed {
        let local = address.split('@').next().unwrap().to_lowercase();
        assert!(
            !log.to_lowercase().contains(&local),
            "{local} logged: {log}"
        );
    }
}

#[tokio::test]
async fn every_old_account_logs_in_with_exactly_the_address_it_registered() {
    let typed = accounts_registered_before_normalisation();
    let database = database_with_old_accounts(&typed).await;
    let app = spawn_app_on(database, &[]).await;
    for (index, address) in typed.iter().enumerate() {
        let response = app.new_browser().login(address, PASSWORD).await;
        assert_eq!(response.status(), 200, "{address}");
        let user: Value = response.json().await.unwrap();
        assert_eq!(user["id"], index + 1, "{address}");
    }
    // A rewritten account is also found by its normalised form.
    let bob = json_of(
        app.new_browser().login("Bob@Example.com", PASSWORD).await,
        200,
    )
    .await;
    assert_eq!(bob["id"], 3);
    assert_eq!(bob["email"], "bob@example.com");
    // A kept spelling is still taken, under its normalised form.
    let check = json_of(app.check_email("carol@ｅxample.com").await, 200).await;
    assert_eq!(
        check,
        json!({"email": "carol@example.com", "available": false})
    );
    assert_eq!(app.register("ALICE@ＥＸＡＭＰＬＥ.com").await.status(), 409);
}

#[tokio::test]
async fn accounts_from_before_verification_count_as_unverified() {
    let database = TestDatabase::create().await;
    let opts = mysql_async::Opts::from_url(&database.url()).unwrap();
    // As the release before email verification left the database.
    migrations::run_through(&opts, Duration::from_secs(5), 6)
        .await
        .unwrap();
    let email = format!("old-{}@example.com", random_hex(4));
    let mut conn = database.conn().await;
    conn.exec_drop(
        "INSERT INTO users (email, name, password_hash, created_at) \
         VALUES (?, 'Old', ?, UTC_TIMESTAMP(6))",
        (&email, bcrypt::hash(PASSWORD, 4).unwrap()),
    )
    .await
    .unwrap();
    drop(conn);
    let app = spawn_app_on(database, &[]).await;
    let user = json_of(app.login(&email, PASSWORD).await, 200).await;
    assert_eq!(user["email_verified"], false);
    assert_eq!(json_of(app.me().await, 200).await["email_verified"], false);
}
