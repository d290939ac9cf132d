//! Test helpers, one module per job: spawning the app on its own database
//! and Redis prefix, a browser with one method per API call, problem and
//! cookie assertions, Redis inspection, MySQL locks that stop requests at a
//! chosen statement, and the faults tests inject (a private Redis, a
//! cuttable proxy).

mod app;
mod browser;
mod concurrency;
mod locks;
mod metrics;
mod private_redis;
mod problem;
mod proxy;
mod redis;

pub use app::*;
pub use browser::*;
pub use metrics::*;
pub use private_redis::*;
pub use problem::*;
pub use proxy::*;
pub use redis::*;
