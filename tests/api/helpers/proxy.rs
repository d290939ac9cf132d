//! A TCP proxy a test can cut, to take MySQL away from a running app.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::task::JoinHandle;

use super::app::{admin_url, free_port};

/// A TCP proxy in front of a real server, which a test can cut (refusing
/// new connections and breaking open ones) and restore on the same port.
pub struct CuttableProxy {
    pub port: u16,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl CuttableProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let proxy = Self {
            port: free_port(),
            upstream,
            tasks: Arc::default(),
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
