//! The OpenAPI document, the committed copy of it, and the docs page.

use serde_json::{Value, json};

use crate::helpers::{problem, spawn_app, spawn_app_with};

#[test]
fn the_committed_spec_is_what_the_code_generates() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    let generated = status_api::startup::openapi_document();
    assert!(
        committed == generated,
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    );
}

/// Every operation of the API, HEAD aside (it answers wherever GET does).
const EVERY_OPERATION: &[(&str, &str)] = &[
    ("/register", "post"),
    ("/login", "post"),
    ("/logout", "post"),
    ("/checkemail", "post"),
    ("/email/verify", "post"),
    ("/email/verify/resend", "post"),
    ("/password/forgot", "post"),
    ("/password/reset", "post"),
    ("/me", "get"),
    ("/me/security-events", "get"),
    ("/me/export", "get"),
    ("/me", "patch"),
    ("/me", "delete"),
    ("/me/password", "post"),
    ("/me/email", "post"),
    ("/addStatus", "post"),
    ("/fetchStatus", "get"),
    ("/statuses/{id}", "delete"),
    ("/sessions", "get"),
    ("/sessions", "delete"),
    ("/sessions/{id}", "delete"),
    ("/healthz", "get"),
    ("/readyz", "get"),
];

/// The paths of the route table (src/routes/mod.rs), the docs' own aside.
/// actix keeps its routes to itself, so they are read from the source.
fn routed_paths() -> Vec<String> {
    let table = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/mod.rs"));
    let mut paths: Vec<String> = table
        .split("web::resource(\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .filter(|path| !path.starts_with("/api-docs"))
        .collect();
    paths.sort_unstable();
    paths.dedup();
    paths
}

#[test]
fn every_routed_path_has_its_operations_listed() {
    let mut listed: Vec<String> = EVERY_OPERATION
        .iter()
        .map(|(path, _)| (*path).to_owned())
        .collect();
    listed.sort_unstable();
    listed.dedup();
    assert!(routed_paths().len() >= 10, "the route table was read");
    assert_eq!(
        routed_paths(),
        listed,
        "a route was added or removed: list its operations in EVERY_OPERATION"
    );
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let response = app.get("/api-docs/openapi.json").await;
    assert_eq!(response.status(), 200);
    let spec: Value = response.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut documented: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            let methods = operations.as_object().unwrap().keys();
            methods.map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    documented.sort_unstable();
    let mut expected: Vec<(String, String)> = EVERY_OPERATION
        .iter()
        .map(|(path, method)| ((*path).to_owned(), (*method).to_owned()))
        .collect();
    expected.sort_unstable();
    assert_eq!(documented, expected, "the operations the spec documents");
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

#[tokio::test]
async fn the_docs_page_is_served_offline_under_a_strict_policy() {
    let app = spawn_app().await;
    let redirect = app.get("/api-docs").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/api-docs/");

    let page = app.get("/api-docs/").await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("script-src 'self'") && policy.contains("style-src 'self'"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    let initializer = app
        .get("/api-docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        initializer.contains("\"url\": \"/api-docs/openapi.json\""),
        "{initializer}"
    );
    assert!(
        initializer.contains("\"validatorUrl\": \"none\""),
        "{initializer}"
    );
    for text in [&html, &initializer] {
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "nothing from outside"
        );
    }
    let bundle = app.get("/api-docs/swagger-ui-bundle.js").await;
    assert_eq!(
        bundle.status(),
        200,
        "Swagger UI is compiled into the binary"
    );
    problem(app.get("/api-docs/no-such-file.js").await, 404, "not-found").await;
}
