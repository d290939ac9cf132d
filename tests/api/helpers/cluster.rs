//! A Redis Cluster of the test's own (tests/support/redis_cluster.sh):
//! three primaries and three replicas on free ports, which the test may
//! kill and reshape; stopped, and its directory removed, when dropped.

use std::collections::HashMap;
use std::future::Future;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;

use super::app::random_hex;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/redis_cluster.sh"
);

/// How long one command to one node may take before the test gives up.
const NODE_TIMEOUT: Duration = Duration::from_secs(5);

/// Six local nodes, three of them primaries, in a directory of their own.
pub struct PrivateCluster {
    dir: PathBuf,
    urls: String,
    /// Each node's pid by its port, as the script started them.
    pids: HashMap<u16, u32>,
    /// Nodes killed or paused, which the test asks nothing.
    killed: Vec<u16>,
}

/// A primary as the cluster describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Primary {
    pub id: String,
    pub host: String,
    pub port: u16,
    pub slots: Vec<RangeInclusive<u16>>,
}

impl Primary {
    fn serves(&self, slot: u16) -> bool {
        self.slots.iter().any(|range| range.contains(&slot))
    }

    pub fn url(&self) -> String {
        format!("redis://{}:{}", self.host, self.port)
    }
}

impl PrivateCluster {
    pub async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("status-api-cluster-{}", random_hex(6)));
        let output = tokio::process::Command::new(SCRIPT)
            .arg("start")
            .arg(&dir)
            .output()
            .await
            .expect("tests/support/redis_cluster.sh runs");
        assert!(
            output.status.success(),
            "the private cluster did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let nodes = std::fs::read_to_string(dir.join("nodes")).expect("the cluster's node list");
        let pids = nodes
            .lines()
            .map(|line| {
                let (port, pid) = line.split_once(' ').expect("PORT PID");
                (port.parse().expect("a port"), pid.parse().expect("a pid"))
            })
            .collect();
        Self {
            dir,
            urls: String::from_utf8(output.stdout)
                .expect("URLs")
                .trim()
                .to_owned(),
            pids,
            killed: Vec::new(),
        }
    }

    /// Every node's `redis://` URL, comma-separated, as
    /// `REDIS_CLUSTER_URLS` takes them.
    pub fn urls(&self) -> &str {
        &self.urls
    }

    /// The URLs of the nodes not killed.
    fn live_nodes(&self) -> Vec<String> {
        let mut ports: Vec<u16> = self
            .pids
            .keys()
            .filter(|port| !self.killed.contains(port))
            .copied()
            .collect();
        ports.sort_unstable();
        ports.iter().map(|port| local_url(*port)).collect()
    }

    /// The hash slot of `key` (of its hash tag, if it has one).
    pub async fn slot_of(&self, key: &str) -> u16 {
        node_query(
            &self.live_nodes()[0],
            redis::cmd("CLUSTER").arg("KEYSLOT").arg(key),
        )
        .await
        .expect("CLUSTER KEYSLOT")
    }

    /// The primaries that serve slots, as the first live node sees them.
    pub async fn primaries(&self) -> Vec<Primary> {
        primaries_seen_by(&self.live_nodes()[0])
            .await
            .expect("CLUSTER NODES")
    }

    /// The primary that serves `slot`.
    pub async fn primary_for(&self, slot: u16) -> Primary {
        self.primaries()
            .await
            .into_iter()
            .find(|primary| primary.serves(slot))
            .unwrap_or_else(|| panic!("no primary serves slot {slot}"))
    }

    /// A primary other than `primary`, to move its slots to.
    pub async fn another_primary_than(&self, primary: &Primary) -> Primary {
        self.primaries()
            .await
            .into_iter()
            .find(|other| other.id != primary.id)
            .expect("another primary")
    }

    /// The port of the replica of `primary`.
    pub async fn replica_of(&self, primary: &Primary) -> u16 {
        let nodes: String = node_query(&primary.url(), redis::cmd("CLUSTER").arg("NODES"))
            .await
            .expect("CLUSTER NODES");
        nodes
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>())
            .find(|fields| fields.get(3) == Some(&primary.id.as_str()))
            .and_then(|fields| {
                fields[1]
                    .split('@')
                    .next()?
                    .rsplit_once(':')?
                    .1
                    .parse()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no replica of node {}", primary.port))
    }

    /// Stops a node in its tracks (SIGSTOP), as a hung machine would: its
    /// connections stay open and nothing answers on them. The cluster's
    /// state is read from the other nodes meanwhile.
    pub async fn pause(&mut self, port: u16) {
        self.signal(port, "-STOP").await;
        self.killed.push(port);
    }

    /// Lets a paused node go on (SIGCONT).
    pub async fn resume(&mut self, port: u16) {
        self.signal(port, "-CONT").await;
        self.killed.retain(|gone| *gone != port);
    }

    async fn signal(&self, port: u16, signal: &str) {
        let pid = self.pids[&port];
        let status = tokio::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .await
            .expect("kill runs");
        assert!(status.success(), "kill {signal} to node {port} (pid {pid})");
    }

    /// Kills a node with SIGKILL, as a crash would, and waits until it is
    /// gone.
    pub async fn kill(&mut self, port: u16) {
        let pid = self.pids[&port];
        self.signal(port, "-KILL").await;
        self.killed.push(port);
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(Instant::now() < deadline, "node {port} outlived SIGKILL");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until every live node says `cluster_state:ok` and names the
    /// same other primary (a promoted replica) for the slots `lost` served;
    /// that primary.
    pub async fn wait_for_failover(&self, lost: &Primary, within: Duration) -> Primary {
        let slot = *lost.slots[0].start();
        let deadline = Instant::now() + within;
        loop {
            if let Some(promoted) = self.agreed_primary_for(slot).await
                && promoted.id != lost.id
                && promoted.slots == lost.slots
            {
                return promoted;
            }
            assert!(
                Instant::now() < deadline,
                "no replica took over slot {slot} from node {} within {within:?}",
                lost.port
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The primary for `slot` if every live node is in `cluster_state:ok`
    /// and names the same one.
    async fn agreed_primary_for(&self, slot: u16) -> Option<Primary> {
        let mut agreed: Option<Primary> = None;
        for node in self.live_nodes() {
            let info: String = node_query(&node, redis::cmd("CLUSTER").arg("INFO"))
                .await
                .ok()?;
            if !info.lines().any(|line| line.trim() == "cluster_state:ok") {
                return None;
            }
            let seen = primaries_seen_by(&node)
                .await
                .ok()?
                .into_iter()
                .find(|primary| primary.serves(slot))?;
            match &agreed {
                Some(primary) if *primary != seen => return None,
                _ => agreed = Some(seen),
            }
        }
        agreed
    }

    /// Begins moving `slot` from the primary that serves it to `target`:
    /// the target imports it, the source migrates it; keys then move in
    /// steps the test chooses (`SlotMove::migrate_keys`) until
    /// `SlotMove::finish`.
    pub async fn begin_slot_move(&self, slot: u16, target: &Primary) -> SlotMove {
        let source = self.primary_for(slot).await;
        assert_ne!(source.id, target.id, "slot {slot} is already on the target");
        let set_slot = |state: &str, node: &Primary| {
            let mut command = redis::cmd("CLUSTER");
            command.arg("SETSLOT").arg(slot).arg(state).arg(&node.id);
            command
        };
        let _: () = node_query(&target.url(), &set_slot("IMPORTING", &source))
            .await
            .expect("SETSLOT IMPORTING on the target");
        let _: () = node_query(&source.url(), &set_slot("MIGRATING", target))
            .await
            .expect("SETSLOT MIGRATING on the source");
        SlotMove {
            slot,
            source,
            target: target.clone(),
            primaries: self.primaries().await,
        }
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let stopped = std::process::Command::new(SCRIPT)
            .arg("stop")
            .arg(&self.dir)
            .status();
        if !matches!(stopped, Ok(status) if status.success()) {
            eprintln!(
                "could not stop the private cluster in {}",
                self.dir.display()
            );
        }
    }
}

/// A slot on its way from one primary to another.
pub struct SlotMove {
    slot: u16,
    source: Primary,
    target: Primary,
    /// Every primary when the move began: all learn the new owner.
    primaries: Vec<Primary>,
}

impl SlotMove {
    /// Moves up to `batch` of the slot's keys still on the source to the
    /// target; how many were moved (0 once the source has none left).
    pub async fn migrate_keys(&self, batch: usize) -> usize {
        let keys: Vec<String> = node_query(
            &self.source.url(),
            redis::cmd("CLUSTER")
                .arg("GETKEYSINSLOT")
                .arg(self.slot)
                .arg(batch),
        )
        .await
        .expect("GETKEYSINSLOT");
        self.migrate(&keys).await;
        keys.len()
    }

    /// Moves these keys of the slot, and only these, to the target.
    pub async fn migrate(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        let timeout_ms = NODE_TIMEOUT.as_millis().to_string();
        let mut migrate = redis::cmd("MIGRATE");
        migrate
            .arg(&self.target.host)
            .arg(self.target.port)
            .arg("")
            .arg(0)
            .arg(timeout_ms)
            .arg("KEYS")
            .arg(keys);
        let _: redis::Value = node_query(&self.source.url(), &migrate)
            .await
            .expect("MIGRATE");
    }

    /// Ends the move: every key moved, then the target, the source and
    /// every other primary told that the target owns the slot.
    pub async fn finish(self) {
        while self.migrate_keys(100).await > 0 {}
        let mut order = vec![self.target.clone(), self.source.clone()];
        order.extend(
            self.primaries
                .iter()
                .filter(|primary| primary.id != self.target.id && primary.id != self.source.id)
                .cloned(),
        );
        for primary in order {
            let _: () = node_query(
                &primary.url(),
                redis::cmd("CLUSTER")
                    .arg("SETSLOT")
                    .arg(self.slot)
                    .arg("NODE")
                    .arg(&self.target.id),
            )
            .await
            .unwrap_or_else(|error| panic!("SETSLOT NODE on {}: {error}", primary.port));
        }
    }
}

fn local_url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// A connection to the one node at `url`, which follows no redirection.
pub async fn node(url: &str) -> redis::RedisResult<MultiplexedConnection> {
    let client = redis::Client::open(url)?;
    within_node_timeout(client.get_multiplexed_async_connection()).await
}

/// One command to the one node at `url`, within `NODE_TIMEOUT`.
async fn node_query<T: redis::FromRedisValue>(
    url: &str,
    command: &redis::Cmd,
) -> redis::RedisResult<T> {
    let mut connection = node(url).await?;
    within_node_timeout(command.query_async(&mut connection)).await
}

async fn within_node_timeout<T>(
    work: impl Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    tokio::time::timeout(NODE_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| {
            Err(redis::RedisError::from((
                redis::ErrorKind::IoError,
                "no answer in time",
            )))
        })
}

/// The primaries that serve slots and are not failed, as the node at
/// `url` sees them (`CLUSTER NODES`).
pub async fn primaries_seen_by(url: &str) -> redis::RedisResult<Vec<Primary>> {
    let nodes: String = node_query(url, redis::cmd("CLUSTER").arg("NODES")).await?;
    Ok(nodes.lines().filter_map(primary_of_line).collect())
}

/// `<id> <ip:port@bus> <flags> <primary> <ping> <pong> <epoch> <link> <slot>…`,
/// if that node is a primary in service with slots. Slots in migration
/// (`[slot->-id]`, `[slot-<-id]`) are left out.
fn primary_of_line(line: &str) -> Option<Primary> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let flags: Vec<&str> = fields.get(2)?.split(',').collect();
    if !flags.contains(&"master") || flags.iter().any(|flag| flag.starts_with("fail")) {
        return None;
    }
    let address = fields[1].split('@').next()?;
    let (host, port) = address.rsplit_once(':')?;
    let port = port.parse().ok()?;
    let slots: Vec<RangeInclusive<u16>> = fields
        .get(8..)?
        .iter()
        .filter(|range| !range.starts_with('['))
        .filter_map(|range| {
            let (start, end) = range.split_once('-').unwrap_or((range, range));
            Some(start.parse().ok()?..=end.parse().ok()?)
        })
        .collect();
    (!slots.is_empty()).then(|| Primary {
        id: fields[0].to_owned(),
        host: host.to_owned(),
        port,
        slots,
    })
}
