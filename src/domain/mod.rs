//! Values the service works with, each of which can only be built valid.
//!
//! Every `parse` counts lengths on the value as sent (so the OpenAPI schema can
//! state them exactly), then trims surrounding whitespace for storage. The
//! error is a message meant for the client, naming the rule that was broken.

mod email;
mod mail;
mod page;
mod password;
mod security_event;
mod status;
mod text;
mod timestamp;
mod token;
mod user;

pub use email::Email;
pub use mail::{LinkKind, MailDetails, MailKind, NoticeKind, OutgoingMail, SealedLink};
pub use page::{PageLimit, PageRequest, StatusId};
pub use password::Password;
pub use security_event::{EventOrigin, SecurityEvent, SecurityEventKind, SecurityEventPage};
pub use status::{Status, StatusPage, StatusText};
pub use timestamp::Timestamp;
pub use token::{Token, TokenKind, TokenLifetimes, TokenPurpose};
pub use user::{User, UserName};
