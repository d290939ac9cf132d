//! Spawns the real application against the real MariaDB and Redis: each
//! test gets its own database and Redis key prefix, both removed afterwards.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use mysql_async::prelude::*;
use rand::Rng;
use status_api::config::Settings;
use status_api::startup::Application;

use super::browser::{Browser, client};
use super::redis::{RedisLocation, cluster_urls, redis_url};

/// An account with CREATE and DROP on `status_api_test_%` databases (`make
/// test` creates it), or any admin URL in `TEST_DATABASE_ADMIN_URL`.
pub(super) fn admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "mysql://status_api_test:status_api_test@127.0.0.1:3306".to_owned())
}

pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

pub struct TestApp {
    browser: Browser,
    pub settings: Settings,
    pub database: TestDatabase,
    pub redis_prefix: String,
    /// The Redis the app keeps its state in.
    pub redis_location: RedisLocation,
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

    /// Where apps on this database write their mail unless a test says
    /// otherwise (`MAIL_URL=file:…`): never to a real server. Removed with
    /// the database.
    pub fn mail_dir(&self) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("status-api-mail-{}", self.name))
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
        let _ = std::fs::remove_dir_all(self.mail_dir());
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
pub fn in_own_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Option<T> {
    let cleanup = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(work)
    });
    cleanup.join().ok()
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
    settings_from(&test_values(database, redis_prefix, overrides))
}

fn settings_from(values: &HashMap<String, String>) -> Settings {
    Settings::from_map(values).expect("test settings are valid")
}

/// The settings of `test_settings`, named as in the environment. Under
/// `make test-cluster` the app uses that cluster, unless the test names a
/// `REDIS_URL` of its own (a private server it stops, say).
fn test_values(
    database: &TestDatabase,
    redis_prefix: &str,
    overrides: &[(&str, &str)],
) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = [
        ("LISTEN_ADDR", "127.0.0.1:0".to_owned()),
        ("DATABASE_URL", database.url()),
        ("REDIS_URL", redis_url()),
        ("REDIS_PREFIX", redis_prefix.to_owned()),
        ("SESSION_SECRET", random_hex(48)),
        ("COOKIE_SECURE", "false".to_owned()),
        ("BCRYPT_COST", "4".to_owned()),
        ("DEPENDENCY_TIMEOUT_MS", "1000".to_owned()),
        (
            "MAIL_URL",
            format!("file:{}", database.mail_dir().display()),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect();
    let own_redis_url = overrides.iter().any(|(name, _)| *name == "REDIS_URL");
    if let Some(urls) = cluster_urls().filter(|_| !own_redis_url) {
        values.insert("REDIS_CLUSTER_URLS".to_owned(), urls);
    }
    for (name, value) in overrides {
        values.insert((*name).to_owned(), (*value).to_owned());
    }
    values
}

/// The app with some settings changed, named as in the environment.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_on(TestDatabase::create().await, overrides).await
}

/// The app on a database the test has prepared (migrated part way, say).
pub async fn spawn_app_on(database: TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    let redis_prefix = format!("status-api-test:{}:", random_hex(8));
    let values = test_values(&database, &redis_prefix, overrides);
    let settings = settings_from(&values);
    let (address, handle) = start(settings.clone()).await.expect("the app starts");
    TestApp {
        browser: Browser {
            address: format!("http://{address}"),
            client: client(),
        },
        settings,
        database,
        redis_prefix,
        redis_location: RedisLocation::of(&values),
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
    /// A connection to the app's own database.
    pub async fn db(&self) -> mysql_async::Conn {
        self.database.conn().await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        let prefix = self.redis_prefix.clone();
        let location = self.redis_location.clone();
        let untagged = in_own_runtime(async move {
            handle.stop(false).await;
            location.delete_keys(&prefix).await
        })
        .unwrap_or_default();
        // Every key any test writes on a cluster is checked here, as it is
        // deleted: a key without its proper hash tag fails that test.
        if !untagged.is_empty() && !std::thread::panicking() {
            panic!("keys without their proper hash tag: {untagged:?}");
        }
    }
}

/// Another instance of the app's service: the same database, Redis prefix
/// and `SESSION_SECRET`, with some settings changed. Stopped when dropped;
/// the app it serves beside cleans up.
pub struct Sibling {
    browser: Browser,
    pub settings: Settings,
    handle: ServerHandle,
}

impl TestApp {
    pub async fn sibling(&self, change: impl FnOnce(&mut Settings)) -> Sibling {
        let mut settings = self.settings.clone();
        change(&mut settings);
        let (address, handle) = start(settings.clone()).await.expect("the sibling starts");
        Sibling {
            browser: Browser {
                address: format!("http://{address}"),
                client: client(),
            },
            settings,
            handle,
        }
    }
}

impl std::ops::Deref for Sibling {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl Drop for Sibling {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        in_own_runtime(async move { handle.stop(false).await });
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
