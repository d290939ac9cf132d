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

/// `RUST_LOG` filters, `info` by default.
pub fn init_logging() {
    logger().init();
}

fn logger() -> env_logger::Builder {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
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
        logger.log(
            &log::Record::builder()
                .args(format_args!("handled"))
                .level(log::Level::Info)
                .target("test")
                .build(),
        );
    }

    #[tokio::test]
    async fn lines_logged_while_handling_a_request_carry_its_id() {
        let captured = Captured::default();
        let logger = logger()
            .target(env_logger::Target::Pipe(Box::new(captured.clone())))
            .build();
        with_request_id("req-42".to_owned(), async { log_line(&logger) }).await;
        log_line(&logger);
        let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = output.lines().collect();
        assert!(lines[0].contains("[req-42] handled"), "{output}");
        assert!(lines[1].contains("[-] handled"), "{output}");
    }

    #[tokio::test]
    async fn work_a_request_spawns_carries_its_id() {
        let captured = Captured::default();
        let logger = Arc::new(
            logger()
                .target(env_logger::Target::Pipe(Box::new(captured.clone())))
                .build(),
        );
        let spawned = Arc::clone(&logger);
        with_request_id("req-7".to_owned(), async move {
            spawn_for_request(async move { log_line(&spawned) })
                .await
                .unwrap();
        })
        .await;
        let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(output.contains("[req-7] handled"), "{output}");
    }
}
