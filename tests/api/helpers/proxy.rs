//! A TCP proxy a test can cut, to take MySQL or Redis away from a running
//! app: breaking its connections, or freezing them silently.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::app::{admin_url, free_port};

/// A TCP proxy in front of a real server, which a test can cut (refusing
/// new connections and breaking open ones) and restore on the same port,
/// or freeze (every connection, open or new, stays open and carries
/// nothing, as behind a cable pulled out) and thaw.
pub struct CuttableProxy {
    pub port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    frozen: watch::Sender<bool>,
}

impl CuttableProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let proxy = Self {
            port: free_port(),
            upstream,
            tasks: Arc::default(),
            frozen: watch::Sender::new(false),
        };
        proxy.restore().await;
        proxy
    }

    pub async fn restore(&self) {
        // A cut's listener closes as its aborted task is dropped: soon.
        let mut attempts = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => break listener,
                Err(error) if attempts == 50 => panic!("the proxy's port: {error}"),
                Err(_) => attempts += 1,
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let (upstream, tasks, frozen) = (self.upstream, self.tasks.clone(), self.frozen.clone());
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let frozen = frozen.subscribe();
                let relay = tokio::spawn(async move {
                    if let Ok(server) = tokio::net::TcpStream::connect(upstream).await {
                        let (from_client, to_client) = client.into_split();
                        let (from_server, to_server) = server.into_split();
                        tokio::join!(
                            relay(from_client, to_server, frozen.clone()),
                            relay(from_server, to_client, frozen),
                        );
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

    /// Nothing more goes through, either way, and no connection closes.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// What was held goes through, and everything after.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

/// Copies `from` to `to`, holding whatever it read while frozen.
async fn relay(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if frozen.wait_for(|frozen| !frozen).await.is_err()
            || to.write_all(&buffer[..read]).await.is_err()
        {
            break;
        }
    }
    // A close, too, waits for the thaw.
    if frozen.wait_for(|frozen| !frozen).await.is_ok() {
        let _ = to.shutdown().await;
    }
}

impl Drop for CuttableProxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Where the test database's server listens.
pub fn database_server() -> SocketAddr {
    let url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_ADMIN_URL");
    let host = url
        .host_str()
        .unwrap_or("127.0.0.1")
        .replace("localhost", "127.0.0.1");
    format!("{host}:{}", url.port().unwrap_or(3306))
        .parse()
        .expect("an IP address")
}
