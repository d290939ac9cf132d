//! Mail through a transactional outbox (docs/API.md, Email): a change that
//! mails someone writes the message into `mail_outbox` in its own
//! transaction (`db::outbox::enqueue`), and a background sender on every
//! instance sends it (`sender`). No request waits on the mail server.
//!
//! - `message`: the texts, one function per kind;
//! - `seal`: links are stored encrypted, never a token in clear;
//! - `schedule`: when a failed message is tried again, and when given up;
//! - `transport`: SMTP (lettre) or a folder of `.eml` files;
//! - `sender`: claims due rows with a lease, sends, marks them.
//!
//! A route that mails someone, with `ctx: &ApiContext`:
//!
//! ```text
//! let link = ctx.outbox.link(LinkKind::ResetPassword, &to, &token)?;   // sealed here
//! let mail = OutgoingMail::with_link(link, &to, MailDetails::now(&name, &caller.origin()));
//! db::<table>::<change>(&ctx.db, …, &mail)   // calls db::outbox::enqueue(&mut transaction, &mail)
//! ctx.outbox.wake();                          // once that transaction has committed
//! ```

pub mod message;
pub mod schedule;
pub mod seal;
pub mod sender;
pub mod transport;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::domain::{LinkKind, SealedLink};
use seal::{LinkSealer, SealError};

/// What handlers need to put mail in the outbox: links sealed with this
/// service's key and based on `PUBLIC_URL`, and a way to wake this
/// instance's sender. One per instance, shared by its workers.
#[derive(Clone)]
pub struct Outbox {
    sealer: LinkSealer,
    public_url: Arc<str>,
    wake: Arc<Notify>,
}

impl Outbox {
    /// `public_url` as `Settings` keeps it: an origin without a trailing
    /// slash.
    pub fn new(session_secret: &[u8], public_url: &str) -> Self {
        Self {
            sealer: LinkSealer::new(session_secret),
            public_url: public_url.into(),
            wake: Arc::default(),
        }
    }

    /// `PUBLIC_URL` + the kind's page + `#token=<token>`, sealed for a
    /// message of that kind to `to`. The token is in the fragment, which
    /// browsers send to no server (no access log, no `Referer`).
    pub fn link(&self, kind: LinkKind, to: &str, token: &str) -> Result<SealedLink, SealError> {
        let link = format!("{}{}#token={token}", self.public_url, kind.path());
        self.sealer.seal(kind, to, &link)
    }

    /// Tells this instance's sender that a message is waiting: call it once
    /// the transaction that wrote the message has committed. Without it the
    /// message still goes, at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}
