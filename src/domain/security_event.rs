//! Security events: what happened to an account (a login, a password
//! change…), when, and from where, for its owner to review.

use std::net::IpAddr;

use serde::Serialize;
use utoipa::ToSchema;

use super::Timestamp;

/// What happened. Every kind the contract names is here, also those that
/// later features will write, so that the schema clients see is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SecurityEventKind {
    Registered,
    Login,
    /// A wrong password for an existing account.
    LoginFailed,
    /// Failed logins for the account from one client began a lockout.
    LockedOut,
    Logout,
    /// A session ended from another one (`DELETE /sessions…`).
    SessionRevoked,
    PasswordChanged,
    PasswordReset,
    EmailVerified,
    EmailChanged,
    VerificationSent,
    ResetRequested,
}

impl SecurityEventKind {
    pub const ALL: [Self; 12] = [
        Self::Registered,
        Self::Login,
        Self::LoginFailed,
        Self::LockedOut,
        Self::Logout,
        Self::SessionRevoked,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailVerified,
        Self::EmailChanged,
        Self::VerificationSent,
        Self::ResetRequested,
    ];

    /// The name clients see and the table stores.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::Login => "login",
            Self::LoginFailed => "login-failed",
            Self::LockedOut => "locked-out",
            Self::Logout => "logout",
            Self::SessionRevoked => "session-revoked",
            Self::PasswordChanged => "password-changed",
            Self::PasswordReset => "password-reset",
            Self::EmailVerified => "email-verified",
            Self::EmailChanged => "email-changed",
            Self::VerificationSent => "verification-sent",
            Self::ResetRequested => "reset-requested",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// Where a request came from, as sessions record it: the client IP and the
/// user agent cut to 256 characters. Nothing else of the request (no
/// cookie, no password) can reach an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventOrigin {
    ip: String,
    user_agent: String,
}

impl EventOrigin {
    pub const USER_AGENT_MAX_CHARS: usize = 256;

    pub fn new(ip: IpAddr, user_agent: &str) -> Self {
        Self {
            ip: ip.to_string(),
            user_agent: user_agent
                .chars()
                .take(Self::USER_AGENT_MAX_CHARS)
                .collect(),
        }
    }

    pub fn ip(&self) -> &str {
        &self.ip
    }

    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

/// One stored event as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"id": 7, "type": "login", "at": "2026-11-26T11:05:37Z", "ip": "203.0.113.9", "user_agent": "Mozilla/5.0"}))]
pub struct SecurityEvent {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: SecurityEventKind,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// The client IP of the request that caused it.
    pub ip: String,
    /// That request's user agent, cut to 256 characters.
    pub user_agent: String,
}

/// One page of a user's security events, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SecurityEventPage {
    pub items: Vec<SecurityEvent>,
    /// The `before` for the next page; `null` exactly when no older event exists.
    #[schema(minimum = 1, required = true)]
    pub next_before: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name() {
        for kind in SecurityEventKind::ALL {
            assert_eq!(SecurityEventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(SecurityEventKind::parse("Login"), None);
    }

    #[test]
    fn the_origin_keeps_256_characters_of_the_user_agent() {
        let origin = EventOrigin::new("::1".parse().unwrap(), &"é".repeat(300));
        assert_eq!(origin.user_agent().chars().count(), 256);
        assert_eq!(origin.ip(), "::1");
    }
}
