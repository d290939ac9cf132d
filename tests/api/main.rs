//! Integration tests through real HTTP against real MariaDB and Redis.

mod account;
mod account_deletion;
mod accounts;
mod active_sessions;
mod conventions;
mod docs;
mod email_change;
mod email_verification;
mod export;
mod hashing;
mod health;
mod helpers;
mod mail;
mod metrics;
mod migrations;
mod outages;
mod password_reset;
mod process;
mod protection;
mod scale_out;
mod security_events;
mod sessions;
mod slow_clients;
mod spa;
mod statuses;
mod tls;
