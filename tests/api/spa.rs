//! STATIC_DIR: the SPA's files and the HTML fallback.

use std::path::PathBuf;

use crate::helpers::{client, problem, spawn_app_with};

struct StaticDir(PathBuf);

impl StaticDir {
    fn create() -> Self {
        let dir =
            std::env::temp_dir().join(format!("status-api-spa-{}", crate::helpers::unique_email()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("index.html"), "<!doctype html><title>SPA</title>").unwrap();
        std::fs::write(dir.join("assets/app.js"), "console.log('app')").unwrap();
        Self(dir)
    }
}

impl Drop for StaticDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn get(app: &crate::helpers::TestApp, path: &str, accept: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

const HTML: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

#[tokio::test]
async fn static_files_and_the_html_fallback() {
    let dir = StaticDir::create();
    let app = spawn_app_with(&[("STATIC_DIR", dir.0.to_str().unwrap())]).await;

    let index = get(&app, "/", HTML).await;
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap().contains("<title>SPA</title>"));
    let script = get(&app, "/assets/app.js", "*/*").await;
    assert_eq!(script.status(), 200);
    assert_eq!(script.text().await.unwrap(), "console.log('app')");

    // An app route, reloaded in the browser, gets the app.
    let home = get(&app, "/home", HTML).await;
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("<title>SPA</title>"));
}

#[tokio::test]
async fn api_paths_and_non_html_requests_keep_their_json_answers() {
    let dir = StaticDir::create();
    let app = spawn_app_with(&[("STATIC_DIR", dir.0.to_str().unwrap())]).await;
    problem(
        get(&app, "/home", "application/json").await,
        404,
        "not-found",
    )
    .await;
    problem(
        get(&app, "/assets/missing.js", "*/*").await,
        404,
        "not-found",
    )
    .await;
    problem(get(&app, "/api-docs/nothing", HTML).await, 404, "not-found").await;
    problem(get(&app, "/me", HTML).await, 401, "unauthenticated").await;
    problem(
        get(&app, "/register", HTML).await,
        405,
        "method-not-allowed",
    )
    .await;
    let post = client()
        .post(app.url("/home"))
        .header("accept", HTML)
        .send()
        .await
        .unwrap();
    problem(post, 404, "not-found").await;
}
