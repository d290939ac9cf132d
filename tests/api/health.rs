//! /healthz and /readyz.

use serde_json::json;

use crate::helpers::{json_of, spawn_app};

#[tokio::test]
async fn healthz_says_ok() {
    let app = spawn_app().await;
    let health = json_of(app.get("/healthz").await, 200).await;
    assert_eq!(health, json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_checks_mysql_and_redis() {
    let app = spawn_app().await;
    let readiness = json_of(app.get("/readyz").await, 200).await;
    assert_eq!(
        readiness,
        json!({"status": "ok", "mysql": "ok", "redis": "ok"})
    );
}
