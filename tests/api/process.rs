//! The real binary: refusing bad settings, and shutting down gracefully.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{
    Browser, TestDatabase, client, delete_keys, free_port, in_own_runtime, random_hex, redis_url,
    unique_email,
};

const BINARY: &str = env!("CARGO_BIN_EXE_status-api");

/// A working directory without a `.env`, so only the given settings count.
struct EmptyDir(std::path::PathBuf);

impl EmptyDir {
    fn create() -> Self {
        let dir = std::env::temp_dir().join(format!("status-api-cwd-{}", random_hex(8)));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for EmptyDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// The real binary, running against a fresh database and Redis prefix in a
/// directory without `.env`, stopped and cleaned up when dropped.
struct RunningBinary {
    child: std::process::Child,
    address: String,
    prefix: String,
    database: TestDatabase,
    _cwd: EmptyDir,
}

impl RunningBinary {
    async fn start(bcrypt_cost: &str, shutdown_drain_ms: &str) -> Self {
        let database = TestDatabase::create().await;
        let port = free_port();
        let prefix = format!("status-api-test:binary-{}:", random_hex(6));
        let cwd = EmptyDir::create();
        let child = Command::new(BINARY)
            .current_dir(&cwd.0)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database.url())
            .env("REDIS_URL", redis_url())
            .env("REDIS_PREFIX", &prefix)
            .env("SESSION_SECRET", random_hex(48))
            .env("COOKIE_SECURE", "false")
            .env("BCRYPT_COST", bcrypt_cost)
            .env("SHUTDOWN_DRAIN_MS", shutdown_drain_ms)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let address = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while client()
            .get(format!("{address}/healthz"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self {
            child,
            address,
            prefix,
            database,
            _cwd: cwd,
        }
    }

    /// A browser of the binary's own.
    fn browser(&self) -> Browser {
        Browser {
            address: self.address.clone(),
            client: client(),
        }
    }

    fn terminate(&self) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
    }

    /// Waits for the process to exit; its status.
    async fn exited(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let prefix = self.prefix.clone();
        in_own_runtime(async move { delete_keys(&prefix).await });
    }
}

#[test]
fn bad_settings_stop_the_start_naming_each_one() {
    let cwd = EmptyDir::create();
    let output = Command::new(BINARY)
        .current_dir(&cwd.0)
        .env_clear()
        .env("BCRYPT_COST", "99")
        .env("SESSION_IDLE_SECS", "soon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in ["SESSION_SECRET", "BCRYPT_COST", "SESSION_IDLE_SECS"] {
        assert!(stderr.contains(name), "{name} not named: {stderr}");
    }
}

#[tokio::test]
async fn sigterm_drains_then_finishes_requests_in_flight() {
    let mut server = RunningBinary::start("12", "1500").await;
    let address = server.address.clone();

    // A registration hashes at cost 12: it is still running at the signal.
    let registering = server.browser();
    let in_flight = tokio::spawn(async move { registering.register(&unique_email()).await });
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.terminate();

    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = server.browser().get("/readyz").await;
    assert_eq!(ready.status(), 503, "draining instances are not ready");
    assert_eq!(in_flight.await.unwrap().status(), 201);

    let status = server.exited().await;
    assert!(status.success(), "{status}");
    assert!(
        client()
            .get(format!("{address}/healthz"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_status_survives_a_sigterm_under_load() {
    let mut server = RunningBinary::start("4", "500").await;
    let address = server.address.clone();
    let writer = server.browser();
    writer.signed_up().await;
    let writer = writer.client;

    // Four writers post until the server is gone, keeping every 201.
    let writers: Vec<_> = (0..4)
        .map(|task| {
            let (writer, address) = (writer.clone(), address.clone());
            tokio::spawn(async move {
                let mut acknowledged: Vec<(u64, String)> = Vec::new();
                for n in 0.. {
                    let text = format!("writer {task} status {n}");
                    let sent = writer
                        .post(format!("{address}/addStatus"))
                        .json(&json!({"text": text}))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == 201 => {
                            let body: serde_json::Value = response.json().await.unwrap();
                            acknowledged.push((body["id"].as_u64().unwrap(), text));
                        }
                        Ok(response) => {
                            assert_eq!(response.status(), 503, "only 201, or 503 while stopping")
                        }
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.terminate();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(server.exited().await.success());
    assert!(
        acknowledged.len() > 20,
        "the load ran: {}",
        acknowledged.len()
    );

    let mut db = server.database.conn().await;
    let stored: Vec<(u64, String)> =
        mysql_async::prelude::Queryable::query(&mut db, "SELECT id, text FROM statuses")
            .await
            .unwrap();
    let stored: std::collections::HashMap<u64, String> = stored.into_iter().collect();
    for (id, text) in &acknowledged {
        assert_eq!(stored.get(id), Some(text), "status {id} was acknowledged");
    }
    for text in stored.values() {
        assert!(
            text.starts_with("writer ") && text.contains(" status "),
            "whole rows only: {text:?}"
        );
    }
}
