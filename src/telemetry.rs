//! Logging with the request id on every line written while a request is
//! handled. env_logger has no request context of its own, so the id rides
//! in a task-local that the formatter reads.

use std::future::Future;
use std::io::Write;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `future` with `id` as the request id of every line it logs.
pub async fn with_request_id<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// `RUST_LOG` filters, `info` by default.
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            let request_id = REQUEST_ID.try_with(Clone::clone).ok();
            writeln!(
                buf,
                "{} {:<5} {} [{}] {}",
                buf.timestamp_millis(),
                record.level(),
                record.target(),
                request_id.as_deref().unwrap_or("-"),
                record.args()
            )
        })
        .init();
}
