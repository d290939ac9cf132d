//! Logging with the request id on every line written while a request is
//! handled. env_logger has no request context of its own, so the id rides
//! in a task-local that the formatter reads.

use std::future::Future;
use std::io::Write;

use tokio::task::JoinHandle;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `future` with `id` as the request id of every line it logs.
pub async fn with_request_id<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// Spawns `future` on the current runtime with the request id of the
/// request that hands it off, so that the lines of work that outlives or
/// outruns the request's own task still carry its id.
pub fn spawn_for_request<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match REQUEST_ID.try_with(Clone::clone) {
        Ok(id) => tokio::spawn(REQUEST_ID.scope(id, future)),
        Err(_) => tokio::spawn(future),
    }
}

/// actix-session warns of every session cookie it cannot decrypt, and any
/// client can send one at will (forged, or from before a key change): at a
/// line per request, anyone could fill the log. Such a cookie is simply no
/// session, so those lines are kept out unless `RUST_LOG` names this module.
const QUIET_BY_DEFAULT: &str = "actix_session::middleware=error";

/// `RUST_LOG` filters, `info` by default.
pub fn init_logging() {
    logger(env_logger::Env::default().default_filter_or("info")).init();
}

fn logger(env: env_logger::Env) -> env_logger::Builder {
    let mut builder = env_logger::Builder::new();
    // A directive of the same name in `env` replaces this one.
    builder.parse_filters(QUIET_BY_DEFAULT).parse_env(env);
    builder.format(|buf, record| {
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
    });
    builder
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use log::Log;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn log_line(logger: &env_logger::Logger) {
        log_at(logger, log::Level::Info, "test");
    }

    fn log_at(logger: &env_logger::Logger, level: log::Level, target: &str) {
        logger.log(
            &log::Record::builder()
                .args(format_args!("handled"))
                .level(level)
                .target(target)
                .build(),
        );
    }

    fn capturing(filters: &str) -> (env_logger::Logger, Captured) {
        let captured = Captured::default();
        let logger = logger(env_logger::Env::new().default_filter_or(filters))
            .target(env_logger::Target::Pipe(Box::new(captured.clone())))
            .build();
        (logger, captured)
    }

    fn output(captured: &Captured) -> String {
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[tokio::test]
    async fn lines_logged_while_handling_a_request_carry_its_id() {
        let (logger, captured) = capturing("info");
        with_request_id("req-42".to_owned(), async { log_line(&logger) }).await;
        log_line(&logger);
        let logged = output(&captured);
        let lines: Vec<&str> = logged.lines().collect();
        assert!(lines[0].contains("[req-42] handled"), "{logged}");
        assert!(lines[1].contains("[-] handled"), "{logged}");
    }

    #[tokio::test]
    async fn work_a_request_spawns_carries_its_id() {
        let (logger, captured) = capturing("info");
        let logger = Arc::new(logger);
        let spawned = Arc::clone(&logger);
        with_request_id("req-7".to_owned(), async move {
            spawn_for_request(async move { log_line(&spawned) })
                .await
                .unwrap();
        })
        .await;
        let logged = output(&captured);
        assert!(logged.contains("[req-7] handled"), "{logged}");
    }

    #[test]
    fn a_cookie_that_does_not_decrypt_is_not_logged_unless_asked_for() {
        let (logger, captured) = capturing("info");
        log_at(&logger, log::Level::Warn, "actix_session::middleware");
        log_at(&logger, log::Level::Warn, "status_api");
        let logged = output(&captured);
        assert_eq!(logged.lines().count(), 1, "{logged}");
        assert!(logged.contains("status_api"), "{logged}");

        let (logger, captured) = capturing("info,actix_session::middleware=warn");
        log_at(&logger, log::Level::Warn, "actix_session::middleware");
        assert!(output(&captured).contains("actix_session::middleware"));
    }
}
