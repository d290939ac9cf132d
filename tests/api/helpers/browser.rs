//! A client with its own cookie jar, like one browser, with one method per
//! API call.

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
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn register(&self, email: &str) -> reqwest::Response {
        self.post_json(
            "/register",
            &json!({"email": email, "password": PASSWORD, "name": "Test User"}),
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

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json("/login", &json!({"email": email, "password": password}))
            .await
    }

    pub async fn add_status(&self, text: &str) -> reqwest::Response {
        self.post_json("/addStatus", &json!({"text": text})).await
    }
}
