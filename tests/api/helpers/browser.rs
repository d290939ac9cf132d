//! A client with its own cookie jar, like one browser, with one method per
//! API call: tests read like the API they exercise.

use reqwest::Response;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::app::random_hex;

/// An email no other test uses.
pub fn unique_email() -> String {
    format!("user-{}@example.com", random_hex(6))
}

/// The password of the accounts `Browser::register` makes.
pub const PASSWORD: &str = "correct horse battery";

/// One client with its own cookie jar, like one browser.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
}

/// A client that keeps cookies and does not follow redirects.
pub fn client() -> reqwest::Client {
    client_builder().build().expect("a client")
}

fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
}

/// Every instance's clients: `TestApp` and `Sibling` dereference to theirs.
impl Browser {
    /// Another client, with an empty cookie jar.
    pub fn new_browser(&self) -> Browser {
        self.browser_from(client())
    }

    /// Another client, with an empty cookie jar, that says it is `user_agent`.
    pub fn new_browser_named(&self, user_agent: &str) -> Browser {
        let client = client_builder().user_agent(user_agent).build();
        self.browser_from(client.expect("a client"))
    }

    /// A client without a cookie jar that sends `cookie` (`sid=…`, or
    /// anything else) with every request, as a copied or forged cookie is.
    pub fn browser_with_cookie(&self, cookie: &str) -> Browser {
        let value = HeaderValue::from_str(cookie).expect("a cookie header value");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(HeaderMap::from_iter([(reqwest::header::COOKIE, value)]))
            .build();
        self.browser_from(client.expect("a client"))
    }

    fn browser_from(&self, client: reqwest::Client) -> Browser {
        Browser {
            address: self.address.clone(),
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.client.post(self.url(path)).json(body)).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.client.get(self.url(path))).await
    }

    async fn post(&self, path: &str) -> Response {
        self.send(self.client.post(self.url(path))).await
    }

    async fn delete(&self, path: &str) -> Response {
        self.send(self.client.delete(self.url(path))).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        request.send().await.expect("request sent")
    }

    /// POST /register of an account with `PASSWORD`, named "Test User".
    pub async fn register(&self, email: &str) -> Response {
        self.register_with(email, PASSWORD, "Test User").await
    }

    /// POST /register with the given fields.
    pub async fn register_with(&self, email: &str, password: &str, name: &str) -> Response {
        self.post_json(
            "/register",
            &json!({"email": email, "password": password, "name": name}),
        )
        .await
    }

    /// Registers a fresh account (and so logs this client in); its email.
    pub async fn signed_up(&self) -> String {
        let email = unique_email();
        let response = self.register(&email).await;
        assert_eq!(response.status(), 201, "registration failed");
        email
    }

    /// POST /login.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json("/login", &json!({"email": email, "password": password}))
            .await
    }

    /// POST /logout.
    pub async fn logout(&self) -> Response {
        self.post("/logout").await
    }

    /// GET /me.
    pub async fn me(&self) -> Response {
        self.get("/me").await
    }

    /// PATCH /me with `body` as JSON.
    pub async fn patch_me(&self, body: &Value) -> Response {
        self.send(self.client.patch(self.url("/me")).json(body))
            .await
    }

    /// PATCH /me renaming the account.
    pub async fn rename(&self, name: &str) -> Response {
        self.patch_me(&json!({"name": name})).await
    }

    /// DELETE /me with the account's password.
    pub async fn delete_account(&self, password: &str) -> Response {
        self.send(
            self.client
                .delete(self.url("/me"))
                .json(&json!({"password": password})),
        )
        .await
    }

    /// POST /me/password.
    pub async fn change_password(&self, current_password: &str, new_password: &str) -> Response {
        self.post_json(
            "/me/password",
            &json!({"current_password": current_password, "new_password": new_password}),
        )
        .await
    }

    /// POST /me/email.
    pub async fn change_email(&self, new_email: &str, password: &str) -> Response {
        self.post_json(
            "/me/email",
            &json!({"new_email": new_email, "password": password}),
        )
        .await
    }

    /// POST /checkemail.
    pub async fn check_email(&self, email: &str) -> Response {
        self.post_json("/checkemail", &json!({"email": email}))
            .await
    }

    /// POST /email/verify with the token as written.
    pub async fn verify_email(&self, token: &str) -> Response {
        self.post_json("/email/verify", &json!({"token": token}))
            .await
    }

    /// POST /email/verify/resend, with no body.
    pub async fn resend_verification(&self) -> Response {
        self.post("/email/verify/resend").await
    }

    /// POST /password/forgot.
    pub async fn forgot_password(&self, email: &str) -> Response {
        self.post_json("/password/forgot", &json!({"email": email}))
            .await
    }

    /// POST /password/reset with the token as written.
    pub async fn reset_password(&self, token: &str, new_password: &str) -> Response {
        self.post_json(
            "/password/reset",
            &json!({"token": token, "new_password": new_password}),
        )
        .await
    }

    /// POST /addStatus.
    pub async fn add_status(&self, text: &str) -> Response {
        self.post_json("/addStatus", &json!({"text": text})).await
    }

    /// GET /fetchStatus with `query` as written (`""`, `"?limit=2"`, …).
    pub async fn fetch_status(&self, query: &str) -> Response {
        self.get(&format!("/fetchStatus{query}")).await
    }

    /// GET /me/security-events with `query` as written (`""`, `"?limit=2"`, …).
    pub async fn security_events(&self, query: &str) -> Response {
        self.get(&format!("/me/security-events{query}")).await
    }

    /// The types of the first page of GET /me/security-events, newest
    /// first; the call must succeed.
    pub async fn security_event_types(&self) -> Vec<String> {
        let response = self.security_events("?limit=100").await;
        assert_eq!(response.status(), 200, "GET /me/security-events");
        let body: Value = response.json().await.expect("JSON");
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|event| event["type"].as_str().expect("a type").to_owned())
            .collect()
    }

    /// GET /me/export.
    pub async fn export(&self) -> Response {
        self.get("/me/export").await
    }

    /// DELETE /statuses/{id}, the id as written (`"7"`, `"abc"`, …).
    pub async fn delete_status(&self, id: &str) -> Response {
        self.delete(&format!("/statuses/{id}")).await
    }

    /// GET /sessions.
    pub async fn sessions(&self) -> Response {
        self.get("/sessions").await
    }

    /// The items of GET /sessions, which must succeed.
    pub async fn listed_sessions(&self) -> Vec<Value> {
        let response = self.sessions().await;
        assert_eq!(response.status(), 200, "GET /sessions");
        let body: Value = response.json().await.expect("JSON");
        body["items"].as_array().expect("items").clone()
    }

    /// DELETE /sessions/{id}.
    pub async fn revoke_session(&self, id: &str) -> Response {
        self.delete(&format!("/sessions/{id}")).await
    }

    /// DELETE /sessions: every session of the account but this one.
    pub async fn revoke_other_sessions(&self) -> Response {
        self.delete("/sessions").await
    }
}
