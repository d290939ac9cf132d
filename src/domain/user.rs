use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Timestamp;
use super::text::{trimmed_within, without_control_chars};

/// A display name: 1 to 64 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, String> {
        without_control_chars(raw, &[])?;
        trimmed_within(raw, Self::MAX_CHARS).map(|name| Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account as clients see it: never a password or a hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": 1, "email": "alice@example.com", "name": "Alice", "created_at": "2026-11-26T11:05:37Z", "email_verified": true}))]
pub struct User {
    pub id: u64,
    /// The stored, lowercased form.
    pub email: String,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// Whether the email is verified: a link mailed to it has been used.
    // A session stored before the field existed reads as unverified.
    #[serde(default)]
    #[schema(required = true)]
    pub email_verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_the_raw_length() {
        assert_eq!(UserName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(UserName::parse(&"n".repeat(64)).is_ok());
        assert!(UserName::parse(&"n".repeat(65)).is_err());
        // 63 characters plus two spaces: too long as sent, although it trims to 63.
        assert!(UserName::parse(&format!(" {} ", "n".repeat(63))).is_err());
    }

    #[test]
    fn rejects_empty_and_control_characters() {
        for raw in ["", "   ", "a\tb", "line\nbreak", "bell\u{7}", "del\u{7f}"] {
            assert!(UserName::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn a_user_stored_without_email_verified_reads_as_unverified() {
        let stored = r#"{"id": 3, "email": "a@example.com", "name": "A", "created_at": "2026-11-26T11:05:37Z"}"#;
        let user: User = serde_json::from_str(stored).unwrap();
        assert!(!user.email_verified);
        let written = serde_json::to_value(&user).unwrap();
        assert_eq!(written["email_verified"], false);
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert!(UserName::parse(&"é".repeat(64)).is_ok());
        assert!(UserName::parse(&"🙂".repeat(64)).is_ok());
    }
}
