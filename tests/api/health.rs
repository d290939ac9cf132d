//! /healthz, /readyz and the OpenAPI document.

use serde_json::{Value, json};

use crate::helpers::{problem, spawn_app, spawn_app_with};

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

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let response = app.get("/api-docs/openapi.json").await;
    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("/register", "post"),
        ("/login", "post"),
        ("/logout", "post"),
        ("/checkemail", "post"),
        ("/me", "get"),
        ("/addStatus", "post"),
        ("/fetchStatus", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    ];
    for (path, method) in expected {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let register = &spec["paths"]["/register"]["post"];
    for status in ["201", "409", "415", "422"] {
        assert!(
            register["responses"][status].is_object(),
            "register {status}"
        );
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["session_cookie"],
        json!({"type": "apiKey", "in": "cookie", "name": "sid"})
    );
}

#[tokio::test]
async fn api_docs_can_be_turned_off() {
    let app = spawn_app_with(&[("API_DOCS", "false")]).await;
    problem(app.get("/api-docs/openapi.json").await, 404, "not-found").await;
}
