//! Test helpers, one module per job: spawning the app on its own database
//! and Redis prefix, a browser with one method per API call, problem and
//! cookie assertions, Redis inspection, MySQL locks that stop requests at a
//! chosen statement, certificates, an SMTP server of the test's own, and
//! the faults tests inject (a private Redis, a private Redis Cluster, a
//! cuttable proxy, a mail server that never answers).

mod app;
mod browser;
mod certificates;
mod cluster;
mod concurrency;
mod locks;
mod metrics;
mod private_redis;
mod problem;
mod proxy;
mod redis;
mod smtp;

pub use app::*;
pub use browser::*;
pub use certificates::*;
pub use cluster::*;
pub use concurrency::*;
pub use metrics::*;
pub use private_redis::*;
pub use problem::*;
pub use proxy::*;
pub use redis::*;
pub use smtp::*;
