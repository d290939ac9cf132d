//! MySQL locks a test holds, from a connection of its own, to stop the
//! app's requests at a chosen statement: a race is then played in the order
//! the test sets, not left to timing.

use std::time::Duration;

use mysql_async::prelude::*;

use super::app::TestApp;

/// How long a test waits for the app's requests to reach a lock.
const WAIT: Duration = Duration::from_secs(30);

/// A lock on the app's database, held until released.
pub struct HeldLock {
    conn: mysql_async::Conn,
    release: &'static str,
}

impl HeldLock {
    pub async fn release(mut self) {
        self.conn
            .query_drop(self.release)
            .await
            .expect("release the lock");
    }
}

impl TestApp {
    /// Holds `security_events` for reading only: the app's inserts into it
    /// (a login's `login` event, a password change's `password-changed`
    /// one) wait, while its reads, and its updates of `users`, go on. The
    /// app needs a `DEPENDENCY_TIMEOUT_MS` longer than the test holds it.
    pub async fn hold_security_events(&self) -> HeldLock {
        let mut conn = self.db().await;
        conn.query_drop("LOCK TABLES security_events READ")
            .await
            .expect("lock security_events");
        HeldLock {
            conn,
            release: "UNLOCK TABLES",
        }
    }

    /// Holds the account's row in `users` for writing: the app's updates of
    /// it wait, and so do its inserts of the account's security events
    /// (their foreign key reads the row), while plain reads of it go on.
    pub async fn hold_account_row(&self, user_id: u64) -> HeldLock {
        let mut conn = self.db().await;
        conn.query_drop("BEGIN").await.expect("BEGIN");
        conn.exec_drop("SELECT id FROM users WHERE id = ? FOR UPDATE", (user_id,))
            .await
            .expect("lock the account's row");
        HeldLock {
            conn,
            release: "ROLLBACK",
        }
    }

    /// Waits until `count` of the app's statements that begin with `start`
    /// are running: on a lock the test holds, they wait there.
    pub async fn until_waiting(&self, start: &str, count: u64) {
        let mut conn = self.db().await;
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let running: Option<u64> = conn
                .exec_first(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
                     WHERE DB = DATABASE() AND ID <> CONNECTION_ID() AND INFO LIKE CONCAT(?, '%')",
                    (start,),
                )
                .await
                .expect("read the process list");
            if running.unwrap_or(0) >= count {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} `{start}…` never ran at once"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
