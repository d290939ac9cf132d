//! The Redis an app uses (one server, or a cluster under `make
//! test-cluster`) and the keys the app wrote under its prefix: read by
//! tests, deleted when the app is dropped.

use std::collections::HashMap;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::cluster::ClusterClient;
use redis::{AsyncCommands, RedisResult};
use status_api::redis_target::{RedisTarget, TimedCluster};
use status_api::session::{RedisSessionStore, SessionConnection};

use super::app::TestApp;
use super::cluster::{node, primaries_seen_by};

pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())
}

/// The seed nodes of the cluster `make test-cluster` runs the suite on,
/// comma-separated as `REDIS_CLUSTER_URLS` takes them; none otherwise.
pub fn cluster_urls() -> Option<String> {
    std::env::var("TEST_REDIS_CLUSTER_URLS")
        .ok()
        .filter(|urls| !urls.trim().is_empty())
}

/// Where an app keeps its Redis state.
#[derive(Clone, Debug)]
pub enum RedisLocation {
    Node(String),
    /// A cluster, by its seed nodes' URLs.
    Cluster(Vec<String>),
}

impl RedisLocation {
    /// Where apps the tests start keep their state unless a test says
    /// otherwise: the cluster under `make test-cluster`, else the one server.
    pub fn for_tests() -> Self {
        match cluster_urls() {
            Some(urls) => Self::Cluster(split_urls(&urls)),
            None => Self::Node(redis_url()),
        }
    }

    /// Where an app with these settings (named as in the environment) keeps
    /// its state: as in the service, `REDIS_CLUSTER_URLS` wins.
    pub fn of(settings: &HashMap<String, String>) -> Self {
        match settings
            .get("REDIS_CLUSTER_URLS")
            .map(|urls| split_urls(urls))
        {
            Some(urls) if !urls.is_empty() => Self::Cluster(urls),
            _ => Self::Node(settings.get("REDIS_URL").cloned().unwrap_or_else(redis_url)),
        }
    }

    /// A client for it, as the service's `RedisTarget`.
    pub fn target(&self) -> RedisTarget {
        match self {
            Self::Node(url) => RedisTarget::Node(redis::Client::open(url.as_str()).expect("a URL")),
            Self::Cluster(urls) => {
                RedisTarget::Cluster(ClusterClient::new(urls.clone()).expect("cluster URLs"))
            }
        }
    }

    /// A connection that runs any single-key command, wherever the key is.
    pub async fn connect(&self) -> RedisResult<RedisConnection> {
        Ok(match self.target() {
            RedisTarget::Node(client) => {
                RedisConnection::Node(client.get_multiplexed_async_connection().await?)
            }
            RedisTarget::Cluster(client) => RedisConnection::Cluster(
                TimedCluster::connect(&client, Duration::from_secs(5))
                    .await
                    .map_err(|error| {
                        redis::RedisError::from((
                            redis::ErrorKind::IoError,
                            "no cluster connection",
                            format!("{error:#}"),
                        ))
                    })?,
            ),
        })
    }

    /// Every key that starts with `prefix`: on a cluster, from every
    /// primary, since SCAN only walks the node it is sent to.
    pub async fn keys_under(&self, prefix: &str) -> RedisResult<Vec<String>> {
        let nodes = match self {
            Self::Node(url) => vec![url.clone()],
            Self::Cluster(seeds) => cluster_primaries(seeds)
                .await?
                .iter()
                .map(|primary| primary.url())
                .collect(),
        };
        let mut keys = Vec::new();
        for url in nodes {
            let mut connection = node(&url).await?;
            let mut iter = connection
                .scan_match::<_, String>(format!("{prefix}*"))
                .await?;
            while let Some(key) = iter.next_item().await {
                keys.push(key);
            }
        }
        // SCAN may return a key more than once.
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// Deletes every key under `prefix`, one by one (a cluster refuses a
    /// DEL of keys in different slots); a cleanup, so it gives up quietly.
    /// On a cluster, answers the keys whose hash tag `tag_problem` finds
    /// wrong, so that every test run there checks every key it made (a
    /// test that killed or paused nodes may leave nothing to check: that
    /// is said, not failed).
    pub async fn delete_keys(&self, prefix: &str) -> Vec<String> {
        let cleanup = async {
            let keys = self.keys_under(prefix).await?;
            let mut redis = self.connect().await?;
            let mut untagged = Vec::new();
            for key in keys {
                let name = key.strip_prefix(prefix).unwrap_or(&key);
                if let (Self::Cluster(_), Some(problem)) = (self, tag_problem(name)) {
                    untagged.push(format!("{key}: {problem}"));
                }
                let _: u64 = redis.del(key).await?;
            }
            RedisResult::Ok(untagged)
        };
        match tokio::time::timeout(Duration::from_secs(10), cleanup).await {
            Ok(Ok(untagged)) => untagged,
            outcome => {
                eprintln!(
                    "could not delete (nor check the tags of) the keys under {prefix}: {outcome:?}"
                );
                Vec::new()
            }
        }
    }
}

/// The families of hash tags the service's keys may carry.
const TAG_FAMILIES: [&str; 8] = [
    "user",
    "register",
    "login-ip",
    "login",
    "reset",
    "reset-mail",
    "verify-resend",
    "checkemail",
];

/// What is wrong with the hash tag of a key (named without the app's
/// prefix), if anything: it must have exactly one `{family:value}` of a
/// known family, and a key of a user's sessions (any key but a limit)
/// that user's tag.
pub fn tag_problem(name: &str) -> Option<&'static str> {
    if name.matches('{').count() != 1 || name.matches('}').count() != 1 {
        return Some("not exactly one {…}");
    }
    let (_, rest) = name.split_once('{')?;
    let Some((tag, _)) = rest.split_once('}') else {
        return Some("} before {");
    };
    let Some((family, value)) = tag.split_once(':') else {
        return Some("a tag without a family");
    };
    if !TAG_FAMILIES.contains(&family) {
        return Some("a tag of an unknown family");
    }
    if value.is_empty() {
        return Some("a tag naming nothing");
    }
    if family == "user" && !value.chars().all(|c| c.is_ascii_digit()) {
        return Some("a user tag without a user id");
    }
    // Limits live under `limit:`; everything else is a user's sessions.
    if name.starts_with("limit:") == (family == "user") {
        return Some("a limit with a user's tag, or a session key without one");
    }
    if name.replace(&format!("{{{tag}}}"), "").contains("user:") {
        return Some("a key naming a user outside its tag");
    }
    None
}

fn split_urls(urls: &str) -> Vec<String> {
    urls.split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The primaries of the cluster, from the first seed node that answers.
async fn cluster_primaries(seeds: &[String]) -> RedisResult<Vec<super::cluster::Primary>> {
    let mut last_error = None;
    for seed in seeds {
        match primaries_seen_by(seed).await {
            Ok(primaries) => return Ok(primaries),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        redis::RedisError::from((redis::ErrorKind::InvalidClientConfig, "no seed nodes"))
    }))
}

/// A connection to the one server or to the cluster, the service's own
/// kind: tests run the same commands (`AsyncCommands`) on either.
pub type RedisConnection = status_api::redis_target::RedisConnection<MultiplexedConnection>;

impl TestApp {
    /// A connection to the Redis this app uses.
    pub async fn redis(&self) -> RedisConnection {
        self.redis_location
            .connect()
            .await
            .expect("connect to Redis")
    }

    /// A session store on this app's Redis and prefix, as an instance of
    /// the app has, for sessions that live `lifetime` at most.
    pub async fn session_store(&self, lifetime: Duration) -> RedisSessionStore {
        let connection =
            SessionConnection::check(self.redis_location.target(), Duration::from_secs(5))
                .await
                .expect("connect to Redis");
        RedisSessionStore::new(connection, &self.redis_prefix, lifetime, 50)
    }

    /// The Redis keys of this app's sessions (not the index, not limits).
    pub async fn session_keys(&self) -> Vec<String> {
        let mut keys = self.redis_keys().await;
        keys.retain(|key| key.contains(":session:"));
        keys
    }

    /// Every Redis key this app wrote.
    pub async fn redis_keys(&self) -> Vec<String> {
        self.redis_location
            .keys_under(&self.redis_prefix)
            .await
            .expect("scan")
    }
}

/// Deletes every key under `prefix` where apps keep their state unless a
/// test says otherwise; a cleanup, so it gives up quietly.
pub async fn delete_keys(prefix: &str) {
    RedisLocation::for_tests().delete_keys(prefix).await;
}
