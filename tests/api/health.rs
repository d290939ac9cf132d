//! /healthz and /readyz.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_says_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
}

#[tokio::test]
async fn readyz_checks_mysql_and_redis() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "ok", "mysql": "ok", "redis": "ok"})
    );
}
