//! Assertions on answers (problem+json or JSON), and the session cookie
//! of a response.

use reqwest::header::HeaderMap;
use serde_json::Value;

/// The problem document of an error response, checked for its shape.
pub async fn problem(response: reqwest::Response, status: u16, slug: &str) -> Value {
    assert_eq!(response.status(), status, "status of a {slug} problem");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["type"], format!("/problems/{slug}"));
    assert_eq!(body["status"], status);
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// The JSON body of a response, which must have `status`.
pub async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    response.json().await.expect("a JSON body")
}

/// The `sid` cookie's `Set-Cookie` line, if the response has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|line| line.starts_with("sid="))
        .map(str::to_owned)
}

/// Just the `sid=value` part.
pub fn session_pair(headers: &HeaderMap) -> Option<String> {
    session_cookie(headers).map(|line| line.split(';').next().unwrap_or_default().to_owned())
}
