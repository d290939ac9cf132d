//! The channel that keeps the session cache exact: one RESP3 connection per
//! Redis primary, in `CLIENT TRACKING` broadcast mode on the prefix of the
//! session keys, so that Redis names every session key any instance
//! writes or deletes. Its pushes are applied as the connection
//! reads them, before the answer to anything sent later on it.
//!
//! Broadcast mode rather than default tracking: the sessions are read on
//! each worker's own connection, which would each need tracking redirected
//! here and set up again on every reconnect; broadcast needs nothing of
//! them, and one channel serves every worker. It costs one push per session
//! write, which the idle clock keeps rare.
//!
//! A heartbeat (`ROLE`, which also says the server is still a primary)
//! goes out every [`HEARTBEAT_EVERY`]. Redis sends broadcast invalidations
//! as its event loop goes to sleep, so the answer to a heartbeat may come
//! before the invalidation of a write run just before it; but the answer to
//! the next heartbeat, sent after that answer came, comes after it. So when
//! the answer to one heartbeat comes, the channel vouches for every write
//! Redis ran before the previous heartbeat was sent, and the cache is
//! confirmed as of then ([`Confirmations`]). A channel that breaks, or
//! stays silent for [`SILENCE_LIMIT`], is dropped with every copy, and
//! opened anew.
//!
//! On a Redis Cluster every primary is tracked, and each heartbeat also
//! reads the cluster's nodes from one of them in turn: a failover, a node
//! joining or leaving, changes the set of primaries, and the channel is
//! opened anew on the new set (every copy dropped). A slot moving between
//! primaries needs nothing more: its keys are deleted where they were,
//! which invalidates their copies, and written where they go, which is
//! tracked too.

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::future::try_join_all;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, PushInfo, PushKind, Value};

use super::cache::{SessionCache, TrackedCache};
use crate::config::Settings;
use crate::tls;

/// How often the channel is asked whether it is still there. Copies are
/// answered only while the last confirmation is younger than the cache's
/// freshness, which this leaves room for.
const HEARTBEAT_EVERY: Duration = Duration::from_millis(20);

/// Past this without an answer, the channel counts as lost (the contract
/// allows at most one second).
const SILENCE_LIMIT: Duration = Duration::from_millis(500);

/// The wait before a lost channel is opened again.
const REOPEN_AFTER: Duration = Duration::from_millis(200);

/// Where the channel connects: the Redis server, or a cluster's seeds.
pub struct TrackingTarget {
    urls: Vec<String>,
    cluster: bool,
    ca_file: Option<PathBuf>,
}

impl TrackingTarget {
    pub fn from_settings(settings: &Settings) -> Self {
        let cluster = !settings.redis_cluster_urls.is_empty();
        Self {
            urls: if cluster {
                settings.redis_cluster_urls.clone()
            } else {
                vec![settings.redis_url.clone()]
            },
            cluster,
            ca_file: settings.redis_ca_file.clone(),
        }
    }
}

/// Keeps `cache` exact for as long as it is used, on a thread of its own:
/// a busy worker never delays an invalidation. `key_prefix` is what every
/// session key begins with.
pub fn start(
    cache: &SessionCache,
    target: TrackingTarget,
    key_prefix: String,
) -> anyhow::Result<()> {
    let tracked = cache.tracked();
    std::thread::Builder::new()
        .name("session-tracking".to_owned())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(keep_tracking(tracked, target, key_prefix)),
                Err(error) => log::error!("session cache: no runtime for tracking: {error}"),
            }
        })?;
    Ok(())
}

async fn keep_tracking(tracked: TrackedCache, target: TrackingTarget, key_prefix: String) {
    let mut lost_since: Option<String> = None;
    while tracked.in_use() {
        let channel = tracked.new_channel();
        let outcome = follow(&tracked, channel, &target, &key_prefix, &mut lost_since).await;
        tracked.channel_lost(channel);
        match outcome {
            Ok(()) => return,
            Err(error) => {
                if lost_since.is_none() {
                    log::warn!(
                        "session cache: Redis tracking lost ({error:#}); every copy dropped, sessions are read from Redis until it is back"
                    );
                    lost_since = Some(format!("{error:#}"));
                }
            }
        }
        tokio::time::sleep(REOPEN_AFTER).await;
    }
}

/// Subscribes on every primary, then beats until the channel is lost (an
/// error) or the cache is no longer used.
async fn follow(
    tracked: &TrackedCache,
    channel: u64,
    target: &TrackingTarget,
    key_prefix: &str,
    lost_since: &mut Option<String>,
) -> anyhow::Result<()> {
    let primaries = primaries(target).await?;
    let connections = try_join_all(
        primaries
            .iter()
            .map(|node| subscribe(tracked, channel, target, &node.url, key_prefix)),
    )
    .await?;
    tracked.tracking(channel);
    let addresses: Option<Vec<&str>> = target
        .cluster
        .then(|| primaries.iter().map(|node| node.address.as_str()).collect());
    let mut confirmations = Confirmations::default();
    for round in 0usize.. {
        if !tracked.in_use() {
            break;
        }
        let sent = Instant::now();
        tokio::time::timeout(
            SILENCE_LIMIT,
            heartbeat(&connections, addresses.as_deref(), round),
        )
        .await
        .map_err(|_| {
            anyhow!(
                "no heartbeat answered within {} ms",
                SILENCE_LIMIT.as_millis()
            )
        })??;
        if let Some(vouched) = confirmations.answered(sent) {
            tracked.confirm(channel, vouched);
            if lost_since.take().is_some() {
                log::info!("session cache: Redis tracking is back");
            }
        }
        tokio::time::sleep(HEARTBEAT_EVERY).await;
    }
    Ok(())
}

/// Which time a channel's heartbeats vouch for: an answer vouches for the
/// send time of the heartbeat before it, never its own (see the module's
/// comment), so the first answer on a channel vouches for nothing.
#[derive(Default)]
struct Confirmations {
    previous: Option<Instant>,
}

impl Confirmations {
    /// The heartbeat sent at `sent` was answered: the time the cache is
    /// now confirmed as of, if any.
    fn answered(&mut self, sent: Instant) -> Option<Instant> {
        self.previous.replace(sent)
    }
}

/// Every connection answers that it is a primary (`ROLE`: a server
/// demoted behind the same address stops confirming); on a cluster, one of
/// them in turn also names the primaries, which must be those tracked.
async fn heartbeat(
    connections: &[MultiplexedConnection],
    tracked_primaries: Option<&[&str]>,
    round: usize,
) -> anyhow::Result<()> {
    let roles = try_join_all(connections.iter().map(|connection| {
        let mut connection = connection.clone();
        async move {
            redis::cmd("ROLE")
                .query_async::<Vec<Value>>(&mut connection)
                .await
        }
    }))
    .await?;
    let is_primary = |role: &Vec<Value>| matches!(role.first(), Some(Value::BulkString(name)) if name == b"master");
    if !roles.iter().all(is_primary) {
        bail!("a tracked server is no longer a primary");
    }
    if let Some(tracked_primaries) = tracked_primaries {
        let mut asked = connections[round % connections.len().max(1)].clone();
        let nodes: String = redis::cmd("CLUSTER")
            .arg("NODES")
            .query_async(&mut asked)
            .await?;
        if primaries_in(&nodes) != tracked_primaries {
            bail!("the cluster's primaries changed");
        }
    }
    Ok(())
}

/// A RESP3 connection to `url` tracking every key that begins with
/// `key_prefix`, whose pushes go to the cache as they are read.
async fn subscribe(
    tracked: &TrackedCache,
    channel: u64,
    target: &TrackingTarget,
    url: &str,
    key_prefix: &str,
) -> anyhow::Result<MultiplexedConnection> {
    let client = tls::redis_client(url, target.ca_file.as_deref())?;
    let sink = tracked.clone();
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(SILENCE_LIMIT)
        .set_response_timeout(SILENCE_LIMIT)
        .set_push_sender(move |push: PushInfo| {
            apply(&sink, channel, push);
            Ok::<(), Infallible>(())
        });
    let mut connection = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("ON")
        .arg("BCAST")
        .arg("PREFIX")
        .arg(key_prefix)
        .query_async::<()>(&mut connection)
        .await
        .context("CLIENT TRACKING")?;
    Ok(connection)
}

fn apply(tracked: &TrackedCache, channel: u64, push: PushInfo) {
    match push.kind {
        PushKind::Invalidate => match push.data.first() {
            Some(Value::Array(keys)) => {
                tracked.invalidate(keys.iter().filter_map(|key| match key {
                    Value::BulkString(key) => Some(key.as_slice()),
                    _ => None,
                }))
            }
            // A nil list: every key (a flush).
            _ => tracked.invalidate_all(),
        },
        PushKind::Disconnection => tracked.channel_lost(channel),
        _ => {}
    }
}

/// One primary: its `host:port` as the cluster names it, and the URL that
/// reaches it in RESP3.
struct Primary {
    address: String,
    url: String,
}

/// The primaries to track: the server itself, or the cluster's as the
/// first seed that answers names them.
async fn primaries(target: &TrackingTarget) -> anyhow::Result<Vec<Primary>> {
    if !target.cluster {
        return Ok(vec![Primary {
            address: String::new(),
            url: in_resp3(&target.urls[0])?,
        }]);
    }
    let mut last_error = anyhow!("no seed node");
    for seed in &target.urls {
        let nodes = match cluster_nodes(seed, target).await {
            Ok(nodes) => nodes,
            Err(error) => {
                last_error = error;
                continue;
            }
        };
        let primaries = primaries_in(&nodes);
        if primaries.is_empty() {
            last_error = anyhow!("{seed} names no primary");
            continue;
        }
        return primaries
            .into_iter()
            .map(|address| {
                Ok(Primary {
                    url: node_url(seed, address)?,
                    address: address.to_owned(),
                })
            })
            .collect();
    }
    Err(last_error)
}

async fn cluster_nodes(seed: &str, target: &TrackingTarget) -> anyhow::Result<String> {
    let client = tls::redis_client(seed, target.ca_file.as_deref())?;
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(SILENCE_LIMIT)
        .set_response_timeout(SILENCE_LIMIT);
    let mut connection = client
        .get_multiplexed_async_connection_with_config(&config)
        .await?;
    Ok(redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut connection)
        .await?)
}

/// The `host:port` of every primary `CLUSTER NODES` lists that may take
/// writes, sorted: each one not known to have failed, and a failed one that
/// still owns slots (it may be back, serving them, before the others clear
/// its flag). A node that names no address of its own (a cluster of one)
/// is `:port`, reached at its seed's host.
fn primaries_in(nodes: &str) -> Vec<&str> {
    let mut primaries: Vec<&str> = nodes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let (address, flags) = (*fields.get(1)?, fields.get(2)?.split(','));
            let has = |wanted: &str| flags.clone().any(|flag| flag == wanted);
            let owns_slots = fields.len() > 8;
            let may_write = has("master")
                && !has("noaddr")
                && !has("handshake")
                && (!has("fail") || owns_slots);
            let address = address.split(['@', ',']).next()?;
            (may_write && !address.ends_with(":0")).then_some(address)
        })
        .collect();
    primaries.sort_unstable();
    primaries
}

/// The seed's URL (scheme, credentials, settings) pointed at `address`.
fn node_url(seed: &str, address: &str) -> anyhow::Result<String> {
    let (host, port) = address
        .rsplit_once(':')
        .with_context(|| format!("a node address without a port: {address}"))?;
    let mut url = url::Url::parse(seed)?;
    let host = if host.is_empty() {
        url.host_str().unwrap_or("127.0.0.1").to_owned()
    } else if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    url.set_host(Some(&host))?;
    url.set_port(Some(port.parse()?))
        .map_err(|()| anyhow!("{seed} cannot take a port"))?;
    in_resp3(url.as_str())
}

fn in_resp3(url: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(url)?;
    url.query_pairs_mut().append_pair("protocol", "resp3");
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_vouches_for_the_heartbeat_sent_before_its_own() {
        let start = Instant::now();
        let beat = |n: u32| start + HEARTBEAT_EVERY * n;
        let mut confirmations = Confirmations::default();
        assert_eq!(confirmations.answered(beat(0)), None);
        assert_eq!(confirmations.answered(beat(1)), Some(beat(0)));
        assert_eq!(confirmations.answered(beat(2)), Some(beat(1)));
    }

    #[test]
    fn primaries_are_the_live_masters_of_cluster_nodes() {
        let nodes = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1 4 connected
e7d1 127.0.0.1:30002@40002 master - 0 1 2 connected 5461-10922
67ed 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460
292f 127.0.0.1:30003@40003 master,fail - 0 1 3 disconnected
3a3a 127.0.0.1:30006@40006 master,fail - 0 1 7 disconnected 12000-12100
6ec2 127.0.0.1:30005@40005,node-5 master - 0 1 5 connected 10923-16383
aa11 :0@0 master,noaddr - 0 1 6 disconnected
";
        assert_eq!(
            primaries_in(nodes),
            [
                "127.0.0.1:30001",
                "127.0.0.1:30002",
                "127.0.0.1:30005",
                "127.0.0.1:30006"
            ]
        );
        assert_eq!(
            primaries_in("67ed :7000@17000 myself,master - 0 0 1 connected 0-16383\n"),
            [":7000"]
        );
    }

    #[test]
    fn a_node_is_reached_with_the_seeds_scheme_and_credentials_in_resp3() {
        assert_eq!(
            node_url("rediss://user:secret@seed:6379/0", "10.0.0.7:7001").expect("a url"),
            "rediss://user:secret@10.0.0.7:7001/0?protocol=resp3"
        );
        assert_eq!(
            node_url("redis://seed:6379", ":7000").expect("a url"),
            "redis://seed:7000?protocol=resp3"
        );
        assert_eq!(
            node_url("redis://seed:6379", "::1:7002").expect("a url"),
            "redis://[::1]:7002?protocol=resp3"
        );
    }
}
