//! Defences against hostile clients: who the client is (behind trusted
//! proxies), where a state-changing request comes from, and rate limits.

mod client;
mod origin;
mod rate_limit;

pub use client::{Client, TrustedProxies};
pub use origin::{AllowedOrigins, is_cross_site};
pub use rate_limit::{LimitError, RateLimiter};
