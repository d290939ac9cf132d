//! Spawns the real application against the real MariaDB and Redis: each
//! test gets its own database and Redis key prefix, both removed afterwards.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use mysql_async::prelude::*;
use rand::Rng;
use redis::AsyncCommands;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use status_api::config::Settings;
use status_api::startup::Application;

/// An account with CREATE and DROP on `status_api_test_%` databases (`make
/// test` creates it), or any admin URL in `TEST_DATABASE_ADMIN_URL`.
fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "mysql://status_api_test:status_api_test@127.0.0.1:3306".to_owned())
}

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())
}

pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", random_hex(6))
}

pub const PASSWORD: &str = "correct horse battery";

/// One client with its own cookie jar, like one browser.
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
}

pub struct TestApp {
    browser: Browser,
    pub settings: Settings,
    pub database: TestDatabase,
    pub redis_prefix: String,
    handle: ServerHandle,
}

/// A database of the test's own, dropped when the test ends.
pub struct TestDatabase {
    pub name: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("status_api_test_{}", random_hex(8));
        let mut conn = admin_conn().await;
        conn.query_drop(format!("CREATE DATABASE `{name}`"))
            .await
            .expect("create the test database");
        Self { name }
    }

    pub fn url(&self) -> String {
        format!("{}/{}", admin_url(), self.name)
    }

    /// The same database through another port on 127.0.0.1 (a proxy),
    /// over TCP only: by default mysql_async moves a local connection to
    /// the server's Unix socket, which would bypass the proxy.
    pub fn url_via(&self, port: u16) -> String {
        let mut url = url::Url::parse(&self.url()).expect("a URL");
        url.set_host(Some("127.0.0.1")).expect("a host");
        url.set_port(Some(port)).expect("a port");
        url.set_query(Some("prefer_socket=false"));
        url.to_string()
    }

    pub async fn conn(&self) -> mysql_async::Conn {
        mysql_async::Conn::new(mysql_async::Opts::from_url(&self.url()).expect("url"))
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        in_own_runtime(async move {
            let mut conn = admin_conn().await;
            let _ = conn
                .query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))
                .await;
        });
    }
}

/// Drop runs inside the test's runtime, which cannot be blocked on; a
/// thread with a runtime of its own does the async cleanup.
fn in_own_runtime(work: impl std::future::Future<Output = ()> + Send + 'static) {
    let cleanup = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(work);
    });
    let _ = cleanup.join();
}

/// The app with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The test defaults on `database` and `redis_prefix`, with some settings
/// changed, named as in the environment.
pub fn test_settings(
    database: &TestDatabase,
    redis_prefix: &str,
    overrides: &[(&str, &str)],
) -> Settings {
    let mut values: HashMap<String, String> = [
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", database.url()),
        ("REDIS_URL", redis_url()),
        ("REDIS_PREFIX", redis_prefix.to_owned()),
        ("SESSION_SECRET", random_hex(48)),
        ("COOKIE_SECURE", "false".to_owned()),
        ("BCRYPT_COST", "4".to_owned()),
        ("DEPENDENCY_TIMEOUT_MS", "1000".to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    for (name, value) in overrides {
        values.insert((*name).to_owned(), (*value).to_owned());
    }
    Settings::from_map(&values).expect("test settings are valid")
}

/// The app with some settings changed, named as in the environment.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDatabase::create().await, overrides).await
}

/// The app on a database the test has prepared (migrated part way, say).
pub async fn spawn_app_on(database: TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    let redis_prefix = format!("status-api-test:{}:", random_hex(8));
    let settings = test_settings(&database, &redis_prefix, overrides);
    let (address, handle) = start(settings.clone()).await.expect("the app starts");
    TestApp {
        browser: Browser {
            address: format!("http://{address}"),
            client: client(),
        },
        settings,
        database,
        redis_prefix,
        handle,
    }
}

/// Runs the application on a thread of its own with its own actix system,
/// as the binary does, so that a test can stop it and wait for that.
pub async fn start(settings: Settings) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let (started, on_start) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(settings).await {
                Ok(app) => {
                    let _ = started.send(Ok((app.address(), app.handle())));
                    let _ = app.run().await;
                }
                Err(error) => {
                    let _ = started.send(Err(error));
                }
            }
        });
    });
    on_start.await?
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

async fn admin_conn() -> mysql_async::Conn {
    let opts = mysql_async::Opts::from_url(&admin_url()).expect("TEST_DATABASE_ADMIN_URL");
    mysql_async::Conn::new(opts)
        .await
        .expect("connect to MariaDB as the test admin (run `make test-db` once)")
}

impl std::ops::Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl TestApp {
    /// Another client, with an empty cookie jar.
    pub fn new_browser(&self) -> Browser {
        Browser {
            address: self.browser.address.clone(),
            client: client(),
        }
    }
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

impl TestApp {
    /// A connection to the app's own database.
    pub async fn db(&self) -> mysql_async::Conn {
        self.database.conn().await
    }

    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(redis_url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to Redis")
    }

    /// The Redis keys of this app's sessions (not the index, not limits).
    pub async fn session_keys(&self) -> Vec<String> {
        let mut keys = self.redis_keys().await;
        keys.retain(|key| key.contains(":session:"));
        keys
    }

    /// Every Redis key this app wrote.
    pub async fn redis_keys(&self) -> Vec<String> {
        let mut redis = self.redis().await;
        let mut keys: Vec<String> = Vec::new();
        let mut iter = redis
            .scan_match::<_, String>(format!("{}*", self.redis_prefix))
            .await
            .expect("scan");
        while let Some(key) = iter.next_item().await {
            keys.push(key);
        }
        keys
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let prefix = self.redis_prefix.clone();
        in_own_runtime(async move {
            handle.stop(false).await;
            delete_keys(&prefix).await;
        });
    }
}

pub async fn delete_keys(prefix: &str) {
    let Ok(client) = redis::Client::open(redis_url()) else {
        return;
    };
    let Ok(mut redis) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let keys: Vec<String> = match redis.scan_match::<_, String>(format!("{prefix}*")).await {
        Ok(mut iter) => {
            let mut keys = Vec::new();
            while let Some(key) = iter.next_item().await {
                keys.push(key);
            }
            keys
        }
        Err(_) => return,
    };
    if !keys.is_empty() {
        let _: Result<u64, _> = redis.del(keys).await;
    }
}

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

/// A redis-server of the test's own on a free port, which it may stop.
pub struct PrivateRedis {
    pub port: u16,
    child: Child,
}

impl PrivateRedis {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Again on a port it had before, as a restarted server would be.
    pub fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (install redis-server)");
        let redis = Self { port, child };
        redis.wait_until_up();
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn wait_until_up(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "private redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// A TCP proxy in front of a real server, which a test can cut (refusing
/// new connections and breaking open ones) and restore on the same port.
pub struct CuttableProxy {
    pub port: u16,
    upstream: std::net::SocketAddr,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl CuttableProxy {
    pub async fn start(upstream: std::net::SocketAddr) -> Self {
        let proxy = Self {
            port: free_port(),
            upstream,
            tasks: std::sync::Arc::default(),
        };
        proxy.restore().await;
        proxy
    }

    pub async fn restore(&self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the proxy's port");
        let (upstream, tasks) = (self.upstream, self.tasks.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(relay);
            }
        });
        self.tasks.lock().unwrap().push(accepting);
    }

    pub fn cut(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Where the test database's server listens.
pub fn database_server() -> std::net::SocketAddr {
    let url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_ADMIN_URL");
    let host = url
        .host_str()
        .unwrap_or("127.0.0.1")
        .replace("localhost", "127.0.0.1");
    format!("{host}:{}", url.port().unwrap_or(3306))
        .parse()
        .expect("an IP address")
}
