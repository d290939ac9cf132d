//! status-api: accounts, cookie sessions kept in Redis, and short status
//! posts kept in MySQL, behind a JSON REST API.
//!
//! Dependencies point one way: `startup` builds everything and is the only
//! user of `routes`; routes use `domain`, `db` and `session`; `domain` knows
//! nothing of HTTP, Redis or SQL.

pub mod config;
pub mod connection;
pub mod context;
pub mod db;
pub mod domain;
pub mod error;
pub mod hashing;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod outage;
pub mod protection;
pub mod redis_pool;
pub mod redis_target;
pub mod retention;
pub mod routes;
pub mod serving;
pub mod session;
pub mod startup;
pub mod telemetry;
pub mod tls;
