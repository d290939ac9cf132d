//! Mail the service sends: which kinds there are, and what a message
//! waiting in the outbox holds. The texts are `crate::mail::message`'s; how
//! a link is sealed is `crate::mail::seal`'s.

use super::{EventOrigin, Timestamp};

/// Messages that carry a link with a token in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// Registration, or `POST /email/verify/resend`.
    VerifyEmail,
    /// Sent to the new address of `POST /me/email`.
    ConfirmEmailChange,
    /// `POST /password/forgot`.
    ResetPassword,
}

impl LinkKind {
    /// The SPA's page the link opens, under `PUBLIC_URL`.
    pub fn path(self) -> &'static str {
        match self {
            // An email change is confirmed on the page that verifies
            // addresses (docs/API.md, Email).
            Self::VerifyEmail | Self::ConfirmEmailChange => "/verify-email",
            Self::ResetPassword => "/reset-password",
        }
    }
}

/// Messages that only tell the owner what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    /// `POST /me/password`.
    PasswordChanged,
    /// `POST /password/reset`.
    PasswordReset,
    /// `POST /me/email`: sent to the account's current address, which
    /// stays the account's unless the link mailed to the new one is used.
    EmailChangeRequested,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    Link(LinkKind),
    Notice(NoticeKind),
}

impl MailKind {
    pub const ALL: [Self; 6] = [
        Self::Link(LinkKind::VerifyEmail),
        Self::Link(LinkKind::ConfirmEmailChange),
        Self::Link(LinkKind::ResetPassword),
        Self::Notice(NoticeKind::PasswordChanged),
        Self::Notice(NoticeKind::PasswordReset),
        Self::Notice(NoticeKind::EmailChangeRequested),
    ];

    /// The name the outbox stores and the logs show.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link(LinkKind::VerifyEmail) => "verify-email",
            Self::Link(LinkKind::ConfirmEmailChange) => "confirm-email-change",
            Self::Link(LinkKind::ResetPassword) => "reset-password",
            Self::Notice(NoticeKind::PasswordChanged) => "password-changed",
            Self::Notice(NoticeKind::PasswordReset) => "password-reset",
            Self::Notice(NoticeKind::EmailChangeRequested) => "email-change-requested",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// A message's link, encrypted: what the outbox stores instead of the
/// token. Only the key derived from `SESSION_SECRET` opens it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedLink {
    pub kind: LinkKind,
    bytes: Vec<u8>,
}

impl SealedLink {
    /// Bytes as the sealer wrote them (nonce, ciphertext, tag).
    pub fn from_bytes(kind: LinkKind, bytes: Vec<u8>) -> Self {
        Self { kind, bytes }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// What a message tells besides its link: whose account, and when, from
/// which IP and with which user agent the request that caused it came.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailDetails {
    /// The account's name, as its owner typed it.
    pub name: String,
    pub requested_at: Timestamp,
    pub ip: String,
    /// Cut to 256 characters, as security events keep it.
    pub user_agent: String,
}

impl MailDetails {
    /// The request happening now.
    pub fn now(name: &str, origin: &EventOrigin) -> Self {
        Self {
            name: name.to_owned(),
            requested_at: Timestamp::now(),
            ip: origin.ip().to_owned(),
            user_agent: origin.user_agent().to_owned(),
        }
    }
}

/// A message to put in the outbox, in the transaction of the change that
/// causes it (`db::outbox::enqueue`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    kind: MailKind,
    to: String,
    details: MailDetails,
    link: Option<SealedLink>,
}

impl OutgoingMail {
    pub fn notice(kind: NoticeKind, to: &str, details: MailDetails) -> Self {
        Self {
            kind: MailKind::Notice(kind),
            to: to.to_owned(),
            details,
            link: None,
        }
    }

    /// A message carrying `link`, sealed for `to` (see `mail::Outbox::link`).
    pub fn with_link(link: SealedLink, to: &str, details: MailDetails) -> Self {
        Self {
            kind: MailKind::Link(link.kind),
            to: to.to_owned(),
            details,
            link: Some(link),
        }
    }

    pub fn kind(&self) -> MailKind {
        self.kind
    }

    /// The recipient's address.
    pub fn to(&self) -> &str {
        &self.to
    }

    pub fn details(&self) -> &MailDetails {
        &self.details
    }

    pub fn link(&self) -> Option<&SealedLink> {
        self.link.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MailKind::parse("Password-Changed"), None);
    }

    #[test]
    fn a_mail_with_a_link_takes_its_kind_from_the_link() {
        let details = MailDetails::now("Alice", &EventOrigin::new([127, 0, 0, 1].into(), "ua"));
        let link = SealedLink::from_bytes(LinkKind::ResetPassword, vec![1, 2, 3]);
        let mail = OutgoingMail::with_link(link, "alice@example.com", details);
        assert_eq!(mail.kind(), MailKind::Link(LinkKind::ResetPassword));
        assert_eq!(mail.link().unwrap().as_bytes(), [1, 2, 3]);
    }
}
